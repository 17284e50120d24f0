import type { Page } from '@playwright/test';

/**
 * A bare RTCDataChannel send loop: the baseline for Parley's file path. It opens a
 * pre-negotiated channel (`id`, on both sides) on a connection the page already has, in
 * `window.__benchPcs` (support/instrument.ts) or `window.benchPc` (support/bare-call.ts), and
 * sends `total` bytes in 256 KiB messages (the best size measured here) with the usual
 * backpressure: pause above 4 MiB queued, resume on `bufferedamountlow` at 1 MiB (Parley's
 * thresholds too). The receiver only counts bytes. Times are epoch ms (timeOrigin + now), so the
 * two pages' clocks compare. Each in-page function is self-contained (Playwright sends it alone).
 */
interface BulkOptions {
  id: number;
  total: number;
  /** Send the bytes of the file picked into `window.__benchFileInput` (4 MiB reads), not memory. */
  fromFile?: boolean;
}

type BenchWindow = {
  __benchPcs?: RTCPeerConnection[];
  benchPc?: RTCPeerConnection;
  __benchBulkDone?: Promise<number>;
  __benchFileInput?: HTMLInputElement;
};

/** Receiver: opens the channel and counts; `window.__benchBulkDone` yields the last byte's time. */
async function receiveBulk({ id, total }: BulkOptions): Promise<void> {
  const w = window as unknown as BenchWindow;
  const pc = w.benchPc ?? w.__benchPcs?.find((p) => p.connectionState === 'connected');
  if (!pc) throw new Error('no connected RTCPeerConnection on this page');
  const channel = pc.createDataChannel(`bench-bulk-${id}`, { negotiated: true, id, ordered: true });
  channel.binaryType = 'arraybuffer';
  w.__benchBulkDone = new Promise((resolve) => {
    let received = 0;
    channel.onmessage = (event: MessageEvent<ArrayBuffer>) => {
      received += event.data.byteLength;
      if (received < total) return;
      resolve(performance.timeOrigin + performance.now());
      channel.close();
    };
  });
}

/** Sender: waits for the channel to open, sends everything, returns when sending started. */
async function sendBulk({ id, total, fromFile }: BulkOptions): Promise<number> {
  const w = window as unknown as BenchWindow;
  const pc = w.benchPc ?? w.__benchPcs?.find((p) => p.connectionState === 'connected');
  if (!pc) throw new Error('no connected RTCPeerConnection on this page');
  const channel = pc.createDataChannel(`bench-bulk-${id}`, { negotiated: true, id, ordered: true });
  if (channel.readyState !== 'open')
    await new Promise<void>((resolve) => (channel.onopen = () => resolve()));
  const chunk = new Uint8Array(256 * 1024);
  for (let at = 0; at < chunk.length; at += 65536)
    crypto.getRandomValues(chunk.subarray(at, at + 65536));
  channel.bufferedAmountLowThreshold = 1024 * 1024;
  const high = 4 * 1024 * 1024;
  const started = performance.timeOrigin + performance.now();
  const file = fromFile ? w.__benchFileInput?.files?.[0] : undefined;
  if (fromFile && !file) throw new Error('no file picked into window.__benchFileInput');
  // From a file: read 4 MiB blocks (the next one while this one is sent) and send views of them.
  const block = 4 * 1024 * 1024;
  const read = (source: Blob, at: number) =>
    source
      .slice(at, Math.min(total, at + block))
      .arrayBuffer()
      .then((buffer) => new Uint8Array(buffer));
  let current = file ? await read(file, 0) : chunk;
  let currentAt = 0;
  let next = file && block < total ? read(file, block) : undefined;
  for (let sent = 0; sent < total;) {
    if (channel.bufferedAmount > high) {
      await new Promise<void>((resolve) => (channel.onbufferedamountlow = () => resolve()));
      continue;
    }
    if (file && next && sent >= currentAt + current.length) {
      current = await next;
      currentAt += block;
      next = currentAt + block < total ? read(file, currentAt + block) : undefined;
    }
    const size = Math.min(chunk.length, total - sent);
    if (file) channel.send(current.subarray(sent - currentAt, sent - currentAt + size));
    else channel.send(size === chunk.length ? chunk : chunk.subarray(0, size));
    sent += size;
  }
  return started;
}

/**
 * Sends `total` bytes from `sender` to `receiver`; returns MiB/s from first send to last byte.
 * `fromFile`: the bytes come from a file picked with `pickBenchFile` first, read as Parley does.
 */
export async function bareLoop(
  sender: Page,
  receiver: Page,
  id: number,
  total: number,
  fromFile = false,
): Promise<number> {
  await receiver.evaluate(receiveBulk, { id, total });
  const started = await sender.evaluate(sendBulk, { id, total, fromFile });
  const done = await receiver.evaluate(() => (window as unknown as BenchWindow).__benchBulkDone);
  if (done === undefined) throw new Error('the receiver was not set up');
  return total / (1024 * 1024) / ((done - started) / 1000);
}

/** Puts a file on disk into a hidden file input of the page, for `bareLoop(..., fromFile)`. */
export async function pickBenchFile(page: Page, path: string): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    if (w.__benchFileInput) return;
    const input = document.createElement('input');
    input.type = 'file';
    input.hidden = true;
    input.id = 'bench-file-input';
    document.body.append(input);
    w.__benchFileInput = input;
  });
  await page.locator('#bench-file-input').setInputFiles(path);
}
