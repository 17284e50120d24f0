import type { BrowserContext, Locator, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { MEDIA_PROBLEM_TEXT } from '../apps/web/src/call/media/media-problems.ts';
import { expect, test } from './fixtures.ts';

/**
 * README: "a lobby shows … a mic meter". Chromium's fake microphone beeps twice a second (each
 * beep loud for about 80 ms, measured), so a working meter rises with each beep and falls
 * between them; muted, or with no microphone at all, it must stay at zero.
 *
 * The meter is always read in the page every 20 ms over a window, never by single reads from
 * the test: reads spaced by whole seconds fall in step with the beeps and can miss every one.
 */

/** Several beep periods: a live meter rises at least once in this window. */
const WINDOW_MS = 3000;
/** Two beep periods: enough to see a rise and a fall while waiting for the meter to start. */
const SHORT_WINDOW_MS = 1000;
/** Clearly above the noise floor of silence (0) and below a beep's reading. */
const MOVING = 0.05;

function meter(page: Page): Locator {
  return page.getByRole('meter', { name: 'Microphone level' });
}

/** Every value the meter shows during the window (sampled in the page, every 20 ms). */
function meterValuesDuring(page: Page, ms: number): Promise<number[]> {
  return meter(page).evaluate(
    (element, ms) =>
      new Promise<number[]>((resolve) => {
        const values: number[] = [];
        const timer = setInterval(() => values.push((element as HTMLMeterElement).value), 20);
        setTimeout(() => {
          clearInterval(timer);
          resolve(values);
        }, ms);
      }),
    ms,
  );
}

async function openLobby(
  context: BrowserContext,
  url: string,
): Promise<{ page: Page; microphone: Locator }> {
  const page = await context.newPage();
  await page.goto(url);
  await expect(page.getByRole('button', { name: 'Join call' })).toBeEnabled(); // media ready
  return { page, microphone: page.getByRole('button', { name: 'Microphone' }) };
}

test('the lobby mic meter follows the microphone, and drops to zero when muted', async ({
  browser,
  parley,
}) => {
  const context = await browser.newContext();
  try {
    const { page, microphone } = await openLobby(context, `${parley.url}/r/${createRoomId()}`);
    await expect(microphone).toHaveAttribute('aria-pressed', 'true');

    // It moves: up with a beep, back down between beeps (once the audio has started).
    await expect
      .poll(async () => {
        const values = await meterValuesDuring(page, SHORT_WINDOW_MS);
        return Math.max(...values) > MOVING && Math.min(...values) < MOVING;
      })
      .toBe(true);
    const live = await meterValuesDuring(page, WINDOW_MS);
    expect(Math.max(...live)).toBeGreaterThan(MOVING);
    expect(Math.min(...live)).toBeLessThan(MOVING);

    await microphone.click();
    await expect(microphone).toHaveAttribute('aria-pressed', 'false');
    await expect.poll(() => meter(page).evaluate((m: HTMLMeterElement) => m.value)).toBe(0);
    expect(Math.max(...(await meterValuesDuring(page, WINDOW_MS)))).toBe(0);

    // Unmuted again, it comes back to life.
    await microphone.click();
    await expect
      .poll(async () => Math.max(...(await meterValuesDuring(page, SHORT_WINDOW_MS))))
      .toBeGreaterThan(MOVING);
  } finally {
    await context.close();
  }
});

test('with no microphone the lobby says so and the meter stays at zero', async ({
  browser,
  parley,
}) => {
  const context = await browser.newContext();
  // As on a machine without a microphone: no audio input is listed and asking for one fails
  // the way Chromium fails then (NotFoundError).
  await context.addInitScript(() => {
    const devices = navigator.mediaDevices;
    const getUserMedia = devices.getUserMedia.bind(devices);
    const enumerate = devices.enumerateDevices.bind(devices);
    devices.getUserMedia = (constraints) =>
      constraints?.audio
        ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError'))
        : getUserMedia(constraints);
    devices.enumerateDevices = async () =>
      (await enumerate()).filter((device) => device.kind !== 'audioinput');
  });
  try {
    const { page, microphone } = await openLobby(context, `${parley.url}/r/${createRoomId()}`);
    await expect(page.getByRole('alert')).toHaveText(MEDIA_PROBLEM_TEXT['no-microphone']);
    await expect(microphone).toBeDisabled();
    await expect(page.getByRole('combobox', { name: 'Microphone', exact: true })).toBeDisabled();
    expect(Math.max(...(await meterValuesDuring(page, WINDOW_MS)))).toBe(0);
  } finally {
    await context.close();
  }
});
