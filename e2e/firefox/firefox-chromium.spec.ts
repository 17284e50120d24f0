import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect, ParleyProcess, test, tile } from '../fixtures.ts';
import { FilesPanel, makeRandomFile, MiB, sha256Of } from '../support/files.ts';
import { joinFrom } from '../support/join.ts';
import { launchWithSmallCamera } from '../support/small-camera.ts';
import { FirefoxParticipant } from './firefox-participant.ts';
import { launchFirefox, type LaunchedFirefox } from './launch-firefox.ts';
import { expectTilePlaying, probeTile, type ProbeIn } from './tile-probe.ts';

/**
 * Chromium (Playwright) and Debian's Firefox ESR (puppeteer-core over WebDriver BiDi) in one
 * call, in the same loopback-only namespace as the rest of the suite. The cases share one call,
 * in order, as two people would use it: join, see and hear each other, chat, swap files, ride
 * out a signalling restart, share a screen. The three-way call at the end is a call of its own,
 * started from Firefox.
 */
test.describe.configure({ mode: 'serial' });

/** 64 MiB each way: big enough for many SCTP windows and the on-disk (OPFS) path. */
const FILE_SIZE = 64 * MiB;
/** A deadline, not a measure (throughput is the bench's): on two loaded cores 1 MiB/s is seen. */
const FILE_DEADLINE_MS = 240_000;

let server: ParleyProcess;
let firefox: LaunchedFirefox;
let fox: FirefoxParticipant;
let adaContext: BrowserContext;
let ada: Page;

const inChromium =
  (page: Page): ProbeIn =>
  (label) =>
    page.evaluate(probeTile, label);

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  // A server of our own, so that one case can restart it under a live call.
  server = new ParleyProcess();
  await server.start();
  // The origin must hold the camera permission before Firefox gathers loopback candidates.
  firefox = await launchFirefox([server.url]);
  fox = new FirefoxParticipant(firefox, 'Fox');
  adaContext = await browser.newContext();
  ada = await adaContext.newPage();
});

test.afterAll(async () => {
  await adaContext?.close();
  await firefox?.close();
  await server?.stop();
});

