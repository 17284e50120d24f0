import { expect } from '@playwright/test';

/** What one participant tile shows right now, read the same way in Chromium and in Firefox. */
export interface TileProbe {
  /** data-connection: "connected", "connecting", … ("self" for our own tile). */
  connection: string | null;
  videoWidth: number;
  currentTime: number;
  /**
   * Frames the element has presented: the largest of getVideoPlaybackQuality's count, Firefox's
   * mozPaintedFrames and a requestVideoFrameCallback count kept on the element. Firefox leaves
   * getVideoPlaybackQuality at 0 for a MediaStream source (measured here), so it alone would
   * say a playing Firefox video shows nothing.
   */
  framesShown: number;
  /** The receiver's framesDecoded from getStats (data-frames-decoded). */
  framesDecoded: number;
  /** Audio RTP packets received from that participant (data-audio-packets). */
  audioPackets: number;
  /** Mean luma (0–255) of the current frame scaled to 32x24; black video is about 0–16. */
  meanLuma: number;
}

/** Brighter than any black frame (limited-range black is 16). */
export const NOT_BLACK_LUMA = 24;

/**
 * Runs in the page (Playwright's or puppeteer's evaluate serialises it), so it must not use
 * anything from this module. Undefined while the tile or its video is not there yet.
 */
export function probeTile(label: string): TileProbe | undefined {
  const tile = Array.from(document.querySelectorAll('[role="group"]')).find(
    (element) => element.getAttribute('aria-label') === label,
  );
  const video = tile?.querySelector('video');
  if (!tile || !video) return undefined;
  let meanLuma = 0;
  if (video.videoWidth > 0) {
    const canvas = document.createElement('canvas');
    canvas.width = 32;
    canvas.height = 24;
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4)
      sum += 0.299 * pixels[i]! + 0.587 * pixels[i + 1]! + 0.114 * pixels[i + 2]!;
    meanLuma = sum / (pixels.length / 4);
  }
  function countPresentedFrames(element: HTMLVideoElement): number {
    const counted = element as HTMLVideoElement & { parleyFrames?: number };
    if (counted.parleyFrames === undefined && 'requestVideoFrameCallback' in element) {
      counted.parleyFrames = 0;
      const next = () => {
        counted.parleyFrames! += 1;
        element.requestVideoFrameCallback(next);
      };
      element.requestVideoFrameCallback(next);
    }
    return counted.parleyFrames ?? 0;
  }
  return {
    connection: tile.getAttribute('data-connection'),
    videoWidth: video.videoWidth,
    currentTime: video.currentTime,
    framesShown: Math.max(
      video.getVideoPlaybackQuality().totalVideoFrames,
      (video as { mozPaintedFrames?: number }).mozPaintedFrames ?? 0,
      countPresentedFrames(video),
    ),
    framesDecoded: Number(tile.getAttribute('data-frames-decoded') ?? 0),
    audioPackets: Number(tile.getAttribute('data-audio-packets') ?? 0),
    meanLuma,
  };
}

/** Reads `probeTile(label)` in some browser's page (Chromium or Firefox). */
export type ProbeIn = (label: string) => Promise<TileProbe | undefined>;

/**
 * The video of `label`'s tile plays and is not black: it has decoded dimensions, its clock and
 * both frame counts advance, its audio packets keep arriving, and a frame is brighter than black.
 * Browser-neutral twin of fixtures.ts's expectVideoPlaying (which needs a Playwright page).
 */
export async function expectTilePlaying(probe: ProbeIn, label: string): Promise<void> {
  const read = async () => {
    const now = await probe(label);
    if (!now) throw new Error(`no video tile named ${label}`);
    return now;
  };
  await expect.poll(async () => (await probe(label))?.videoWidth ?? 0).toBeGreaterThan(0);
  const start = await read();
  await expect.poll(async () => (await read()).currentTime).toBeGreaterThan(start.currentTime);
  await expect.poll(async () => (await read()).framesShown).toBeGreaterThan(start.framesShown);
  if (start.connection !== null && start.connection !== 'self') {
    await expect
      .poll(async () => (await read()).framesDecoded)
      .toBeGreaterThan(start.framesDecoded);
    await expect.poll(async () => (await read()).audioPackets).toBeGreaterThan(start.audioPackets);
  }
  await expect.poll(async () => (await read()).meanLuma).toBeGreaterThan(NOT_BLACK_LUMA);
}
