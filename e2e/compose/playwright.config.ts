import { defineConfig } from '@playwright/test';
import base from '../playwright.config.ts';

/**
 * The browser call through the compose stack: run only by scripts/test-compose.sh, inside the
 * network namespace where https://parley.test is the stack's Caddy (never by `npm run test:e2e`,
 * whose config ignores this folder). The script passes, in the environment:
 *   PARLEY_COMPOSE_ORIGIN   https://DOMAIN
 *   PARLEY_COMPOSE_IP       the namespace's public address (coturn's relay address)
 *   PARLEY_COMPOSE_HOME     a HOME whose .pki/nssdb trusts Caddy's internal root CA
 *   PARLEY_COMPOSE_REPORTS  where the JSON report and failure traces go
 */
const reports = process.env.PARLEY_COMPOSE_REPORTS ?? '../../test-results/compose-call';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '*.spec.ts',
  testIgnore: [],
  timeout: 120_000,
  reporter: [['list'], ['json', { outputFile: `${reports}/report.json` }]],
  outputDir: `${reports}/traces`,
  use: {
    ...base.use,
    launchOptions: {
      ...base.use?.launchOptions,
      // Chromium on Linux takes locally trusted roots from $HOME/.pki/nssdb: Caddy's internal
      // CA is trusted for real, as an admin would import it, with no certificate errors ignored.
      env: { ...process.env, HOME: process.env.PARLEY_COMPOSE_HOME ?? '' },
    },
  },
});