test('join by link: Chromium starts a call, Firefox joins from its link', async () => {
  await ada.goto(server.url);
  await ada.getByRole('button', { name: 'New call' }).click();
  await expect(ada).toHaveURL(/\/r\//);
  const link = ada.url();
  await ada.getByLabel('Your name').fill('Ada');
  await ada.getByRole('button', { name: 'Join call' }).click();
  await fox.join(link);
  await expect(tile(ada, 'Fox')).toHaveAttribute('data-connection', 'connected');
  await expect.poll(() => fox.connectedTiles()).toBe(1);
  await expect.poll(async () => (await fox.probe('Ada'))?.connection).toBe('connected');
});

test('video and audio flow each way, and the video is not black', async () => {
  await expectTilePlaying(inChromium(ada), 'Fox'); // Firefox's fake camera, in Chromium
  await expectTilePlaying(fox.probe, 'Ada'); // Chromium's fake camera, in Firefox
});

test('chat each way', async () => {
  await ada.getByRole('button', { name: 'Chat' }).click();
  await ada.getByLabel('Message', { exact: true }).fill('hello from Chromium');
  await ada.getByRole('button', { name: 'Send', exact: true }).click();
  await fox.openChat();
  await expect.poll(() => fox.chatLines()).toEqual([['Ada', 'hello from Chromium']]);

  await fox.sendChat('hello from Firefox');
  await expect(ada.getByRole('log').locator('.chat-text')).toHaveText([
    'hello from Chromium',
    'hello from Firefox',
  ]);
  await expect(ada.getByRole('log').locator('.chat-sender')).toHaveText(['You', 'Fox']);
  await expect
    .poll(() => fox.chatLines())
    .toEqual([
      ['Ada', 'hello from Chromium'],
      ['You', 'hello from Firefox'],
    ]);
});

test('a 64 MiB file each way, both at once, arrives with the same SHA-256', async () => {
  test.setTimeout(2 * FILE_DEADLINE_MS + 60_000);
  const adaFiles = new FilesPanel(ada);
  const toFirefox = makeRandomFile('to-firefox.bin', FILE_SIZE);
  const toChromium = makeRandomFile('to-chromium.bin', FILE_SIZE);

  // Both offer before either accepts, so the two transfers share the link the whole way: each
  // side receives on a channel it chose while sending on one the other chose.
  await adaFiles.offer(toFirefox.path, 'Fox');
  await fox.offerFile(toChromium.path, 'Ada');
  await expect(adaFiles.transfer('to-chromium.bin')).toHaveAttribute('data-state', 'offered');
  await adaFiles.accept('to-chromium.bin');
  const savedByFox = await fox.acceptAndSave('to-firefox.bin', FILE_SIZE, FILE_DEADLINE_MS);
  expect(await sha256Of(savedByFox)).toBe(toFirefox.sha256);
  await expect(adaFiles.transfer('to-firefox.bin')).toHaveAttribute('data-state', 'done');

  await adaFiles.expectVerified('to-chromium.bin', FILE_DEADLINE_MS);
  const savedByAda = await adaFiles.save('to-chromium.bin');
  expect(await sha256Of(savedByAda.path)).toBe(toChromium.sha256);
  await expect.poll(async () => (await fox.transfer('to-chromium.bin'))?.state).toBe('done');
});

test('both show the same verification code', async () => {
  await ada.getByRole('button', { name: 'Verify Fox' }).click();
  const dialog = ada.getByRole('dialog', { name: 'Verification code' });
  const seenByFox = await fox.verificationCodeFor('Ada'); // waits for all SAS_EMOJI_COUNT
  await expect(dialog.locator('.sas-name')).toHaveText(seenByFox);
  // In the dialog: the Files panel left open by the case before has its own "Close files".
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await fox.closeDialog();
});

test('the signalling server restarts mid-call: media keeps flowing, both reconnect', async () => {
  await server.stop();
  await expect(ada.getByRole('status')).toHaveText('Reconnecting…');
  await expect.poll(() => fox.status()).toBe('Reconnecting…');
  // Peer-to-peer media does not need the server.
  await expectTilePlaying(inChromium(ada), 'Fox');
  await expectTilePlaying(fox.probe, 'Ada');

  await server.start(); // same port and secret: both resume as the same participants
  await expect(ada.getByRole('status')).toHaveText('Connected');
  await expect.poll(() => fox.status()).toBe('Connected');
  await expect(tile(ada, 'Fox')).toHaveAttribute('data-connection', 'connected');
  await expectTilePlaying(inChromium(ada), 'Fox');
  await expectTilePlaying(fox.probe, 'Ada');
});

test("Chromium's screen share is seen in Firefox (negotiated through the restarted server)", async () => {
  await ada.getByRole('button', { name: 'Share screen' }).click();
  await expectTilePlaying(fox.probe, 'Screen shared by Ada');
  await expectTilePlaying(fox.probe, 'Ada'); // and the camera keeps going
  await ada
    .getByRole('navigation', { name: 'Call controls' })
    .getByRole('button', { name: 'Stop sharing' })
    .click();
  await expect.poll(async () => await fox.probe('Screen shared by Ada')).toBeUndefined();
  await ada.getByRole('button', { name: 'Leave' }).click();
  await fox.leave();
});

test('three-way call: Firefox starts it, two Chromiums join by its link, all six directions play', async () => {
  test.setTimeout(240_000);
  // Small fake video for the Chromiums, as the other multi-person tests do (two cores).
  const small: Browser = await launchWithSmallCamera();
  const opened: BrowserContext[] = [];
  try {
    const link = await fox.startCall(server.url);
    await fox.join();
    const bea = await joinFrom(small, link, 'Bea', opened);
    const cy = await joinFrom(small, link, 'Cy', opened);
    await expect.poll(() => fox.connectedTiles()).toBe(2);
    for (const { page } of [bea, cy])
      await expect(page.locator('[data-connection=connected]')).toHaveCount(2);

    await expectTilePlaying(fox.probe, 'Bea');
    await expectTilePlaying(fox.probe, 'Cy');
    await expectTilePlaying(inChromium(bea.page), 'Fox');
    await expectTilePlaying(inChromium(bea.page), 'Cy');
    await expectTilePlaying(inChromium(cy.page), 'Fox');
    await expectTilePlaying(inChromium(cy.page), 'Bea');
  } finally {
    await Promise.all(opened.map((context) => context.close()));
    await small.close();
  }
});
