import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A file of `size` random bytes (incompressible, so nothing on the way can shortcut it) in a
 * fresh temp folder, written 16 MiB at a time. The caller removes `dir` when done.
 */
export function randomFile(size: number, name: string): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const block = Buffer.allocUnsafe(16 * 1024 * 1024);
  try {
    for (let written = 0; written < size; written += block.length)
      writeSync(fd, randomFillSync(block), 0, Math.min(block.length, size - written));
  } finally {
    closeSync(fd);
  }
  return { path, dir };
}
