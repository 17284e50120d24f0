import { writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { createRoomId, MAX_CHAT_LENGTH } from '@parley/protocol';
import { PEER_RATE_LIMITS } from '../apps/web/src/call/trust/peer-message-gate.ts';
import { MAX_PENDING_OFFERS_PER_PEER } from '../apps/web/src/call/files/file-transfers.ts';
import { MAX_CHAT_LINES } from '../apps/web/src/state/flood-caps.ts';
import { expect, test, tile } from './fixtures.ts';

/**
 * Issue 14: one data-channel message (a chat with `sentAt: 1e300`) blanked every page in the
 * call. Here a hostile participant records the real messages its own app sends on the data
 * channel, then sends thousands of mutated and flooded copies straight down that channel. The
 * victim must stay rendered and usable, with no uncaught error.
 */

/** Records every string the app sends on its peer data channel, and keeps the channel. */
function recordDataChannel(): void {
  const w = window as unknown as { __sent: string[]; __channels: RTCDataChannel[] };
  w.__sent = [];
  w.__channels = [];
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
    if (this.label === 'parley' && typeof data === 'string') {
      w.__sent.push(data);
      if (!w.__channels.includes(this)) w.__channels.push(this);
    }
    return send.call(this, data);
  };
}

/** Sends mutated and flooded copies of the recorded messages; returns how many were sent. */
async function attack(page: Page): Promise<{ sent: number; kinds: string[] }> {
  return page.evaluate(async (maxChat) => {
    const w = window as unknown as { __sent: string[]; __channels: RTCDataChannel[] };
    const channel = w.__channels[0]!;
    const recorded = [...new Set(w.__sent)].map(
      (text) => JSON.parse(text) as Record<string, unknown>,
    );
    const huge = 'x'.repeat(200 * 1024);
    const hostileValues: unknown[] = [
      1e300,
      -1e300,
      Number.MAX_VALUE,
      -1,
      0.5,
      2 ** 53 + 2,
      null,
      true,
      false,
      '',
      huge,
      'x'.repeat(maxChat + 1),
      '\u202e\u0000<img src=x onerror=alert(1)>',
      [],
      [1, 2],
      {},
      { a: { b: 1 } },
    ];
    let sent = 0;
    // The channel's own backpressure: never queue more than a few MiB (the SCTP send queue is ~16 MiB).
    const push = async (data: string | ArrayBuffer) => {
      while (channel.bufferedAmount > 4 * 1024 * 1024)
        await new Promise((resolve) => setTimeout(resolve, 5));
      channel.send(data as string);
      sent++;
    };
    for (const message of recorded) {
      for (const key of Object.keys(message)) {
        for (const value of hostileValues) await push(JSON.stringify({ ...message, [key]: value }));
        const { [key]: _missing, ...rest } = message;
        await push(JSON.stringify(rest));
      }
      await push(JSON.stringify({ ...message, extra: huge.slice(0, 1000) }));
      await push(JSON.stringify({ ...message, sentAt: 1e300 }));
      await push(JSON.stringify([message]));
      await push(JSON.stringify(message).slice(0, -1));
    }
    for (const junk of ['', 'null', '{}', '{"type":"chat"}', huge, '{'.repeat(10_000)])
      await push(junk);
    await push(new ArrayBuffer(1024));
    // Floods of valid messages: chat lines, media-state flips, file offers with fresh IDs.
    const chat = recorded.find((m) => m.type === 'chat');
    const offer = recorded.find((m) => m.type === 'file-offer');
    const media = recorded.find((m) => m.type === 'media-state');
    for (let i = 0; i < 3000; i++) {
      if (chat) await push(JSON.stringify({ ...chat, id: `flood${i}`, text: `flood ${i}` }));
      if (offer)
        await push(JSON.stringify({ ...offer, transferId: `flood${String(i).padStart(8, '0')}` }));
      if (media) await push(JSON.stringify({ ...media, audio: i % 2 === 0 }));
    }
    return { sent, kinds: recorded.map((m) => String(m.type)) };
  }, MAX_CHAT_LENGTH);
}

