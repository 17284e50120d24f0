import { createRoomId } from '@parley/protocol';
import { expectVideoPlaying, expect, test, tile } from './fixtures.ts';

test('screen share reaches the others as a presentation tile, stops cleanly, and reaches late joiners', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await expectVideoPlaying(tile(bob.page, 'Ada'));

  await ada.page.getByRole('button', { name: 'Share screen' }).click();
  // The bar's toggle (the "You are presenting" banner has a Stop sharing button too).
  const controls = ada.page.getByRole('navigation', { name: 'Call controls' });
  await expect(controls.getByRole('button', { name: 'Stop sharing' })).toBeVisible();
  const presentation = tile(bob.page, 'Screen shared by Ada');
  await expectVideoPlaying(presentation);
  await expectVideoPlaying(tile(bob.page, 'Ada')); // and the camera keeps going

  const carol = await joinAs(roomUrl, 'Carol');
  await expect(tile(carol.page, 'Screen shared by Ada').locator('video')).toHaveJSProperty(
    'readyState',
    4,
    { timeout: 20_000 },
  );

  await controls.getByRole('button', { name: 'Stop sharing' }).click();
  await expect(tile(bob.page, 'Screen shared by Ada')).toHaveCount(0);
  await expect(tile(carol.page, 'Screen shared by Ada')).toHaveCount(0);
  await expect(ada.page.getByRole('button', { name: 'Share screen' })).toBeVisible();
});

test('someone who joined without a camera can share a screen', async ({
  browser,
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  // Bob's machine has no camera or microphone: he joins receive-only. (Permission stays granted:
  // without it Chromium offers only mDNS host candidates, which cannot resolve in the loopback
  // namespace the tests run in; a real no-permission user gets server-reflexive/relay candidates.)
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('none', 'NotFoundError'));
  });
  try {
    await page.goto(roomUrl);
    await expect(page.getByRole('alert')).toContainText('No camera or microphone was found');
    await expect(page.getByText('You will join to watch and listen.')).toBeVisible();
    await page.getByLabel('Your name').fill('Bob');
    await page.getByRole('button', { name: 'Join call' }).click();
    await expectVideoPlaying(tile(page, 'Ada'));
    await page.getByRole('button', { name: 'Share screen' }).click();
    await expectVideoPlaying(tile(ada.page, 'Screen shared by Bob'));
  } finally {
    await context.close();
  }
});

test('chat reaches everyone in order, as text, with an unread badge', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  const carol = await joinAs(roomUrl, 'Carol');
  for (const page of [ada.page, bob.page, carol.page]) {
    await expect(page.locator('[data-connection=connected]')).toHaveCount(2);
  }
  let dialogs = 0;
  for (const page of [bob.page, carol.page]) page.on('dialog', () => dialogs++);

  await ada.page.getByRole('button', { name: 'Chat' }).click();
  const box = ada.page.getByLabel('Message', { exact: true });
  const texts = ['first', 'second <img src=x onerror=alert(1)>', 'third'];
  await box.fill(texts[0]!);
  await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
  for (const text of texts.slice(1)) {
    await box.fill(text);
    await box.press('Enter');
  }

  for (const page of [bob.page, carol.page]) {
    await expect(page.getByRole('button', { name: /Chat.*3 unread/ })).toBeVisible();
    await page.getByRole('button', { name: /^Chat/ }).click();
    const log = page.getByRole('log');
    await expect(log.locator('.chat-text')).toHaveText(texts);
    await expect(log.locator('.chat-sender').first()).toHaveText('Ada');
    await expect(log.locator('img')).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^Chat/ })).not.toContainText('unread');
  }
  await expect(ada.page.getByRole('log').locator('.chat-sender')).toHaveText(['You', 'You', 'You']);
  expect(dialogs).toBe(0);
});
