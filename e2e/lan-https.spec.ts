import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from '@playwright/test';
import { CA_DOWNLOAD_PATH } from '../apps/signaling/src/lan/ca-download.ts';
import {
  expect,
  expectVideoPlaying,
  isolatedNetwork,
  ParleyProcess,
  test,
  tile,
} from './fixtures.ts';
import { CHROMIUM_ARGS } from './playwright.config.ts';
import { joinFrom, joinFromLobby } from './support/join.ts';
import { scratchDir } from './support/scratch-dir.ts';

/**
 * Phones and laptops on the LAN (HTTPS=1): the server makes its own CA and a certificate for
 * the machine's LAN address, and a browser that trusts that CA (imported into an NSS database
 * with certutil, as an admin would on a desktop) opens https://<LAN address>:<port> with no
 * certificate error ignored. The page is a secure context, so the camera is allowed, and two
 * such browsers hold a call. A browser that does not trust the CA is refused, which shows the
 * trust is real.
 *
 * The "LAN" is a veth pair with a 100.64/10 address, made inside the e2e's own loopback-only
 * network namespace (scripts/run-isolated.sh) and removed afterwards.
 */

const LAN_IP = '100.64.77.1';
const LINK = 'parleylan0';
const PEER_LINK = 'parleylan1';
const CERTUTIL = '/usr/bin/certutil';

const unavailable = !isolatedNetwork
  ? 'needs the e2e network namespace (root + unshare, scripts/run-isolated.sh) to add a LAN address'
  : !existsSync(CERTUTIL)
    ? `${CERTUTIL} is missing; install libnss3-tools (scripts/ensure-system-deps.sh)`
    : undefined;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** A HOME whose NSS database trusts `caFile` for TLS servers (where Chromium on Linux looks). */
function homeTrusting(caFile: string): string {
  const home = scratchDir('parley-lan-home-');
  const db = `sql:${join(home, '.pki', 'nssdb')}`;
  mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
  execFileSync(CERTUTIL, ['-d', db, '-N', '--empty-password']);
  execFileSync(CERTUTIL, ['-d', db, '-A', '-n', 'Parley local CA', '-t', 'C,,', '-i', caFile]);
  return home;
}

function launchWithHome(home: string): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: home },
  });
}

test.describe('HTTPS on the LAN with a locally trusted CA', () => {
  let parley: ParleyProcess | undefined;
  let trusting: Browser | undefined;
  let dataDir = '';
  let origin = '';

  test.beforeAll(async () => {
    test.skip(unavailable !== undefined, unavailable);
    // No certificate error may be ignored anywhere: not by a flag, not by Playwright.
    expect(CHROMIUM_ARGS.join(' ')).not.toMatch(/ignore-certificate-errors/);
    ip('link', 'add', LINK, 'type', 'veth', 'peer', 'name', PEER_LINK);
    ip('addr', 'add', `${LAN_IP}/24`, 'dev', LINK);
    ip('link', 'set', PEER_LINK, 'up');
    ip('link', 'set', LINK, 'up');

    dataDir = scratchDir('parley-lan-data-');
    parley = new ParleyProcess({ HTTPS: '1', HOST: '0.0.0.0', DATA_DIR: dataDir });
    await parley.start();
    origin = `https://${LAN_IP}:${parley.port}`;
    trusting = await launchWithHome(homeTrusting(join(dataDir, 'tls', 'ca.crt')));
  });

  test.afterAll(async () => {
    await trusting?.close().catch(() => undefined);
    await parley?.stop();
    // Deleting one end of a veth pair deletes both.
    if (!unavailable) {
      try {
        ip('link', 'del', LINK);
      } catch {
        // beforeAll stopped before making it
      }
    }
  });

  test('a browser that trusts the CA gets a secure context and a call at the LAN address', async () => {
    const opened: BrowserContext[] = [];
    try {
      const adaContext = await trusting!.newContext();
      opened.push(adaContext);
      const adaPage = await adaContext.newPage();
      const response = await adaPage.goto(`${origin}/`);
      expect(response?.status()).toBe(200);
      expect(await adaPage.evaluate(() => [isSecureContext, location.origin])).toEqual([
        true,
        origin,
      ]);
      const security = await response!.securityDetails();
      expect(security?.subjectName).toBe('localhost');
      expect(security?.issuer).toMatch(/^Parley local CA/);

      // The CA a phone would download is the one the browser trusts.
      const downloaded = await adaPage.evaluate(
        async (url) => (await fetch(url)).text(),
        `${origin}${CA_DOWNLOAD_PATH}`,
      );
      expect(downloaded).toBe(readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8'));

      await adaPage.getByRole('button', { name: 'New call' }).click();
      await expect(adaPage).toHaveURL(
        new RegExp(`^${origin.replace(/\./g, '\\.')}/r/[\\w-]{22,64}$`),
      );
      const ada = await joinFromLobby(adaPage, 'Ada');
      const bob = await joinFrom(trusting!, adaPage.url(), 'Bob', opened);
      expect(await bob.page.evaluate(() => isSecureContext)).toBe(true);

      await expectVideoPlaying(tile(ada.page, 'Bob'));
      await expectVideoPlaying(tile(bob.page, 'Ada'));
    } finally {
      await Promise.all(opened.map((context) => context.close().catch(() => undefined)));
    }
  });

  test('a browser that does not trust the CA is refused the page', async () => {
    const untrusting = await launchWithHome(scratchDir('parley-lan-empty-home-'));
    try {
      const page = await untrusting.newPage();
      await expect(page.goto(`${origin}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });
});
