import { MAX_CANDIDATES_PER_NEGOTIATION, type SignalPayload } from '@parley/protocol';

/**
 * Counts ICE candidates a sender relays to each target since the last description between
 * them. A new offer or answer starts a new negotiation (including ICE restarts) and resets it.
 */
export class CandidateGuard {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit = MAX_CANDIDATES_PER_NEGOTIATION) {}

  /** False when this candidate would exceed the limit and must be dropped. */
  allow(to: string, payload: SignalPayload): boolean {
    if (payload.type === 'offer' || payload.type === 'answer') {
      this.counts.delete(to);
      return true;
    }
    if (payload.type !== 'candidate') return true;
    const count = (this.counts.get(to) ?? 0) + 1;
    if (count > this.limit) return false;
    this.counts.set(to, count);
    return true;
  }

  clear(): void {
    this.counts.clear();
  }
}
