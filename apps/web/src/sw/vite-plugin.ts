import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import type { Plugin } from 'vite';
import { OFFLINE_FILES, type ShellManifest } from './shell-routes.ts';

/** Where tests and tools read what this build's worker caches (sirv never serves dotfiles). */
export const SHELL_MANIFEST_FILE = '.vite/service-worker.json';

/**
 * Builds service-worker.ts into dist/sw.js with this build's shell baked in: every hashed
 * file Vite wrote under assets/ (source maps excepted) plus the offline page. The version hashes
 * all of it, so any change to the shell is a new sw.js, which is how browsers notice a deploy.
 * Hand-written rather than Workbox: the whole policy is ~60 lines, and workbox-build would add
 * Babel, Rollup and Terser (hundreds of packages) to build what a few lines of esbuild do.
 */
export function serviceWorker(): Plugin {
  let publicDir = '';
  return {
    name: 'parley:service-worker',
    apply: 'build',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    async generateBundle(_options, bundle) {
      const shell = shellOf(Object.keys(bundle), (file) => readFileSync(join(publicDir, file)));
      const result = await esbuild({
        entryPoints: [fileURLToPath(new URL('./service-worker.ts', import.meta.url))],
        bundle: true,
        format: 'iife',
        target: 'es2022',
        minify: true,
        write: false,
        define: { __PARLEY_SHELL__: JSON.stringify(shell) },
      });
      const [worker] = result.outputFiles;
      if (!worker) throw new Error('esbuild wrote no service worker');
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: worker.text });
      this.emitFile({
        type: 'asset',
        fileName: SHELL_MANIFEST_FILE,
        source: `${JSON.stringify(shell, null, 2)}\n`,
      });
    },
  };
}

/**
 * The shell of one build: the offline page's files (public/, unhashed, so their contents go into
 * the version) and every file Vite emitted under assets/ except source maps (their names carry
 * their content hash, so the names alone make the version).
 */
export function shellOf(
  bundleFiles: readonly string[],
  readPublicFile: (file: string) => Uint8Array,
): ShellManifest {
  const assets = bundleFiles
    .filter((file) => file.startsWith('assets/') && !file.endsWith('.map'))
    .sort()
    .map((file) => `/${file}`);
  const version = createHash('sha256');
  for (const file of assets) version.update(`${file}\n`);
  for (const file of OFFLINE_FILES) version.update(readPublicFile(file));
  return { version: version.digest('hex').slice(0, 16), files: [...OFFLINE_FILES, ...assets] };
}
