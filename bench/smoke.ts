import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench:smoke`: every bench once at a tiny size, to catch bench rot (a bench that no
 * longer runs) in `npm test`. It fails only when a bench cannot run, never on a figure; the
 * figures mean nothing and go to test-results/bench-smoke/, never to bench/results/.
 *
 *   npm run bench:smoke [-- --report=FILE]   also write {passed, failed, failure} to FILE
 *
 * It reuses the production build when there is one (npm test has just made it), else builds.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const results = join(ROOT, 'test-results', 'bench-smoke');
rmSync(results, { recursive: true, force: true });
// Set before bench/run.ts loads: its modules read them once, at import.
process.env.BENCH_SMOKE = '1';
process.env.BENCH_RESULTS_DIR = results;
const built =
  existsSync(join(ROOT, 'apps/signaling/dist/main.js')) &&
  existsSync(join(ROOT, 'apps/web/dist/index.html'));
process.argv.push('--smoke', ...(built ? ['--no-build'] : []));
await import('./run.ts');
