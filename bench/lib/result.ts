import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The result-file contract shared by every bench. Each bench writes `bench/results/<id>.json`;
 * `npm run bench` collects them all, prints one table and writes `bench/results/summary.json`.
 * Keep this shape stable: the server benches and the browser benches both write it.
 */
export type BenchRow = {
  /** What was measured, e.g. "Relay throughput, 1 KB signals". */
  measure: string;
  /** NaN when the run produced no figure; `absent` then says why. */
  value: number;
  /**
   * Why there is no figure, e.g. "no step passed": printed instead of the value, so a bench
   * that found nothing never shows up as 0.
   */
  absent?: string;
  /** e.g. "msgs/s", "ms", "KB/conn", "MiB/s". */
  unit: string;
  /** The side-by-side figure taken in the same run, if any. */
  baseline?: { name: string; value: number };
  /** value / baseline.value (or whatever the goal is phrased in; say so in `goal`). */
  ratio?: number;
  /** The goal in words, e.g. "≥ 0.7× bare ws" or "≤ 2 ms". */
  goal?: string;
  /** Whether the goal is met; absent when the row has no goal. */
  met?: boolean;
};

export type BenchResult = {
  /** File name without `.json`; unique per bench, e.g. "relay-throughput". */
  id: string;
  title: string;
  rows: BenchRow[];
  /** Method, parameters and caveats a reader needs to interpret the rows. */
  notes?: string[];
};

/** bench/results/, or BENCH_RESULTS_DIR (smoke runs write theirs elsewhere). */
export const RESULTS_DIR = process.env.BENCH_RESULTS_DIR
  ? resolve(process.env.BENCH_RESULTS_DIR)
  : join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Writes `bench/results/<id>.json` and returns its path. */
export function writeBenchResult(result: BenchResult): string {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(result.id))
    throw new Error(`bench result id must be a simple file name, got ${JSON.stringify(result.id)}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${result.id}.json`);
  // A ratio against a zero or missing baseline means nothing: leave it out rather than write null.
  const rows = result.rows.map(({ ratio, ...row }) =>
    ratio !== undefined && Number.isFinite(ratio) ? { ...row, ratio } : row,
  );
  writeFileSync(path, `${JSON.stringify({ ...result, rows }, null, 2)}\n`);
  return path;
}

/** Every result file in `bench/results/` except the summary and temporary files, by title. */
export function readBenchResults(dir = RESULTS_DIR): BenchResult[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json') && n !== 'summary.json' && !n.endsWith('.tmp.json'))
    .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as BenchResult)
    .sort((a, b) => a.title.localeCompare(b.title, 'en', { numeric: true }));
}

/** Ratio rounded for display and JSON (3 significant decimals are plenty on a noisy box). */
export function ratio(value: number, baseline: number): number {
  return baseline === 0 ? Number.NaN : Math.round((value / baseline) * 1000) / 1000;
}
