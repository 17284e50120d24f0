import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRoomId } from '@parley/protocol';
import { expect, test } from '../e2e/fixtures.ts';
import { persistentBrowser } from './browser/support/persistent-browser.ts';
import { randomFile } from './browser/support/random-file.ts';
import { ratio, writeBenchResult } from './lib/result.ts';
import { sized } from './lib/mode.ts';

/**
 * Receiver memory while a large file arrives. The receiver streams to OPFS, so its memory
 * should stay flat however large the file is. The receiver runs in its own Chromium with a
 * persistent profile: Playwright's default contexts are off-the-record, where Chromium keeps
 * OPFS in memory, which would measure the test setup rather than Parley. Reports the RSS of the
 * receiver's whole Chromium process tree and its page's JS heap, sampled every 2 s.
 */
const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_FILE_MIB ?? sized(1024, 64, 1)) * MiB;
/** Smoke mode samples more often: its tiny file arrives well within one 2 s interval. */
const SAMPLE_MS = sized(2000, 2000, 250);

/** RSS (MiB) of the Chromium started with `profileDir` and all of its descendants. */
function browserTreeRssMiB(profileDir: string): number {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const info = new Map<number, { ppid: number; rssKiB: number; cmd: string }>();
  for (const pid of procs) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      info.set(Number(pid), { ppid, rssKiB, cmd });
    } catch {
      // the process ended while we looked
    }
  }
  const roots = [...info]
    .filter(([, p]) => p.cmd.includes(profileDir) && !p.cmd.includes('--type='))
    .map(([pid]) => pid);
  const tree = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of info)
      if (!tree.has(pid) && tree.has(p.ppid)) grew = tree.add(pid) !== undefined;
  }
  return [...tree].reduce((sum, pid) => sum + (info.get(pid)?.rssKiB ?? 0), 0) / 1024;
}

test(`receiver memory while a ${SIZE / MiB} MiB file arrives`, async ({ joinAs, parley }) => {
  const { path, dir } = randomFile(SIZE, 'big.bin');

  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const receiver = await persistentBrowser();
  const { profile } = receiver;
  const bob = { page: receiver.page };
  await bob.page.goto(roomUrl);
  await bob.page.getByLabel('Your name').fill('Bob');
  await bob.page.getByRole('button', { name: 'Join call' }).click();
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
  const before = { rss: browserTreeRssMiB(profile), heap: await heapMiB() };
  const started = Date.now();
  await row.getByRole('button', { name: 'Accept' }).click();

  const samples: Array<{ s: number; rss: number; heap: number; received: number }> = [];
  // State and progress are read in one step: read one after the other, the transfer could end
  // between the two, and a query for the progress bar that is gone waits for ever.
  const progress = () =>
    row.evaluate((el) => ({
      state: el.getAttribute('data-state'),
      value: el.querySelector('progress')?.getAttribute('value') ?? undefined,
    }));
  const sample = async (value: string | undefined) =>
    samples.push({
      s: (Date.now() - started) / 1000,
      rss: browserTreeRssMiB(profile),
      heap: await heapMiB(),
      received: Number(value ?? SIZE) / MiB,
    });
  for (let now = await progress(); now.state !== 'done'; now = await progress()) {
    expect(now.state).not.toBe('failed');
    await sample(now.value);
    await bob.page.waitForTimeout(SAMPLE_MS); // sampling interval of a measurement, not a wait for an event
  }
  await sample(undefined); // at the end too, so a transfer faster than one interval has a peak
  const seconds = (Date.now() - started) / 1000;
  await expect(row).toContainText('verified');
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });

  const peakRss = Math.max(...samples.map((x) => x.rss));
  const peakHeap = Math.max(...samples.map((x) => x.heap));
  const report = {
    fileMiB: SIZE / MiB,
    seconds: Number(seconds.toFixed(1)),
    throughputMiBps: Number((SIZE / MiB / seconds).toFixed(1)),
    receiverBrowserRssMiB: {
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
  const fileMiB = SIZE / MiB;
  const inMemory = { name: 'file size (a receiver that keeps it in memory)', value: fileMiB };
  writeBenchResult({
    id: 'file-memory',
    title: `6. File transfer: receiver memory for a ${fileMiB} MiB file`,
    rows: [
      {
        measure: `Receiver browser RSS growth, ${fileMiB} MiB file (peak − before)`,
        value: report.receiverBrowserRssMiB.growth,
        unit: 'MiB',
        baseline: inMemory,
        ratio: ratio(report.receiverBrowserRssMiB.growth, fileMiB),
      },
      {
        measure: `Receiver page JS heap growth (peak − before)`,
        value: Number((peakHeap - before.heap).toFixed(1)),
        unit: 'MiB',
        baseline: inMemory,
        ratio: ratio(peakHeap - before.heap, fileMiB),
      },
      {
        measure: `  throughput during it (Accept → done, ${SAMPLE_MS / 1000} s polling)`,
        value: report.throughputMiBps,
        unit: 'MiB/s',
      },
    ],
    notes: [
      `Receiver in its own Chromium with a persistent profile (off-the-record contexts keep OPFS in memory); RSS summed over that Chromium's whole process tree, JS heap from CDP Performance.getMetrics, sampled every ${SAMPLE_MS / 1000} s (${samples.length} samples). Before: ${report.receiverBrowserRssMiB.before} MiB RSS, ${report.receiverJsHeapMiB.before} MiB heap, in the call with the offer shown; peak ${report.receiverBrowserRssMiB.peak} MiB RSS, ${report.receiverJsHeapMiB.peak} MiB heap.`,
    ],
  });
  for (const x of samples.filter((_, i) => i % 10 === 0))
    console.log(
      `t=${x.s.toFixed(0)}s received=${x.received.toFixed(0)} MiB rss=${x.rss.toFixed(0)} MiB heap=${x.heap.toFixed(1)} MiB`,
    );
});