test('a hostile peer flooding mutated copies of real data-channel messages cannot break the victim', async ({
  joinAs,
  parley,
}) => {
  test.setTimeout(180_000);
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const victim = await joinAs(roomUrl, 'Victim');
  const errors: string[] = [];
  victim.page.on('pageerror', (error) => errors.push(String(error)));
  const mallory = await joinAs(roomUrl, 'Mallory', undefined, async (context) => {
    await context.addInitScript(recordDataChannel);
  });
  await expect(tile(victim.page, 'Mallory')).toHaveAttribute('data-connection', 'connected');
  await expect(tile(mallory.page, 'Victim')).toHaveAttribute('data-connection', 'connected');

  // Mallory's app sends the real messages once: media state (on connect), chat, a file offer.
  await mallory.page.getByRole('button', { name: 'Chat' }).click();
  await mallory.page.getByLabel('Message', { exact: true }).fill('hello from Mallory');
  await mallory.page.getByRole('button', { name: 'Send', exact: true }).click();
  await victim.page.getByRole('button', { name: /^Chat/ }).click();
  await expect(victim.page.getByRole('log', { name: 'Chat messages' })).toContainText(
    'hello from Mallory',
  );
  const file = test.info().outputPath('note.txt');
  writeFileSync(file, 'a small file');
  await mallory.page.getByRole('button', { name: 'Send file' }).click();
  await mallory.page.getByLabel('Files to send').setInputFiles(file);
  await expect(victim.page.getByRole('group', { name: 'note.txt', exact: true })).toBeVisible();

  const { sent, kinds } = await attack(mallory.page);
  expect(kinds).toEqual(expect.arrayContaining(['media-state', 'chat', 'file-offer']));
  expect(sent).toBeGreaterThan(5000);
  console.log(`hostile peer sent ${sent} messages`);

  // The victim counted what it dropped; wait for its report, which means it has read them all.
  const blocked = victim.page.locator('.blocked-messages');
  await expect
    .poll(async () => Number(await blocked.getAttribute('data-blocked')), { timeout: 120_000 })
    .toBeGreaterThan(sent - 3000 - PEER_RATE_LIMITS.media.burst);
  console.log(`victim blocked ${await blocked.getAttribute('data-blocked')} messages`);

  // Still rendered: both tiles, the controls, the chat with bounded lines and the chat burst.
  await expect(tile(victim.page, 'Victim (you)')).toBeVisible();
  await expect(tile(victim.page, 'Mallory')).toBeVisible();
  await expect(victim.page.getByRole('button', { name: 'Leave' })).toBeVisible();
  const lines = victim.page.getByRole('log', { name: 'Chat messages' }).getByRole('listitem');
  expect(await lines.count()).toBeLessThanOrEqual(
    Math.min(
      MAX_CHAT_LINES,
      1 + PEER_RATE_LIMITS.chat.burst + 60 * PEER_RATE_LIMITS.chat.perSecond,
    ),
  );
  const offers = victim.page.getByRole('list', { name: 'Transfers' }).getByRole('group');
  if ((await offers.count()) > 0)
    expect(await offers.count()).toBeLessThanOrEqual(MAX_PENDING_OFFERS_PER_PEER);
  await expect(victim.page.locator('body')).not.toContainText('could not be shown');
  await victim.page.screenshot({ path: test.info().outputPath('victim-after-flood.png') });

  // Chat works both ways afterwards. Mallory's chat bucket is empty after the flood; it refills
  // one message every 1/perSecond seconds, so a person typing afterwards gets through.
  // One side panel shows at a time: sending the file put Mallory's Files panel in front of chat.
  for (const page of [victim.page, mallory.page]) {
    if (!(await page.getByRole('log', { name: 'Chat messages' }).isVisible()))
      await page.getByRole('button', { name: /^Chat/ }).click();
  }
  await victim.page.getByLabel('Message', { exact: true }).fill('still here');
  await victim.page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(mallory.page.getByRole('log', { name: 'Chat messages' })).toContainText(
    'still here',
  );
  await mallory.page.waitForTimeout(1000 / PEER_RATE_LIMITS.chat.perSecond + 100);
  await mallory.page.getByLabel('Message', { exact: true }).fill('sorry about that');
  await mallory.page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(victim.page.getByRole('log', { name: 'Chat messages' })).toContainText(
    'sorry about that',
  );
  expect(errors).toEqual([]);
});

test('a panel whose render throws shows a short note; the rest of the call stays up', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');
  await bob.page.getByRole('button', { name: 'Chat' }).click();
  await bob.page.getByLabel('Message', { exact: true }).fill('hi');
  await bob.page.getByRole('button', { name: 'Send', exact: true }).click();
  // Make time formatting throw on Ada's page, as a hostile timestamp once did.
  await ada.page.evaluate(() => {
    const w = window as unknown as { __format?: PropertyDescriptor | undefined };
    w.__format = Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, 'format');
    Object.defineProperty(Intl.DateTimeFormat.prototype, 'format', {
      configurable: true,
      get: () => () => {
        throw new RangeError('Invalid time value');
      },
    });
  });
  await ada.page.getByRole('button', { name: /^Chat/ }).click();
  await expect(
    ada.page.getByRole('alert').filter({ hasText: 'Chat could not be shown.' }),
  ).toBeVisible();
  await expect(tile(ada.page, 'Bob')).toBeVisible();
  await expect(ada.page.getByRole('button', { name: 'Leave' })).toBeVisible();
  for (const [name, size] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    await ada.page.setViewportSize(size);
    await ada.page.screenshot({ path: test.info().outputPath(`render-guard-${name}.png`) });
  }
  await ada.page.evaluate(() => {
    const w = window as unknown as { __format: PropertyDescriptor };
    Object.defineProperty(Intl.DateTimeFormat.prototype, 'format', w.__format);
  });
  await ada.page.getByRole('button', { name: 'Try again' }).click();
  await expect(ada.page.getByRole('log', { name: 'Chat messages' })).toContainText('hi');
});
