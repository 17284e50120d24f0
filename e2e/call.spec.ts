import { execFileSync } from 'node:child_process';
import { chromium } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import {
  expectAudioFlowing,
  expectVideoPlaying,
  expect,
  joinToFirstFrameMs,
  ParleyProcess,
  test,
  tile,
} from './fixtures.ts';
import { writeY4m } from './media-files.ts';
import { CHROMIUM_ARGS } from './playwright.config.ts';

test('two participants see and hear each other', async ({ joinAs, parley }, testInfo) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');

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
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
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
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');

  await bob.page.getByRole('button', { name: 'Leave' }).click();
  await expect(tile(ada.page, 'Bob')).toHaveCount(0);
  await bob.page.getByRole('button', { name: 'Rejoin' }).click();
  await expectVideoPlaying(tile(ada.page, 'Bob'));
});

test('a reload rejoins the call without leaving a ghost behind', async ({ joinAs, parley }) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');

  await bob.page.reload();
  await expect(tile(ada.page, 'Bob')).toHaveCount(0); // the pagehide goodbye, not a timeout
  await expect(bob.page.getByLabel('Your name')).toHaveValue('Bob'); // remembered
  await bob.page.getByRole('button', { name: 'Join call' }).click();
  await expectVideoPlaying(tile(ada.page, 'Bob'));
  await expectVideoPlaying(tile(bob.page, 'Ada'));
  await expect(ada.page.getByRole('group')).toHaveCount(2);
});

test('switching camera mid-call keeps the remote video playing', async ({ joinAs, parley }) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada');
  const bob = await joinAs(roomUrl, 'Bob');
  await expectVideoPlaying(tile(ada.page, 'Bob'));

  await bob.page.getByRole('button', { name: 'Devices' }).click();
  const camera = bob.page.getByRole('combobox', { name: 'Camera', exact: true });
  // Chromium's fake cameras: fake_device_1 is a Y16 depth camera that WebRTC cannot encode
  // (a raw RTCRtpSender.replaceTrack stalls on it too), so switch to fake_device_2 (MJPEG).
  const other = (await camera
    .locator('option', { hasText: 'fake_device_2' })
    .getAttribute('value'))!;
  expect(other).toBeTruthy();
  expect(other).not.toBe(await camera.inputValue());
  await camera.selectOption(other);
  await expect(camera).toHaveValue(other);
  await expectVideoPlaying(tile(ada.page, 'Bob'));
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');
});

test('a full room says so clearly', async ({ joinAs }) => {
  const small = new ParleyProcess({ ROOM_CAPACITY: '2' });
  await small.start();
  try {
    const roomUrl = `${small.url}/r/${createRoomId()}`;
    await joinAs(roomUrl, 'Ada');
    await joinAs(roomUrl, 'Bob');
    const carol = await joinAs(roomUrl, 'Carol');
    await expect(carol.page.getByRole('alert')).toContainText('This call is full');
  } finally {
    await small.stop();
  }
});

test('three participants: every link plays (320x240 fake camera)', async ({ joinAs }) => {
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
    for (const name of names) people.push(await joinAs(roomUrl, name, browser));
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
  joinAs,
}) => {
  const server = new ParleyProcess({ RESUME_GRACE_MS: '30000' });
  await server.start();
  try {
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada');
    const bob = await joinAs(roomUrl, 'Bob');
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

/**
 * Needs root inside the test's own network namespace (scripts/run-e2e.sh provides it): the
 * outage is an iptables DROP of all loopback traffic, which takes media and signalling down.
 */
const isolated = process.env.PARLEY_E2E_NETNS === '1';

test('a network outage: ICE restarts, the UI says reconnecting, then connected again', async ({
  joinAs,
}) => {
  test.skip(
    !isolated,
    'needs root in an isolated network namespace (run via npm run test:e2e as root)',
  );
  const server = new ParleyProcess();
  await server.start();
  const outage = ['INPUT', '-i', 'lo', '-j', 'DROP'];
  try {
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada');
    const bob = await joinAs(roomUrl, 'Bob');
    await expectVideoPlaying(tile(ada.page, 'Bob'));

    iptables('-A', ...outage);
    await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'reconnecting', {
      timeout: 30_000,
    });
    await expect(ada.page.getByRole('status')).toHaveText('Reconnecting…');
    // Wait until both sides have acted on the outage (the initiator restarts ICE, the polite
    // side requests a restart), so the recovery below goes through a real ICE restart.
    for (const [page, name] of [
      [ada.page, 'Bob'],
      [bob.page, 'Ada'],
    ] as const) {
      await expect
        .poll(async () => Number(await tile(page, name).getAttribute('data-ice-restarts')), {
          timeout: 30_000,
        })
        .toBeGreaterThan(0);
    }
    iptables('-D', ...outage);

    for (const [page, name] of [
      [ada.page, 'Bob'],
      [bob.page, 'Ada'],
    ] as const) {
      await expect(tile(page, name)).toHaveAttribute('data-connection', 'connected', {
        timeout: 30_000,
      });
      await expect(page.getByRole('status')).toHaveText('Connected', { timeout: 30_000 });
      await expectVideoPlaying(tile(page, name));
    }
  } finally {
    try {
      iptables('-D', ...outage);
    } catch {
      // already removed
    }
    await server.stop();
  }
});

function iptables(...args: string[]): void {
  execFileSync('iptables', args, { stdio: 'pipe' });
}
