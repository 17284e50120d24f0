import type { Page } from '@playwright/test';

/**
 * Waits until the page's outgoing video has ramped up: WebRTC starts an encoder small (here
 * 480x270) and raises the resolution step by step over about 30 s, to the capture's full size,
 * with the encode cost growing about fourfold on the way. A throughput phase measured during the
 * ramp competes with less video than one measured after it, so phases compare fairly only
 * once every sender is at full size and no longer limited. Resolves with what it saw, or with
 * `settled: false` after `timeoutMs` (the caller reports it).
 */
export async function steadyVideo(
  page: Page,
  timeoutMs = 90_000,
): Promise<{ settled: boolean; frameSize: string; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const state = await outgoingVideo(page);
    const frameSize = state?.sent ? `${state.sent.width}x${state.sent.height}` : 'none';
    const settled =
      !!state?.sent &&
      state.sent.width >= state.capture.width &&
      state.sent.height >= state.capture.height &&
      state.sent.limited === 'none';
    const waitedMs = Date.now() - started;
    if (settled || waitedMs > timeoutMs) return { settled, frameSize, waitedMs };
    await page.waitForTimeout(500); // polling getStats: there is no event for an encoder's resize
  }
}

/** The page's outgoing video right now: capture size, encoded size, and why it is limited. */
export function outgoingVideo(page: Page): Promise<
  | {
      capture: { width: number; height: number };
      sent: { width: number; height: number; fps: number; limited: string } | undefined;
    }
  | undefined
> {
  return page.evaluate(async () => {
    const w = window as unknown as { __benchPcs?: RTCPeerConnection[] };
    const pc = w.__benchPcs?.find((p) => p.connectionState === 'connected');
    if (!pc) return undefined;
    const capture = pc
      .getSenders()
      .find((s) => s.track?.kind === 'video')
      ?.track?.getSettings();
    let sent: { width: number; height: number; fps: number; limited: string } | undefined;
    (await pc.getStats()).forEach((report: Record<string, unknown>) => {
      if (report.type === 'outbound-rtp' && report.kind === 'video')
        sent = {
          width: Number(report.frameWidth ?? 0),
          height: Number(report.frameHeight ?? 0),
          fps: Number(report.framesPerSecond ?? 0),
          limited: String(report.qualityLimitationReason ?? 'none'),
        };
    });
    return { capture: { width: capture?.width ?? 0, height: capture?.height ?? 0 }, sent };
  });
}

/** "1280x720@20" (plus why, when the encoder is holding back) for a log line. */
export async function describeOutgoingVideo(page: Page): Promise<string> {
  const sent = (await outgoingVideo(page))?.sent;
  if (!sent) return 'no video';
  const limited = sent.limited === 'none' ? '' : ` limited by ${sent.limited}`;
  return `${sent.width}x${sent.height}@${sent.fps}${limited}`;
}
