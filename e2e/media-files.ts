import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './support/scratch-dir.ts';

/**
 * Writes a small Y4M clip for Chromium's fake camera (--use-file-for-fake-video-capture): a
 * flat colour with a moving bar so that every frame differs. Meshes of 3+ peers use 320x240 to
 * spare the two CPU cores.
 */
export function writeY4m(options: {
  width: number;
  height: number;
  fps: number;
  frames: number;
  y: number;
  u: number;
  v: number;
}): string {
  const { width, height, fps, frames } = options;
  const dir = scratchDir('parley-y4m-');
  const path = join(dir, `fake-${width}x${height}.y4m`);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const lumaSize = width * height;
  const chromaSize = (width / 2) * (height / 2);
  const parts: Buffer[] = [header];
  for (let f = 0; f < frames; f++) {
    const frame = Buffer.alloc(lumaSize + 2 * chromaSize);
    frame.fill(options.y, 0, lumaSize);
    const barX = Math.floor((f / frames) * (width - 16));
    for (let row = 0; row < height; row++)
      frame.fill(235, row * width + barX, row * width + barX + 16);
    frame.fill(options.u, lumaSize, lumaSize + chromaSize);
    frame.fill(options.v, lumaSize + chromaSize);
    parts.push(Buffer.from('FRAME\n'), frame);
  }
  writeFileSync(path, Buffer.concat(parts));
  return path;
}
