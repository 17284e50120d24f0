import { writeY4m } from '../../../e2e/media-files.ts';
import { CHROMIUM_ARGS } from '../../../e2e/playwright.config.ts';
import { SMOKE } from '../../lib/mode.ts';

let smallClip: string | undefined;

/**
 * Chromium's command line for the browser benches: the e2e suite's. In smoke mode the fake
 * camera sends a 160x120 clip instead of 640x480 (the same 4:3 shape): smoke figures mean
 * nothing, and two pages encoding and decoding 720p both ways starve everything else on two
 * cores, the data channel of the file bench included (a 1 MiB smoke transfer took a minute).
 */
export function benchChromiumArgs(): string[] {
  if (!SMOKE) return CHROMIUM_ARGS;
  smallClip ??= writeY4m({ width: 160, height: 120, fps: 15, frames: 30, y: 120, u: 90, v: 200 });
  return [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${smallClip}`];
}
