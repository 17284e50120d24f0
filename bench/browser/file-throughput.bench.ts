import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, test } from '../../e2e/fixtures.ts';
import { ratio, writeBenchResult } from '../lib/result.ts';
import { round } from '../lib/stats.ts';
import { openBlankPage, bareCallPeer, relay } from './support/bare-call.ts';
import { bareLoop } from './support/bulk.ts';
import { instrument } from './support/instrument.ts';

/**
 * Issue 6, item 6: Parley's file path against a bare RTCDataChannel send loop, in the same two
 * browser contexts and on the same peer connection (camera and microphone flowing, as in a
 * call). Parley's figure is timed on the receiver's page from its click on Accept to the row
 * turning "done" (all bytes on disk in OPFS and the SHA-256 verified). The bare loop (see
 * support/bulk.ts) runs just before and just after it on the same connection, and the baseline
 * is the mean of the two. A warm-up loop first gets past a fresh connection's slow start. For
 * reference, the same loop also runs on a connection of its own with no media.
 */
const QUICK = process.env.BENCH_QUICK === '1';
const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_THROUGHPUT_MIB ?? (QUICK ? 32 : 200)) * MiB;
const WARM_UP = 16 * MiB;
const GOAL_RATIO = 0.9;

function randomFile(size: number): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-throughput-'));
  const path = join(dir, 'payload.bin');
  const fd = openSync(path, 'w');
  const block = Buffer.allocUnsafe(16 * MiB);
  for (let written = 0; written < size; written += block.length)
    writeSync(fd, randomFillSync(block), 0, Math.min(block.length, size - written));
  closeSync(fd);
  return { path, dir };
}

async function joined(browser: Browser, roomUrl: string, name: string) {
  const context = await browser.newContext();
  await instrument(context);
  const page = await context.newPage();
  await page.goto(roomUrl);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join call' }).click();
  return { context, page };
}

/** Sends the file through Parley's UI; returns MiB/s from Accept to verified, on the receiver. */
async function parleyTransfer(sender: Page, receiver: Page, path: string, size: number) {
  await sender.getByRole('button', { name: 'Send file' }).click();
  await sender.getByLabel('Files to send').setInputFiles(path);
  const row = receiver
    .getByRole('list', { name: 'Transfers' })
    .getByRole('group', { name: 'payload.bin', exact: true });
  const accept = row.getByRole('button', { name: 'Accept' });
  await accept.waitFor();
  // Both instants on the receiver's clock: the click on Accept, and data-state becoming "done".
  await receiver.evaluate(() => {
    const w = window as unknown as { __benchTransfer: Promise<{ accepted: number; done: number }> };
    w.__benchTransfer = new Promise((resolve) => {
      let accepted = Number.NaN;
      document.addEventListener(
        'click',
        (event) => {
          if ((event.target as Element).closest('button')?.textContent?.trim() === 'Accept')
            accepted = performance.now();
        },
        { capture: true, once: true },
      );
      const observer = new MutationObserver(() => {
        const state = document
          .querySelector('[role=group][aria-label="payload.bin"]')
          ?.getAttribute('data-state');
        if (state !== 'done') return;
        observer.disconnect();
        resolve({ accepted, done: performance.now() });
      });
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-state'],
      });
    });
  });
  await accept.click();
  const { accepted, done } = await receiver.evaluate(
    () =>
      (window as unknown as { __benchTransfer: Promise<{ accepted: number; done: number }> })
        .__benchTransfer,
  );
  await expect(row).toContainText('verified');
  return size / MiB / ((done - accepted) / 1000);
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
    await bareLoop(a.page, b.page, 100, WARM_UP);
    return await bareLoop(a.page, b.page, 101, size);
  } finally {
    await Promise.all(opened.map((c) => c.close()));
  }
}

test(`file transfer: Parley vs a bare RTCDataChannel loop, ${SIZE / MiB} MiB`, async ({
  browser,
  parley,
}) => {
  test.setTimeout(10 * 60_000);
  const file = randomFile(SIZE);
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joined(browser, roomUrl, 'Ada');
  const bob = await joined(browser, roomUrl, 'Bob');
  try {
    await expect(ada.page.locator('[data-connection=connected]')).toHaveCount(1);
    await expect(bob.page.locator('[data-connection=connected]')).toHaveCount(1);

    await bareLoop(ada.page, bob.page, 100, WARM_UP);
    const before = await bareLoop(ada.page, bob.page, 101, SIZE);
    const parleyMiBps = await parleyTransfer(ada.page, bob.page, file.path, SIZE);
    const after = await bareLoop(ada.page, bob.page, 102, SIZE);
    const bare = (before + after) / 2;
    await Promise.all([ada.context.close(), bob.context.close()]);
    const separate = await separateConnectionLoop(browser, parley.url, SIZE);
    console.log(
      `Parley ${parleyMiBps.toFixed(1)} MiB/s; bare loop ${before.toFixed(1)} / ${after.toFixed(1)} MiB/s; separate connection ${separate.toFixed(1)} MiB/s`,
    );

    writeBenchResult({
      id: 'file-throughput',
      title: '6. File transfer throughput (headless Chromium, loopback)',
      rows: [
        {
          measure: `File transfer, ${SIZE / MiB} MiB: Parley (Accept → verified)`,
          value: round(parleyMiBps),
          unit: 'MiB/s',
          baseline: { name: 'bare RTCDataChannel loop, same connection', value: round(bare) },
          ratio: ratio(parleyMiBps, bare),
          goal: `≥ ${GOAL_RATIO}× the bare loop`,
          met: parleyMiBps >= GOAL_RATIO * bare,
        },
        {
          measure: `  bare loop on a connection of its own, no media`,
          value: round(separate),
          unit: 'MiB/s',
        },
      ],
      notes: [
        `Same two browser contexts, same RTCPeerConnection, camera and microphone flowing both ways. Parley: the UI's Send file / Accept, timed on the receiver's page from the click on Accept to the transfer's data-state "done" (written to OPFS, SHA-256 verified).`,
        `Bare loop: a pre-negotiated ordered data channel on the same connection, 256 KiB messages, pause above 4 MiB bufferedAmount, resume on bufferedamountlow at 1 MiB; timed from the first send to the receiver counting the last byte. It ran right before (${round(before)} MiB/s) and right after (${round(after)} MiB/s) Parley's transfer; the baseline is their mean. A ${WARM_UP / MiB} MiB warm-up loop ran first.`,
        `Receiver memory for a 1 GiB file is measured by bench/file-memory.bench.ts (its own result file).`,
      ],
    });
  } finally {
    await Promise.all([ada.context.close(), bob.context.close()]);
    rmSync(file.dir, { recursive: true, force: true });
  }
});
