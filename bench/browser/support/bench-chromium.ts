import { writeY4m } from '../../../e2e/media-files.ts';
import { CHROMIUM_ARGS } from '../../../e2e/playwright.config.ts';
import { SMOKE } from '../../lib/mode.ts';

let smallClip: string | undefined;

/**
 * Chromium's command line for the browser benches: the e2e suite's. In smoke mode the fake
 * camera sends a 160x120 clip at 5 fps instead of 640x480 at 20 (the same 4:3 shape): smoke
 * figures mean nothing, and two pages encoding, decoding and compositing video both ways starve
 * everything else on two cores, the data channel of the file bench included (a 1 MiB smoke
 * transfer took a minute at 720p; at 160x120 and 15 fps compositing alone still took a core).
 */
export const SMOKE_FPS = 5;

export function benchChromiumArgs(): string[] {
  if (!SMOKE) return CHROMIUM_ARGS;
  smallClip ??= writeY4m({
    width: 160,
    height: 120,
    fps: SMOKE_FPS,
    frames: 2 * SMOKE_FPS,
    y: 120,
    u: 90,
    v: 200,
  });
  return [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${smallClip}`];
}
