import type { BrowserContext, Page } from '@playwright/test';

/**
 * Instrumentation the benches inject into a page before its own scripts run
 * (`context.addInitScript`), so Parley's app and the bare baseline pages are measured by the
 * same code without the app exposing anything:
 *
 * - every RTCPeerConnection is kept in `window.__benchPcs` (for getStats and for a bare data
 *   channel on the app's own connection);
 * - the first of each milestone becomes a User Timing mark on the page's clock, next to the
 *   app's own `parley:*` marks: `bench:local-offer|answer`, `bench:remote-offer|answer` (the
 *   description applied), `bench:sdp-done` (both applied), `bench:ice-connected`,
 *   `bench:dtls-connected` (connectionState "connected": ICE and the DTLS handshake done) and
 *   `bench:channel-open`;
 * - getUserMedia calls are timed into `window.__benchGumMs`, and the constraints of the last
 *   one are kept in `window.__benchGumConstraints` (so a baseline can ask for the same).
 *
 * The app takes `RTCPeerConnection` from the global when its module runs (webrtc-polyfill's
 * browser build), which is after init scripts, so it gets the instrumented class.
 */
export function instrumentWebRtc(): void {
  const w = window as unknown as {
    __benchPcs: RTCPeerConnection[];
    __benchGumMs: number[];
    __benchGumConstraints?: MediaStreamConstraints;
    RTCPeerConnection: typeof RTCPeerConnection;
  };
  if (w.__benchPcs) return;
  const pcs: RTCPeerConnection[] = [];
  const gumMs: number[] = [];
  w.__benchPcs = pcs;
  w.__benchGumMs = gumMs;
  const once = (name: string) => {
    if (performance.getEntriesByName(name, 'mark').length === 0) performance.mark(name);
  };

  const Native = window.RTCPeerConnection;
  class Instrumented extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      pcs.push(this);
      once('bench:pc-created');
      this.addEventListener('signalingstatechange', () => {
        if (this.signalingState === 'stable' && this.localDescription && this.remoteDescription)
          once('bench:sdp-done');
      });
      this.addEventListener('iceconnectionstatechange', () => {
        if (this.iceConnectionState === 'connected' || this.iceConnectionState === 'completed')
          once('bench:ice-connected');
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') once('bench:dtls-connected');
      });
      const onChannel = (channel: RTCDataChannel) => {
        if (channel.readyState === 'open') once('bench:channel-open');
        else channel.addEventListener('open', () => once('bench:channel-open'));
      };
      this.addEventListener('datachannel', (event) => onChannel(event.channel));
      const create = this.createDataChannel.bind(this);
      this.createDataChannel = (label, options) => {
        const channel = create(label, options);
        onChannel(channel);
        return channel;
      };
    }

    override async setLocalDescription(description?: RTCLocalSessionDescriptionInit) {
      await super.setLocalDescription(description);
      once(`bench:local-${this.localDescription?.type ?? 'unknown'}`);
    }

    override async setRemoteDescription(description: RTCSessionDescriptionInit) {
      await super.setRemoteDescription(description);
      once(`bench:remote-${description.type ?? 'unknown'}`);
    }
  }
  w.RTCPeerConnection = Instrumented;

  const devices = navigator.mediaDevices;
  if (devices) {
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      w.__benchGumConstraints = JSON.parse(JSON.stringify(constraints ?? {}));
      const started = performance.now();
      const stream = await getUserMedia(constraints);
      gumMs.push(performance.now() - started);
      return stream;
    };
  }
}

export async function instrument(context: BrowserContext): Promise<void> {
  await context.addInitScript(instrumentWebRtc);
}

/** Every mark on the page (first of each name), in ms on the page's clock. */
export function marksOf(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const marks: Record<string, number> = {};
    for (const entry of performance.getEntriesByType('mark')) marks[entry.name] ??= entry.startTime;
    return marks;
  });
}

/** Resolves once `name` has been marked on the page. */
export async function waitForMark(page: Page, name: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (mark) => performance.getEntriesByName(mark, 'mark').length > 0,
    name,
    { timeout, polling: 50 },
  );
}
