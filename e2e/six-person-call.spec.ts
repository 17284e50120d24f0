import type { Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, test, tile, type Participant } from './fixtures.ts';
import { launchWithSmallCamera } from './support/small-camera.ts';

/**
 * README: "a mesh of up to 6 people". Six participants (the server's default room capacity) in
 * one full mesh: 15 peer connections, 30 directed video links, each of which must play. A
 * 160x120 fake camera at 10 fps keeps six pages' encoders within two shared cores.
 */
const NAMES = ['Ada', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay'];

interface VideoReading {
  width: number;
  clock: number;
  shown: number;
  decoded: number;
}

/**
 * What each remote tile's video shows right now, read in one go (the same measures as
 * fixtures.ts's expectVideoPlaying: decoded size, the element's clock, its presented frames,
 * and the receiver's framesDecoded from getStats). One evaluate per page instead of a few per
 * tile keeps the checks cheap on a loaded machine.
 */
function readVideos(page: Page, names: string[]): Promise<Record<string, VideoReading | null>> {
  return page.evaluate((names) => {
    const readings: Record<string, VideoReading | null> = {};
    for (const name of names) {
      const group = Array.from(document.querySelectorAll('[role="group"]')).find(
        (element) => element.getAttribute('aria-label') === name,
      );
      const video = group?.querySelector('video');
      readings[name] =
        group && video
          ? {
              width: video.videoWidth,
              clock: video.currentTime,
              shown: video.getVideoPlaybackQuality().totalVideoFrames,
              decoded: Number(group.getAttribute('data-frames-decoded') ?? 0),
            }
          : null;
    }
    return readings;
  }, names);
}

/** Every remote tile on the page plays: each measure advances past its first reading. */
async function expectAllPlaying(page: Page, names: string[]): Promise<void> {
  const start = await readVideos(page, names);
  await expect
    .poll(
      async () => {
        const now = await readVideos(page, names);
        return names.filter((name) => {
          const [before, after] = [start[name], now[name]];
          return !(
            before &&
            after &&
            after.width > 0 &&
            after.clock > before.clock &&
            after.shown > before.shown &&
            after.decoded > before.decoded
          );
        });
      },
      // A deadline, not a measure: six pages decoding five streams each on two cores.
      { timeout: 120_000, message: 'remote tiles whose video is not playing' },
    )
    .toEqual([]);
}

test('six participants: every one of the 30 directed video links plays', async ({
  joinAs,
  parley,
}, testInfo) => {
  // Six pages with live media on two shared cores: each step is slow when the machine is busy.
  test.setTimeout(600_000);
  const browser = await launchWithSmallCamera({ fps: 10 });
  try {
    const roomUrl = `${parley.url}/r/${createRoomId()}`;
    const people: Participant[] = [];
    const startedAt = performance.now();
    for (const name of NAMES) people.push(await joinAs(roomUrl, name, browser));

    // The mesh forms: every page shows five connected participants besides its own tile.
    for (const person of people) {
      await expect(person.page.locator('[data-connection="connected"]')).toHaveCount(
        NAMES.length - 1,
        { timeout: 120_000 },
      );
      await expect(tile(person.page, `${person.name} (you)`)).toBeVisible();
    }
    const meshMs = Math.round(performance.now() - startedAt);

    // Then every directed link plays.
    for (const person of people)
      await test.step(`${person.name} sees the other five`, () =>
        expectAllPlaying(
          person.page,
          NAMES.filter((n) => n !== person.name),
        ));
    const allPlayingMs = Math.round(performance.now() - startedAt);
    // And still, after all were checked: the first page's links did not stop meanwhile.
    await expectAllPlaying(people[0]!.page, NAMES.slice(1));

    const figures = { meshMs, allPlayingMs };
    testInfo.annotations.push({ type: 'six-person-mesh', description: JSON.stringify(figures) });
    console.log(`six-person mesh: ${JSON.stringify(figures)}`);
  } finally {
    await browser.close();
  }
});
