// Development: the signalling server (restarting on change) and Vite with hot reload.
// Open http://localhost:5173; Vite proxies /ws to the signalling server.
import { spawn } from 'node:child_process';

const signalingPort = process.env.SIGNALING_PORT ?? '8787';
const children = [
  spawn('npx', ['tsx', 'watch', 'apps/signaling/src/main.ts'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      PORT: signalingPort,
      HOST: '127.0.0.1',
      STATIC_DIR: '',
      ALLOWED_ORIGINS: 'http://localhost:5173,http://127.0.0.1:5173',
    },
  }),
  spawn('npx', ['vite', 'apps/web'], {
    stdio: 'inherit',
    env: { ...process.env, SIGNALING_PORT: signalingPort },
  }),
];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', stop);
