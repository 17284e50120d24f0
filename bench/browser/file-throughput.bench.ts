import { linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, test } from '../../e2e/fixtures.ts';
import { ratio, writeBenchResult } from '../lib/result.ts';
import { mean, round } from '../lib/stats.ts';
import { openBlankPage, bareCallPeer, relay } from './support/bare-call.ts';
import { bareLoop, pickBenchFile } from './support/bulk.ts';
import { instrument } from './support/instrument.ts';
import { persistentBrowser } from './support/persistent-browser.ts';
import { randomFile } from './support/random-file.ts';
import { describeOutgoingVideo, steadyVideo } from './support/steady-video.ts';
import { cpuBetween, cpuDifference, formatCpu, sampler, snapshot } from './support/thread-cpu.ts';
import { SMOKE, sized } from '../lib/mode.ts';

/**
 * Issue 6, item 6: Parley's file path against a bare RTCDataChannel send loop, between the same
 * two pages and on the same peer connection (camera and microphone flowing, as in a call). The
 * receiver is a Chromium of its own with an on-disk profile (support/persistent-browser.ts). Parley's figure is timed on the receiver's page from its click on Accept to the row
 * turning "done" (all bytes on disk in OPFS and the SHA-256 verified). The bare loop (see
 * support/bulk.ts) runs just before and just after it on the same connection, and the baseline
 * is the mean of the two. A warm-up loop first gets past a fresh connection's slow start. For
 * reference, the same loop also runs on a connection of its own with no media. Each phase's CPU
 * is printed per Chromium thread (support/thread-cpu.ts), to show where the time goes.
 */
const MiB = 1024 * 1024;
/** BENCH_THROUGHPUT_MIB fixes each phase's size; otherwise it is sized to the machine. */
const FIXED_MIB = process.env.BENCH_THROUGHPUT_MIB;
/** The largest phase (a fixed size replaces it). */
const SIZE = Number(FIXED_MIB ?? sized(200, 32, 1)) * MiB;
/**
 * Each phase is sized to take about this long at the warm-up bare loop's rate, up to SIZE. Two
 * Chromiums sending 720p video both ways can starve two cores down to under 1 MiB/s (against
 * 10-13 MiB/s on the same machine in earlier runs), and seven 200 MiB phases at that rate
 * cannot finish; a ratio of rates needs phases long enough to average over, not a fixed size.
 */
const PHASE_TARGET_S = 60;
const SMALLEST_PHASE = 16 * MiB;
/**
 * Smoke mode (figures mean nothing) runs no warm-ups, one phase of each kind (the bare loop
 * before Parley's transfer but not after it), and samples thread CPU once a second, not ten
 * times: every code path still runs once, at a fraction of the cost.
 */
const WARM_UP = sized(16, 16, 0) * MiB;
const GOAL_RATIO = 0.9;
/** Parley runs, each between two bare runs (smoke mode: after one). */
const ROUNDS = sized(3, 1, 1);
const CLOSING_BARE_RUN = !SMOKE;
const CPU_SAMPLE_MS = sized(100, 100, 1000);

async function joinedIn(context: BrowserContext, page: Page, roomUrl: string, name: string) {
  await instrument(context);
  await page.goto(roomUrl);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join call' }).click();
}

/** Starts V8's sampling profiler on a page's main thread (not its workers). */
async function startJsProfile(page: Page): Promise<(path: string) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
  return async (path) => {
    const { profile } = await cdp.send('Profiler.stop');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(profile));
    await cdp.detach();
  };
}

/**
 * Sends the file through Parley's UI. Returns MiB/s from Accept to verified, on the receiver,
 * and a line saying where that time went.
 */
