import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh folder under the system temp dir that is removed when this process exits, for files
 * that must outlive one test (a fake-camera clip Chromium reads, a compiled helper) but not the
 * run: without this, every run left its folders behind in /tmp.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
