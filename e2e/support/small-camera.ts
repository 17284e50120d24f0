import { chromium, type Browser } from '@playwright/test';
import { writeY4m } from '../media-files.ts';
import { CHROMIUM_ARGS } from '../playwright.config.ts';

/**
 * A Chromium whose fake camera sends a small Y4M clip instead of the default 640x480 one, for
 * calls with several participants on two shared cores (see shared notes browser.md: 4 peers at
 * 640x480 saturate them). Every context of this browser sends the same clip. The caller closes it.
 */
export async function launchWithSmallCamera(
  size: { width: number; height: number } = { width: 160, height: 120 },
): Promise<Browser> {
  const clip = writeY4m({ ...size, fps: 15, frames: 30, y: 120, u: 90, v: 200 });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${clip}`],
  });
}
