import { runJoinBench, type JoinPlan } from './joins.ts';
import { runMemoryBench } from './memory.ts';
import { runRelayBenches, type RelayPlan } from './relay.ts';

/**
 * The signalling-server benches (1–4 of issue 6). Each writes its `bench/results/<id>.json`.
 * Needs the production bundle: `npm run build -w @parley/signaling` (the runner does it).
 */

export type SignalingPlan = {
  relay: RelayPlan;
  memoryConnections: number;
  memoryRepeats: number;
  joins: JoinPlan;
};

export function signalingPlan(quick: boolean): SignalingPlan {
  return {
    relay: {
      rounds: quick ? 2 : 5,
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
  };
}

export async function runSignalingBenches(quick: boolean, log: (line: string) => void) {
  const plan = signalingPlan(quick);
  const started = performance.now();
  const took = () => `  (${Math.round((performance.now() - started) / 1000)} s so far)`;
  log('1–2. Relay throughput and latency (Parley, bare ws forwarder, PeerJS server)');
  await runRelayBenches(plan.relay, log);
  log(took());
  log(`3. Memory per idle connection (${plan.memoryConnections} connections)`);
  await runMemoryBench(plan.memoryConnections, plan.memoryRepeats, log);
  log(took());
  log('4. Join throughput into rooms of 4');
  await runJoinBench(plan.joins, log);
  log(took());
}
