import { defineConfig } from '@playwright/test';

/**
 * Browser tests run Debian's Chromium with fake camera and microphone. Playwright's own browser
 * download is not used (it cannot work offline). scripts/run-e2e.sh runs all of this inside a
 * loopback-only network namespace when it can, so ICE only ever sees 127.0.0.1.
 */
export const CHROMIUM_ARGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream=device-count=3',
  '--allow-loopback-in-peer-connection',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  // The call through the compose stack needs that stack: scripts/test-compose.sh runs it.
  testIgnore: 'compose/**',
  // Each test drives several browser contexts with live media; two cores fit one at a time.
  workers: 1,
  fullyParallel: false,
  // Deadlines, never measures (timings go to npm run bench). A call of three pages with live
  // video on two loaded cores takes 1–3 s per browser action, so a multi-person test can need
  // minutes; these only end a test that is truly stuck.
  timeout: 180_000,
  expect: { timeout: 30_000 },
  // Always: a stray test.only would silently skip the rest of the suite, on CI or off it.
  forbidOnly: true,
  reporter: [['list'], ['json', { outputFile: '../test-results/e2e.json' }]],
  outputDir: '../test-results/e2e',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
    permissions: ['camera', 'microphone'],
    trace: 'retain-on-failure',
  },
});
