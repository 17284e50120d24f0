import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION, createRoomId } from '@parley/protocol';
import WebSocket from 'ws';
import {
  spawnServerProcess,
  type ServerProcess,
} from '../../apps/signaling/src/testing/server-process.ts';
import { TestReceiver, testSecret } from '../../apps/signaling/src/webhooks/test-receiver.ts';
import type { WebhookEvent } from '../../apps/signaling/src/webhooks/events.ts';
import { ratio, writeBenchResult } from '../lib/result.ts';
import { describeRange, median, quantile, round, shuffled } from '../lib/stats.ts';
import { PARLEY_BENCH_ENV } from './servers/parley.ts';
import { sized } from '../lib/mode.ts';

/**
 * Bench 5 (issue 17): webhooks. Two production builds run side by side, one with webhooks on
 * (to a receiver on loopback, outbox in a temp DATA_DIR) and one with them off. Both get the
 * same room churn throughout: 25 join+leave cycles a second, which is 100 lifecycle events a
 * second on the server with webhooks on. Measured:
 * - event → delivery latency at that rate (the event's own timestamp to its arrival at the
 *   receiver; same clock, millisecond resolution), which includes the outbox fdatasync;
 * - relay throughput (closed loop, ping-pong pairs) on each server in alternating windows, in a
 *   random order per round: the relay path must not wait on webhook I/O.
 */

const ENTRY = fileURLToPath(new URL('../../apps/signaling/dist/main.js', import.meta.url));
const ROUNDS = sized(4, 2, 1);
const WINDOW_MS = sized(3000, 1500, 200);
const PAIRS = sized(20, 20, 2);
const IN_FLIGHT_PER_PAIR = 4;
const CYCLES_PER_SECOND = 25; // × 4 events (started, joined, left, finished) = 100 events/s

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function open(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
    origin: `http://127.0.0.1:${port}`,
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m.type !== type) return;
      ws.off('message', on);
      resolve(m);
    };
    ws.on('message', on);
  });
}

async function joinRoom(ws: WebSocket, roomId: string): Promise<string> {
  const joined = nextMessage(ws, 'joined');
  ws.send(JSON.stringify({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: 'b' }));
  return String((await joined).selfId);
}

/** Ping-pong pairs: every signal that arrives is answered at once, counted when `counting`. */
async function relayPairs(port: number) {
  const state = { counting: false, relayed: 0, sockets: [] as WebSocket[] };
  for (let i = 0; i < PAIRS; i++) {
    const room = createRoomId();
    const a = await open(port);
    const b = await open(port);
    const aId = await joinRoom(a, room);
    const bId = await joinRoom(b, room);
    state.sockets.push(a, b);
    const frameTo = (to: string) =>
      JSON.stringify({
        type: 'signal',
        to,
        payload: { type: 'offer', sdp: 'v=0\r\n'.padEnd(1024, 'x') },
      });
    const toB = frameTo(bId);
    const toA = frameTo(aId);
    a.on('message', (d) => {
      if (!d.toString().startsWith('{"type":"signal"')) return;
      if (state.counting) state.relayed += 1;
      a.send(toB);
    });
    b.on('message', (d) => {
      if (!d.toString().startsWith('{"type":"signal"')) return;
      if (state.counting) state.relayed += 1;
      b.send(toA);
    });
    for (let k = 0; k < IN_FLIGHT_PER_PAIR; k++) a.send(toB);
  }
  return state;
}

/** One socket joining a fresh room and leaving it, CYCLES_PER_SECOND times a second. */
function churn(port: number): { stop(): Promise<number> } {
  let running = true;
  let cycles = 0;
  const done = (async () => {
    const ws = await open(port);
    const started = performance.now();
    while (running) {
      await joinRoom(ws, createRoomId());
      ws.send(JSON.stringify({ type: 'leave' }));
      cycles += 1;
      const due = started + (cycles * 1000) / CYCLES_PER_SECOND;
      await sleep(Math.max(0, due - performance.now()));
    }
    ws.terminate();
    return cycles;
  })();
  return {
    stop() {
      running = false;
      return done;
    },
  };
}

