import { randomFillSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../../e2e/support/scratch-dir.ts';

/**
 * A Y4M clip of random noise for Chromium's fake camera (--use-file-for-fake-video-capture).
 * Noise does not compress, so the encoder always wants more than any cap: a sender that stays
 * within the budget does so because the cap holds, not because the picture was easy.
 */
export function writeNoiseY4m(width: number, height: number, fps: number, frames: number): string {
  const dir = scratchDir('parley-noise-');
  const path = join(dir, `noise-${width}x${height}.y4m`);
  const frameBytes = width * height * 1.5; // 4:2:0
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const parts: Buffer[] = [header];
  for (let f = 0; f < frames; f++)
    parts.push(Buffer.from('FRAME\n'), randomFillSync(Buffer.alloc(frameBytes)));
  writeFileSync(path, Buffer.concat(parts));
  return path;
}
