import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from '../lib/result.ts';
import { RpcChild } from './rpc.ts';
import type { ServerKind } from './wire.ts';
import { freePort } from '../../apps/signaling/src/testing/free-port.ts';

/** Starting and stopping the processes of one measurement: a server under test and two clients. */

const HOST_MODULE = fileURLToPath(new URL('./server-host.ts', import.meta.url));
const CLIENT_MODULE = fileURLToPath(new URL('./load-client.ts', import.meta.url));
export const LOG_DIR = join(RESULTS_DIR, 'logs');

export type Counts = {
  relayReceived: number;
  relaySent: number;
  t: number;
  errors: Record<string, number>;
};

export type Memory = { rss: number; heapUsed: number; external: number; arrayBuffers: number };

export type Server = { kind: ServerKind; child: RpcChild; port: number; pid: number };

export type Setup = {
  servers: Server[];
  clients: [RpcChild, RpcChild];
  /** Stops the clients, then the servers (Parley: SIGTERM, its graceful shutdown). */
  close(): Promise<void>;
};

async function startServer(kind: ServerKind, label: string): Promise<Server> {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(join(LOG_DIR, `${label}-${kind}.log`), 'w');
  const { child, ready } = await RpcChild.start<{ port: number; pid: number }>({
    name: `${kind} server`,
    module: HOST_MODULE,
    args: [kind, String(kind === 'parley' ? await freePort() : 0)],
    nodeFlags: [
      '--expose-gc',
      // BENCH_NODE_FLAGS="<flags>": extra V8/Node flags for every server under test alike, e.g.
      // --trace-gc-nvp or a heap size, for testing a hypothesis about where time goes.
      ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of every server under test, for finding hot spots.
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
    ],
    stdout: log,
  });
  return { kind, child, port: ready.port, pid: ready.pid };
}

/** Two fresh load-generating client processes. */
export async function startClients(): Promise<[RpcChild, RpcChild]> {
  return (await Promise.all(
    (['a', 'b'] as const).map(async (side) => {
      const { child } = await RpcChild.start({ name: `client ${side}`, module: CLIENT_MODULE });
      return child;
    }),
  )) as [RpcChild, RpcChild];
}

/**
 * Fresh servers of the given kinds, each in its own process, and two client processes: fresh
 * ones, or `reuse` (their sockets are closed when this setup closes, the processes kept).
 */
export async function setUp(
  kinds: readonly ServerKind[],
  label: string,
  reuse?: [RpcChild, RpcChild],
): Promise<Setup> {
  const servers: Server[] = [];
  for (const kind of kinds) servers.push(await startServer(kind, label));
  const clients = reuse ?? (await startClients());
  return {
    servers,
    clients,
    async close() {
      await Promise.all(clients.map((c) => c.call('closeAll').catch(() => undefined)));
      if (!reuse) await Promise.all(clients.map((c) => c.stop()));
      await Promise.all(servers.map((s) => s.child.stop()));
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function both<T>(
  clients: [RpcChild, RpcChild],
  method: string,
  args: (side: 'a' | 'b') => unknown = () => ({}),
) {
  return Promise.all([
    clients[0].call<T>(method, args('a')),
    clients[1].call<T>(method, args('b')),
  ]);
}

/** Opens the sockets of side a, then of side b (Parley: b's joins find a already in the rooms). */
export async function connectSides(
  clients: [RpcChild, RpcChild],
  args: (side: 'a' | 'b') => Record<string, unknown>,
): Promise<void> {
  await clients[0].call('connect', { ...args('a'), side: 'a' });
  await clients[1].call('connect', { ...args('b'), side: 'b' });
}

/**
 * Waits until every signal sent has been received (nothing left in flight), polling the
 * counters; gives up after `timeoutMs` and returns how many went missing.
 */
export async function drain(
  clients: [RpcChild, RpcChild],
  group: string,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [a, b] = await both<Counts>(clients, 'counts', () => ({ group }));
    const missing = a.relaySent + b.relaySent - a.relayReceived - b.relayReceived;
    if (missing <= 0 || performance.now() > deadline) return missing;
    await sleep(20);
  }
}

export function mergeErrors(...lists: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const list of lists) for (const [k, v] of Object.entries(list)) out[k] = (out[k] ?? 0) + v;
  return out;
}
