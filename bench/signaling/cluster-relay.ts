import { randomBytes } from 'node:crypto';
import { RpcChild } from './rpc.ts';
import { writeBenchResult, ratio, type BenchRow } from '../lib/result.ts';
import { describeRange, median, round, shuffled } from '../lib/stats.ts';
import { both } from './harness.ts';
import {
  processCpuMicros,
  runQueueWaitMs,
  startBenchRedis,
  startHost,
  type Measured,
} from './cluster-setup.ts';
import { measureLatency, measureThroughput, type RelayPlan } from './relay.ts';
import { FRAME_BYTES } from './wire.ts';

/**
 * Scale-out relay (issue 15): signals between two Parley instances sharing rooms through Redis,
 * measured beside one instance without Redis, one instance with Redis on (both partners on it:
 * the local path, which still reads the room from Redis), and the bare ws forwarder. As in the
 * relay bench, every setup runs at once with its sockets open in the same two client processes,
 * and they are measured in short alternating windows in a shuffled order per round.
 *
 * Server CPU per relayed signal counts every server process a setup uses: for the cross-instance
 * relay both instances and redis-server (/proc), for Redis-on one instance and redis-server.
 */

type SetupName = 'cross' | 'local-redis' | 'single' | 'bare';

const LABELS: Record<SetupName, string> = {
  cross: 'cross-instance (2 + Redis)',
  'local-redis': 'one instance, Redis on',
  single: 'one instance (in-memory)',
  bare: 'bare ws forwarder',
};

type Group = {
  name: SetupName;
  /** Where side a's and side b's sockets connect. */
  ports: { a: number; b: number };
  /** CPU time (µs) of every process serving this setup, by process. */
  cpu(): Promise<Record<string, number>>;
  /** The server processes a signal of this setup passes through, by name. */
  servers: Record<string, number>;
};

type RoundResult = {
  name: SetupName;
  round: number;
  throughput: number;
  cpuPerSignal: number;
  cpuSplit: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
  achievedRate: number;
  missing: number;
  errors: Record<string, number>;
  /** Per process on the path: ms a second spent waiting for a core during the latency window. */
  waits: Record<string, number>;
};

/** Rounds beyond these add little: four setups per round already make it the longest bench. */
const MAX_ROUNDS = 3;

