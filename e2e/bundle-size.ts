import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The production build that scripts/run-e2e.sh makes before Playwright runs. */
export const WEB_DIST = fileURLToPath(new URL('../apps/web/dist', import.meta.url));

/** The first-load budget: 100 KiB (1 KB = 1024 bytes here) of gzip'd JavaScript. */
export const FIRST_LOAD_BUDGET_BYTES = 100 * 1024;

export interface ChunkSize {
  file: string;
  bytes: number;
  /** zlib level 9, as the build precompresses it (apps/web/vite.config.ts) and sirv sends it. */
  gzipBytes: number;
}

export interface FirstLoad {
  /** The script index.html loads, plus every chunk it statically imports, transitively. */
  critical: ChunkSize[];
  /** Chunks only reachable through dynamic import(): fetched later, off the critical path. */
  lazy: ChunkSize[];
  criticalGzipBytes: number;
}

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

function sizeOf(dist: string, file: string): ChunkSize {
  const bytes = readFileSync(join(dist, file));
  return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}

/**
 * The JavaScript every page of the app (the call page included: it is one SPA entry) must
 * download before it can run, read from Vite's manifest and checked against index.html: the
 * entry script and its static imports are critical; dynamic imports are not.
 */
export function firstLoad(dist = WEB_DIST): FirstLoad {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const entryKey = Object.keys(manifest).find((key) => manifest[key]?.isEntry);
  if (!entryKey) throw new Error('the Vite manifest has no entry chunk');

  const critical = new Set<string>();
  const visit = (key: string) => {
    if (critical.has(key)) return;
    critical.add(key);
    for (const imported of manifest[key]?.imports ?? []) visit(imported);
  };
  visit(entryKey);

  const lazy = new Set<string>();
  const visitLazy = (key: string) => {
    if (critical.has(key) || lazy.has(key)) return;
    lazy.add(key);
    for (const next of [
      ...(manifest[key]?.imports ?? []),
      ...(manifest[key]?.dynamicImports ?? []),
    ])
      visitLazy(next);
  };
  for (const key of critical)
    for (const next of manifest[key]?.dynamicImports ?? []) visitLazy(next);

  // index.html must load exactly the entry script and preload only critical chunks; anything
  // else it fetches up front would escape the count.
  const files = (keys: Set<string>) => [...keys].map((key) => manifest[key]!.file);
  const scripts = [...html.matchAll(/<script[^>]*\bsrc="\/([^"]+)"/g)].map((m) => m[1]);
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\/([^"]+)"/g)].map(
    (m) => m[1],
  );
  const criticalFiles = files(critical);
  if (scripts.length !== 1 || scripts[0] !== manifest[entryKey]!.file)
    throw new Error(`index.html loads ${JSON.stringify(scripts)}, not the manifest's entry`);
  for (const preload of preloads)
    if (!criticalFiles.includes(preload!))
      throw new Error(`index.html preloads ${preload}, which is not on the critical path`);

  const criticalSizes = criticalFiles.map((file) => sizeOf(dist, file));
  return {
    critical: criticalSizes,
    lazy: files(lazy).map((file) => sizeOf(dist, file)),
    criticalGzipBytes: criticalSizes.reduce((sum, chunk) => sum + chunk.gzipBytes, 0),
  };
}
