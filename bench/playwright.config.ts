import { defineConfig } from '@playwright/test';
import base from '../e2e/playwright.config.ts';
import { benchChromiumArgs } from './browser/support/bench-chromium.ts';
import { SMOKE } from './lib/mode.ts';

/** Measurements, not tests: run with `npm run bench:files`, never part of `npm test`. */
export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '**/*.bench.ts',
  timeout: 15 * 60_000,
  // Smoke runs use two workers (each with its own Parley server and Chromium): most of a tiny
  // bench's time is page loads, joins and ICE, waiting rather than computing.
  ...(SMOKE ? { workers: 2 } : {}),
  reporter: [['list']],
  outputDir: '../test-results/bench',
  use: {
    ...base.use,
    // Smoke runs (npm run bench:smoke) record no trace: tracing's screencast, DOM snapshots and
    // action log of every page cost CPU the smoke run's calls need.
    ...(SMOKE ? { trace: 'off' } : {}),
    launchOptions: { ...base.use?.launchOptions, args: benchChromiumArgs() },
  },
});
