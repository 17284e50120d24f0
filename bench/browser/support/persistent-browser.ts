import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { benchChromiumArgs } from './bench-chromium.ts';

/**
 * A Chromium of its own with a persistent (on-disk) profile, like a user's normal window.
 * Playwright's `browser.newContext()` is off the record, and there Chromium keeps OPFS in
 * memory and sends every write to the browser process over IPC: a receiver measured that way
 * measures the test setup, not what a user's browser does with the bytes.
 */
export async function persistentBrowser(): Promise<{
  context: BrowserContext;
  page: Page;
  /** The profile folder: it appears on the command line of every process of this Chromium. */
  profile: string;
  close(): Promise<void>;
}> {
  const profile = mkdtempSync(join(tmpdir(), 'parley-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: benchChromiumArgs(),
    permissions: ['camera', 'microphone'],
    acceptDownloads: false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    profile,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
