import type { BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, expectVideoPlaying, test, tile, type Participant } from './fixtures.ts';
import { FilesPanel } from './support/files.ts';

/**
 * What a hostile participant can put in front of the others: display names, chat messages and
 * file names. They must render as text, never as markup, and file names must be safe to save.
 */

/** Records every CSP violation the page reports (the event fires before any console message). */
async function recordCspViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = violations;
    document.addEventListener('securitypolicyviolation', (event) =>
      violations.push(`${event.effectiveDirective} blocked ${event.blockedURI}`),
    );
  });
}

function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
}

/** Fails the test if any page opens an alert, confirm or prompt. */
function forbidDialogs(pages: Page[]): string[] {
  const opened: string[] = [];
  for (const page of pages) page.on('dialog', (dialog) => opened.push(dialog.message()));
  return opened;
}

// The Files panel (e2e/support/files.ts), in the words of these tests.
const transfers = (page: Page) => new FilesPanel(page).transfers;
const transfer = (page: Page, name: string) => new FilesPanel(page).transfer(name);
const offerFiles = (from: Participant, to: string, files: Array<{ name: string; text: string }>) =>
  new FilesPanel(from.page).offer(files, to);
/** Accepts, waits until verified, saves, and returns the name the browser saved it under. */
const acceptAndSave = async (page: Page, name: string) =>
  (await new FilesPanel(page).acceptAndSave(name)).suggestedName;

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(1)</script>';

test('display names, chat and file names with HTML or script render as literal text; no dialog opens', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, IMG);
  const bob = await joinAs(roomUrl, SCRIPT);
  const dialogs = forbidDialogs([ada.page, bob.page]);

  // Names: on the tile (its accessible name and its visible label) and in the Files panel.
  await expectVideoPlaying(tile(bob.page, IMG));
  await expectVideoPlaying(tile(ada.page, SCRIPT));
  await expect(tile(bob.page, IMG).getByText(IMG, { exact: true })).toBeVisible();
  await expect(tile(ada.page, SCRIPT).getByText(SCRIPT, { exact: true })).toBeVisible();
  await expect(tile(ada.page, `${IMG} (you)`)).toBeVisible();

  // Chat, both ways.
  const messages = [SCRIPT, IMG, '"><svg onload=alert(1)>', '&lt;b&gt;not bold&lt;/b&gt;'];
  await ada.page.getByRole('button', { name: 'Chat' }).click();
  const box = ada.page.getByLabel('Message', { exact: true });
  for (const text of messages) {
    await box.fill(text);
    await box.press('Enter');
  }
  await bob.page.getByRole('button', { name: /^Chat/ }).click();
  const log = bob.page.getByRole('log');
  await expect(log.locator('.chat-text')).toHaveText(messages);
  await expect(log.locator('.chat-sender').first()).toHaveText(IMG);

  // File names: the sender's own name for it, and the name the receiver is offered.
  const fileName = `&lt;b&gt;${IMG}.txt`;
  await offerFiles(ada, SCRIPT, [{ name: fileName, text: 'hello' }]);
  // The sanitiser turns < and > into _ (Windows forbids them), so this is what both sides show;
  // the entities stay as typed, which only text rendering does.
  const shown = '&lt;b&gt;_img src=x onerror=alert(1)_.txt';
  await expect(transfer(ada.page, shown)).toContainText(`to ${SCRIPT}`);
  await expect(transfer(bob.page, shown)).toContainText(`from ${IMG}`);
  await expect(transfer(bob.page, shown).getByText(shown, { exact: true })).toBeVisible();
  expect(await acceptAndSave(bob.page, shown)).toBe(shown);

  for (const page of [ada.page, bob.page]) {
    await expect(page.locator('img[src="x"], svg[onload], b')).toHaveCount(0);
    await expect(page.locator('script:not([src])')).toHaveCount(0);
  }
  expect(dialogs).toEqual([]);
});

/**
 * A modified client could offer any name, so the receiver must sanitise on its own. Ada's
 * outgoing file offers are rewritten on her data channel (after her app sanitised them) to carry
 * the raw hostile names.
 */
const HOSTILE_NAMES: Array<[raw: string, safe: string]> = [
  ['../../x', 'x'],
  ['..\\..\\windows\\evil.dll', 'evil.dll'],
  ['CON', '_CON'],
  ['a\u202Etxt.exe', 'atxt.exe'],
  [IMG, '_img src=x onerror=alert(1)_'],
];

