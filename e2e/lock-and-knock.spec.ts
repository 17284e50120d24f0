import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { ParleyProcess, expect, test, tile } from './fixtures.ts';

/**
 * Lock and knock in real browsers: a locked call parks newcomers in a waiting room until
 * someone admits them; a denial or an unanswered knock ends with a clear message. The timeout
 * case runs its own server with a short KNOCK_TIMEOUT_MS, so it takes seconds, not two minutes;
 * the others keep the default, so no knock can time out while they are answered.
 */

const KNOCK_TIMEOUT_MS = 4000;
const server = new ParleyProcess();

test.beforeAll(async () => server.start());
test.afterAll(async () => {
  await server.stop();
});

const newRoomUrl = (on = server) => `${on.url}/r/${randomBytes(16).toString('base64url')}`;

async function lock(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Lock call' }).click();
  await expect(page.getByRole('button', { name: 'Unlock call' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
}

const waitingHeading = (page: Page) =>
  page.getByRole('heading', { name: 'Waiting for someone to let you in' });

test('a newcomer to a locked call waits, and is in the call as soon as someone admits it', async ({
  joinAs,
}, testInfo) => {
  const roomUrl = newRoomUrl();
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');
  await lock(ada.page);
  // The state is shown to everyone in the call.
  await expect(bob.page.getByRole('button', { name: 'Unlock call' })).toBeVisible();
  await expect(bob.page.getByText('This call is locked')).toBeVisible();

  const cleo = await joinAs(roomUrl, 'Cleo');
  await expect(waitingHeading(cleo.page)).toBeVisible();
  await expect(ada.page.getByText('Cleo wants to join')).toBeVisible();
  await expect(bob.page.getByText('Cleo wants to join')).toBeVisible();
  await ada.page.setViewportSize({ width: 1280, height: 800 });
  await ada.page.screenshot({ path: testInfo.outputPath('knock-desktop.png') });
  await cleo.page.setViewportSize({ width: 390, height: 844 });
  await cleo.page.screenshot({ path: testInfo.outputPath('waiting-phone.png') });
  await bob.page.setViewportSize({ width: 390, height: 844 });
  await bob.page.screenshot({ path: testInfo.outputPath('knock-phone.png') });
  // Nobody has seen Cleo join yet.
  await expect(tile(ada.page, 'Cleo')).toHaveCount(0);

  await bob.page.getByRole('button', { name: 'Admit' }).click();
  await expect(tile(cleo.page, 'Ada')).toHaveAttribute('data-connection', 'connected');
  await expect(tile(ada.page, 'Cleo')).toHaveAttribute('data-connection', 'connected');
  // Every prompt goes once one person answered.
  await expect(ada.page.getByText('Cleo wants to join')).toHaveCount(0);
  // Back at a desktop width, where the lock control is on the bar (on a phone it is in More).
  await cleo.page.setViewportSize({ width: 1280, height: 800 });
  await expect(cleo.page.getByText('This call is locked')).toBeVisible();
  await expect(cleo.page.getByRole('button', { name: 'Unlock call' })).toBeVisible();
});

test('a denied newcomer is told it was not let in', async ({ joinAs }) => {
  const roomUrl = newRoomUrl();
  const ada = await joinAs(roomUrl, 'Ada');
  await lock(ada.page);
  const dan = await joinAs(roomUrl, 'Dan');
  await expect(waitingHeading(dan.page)).toBeVisible();
  await ada.page.getByRole('button', { name: 'Deny' }).click();
  await expect(dan.page.getByRole('heading', { name: 'You were not let in' })).toBeVisible();
  await expect(dan.page.getByRole('alert')).toHaveText('Someone in the call did not let you in.');
  await expect(tile(ada.page, 'Dan')).toHaveCount(0);
});

test('an unanswered newcomer is told so when the knock times out', async ({ joinAs }) => {
  const impatient = new ParleyProcess({ KNOCK_TIMEOUT_MS: String(KNOCK_TIMEOUT_MS) });
  await impatient.start();
  try {
    const roomUrl = newRoomUrl(impatient);
    const ada = await joinAs(roomUrl, 'Ada');
    await lock(ada.page);
    const eve = await joinAs(roomUrl, 'Eve');
    await expect(waitingHeading(eve.page)).toBeVisible();
    await expect(ada.page.getByText('Eve wants to join')).toBeVisible();
    await expect(eve.page.getByRole('alert')).toHaveText(
      'Nobody in the call let you in in time. You can ask again.',
      { timeout: KNOCK_TIMEOUT_MS + 10_000 },
    );
    await expect(ada.page.getByText('Eve wants to join')).toHaveCount(0);
  } finally {
    await impatient.stop();
  }
});

test('the first person can start the call locked from the lobby', async ({ browser }) => {
  const roomUrl = newRoomUrl();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(roomUrl);
    await page.getByLabel('Your name').fill('Fay');
    await page.getByLabel('Start the call locked (if you are the first one in)').check();
    await page.getByRole('button', { name: 'Join call' }).click();
    await expect(page.getByRole('button', { name: 'Unlock call' })).toBeVisible();
  } finally {
    await context.close();
  }
});
