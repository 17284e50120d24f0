import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { build, type Plugin } from 'vite';
import { SHELL_MANIFEST_FILE } from '../../apps/web/src/sw/vite-plugin.ts';
import type { ShellManifest } from '../../apps/web/src/sw/shell-routes.ts';
import { WEB_DIST } from '../bundle-size.ts';

/** What a build's service worker caches, as its build wrote it down. */
export function shellOf(dist = WEB_DIST): ShellManifest {
  return JSON.parse(readFileSync(join(dist, SHELL_MANIFEST_FILE), 'utf8')) as ShellManifest;
}

/** The one entry script a build's index.html loads. */
export function entryScriptOf(dist = WEB_DIST): string {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const src = /<script[^>]*\bsrc="([^"]+)"/.exec(html)?.[1];
  if (!src) throw new Error(`${dist}/index.html loads no script`);
  return src;
}

/**
 * Builds the web app again into `outDir` with one line added to its entry module, which marks
 * the page with `<html data-build="label">` once that build's JavaScript runs. Different code,
 * so different asset hashes and a different service worker: a second deploy, for upgrade tests.
 */
export async function buildMarkedWebApp(outDir: string, label: string): Promise<void> {
  const root = join(WEB_DIST, '..');
  const mark: Plugin = {
    name: 'e2e:mark-build',
    transform(code, id) {
      if (!id.endsWith('/src/main.tsx')) return undefined;
      return `${code}\ndocument.documentElement.dataset.build = ${JSON.stringify(label)};\n`;
    },
  };
  await build({
    root,
    configFile: join(root, 'vite.config.ts'),
    mode: 'production',
    logLevel: 'warn',
    plugins: [mark],
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
}

/**
 * Waits until a service worker is active and controls `page` (the first install claims the
 * page that registered it: the 'controllerchange' event, not a timer, says when).
 */
export async function waitForServiceWorkerControl(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (navigator.serviceWorker.controller) return;
    await new Promise<void>((resolve) =>
      navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), {
        once: true,
      }),
    );
  });
}

/** Every cache of the page's origin, with the paths it holds. */
export function cacheContents(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(async () => {
    const contents: Record<string, string[]> = {};
    for (const name of await caches.keys()) {
      const requests = await (await caches.open(name)).keys();
      contents[name] = requests.map((r) => new URL(r.url).pathname).sort();
    }
    return contents;
  });
}

/**
 * Chromium's `navigator.onLine` is false when no interface but loopback is up, as in the test
 * namespace, where every page would then say "You are offline". One veth pair (a link with an
 * address, going nowhere) makes the namespace look like a machine on a network. Outside a
 * namespace of our own the machine's real network does that, and nothing is changed.
 */
export function lookOnline(isolated: boolean): { remove(): void } {
  if (!isolated) return { remove() {} };
  const name = 'parley-pwa0';
  execFileSync('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`]);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    execFileSync('ip', ['link', 'del', name]); // deletes its peer too
  };
  try {
    execFileSync('ip', ['addr', 'add', '198.18.255.1/30', 'dev', name]);
    execFileSync('ip', ['link', 'set', name, 'up']);
    execFileSync('ip', ['link', 'set', `${name}p`, 'up']);
  } catch (error) {
    remove();
    throw error;
  }
  return { remove };
}