async function parleyTransfer(sender: Page, receiver: Page, path: string, size: number) {
  const name = basename(path);
  await sender.getByRole('button', { name: 'Send file' }).click();
  await sender.getByLabel('Files to send').setInputFiles(path);
  const row = receiver
    .getByRole('list', { name: 'Transfers' })
    .getByRole('group', { name, exact: true });
  const accept = row.getByRole('button', { name: 'Accept' });
  await accept.waitFor();
  // Instants on the receiver's clock: the click on Accept, the first progress shown (progress
  // is drawn every 200 ms), data-state "verifying" (every byte in, and the sender's digest) and
  // "done" (written, hashed, compared). The figure is Accept → done; the rest shows where the
  // fixed costs are.
  type Timeline = { accepted: number; firstBytes: number; verifying: number; done: number };
  await receiver.evaluate((name) => {
    const w = window as unknown as { __benchTransfer: Promise<Timeline> };
    w.__benchTransfer = new Promise((resolve) => {
      const t: Timeline = {
        accepted: Number.NaN,
        firstBytes: Number.NaN,
        verifying: Number.NaN,
        done: Number.NaN,
      };
      document.addEventListener(
        'click',
        (event) => {
          if ((event.target as Element).closest('button')?.textContent?.trim() === 'Accept')
            t.accepted = performance.now();
        },
        { capture: true, once: true },
      );
      const observer = new MutationObserver(() => {
        const row = document.querySelector(`[role=group][aria-label="${name}"]`);
        const state = row?.getAttribute('data-state');
        const progress = Number(row?.querySelector('progress')?.getAttribute('value') ?? 0);
        if (progress > 0 && Number.isNaN(t.firstBytes)) t.firstBytes = performance.now();
        if (state === 'verifying' && Number.isNaN(t.verifying)) t.verifying = performance.now();
        if (state !== 'done') return;
        observer.disconnect();
        t.done = performance.now();
        resolve(t);
      });
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-state', 'value'],
      });
    });
  }, name);
  await accept.click();
  const { accepted, firstBytes, verifying, done } = await receiver.evaluate(
    () => (window as unknown as { __benchTransfer: Promise<Timeline> }).__benchTransfer,
  );
  const timeline = `${name}: Accept → first progress ${(firstBytes - accepted).toFixed(0)} ms, → all bytes in ${((verifying - accepted) / 1000).toFixed(2)} s, → verified ${(done - verifying).toFixed(0)} ms later`;
  await expect(row).toContainText('verified');
  return { MiBps: size / MiB / ((done - accepted) / 1000), timeline };
}

/** The bare loop on a connection of its own between two blank pages, no media. */
async function separateConnectionLoop(browser: Browser, origin: string, size: number) {
  const opened: BrowserContext[] = [];
  try {
    const a = await openBlankPage(browser, origin);
    const b = await openBlankPage(browser, origin);
    opened.push(a.context, b.context);
    await relay(a.page, b.page);
    await relay(b.page, a.page);
    await b.page.evaluate(bareCallPeer, { initiator: false, media: false });
    await a.page.evaluate(bareCallPeer, { initiator: true, media: false });
    await a.page.waitForFunction(
      () =>
        (window as unknown as { benchPc?: RTCPeerConnection }).benchPc?.sctp?.state === 'connected',
    );
    if (WARM_UP > 0) await bareLoop(a.page, b.page, 100, WARM_UP);
    return await bareLoop(a.page, b.page, 101, size);
  } finally {
    await Promise.all(opened.map((c) => c.close()));
  }
}

const SIZED_BY_MACHINE = FIXED_MIB === undefined && WARM_UP > 0;

