import { announceReady, serveRpc } from './rpc.ts';
import type { ServerKind } from './wire.ts';

/**
 * Runs one server under test in its own process (started with --expose-gc), and answers the
 * bench's memory questions over IPC. The GC hook lives here, in the bench harness, never in
 * production code.
 */

const kind = process.argv[2] as ServerKind;
const port = Number(process.argv[3] ?? 0);
const HOST = '127.0.0.1';

function memory() {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

serveRpc({
  memory,
  /** CPU time this process has used (user + system, µs): robust to other load, unlike rates. */
  cpuMicros() {
    const { user, system } = process.cpuUsage();
    return user + system;
  },
  /** The same time split into user (JavaScript, V8, libuv) and system (the kernel's share). */
  cpuSplitMicros() {
    return process.cpuUsage();
  },
  /**
   * Full GCs, 100 ms apart, until RSS moves by less than 64 KiB (at most `maxGcs`, 10 unless
   * a smoke run asks for fewer), then the memory figures. The pause lets finalizers run and
   * freed native memory go back to the system.
   */
  async settledMemory({ maxGcs = 10 }: { maxGcs?: number } = {}) {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('start the server host with --expose-gc');
    let last = Number.POSITIVE_INFINITY;
    for (let i = 0; i < maxGcs; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const rss = process.memoryUsage().rss;
      if (Math.abs(rss - last) < 64 * 1024) break;
      last = rss;
    }
    return memory();
  },
});

// Parley's own entry handles SIGTERM (graceful shutdown, then exit); the others just exit, so
// that --cpu-prof still writes its profile.
if (kind !== 'parley') process.on('SIGTERM', () => process.exit(0));

// Each host loads only the server it runs, so none carries another's modules in its memory.
async function start(): Promise<number> {
  if (kind === 'parley') return (await import('./servers/parley.ts')).startParley(port);
  if (kind === 'bare')
    return (await import('./servers/bare-forwarder.ts')).startBareForwarder(HOST);
  return (await import('./servers/peerjs.ts')).startPeerJs(HOST);
}

const started = await start();
announceReady({ port: started, pid: process.pid });
