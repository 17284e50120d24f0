import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page, Response } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { TRANSPORT_MEMORY_KEY } from '../apps/web/src/call/signaling-transport-choice.ts';
import { TRANSPORTS } from '../apps/web/src/call/racing-socket.ts';
import { OFFLINE_FILES, shellCacheName } from '../apps/web/src/sw/shell-routes.ts';
import { WEB_DIST } from './bundle-size.ts';
import { expect, isolatedNetwork, ParleyProcess, test } from './fixtures.ts';
import {
  buildMarkedWebApp,
  cacheContents,
  entryScriptOf,
  lookOnline,
  shellOf,
  waitForServiceWorkerControl,
} from './support/app-shell.ts';
import { expectNoAxeViolations, PHONE, snapshot } from './support/call-layout.ts';
import { joinFromLobby } from './support/join.ts';
import { scratchDir } from './support/scratch-dir.ts';

/**
 * Issue 18, "Installable": the manifest and icons, a service worker that caches the app shell
 * and nothing else, a deploy that shows on the next load, and the offline page.
 */

const DESKTOP = { width: 1280, height: 800 };

interface Manifest {
  name: string;
  short_name: string;
  start_url: string;
  display: string;
  theme_color: string;
  icons: { src: string; sizes: string; type: string; purpose: string }[];
}

/** A PNG's width and height, from its IHDR chunk (bytes 16–23). */
function pngSize(bytes: Buffer): string {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

test('the manifest is valid, its icons load, and Chromium finds Parley installable', async ({
  playwright,
  launchOptions,
  parley,
}) => {
  // Playwright's usual contexts are incognito, where Chromium never offers to install anything;
  // a profile on disk is what a user has.
  const context = await playwright.chromium.launchPersistentContext(
    scratchDir('parley-install-profile-'),
    launchOptions,
  );
  try {
    await checkInstallable(context, parley.url);
  } finally {
    await context.close();
  }
});

async function checkInstallable(context: BrowserContext, url: string): Promise<void> {
  const page = await context.newPage();
  await page.goto(url);
  await waitForServiceWorkerControl(page);
  const parley = { url };

  const response = await page.request.get(`${parley.url}/manifest.webmanifest`);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toBe('application/manifest+json');

  const cdp = await page.context().newCDPSession(page);
  const fromChromium = await cdp.send('Page.getAppManifest');
  expect(fromChromium.url).toBe(`${parley.url}/manifest.webmanifest`);
  expect(fromChromium.errors).toEqual([]);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);

  const manifest = JSON.parse(fromChromium.data ?? '') as Manifest;
  expect(manifest).toMatchObject({
    name: 'Parley',
    short_name: 'Parley',
    start_url: '/',
    display: 'standalone',
  });
  const themeColor = await page.locator('meta[name="theme-color"]').getAttribute('content');
  expect(manifest.theme_color).toBe(themeColor);

  const pngs: string[] = [];
  for (const icon of manifest.icons) {
    const file = await page.request.get(`${parley.url}${icon.src}`);
    expect(file.status(), icon.src).toBe(200);
    expect(file.headers()['content-type'], icon.src).toBe(icon.type);
    if (icon.type === 'image/png') {
      expect(pngSize(await file.body()), icon.src).toBe(icon.sizes);
      pngs.push(`${icon.sizes} ${icon.purpose}`);
    }
  }
  expect(pngs.sort()).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
}

test('the service worker controls the page and caches exactly the shell of this build', async ({
  page,
  parley,
}) => {
  await page.goto(parley.url);
  await waitForServiceWorkerControl(page);
  const shell = shellOf();
  expect(await cacheContents(page)).toEqual({
    [shellCacheName(shell.version)]: [...shell.files].sort(),
  });
  // Every hashed file of the build is there, lazy chunks included, and nothing else from dist/.
  const built = readdirSync(join(WEB_DIST, 'assets'))
    .filter((file) => !/\.(map|gz|br)$/.test(file))
    .map((file) => `/assets/${file}`);
  expect(shell.files.filter((file) => file.startsWith('/assets/')).sort()).toEqual(built.sort());
  expect(shell.files).toContain(entryScriptOf());
  expect(shell.files).not.toContain('/index.html');
  expect(shell.files).not.toContain('/sw.js');
});

