import type { BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { SAS_EMOJI_COUNT } from '../apps/web/src/call/verification/sas.ts';
import { expect, test, tile } from './fixtures.ts';

async function join(page: Page, roomUrl: string, name: string): Promise<void> {
  await page.goto(roomUrl);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join call' }).click();
}

/** Opens "Verify <name>" and returns the emoji names of the code once it is shown. */
async function codeFor(page: Page, name: string): Promise<string[]> {
  await page.getByRole('button', { name: `Verify ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Verification code' });
  await expect(dialog).toBeVisible();
  const names = dialog.locator('.sas-name');
  // The code appears once the verification module has loaded and read the live connection.
  await expect(names).toHaveCount(SAS_EMOJI_COUNT);
  return names.allTextContents();
}

test('both sides show the same verification code; a verified contact is recognised in the next call', async ({
  browser,
  parley,
}) => {
  test.setTimeout(120_000);
  const contexts: BrowserContext[] = [];
  try {
    for (let i = 0; i < 2; i++) contexts.push(await browser.newContext());
    const [ada, bob] = await Promise.all(contexts.map((c) => c.newPage()));
    const firstRoom = `${parley.url}/r/${createRoomId()}`;
    await join(ada!, firstRoom, 'Ada');
    await join(bob!, firstRoom, 'Bob');
    await expect(tile(ada!, 'Bob')).toHaveAttribute('data-connection', 'connected');

    const seenByAda = await codeFor(ada!, 'Bob');
    const seenByBob = await codeFor(bob!, 'Ada');
    expect(seenByAda).toEqual(seenByBob);
    // For a look at the dialog at desktop and phone sizes (BRIEF: UI changes are looked at).
    for (const [name, size] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      await ada!.setViewportSize(size);
      await ada!.screenshot({ path: test.info().outputPath(`verification-${name}.png`) });
    }
    await ada!.getByRole('button', { name: 'They match: mark as verified' }).click();
    await expect(ada!.getByRole('dialog').getByRole('status')).toHaveText('Verified');
    await ada!.getByRole('button', { name: 'Close' }).click();
    await expect(tile(ada!, 'Bob').getByText('verified', { exact: true })).toBeVisible();

    // The next call (a new room): same certificates, so Bob is recognised; a new code.
    await ada!.getByRole('button', { name: 'Leave' }).click();
    await bob!.getByRole('button', { name: 'Leave' }).click();
    const secondRoom = `${parley.url}/r/${createRoomId()}`;
    await join(ada!, secondRoom, 'Ada');
    await join(bob!, secondRoom, 'Bob');
    await expect(tile(ada!, 'Bob').getByText('verified before')).toBeVisible();
    await expect(tile(bob!, 'Ada').getByText('verified before')).toHaveCount(0);
    const nextByAda = await codeFor(ada!, 'Bob');
    expect(nextByAda).toEqual(await codeFor(bob!, 'Ada'));
    expect(nextByAda).not.toEqual(seenByAda);
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
});
