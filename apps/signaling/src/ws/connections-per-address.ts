import { addressKey } from '../net/address-key.ts';

/**
 * Open WebSocket connections per client address (an IPv6 /64 counts as one address). Joins are rate-limited per address, but an
 * idle socket costs memory and a file descriptor without ever joining, so without a cap one
 * address could hold the server's descriptors hostage. A slot is taken at the upgrade and
 * given back when the TCP connection closes, whichever side ends it.
 */
export class ConnectionsPerAddress {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a slot for `address`; false when it already holds `max` connections. */
  tryTake(address: string): boolean {
    const key = addressKey(address);
    const count = this.open.get(key) ?? 0;
    if (count >= this.max) return false;
    this.open.set(key, count + 1);
    return true;
  }

  release(address: string): void {
    const key = addressKey(address);
    const count = this.open.get(key) ?? 0;
    // Deleting at zero keeps the map as small as the set of addresses connected right now.
    if (count <= 1) this.open.delete(key);
    else this.open.set(key, count - 1);
  }
}
