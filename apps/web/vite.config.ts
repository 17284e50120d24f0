import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { serviceWorker } from './src/sw/vite-plugin.ts';

// In development the signalling server runs on its own port (see scripts/dev.mjs) and Vite
// proxies the WebSocket to it, so the page still talks to its own origin as in production.
const signalingPort = process.env.SIGNALING_PORT ?? '8787';

/**
 * Writes a .gz and a .br beside every script, style sheet and page. The server (sirv) sends
 * those when the browser accepts them; it does not compress on the fly, so without them the
 * call page's JavaScript would travel at its full size (about 3× its gzip size).
 */
function precompress(): Plugin {
  return {
    name: 'parley:precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir ?? 'dist';
      for (const [fileName, output] of Object.entries(bundle)) {
        if (!/\.(js|css|html)$/.test(fileName)) continue;
        const source = output.type === 'chunk' ? output.code : output.source;
        const bytes = typeof source === 'string' ? Buffer.from(source) : Buffer.from(source);
        const path = join(dir, fileName);
        writeFileSync(`${path}.gz`, gzipSync(bytes, { level: 9 }));
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig(({ mode }) => ({
  plugins: [react(), precompress(), serviceWorker()],
  server: {
    proxy: {
      '/ws': { target: `ws://127.0.0.1:${signalingPort}`, ws: true },
      // The HTTP signalling transports (SSE, long-polling), for networks that block WebSocket.
      '/signal/': { target: `http://127.0.0.1:${signalingPort}` },
    },
  },
  resolve: {
    // simple-peer's logging is dead weight in production (src/shims/debug-noop.ts says why).
    alias:
      mode === 'production'
        ? { debug: fileURLToPath(new URL('./src/shims/debug-noop.ts', import.meta.url)) }
        : {},
  },
  build: {
    target: 'es2022',
    sourcemap: true,
    // Every es2022 browser we support has native <link rel="modulepreload">; the polyfill
    // would only add bytes to the critical path.
    modulePreload: { polyfill: false },
    // dist/.vite/manifest.json: which chunks each chunk imports statically (the critical path)
    // and which it loads lazily. The bundle budget test reads it; sirv never serves dotfiles.
    manifest: true,
  },
}));
