import { defineConfig } from '@playwright/test';
import base from '../e2e/playwright.config.ts';
import { benchChromiumArgs } from './browser/support/bench-chromium.ts';

/** Measurements, not tests: run with `npm run bench:files`, never part of `npm test`. */
export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '**/*.bench.ts',
  timeout: 15 * 60_000,
  reporter: [['list']],
  outputDir: '../test-results/bench',
  use: {
    ...base.use,
    launchOptions: { ...base.use?.launchOptions, args: benchChromiumArgs() },
  },
});
