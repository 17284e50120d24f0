import { createRoomId } from '@parley/protocol';
import type { Browser, BrowserContext, Page, TestInfo } from '@playwright/test';
import { expect, test, tile } from './fixtures.ts';
import {
  DESKTOP_SIZES,
  expectFits,
  expectNoAxeViolations,
  joinWith,
  PHONE,
  PHONE_CONTEXT,
  snapshot,
} from './support/call-layout.ts';
import { launchWithSmallCamera } from './support/small-camera.ts';

/**
 * Issue 13: the call page fits the window in every state, at 1280×800, 1366×768, 1920×1080 and
 * on a 390×844 phone. Two calls per device class walk through the states (alone, 2 and 3
 * people, People panel; then chat with 50 messages, files panel with a transfer, presenting,
 * viewing a share); at each, the same page is resized through the sizes, checked (no page scroll,
 * Leave inside the viewport), screenshotted for review, and run through axe-core in light and
 * dark. At most three browser contexts per test: the two cores cannot carry more with live video.
 *
 * The cameras send a 160x120 clip (support/small-camera.ts), not Chromium's default 640x480:
 * the same 4:3 shape, so every tile lays out alike, at a sixteenth of the pixels to encode and
 * decode. What is checked is layout, never the picture; the walks were the slowest tests of the
 * suite, bound by three pages' live video on two cores.
 */

let smallCamera: Browser | undefined;
test.beforeAll(async () => {
  smallCamera = await launchWithSmallCamera();
});
test.afterAll(async () => {
  await smallCamera?.close();
});
/** The browser every walk runs in (launched once for this file). */
function cameraBrowser(): Browser {
  if (!smallCamera) throw new Error('the small-camera browser is not running');
  return smallCamera;
}

async function settle(page: Page): Promise<void> {
  // The stage measures itself (ResizeObserver) and re-renders; two frames let that land.
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
}

async function checkState(
  page: Page,
  testInfo: TestInfo,
  state: string,
  sizes: ReadonlyArray<{ width: number; height: number }>,
): Promise<void> {
  for (const size of sizes) {
    await page.setViewportSize(size);
    await settle(page);
    await expectFits(page, `${state} at ${size.width}×${size.height}`);
    await snapshot(page, testInfo, state);
  }
  await page.setViewportSize(sizes[0]!);
  await settle(page);
  await expectNoAxeViolations(page, state);
}

/** Clicks a control of the bar, through the More menu where the bar is narrow. */
async function control(page: Page, name: string | RegExp): Promise<void> {
  const direct = page.getByRole('navigation', { name: 'Call controls' }).getByRole('button', {
    name,
    exact: true,
  });
  if (await direct.isVisible()) return direct.click();
  await page.getByRole('button', { name: 'More', exact: true }).click();
  await page.getByRole('button', { name, exact: true }).click();
}

