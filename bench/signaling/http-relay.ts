import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { sized } from '../lib/mode.ts';
import { writeBenchResult, type BenchRow } from '../lib/result.ts';
import { max, median, quantile, round } from '../lib/stats.ts';
import { openLink, type RelayLink, type Transport } from './http-relay-links.ts';

/**
 * Relay over the HTTP fallback transports (issue 16) beside WebSocket, in the same run on the
 * same server process: a pair of clients of one transport in a room of their own, one sending
 * `signal`s to the other.
 *
 * - Latency: paced at `rate` signals a second (1k, the figure), from the moment each
 *   was due to be sent to its arrival at the partner; p50 and p99 per transport.
 * - Throughput: a closed loop with `window` signals in flight; signals a second delivered.
 *
 * Transports take turns in a fresh random order each round, so load from elsewhere on the
 * machine falls on all of them alike. The clients run in this process, the server in its own.
 */

export type HttpRelayPlan = {
  rounds: number;
  rate: number;
  warmupMs: number;
  latencyMs: number;
  throughputMs: number;
  window: number;
};

export function httpRelayPlan(): HttpRelayPlan {
  return sized<HttpRelayPlan>(
    { rounds: 3, rate: 1000, warmupMs: 500, latencyMs: 3000, throughputMs: 2000, window: 64 },
    { rounds: 2, rate: 1000, warmupMs: 300, latencyMs: 1500, throughputMs: 1000, window: 64 },
    { rounds: 1, rate: 200, warmupMs: 50, latencyMs: 200, throughputMs: 200, window: 8 },
  );
}

const ENTRY = fileURLToPath(new URL('../../apps/signaling/dist/main.js', import.meta.url));
const TRANSPORTS: Transport[] = ['websocket', 'sse', 'poll'];
const LABELS: Record<Transport, string> = {
  websocket: 'WebSocket',
  sse: 'SSE + POST',
  poll: 'long-polling',
};
/** The goal for SSE: p99 at most this at 1k signals/s. */
const SSE_P99_GOAL_MS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Pair = { from: RelayLink; to: RelayLink; toId: string };

async function openPair(url: string, transport: Transport): Promise<Pair> {
  const room = randomBytes(16).toString('base64url');
  const from = await openLink(url, transport);
  const to = await openLink(url, transport);
  await from.join(room);
  const toId = await to.join(room);
  return { from, to, toId };
}

const signal = (to: string, n: number) =>
  JSON.stringify({ type: 'signal', to, payload: { type: 'offer', sdp: `v=0\r\n${n}` } });
const numberOf = (sdp: string) => Number(sdp.slice(sdp.indexOf('\n') + 1));

/** Paced sends for `ms`; returns latencies (ms) of the signals that arrived, and the missing. */
async function paced(pair: Pair, rate: number, ms: number) {
  const due = new Map<number, number>();
  const latencies: number[] = [];
  let n = 0;
  pair.to.onSignal = (sdp) => {
    const sentAt = due.get(numberOf(sdp));
    if (sentAt === undefined) return;
    latencies.push(performance.now() - sentAt);
    due.delete(numberOf(sdp));
  };
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const elapsed = now - started;
      // Each signal counts from when it was due, so a late timer shows up as latency.
      for (const target = Math.floor((Math.min(elapsed, ms) * rate) / 1000); n < target; n++) {
        due.set(n, started + (n * 1000) / rate);
        pair.from.send(signal(pair.toId, n));
      }
      if (elapsed >= ms) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  // Let the last ones arrive (a poll answers within a turn; the loss of one shows as missing).
  for (let waited = 0; due.size > 0 && waited < 2000; waited += 20) await sleep(20);
  return { latencies, missing: due.size };
}

/** Closed loop with `window` in flight for `ms`; signals a second. */
async function closedLoop(pair: Pair, window: number, ms: number): Promise<number> {
  let received = 0;
  let n = 0;
  let running = true;
  pair.to.onSignal = () => {
    received++;
    if (running) pair.from.send(signal(pair.toId, n++));
  };
  for (let i = 0; i < window; i++) pair.from.send(signal(pair.toId, n++));
  await sleep(ms / 4); // warm-up, uncounted
  const start = received;
  const startedAt = performance.now();
  await sleep(ms);
  const rate = ((received - start) * 1000) / (performance.now() - startedAt);
  running = false;
  return rate;
}

