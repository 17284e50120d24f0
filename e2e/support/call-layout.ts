import AxeBuilder from '@axe-core/playwright';
import {
  expect,
  type Browser,
  type BrowserContext,
  type Page,
  type TestInfo,
} from '@playwright/test';

/** The window sizes the call screen must fit (issue 13): three laptops/desktops and a phone. */
export const DESKTOP_SIZES = [
  { width: 1280, height: 800 },
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
] as const;
export const PHONE = { width: 390, height: 844 } as const;

/** A phone-shaped context: touch, mobile viewport semantics, a modest pixel ratio to spare CPU. */
export const PHONE_CONTEXT = {
  viewport: PHONE,
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
} as const;

/** Joins `roomUrl` as `name` from a new context of `browser` with `options`. */
export async function joinWith(
  browser: Browser,
  roomUrl: string,
  name: string,
  opened: BrowserContext[],
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<Page> {
  const context = await browser.newContext(options);
  opened.push(context);
  const page = await context.newPage();
  await joinOnPage(page, roomUrl, name);
  return page;
}

/** Loads `roomUrl` on `page` (leaving any call it was in) and joins it as `name`. */
export async function joinOnPage(page: Page, roomUrl: string, name: string): Promise<void> {
  await page.goto(roomUrl);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join call' }).click();
  await expect(page.getByRole('navigation', { name: 'Call controls' })).toBeVisible();
}

/**
 * The page fits the window: it does not scroll, and the Leave button is wholly inside the
 * viewport (so the controls are reachable in this state).
 */
export async function expectFits(page: Page, where: string): Promise<void> {
  const viewport = page.viewportSize()!;
  const leave = page.getByRole('button', { name: 'Leave' });
  await expect(leave, where).toBeVisible();
  const box = (await leave.boundingBox())!;
  expect(box.x, `${where}: Leave's left edge`).toBeGreaterThanOrEqual(0);
  expect(box.y, `${where}: Leave's top edge`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${where}: Leave's right edge`).toBeLessThanOrEqual(viewport.width);
  expect(box.y + box.height, `${where}: Leave's bottom edge`).toBeLessThanOrEqual(viewport.height);
  const { scrollHeight, innerHeight, scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollHeight: document.scrollingElement!.scrollHeight,
    innerHeight: window.innerHeight,
    scrollWidth: document.scrollingElement!.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollHeight, `${where}: page height`).toBeLessThanOrEqual(innerHeight);
  expect(scrollWidth, `${where}: page width`).toBeLessThanOrEqual(innerWidth);
}

/** axe-core finds nothing, at any impact, in light and in dark. Restores the light scheme. */
export async function expectNoAxeViolations(page: Page, where: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page }).analyze();
    const summary = violations.map(
      (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    expect(summary, `${where}, ${colorScheme}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** A screenshot for people to review, in the test's output folder (no pixel diff). */
export async function snapshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const { width, height } = page.viewportSize()!;
  const path = testInfo.outputPath(`${name}-${width}x${height}.png`);
  await page.screenshot({ path });
}
