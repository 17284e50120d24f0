import type { BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, expectVideoPlaying, ParleyProcess, test, tile } from './fixtures.ts';

/**
 * Leaving without the Leave button. The app says goodbye on `pagehide`, so the others see the
 * leave at once rather than after the server's resume grace (set long here, so that waiting it
 * out could not pass the test). Where the goodbye never goes out, the server acts on the
 * browser's close code 1001 instead.
 */
const departures = {
  reload: (page: Page) => page.reload(),
  'tab close': (page: Page) => page.close(),
  'tab close with beforeunload': (page: Page) => page.close({ runBeforeUnload: true }),
  'tab close before the goodbye': (page: Page) => page.close(),
} as const;

/**
 * As when Chromium ends the page before `pagehide` runs: the app's goodbye never goes out, so
 * only the browser's own close code (1001, "going away") can tell the server the page is gone.
 */
async function withoutGoodbye(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const add = window.addEventListener.bind(window);
    window.addEventListener = ((
      type: string,
      ...rest: [EventListener, AddEventListenerOptions?]
    ) => {
      if (type !== 'pagehide') add(type, ...rest);
    }) as typeof window.addEventListener;
  });
}

for (const [how, depart] of Object.entries(departures)) {
  test(`${how}: the others see the leave promptly and no ghost remains`, async ({
    joinAs,
  }, testInfo) => {
    test.setTimeout(120_000);
    const server = new ParleyProcess({ RESUME_GRACE_MS: '60000' });
    await server.start();
    try {
      const roomUrl = `${server.url}/r/${createRoomId()}`;
      const ada = await joinAs(roomUrl, 'Ada');
      const bob = await joinAs(
        roomUrl,
        'Bob',
        undefined,
        how === 'tab close before the goodbye' ? withoutGoodbye : undefined,
      );
      await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');

      const departedAt = performance.now();
      await depart(bob.page);
      await expect(tile(ada.page, 'Bob')).toHaveCount(0, { timeout: 5_000 });
      const leaveSeenMs = performance.now() - departedAt;
      await expect(ada.page.getByRole('group')).toHaveCount(1); // Ada (you)
      testInfo.annotations.push({ type: 'leave-seen-ms', description: String(leaveSeenMs) });
      console.log(`${how}: leave seen by the others after ${Math.round(leaveSeenMs)} ms`);

      if (how === 'reload') {
        await expect(bob.page.getByLabel('Your name')).toHaveValue('Bob'); // remembered
        await bob.page.getByRole('button', { name: 'Join call' }).click();
        await expectVideoPlaying(tile(ada.page, 'Bob'));
        await expectVideoPlaying(tile(bob.page, 'Ada'));
        await expect(bob.page.getByRole('group')).toHaveCount(2);
      } else {
        // Someone joining now finds only those still there.
        const cy = await joinAs(roomUrl, 'Cy');
        await expectVideoPlaying(tile(cy.page, 'Ada'));
        await expect(cy.page.getByRole('group')).toHaveCount(2); // Cy (you) and Ada
      }
      await expect(ada.page.getByRole('group')).toHaveCount(2);
    } finally {
      await server.stop();
    }
  });
}
