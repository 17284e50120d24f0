import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the signalling server runs on its own port (see scripts/dev.mjs) and Vite
// proxies the WebSocket to it, so the page still talks to its own origin as in production.
const signalingPort = process.env.SIGNALING_PORT ?? '8787';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { '/ws': { target: `ws://127.0.0.1:${signalingPort}`, ws: true } },
  },
  build: {
    target: 'es2022',
    sourcemap: true,
  },
});