test(`file transfer: Parley vs a bare RTCDataChannel loop, ${SIZED_BY_MACHINE ? 'up to ' : ''}${SIZE / MiB} MiB`, async ({
  browser,
  parley,
}) => {
  // About 2 GiB cross the connection in a full run (seven 200 MiB phases, the warm-ups and the
  // reference loops): some 4 min at the 10-13 MiB/s measured on a quiet machine, but one full
  // run at a load average of 15 crawled at 2 MiB/s and ran out of a 10 min limit.
  test.setTimeout(25 * 60_000);
  let file: { path: string; dir: string } | undefined;
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  // The sender is a context of the test's browser; the receiver, which writes to OPFS, is a
  // Chromium of its own with an on-disk profile, as a user's normal window would be.
  const adaContext = await browser.newContext();
  const ada = { context: adaContext, page: await adaContext.newPage() };
  const bob = await persistentBrowser();
  await joinedIn(ada.context, ada.page, roomUrl, 'Ada');
  await joinedIn(bob.context, bob.page, roomUrl, 'Bob');
  const browsers = { [bob.profile]: 'receiver' };
  try {
    await expect(ada.page.locator('[data-connection=connected]')).toHaveCount(1);
    await expect(bob.page.locator('[data-connection=connected]')).toHaveCount(1);

    // Per Parley run, where its time went: printed and kept in the notes.
    const timelines: string[] = [];
    // Smoke mode does not wait for the ramp (up to 90 s): its figures mean nothing anyway, and
    // the notes then say the video had not settled.
    const rampWaitMs = sized(90_000, 90_000, 0);
    const video = await Promise.all([
      steadyVideo(ada.page, rampWaitMs),
      steadyVideo(bob.page, rampWaitMs),
    ]);
    // The warm-ups run at full video too, so the bare loop's rate can size the phases.
    let warmUpRate: number | undefined;
    if (WARM_UP > 0) {
      warmUpRate = await bareLoop(ada.page, bob.page, 100, WARM_UP);
      // A small Parley transfer first, too: it loads the file code and opens the transfers
      // panel on both pages, which changes what the pages draw, so every measured run sees the
      // same UI.
      const warmUp = randomFile(WARM_UP, 'warm-up.bin');
      try {
        const { timeline } = await parleyTransfer(ada.page, bob.page, warmUp.path, WARM_UP);
        timelines.push(timeline);
      } finally {
        rmSync(warmUp.dir, { recursive: true, force: true });
      }
    }
    const size = phaseSize(warmUpRate);
    const payload = randomFile(size, 'payload.bin');
    file = payload;
    // Where each phase's CPU went, per Chromium thread: "receiver …" is Bob's Chromium.
    const profile: string[] = [];
    const cpu: Record<'bare' | 'parley' | 'other', [string, number][][]> = {
      bare: [],
      parley: [],
      other: [],
    };
    const profiled = async (kind: keyof typeof cpu, title: string, run: () => Promise<number>) => {
      const start = snapshot(browsers);
      const sampling = sampler(browsers, CPU_SAMPLE_MS);
      const startedAt = performance.now();
      const MiBps = await run();
      const seconds = (performance.now() - startedAt) / 1000;
      const rows = cpuBetween(start, sampling.stop());
      cpu[kind].push(rows);
      // The encoder may have scaled down under CPU pressure during the phase: say so.
      const video = await Promise.all([ada.page, bob.page].map((p) => describeOutgoingVideo(p)));
      const heading = `${title} (${MiBps.toFixed(1)} MiB/s; video out ${video.join(', ')})`;
      profile.push(formatCpu(heading, rows, seconds));
      return MiBps;
    };
    // Bare and Parley runs alternate, bare first and last: each Parley run sits between two
    // bare runs, so a slow drift of the machine shows in both. Each Parley run sends its own name (a hard link).
    const bareRuns: number[] = [];
    const parleyRuns: number[] = [];
    // BENCH_CPU_PROF=<dir>: a JS CPU profile of both pages during each of Parley's transfers.
    const profileDir = process.env.BENCH_CPU_PROF;
    for (let run = 1; run <= ROUNDS; run++) {
      bareRuns.push(
        await profiled('bare', `bare loop ${run}`, () =>
          bareLoop(ada.page, bob.page, 100 + run, size),
        ),
      );
      const path = join(payload.dir, `payload-${run}.bin`);
      linkSync(payload.path, path);
      const stopProfiles = profileDir
        ? await Promise.all([ada.page, bob.page].map((page) => startJsProfile(page)))
        : [];
      parleyRuns.push(
        await profiled('parley', `Parley ${run}`, async () => {
          const { MiBps, timeline } = await parleyTransfer(ada.page, bob.page, path, size);
          timelines.push(timeline);
          return MiBps;
        }),
      );
      await Promise.all(
        stopProfiles.map((stop, i) =>
          stop(join(profileDir ?? '.', `${i === 0 ? 'sender' : 'receiver'}-${run}.cpuprofile`)),
        ),
      );
    }
    if (CLOSING_BARE_RUN)
      bareRuns.push(
        await profiled('bare', `bare loop ${ROUNDS + 1}`, () =>
          bareLoop(ada.page, bob.page, 101 + ROUNDS, size),
        ),
      );
    // For reference: the bare loop again, sending the same file read as Parley reads it (4 MiB
    // Blob reads, the next during the sending of this one), to show what reading a file costs.
    await pickBenchFile(ada.page, payload.path);
    const bareFromFile = await profiled('other', 'file-reading bare loop', () =>
      bareLoop(ada.page, bob.page, 110, size, true),
    );
    console.log(timelines.join('\n'));
    console.log(`CPU per thread during each phase:\n${profile.join('\n')}`);
    const bare = mean(bareRuns);
    const parleyMiBps = mean(parleyRuns);
    await Promise.all([ada.context.close(), bob.close()]);
    const separate = await separateConnectionLoop(browser, parley.url, size);
    const list = (runs: number[]) => runs.map((x) => x.toFixed(1)).join(' / ');
    // Each Parley run against the two bare runs either side of it.
    const roundRatios = parleyRuns.map((x, i) => x / mean(bareRuns.slice(i, i + 2)));
    const cpuPerMiB = cpuDifference(cpu.bare, cpu.parley, size / MiB);
    console.log(cpuPerMiB.text);
    console.log(
      `Parley ${list(parleyRuns)} MiB/s; bare loop ${list(bareRuns)} MiB/s; reading the file ${bareFromFile.toFixed(1)} MiB/s; per round ${roundRatios.map((r) => r.toFixed(2)).join(' / ')}; separate connection ${separate.toFixed(1)} MiB/s`,
    );

    writeBenchResult({
      id: 'file-throughput',
      title: '6. File transfer throughput (headless Chromium, loopback)',
      rows: [
        {
          measure: `File transfer, ${size / MiB} MiB: Parley (Accept → verified)`,
          value: round(parleyMiBps),
          unit: 'MiB/s',
          baseline: { name: 'bare RTCDataChannel loop, same connection', value: round(bare) },
          ratio: ratio(parleyMiBps, bare),
          goal: `≥ ${GOAL_RATIO}× the bare loop`,
          met: parleyMiBps >= GOAL_RATIO * bare,
        },
        {
          measure: `  bare loop reading the same file from disk (same connection, once)`,
          value: round(bareFromFile),
          unit: 'MiB/s',
          baseline: { name: 'bare loop', value: round(bare) },
          ratio: ratio(bareFromFile, bare),
        },
        {
          measure: `  bare loop on a connection of its own, no media`,
          value: round(separate),
          unit: 'MiB/s',
        },
      ],
      notes: [
        `Same two pages, same RTCPeerConnection, camera and microphone flowing both ways. The receiver runs in a Chromium of its own with an on-disk profile, like a user's normal window (off-the-record contexts keep OPFS in memory and send every write to the browser process); the sender is a context of the test's browser. Parley: the UI's Send file / Accept, timed on the receiver's page from the click on Accept to the transfer's data-state "done" (written to OPFS, its digest verified).`,
        `Bare loop: a pre-negotiated ordered data channel on the same connection, 256 KiB messages, pause above 4 MiB bufferedAmount, resume on bufferedamountlow at 1 MiB; timed from the first send to the receiver counting the last byte. ${
          SMOKE
            ? `Smoke run: one bare loop (${list(bareRuns)} MiB/s), then one Parley transfer (${list(parleyRuns)} MiB/s), no warm-up.`
            : `Runs alternate, bare loop first and last (${list(bareRuns)} MiB/s) with Parley's transfers between them (${list(parleyRuns)} MiB/s); each figure is the mean of its runs. A ${WARM_UP / MiB} MiB bare loop and a ${WARM_UP / MiB} MiB Parley transfer ran first as a warm-up (the latter also opens the transfers panel, which every later run then shares).`
        }`,
        `Measured only once both senders' video had ramped up to full size (WebRTC raises an encoder's resolution over about 30 s, and phases measured during the ramp saw less video CPU than later ones): ${video.map((v) => `${v.frameSize} ${v.settled ? 'after' : 'NOT settled after'} ${(v.waitedMs / 1000).toFixed(0)} s`).join(', ')}.`,
        `CPU (all Chromium threads, from /proc): ${cpuPerMiB.text}`,
        `Where each Parley run's time went, on the receiver (progress is drawn every 200 ms and first after the first 4 MiB is on disk): ${timelines.join('; ')}.`,
        `Phase size: ${describeSize(size, warmUpRate)}.`,
        `Receiver memory for a 1 GiB file is measured by bench/file-memory.bench.ts (its own result file).`,
      ],
    });
  } finally {
    await Promise.all([ada.context.close(), bob.close()]);
    if (file) rmSync(file.dir, { recursive: true, force: true });
  }
});