/** `lanePair`: a pair of load generators to use (and leave running) instead of fresh ones. */
export async function runClusterRelayBench(
  relayPlan: RelayPlan,
  log: (line: string) => void,
  lanePair?: [RpcChild, RpcChild],
) {
  const plan = { ...relayPlan, rounds: Math.min(relayPlan.rounds, MAX_ROUNDS) };
  const { redis, secret } = await startBenchRedis();
  const shared = { url: redis.url, secret };
  const hosts: Measured[] = [];
  const clients: RpcChild[] = lanePair ? [...lanePair] : [];
  const results: RoundResult[] = [];
  const orders: string[] = [];
  try {
    // Started together: on a busy machine each start takes seconds.
    const started = await Promise.allSettled([
      startHost('parley', 'cluster-relay-instance-a', shared),
      startHost('parley', 'cluster-relay-instance-b', shared),
      startHost('parley', 'cluster-relay-single'),
      startHost('bare', 'cluster-relay-bare'),
    ]);
    for (const s of started) if (s.status === 'fulfilled') hosts.push(s.value);
    const [a, b, single, bare] = started.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    }) as [Measured, Measured, Measured, Measured];
    const cpuOf = (h: Measured) => h.child.call<number>('cpuMicros');
    const redisCpu = () => processCpuMicros(redis.pid);
    const groups: Group[] = [
      {
        name: 'cross',
        ports: { a: a.port, b: b.port },
        cpu: async () => ({
          'instance A': await cpuOf(a),
          'instance B': await cpuOf(b),
          redis: redisCpu(),
        }),
        servers: { 'instance A': a.pid, 'instance B': b.pid, redis: redis.pid },
      },
      {
        name: 'local-redis',
        ports: { a: a.port, b: a.port },
        cpu: async () => ({ 'instance A': await cpuOf(a), redis: redisCpu() }),
        servers: { 'instance A': a.pid, redis: redis.pid },
      },
      {
        name: 'single',
        ports: { a: single.port, b: single.port },
        cpu: async () => ({ server: await cpuOf(single) }),
        servers: { server: single.pid },
      },
      {
        name: 'bare',
        ports: { a: bare.port, b: bare.port },
        cpu: async () => ({ server: await cpuOf(bare) }),
        servers: { server: bare.pid },
      },
    ];
    for (const started of await Promise.allSettled(
      (lanePair ? [] : ['a', 'b']).map((side) =>
        RpcChild.start({
          name: `client ${side}`,
          module: new URL('./load-client.ts', import.meta.url).pathname,
        }),
      ),
    ))
      if (started.status === 'fulfilled') clients.push(started.value.child);
      else throw started.reason;
    const pair = clients as [RpcChild, RpcChild];
    const runId = randomBytes(6).toString('base64url');
    for (const g of groups) {
      for (const side of ['a', 'b'] as const) {
        await pair[side === 'a' ? 0 : 1].call('connect', {
          group: g.name,
          kind: g.name === 'bare' ? 'bare' : 'parley',
          port: g.ports[side],
          side,
          count: plan.sockets / 2,
          runId: `${runId}${g.name.replace('-', '')}`,
          purpose: 'relay',
        });
      }
      await both(pair, 'ready', (side) => ({ group: g.name, side }));
    }
    for (let round = plan.warmUpRound ? 0 : 1; round <= plan.rounds; round++) {
      const order = shuffled(groups);
      if (round > 0) orders.push(order.map((g) => g.name).join(' → '));
      for (const g of order) {
        const t = await measureThroughput(pair, g.name, plan, g.cpu);
        const onPath = {
          ...g.servers,
          'client a': pair[0].process.pid ?? 0,
          'client b': pair[1].process.pid ?? 0,
        };
        const path = Object.entries(onPath);
        const waitedBefore = path.map(([, pid]) => runQueueWaitMs(pid));
        const windowStart = performance.now();
        const { latency, missing, errors } = await measureLatency(pair, g.name, plan);
        const windowSeconds = (performance.now() - windowStart) / 1000;
        const waits = Object.fromEntries(
          path.map(([name, pid], i) => [
            name,
            (runQueueWaitMs(pid) - (waitedBefore[i] ?? 0)) / windowSeconds,
          ]),
        );
        const { p50, p99, max, achievedRate } = latency;
        const r: RoundResult = {
          name: g.name,
          round,
          ...t,
          p50,
          p99,
          max,
          achievedRate,
          missing: t.missing + missing,
          errors,
          waits,
        };
        log(
          `  ${round === 0 ? 'warm-up' : `round ${round}`} ${LABELS[g.name].padEnd(28)} ` +
            `${Math.round(r.throughput).toString().padStart(7)} msgs/s (${r.cpuPerSignal.toFixed(1)} µs server CPU each)   ` +
            `at ${plan.latencyRate / 1000}k/s: p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} max ${r.max.toFixed(1)} ms` +
            `; waiting for a core (ms/s): ${Object.entries(r.waits)
              .map(([k, v]) => `${k} ${v.toFixed(0)}`)
              .join(', ')}` +
            (r.missing > 0 ? `   ${r.missing} lost` : '') +
            (Object.keys(r.errors).length ? `   errors ${JSON.stringify(r.errors)}` : ''),
        );
        if (round > 0) results.push(r);
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.call('closeAll').catch(() => undefined)));
    if (!lanePair) await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(hosts.map((h) => h.child.stop()));
    await redis.stop();
  }
  writeClusterRelayResult(plan, results, orders);
  return results;
}

