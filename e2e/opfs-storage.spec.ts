import { writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { OPFS_DIRECTORY } from '../apps/web/src/call/files/opfs-sink-messages.ts';
import { expect, test, tile } from './fixtures.ts';

/** Every file under OPFS_DIRECTORY as "folder/name" → size in bytes. */
function listIncoming(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async (dir) => {
    type Dir = FileSystemDirectoryHandle & {
      entries(): AsyncIterable<[string, FileSystemHandle]>;
    };
    const out: Record<string, number> = {};
    const root = await navigator.storage.getDirectory();
    const base = (await root.getDirectoryHandle(dir).catch(() => undefined)) as Dir | undefined;
    if (!base) return out;
    for await (const [name, handle] of base.entries()) {
      if (handle.kind === 'file') {
        out[name] = (await (handle as FileSystemFileHandle).getFile()).size;
        continue;
      }
      for await (const [inner, file] of (handle as Dir).entries())
        if (file.kind === 'file')
          out[`${name}/${inner}`] = (await (file as FileSystemFileHandle).getFile()).size;
    }
    return out;
  }, OPFS_DIRECTORY);
}

test('OPFS: a file is claimed as bytes arrive, and cleanup spares another open tab', async ({
  joinAs,
  parley,
}) => {
  test.setTimeout(120_000);
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  // Another tab of Ada's browser with a download of its own, and leftovers of a closed tab.
  const otherTab = await ada.page.context().newPage();
  await otherTab.goto(parley.url);
  await otherTab.evaluate(async (dir) => {
    const root = await navigator.storage.getDirectory();
    const base = await root.getDirectoryHandle(dir, { create: true });
    const write = async (folder: string | undefined, name: string) => {
      const parent = folder ? await base.getDirectoryHandle(folder, { create: true }) : base;
      const writable = await (await parent.getFileHandle(name, { create: true })).createWritable();
      await writable.write(new Uint8Array(1000));
      await writable.close();
    };
    // Held for as long as this tab lives, as the app holds its own.
    void navigator.locks.request('parley-opfs-tab:LIVE', () => new Promise(() => undefined));
    await write('LIVE', 'download-in-progress');
    await write('STALE', 'left-behind');
    await write(undefined, 'old-layout');
  }, OPFS_DIRECTORY);

  const bob = await joinAs(roomUrl, 'Bob', undefined, async (context) => {
    await context.addInitScript(() => {
      const w = window as unknown as { __channel?: RTCDataChannel };
      const send = RTCDataChannel.prototype.send;
      RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
        if (this.label === 'parley') w.__channel = this;
        return send.call(this, data);
      };
    });
  });
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');
  await expect.poll(() => bob.page.evaluate(() => '__channel' in window)).toBe(true);

  // A real file from Bob loads Ada's transfer code, which clears leftovers.
  const file = test.info().outputPath('small.txt');
  writeFileSync(file, 'hello');
  await bob.page.getByRole('button', { name: 'Send file' }).click();
  await bob.page.getByLabel('Files to send').setInputFiles(file);
  const small = ada.page.getByRole('group', { name: 'small.txt', exact: true });
  await small.getByRole('button', { name: 'Accept' }).click();
  await expect(small).toContainText('verified');
  await expect.poll(() => listIncoming(ada.page)).not.toHaveProperty(['STALE/left-behind']);
  const after = await listIncoming(ada.page);
  expect(after['LIVE/download-in-progress']).toBe(1000);
  expect(after).not.toHaveProperty(['old-layout']);
  const own = Object.keys(after).filter((path) => !path.startsWith('LIVE/'));
  expect(own.map((path) => after[path])).toEqual([5]); // the file Ada received, in her folder

  // An offer announcing 100 MiB, from a peer that then sends nothing: accepting claims nothing.
  const big = 100 * 1024 * 1024;
  await bob.page.evaluate((size) => {
    const w = window as unknown as { __channel: RTCDataChannel };
    w.__channel.send(
      JSON.stringify({
        type: 'file-offer',
        transferId: 'bigoffer1',
        name: 'big.bin',
        size,
        mime: '',
      }),
    );
  }, big);
  const offer = ada.page.getByRole('group', { name: 'big.bin', exact: true });
  await offer.getByRole('button', { name: 'Accept' }).click();
  await expect
    .poll(async () =>
      Object.keys(await listIncoming(ada.page)).find((p) => p.endsWith('/bigoffer1')),
    )
    .toBeDefined();
  const sizes = await listIncoming(ada.page);
  const claimed = Object.entries(sizes).find(([path]) => path.endsWith('/bigoffer1'))?.[1];
  expect(claimed).toBe(0);
  await otherTab.close();
});
