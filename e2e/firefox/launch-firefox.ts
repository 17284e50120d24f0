import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi (Playwright can only drive
 * its own patched Firefox, which cannot be downloaded here). FIREFOX_PATH overrides the binary.
 */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export interface LaunchedFirefox {
  browser: Browser;
  page: Page;
  /** Where "Save <name>" links land (browser.download.dir). */
  downloadDir: string;
  /** Closes the browser and deletes its profile and downloads. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts a headless Firefox with a fresh profile that may use the camera and microphone on
 * `origins` (e.g. http://127.0.0.1:PORT), and opens one page.
 *
 * Why each setting (measured here, see the shared notes firefox.md):
 * - Firefox gathers ICE candidates from the default-route address only, unless the page's origin
 *   holds a camera or microphone *permission*. The tests' loopback-only namespace has no default
 *   route, so without the permission it gathers nothing. A fake stream with the prompt disabled
 *   does not count, and BiDi's setPermission does not know "camera"; a permissions defaults file
 *   (permissions.manager.defaultsUrl) is the same state as a user clicking Allow.
 * - media.peerconnection.ice.loopback: Firefox drops 127.0.0.1 candidates by default.
 * - obfuscate_host_addresses off: no mDNS names, which nothing in the namespace resolves.
 * - media.navigator.streams.fake: a synthetic camera (a moving colour pattern) and microphone.
 */
export async function launchFirefox(origins: string[]): Promise<LaunchedFirefox> {
  const root = mkdtempSync(join(tmpdir(), 'parley-firefox-'));
  const profile = join(root, 'profile');
  const downloadDir = join(root, 'downloads');
  mkdirSync(profile);
  mkdirSync(downloadDir);
  const permissions = join(root, 'permissions.txt');
  writeFileSync(
    permissions,
    origins
      .flatMap((origin) => [`origin\tcamera\t1\t${origin}`, `origin\tmicrophone\t1\t${origin}`])
      .join('\n') + '\n',
  );
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    rmSync(root, { recursive: true, force: true });
  };
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      // A deadline: on two loaded cores a cold Firefox start was seen taking 35 s.
      timeout: 120_000,
      userDataDir: profile,
      defaultViewport: { width: 1280, height: 800 },
      extraPrefsFirefox: {
        'permissions.manager.defaultsUrl': pathToFileURL(permissions).href,
        'media.navigator.streams.fake': true,
        'media.navigator.permission.disabled': true,
        'media.peerconnection.ice.loopback': true,
        'media.peerconnection.ice.obfuscate_host_addresses': false,
        // Autoplay of remote audio+video without a gesture, as after a user clicked "Join call".
        'media.autoplay.default': 0,
        // A "Save <name>" link writes straight into downloadDir, without a dialog.
        'browser.download.dir': downloadDir,
        'browser.download.folderList': 2,
        'browser.download.useDownloadDir': true,
        'browser.download.always_ask_before_handling_new_types': false,
        'browser.helperApps.neverAsk.saveToDisk': 'application/octet-stream',
        'browser.download.alwaysOpenPanel': false,
      },
    });
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000); // as Playwright's expect timeout in e2e/playwright.config.ts
    return { browser, page, downloadDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}
