import { expect, test } from './fixtures.ts';
import { startWebSocketBlockingProxy } from './support/websocket-blocking-proxy.ts';

/**
 * The /test page's signalling rows (issue 16), through the test proxy that breaks WebSocket
 * the ways corporate proxies do: each row says whether its transport gets through, and why not.
 */

const cases = [
  {
    name: 'lets everything through',
    proxy: { websocket: 'pass' },
    expected: { websocket: 'ok', sse: 'ok', 'long-poll': 'ok' },
    summary: 'over WebSocket',
  },
  {
    name: 'refuses WebSocket upgrades',
    proxy: { websocket: 'refuse' },
    expected: { websocket: 'failed:refused', sse: 'ok', 'long-poll': 'ok' },
    summary: 'HTTP streaming does',
  },
  {
    name: 'accepts the WebSocket upgrade and then passes nothing',
    proxy: { websocket: 'black-hole' },
    expected: { websocket: 'failed:silent', sse: 'ok', 'long-poll': 'ok' },
    summary: 'HTTP streaming does',
  },
  {
    name: 'refuses WebSocket and holds every response until it completes',
    proxy: { websocket: 'refuse', bufferResponses: true },
    expected: { websocket: 'failed:refused', sse: 'failed:buffered', 'long-poll': 'ok' },
    summary: 'Only long-polling',
    screenshots: true,
  },
] as const;

for (const c of cases) {
  test(`/test through a proxy that ${c.name}: each signalling transport's row says what got through`, async ({
    page,
    parley,
  }, testInfo) => {
    const proxy = await startWebSocketBlockingProxy(parley.url, c.proxy);
    try {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${proxy.url}/test`);
      await page.getByRole('button', { name: 'Test my connection' }).click();
      for (const [transport, outcome] of Object.entries(c.expected)) {
        const [status, reason] = outcome.split(':');
        const row = page.locator(`[data-transport=${transport}]`);
        await expect(row).toHaveAttribute('data-status', status!);
        if (reason) await expect(row).toHaveAttribute('data-reason', reason);
        else await expect(row).toContainText(/The server answered in \d+ ms/);
        console.log(`${c.name}: ${transport}: ${(await row.textContent()) ?? ''}`);
      }
      await expect(page.getByTestId('transport-summary')).toContainText(c.summary);
      // The relay checks still run (this server offers none).
      await expect(page.locator('[data-check=turn-tcp]')).toHaveAttribute(
        'data-status',
        'not-configured',
      );
      await expect(page.getByRole('button', { name: 'Test my connection' })).toBeEnabled();

      if ('screenshots' in c) {
        for (const [label, size] of [
          ['desktop', { width: 1280, height: 800 }],
          ['phone', { width: 390, height: 844 }],
        ] as const) {
          await page.setViewportSize(size);
          // Fits the window: nothing wider than it (the page scrolls only down).
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
          );
          expect(overflow, `${label}: horizontal overflow`).toBeLessThanOrEqual(0);
          await page.screenshot({
            path: testInfo.outputPath(`connection-test-transports-${label}.png`),
            fullPage: true,
          });
        }
      }
    } finally {
      await proxy.close();
    }
  });
}
