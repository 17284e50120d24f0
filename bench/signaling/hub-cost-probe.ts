import { createRoomId, decodeServerMessage } from '@parley/protocol';
import { pino } from 'pino';
import { loadConfig } from '../../apps/signaling/src/config.ts';
import type { ClientConnection } from '../../apps/signaling/src/hub/client-connection.ts';
import { SignalingHub } from '../../apps/signaling/src/hub/signaling-hub.ts';
import { hubOptionsFrom } from '../../apps/signaling/src/server.ts';
import { joinMessage } from '../../apps/signaling/src/testing/join-message.ts';
import { announceReady, serveRpc } from './rpc.ts';
import { PARLEY_BENCH_ENV } from './servers/parley.ts';
import { frameTemplate, stampNow } from './wire.ts';

/**
 * The child process of the hub-cost bench (hub-cost.ts): Parley's signalling hub in memory, with
 * no socket and no transport, so that what it measures is the hub's own work per relayed signal
 * (decoding, validation, limits, routing, building the relayed frame) and nothing the machine's
 * other load or the kernel adds. Alone in its process, so no other bench's heap or compiled code
 * is in the way.
 */

/** CPU time (µs) per signal, one figure per round, for the hub and for the baseline. */
export type HubCostSamples = { hub: number[]; parseOnly: number[] };

const config = loadConfig({
  ...PARLEY_BENCH_ENV,
  SIGNALING_SECRET: 'hub-cost-bench-secret-0123456789',
});

let lastFrame: string | Uint8Array = '';
let delivered = 0;
/** The sender's link; its replies (there are none while relaying) would land here. */
const senderLink = { ip: '127.0.0.1', send: () => undefined, close: () => undefined };
/** The target's link keeps only the last frame: enough to check it got the relay. */
const targetLink = {
  ip: '127.0.0.1',
  send: (frame: string | Uint8Array) => {
    lastFrame = frame;
    delivered++;
  },
  close: () => undefined,
};

const hub = new SignalingHub(
  hubOptionsFrom({ config, logger: pino({ level: 'silent' }), store: undefined }),
);
const sender = hub.connect(senderLink);
const target = hub.connect(targetLink);

/** Seats both in one room; resolves with the target's participant ID. */
async function seat(): Promise<string> {
  const roomId = createRoomId();
  sender.handleFrame(JSON.stringify(joinMessage(roomId, 'sender')));
  target.handleFrame(JSON.stringify(joinMessage(roomId, 'target')));
  // The in-memory store answers on the microtask queue: a macrotask later both are seated.
  await new Promise((resolve) => setImmediate(resolve));
  const joined = decodeServerMessage(typeof lastFrame === 'string' ? lastFrame : '');
  if (!joined.ok || joined.message.type !== 'joined') throw new Error('target was not seated');
  return joined.message.selfId;
}

const targetId = await seat();
const template = frameTemplate('parley', targetId, false);
/** One frame as the socket delivers it: its bytes, read into a string by the transport. */
const frameBytes = Buffer.from(template.head + stampNow() + template.tail);

/** What the WebSocket transport does with each text frame, then hands to the hub. */
function relayOne(connection: ClientConnection): void {
  connection.handleFrame(frameBytes.toString(), frameBytes);
}
/** The least any relay that reads its frames must do: the same bytes, read and parsed. */
let parsed: unknown;
function parseOne(): void {
  parsed = JSON.parse(frameBytes.toString());
}

/**
 * The sender's rate limit (raised for the benches, as in PARLEY_BENCH_ENV) must never refuse
 * a measured frame, or the cheap refusal would be measured: each hub measurement checks that
 * every frame was relayed, and the bucket refills between rounds.
 */
function expectAllRelayed(before: number, calls: number): void {
  if (delivered - before !== calls)
    throw new Error(`${calls - (delivered - before)} of ${calls} bench frames were not relayed`);
}
const refill = (calls: number) =>
  new Promise((resolve) => setTimeout(resolve, (1000 * calls) / config.messagesPerSecond));

/** CPU time (all threads: the collector's helpers count) per call over `calls` calls. */
function cpuMicrosPer(op: () => void, calls: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) op();
  const spent = process.cpuUsage(start);
  return (spent.user + spent.system) / calls;
}

serveRpc({
  /** `repeats` alternating measurements of each, after one unrecorded warm-up of each. */
  async measure({ calls, repeats }: { calls: number; repeats: number }): Promise<HubCostSamples> {
    const hubOp = () => relayOne(sender);
    const samples: HubCostSamples = { hub: [], parseOnly: [] };
    for (let round = 0; round <= repeats; round++) {
      await refill(calls);
      const deliveredBefore = delivered;
      const hub = cpuMicrosPer(hubOp, calls);
      expectAllRelayed(deliveredBefore, calls);
      const parseOnly = cpuMicrosPer(parseOne, calls);
      if (round > 0) {
        samples.hub.push(hub);
        samples.parseOnly.push(parseOnly);
      }
    }
    // The relays reached the target as frames the browser can read.
    const relayed = decodeServerMessage(
      typeof lastFrame === 'string' ? lastFrame : Buffer.from(lastFrame).toString('utf8'),
    );
    if (!relayed.ok || relayed.message.type !== 'signal' || parsed === undefined)
      throw new Error('the hub did not relay the bench frame');
    return samples;
  },
});

announceReady({ pid: process.pid });
