import { createRoomId } from '@parley/protocol';
import { expect, test, tile } from './fixtures.ts';

/** Issue 13's behaviours beyond layout: presence, chat, devices and controls. */

test('the lobby says who is in the call; joins and leaves are announced; People lists everyone', async ({
  joinAs,
  browser,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  await expect(ada.page.getByRole('status')).toHaveText('Connected');

  const context = await browser.newContext();
  try {
    const bob = await context.newPage();
    await bob.goto(roomUrl);
    await expect(bob.getByText('Ada is in this call.')).toBeVisible();
    await bob.getByLabel('Your name').fill('Bob');
    await bob.getByRole('button', { name: 'Join call' }).click();

    await expect(ada.page.getByText('Bob joined')).toBeVisible();
    // People already in the room when we arrive did not just join: no toast for them.
    await expect(tile(bob, 'Ada')).toHaveAttribute('data-connection', 'connected');
    await expect(bob.getByText('Ada joined')).toHaveCount(0);

    await ada.page.getByRole('button', { name: 'People' }).click();
    const people = ada.page.getByRole('region', { name: 'People' });
    await expect(people.getByRole('heading', { name: 'People (2)' })).toBeVisible();
    const bobRow = people.getByRole('listitem').filter({ hasText: 'Bob' });
    await expect(bobRow).toContainText('Connected');
    await expect(bobRow.getByRole('img', { name: 'Microphone on' })).toBeVisible();
    await bob.getByRole('button', { name: 'Microphone' }).click();
    await expect(bobRow.getByRole('img', { name: 'Microphone off' })).toBeVisible();

    await bob.getByRole('button', { name: 'Leave' }).click();
    await expect(ada.page.getByText('Bob left')).toBeVisible();
    await expect(people.getByRole('heading', { name: 'People (1)' })).toBeVisible();
  } finally {
    await context.close();
  }
});

test('chat: only http(s) addresses become links, a preview and the unread count show while closed, the box takes focus and Escape closes', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');

  await bob.page.getByRole('button', { name: /^Chat/ }).click();
  const bobBox = bob.page.getByLabel('Message', { exact: true });
  await expect(bobBox).toBeFocused();
  const text = 'notes at https://example.org/a?b=1, not javascript:alert(1) nor data:text/html,x';
  await bobBox.fill(text);
  await bobBox.press('Enter');

  await expect(ada.page.getByText(`Bob: ${text}`)).toBeVisible();
  await expect(ada.page).toHaveTitle('(1) Parley');

  await ada.page.keyboard.press('c');
  const box = ada.page.getByLabel('Message', { exact: true });
  await expect(box).toBeFocused();
  await expect(ada.page).toHaveTitle('Parley');
  const log = ada.page.getByRole('log');
  await expect(log.locator('.chat-text')).toHaveText([text]);
  const links = log.getByRole('link');
  await expect(links).toHaveCount(1);
  await expect(links).toHaveText('https://example.org/a?b=1');
  await expect(links).toHaveAttribute('href', 'https://example.org/a?b=1');
  await expect(links).toHaveAttribute('target', '_blank');
  await expect(links).toHaveAttribute('rel', 'noopener noreferrer');

  await box.press('Escape');
  await expect(ada.page.getByRole('log')).toHaveCount(0);
  await expect(ada.page.getByRole('button', { name: /^Chat/ })).toBeFocused();
});

test('controls: icons with on/off states and shortcut tooltips; no Share screen without getDisplayMedia', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada', undefined, async (context) => {
    await context.addInitScript(() => {
      // As on phones: the browser has no screen capture at all.
      delete (MediaDevices.prototype as { getDisplayMedia?: unknown }).getDisplayMedia;
    });
  });
  const page = ada.page;
  const mic = page.getByRole('button', { name: 'Microphone' });
  await expect(mic).toHaveAttribute('aria-pressed', 'true');
  await expect(mic.locator('svg')).toHaveCount(1);
  const tooltip = page.getByText('Turn off microphone (M)');
  await expect(tooltip).toHaveCSS('opacity', '0');
  await mic.hover();
  await expect(tooltip).toHaveCSS('opacity', '1');
  await mic.click();
  await expect(mic).toHaveAttribute('aria-pressed', 'false');
  await expect(mic).toHaveClass(/tone-off/);
  await expect(page.getByText('Turn on microphone (M)')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Share screen' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Leave' })).toBeVisible();
});

test('after a camera permission denial, Try again asks again and the lobby recovers', async ({
  browser,
  parley,
}) => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      // The first request is refused, as when someone clicks Block; the next is answered.
      const real = MediaDevices.prototype.getUserMedia;
      let asked = 0;
      MediaDevices.prototype.getUserMedia = function (constraints) {
        asked++;
        return asked === 1
          ? Promise.reject(new DOMException('denied', 'NotAllowedError'))
          : real.call(this, constraints);
      };
    });
    const page = await context.newPage();
    await page.goto(`${parley.url}/r/${createRoomId()}`);
    await expect(page.getByRole('alert')).toContainText('blocked');
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(page.getByLabel('Your camera preview')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Join call' })).toBeEnabled();
  } finally {
    await context.close();
  }
});

test('the speaker picker routes remote audio where Chromium lists outputs', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  await joinAs(roomUrl, 'Bob');
  const bobVideo = tile(ada.page, 'Bob').locator('video');
  await expect(bobVideo).toHaveJSProperty('readyState', 4);
  const outputs = await ada.page.evaluate(async () =>
    (await navigator.mediaDevices.enumerateDevices())
      .filter((d) => d.kind === 'audiooutput' && d.deviceId)
      .map((d) => d.deviceId),
  );
  await ada.page.getByRole('button', { name: 'Devices' }).click();
  const picker = ada.page.getByRole('combobox', { name: 'Speaker' });
  if (outputs.length === 0) {
    // Nothing to pick from: the picker is rightly absent.
    await expect(picker).toHaveCount(0);
    test.skip(true, 'this Chromium lists no audio outputs here, so there is no speaker to pick');
    return;
  }
  await expect(picker).toBeVisible();
  const target = outputs.find((id) => id !== 'default') ?? outputs[0]!;
  await picker.selectOption(target === 'default' ? '' : target);
  await expect
    .poll(() => bobVideo.evaluate((v: HTMLVideoElement & { sinkId: string }) => v.sinkId))
    .toBe(target === 'default' ? '' : target);
  await ada.page.getByRole('button', { name: 'Test speaker' }).click();
});
