// Bundles the server (with @parley/protocol, which ships as TypeScript source) into one ES module.
// npm dependencies stay external and are loaded from node_modules at run time.
import { build } from 'esbuild';

const options = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  alias: { '@parley/protocol': '../../packages/protocol/src/index.ts' },
  logLevel: 'warning',
};
await build({ ...options, entryPoints: ['src/main.ts'], outfile: 'dist/main.js' });
// `npm run webhook:test` inside the container, where there is no tsx.
await build({
  ...options,
  entryPoints: ['src/webhooks/send-test-event.ts'],
  outfile: 'dist/webhook-test.js',
});