function startServer(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [ENTRY], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      STATIC_DIR: '',
      LOG_LEVEL: 'info', // the port is in the 'Parley listening' line
      SIGNALING_SECRET: 'bench-secret-long-enough-for-the-check',
      MESSAGE_BURST: '100000',
      MESSAGES_PER_SECOND: '100000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { stdout } = child;
  if (!stdout) throw new Error('no server output');
  return new Promise((resolve, reject) => {
    createInterface({ input: stdout }).on('line', (line) => {
      const port = /"port":(\d+)/.exec(line)?.[1];
      if (port && line.includes('Parley listening'))
        resolve({ url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

export async function runHttpRelayBench(log: (line: string) => void, plan = httpRelayPlan()) {
  const server = await startServer();
  const latencies: Record<Transport, number[]> = { websocket: [], sse: [], poll: [] };
  const throughputs: Record<Transport, number[]> = { websocket: [], sse: [], poll: [] };
  let missing = 0;
  try {
    for (let round = 0; round < plan.rounds; round++) {
      for (const transport of [...TRANSPORTS].sort(() => Math.random() - 0.5)) {
        const pair = await openPair(server.url, transport);
        await paced(pair, plan.rate, plan.warmupMs);
        const result = await paced(pair, plan.rate, plan.latencyMs);
        latencies[transport].push(...result.latencies);
        missing += result.missing;
        throughputs[transport].push(await closedLoop(pair, plan.window, plan.throughputMs));
        pair.from.close();
        pair.to.close();
      }
    }
  } finally {
    server.stop();
  }
  const rows: BenchRow[] = [];
  const ws = latencies.websocket;
  const wsThroughput = median(throughputs.websocket);
  for (const transport of TRANSPORTS) {
    const values = latencies[transport];
    const p99 = quantile(values, 0.99);
    const label = LABELS[transport];
    rows.push({
      measure: `Relay latency p50 at ${plan.rate} signals/s, ${label}`,
      value: round(median(values)),
      unit: 'ms',
      ...(transport === 'websocket'
        ? {}
        : { baseline: { name: 'WebSocket', value: round(median(ws)) } }),
    });
    rows.push({
      measure: `Relay latency p99 at ${plan.rate} signals/s, ${label}`,
      value: round(p99),
      unit: 'ms',
      ...(transport === 'websocket'
        ? {}
        : { baseline: { name: 'WebSocket', value: round(quantile(ws, 0.99)) } }),
      ...(transport === 'sse'
        ? { goal: `≤ ${SSE_P99_GOAL_MS} ms`, met: p99 <= SSE_P99_GOAL_MS }
        : {}),
    });
    const throughput = median(throughputs[transport]);
    rows.push({
      measure: `Relay throughput, one pair, ${plan.window} in flight, ${label}`,
      value: round(throughput),
      unit: 'signals/s',
      ...(transport === 'websocket'
        ? {}
        : {
            baseline: { name: 'WebSocket', value: round(wsThroughput) },
            ratio: round(throughput / wsThroughput),
          }),
    });
    log(
      `  ${label}: p50 ${round(median(values))} ms, p99 ${round(p99)} ms, max ${round(max(values))} ms; ${round(throughput)} signals/s`,
    );
  }
  writeBenchResult({
    id: 'http-relay',
    title: 'Relay over SSE + POST and long-polling, beside WebSocket',
    rows,
    notes: [
      `One production server (apps/signaling/dist/main.js, rate limits raised); per transport one pair in its own room; ${plan.rounds} round(s), transports in a random order each round.`,
      `Latency: ${plan.rate} signals/s for ${plan.latencyMs} ms after ${plan.warmupMs} ms unrecorded, each from when it was due to its arrival; ${missing} signal(s) never arrived.`,
      'HTTP clients send as the web client does: frames queued during a POST go out in the next; SSE acknowledges within 50 ms, long-polling with each poll.',
      'The clients share this process, and the machine is shared: absolute figures move with load; the WebSocket column is the same-run baseline.',
    ],
  });
}

// `npx tsx bench/signaling/http-relay.ts` runs it alone (after `npm run build -w @parley/signaling`).
if (process.argv[1] === fileURLToPath(import.meta.url)) await runHttpRelayBench(console.log);
