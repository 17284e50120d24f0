import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { Participant } from '../fixtures.ts';

/**
 * Joins a call from a fresh context of `browser`, optionally ticking the lobby's relay-only
 * option first. For browsers a spec launches itself (e.g. inside a NAT lab namespace), where
 * the `joinAs` fixture's browser does not apply. The caller closes `opened` when done.
 */
export async function joinFrom(
  browser: Browser,
  roomUrl: string,
  name: string,
  opened: BrowserContext[],
  options: {
    relayOnly?: boolean;
    setup?: ((context: BrowserContext) => Promise<void>) | undefined;
  } = {},
): Promise<Participant> {
  const context = await browser.newContext();
  opened.push(context);
  await options.setup?.(context);
  const page = await context.newPage();
  await page.goto(roomUrl);
  return joinFromLobby(page, name, options);
}

/** On a page showing the lobby: types the name, optionally ticks "Relay only", joins. */
export async function joinFromLobby(
  page: Page,
  name: string,
  options: { relayOnly?: boolean } = {},
): Promise<Participant> {
  await page.getByLabel('Your name').fill(name);
  if (options.relayOnly) {
    const relayOnly = page.getByLabel('Relay only (hides your IP address)');
    await expect(relayOnly).toBeEnabled();
    await relayOnly.check();
  }
  await page.getByRole('button', { name: 'Join call' }).click();
  return { page, name };
}
