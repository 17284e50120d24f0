import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { median, shuffled } from '../lib/stats.ts';
import type { RpcChild } from './rpc.ts';
import {
  both,
  connectSides,
  drain,
  setUp,
  sleep,
  startClients,
  type Counts,
  type Server,
  type Setup,
} from './harness.ts';
import type { ServerKind } from './wire.ts';

/**
 * Before/after for a change to the relay path: two or more builds of Parley (and the bare
 * forwarder, as the floor) measured side by side, in alternating closed-loop windows on warm
 * sockets, in a fresh random order each round. Reports, per build, the server's CPU time per
 * relayed signal with its kernel share (CPU time is robust to other load; the split tells
 * JavaScript from socket work), its write system calls per signal, and the closed-loop rate.
 * ROUNDS (8), WINDOW_MS (1500) and PAIRS (100 socket pairs per server) can be set in the
 * environment.
 *
 *   npm run build -w @parley/signaling && cp -r apps/signaling/dist /tmp/before   # on the old commit
 *   npx tsx bench/signaling/compare-builds.ts /tmp/before/main.js apps/signaling/dist/main.js
 *
 * A build outside the repository needs the repository's node_modules next to it (a symlink)
 * and a package.json saying {"type":"module"}.
 */

const entries = process.argv.slice(2).map((entry) => resolve(entry));
if (entries.length === 0) throw new Error('usage: compare-builds.ts <main.js> [<main.js>...]');
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 1500);
const PAIRS = Number(process.env.PAIRS ?? 100);

/** One server under test; its sockets are the group `group` in the shared client processes. */
type Arm = { name: string; group: string; setup: Setup; server: Server; windows: Window[] };
type Window = { rate: number; cpu: number; system: number; writes: number };

/** Write-type system calls this process has made (write, writev, sendmsg...), from /proc. */
function writeCalls(pid: number): number {
  const match = /^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!match) throw new Error(`no syscw in /proc/${pid}/io`);
  return Number(match[1]);
}

async function startArm(
  name: string,
  kind: ServerKind,
  clients: [RpcChild, RpcChild],
  entry?: string,
): Promise<Arm> {
  // The server host reads PARLEY_BENCH_ENTRY when it starts (see servers/parley.ts).
  if (entry) process.env.PARLEY_BENCH_ENTRY = entry;
  else delete process.env.PARLEY_BENCH_ENTRY;
  const setup = await setUp([kind], `compare-${name.replace(/\W+/g, '_')}`, clients);
  const [server] = setup.servers;
  if (!server) throw new Error('no server started');
  const runId = `cmp${Math.random().toString(36).slice(2, 10)}`;
  const group = `${kind}-${runId}`;
  await connectSides(setup.clients, () => ({
    group,
    kind,
    port: server.port,
    count: PAIRS,
    runId,
    purpose: 'relay',
  }));
  await both(setup.clients, 'ready', (side) => ({ group, side }));
  return { name, group, setup, server, windows: [] };
}

async function measure({ setup, server, group }: Arm): Promise<Window> {
  const { clients } = setup;
  await both(clients, 'startLoop', () => ({ group, window: 2 }));
  await sleep(300);
  const writes0 = writeCalls(server.pid);
  const cpu0 = await server.child.call<NodeJS.CpuUsage>('cpuSplitMicros');
  const start = await both<Counts>(clients, 'counts', () => ({ group }));
  await sleep(WINDOW_MS);
  const end = await both<Counts>(clients, 'counts', () => ({ group }));
  const cpu1 = await server.child.call<NodeJS.CpuUsage>('cpuSplitMicros');
  const writes1 = writeCalls(server.pid);
  await both(clients, 'stop', () => ({ group }));
  await drain(clients, group);
  const relayed =
    end[0].relayReceived - start[0].relayReceived + end[1].relayReceived - start[1].relayReceived;
  const seconds = (end[0].t - start[0].t) / 1000;
  return {
    rate: relayed / seconds,
    cpu: (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / relayed,
    system: (cpu1.system - cpu0.system) / relayed,
    writes: (writes1 - writes0) / relayed,
  };
}

const arms: Arm[] = [];
// One pair of client processes for every arm: each arm's sockets are a group of their own.
const clients = await startClients();
try {
  for (const entry of entries) arms.push(await startArm(entry, 'parley', clients, entry));
  arms.push(await startArm('bare ws forwarder', 'bare', clients));
  for (let round = 0; round <= ROUNDS; round++) {
    const line: string[] = [];
    for (const arm of shuffled(arms)) {
      const w = await measure(arm);
      if (round > 0) arm.windows.push(w);
      line.push(
        `${arm.name}: ${w.cpu.toFixed(1)} µs (${w.system.toFixed(1)} in the kernel), ${w.writes.toFixed(2)} writes`,
      );
    }
    console.log(`${round === 0 ? 'warm-up' : `round ${round}`}  ${line.join(' | ')}`);
  }
  const first = arms[0]?.windows ?? [];
  for (const { name, windows } of arms) {
    const ratios = windows.map((w, i) => w.cpu / (first[i]?.cpu ?? Number.NaN));
    console.log(
      `${name}\n  server CPU per signal ${median(windows.map((w) => w.cpu)).toFixed(2)} µs ` +
        `(median per-round ratio to the first build ${median(ratios).toFixed(3)}; ` +
        `in the kernel ${median(windows.map((w) => w.system)).toFixed(2)} µs), ` +
        `write calls per signal ${median(windows.map((w) => w.writes)).toFixed(2)}, ` +
        `${Math.round(median(windows.map((w) => w.rate)))} msgs/s`,
    );
  }
} finally {
  for (const arm of arms) await arm.setup.close();
  await Promise.all(clients.map((c) => c.stop()));
}
process.exit(0);
