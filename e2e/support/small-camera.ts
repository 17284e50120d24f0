import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { writeY4m } from '../media-files.ts';
import { CHROMIUM_ARGS } from '../playwright.config.ts';
import { scratchDir } from './scratch-dir.ts';

/**
 * A Chromium whose fake camera sends a small Y4M clip instead of the default 640x480 one, for
 * calls with several participants on two shared cores (see shared notes browser.md: 4 peers at
 * 640x480 saturate them). Every context of this browser sends the same clip. With
 * `steadyTone`, the fake microphone sends a continuous tone instead of Chromium's beep (on
 * about 30 % of the time), so any moment's audio level is loud unless muted. The caller
 * closes the browser.
 */
export async function launchWithSmallCamera(
  options: { width?: number; height?: number; fps?: number; steadyTone?: boolean } = {},
): Promise<Browser> {
  const { width = 160, height = 120, fps = 15 } = options;
  const clip = writeY4m({ width, height, fps, frames: 2 * fps, y: 120, u: 90, v: 200 });
  const audio = options.steadyTone ? [`--use-file-for-fake-audio-capture=${writeToneWav()}`] : [];
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${clip}`, ...audio],
  });
}

/** One second of a 440 Hz sine at half scale, 48 kHz mono 16-bit PCM (Chromium loops it). */
function writeToneWav(): string {
  const rate = 48_000;
  const samples = rate;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(16_384 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16); // PCM format chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28); // bytes per second
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  const path = join(scratchDir('parley-wav-'), 'tone-440hz.wav');
  writeFileSync(path, Buffer.concat([header, data]));
  return path;
}
