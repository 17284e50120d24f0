import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { expect, test, type Locator, type Page } from '@playwright/test';

/** Files on disk and the Files panel, shared by every spec that sends files. */

export const MiB = 1024 * 1024;

/** SHA-256 of a file on disk, streamed (saved files can be hundreds of MiB). */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface RandomFile {
  path: string;
  sha256: string;
  size: number;
}

/**
 * A file of random bytes on disk, and its SHA-256. It lives in the running test's output
 * folder, which Playwright empties at the start of every run, so big files do not pile up.
 */
export function makeRandomFile(name: string, size: number): RandomFile {
  const path = test.info().outputPath(name);
  const bytes = Buffer.allocUnsafe(size);
  for (let offset = 0; offset < size; offset += 64 * MiB)
    randomFillSync(bytes, offset, Math.min(64 * MiB, size - offset));
  writeFileSync(path, bytes);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), size };
}

/** What can be offered: paths on disk, or in-memory files (any name, even with slashes). */
export type OfferedFiles = string | string[] | Array<{ name: string; text: string }>;

/** One participant's Files panel: offering, and the rows of the Transfers list. */
export class FilesPanel {
  constructor(readonly page: Page) {}

  /** The Transfers list: one row (group) per transfer, named by its file. */
  get transfers(): Locator {
    return this.page.getByRole('list', { name: 'Transfers' });
  }

  /** The row of the transfer of `name` (the exact file name as shown). */
  transfer(name: string): Locator {
    return this.transfers.getByRole('group', { name, exact: true });
  }

  /** Opens the panel, picks the recipient ("Everyone" or a name) and offers the files. */
  async offer(files: OfferedFiles, to = 'Everyone'): Promise<void> {
    await this.page.getByRole('button', { name: 'Send file' }).click();
    await this.page.getByLabel('Send to').selectOption({ label: to });
    await this.offerMore(files);
  }

  /** Offers more files with the panel already open and its recipient already chosen. */
  async offerMore(files: OfferedFiles): Promise<void> {
    const input = this.page.getByLabel('Files to send');
    if (typeof files === 'string' || typeof files[0] === 'string') {
      await input.setInputFiles(files as string | string[]);
    } else {
      await input.setInputFiles(
        (files as Array<{ name: string; text: string }>).map(({ name, text }) => ({
          name,
          mimeType: 'text/plain',
          buffer: Buffer.from(text),
        })),
      );
    }
  }

  /** Clicks Accept on the incoming transfer of `name`. */
  async accept(name: string): Promise<Locator> {
    const row = this.transfer(name);
    await row.getByRole('button', { name: 'Accept' }).click();
    return row;
  }

  /** Waits until the transfer of `name` is done and its hash verified. */
  async expectVerified(name: string, timeout?: number): Promise<void> {
    const row = this.transfer(name);
    await expect(row).toHaveAttribute('data-state', 'done', timeout ? { timeout } : {});
    await expect(row).toContainText('verified');
  }

  /**
   * Saves the verified file of `name` through its Save link. Returns where Playwright put the
   * download and the name the browser suggested (the link's `download` attribute).
   */
  async save(name: string): Promise<{ path: string; suggestedName: string }> {
    const link = this.transfer(name).getByRole('link', { name: `Save ${name}` });
    // Saved under the name shown, which the app has already made safe to save.
    await expect(link).toHaveAttribute('download', name);
    const download = this.page.waitForEvent('download');
    await link.click();
    const saved = await download;
    return { path: (await saved.path())!, suggestedName: saved.suggestedFilename() };
  }

  /** Accept, wait for "verified" (within `timeout`), then save: what a receiver does. */
  async acceptAndSave(
    name: string,
    timeout?: number,
  ): Promise<{ path: string; suggestedName: string }> {
    await this.accept(name);
    await this.expectVerified(name, timeout);
    return this.save(name);
  }
}
