import { SpeedMeter } from './speed-meter.ts';
import type { TransferSnapshot } from './transfer-types.ts';

const UPDATE_INTERVAL_MS = 200;

export type SnapshotBase = Omit<TransferSnapshot, 'speed' | 'eta'>;

/**
 * Turns a transfer's counters into snapshots for the UI: progress at most every 200 ms (a
 * transfer advances thousands of times a second), state changes at once, with speed and ETA.
 */
export class TransferReporter {
  private lastUpdate = -Infinity;
  private readonly meter = new SpeedMeter();

  constructor(private readonly onUpdate: (snapshot: TransferSnapshot) => void) {}

  /** Progress towards the figure speed and ETA are computed from. */
  progress(bytes: number): void {
    this.meter.record(bytes);
  }

  /** A new leg of the transfer (e.g. after a resume): speed starts over. */
  restart(): void {
    this.meter.reset();
  }

  report(base: SnapshotBase, remainingBytes: number, force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastUpdate < UPDATE_INTERVAL_MS) return;
    this.lastUpdate = now;
    const speed = this.meter.speed();
    this.onUpdate({ ...base, speed, eta: speed > 0 ? remainingBytes / speed : undefined });
  }
}
