import { PROTOCOL_VERSION, createRoomId } from '@parley/protocol';
import type { BrowserContext } from '@playwright/test';
import { expect, expectVideoPlaying, ParleyProcess, test, tile } from './fixtures.ts';

/**
 * Parley upgraded under a call in progress. The server restarts (as a deploy does) and, once
 * back, speaks a newer protocol than Ada's page; it still seats the previous version, so her call
 * must go on with nothing but a quiet note, and the new version loads when she leaves.
 *
 * The restarted server is this build, so its newer version is played by rewriting, inside Ada's
 * page, the `protocol` of the `joined` answers it gets after the restart (the seat, the resume and
 * everything else are the real server's). The server side of the rule, a real process seating a
 * previous-protocol client across a restart, is apps/signaling/src/previous-protocol.test.ts.
 */

const UPDATE_NOTE = 'Parley was updated. The new version loads after this call.';
const SHORT_UPDATE_NOTE = 'New version after this call';

/**
 * Once `window.parleyServerUpgraded` is set, Ada's page reads a newer protocol in every `joined`
 * it decodes. The rewrite sits at JSON.parse, where the client decodes every server frame,
 * because the resume after the restart may come over a WebSocket or over SSE, whichever wins the
 * transport race while the server comes back.
 */
async function serverLooksNewerWhenFlagged(context: BrowserContext, newer: number) {
  await context.addInitScript((protocol: number) => {
    const parse = JSON.parse;
    JSON.parse = function (text: string, reviver?: Parameters<typeof JSON.parse>[1]): unknown {
      const value: unknown = parse.call(JSON, text, reviver);
      const upgraded = (window as unknown as { parleyServerUpgraded?: boolean })
        .parleyServerUpgraded;
      const frame = value as { type?: unknown; protocol?: unknown } | null;
      if (upgraded && frame?.type === 'joined' && typeof frame.protocol === 'number')
        frame.protocol = protocol;
      return value;
    };
  }, newer);
}

test('an upgrade mid-call keeps the call, shows a quiet note, and loads the new version after it', async ({
  joinAs,
}, testInfo) => {
  // Two joins, a restart and a reload: a deadline for a loaded two-core machine, not a timing.
  test.setTimeout(300_000);
  const server = new ParleyProcess({ RESUME_GRACE_MS: '30000' });
  await server.start();
  try {
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada', undefined, (context) =>
      serverLooksNewerWhenFlagged(context, PROTOCOL_VERSION + 1),
    );
    const bob = await joinAs(roomUrl, 'Bob');
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));
    await expect(ada.page.getByText(UPDATE_NOTE)).toHaveCount(0);

    await server.stop('SIGTERM');
    await ada.page.evaluate(() => {
      (window as unknown as { parleyServerUpgraded: boolean }).parleyServerUpgraded = true;
    });
    await server.start();
    for (const page of [ada.page, bob.page])
      await expect(page.getByRole('status')).toHaveText('Connected', { timeout: 30_000 });

    // The call goes on: same people, media both ways, chat through the new server.
    await expect(ada.page.getByText(UPDATE_NOTE)).toBeVisible();
    await expect(bob.page.getByText(UPDATE_NOTE)).toHaveCount(0);
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));
    await expect(ada.page.getByRole('group')).toHaveCount(2);
    await expect(ada.page.getByRole('alert')).toHaveCount(0);
    // The note fits a phone's screen beside the call's controls, as it does a desktop's.
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      await ada.page.setViewportSize({ width, height });
      // A phone shows fewer words; the full sentence stays there for screen readers.
      await expect(ada.page.getByText(width < 520 ? SHORT_UPDATE_NOTE : UPDATE_NOTE)).toBeVisible();
      const note = await ada.page.locator('.update-ready').boundingBox();
      expect(note).not.toBeNull();
      expect(note!.x).toBeGreaterThanOrEqual(0);
      expect(note!.x + note!.width).toBeLessThanOrEqual(width);
      await expect(ada.page.getByRole('button', { name: 'Leave' })).toBeInViewport();
      // Kept beside the test's output (and in its report) to look at, as a user would.
      const path = testInfo.outputPath(`update-note-${width}x${height}.png`);
      await ada.page.screenshot({ path });
      await testInfo.attach(`update note at ${width}x${height}`, {
        path,
        contentType: 'image/png',
      });
    }

    // Leaving is the moment to update: rejoining reloads the page instead of rejoining in place.
    await ada.page.getByRole('button', { name: 'Leave' }).click();
    await expect(ada.page.getByRole('heading', { name: 'You left the call' })).toBeVisible();
    await expect(ada.page.getByText('Rejoining loads the new version.')).toBeVisible();
    await ada.page.evaluate(
      () => ((window as unknown as { beforeReload: boolean }).beforeReload = true),
    );
    const reloaded = ada.page.waitForEvent('load');
    await ada.page.getByRole('button', { name: 'Reload and rejoin' }).click();
    await reloaded;
    expect(
      await ada.page.evaluate(() => (window as unknown as { beforeReload?: boolean }).beforeReload),
    ).toBeUndefined();
    await expect(ada.page.getByRole('button', { name: 'Join call' })).toBeVisible();
    await expect(ada.page.getByLabel('Your name')).toHaveValue('Ada');
  } finally {
    await server.stop();
  }
});
