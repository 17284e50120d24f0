import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoomId } from '@parley/protocol';
import { expect, test } from '../e2e/fixtures.ts';

/**
 * Receiver memory while a large file arrives. The receiver streams to OPFS, so the browser's
 * memory should stay flat however large the file is. Reports the RSS of the whole Chromium
 * process tree (both participants) and the receiver page's JS heap, sampled every 2 s.
 */
const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_FILE_MIB ?? 1024) * MiB;

function chromiumRssMiB(): number {
  const out = execFileSync('ps', ['-C', 'chromium', '-o', 'rss='], { encoding: 'utf8' });
  return out.split('\n').reduce((sum, line) => sum + (Number(line.trim()) || 0), 0) / 1024;
}

test(`receiver memory while a ${SIZE / MiB} MiB file arrives`, async ({ joinAs, parley }) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const path = join(dir, 'big.bin');
  const fd = openSync(path, 'w');
  const block = Buffer.allocUnsafe(64 * MiB);
  for (let written = 0; written < SIZE; written += block.length)
    writeSync(fd, randomFillSync(block), 0, Math.min(block.length, SIZE - written));
  closeSync(fd);

  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await expect(ada.page.locator('[data-connection=connected]')).toHaveCount(1);
  const cdp = await bob.page.context().newCDPSession(bob.page);
  await cdp.send('Performance.enable');
  const heapMiB = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / MiB;
  };

  await ada.page.getByRole('button', { name: 'Send file' }).click();
  await ada.page.getByLabel('Files to send').setInputFiles(path);
  const row = bob.page
    .getByRole('list', { name: 'Transfers' })
    .getByRole('group', { name: 'big.bin', exact: true });
  const before = { rss: chromiumRssMiB(), heap: await heapMiB() };
  const started = Date.now();
  await row.getByRole('button', { name: 'Accept' }).click();

  const samples: Array<{ s: number; rss: number; heap: number; received: number }> = [];
  while ((await row.getAttribute('data-state')) !== 'done') {
    expect(await row.getAttribute('data-state')).not.toBe('failed');
    const received = Number(
      (await row
        .getByRole('progressbar')
        .getAttribute('value')
        .catch(() => null)) ?? SIZE,
    );
    samples.push({
      s: (Date.now() - started) / 1000,
      rss: chromiumRssMiB(),
      heap: await heapMiB(),
      received: received / MiB,
    });
    await bob.page.waitForTimeout(2000); // sampling interval of a measurement, not a wait for an event
  }
  const seconds = (Date.now() - started) / 1000;
  await expect(row).toContainText('verified');
  rmSync(dir, { recursive: true, force: true });

  const peakRss = Math.max(...samples.map((x) => x.rss));
  const peakHeap = Math.max(...samples.map((x) => x.heap));
  const report = {
    fileMiB: SIZE / MiB,
    seconds: Number(seconds.toFixed(1)),
    throughputMiBps: Number((SIZE / MiB / seconds).toFixed(1)),
    chromiumTreeRssMiB: {
      before: Math.round(before.rss),
      peak: Math.round(peakRss),
      growth: Math.round(peakRss - before.rss),
    },
    receiverJsHeapMiB: {
      before: Number(before.heap.toFixed(1)),
      peak: Number(peakHeap.toFixed(1)),
    },
    samples: samples.length,
  };
  console.log(JSON.stringify(report, null, 2));
  for (const x of samples.filter((_, i) => i % 10 === 0))
    console.log(
      `t=${x.s.toFixed(0)}s received=${x.received.toFixed(0)} MiB rss=${x.rss.toFixed(0)} MiB heap=${x.heap.toFixed(1)} MiB`,
    );
});