/**
 * Each phase's size: BENCH_THROUGHPUT_MIB if given, else what the warm-up bare loop's rate
 * sends in PHASE_TARGET_S, in whole 4 MiB blocks (Parley's hash block), between SMALLEST_PHASE
 * and SIZE. Smoke mode runs no warm-up and keeps its tiny SIZE.
 */
function phaseSize(warmUpMiBps: number | undefined): number {
  if (FIXED_MIB !== undefined || warmUpMiBps === undefined) return SIZE;
  const fits = Math.floor((warmUpMiBps * PHASE_TARGET_S) / 4) * 4 * MiB;
  return Math.min(SIZE, Math.max(SMALLEST_PHASE, fits));
}

function describeSize(size: number, warmUpMiBps: number | undefined): string {
  if (FIXED_MIB !== undefined) return `${size / MiB} MiB, fixed by BENCH_THROUGHPUT_MIB`;
  if (warmUpMiBps === undefined) return `${size / MiB} MiB (no warm-up to size it by)`;
  return `${size / MiB} MiB: what the ${WARM_UP / MiB} MiB warm-up bare loop's ${warmUpMiBps.toFixed(1)} MiB/s sends in about ${PHASE_TARGET_S} s, within ${SMALLEST_PHASE / MiB}-${SIZE / MiB} MiB`;
}