export async function runWebhookBench(log: (line: string) => void): Promise<void> {
  const receiver = await TestReceiver.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-webhooks-'));
  const arrivals: number[] = [];
  receiver.answer = (request) => {
    const event = JSON.parse(request.body) as WebhookEvent;
    arrivals.push(request.at - Date.parse(event.timestamp));
    return { status: 204 };
  };
  const base = { ...PARLEY_BENCH_ENV, LOG_LEVEL: 'warn' };
  const servers: Record<'on' | 'off', ServerProcess> = {
    off: spawnServerProcess({ entry: ENTRY, env: { ...base, LOG_LEVEL: 'info' } }),
    on: spawnServerProcess({
      entry: ENTRY,
      env: {
        ...base,
        LOG_LEVEL: 'info', // the production default: one line per delivery attempt
        WEBHOOK_URLS: receiver.url(),
        WEBHOOK_SECRET: testSecret(),
        WEBHOOK_ALLOW_PRIVATE: 'true',
        DATA_DIR: dataDir,
      },
    }),
  };
  try {
    const ports = { off: await servers.off.port, on: await servers.on.port };
    const relays = { off: await relayPairs(ports.off), on: await relayPairs(ports.on) };
    const churns = { off: churn(ports.off), on: churn(ports.on) };
    await sleep(WINDOW_MS); // warm-up
    arrivals.length = 0;
    const started = performance.now();
    const throughput: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of shuffled(['on', 'off'] as const)) {
        const relay = relays[kind];
        relay.relayed = 0;
        relay.counting = true;
        const t0 = performance.now();
        await sleep(WINDOW_MS);
        relay.counting = false;
        throughput[kind].push(relay.relayed / ((performance.now() - t0) / 1000));
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const delivered = arrivals.length;
    const cycles = { off: await churns.off.stop(), on: await churns.on.stop() };
    for (const r of Object.values(relays)) for (const s of r.sockets) s.terminate();

    const p50 = quantile(arrivals, 0.5);
    const p99 = quantile(arrivals, 0.99);
    const ratios = throughput.on.map((on, i) => on / (throughput.off[i] ?? Number.NaN));
    const relayRatio = median(ratios);
    log(
      `  webhooks: ${delivered} events delivered in ${seconds.toFixed(1)} s (${Math.round(delivered / seconds)}/s); latency p50 ${p50} ms, p99 ${p99} ms`,
    );
    log(
      `  relay msgs/s with webhooks on ${describeRange(throughput.on)}, off ${describeRange(throughput.off)}; on/off per round ${ratios.map((r) => r.toFixed(3)).join(', ')}`,
    );
    writeBenchResult({
      id: 'webhooks',
      title: '5. Webhooks: delivery latency, relay with webhooks on vs off',
      rows: [
        { measure: 'Webhook event → delivery, p50 (100 events/s)', value: p50, unit: 'ms' },
        { measure: 'Webhook event → delivery, p99 (100 events/s)', value: p99, unit: 'ms' },
        {
          measure: 'Relay throughput with webhooks on (100 events/s)',
          value: round(median(throughput.on)),
          unit: 'msgs/s',
          baseline: { name: 'webhooks off', value: round(median(throughput.off)) },
          // The same figure the goal is judged on: the median of the per-round ratios.
          ratio: ratio(relayRatio, 1),
          goal: '≥ 0.95× webhooks off',
          met: relayRatio >= 0.95,
        },
      ],
      notes: [
        `Two production servers side by side, each with ${PAIRS} ping-pong pairs (${IN_FLIGHT_PER_PAIR} 1 KB signals in flight per pair) and the same churn of ${CYCLES_PER_SECOND} join+leave cycles/s (${cycles.on} and ${cycles.off} cycles done); only one has WEBHOOK_URLS set (a loopback receiver answering 204, outbox fdatasync'd in a temp DATA_DIR).`,
        `${ROUNDS} rounds of ${WINDOW_MS} ms windows per server, random order per round; the ratio is the median of per-round on/off ratios (${ratios.map((r) => r.toFixed(3)).join(', ')}).`,
        `Latency is the event's timestamp to its arrival at the receiver (one clock, ms resolution) over ${delivered} events; it includes the outbox write and fdatasync.`,
      ],
    });
  } finally {
    servers.on.kill();
    servers.off.kill();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runWebhookBench(console.log);