test('client config and signalling (WebSocket, SSE, long-poll) never come from the worker', async ({
  page,
  parley,
}) => {
  await page.goto(parley.url);
  await waitForServiceWorkerControl(page);
  const shell = shellOf();

  const responses: Response[] = [];
  page.on('response', (response) => responses.push(response));
  const pathOf = (response: Response) => new URL(response.url()).pathname;

  for (const transport of TRANSPORTS) {
    await page.evaluate(([key, value]) => localStorage.setItem(key, value), [
      TRANSPORT_MEMORY_KEY,
      JSON.stringify({ transport, at: Date.now() }),
    ] as const);
    if (transport !== 'websocket')
      // As a network that blocks WebSocket: the lobby's early socket fails, and "Join call"
      // opens the remembered HTTP transport, as the app does on such a network.
      await page.routeWebSocket(
        (url) => url.pathname === '/ws',
        (ws) => ws.close(),
      );
    const clientConfig = page.waitForResponse((r) => pathOf(r) === '/client-config.json');
    // The lobby opens its signalling WebSocket at once: listen before the load starts.
    const lobbySocket =
      transport === 'websocket'
        ? page.waitForEvent('websocket', (ws) => new URL(ws.url()).pathname === '/ws')
        : undefined;
    await page.goto(`${parley.url}/r/${createRoomId()}`);
    // Its body is read now: a later navigation discards the bodies of this page's responses.
    expect(await (await clientConfig).json()).toHaveProperty('relayAvailable');
    if (lobbySocket) {
      await lobbySocket;
      await expect(page.getByLabel('Your name')).toBeVisible();
      continue;
    }
    // The stream (SSE) or poll (long-polling) GET: what a careless worker would cache.
    const signalGet = page.waitForResponse(
      (r) => r.request().method() === 'GET' && pathOf(r).startsWith('/signal/'),
    );
    await joinFromLobby(page, `Via ${transport}`);
    await signalGet;
    await expect(page.getByRole('button', { name: /^Leave/ })).toBeVisible();
  }

  const config = responses.filter((r) => pathOf(r) === '/client-config.json');
  const signal = responses.filter((r) => pathOf(r).startsWith('/signal/'));
  expect(config.length).toBe(TRANSPORTS.length);
  expect(signal.filter((r) => r.request().method() === 'GET').length).toBeGreaterThanOrEqual(2);
  for (const response of [...config, ...signal])
    expect(response.fromServiceWorker(), pathOf(response)).toBe(false);
  // The measure works: the build's own files on these loads did come from the worker.
  const entry = responses.filter((r) => pathOf(r) === entryScriptOf());
  expect(entry.length).toBe(TRANSPORTS.length);
  for (const response of entry) expect(response.fromServiceWorker()).toBe(true);
  // And after three lobbies, the cache still holds the shell and nothing it fetched.
  expect(await cacheContents(page)).toEqual({
    [shellCacheName(shell.version)]: [...shell.files].sort(),
  });
});

