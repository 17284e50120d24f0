import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, truncateSync, writeFileSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, ParleyProcess, test } from './fixtures.ts';

const MiB = 1024 * 1024;

/**
 * A file of random bytes on disk, and its SHA-256. It lives in the test's own output folder,
 * which Playwright empties at the start of every run, so 200 MiB files do not pile up in /tmp.
 */
function makeFile(name: string, size: number): { path: string; sha256: string; size: number } {
  const path = test.info().outputPath(name);
  const bytes = Buffer.allocUnsafe(size);
  for (let offset = 0; offset < size; offset += 64 * MiB)
    randomFillSync(bytes, offset, Math.min(64 * MiB, size - offset));
  writeFileSync(path, bytes);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), size };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function inCall(page: Page, others: number): Promise<void> {
  await expect(page.locator('[data-connection=connected]')).toHaveCount(others);
}

async function offer(page: Page, path: string, to = 'Everyone'): Promise<void> {
  await page.getByRole('button', { name: 'Send file' }).click();
  await page.getByLabel('Send to').selectOption({ label: to });
  await page.getByLabel('Files to send').setInputFiles(path);
}

function transfer(page: Page, name: string) {
  return page.getByRole('list', { name: 'Transfers' }).getByRole('group', { name, exact: true });
}

/** Accepts on the receiver, waits for "verified", downloads it and returns the saved path. */
async function acceptAndSave(page: Page, name: string): Promise<string> {
  const row = transfer(page, name);
  await row.getByRole('button', { name: 'Accept' }).click();
  await expect(row).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(row).toContainText('verified');
  const download = page.waitForEvent('download');
  await row.getByRole('link', { name: `Save ${name}` }).click();
  return (await (await download).path())!;
}

test('a 200 MiB file goes to one peer only after Accept, and the saved bytes hash the same', async ({
  joinAs,
  parley,
}, testInfo) => {
  test.setTimeout(180_000);
  const file = makeFile('big.bin', 200 * MiB);
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await inCall(ada.page, 1);

  await offer(ada.page, file.path, 'Bob');
  const incoming = transfer(bob.page, 'big.bin');
  await expect(incoming).toContainText('from Ada');
  await expect(incoming).toContainText('200 MiB');
  await expect(transfer(ada.page, 'big.bin')).toHaveAttribute('data-bytes-sent', '0');

  const started = Date.now();
  const saved = await acceptAndSave(bob.page, 'big.bin');
  const seconds = (Date.now() - started) / 1000;
  expect(await sha256Of(saved)).toBe(file.sha256);
  await expect(transfer(ada.page, 'big.bin')).toHaveAttribute('data-state', 'done');
  const mibPerSecond = (200 / seconds).toFixed(1);
  testInfo.annotations.push({ type: 'file-throughput-MiB/s', description: mibPerSecond });
  console.log(`200 MiB accept → verified: ${seconds.toFixed(1)} s, ${mibPerSecond} MiB/s`);
});

test('one file to two peers at once: each gets its own verified copy', async ({
  joinAs,
  parley,
}) => {
  test.setTimeout(180_000);
  const file = makeFile('shared.bin', 200 * MiB);
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  const cy = await joinAs(roomUrl, 'Cy');
  await inCall(ada.page, 2);

  await offer(ada.page, file.path);
  await expect(ada.page.getByRole('list', { name: 'Transfers' }).getByRole('group')).toHaveCount(2);
  const [bobSaved, cySaved] = await Promise.all([
    acceptAndSave(bob.page, 'shared.bin'),
    acceptAndSave(cy.page, 'shared.bin'),
  ]);
  expect(await sha256Of(bobSaved)).toBe(file.sha256);
  expect(await sha256Of(cySaved)).toBe(file.sha256);
});

test('Decline means no data flows; Cancel stops both sides', async ({ joinAs, parley }) => {
  const file = makeFile('nope.bin', 64 * MiB);
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await inCall(ada.page, 1);

  await offer(ada.page, file.path, 'Bob');
  await transfer(bob.page, 'nope.bin').getByRole('button', { name: 'Decline' }).click();
  await expect(transfer(ada.page, 'nope.bin')).toHaveAttribute('data-state', 'declined');
  await expect(transfer(ada.page, 'nope.bin')).toHaveAttribute('data-bytes-sent', '0');

  const big = makeFile('stop.bin', 200 * MiB);
  await ada.page.getByLabel('Files to send').setInputFiles(big.path);
  const receiving = transfer(bob.page, 'stop.bin');
  await receiving.getByRole('button', { name: 'Accept' }).click();
  await expect(receiving).toHaveAttribute('data-state', 'transferring');
  await receiving.getByRole('button', { name: 'Cancel' }).click();
  await expect(receiving).toHaveAttribute('data-state', 'cancelled');
  await expect(transfer(ada.page, 'stop.bin')).toHaveAttribute('data-state', 'cancelled');
});

