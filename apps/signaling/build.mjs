// Bundles the server (with @parley/protocol, which ships as TypeScript source) into one ES module.
// npm dependencies stay external and are loaded from node_modules at run time.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  alias: { '@parley/protocol': '../../packages/protocol/src/index.ts' },
  logLevel: 'warning',
});