test('after a deploy the next load runs the new build, and the old shell goes once unused', async ({
  browser,
}) => {
  const distB = scratchDir('parley-build-b-');
  await buildMarkedWebApp(distB, 'B');
  const [shellA, shellB] = [shellOf(), shellOf(distB)];
  const [entryA, entryB] = [entryScriptOf(), entryScriptOf(distB)];
  expect(entryB).not.toBe(entryA);
  expect(shellB.version).not.toBe(shellA.version);

  const serverA = new ParleyProcess({ STATIC_DIR: WEB_DIST });
  const serverB = new ParleyProcess({ STATIC_DIR: distB });
  const context = await browser.newContext();
  try {
    await serverA.start();
    const page = await context.newPage();
    await page.goto(serverA.url);
    await waitForServiceWorkerControl(page);
    await expect(page.getByRole('button', { name: 'New call' })).toBeVisible();
    expect(await page.locator('html').getAttribute('data-build')).toBeNull();

    // The deploy: the same origin now serves build B.
    await serverA.stop();
    serverB.port = serverA.port;
    await serverB.start();

    // The page load goes through the worker (network first), never to its cache: B at once.
    await page.reload();
    await expect(page.locator('html')).toHaveAttribute('data-build', 'B');
    expect(await page.locator('script[src]').getAttribute('src')).toBe(entryB);
    await expect(page.getByRole('button', { name: 'New call' })).toBeVisible();

    // B's worker installed and waits: it never takes over a page that is open (a call could be).
    const waiting = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      // The browser looks for a new sw.js after a page load; wait for it to find one.
      if (!registration.installing && !registration.waiting)
        await new Promise((resolve) =>
          registration.addEventListener('updatefound', resolve, { once: true }),
        );
      const pending = registration.installing ?? registration.waiting;
      if (pending && pending.state !== 'installed') {
        await new Promise<void>((resolve) =>
          pending.addEventListener('statechange', function changed() {
            if (pending.state !== 'installing') {
              pending.removeEventListener('statechange', changed);
              resolve();
            }
          }),
        );
      }
      return registration.waiting !== null;
    });
    expect(waiting).toBe(true);
    expect(Object.keys(await cacheContents(page)).sort()).toEqual(
      [shellCacheName(shellA.version), shellCacheName(shellB.version)].sort(),
    );

    // With a newer build waiting, "New call" becomes a full page load (between calls is when
    // an update may load), not an in-app step: the marker set on this page does not survive.
    await page.evaluate(() => ((window as { stayedInPage?: boolean }).stayedInPage = true));
    const roomLoad = page.waitForResponse((r) => r.request().isNavigationRequest());
    await page.getByRole('button', { name: 'New call' }).click();
    expect(new URL((await roomLoad).url()).pathname).toMatch(/^\/r\//);
    await expect(page.getByLabel('Your name')).toBeVisible();
    expect(await page.evaluate(() => (window as { stayedInPage?: boolean }).stayedInPage)).toBe(
      undefined,
    );

    // Once no page of build A is open, B's worker activates and A's cache is deleted.
    await page.close();
    const next = await context.newPage();
    await next.goto(serverB.url);
    await expect(next.locator('html')).toHaveAttribute('data-build', 'B');
    await expect
      .poll(() => cacheContents(next))
      .toEqual({ [shellCacheName(shellB.version)]: [...shellB.files].sort() });
  } finally {
    await context.close();
    await serverA.stop();
    await serverB.stop();
  }
});

async function expectOfflinePage(page: Page, heading: string): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Try again' })).toBeVisible();
}

test('with the server down, a page load shows the offline page, which says why', async ({
  playwright,
  launchOptions,
}, testInfo) => {
  const server = new ParleyProcess();
  // A browser of its own, started once the namespace looks like a machine on a network.
  const online = lookOnline(isolatedNetwork);
  const browser = await playwright.chromium.launch(launchOptions);
  const context = await browser.newContext({ viewport: DESKTOP });
  try {
    await server.start();
    const page = await context.newPage();
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    await page.goto(server.url);
    await waitForServiceWorkerControl(page);
    for (const size of [DESKTOP, PHONE]) {
      await page.setViewportSize(size);
      await snapshot(page, testInfo, 'app');
    }
    await page.setViewportSize(DESKTOP);

    await server.stop();
    await page.goto(roomUrl);
    expect(page.url()).toBe(roomUrl);
    await expectOfflinePage(page, 'Parley cannot reach its server');
    await expect(
      page.getByText(`the server at ${new URL(server.url).host} does not answer`),
    ).toBeVisible();
    for (const size of [DESKTOP, PHONE]) {
      await page.setViewportSize(size);
      const fits = await page.evaluate(
        () => document.scrollingElement!.scrollWidth <= window.innerWidth,
      );
      expect(fits, `offline page ${size.width}x${size.height}: no sideways scrolling`).toBe(true);
      await snapshot(page, testInfo, 'offline-server-down');
    }
    await expectNoAxeViolations(page, 'offline page');

    await context.setOffline(true);
    await page.reload();
    await expectOfflinePage(page, 'You are offline');
    await snapshot(page, testInfo, 'offline-device');

    // Back online with the server up again: the page loads the app by itself.
    await server.start();
    const appLoad = page.waitForEvent('load');
    await context.setOffline(false);
    await appLoad;
    await expect(page.getByLabel('Your name')).toBeVisible();
    expect(page.url()).toBe(roomUrl);
  } finally {
    await browser.close();
    online.remove();
    await server.stop();
  }
});

test('the offline page loads only files the worker caches', () => {
  const html = readFileSync(join(WEB_DIST, 'offline.html'), 'utf8');
  const referenced = [...html.matchAll(/\b(?:href|src)="([^"]*)"/g)]
    .map((m) => m[1]!)
    .filter((ref) => ref !== '');
  expect(referenced.length).toBeGreaterThan(0);
  for (const ref of referenced) expect(OFFLINE_FILES, ref).toContain(ref);
});
