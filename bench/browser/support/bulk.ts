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
}

type BenchWindow = {
  __benchPcs?: RTCPeerConnection[];
  benchPc?: RTCPeerConnection;
  __benchBulkDone?: Promise<number>;
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
async function sendBulk({ id, total }: BulkOptions): Promise<number> {
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
  for (let sent = 0; sent < total;) {
    if (channel.bufferedAmount > high) {
      await new Promise<void>((resolve) => (channel.onbufferedamountlow = () => resolve()));
      continue;
    }
    const size = Math.min(chunk.length, total - sent);
    channel.send(size === chunk.length ? chunk : chunk.subarray(0, size));
    sent += size;
  }
  return started;
}

/** Sends `total` bytes from `sender` to `receiver`; returns MiB/s from first send to last byte. */
export async function bareLoop(
  sender: Page,
  receiver: Page,
  id: number,
  total: number,
): Promise<number> {
  await receiver.evaluate(receiveBulk, { id, total });
  const started = await sender.evaluate(sendBulk, { id, total });
  const done = await receiver.evaluate(() => (window as unknown as BenchWindow).__benchBulkDone);
  if (done === undefined) throw new Error('the receiver was not set up');
  return total / (1024 * 1024) / ((done - started) / 1000);
}
