import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from './fixtures.ts';
import { FIRST_LOAD_BUDGET_BYTES, firstLoad, WEB_DIST } from './bundle-size.ts';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

// eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
test('the call page loads at most 100 KiB of gzip JavaScript before it runs', async ({}, testInfo) => {
  const load = firstLoad();
  const lines = [
    ...load.critical.map((c) => `critical ${c.file}: ${kib(c.gzipBytes)} gzip (${kib(c.bytes)})`),
    ...load.lazy.map((c) => `lazy     ${c.file}: ${kib(c.gzipBytes)} gzip (${kib(c.bytes)})`),
    `critical path total: ${kib(load.criticalGzipBytes)} gzip of ${kib(FIRST_LOAD_BUDGET_BYTES)}`,
    // Registered after the load event (apps/web/src/app-update.ts), so never on the critical path.
    `not critical: sw.js ${kib(gzipSync(readFileSync(join(WEB_DIST, 'sw.js')), { level: 9 }).length)} gzip, after load`,
  ];
  console.log(lines.join('\n'));
  testInfo.annotations.push({
    type: 'first-load-js-gzip-bytes',
    description: String(load.criticalGzipBytes),
  });
  expect(load.critical.length).toBeGreaterThan(0);
  expect(load.criticalGzipBytes, lines.join('\n')).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
});

/** Raw HTTP, so the compressed body is counted as it travels (fetch would inflate it). */
function get(
  url: string,
  acceptEncoding: string,
): Promise<{ encoding: string | undefined; bytes: number }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

test('the server sends the critical JavaScript compressed, at the size the budget counts', async ({
  parley,
}) => {
  const [entry] = firstLoad().critical;
  const gz = await get(`${parley.url}/${entry!.file}`, 'gzip');
  expect(gz.encoding).toBe('gzip');
  expect(gz.bytes).toBe(entry!.gzipBytes);
  const br = await get(`${parley.url}/${entry!.file}`, 'gzip, deflate, br');
  expect(br.encoding).toBe('br');
  expect(br.bytes).toBe(readFileSync(join(WEB_DIST, `${entry!.file}.br`)).length);
  expect(br.bytes).toBeLessThan(gz.bytes);
});
