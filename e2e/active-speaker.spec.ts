import type { Locator, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, test, tile } from './fixtures.ts';
import { launchWithSmallCamera } from './support/small-camera.ts';

/**
 * README: "active speaker". Every fake microphone here sends a steady tone, so everyone unmuted
 * is speaking all the time (Chromium's default beep is on only 30 % of the time, which makes
 * any one reading a matter of timing); muting all but one makes the expected indicator
 * deterministic. The remote indicator comes from the RTP audio level of what that participant
 * sends, the local one from our own microphone meter.
 */

/** How long a muted participant is watched for a stray indicator: several beep periods. */
const QUIET_WINDOW_MS = 3000;

/** Whether the tile's speaking indicator came on at any moment during the window. */
function speakingDuring(tileLocator: Locator, ms: number): Promise<boolean> {
  return tileLocator.evaluate(
    (element, ms) =>
      new Promise<boolean>((resolve) => {
        let seen = element.getAttribute('data-speaking') === 'true';
        const observer = new MutationObserver(() => {
          if (element.getAttribute('data-speaking') === 'true') seen = true;
        });
        observer.observe(element, { attributes: true, attributeFilter: ['data-speaking'] });
        setTimeout(() => {
          observer.disconnect();
          resolve(seen);
        }, ms);
      }),
    ms,
  );
}

async function setMicrophone(page: Page, on: boolean): Promise<void> {
  const button = page.getByRole('button', { name: 'Microphone' });
  if ((await button.getAttribute('aria-pressed')) !== String(on)) await button.click();
  await expect(button).toHaveAttribute('aria-pressed', String(on));
}

test('active speaker: the one unmuted participant gets the indicator everywhere, muted ones never do', async ({
  joinAs,
  parley,
}) => {
  // Three pages with live media on two shared cores: about 2 min was seen under heavy load.
  test.setTimeout(300_000);
  const browser = await launchWithSmallCamera({ steadyTone: true });
  try {
    const roomUrl = `${parley.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada', browser);
    const bob = await joinAs(roomUrl, 'Bob', browser);
    const cy = await joinAs(roomUrl, 'Cy', browser);
    const people = [ada, bob, cy];
    for (const person of people)
      for (const other of people.filter((p) => p !== person))
        await expect(tile(person.page, other.name)).toHaveAttribute('data-connection', 'connected');

    for (const [speaker, muted] of [
      [ada, [bob, cy]],
      [cy, [ada, bob]],
    ] as const) {
      for (const person of muted) await setMicrophone(person.page, false);
      await setMicrophone(speaker.page, true);
      // The others see the muted ones as muted before we look for stray indicators.
      for (const person of muted)
        await expect(tile(speaker.page, person.name)).toHaveAttribute('data-audio', 'off');

      // Everyone sees the speaker speaking, the speaker included (own tile).
      await expect(tile(speaker.page, `${speaker.name} (you)`)).toHaveAttribute(
        'data-speaking',
        'true',
      );
      for (const listener of muted)
        await expect(tile(listener.page, speaker.name)).toHaveAttribute('data-speaking', 'true');

      // Nobody sees a muted participant speaking, their own tile included: once the last of
      // their sound has faded, the indicator stays off through several beeps of the speaker.
      const mutedTiles = people.flatMap((viewer) =>
        muted.map((person) =>
          tile(viewer.page, viewer === person ? `${person.name} (you)` : person.name),
        ),
      );
      for (const mutedTile of mutedTiles)
        await expect(mutedTile).toHaveAttribute('data-speaking', 'false');
      const stray = await Promise.all(mutedTiles.map((t) => speakingDuring(t, QUIET_WINDOW_MS)));
      expect(stray).toEqual(mutedTiles.map(() => false));
      // ...while the speaker's indicator stayed on for the listeners.
      for (const listener of muted)
        await expect(tile(listener.page, speaker.name)).toHaveAttribute('data-speaking', 'true');
    }
  } finally {
    await browser.close();
  }
});
