import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { sized } from '../lib/mode.ts';
import { writeBenchResult, type BenchRow } from '../lib/result.ts';
import { max, median, quantile, round } from '../lib/stats.ts';
import { openLink, type RelayLink, type Transport } from './http-relay-links.ts';
import { RpcChild } from './rpc.ts';

/**
 * Relay over the HTTP fallback transports (issue 16) beside WebSocket, in the same run on the
 * same server process: a pair of clients of one transport in a room of their own, one sending
 * `signal`s to the other.
 *
 * - Latency: paced at `rate` signals a second (1k, the figure), from the moment each
 *   is handed to its link to its arrival at the partner; p50 and p99 per transport. The
 *   link's own queueing counts (an HTTP link holds frames while the POST before them is on
 *   its way); the pacer's timer lateness does not, and is reported beside. Sender and
 *   receiver each run in a process of their own (bench/signaling/http-relay-peer.ts), as two
 *   participants are two browsers: in one process, the sender's requests and the receiver's
 *   stream would queue behind each other, and that queueing would be in the figure.
 * - Throughput: a closed loop with `window` signals in flight; signals a second delivered.
 *
 * Transports take turns in a fresh random order each round, so load from elsewhere on the
 * machine falls on all of them alike. The server runs in its own process; the throughput
 * clients in this one.
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

/** The two participants of the latency measurement, each in a process of its own. */
type PeerPair = { sender: RpcChild; receiver: RpcChild };

const PEER_MODULE = fileURLToPath(new URL('./http-relay-peer.ts', import.meta.url));

async function startPeers(): Promise<PeerPair> {
  const start = (name: string) =>
    RpcChild.start({ name: `http relay ${name}`, module: PEER_MODULE }).then((s) => s.child);
  const [sender, receiver] = await Promise.all([start('sender'), start('receiver')]);
  return { sender, receiver };
}

/**
 * Paced signals from the sender's process to the receiver's for `ms`: the latency of each from
 * when it was handed to its link to its arrival, and how many never arrived.
 */
async function pacedAcross(peers: PeerPair, rate: number, ms: number, to: string) {
  await peers.receiver.call('take'); // forget what arrived before
  const { sent, timerLateness } = await peers.sender.call<{
    sent: number;
    timerLateness: Float64Array;
  }>('paced', { to, rate, ms });
  // Let the last ones arrive (a poll answers within a turn; the loss of one shows as missing).
  let latencies: number[] = [];
  for (let waited = 0; waited <= 2000; waited += 20) {
    latencies = latencies.concat(Array.from(await peers.receiver.call<Float64Array>('take')));
    if (latencies.length >= sent) break;
    await sleep(20);
  }
  return { latencies, missing: sent - latencies.length, timerLateness: Array.from(timerLateness) };
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
  const peers = await startPeers().catch((error: unknown) => {
    server.stop();
    throw error;
  });
  const latencies: Record<Transport, number[]> = { websocket: [], sse: [], poll: [] };
  const throughputs: Record<Transport, number[]> = { websocket: [], sse: [], poll: [] };
  const timerLateness: number[] = [];
  let missing = 0;
  try {
    for (let round = 0; round < plan.rounds; round++) {
      for (const transport of [...TRANSPORTS].sort(() => Math.random() - 0.5)) {
        const room = randomBytes(16).toString('base64url');
        const open = (peer: RpcChild) =>
          peer.call<string>('open', { url: server.url, transport, room });
        await open(peers.sender);
        const to = await open(peers.receiver);
        await pacedAcross(peers, plan.rate, plan.warmupMs, to);
        const result = await pacedAcross(peers, plan.rate, plan.latencyMs, to);
        latencies[transport].push(...result.latencies);
        timerLateness.push(...result.timerLateness);
        missing += result.missing;
        await Promise.all([peers.sender.call('close'), peers.receiver.call('close')]);
        const pair = await openPair(server.url, transport);
        throughputs[transport].push(await closedLoop(pair, plan.window, plan.throughputMs));
        pair.from.close();
        pair.to.close();
      }
    }
  } finally {
    await Promise.all([peers.sender.stop(), peers.receiver.stop()]);
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
      `Latency: ${plan.rate} signals/s for ${plan.latencyMs} ms after ${plan.warmupMs} ms unrecorded, each from when it was handed to its link (queueing inside the link counts) to its arrival, on one wall clock; ${missing} signal(s) never arrived. Not counted: the pacer's own timer (a 1 ms interval) handed each signal over p50 ${round(quantile(timerLateness, 0.5))} / p99 ${round(quantile(timerLateness, 0.99))} ms after it was due.`,
      'HTTP clients send as the web client does: frames queued during a POST go out in the next; SSE acknowledges within 50 ms, long-polling with each poll.',
      'Latency: the sender and the receiver each in a process of their own (two participants are two browsers); throughput: both clients in the bench process. The machine is shared: absolute figures move with load; the WebSocket column is the same-run baseline.',
    ],
  });
}

// `npx tsx bench/signaling/http-relay.ts` runs it alone (after `npm run build -w @parley/signaling`).
if (process.argv[1] === fileURLToPath(import.meta.url)) await runHttpRelayBench(console.log);
