import { createRoomId } from '@parley/protocol';
import { expect, expectVideoPlaying, test, tile } from './fixtures.ts';

/**
 * README: "picture-in-picture". Each remote tile has a "Picture in picture: <name>" control that
 * puts that participant's video in the browser's floating window; closing the window (the
 * browser's own control, i.e. document.exitPictureInPicture) brings it back to the tile.
 */
test('picture-in-picture: the tile control floats that participant’s video, and leaving returns it', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  const bobOnAda = tile(ada.page, 'Bob');
  await expectVideoPlaying(bobOnAda);
  const bobsVideo = bobOnAda.locator('video');
  const isPictureInPicture = () =>
    bobsVideo.evaluate((video) => document.pictureInPictureElement === video);

  // The events tell entering and leaving apart from a video element being replaced.
  await bobsVideo.evaluate((video) => {
    const seen: string[] = [];
    (window as unknown as { __pipEvents: string[] }).__pipEvents = seen;
    video.addEventListener('enterpictureinpicture', () => seen.push('enter'));
    video.addEventListener('leavepictureinpicture', () => seen.push('leave'));
  });
  const events = () =>
    ada.page.evaluate(() => (window as unknown as { __pipEvents: string[] }).__pipEvents);

  expect(await ada.page.evaluate(() => document.pictureInPictureElement)).toBeNull();
  await bobOnAda.getByRole('button', { name: 'Picture in picture: Bob' }).click();
  await expect.poll(isPictureInPicture).toBe(true);
  await expect.poll(events).toEqual(['enter']);
  // Floating, Bob's video keeps playing, and the call goes on.
  await expectVideoPlaying(bobOnAda);
  await expect(bobOnAda).toHaveAttribute('data-connection', 'connected');

  await ada.page.evaluate(() => document.exitPictureInPicture());
  await expect.poll(isPictureInPicture).toBe(false);
  await expect.poll(() => ada.page.evaluate(() => document.pictureInPictureElement)).toBeNull();
  await expect.poll(events).toEqual(['enter', 'leave']);
  await expectVideoPlaying(bobOnAda);

  // The control works again after leaving, and only remote tiles have it.
  await bobOnAda.getByRole('button', { name: 'Picture in picture: Bob' }).click();
  await expect.poll(isPictureInPicture).toBe(true);
  await expect(
    tile(ada.page, 'Ada (you)').getByRole('button', { name: /Picture in picture/ }),
  ).toHaveCount(0);
  await expectVideoPlaying(tile(bob.page, 'Ada'));
});
