import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { build } from 'vite';
import { test } from '@playwright/test';
import { FIRST_LOAD_BUDGET_BYTES, firstLoad, WEB_DIST } from '../../e2e/bundle-size.ts';
import { ratio, writeBenchResult } from '../lib/result.ts';

/**
 * Issue 6, item 7: gzip size of the JavaScript on the call page's critical path, from the
 * production build (the same figure e2e/bundle-budget.spec.ts enforces in `npm test`). The
 * baseline, built in the same run with the same Vite settings, is a page that renders one
 * element with React 19 + react-dom and nothing else: the floor any React app starts from.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const kib = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

/** Builds the React-only page (inside node_modules/.cache so that `react` resolves). */
async function reactFloorGzipBytes(): Promise<number> {
  const dir = join(ROOT, 'node_modules', '.cache', 'parley-bench-react-floor');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><div id="root"></div><script type="module" src="./main.tsx"></script>',
  );
  writeFileSync(
    join(dir, 'main.tsx'),
    [
      "import { StrictMode } from 'react';",
      "import { createRoot } from 'react-dom/client';",
      "createRoot(document.getElementById('root')!).render(<StrictMode><h1>Hello</h1></StrictMode>);",
    ].join('\n'),
  );
  await build({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    plugins: [react()],
    build: { target: 'es2022', outDir: 'dist', modulePreload: { polyfill: false } },
  });
  const assets = join(dir, 'dist', 'assets');
  const bytes = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

test('first load: critical-path JavaScript of the call page', async () => {
  const load = firstLoad();
  const floor = await reactFloorGzipBytes();
  const brotli = load.critical.reduce(
    (sum, c) => sum + brotliCompressSync(readFileSync(join(WEB_DIST, c.file))).length,
    0,
  );
  const lazyGzip = load.lazy.reduce((sum, c) => sum + c.gzipBytes, 0);
  const total = load.criticalGzipBytes;
  writeBenchResult({
    id: 'first-load',
    title: "7. First load: JavaScript on the call page's critical path",
    rows: [
      {
        measure: 'Critical-path JS, gzip -9 (as served)',
        value: kib(total),
        unit: 'KiB',
        baseline: { name: 'React 19 + react-dom alone, same build', value: kib(floor) },
        ratio: ratio(total, floor),
        goal: `≤ ${FIRST_LOAD_BUDGET_BYTES / 1024} KiB gzip`,
        met: total <= FIRST_LOAD_BUDGET_BYTES,
      },
      {
        measure: '  of it beyond React (Parley and its libraries)',
        value: kib(total - floor),
        unit: 'KiB',
      },
      {
        measure: '  same files, brotli (sent to browsers that accept br)',
        value: kib(brotli),
        unit: 'KiB',
      },
      {
        measure: '  lazy chunks, gzip, loaded after first render',
        value: kib(lazyGzip),
        unit: 'KiB',
      },
    ],
    notes: [
      `1 KiB = 1024 bytes. Critical path: index.html's entry script and every chunk it imports statically, from Vite's manifest (apps/web/dist/.vite/manifest.json); the same code e2e/bundle-budget.spec.ts checks in npm test. Each file gzip'd at level 9, as the build precompresses it and the server (sirv) sends it.`,
      `Critical: ${load.critical.map((c) => `${c.file} ${kib(c.gzipBytes)} KiB`).join(', ')}.`,
      `Lazy (dynamic import, fetched after the first render): ${load.lazy.map((c) => `${c.file} ${kib(c.gzipBytes)} KiB`).join(', ')}.`,
      `React alone is ${kib(floor)} KiB of the ${FIRST_LOAD_BUDGET_BYTES / 1024} KiB budget, leaving ${kib(FIRST_LOAD_BUDGET_BYTES - floor)} KiB for everything else on the critical path.`,
    ],
  });
});
