import type { RedisProcess } from '../../apps/signaling/src/testing/redis-process.ts';
import { ratio, writeBenchResult, type BenchRow } from '../lib/result.ts';
import { describeRange, median, round, shuffled } from '../lib/stats.ts';
import { startBenchRedis, startHost } from './cluster-setup.ts';
import { memoryPerConnection, ROOM_SIZE } from './memory.ts';
import { RpcChild } from './rpc.ts';

/**
 * Memory per idle connection with scale-out on (issue 15): the same measure as bench 3 (RSS of
 * a fresh server process after full GCs, before and after the connections), for Parley with
 * REDIS_URL beside Parley without it, in the same run. With Redis on, each room joined costs the
 * instance a channel subscription and its record of owned seats; connected-only sockets cost
 * nothing extra.
 */

type Case = { redis: boolean; joined: boolean; label: string };

const CASES: Case[] = [
  { redis: false, joined: true, label: 'joined, in-memory' },
  { redis: true, joined: true, label: 'joined, Redis on' },
  { redis: true, joined: false, label: 'connected, Redis on' },
];

async function measure(
  c: Case,
  connections: number,
  clients: [RpcChild, RpcChild],
  redis: RedisProcess,
  secret: string,
) {
  const host = await startHost(
    'parley',
    `cluster-memory-${c.redis ? 'redis' : 'plain'}-${c.joined ? 'joined' : 'idle'}`,
    c.redis ? { url: redis.url, secret } : undefined,
  );
  try {
    const { rssPerConn, heapPerConn } = await memoryPerConnection(
      clients,
      host,
      'parley',
      connections,
      c.joined,
    );
    return { rssPerConn, heapPerConn };
  } finally {
    await Promise.all(clients.map((client) => client.call('closeAll')));
    await host.child.stop();
  }
}

/** `shared`: a pair of load generators to use (and leave running) instead of fresh ones. */
export async function runClusterMemoryBench(
  connections: number,
  repeats: number,
  log: (line: string) => void,
  shared?: [RpcChild, RpcChild],
) {
  if (connections % (2 * ROOM_SIZE) !== 0)
    throw new Error(`connections (${connections}) must be a multiple of ${2 * ROOM_SIZE}`);
  const { redis, secret } = await startBenchRedis();
  const runs = new Map<Case, Array<{ rssPerConn: number; heapPerConn: number }>>(
    CASES.map((c) => [c, []]),
  );
  // One pair of load generators for every measurement (closeAll between them): fewer starts.
  const clients: RpcChild[] = shared ? [...shared] : [];
  try {
    for (const side of shared ? [] : ['a', 'b']) {
      const { child } = await RpcChild.start({
        name: `client ${side}`,
        module: new URL('./load-client.ts', import.meta.url).pathname,
      });
      clients.push(child);
    }
    for (let r = 0; r < repeats; r++) {
      for (const c of shuffled(CASES)) {
        const m = await measure(c, connections, clients as [RpcChild, RpcChild], redis, secret);
        runs.get(c)?.push(m);
        log(
          `  ${c.label.padEnd(22)} ${m.rssPerConn.toFixed(1).padStart(6)} KB RSS/conn   ${m.heapPerConn.toFixed(1).padStart(6)} KB JS heap/conn`,
        );
      }
    }
  } finally {
    if (!shared) await Promise.all(clients.map((c) => c.stop()));
    await redis.stop();
  }
  const rss = (c: Case) => (runs.get(c) ?? []).map((m) => m.rssPerConn);
  const heap = (c: Case) => (runs.get(c) ?? []).map((m) => m.heapPerConn);
  const [plain] = CASES;
  const base = plain ? median(rss(plain)) : Number.NaN;
  const rows: BenchRow[] = CASES.filter((c) => c.redis).map((c) => {
    const value = median(rss(c));
    return {
      measure: `Memory per idle connection at ${connections / 1000}k, Redis on: ${c.label.replace(', Redis on', '')}`,
      value: round(value),
      unit: 'KB RSS/conn',
      baseline: { name: 'Parley joined, in-memory', value: round(base) },
      ratio: ratio(value, base),
      goal: '≤ 12 KB',
      met: value <= 12,
    };
  });
  writeBenchResult({
    id: 'cluster-memory',
    title: `10. Memory per idle connection with scale-out on (${connections / 1000}k connections)`,
    rows,
    notes: [
      `As bench 3: RSS of a fresh server process after full GCs, before and after ${connections} connections from 2 client processes, divided by ${connections} (KB = 1024 bytes); "joined" = rooms of ${ROOM_SIZE}, every member has heard of the other ${ROOM_SIZE - 1}. ` +
        `"Redis on": REDIS_URL to a private redis-server (Redis's own memory is not counted: it is another process, usually another machine). ${repeats} measurement(s) per case in shuffled order, median reported.`,
      `Per measurement, RSS KB/conn: ${CASES.map((c) => `${c.label} ${describeRange(rss(c), 1)}`).join('; ')}.`,
      `JS heap KB/conn (median): ${CASES.map((c) => `${c.label} ${median(heap(c)).toFixed(1)}`).join('; ')}.`,
    ],
  });
}
