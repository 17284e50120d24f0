/**
 * Quick mode, for development: `npm run bench:quick` (or `npm run bench -- --quick`) sets
 * BENCH_QUICK=1 for every bench it starts, browser benches included. Benches shorten their runs
 * (fewer rounds, shorter windows, smaller sizes) and say so in their notes; quick figures are
 * for spotting regressions while working, not for BENCHMARKS.md.
 */
export const QUICK = process.env.BENCH_QUICK === '1';

/**
 * Smoke mode: `npm run bench:smoke` (bench/smoke.ts) sets BENCH_SMOKE=1 to run every bench
 * once at a tiny size, only to prove each still runs. Its figures mean nothing and go to
 * test-results/bench-smoke/ (BENCH_RESULTS_DIR), never to bench/results/.
 */
export const SMOKE = process.env.BENCH_SMOKE === '1';

/** `full` normally, `quick` in quick mode, `smoke` in smoke mode. */
export function sized<T>(full: T, quick: T, smoke: T): T {
  if (SMOKE) return smoke;
  return QUICK ? quick : full;
}