function writeClusterRelayResult(plan: RelayPlan, results: RoundResult[], orders: string[]) {
  const of = (name: SetupName) => results.filter((r) => r.name === name);
  const med = (name: SetupName, pick: (r: RoundResult) => number) => median(of(name).map(pick));
  const roundRatios = (x: SetupName, y: SetupName, pick: (r: RoundResult) => number) =>
    Array.from({ length: plan.rounds }, (_, i) => {
      const rx = results.find((r) => r.name === x && r.round === i + 1);
      const ry = results.find((r) => r.name === y && r.round === i + 1);
      return rx && ry ? pick(rx) / pick(ry) : Number.NaN;
    });
  const tput = (r: RoundResult) => r.throughput;
  const cpu = (r: RoundResult) => r.cpuPerSignal;
  const p99 = (r: RoundResult) => r.p99;
  const single = LABELS.single;

  const tputRatio = median(roundRatios('cross', 'single', tput));
  const crossP99 = med('cross', p99);
  const rows: BenchRow[] = [
    {
      measure: 'Cross-instance relay throughput vs one instance',
      value: round(med('cross', tput)),
      unit: 'msgs/s',
      baseline: { name: single, value: round(med('single', tput)) },
      ratio: round(tputRatio),
      goal: '≥ 0.5× one instance',
      met: tputRatio >= 0.5,
    },
    {
      measure: `Cross-instance relay latency p99 at ${plan.latencyRate / 1000}k msgs/s`,
      value: round(crossP99),
      unit: 'ms',
      baseline: { name: single, value: round(med('single', p99)) },
      ratio: ratio(crossP99, med('single', p99)),
      goal: '≤ 3 ms',
      met: crossP99 <= 3,
    },
    {
      measure: 'Cross-instance relay latency p50',
      value: round(med('cross', (r) => r.p50)),
      unit: 'ms',
      baseline: { name: single, value: round(med('single', (r) => r.p50)) },
      ratio: ratio(
        med('cross', (r) => r.p50),
        med('single', (r) => r.p50),
      ),
    },
  ];
  for (const name of ['cross', 'local-redis', 'single'] as const)
    rows.push({
      measure: `Server CPU per relayed signal: ${LABELS[name]}`,
      value: round(med(name, cpu)),
      unit: 'µs',
      baseline: { name: LABELS.bare, value: round(med('bare', cpu)) },
      ratio: round(median(roundRatios(name, 'bare', cpu))),
    });
  rows.push(
    {
      measure: 'Relay throughput, one instance with Redis on, vs in-memory',
      value: round(med('local-redis', tput)),
      unit: 'msgs/s',
      baseline: { name: single, value: round(med('single', tput)) },
      ratio: round(median(roundRatios('local-redis', 'single', tput))),
    },
    {
      measure: `Relay latency p99 at ${plan.latencyRate / 1000}k msgs/s, one instance with Redis on`,
      value: round(med('local-redis', p99)),
      unit: 'ms',
      baseline: { name: single, value: round(med('single', p99)) },
      ratio: ratio(med('local-redis', p99), med('single', p99)),
    },
  );
  const names: SetupName[] = ['cross', 'local-redis', 'single', 'bare'];
  const split = (name: SetupName) => {
    const keys = Object.keys(of(name)[0]?.cpuSplit ?? {});
    return keys
      .map((k) => `${k} ${median(of(name).map((r) => r.cpuSplit[k] ?? Number.NaN)).toFixed(1)}`)
      .join(' + ');
  };
  const waitSplit = (name: SetupName) =>
    Object.keys(of(name)[0]?.waits ?? {})
      .map((k) => `${k} ${median(of(name).map((r) => r.waits[k] ?? Number.NaN)).toFixed(0)}`)
      .join(', ');
  const lost = results.filter((r) => r.missing > 0 || Object.keys(r.errors).length > 0);
  const slow = results.filter((r) => r.achievedRate < plan.latencyRate * 0.95);
  writeBenchResult({
    id: 'cluster-relay',
    title: '9. Scale-out relay: two instances through Redis',
    rows,
    notes: [
      `${plan.sockets} sockets per setup (${plan.sockets / 2} pairs, each in its own room, one side in each of 2 client processes), ${FRAME_BYTES}-byte signals, compression off, 127.0.0.1. ` +
        `Cross-instance: side a's sockets on instance A, side b's on instance B, both with REDIS_URL to one private redis-server (no persistence); every signal crosses Redis pub/sub. ` +
        `"One instance, Redis on": both sides on instance A (the local path: the room is still read from Redis per signal). "One instance (in-memory)": a third Parley without REDIS_URL.`,
      `All four setups run at once, measured in alternating windows: ${plan.warmUpRound ? 'one warm-up round, then ' : 'no warm-up round, '}${plan.rounds} recorded round(s), order shuffled per round: ${orders.join('; ')}. ` +
        `Throughput: closed loop, ${plan.window} signal(s) in flight per socket, ${plan.throughputMs / 1000} s counted after ${plan.warmupMs / 1000} s. ` +
        `Latency: open loop at ${plan.latencyRate} msgs/s in total for ${plan.latencyMs / 1000} s, send→receive on CLOCK_MONOTONIC (same host). Figures are medians over rounds; ratios are medians of per-round ratios.`,
      `Server CPU per relayed signal (µs, median) by process: ${names.map((n) => `${LABELS[n]}: ${split(n)}`).join('; ')}. redis-server's CPU is read from /proc (10 ms ticks).`,
      `Per round: throughput (msgs/s) ${names.map((n) => `${LABELS[n]} ${describeRange(of(n).map(tput))}`).join(', ')}; ` +
        `p99 (ms) ${names.map((n) => `${LABELS[n]} ${describeRange(of(n).map(p99), 2)}`).join(', ')}; ` +
        `cross/one-instance throughput ratio ${describeRange(roundRatios('cross', 'single', tput), 2)}.`,
      `Time each process on the path spent runnable but waiting for a core during the latency window (ms per second, median over rounds, /proc/<pid>/schedstat of its main thread): ${names.map((n) => `${LABELS[n]}: ${waitSplit(n)}`).join('; ')}.`,
      'Everything here shares one 2-core machine: the two instances, Redis and both load generators compete for the same cores, so the cross-instance throughput is a floor. See BENCHMARKS.md for how the figures would change on separate machines.',
      ...(slow.length
        ? [
            `WARNING: the load generators could not keep ${plan.latencyRate} msgs/s in ${slow.length} run(s); those latencies include the generators' own delays.`,
          ]
        : []),
      ...lost.map(
        (r) =>
          `${LABELS[r.name]} round ${r.round}: ${r.missing} signals lost, errors ${JSON.stringify(r.errors)}`,
      ),
    ],
  });
}