/** Records the page's file data channels so a test can cut one mid-transfer. */
async function recordFileChannels(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const channels: RTCDataChannel[] = [];
    (window as unknown as { __fileChannels: RTCDataChannel[] }).__fileChannels = channels;
    const create = RTCPeerConnection.prototype.createDataChannel;
    RTCPeerConnection.prototype.createDataChannel = function (
      this: RTCPeerConnection,
      label: string,
      init?: RTCDataChannelInit,
    ) {
      const channel = create.call(this, label, init);
      if (label.startsWith('file-')) channels.push(channel);
      return channel;
    };
  });
}

test('a transfer resumes from where it stopped when its data channel drops', async ({
  joinAs,
  parley,
}) => {
  test.setTimeout(180_000);
  const file = makeFile('resume.bin', 200 * MiB);
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob', undefined, recordFileChannels);
  await inCall(ada.page, 1);

  await offer(ada.page, file.path, 'Bob');
  const row = transfer(bob.page, 'resume.bin');
  await row.getByRole('button', { name: 'Accept' }).click();
  const progress = row.getByRole('progressbar');
  await expect
    .poll(async () => Number(await progress.getAttribute('value')), { timeout: 60_000 })
    .toBeGreaterThan(60 * MiB);

  // Cut the data channel mid-transfer.
  await bob.page.evaluate(() =>
    (window as unknown as { __fileChannels: RTCDataChannel[] }).__fileChannels.at(-1)?.close(),
  );
  await expect(row).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(row).toContainText('verified');
  const download = bob.page.waitForEvent('download');
  await row.getByRole('link', { name: 'Save resume.bin' }).click();
  expect(await sha256Of((await (await download).path())!)).toBe(file.sha256);

  await expect(transfer(ada.page, 'resume.bin')).toHaveAttribute('data-state', 'done');
  const bytesSent = Number(await transfer(ada.page, 'resume.bin').getAttribute('data-bytes-sent'));
  const resent = bytesSent - file.size;
  console.log(
    `resume: re-sent ${(resent / MiB).toFixed(1)} MiB of 200 MiB (${((resent / file.size) * 100).toFixed(1)}%)`,
  );
  expect(bytesSent).toBeGreaterThanOrEqual(file.size);
  expect(resent).toBeLessThan(file.size * 0.1);
  expect(
    await bob.page.evaluate(
      () => (window as unknown as { __fileChannels: RTCDataChannel[] }).__fileChannels.length,
    ),
  ).toBeGreaterThan(1);
});

test('an offer over the admin size limit is refused without asking the receiver', async ({
  joinAs,
}) => {
  const server = new ParleyProcess({ MAX_FILE_BYTES: String(MiB) });
  await server.start();
  try {
    const file = makeFile('too-big.bin', 2 * MiB);
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada');
    const bob = await joinAs(roomUrl, 'Bob');
    await inCall(ada.page, 1);
    await offer(ada.page, file.path, 'Bob');
    await expect(transfer(bob.page, 'too-big.bin')).toContainText(
      'Refused: larger than the 1.0 MiB limit',
    );
    await expect(
      transfer(bob.page, 'too-big.bin').getByRole('button', { name: 'Accept' }),
    ).toHaveCount(0);
    await expect(transfer(ada.page, 'too-big.bin')).toContainText(
      'larger than the receiver accepts',
    );
  } finally {
    await server.stop();
  }
});

test('a file larger than the browser storage can hold fails at Accept, before any byte is sent', async ({
  joinAs,
}) => {
  // A sparse 1 TiB file: no disk is used, and no browser profile here has that much quota.
  const server = new ParleyProcess({ MAX_FILE_BYTES: String(2 * 1024 ** 4) });
  await server.start();
  try {
    const path = test.info().outputPath('enormous.bin');
    writeFileSync(path, '');
    truncateSync(path, 1024 ** 4);
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada');
    const bob = await joinAs(roomUrl, 'Bob');
    await inCall(ada.page, 1);
    await offer(ada.page, path, 'Bob');
    const row = transfer(bob.page, 'enormous.bin');
    await row.getByRole('button', { name: 'Accept' }).click();
    await expect(row).toHaveAttribute('data-state', 'failed');
    await expect(row).toContainText(
      /Not enough browser storage for this file: it needs 1.0 TiB and [\d.]+ [KMGT]?i?B is free/,
    );
    await expect(transfer(ada.page, 'enormous.bin')).toHaveAttribute('data-state', 'failed');
    await expect(transfer(ada.page, 'enormous.bin')).toHaveAttribute('data-bytes-sent', '0');
  } finally {
    await server.stop();
  }
});
