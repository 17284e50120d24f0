import { fileURLToPath } from 'node:url';
import { ratio, writeBenchResult, type BenchRow } from '../lib/result.ts';
import { describeRange, median, round } from '../lib/stats.ts';
import type { HubCostSamples } from './hub-cost-probe.ts';
import { RpcChild } from './rpc.ts';
import { FRAME_BYTES } from './wire.ts';

/**
 * Bench 12: the hub's own work per relayed signal, in memory. The relay benches (1–2) measure
 * the whole server over real sockets, where the kernel and the scheduler add their share and
 * their noise; this one measures only Parley's code: CPU time per relayed 1 KB signal, beside
 * reading the same frame (string + JSON.parse), the least any relay that looks at its frames
 * must do, measured in alternating rounds in the same process.
 */

export type HubCostPlan = { calls: number; repeats: number };

const PROBE_MODULE = fileURLToPath(new URL('./hub-cost-probe.ts', import.meta.url));

export async function runHubCostBench(plan: HubCostPlan, log: (line: string) => void) {
  const { child } = await RpcChild.start({
    name: 'hub-cost probe',
    module: PROBE_MODULE,
  });
  let samples: HubCostSamples;
  try {
    samples = await child.call<HubCostSamples>('measure', plan);
  } finally {
    await child.stop();
  }
  const hubCpu = median(samples.hub);
  const parseCpu = median(samples.parseOnly);
  log(
    `  hub: ${describeRange(samples.hub, 2)} µs CPU per signal; ` +
      `reading the frame only: ${describeRange(samples.parseOnly, 2)} µs`,
  );
  const rows: BenchRow[] = [
    {
      measure: `Hub CPU per relayed ${FRAME_BYTES}-byte signal, in memory (no socket)`,
      value: round(hubCpu),
      unit: 'µs',
      baseline: { name: 'reading the frame only (string + JSON.parse)', value: round(parseCpu) },
      ratio: ratio(hubCpu, parseCpu),
    },
  ];
  writeBenchResult({
    id: 'hub-cost',
    title: '12. Hub cost per relayed signal, in memory',
    rows,
    notes: [
      `Parley's SignalingHub from source (apps/signaling/src), in a process of its own: two participants seated in one room through in-memory links, the sender handing the hub the bench's ${FRAME_BYTES}-byte offer as the WebSocket transport does (its bytes, and them read into a string), the target's link dropping the relayed frame. Everything from the frame's bytes to the frame handed to the target's transport counts; the transport's own write does not.`,
      `CPU: process CPU time (all threads, so the garbage collector's helpers count) over ${plan.calls} signals, in ${plan.repeats} rounds alternating with the baseline after one unrecorded round; median of the rounds.`,
      'The baseline is the least a relay that reads its frames must do; the difference is validation, limits, routing and building the relayed frame.',
    ],
  });
}