async function sendChat(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

/**
 * A call of Ada (on `device`) and Bob; the caller closes `opened`. Two people are enough for the
 * panel and sharing states, and a third live camera only slows the two cores down.
 */
async function twoPeople(
  browser: Browser,
  roomUrl: string,
  device: 'desktop' | 'phone',
  opened: BrowserContext[],
): Promise<{ me: Page; bob: Page }> {
  const me = await joinWith(
    browser,
    roomUrl,
    'Ada',
    opened,
    device === 'phone' ? PHONE_CONTEXT : { viewport: DESKTOP_SIZES[0] },
  );
  await expect(me.getByRole('status')).toHaveText('Connected');
  const bob = await joinWith(browser, roomUrl, 'Bob', opened);
  await expect(tile(me, 'Bob')).toHaveAttribute('data-connection', 'connected');
  return { me, bob };
}

// Two calls per device class (three contexts, then two), so neither walk outlasts its timeout
// on a loaded two-core machine.
for (const device of ['desktop', 'phone'] as const) {
  const sizes = device === 'desktop' ? DESKTOP_SIZES : [PHONE];

  test(`the call page fits the window alone, with 2 and 3 people, and with People open (${device})`, async ({
    parley,
  }, testInfo) => {
    const browser = cameraBrowser();
    // A generous deadline, not a measure: every state runs axe twice on a loaded machine.
    test.setTimeout(600_000);
    const opened: BrowserContext[] = [];
    try {
      const roomUrl = `${parley.url}/r/${createRoomId()}`;
      const me = await joinWith(
        browser,
        roomUrl,
        'Ada',
        opened,
        device === 'phone' ? PHONE_CONTEXT : { viewport: DESKTOP_SIZES[0] },
      );
      await expect(me.getByRole('status')).toHaveText('Connected');
      await test.step('alone', () => checkState(me, testInfo, 'alone', sizes));

      await joinWith(browser, roomUrl, 'Bob', opened);
      await expect(tile(me, 'Bob')).toHaveAttribute('data-connection', 'connected');
      await test.step('2 people', () => checkState(me, testInfo, 'two-people', sizes));

      await joinWith(browser, roomUrl, 'Carol', opened);
      await expect(tile(me, 'Carol')).toHaveAttribute('data-connection', 'connected');
      await test.step('3 people', () => checkState(me, testInfo, 'three-people', sizes));

      await test.step('People panel', async () => {
        await control(me, 'People');
        await expect(me.getByRole('heading', { name: 'People (3)' })).toBeVisible();
        await checkState(me, testInfo, 'people-panel', sizes);
      });
    } finally {
      await Promise.all(opened.map((context) => context.close().catch(() => undefined)));
    }
  });

  test(`the call page fits the window with 50 chat messages, a file offer, presenting and viewing a share (${device})`, async ({
    parley,
  }, testInfo) => {
    const browser = cameraBrowser();
    // A generous deadline, not a measure: every state runs axe twice on a loaded machine.
    test.setTimeout(600_000);
    const opened: BrowserContext[] = [];
    try {
      const roomUrl = `${parley.url}/r/${createRoomId()}`;
      const { me, bob } = await twoPeople(browser, roomUrl, device, opened);

      await test.step('chat with 50 messages', async () => {
        await bob.getByRole('button', { name: /^Chat/ }).click();
        for (let i = 1; i <= 5; i++) await sendChat(bob, `Bob's message ${i}`);
        await control(me, /^Chat/); // its name carries the unread count
        await expect(me.getByRole('log').locator('.chat-line')).toHaveCount(5);
        for (let i = 6; i <= 50; i++) await sendChat(me, `Message number ${i} from Ada`);
        await expect(me.getByRole('log').locator('.chat-line')).toHaveCount(50);
        await checkState(me, testInfo, 'chat-50', sizes);
        await me.getByLabel('Message', { exact: true }).press('Escape');
        await expect(me.getByRole('log')).toHaveCount(0);
      });

      await test.step('files panel with a transfer', async () => {
        await bob.getByRole('button', { name: 'Send file' }).click();
        await bob.getByLabel('Files to send').setInputFiles({
          name: 'notes.txt',
          mimeType: 'text/plain',
          buffer: Buffer.from('meeting notes\n'.repeat(1000)),
        });
        const row = me.getByRole('list', { name: 'Transfers' }).getByRole('group', {
          name: 'notes.txt',
          exact: true,
        });
        await expect(row).toHaveAttribute('data-state', 'offered');
        await expect(row).toContainText('Wants to send you this file');
        await checkState(me, testInfo, 'files-panel', sizes);
        await me.getByRole('button', { name: 'Close files' }).click();
      });

      await test.step('presenting', async () => {
        await control(me, 'Share screen');
        await expect(me.getByRole('region', { name: 'You are presenting' })).toBeVisible();
        await checkState(me, testInfo, 'presenting', sizes);
        await me
          .getByRole('region', { name: 'You are presenting' })
          .getByRole('button', { name: 'Stop sharing' })
          .click();
        await expect(me.getByRole('region', { name: 'You are presenting' })).toHaveCount(0);
      });

      await test.step('viewing a share', async () => {
        await bob.getByRole('button', { name: 'Share screen' }).click();
        const screen = tile(me, 'Screen shared by Bob');
        await expect(screen.locator('video')).toHaveJSProperty('readyState', 4);
        await expect(screen).toContainText('Bob is presenting');
        await checkState(me, testInfo, 'viewing-share', sizes);
      });
    } finally {
      await Promise.all(opened.map((context) => context.close().catch(() => undefined)));
    }
  });
}
