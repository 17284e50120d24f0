/** Why a peer message was dropped. */
export type DropReason = 'invalid' | 'rate-limited' | 'over-cap';

export type DropCounts = Record<DropReason, number>;

export const NO_DROPS: DropCounts = { invalid: 0, 'rate-limited': 0, 'over-cap': 0 };

/**
 * Counts dropped peer messages and reports the totals at most once per `intervalMs`. A flood
 * is thousands of drops a second; reporting each one would re-render the call page as often,
 * which is the very harm the drop avoids.
 */
export class DropCounter {
  private counts: DropCounts = { ...NO_DROPS };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly report: (counts: DropCounts) => void,
    private readonly intervalMs = 1000,
  ) {}

  get totals(): DropCounts {
    return { ...this.counts };
  }

  count(reason: DropReason): void {
    this.counts = { ...this.counts, [reason]: this.counts[reason] + 1 };
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.report(this.totals);
    }, this.intervalMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
