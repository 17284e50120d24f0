/**
 * Seats given up for good (a `leave`, a closed tab, a grace period that ran out), so that their
 * resume tokens cannot bring them back. A token is a stateless HMAC (it must survive a server
 * restart), so it cannot expire by itself; the hub accepts it only while its seat is held, or
 * when the room is unknown here (the server restarted and everyone is resuming), and this ledger
 * closes that second door for seats this process saw end.
 *
 * Bounded: the oldest entries go first past `maxEntries`, and entries older than `ttlMs` are
 * ignored (by then a resuming client has long given up and joined anew).
 */
export class ResumeLedger {
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  revoke(roomId: string, peerId: string): void {
    const key = `${roomId}.${peerId}`;
    this.ended.delete(key); // re-inserted at the end: the Map's order is the age order
    this.ended.set(key, this.now());
    while (this.ended.size > this.maxEntries) {
      const oldest = this.ended.keys().next().value;
      if (oldest === undefined) break;
      this.ended.delete(oldest);
    }
  }

  isRevoked(roomId: string, peerId: string): boolean {
    const at = this.ended.get(`${roomId}.${peerId}`);
    return at !== undefined && this.now() - at < this.ttlMs;
  }
}
