import type { Browser, BrowserContext, Page } from '@playwright/test';
import { instrument } from './instrument.ts';

/**
 * The baseline for a call: two plain RTCPeerConnections in two fresh browser contexts, no app,
 * no server. Signalling goes page → Playwright → page (a couple of loopback hops, like a
 * WebSocket relay). Pages are served at the Parley origin by Playwright itself (a routed blank
 * page), so they are a secure context with camera permission but run none of Parley's code.
 */
export const BLANK_PATH = '/__bench/blank';

export async function openBlankPage(
  browser: Browser,
  origin: string,
): Promise<{
  context: BrowserContext;
  page: Page;
}> {
  const context = await browser.newContext();
  await instrument(context);
  await context.route(`${origin}${BLANK_PATH}`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }),
  );
  const page = await context.newPage();
  await page.goto(`${origin}${BLANK_PATH}`);
  return { context, page };
}

/** Connects `from`'s `benchSend(message)` to `to`'s `benchReceive(message)`. */
export async function relay(from: Page, to: Page): Promise<void> {
  await from.exposeFunction('benchSend', (message: unknown) =>
    to.evaluate(
      (m) => (window as unknown as { benchReceive(m: unknown): void }).benchReceive(m),
      message,
    ),
  );
}

/**
 * Runs in the page: a minimal peer. Messages are handled strictly in order (a candidate can
 * only be added once the description it belongs to is set). The initiator offers at once;
 * each side shows the first remote video in a <video> and marks `bench:first-remote-frame` on
 * its `loadeddata`, as Parley does.
 */
export function bareCallPeer(options: { initiator: boolean; media: boolean }): void {
  const w = window as unknown as {
    benchStream?: MediaStream;
    benchPc?: RTCPeerConnection;
    benchSend(message: unknown): Promise<void>;
    benchReceive(message: {
      sdp?: RTCSessionDescriptionInit;
      candidate?: RTCIceCandidateInit;
    }): void;
  };
  let queue = Promise.resolve();
  const make = () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    w.benchPc = pc;
    const stream = w.benchStream;
    if (options.media && stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
    pc.onicecandidate = (event) => {
      if (event.candidate) void w.benchSend({ candidate: event.candidate.toJSON() });
    };
    pc.ontrack = (event) => {
      if (event.track.kind !== 'video') return;
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.onloadeddata = () => performance.mark('bench:first-remote-frame');
      video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      document.body.append(video);
    };
    return pc;
  };
  w.benchReceive = (message) => {
    queue = queue.then(async () => {
      if (message.sdp) {
        const pc = w.benchPc ?? make();
        await pc.setRemoteDescription(message.sdp);
        if (message.sdp.type === 'offer') {
          await pc.setLocalDescription();
          await w.benchSend({ sdp: pc.localDescription?.toJSON() });
        }
      } else if (message.candidate) {
        await w.benchPc?.addIceCandidate(message.candidate);
      }
    });
  };
  if (!options.initiator) return;
  performance.mark('bench:join-clicked');
  const pc = make();
  pc.createDataChannel('bench'); // Parley's links carry a data channel too
  queue = queue.then(async () => {
    await pc.setLocalDescription();
    await w.benchSend({ sdp: pc.localDescription?.toJSON() });
  });
}
