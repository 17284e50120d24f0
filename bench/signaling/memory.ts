import { randomBytes } from 'node:crypto';
import { sized } from '../lib/mode.ts';
import { ratio, writeBenchResult, type BenchRow } from '../lib/result.ts';
import { describeRange, median, round, shuffled } from '../lib/stats.ts';
import type { RpcChild } from './rpc.ts';
import { both, setUp, startClients, type Memory } from './harness.ts';
import { SERVER_LABELS, type ServerKind } from './wire.ts';

/**
 * Bench 3: memory per idle connection. A fresh server process measures its RSS after full GCs,
 * the two client processes open `connections` sockets (Parley: once only connected, once
 * joined into rooms of 4), and the server measures again after full GCs.
 */

type Case = { kind: ServerKind; joined: boolean; label: string };

const CASES: Case[] = [
  { kind: 'bare', joined: false, label: SERVER_LABELS.bare },
  { kind: 'parley', joined: false, label: 'Parley, connected' },
  { kind: 'parley', joined: true, label: 'Parley, joined (rooms of 4)' },
  { kind: 'peerjs', joined: false, label: `${SERVER_LABELS.peerjs} (registered)` },
];

const KiB = 1024;
/** Smoke runs (figures mean nothing) settle with 2 full GCs, not up to 10. */
const SETTLE = { maxGcs: sized(10, 10, 2) };
export const ROOM_SIZE = 4;

/**
 * Opens `connections` sockets from the two client processes to a fresh `server` (joined into
 * rooms of ROOM_SIZE, or only connected) and returns its settled memory growth per connection.
 */
export async function memoryPerConnection(
  clients: [RpcChild, RpcChild],
  server: { port: number; child: RpcChild },
  kind: ServerKind,
  connections: number,
  joined: boolean,
) {
  const before = await server.child.call<Memory>('settledMemory', SETTLE);
  // Room IDs unique per measurement: a shared Redis may serve several.
  const runId = randomBytes(6).toString('base64url');
  await both(clients, 'connect', (side) => ({
    group: 'memory',
    kind,
    port: server.port,
    side,
    count: connections / 2,
    runId,
    purpose: joined ? 'joined' : 'idle',
    roomSize: ROOM_SIZE,
  }));
  // Joined: wait until every member has heard of all others, so the server's sends are done.
  if (joined)
    await both(clients, 'ready', (side) => ({ group: 'memory', side, roomSize: ROOM_SIZE }));
  const after = await server.child.call<Memory>('settledMemory', SETTLE);
  return {
    rssPerConn: (after.rss - before.rss) / connections / KiB,
    heapPerConn: (after.heapUsed - before.heapUsed) / connections / KiB,
    before,
    after,
  };
}

/** A fresh server per measurement; the client processes are the same throughout. */
async function measure(c: Case, connections: number, clients: [RpcChild, RpcChild]) {
  const setup = await setUp([c.kind], `memory${c.joined ? '-joined' : ''}`, clients);
  const [server] = setup.servers;
  try {
    if (!server) throw new Error('no server');
    return await memoryPerConnection(setup.clients, server, c.kind, connections, c.joined);
  } finally {
    await setup.close();
  }
}

/** `shared`: a pair of load generators to use (and leave running) instead of fresh ones. */
export async function runMemoryBench(
  connections: number,
  repeats: number,
  log: (line: string) => void,
  shared?: [RpcChild, RpcChild],
) {
  // Each of the two client processes fills whole rooms; a part-filled room would wait forever.
  if (connections % (2 * ROOM_SIZE) !== 0)
    throw new Error(`connections (${connections}) must be a multiple of ${2 * ROOM_SIZE}`);
  const runs = new Map<Case, Array<Awaited<ReturnType<typeof measure>>>>(CASES.map((c) => [c, []]));
  const clients = shared ?? (await startClients());
  try {
    for (let r = 0; r < repeats; r++) {
      for (const c of shuffled(CASES)) {
        const m = await measure(c, connections, clients);
        runs.get(c)?.push(m);
        log(
          `  ${c.label.padEnd(30)} ${m.rssPerConn.toFixed(1).padStart(6)} KB RSS/conn   ${m.heapPerConn.toFixed(1).padStart(6)} KB JS heap/conn`,
        );
      }
    }
  } finally {
    if (!shared) await Promise.all(clients.map((c) => c.stop()));
  }
  const rss = (c: Case) => (runs.get(c) ?? []).map((m) => m.rssPerConn);
  const heap = (c: Case) => (runs.get(c) ?? []).map((m) => m.heapPerConn);
  const bareCase = CASES.find((c) => c.kind === 'bare');
  const bare = bareCase ? median(rss(bareCase)) : Number.NaN;
  const rows = CASES.filter((c) => c.kind !== 'bare').map((c) => {
    const value = median(rss(c));
    const row: BenchRow = {
      measure: `Memory per idle connection at ${connections / 1000}k: ${c.label}`,
      value: round(value),
      unit: 'KB RSS/conn',
      baseline: { name: SERVER_LABELS.bare, value: round(bare) },
      ratio: ratio(value, bare),
    };
    if (c.kind === 'parley') {
      row.goal = '≤ 12 KB';
      row.met = value <= 12;
    }
    return row;
  });
  writeBenchResult({
    id: 'idle-memory',
    title: `3. Memory per idle connection at ${connections / 1000}k connections`,
    rows,
    notes: [
      `RSS of the server process after full GCs (node --expose-gc, triggered over IPC by the bench harness), before and after ${connections} connections from 2 client processes, divided by ${connections}; KB = 1024 bytes. A fresh server process per measurement; ${repeats} measurement(s) per row in shuffled order, median reported.`,
      'Parley "connected": WebSocket open, no join. "joined": every socket joined a room of 4 and has heard of the other 3 (joined + peer-joined), the state of a participant sitting in a call.',
      `Per measurement, RSS KB/conn: ${CASES.map((c) => `${c.label} ${describeRange(rss(c), 1)}`).join('; ')}.`,
      `JS heap KB/conn (median): ${CASES.map((c) => `${c.label} ${median(heap(c)).toFixed(1)}`).join('; ')}.`,
      'The PeerJS server registers each client on connect (its equivalent of joining) and needs a HEARTBEAT every 5 s, which the clients send.',
    ],
  });
}
