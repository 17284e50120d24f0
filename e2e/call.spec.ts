import { chromium } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import {
  expectAudioFlowing,
  expectVideoPlaying,
  expect,
  joinAs,
  joinToFirstFrameMs,
  ParleyProcess,
  test,
  tile,
} from './fixtures.ts';
import { writeY4m } from './media-files.ts';
import { CHROMIUM_ARGS } from './playwright.config.ts';

test('two participants see and hear each other', async ({ browser, parley }, testInfo) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(browser, roomUrl, 'Ada');
  const bob = await joinAs(browser, roomUrl, 'Bob');

  await expect(tile(ada.page, 'Ada (you)')).toBeVisible();
  await expectVideoPlaying(tile(ada.page, 'Bob'));
  await expectVideoPlaying(tile(bob.page, 'Ada'));
  await expectAudioFlowing(tile(ada.page, 'Bob'));
  await expectAudioFlowing(tile(bob.page, 'Ada'));

  const ms = await joinToFirstFrameMs(bob.page);
  expect(ms).toBeGreaterThan(0);
  testInfo.annotations.push({ type: 'join-to-first-remote-frame-ms', description: String(ms) });
  console.log(`join → first remote frame (second joiner): ${ms} ms`);
});

test('mute and camera-off show on the other side; the keyboard shortcuts toggle them', async ({
  browser,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(browser, roomUrl, 'Ada');
  const bob = await joinAs(browser, roomUrl, 'Bob');
  const bobOnAda = tile(ada.page, 'Bob');
  await expect(bobOnAda).toHaveAttribute('data-connection', 'connected');
  await expect(bobOnAda).toHaveAttribute('data-audio', 'on');

  await bob.page.getByRole('button', { name: 'Microphone' }).click();
  await expect(bob.page.getByRole('button', { name: 'Microphone' })).toHaveAttribute(
    'aria-pressed',
    'false',
  );
  await expect(bobOnAda).toHaveAttribute('data-audio', 'off');
  await expect(bobOnAda.getByRole('img', { name: 'Microphone off' })).toBeVisible();

  await bob.page.getByRole('button', { name: 'Camera' }).click();
  await expect(bobOnAda).toHaveAttribute('data-video', 'off');

  await bob.page.keyboard.press('m');
  await expect(bobOnAda).toHaveAttribute('data-audio', 'on');
  await bob.page.keyboard.press('v');
  await expect(bobOnAda).toHaveAttribute('data-video', 'on');
});

test('leaving removes the tile for the others at once, and Rejoin brings it back', async ({
  browser,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(browser, roomUrl, 'Ada');
  const bob = await joinAs(browser, roomUrl, 'Bob');
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');

  await bob.page.getByRole('button', { name: 'Leave' }).click();
  await expect(tile(ada.page, 'Bob')).toHaveCount(0);
  await bob.page.getByRole('button', { name: 'Rejoin' }).click();
  await expectVideoPlaying(tile(ada.page, 'Bob'));
});

test('a reload rejoins the call without leaving a ghost behind', async ({ browser, parley }) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(browser, roomUrl, 'Ada');
  const bob = await joinAs(browser, roomUrl, 'Bob');
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');

  await bob.page.reload();
  await expect(tile(ada.page, 'Bob')).toHaveCount(0); // the pagehide goodbye, not a timeout
  await expect(bob.page.getByLabel('Your name')).toHaveValue('Bob'); // remembered
  await bob.page.getByRole('button', { name: 'Join call' }).click();
  await expectVideoPlaying(tile(ada.page, 'Bob'));
  await expectVideoPlaying(tile(bob.page, 'Ada'));
  await expect(ada.page.getByRole('group')).toHaveCount(2);
});

test('switching camera mid-call keeps the remote video playing', async ({ browser, parley }) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(browser, roomUrl, 'Ada');
  const bob = await joinAs(browser, roomUrl, 'Bob');
  await expectVideoPlaying(tile(ada.page, 'Bob'));

  await bob.page.getByRole('button', { name: 'Devices' }).click();
  const camera = bob.page.getByRole('combobox', { name: 'Camera', exact: true });
  const options = await camera
    .locator('option')
    .evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
  expect(options.length).toBeGreaterThanOrEqual(2);
  const current = await camera.inputValue();
  const other = options.find((o) => o !== current)!;
  await camera.selectOption(other);
  await expect(camera).toHaveValue(other);
  await expectVideoPlaying(tile(ada.page, 'Bob'));
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');
});

test('a full room says so clearly', async ({ browser }) => {
  const small = new ParleyProcess({ ROOM_CAPACITY: '2' });
  await small.start();
  try {
    const roomUrl = `${small.url}/r/${createRoomId()}`;
    await joinAs(browser, roomUrl, 'Ada');
    await joinAs(browser, roomUrl, 'Bob');
    const carol = await joinAs(browser, roomUrl, 'Carol');
    await expect(carol.page.getByRole('alert')).toContainText('This call is full');
  } finally {
    await small.stop();
  }
});

test('three participants: every link plays (320x240 fake camera)', async () => {
  const clip = writeY4m({ width: 320, height: 240, fps: 15, frames: 30, y: 120, u: 90, v: 200 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${clip}`],
  });
  const server = new ParleyProcess();
  await server.start();
  try {
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const names = ['Ada', 'Bob', 'Cy'];
    const people = [];
    for (const name of names) people.push(await joinAs(browser, roomUrl, name));
    for (const person of people) {
      for (const other of names.filter((n) => n !== person.name))
        await expectVideoPlaying(tile(person.page, other));
    }
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('signalling server killed and restarted mid-call: media keeps playing, the call reconnects', async ({
  browser,
}) => {
  const server = new ParleyProcess({ RESUME_GRACE_MS: '30000' });
  await server.start();
  try {
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinAs(browser, roomUrl, 'Ada');
    const bob = await joinAs(browser, roomUrl, 'Bob');
    await expectVideoPlaying(tile(ada.page, 'Bob'));

    await server.stop('SIGKILL');
    await expect(ada.page.getByRole('status')).toHaveText('Reconnecting…');
    // Peer-to-peer media does not need the server.
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));

    await server.start(); // same port and secret: clients resume as the same participants
    await expect(ada.page.getByRole('status')).toHaveText('Connected', { timeout: 30_000 });
    await expect(bob.page.getByRole('status')).toHaveText('Connected', { timeout: 30_000 });
    await expect(ada.page.getByRole('group')).toHaveCount(2);
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');
  } finally {
    await server.stop();
  }
});
