import { SMOKE } from '../lib/mode.ts';
import { runHttpRelayBench } from './http-relay.ts';
import { runHubCostBench, type HubCostPlan } from './hub-cost.ts';
import { runJoinBench, type JoinPlan } from './joins.ts';
import { runMemoryBench } from './memory.ts';
import { runRelayBenches, type RelayPlan } from './relay.ts';
import { runWebhookBench } from './webhooks.ts';
import { runClusterMemoryBench } from './cluster-memory.ts';
import { runClusterRelayBench } from './cluster-relay.ts';
import { startClients } from './harness.ts';
import type { RpcChild } from './rpc.ts';

/**
 * The signalling-server benches (1–4 of issue 6). Each writes its `bench/results/<id>.json`.
 * Needs the production bundle: `npm run build -w @parley/signaling` (the runner does it).
 */

export type SignalingPlan = {
  relay: RelayPlan;
  memoryConnections: number;
  memoryRepeats: number;
  joins: JoinPlan;
  hubCost: HubCostPlan;
};

/** Smoke mode (bench/smoke.ts): one tiny pass of each, only to prove they still run. */
const SMOKE_PLAN: SignalingPlan = {
  relay: {
    rounds: 1,
    warmUpRound: false,
    sockets: 20,
    window: 2,
    warmupMs: 100,
    throughputMs: 200,
    latencyRate: 500,
    latencyWarmupMs: 100,
    latencyMs: 300,
  },
  // Two client processes, rooms of 4: a multiple of 8, or the last room never fills.
  memoryConnections: 48,
  memoryRepeats: 1,
  joins: { pool: 20, startRate: 50, factor: 2, maxRate: 100, stepMs: 300 },
  hubCost: { calls: 2000, repeats: 1 },
};

export function signalingPlan(quick: boolean, smoke = SMOKE): SignalingPlan {
  if (smoke) return SMOKE_PLAN;
  return {
    relay: {
      rounds: quick ? 2 : 5,
      warmUpRound: true,
      sockets: 400,
      window: 2,
      warmupMs: quick ? 500 : 1000,
      throughputMs: quick ? 1000 : 2000,
      latencyRate: 5000,
      latencyWarmupMs: quick ? 300 : 500,
      latencyMs: quick ? 1500 : 3000,
    },
    memoryConnections: quick ? 1000 : 5000,
    memoryRepeats: quick ? 1 : 2,
    joins: {
      pool: 400,
      startRate: 250,
      factor: 1.5,
      maxRate: 25_000,
      stepMs: quick ? 1000 : 2000,
    },
    hubCost: { calls: quick ? 50_000 : 100_000, repeats: quick ? 3 : 7 },
  };
}

/** Runs benches 1–4, each on its own: one failing does not stop the others. Returns failures. */
export async function runSignalingBenches(
  quick: boolean,
  log: (line: string) => void,
  smoke = SMOKE,
): Promise<string[]> {
  const plan = signalingPlan(quick, smoke);
  const started = performance.now();
  const failures: string[] = [];
  /** `clients`: the lane's load generators, in smoke mode (else each bench starts its own). */
  type Bench = {
    title: string;
    run: (log: (line: string) => void, clients?: [RpcChild, RpcChild]) => Promise<unknown>;
  };
  const benches: Record<string, Bench> = {
    relay: {
      title: '1–2. Relay throughput and latency (Parley, bare ws forwarder, PeerJS server)',
      run: (out, clients) => runRelayBenches(plan.relay, out, clients),
    },
    memory: {
      title: `3. Memory per idle connection (${plan.memoryConnections} connections)`,
      run: (out, clients) =>
        runMemoryBench(plan.memoryConnections, plan.memoryRepeats, out, clients),
    },
    joins: {
      title: '4. Join throughput into rooms of 4',
      run: (out, clients) => runJoinBench(plan.joins, out, clients),
    },
    webhooks: {
      title: '5. Webhooks: delivery latency at 100 events/s, relay with webhooks on vs off',
      run: (out) => runWebhookBench(out),
    },
    clusterRelay: {
      title: '9. Scale-out relay: 2 instances + Redis vs one instance vs bare forwarder',
      run: (out, clients) => runClusterRelayBench(plan.relay, out, clients),
    },
    clusterMemory: {
      title: `10. Memory per idle connection with Redis on (${plan.memoryConnections})`,
      run: (out, clients) =>
        runClusterMemoryBench(plan.memoryConnections, plan.memoryRepeats, out, clients),
    },
    httpRelay: {
      title: '11. HTTP transports: relay over SSE + POST and long-polling, beside WebSocket',
      run: (out) => runHttpRelayBench(out),
    },
    hubCost: {
      title: '12. Hub cost per relayed signal, in memory (no socket)',
      run: (out) => runHubCostBench(plan.hubCost, out),
    },
  };
  const run = async (
    { title, run: bench }: Bench,
    out: (line: string) => void,
    clients?: [RpcChild, RpcChild],
  ) => {
    out(title);
    try {
      await bench(out, clients);
    } catch (error) {
      failures.push(
        `${title}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      out(`  failed: ${String(error)}`);
    }
    out(`  (${Math.round((performance.now() - started) / 1000)} s so far)`);
  };
  if (!smoke) {
    // One at a time: each measures the machine, and a neighbour would skew its figures.
    for (const bench of Object.values(benches)) await run(bench, log);
    return failures;
  }
  // Smoke mode, whose figures mean nothing: two lanes side by side, each printed when it ends,
  // and each with one pair of load generators for all its benches (they close their sockets
  // when done). Most of each bench's time at smoke sizes is process start-up and fixed waits
  // (windows, settling GCs), not CPU. Their servers take free ports and their logs have their
  // own names.
  const { relay, memory, joins, webhooks, clusterRelay, clusterMemory, httpRelay, hubCost } =
    benches;
  const lanes = [
    [relay, clusterRelay, clusterMemory, hubCost],
    [memory, joins, webhooks, httpRelay],
  ];
  await Promise.all(
    lanes.map(async (lane) => {
      const lines: string[] = [];
      const out = (line: string) => lines.push(line);
      let clients: [RpcChild, RpcChild] | undefined;
      try {
        clients = await startClients();
        for (const bench of lane) if (bench) await run(bench, out, clients);
      } catch (error) {
        failures.push(`signalling bench lane: ${String(error)}`);
      } finally {
        await Promise.all((clients ?? []).map((c) => c.stop()));
        log(lines.join('\n'));
      }
    }),
  );
  return failures;
}