async function sendRawFileNames(context: BrowserContext): Promise<void> {
  await context.addInitScript(
    (raw: string[]) => {
      const send = RTCDataChannel.prototype.send as (this: RTCDataChannel, data: unknown) => void;
      RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
        if (typeof data === 'string' && data.includes('"file-offer"')) {
          const message = JSON.parse(data) as { type: string; name: string };
          const index = /^hostile-(\d+)$/.exec(message.name)?.[1];
          if (message.type === 'file-offer' && index !== undefined) {
            message.name = raw[Number(index)]!;
            return send.call(this, JSON.stringify(message));
          }
        }
        return send.call(this, data);
      } as typeof RTCDataChannel.prototype.send;
    },
    HOSTILE_NAMES.map(([raw]) => raw),
  );
}

test('a peer offering ../../x, CON or a right-to-left override name: the receiver shows and saves a safe name', async ({
  joinAs,
  parley,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const ada = await joinAs(roomUrl, 'Ada', undefined, sendRawFileNames);
  const bob = await joinAs(roomUrl, 'Bob');
  const dialogs = forbidDialogs([ada.page, bob.page]);
  await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');

  await offerFiles(
    ada,
    'Bob',
    HOSTILE_NAMES.map((_, i) => ({ name: `hostile-${i}`, text: `file ${i}` })),
  );
  await expect(transfers(bob.page).getByRole('group')).toHaveCount(HOSTILE_NAMES.length);
  for (const [raw, safe] of HOSTILE_NAMES) {
    await expect(transfer(bob.page, safe), `offered as ${JSON.stringify(raw)}`).toContainText(
      'from Ada',
    );
    // Chromium itself appends ".txt" on saving a name without an extension (here "x", "_CON").
    const saved = await acceptAndSave(bob.page, safe);
    expect([safe, `${safe}.txt`]).toContain(saved);
  }
  const shownNames = await transfers(bob.page)
    .locator('.transfer-name')
    .evaluateAll((nodes) => nodes.map((n) => n.textContent ?? ''));
  for (const name of shownNames) expect(name).not.toMatch(/[/\\\u202A-\u202E\u2066-\u2069]/);
  expect(dialogs).toEqual([]);
});

test('the production server sends a strict CSP and security headers; the app runs under it with no inline script', async ({
  joinAs,
  parley,
  request,
}) => {
  const roomUrl = `${parley.url}/r/${createRoomId()}`;
  const page = await request.get(roomUrl);
  const html = await page.text();
  const asset = /<script[^>]*\ssrc="([^"]+)"/.exec(html)?.[1];
  expect(asset).toBeTruthy();
  for (const response of [page, await request.get(`${parley.url}${asset}`)]) {
    const headers = response.headers();
    const csp = Object.fromEntries(
      headers['content-security-policy']!.split(';').map((directive) => {
        const [name, ...values] = directive.trim().split(/\s+/);
        return [name!, values];
      }),
    );
    expect(csp['default-src']).toEqual(["'self'"]);
    // Only our own files: hashing is Web Crypto's, so nothing needs 'wasm-unsafe-eval' any more.
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['style-src']).toEqual(["'self'"]);
    expect(csp['connect-src']).toEqual(["'self'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['base-uri']).toEqual(["'none'"]);
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(headers['permissions-policy']).toContain('camera=(self)');
    expect(headers['permissions-policy']).toContain('geolocation=()');
  }

  // The built page: every script is an external file, no inline event handlers or styles.
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThan(0);
  for (const [, attributes, body] of scripts) {
    expect(attributes).toMatch(/\ssrc="/);
    expect(body!.trim()).toBe('');
  }
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/<style\b|\sstyle\s*=/i);

  // A whole call under the policy: media, chat and a file, with no violation on either side.
  const ada = await joinAs(roomUrl, 'Ada', undefined, recordCspViolations);
  const bob = await joinAs(roomUrl, 'Bob', undefined, recordCspViolations);
  await expectVideoPlaying(tile(ada.page, 'Bob'));
  await expectVideoPlaying(tile(bob.page, 'Ada'));
  await ada.page.getByRole('button', { name: 'Chat' }).click();
  await ada.page.getByLabel('Message', { exact: true }).fill('hello');
  await ada.page.getByLabel('Message', { exact: true }).press('Enter');
  await bob.page.getByRole('button', { name: /^Chat/ }).click();
  await expect(bob.page.getByRole('log').locator('.chat-text')).toHaveText(['hello']);
  await offerFiles(ada, 'Bob', [{ name: 'note.txt', text: 'under the CSP' }]);
  expect(await acceptAndSave(bob.page, 'note.txt')).toBe('note.txt');
  expect(await cspViolations(ada.page)).toEqual([]);
  expect(await cspViolations(bob.page)).toEqual([]);

  // The policy is enforced as written: the page may not compile WebAssembly (an empty module).
  const wasm = await ada.page.evaluate(() =>
    WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(
      () => 'compiled',
      (error: Error) => `${error.name}: ${error.message}`,
    ),
  );
  expect(wasm).toMatch(/^CompileError: .*Content Security Policy|^CompileError: .*unsafe-eval/);
});
