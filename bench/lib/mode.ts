/**
 * Quick mode, for development: `npm run bench:quick` (or `npm run bench -- --quick`) sets
 * BENCH_QUICK=1 for every bench it starts, browser benches included. Benches shorten their runs
 * (fewer rounds, shorter windows, smaller sizes) and say so in their notes; quick figures are
 * for spotting regressions while working, not for BENCHMARKS.md.
 */
export const QUICK = process.env.BENCH_QUICK === '1';
