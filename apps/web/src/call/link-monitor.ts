import { readStats, type LinkStats, type StatsTotals } from './link-stats.ts';
import type { PeerTransport } from './peer-transport.ts';

/** How often the incoming audio level is sampled; stats are read every STATS_EVERY samples. */
export const MONITOR_POLL_MS = 250;
export const STATS_EVERY = 4;
/** Above this RTP audio level a participant counts as speaking; hold it briefly to avoid flicker. */
export const SPEAKING_LEVEL = 0.02;
export const SPEAKING_HOLD_MS = 600;

export interface LinkMonitorOptions {
  transport: Pick<PeerTransport, 'destroyed' | 'incomingAudioLevel' | 'getStats'>;
  onSpeaking(speaking: boolean): void;
  onStats(stats: LinkStats): void;
  now?: () => number;
}

/**
 * Watches a connected link: whether the participant is speaking (from the incoming audio level)
 * and its stats (RTT, loss, bitrates, direct or relayed). It starts at the first connect, not
 * before: there is nothing to measure, and getStats competes with the connection's setup.
 */
export class LinkMonitor {
  private timer: ReturnType<typeof setInterval> | undefined;
  private polls = 0;
  private lastLoudAt = -Infinity;
  private speaking = false;
  private previousTotals: StatsTotals | undefined;
  private readonly now: () => number;

  constructor(private readonly options: LinkMonitorOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  start(): void {
    this.timer ??= setInterval(() => void this.poll(), MONITOR_POLL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    const { transport } = this.options;
    if (transport.destroyed) return;
    const now = this.now();
    if (transport.incomingAudioLevel() > SPEAKING_LEVEL) this.lastLoudAt = now;
    const speaking = now - this.lastLoudAt < SPEAKING_HOLD_MS;
    if (speaking !== this.speaking) {
      this.speaking = speaking;
      this.options.onSpeaking(speaking);
    }
    if (this.polls++ % STATS_EVERY !== 0) return;
    const report = await transport.getStats();
    if (this.timer === undefined || transport.destroyed) return;
    const { stats, totals } = readStats(report, this.now(), this.previousTotals);
    this.previousTotals = totals;
    this.options.onStats(stats);
  }
}
