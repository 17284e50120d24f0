/** How far ahead of the last applied frame a frame may arrive and still be held for later. */
const HOLD_WINDOW = 64;

/**
 * Applies numbered client frames exactly once and in order, whatever order the POSTs carrying
 * them arrive in: a frame already applied is skipped (a retried POST), one ahead of a gap waits
 * for the gap (a POST that overtook another). Only frames within `HOLD_WINDOW` of the last
 * applied one are held, so the memory a client can pin is bounded; one further ahead is dropped
 * and stays unacknowledged, so the client sends it again.
 */
export class InboundOrder {
  private applied = 0;
  private readonly held = new Map<number, string>();

  constructor(private readonly apply: (frame: string) => void) {}

  /** Frame `seq + i` is `frames[i]`. Returns the last sequence number applied. */
  accept(seq: number, frames: readonly string[]): number {
    frames.forEach((frame, i) => {
      const n = seq + i;
      if (n === this.applied + 1) this.applyNext(frame);
      else if (n > this.applied && n <= this.applied + HOLD_WINDOW) this.held.set(n, frame);
    });
    return this.applied;
  }

  get lastApplied(): number {
    return this.applied;
  }

  private applyNext(frame: string): void {
    for (let next: string | undefined = frame; next !== undefined;) {
      this.held.delete(++this.applied);
      this.apply(next);
      next = this.held.get(this.applied + 1);
    }
  }
}
