import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServerProcess } from '../../apps/signaling/src/testing/server-process.ts';
import { SMOKE, sized } from '../lib/mode.ts';
import { quantile } from '../lib/stats.ts';
import type { WorkerArgs, WorkerReport } from './churn-clients.ts';
import { HeapProbe } from '../../apps/signaling/src/testing/heap-probe.ts';

/**
 * `npm run test:load`: the production bundle (apps/signaling/dist/main.js) in its own process,
 * 5,000 WebSocket participants in 1,000 rooms of 5, in two client processes, churning for 60 s:
 * each signals a random peer about once a second (trickled candidates, ~3 KB offers) and
 * every ~15 s either leaves and rejoins as someone new or drops its socket and resumes.
 *
 * Reports errors, lost relays, p50/p99 relay latency, the server's RSS over the run and its live
 * heap (after a forced GC, read through the inspector) at checkpoints, ending 2 s after the
 * last held seat has expired, when it should be back near where it started. Exits 1 on any
 * error or lost relay. Server limits stay at their production defaults: each participant
 * connects from its own 127.x.y.z address.
 *
 *   npm run test:load                      the full run (about 2–3 minutes)
 *   BENCH_QUICK=1 npm run test:load        500 participants for 10 s
 *   BENCH_SMOKE=1 npm run test:load        20 participants for 2 s, churn every ~2 s, 1 s grace (bench:smoke)
 *   LOAD_CLIENTS=2000 LOAD_SECONDS=30 ...  other sizes; LOAD_CHURN_MEAN_MS, LOAD_SIGNALS_PER_SECOND
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = join(ROOT, 'apps/signaling/dist/main.js');
const PER_ROOM = 5;
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? sized(5000, 500, 20));
const SECONDS = Number(process.env.LOAD_SECONDS ?? sized(60, 10, 2));
const SIGNALS_PER_SECOND = Number(process.env.LOAD_SIGNALS_PER_SECOND ?? CLIENTS);
/** Smoke mode churns faster, so that its 2 s still leave, drop and resume a few participants. */
const CHURN_MEAN_MS = Number(process.env.LOAD_CHURN_MEAN_MS ?? sized(15_000, 15_000, 2_000));
/**
 * The server's default RESUME_GRACE_MS, which this run leaves alone, except in smoke mode: the
 * run ends only after every held seat has expired, and a smoke run must be short.
 */
const RESUME_GRACE_MS = sized(20_000, 20_000, 1_000);
const WORKERS = 2;

if (!existsSync(ENTRY)) {
  console.error(`no production bundle at ${ENTRY}: run npm run build -w @parley/signaling`);
  process.exit(2);
}

const log = (line: string) => console.log(`[load] ${line}`);
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Production settings throughout; info-level logs only note anomalies (refusals, reaping).
const server = spawnServerProcess({
  entry: ENTRY,
  nodeArgs: ['--inspect=127.0.0.1:0'],
  env: SMOKE ? { RESUME_GRACE_MS: String(RESUME_GRACE_MS) } : {},
});
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  server.kill();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
const heapProbe = HeapProbe.attach(server.child);

/**
 * Connections the kernel dropped because a listener's accept queue was full (TcpExt
 * ListenOverflows, machine-wide): a starved or slow server shows here first, as clients whose
 * SYN or handshake ACK is dropped retry after 1, 3, 7, 15, 31 s.
 */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const names = lines.find((l) => l.startsWith('TcpExt:'))?.split(' ') ?? [];
  const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(' ') ?? [];
  return Number(values[names.indexOf('ListenOverflows')] ?? Number.NaN);
}

/** CPU seconds the server has used (utime + stime from /proc, in clock ticks of 10 ms). */
function serverCpuSeconds(): number {
  // The fields after the command name, which is in parentheses: state is [0], utime [11].
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const port = await server.port;
const probe = await heapProbe;
const heap: Record<string, number> = { idle: mib(await probe.liveHeapBytes()) };
const rssIdle = server.rssBytes();
const [loadStart = 0] = loadavg();
log(
  `server pid ${server.pid} on port ${port}; ${CLIENTS} participants in ${CLIENTS / PER_ROOM} rooms, ` +
    `${SECONDS} s, ${SIGNALS_PER_SECOND} signals/s, churn every ~${CHURN_MEAN_MS / 1000} s each`,
);

const reports: WorkerReport[] = [];
const ready = Array.from({ length: WORKERS }, (_, worker) => {
  const args: WorkerArgs = {
    port,
    worker,
    rooms: CLIENTS / PER_ROOM / WORKERS,
    perRoom: PER_ROOM,
    signalsPerSecond: SIGNALS_PER_SECOND / WORKERS,
    churnMeanMs: CHURN_MEAN_MS,
    resumeGraceMs: RESUME_GRACE_MS,
  };
  const child = fork(fileURLToPath(new URL('./churn-clients.ts', import.meta.url)), [
    JSON.stringify(args),
  ]);
  children.push(child);
  return new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type: string; report?: WorkerReport }) => {
      if (message.type === 'ready') resolve();
      if (message.type === 'report' && message.report) reports.push(message.report);
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`client process ${worker} exited with ${code}`));
    });
  });
});
const overflowsStart = listenOverflows();
const connectStarted = performance.now();
await Promise.all(ready);
const joinSeconds = (performance.now() - connectStarted) / 1000;
log(`all ${CLIENTS} joined in ${joinSeconds.toFixed(1)} s`);

heap.joined = mib(await probe.liveHeapBytes());
const rssJoined = server.rssBytes();
const timeline: Array<{ s: number; rssMiB: number }> = [];
let rssPeak = rssJoined;
const cpuStart = serverCpuSeconds();
const started = performance.now();
const sampler = setInterval(() => {
  const rss = server.rssBytes();
  rssPeak = Math.max(rssPeak, rss);
  timeline.push({ s: Math.round((performance.now() - started) / 1000), rssMiB: mib(rss) });
}, 1000);
for (const child of children) child.send({ type: 'start' });
// Live-heap checkpoints at each quarter of the churn (a full GC pauses the server ~0.1 s).
for (const quarter of [25, 50, 75, 100]) {
  await sleep((SECONDS * 1000) / 4);
  heap[`churn${quarter}`] = mib(await probe.liveHeapBytes());
}
clearInterval(sampler);
const rssEnd = server.rssBytes();
const cpuUsed = serverCpuSeconds() - cpuStart;
const churnSeconds = (performance.now() - started) / 1000;

const reported = Promise.all(
  children.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve()))),
);
for (const child of children) child.send({ type: 'stop' });
await reported;
// Everyone is gone; dropped participants' seats are held for the resume grace. After it, the
// server should hold nothing but its own code and caches.
await sleep(RESUME_GRACE_MS + 2000);
heap.afterAllLeft = mib(await probe.liveHeapBytes());
const rssAfter = server.rssBytes();
const [loadEnd = 0] = loadavg();
const overflows = listenOverflows() - overflowsStart;
probe.close();

const sum = (pick: (r: WorkerReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
const merge = (pick: (r: WorkerReport) => Record<string, number>) => {
  const merged: Record<string, number> = {};
  for (const r of reports)
    for (const [k, v] of Object.entries(pick(r))) merged[k] = (merged[k] ?? 0) + v;
  return merged;
};
const errors = merge((r) => r.errors);
const connectionFaults = merge((r) => r.connectionFaults);
// What the server logged above debug, by message: its own account of anything it cut off.
const serverLog: Record<string, number> = {};
for (const line of server.logs) {
  const key = `${String(line.level)} ${String(line.msg)}`;
  serverLog[key] = (serverLog[key] ?? 0) + 1;
}
const serverErrors = server.logs.filter((l) => Number(l.level) >= 50).length;
if (serverErrors > 0) errors['server logged an error'] = serverErrors;
const latencies = reports.flatMap((r) => r.latenciesMs);
// p99 per 5 s of the churn: whether the tail is steady or a few bad moments.
const windows = new Map<number, number[]>();
for (const r of reports)
  r.sentAtS.forEach((s, i) => {
    const w = Math.floor(s / 5) * 5;
    const list = windows.get(w) ?? [];
    list.push(r.latenciesMs[i] ?? Number.NaN);
    windows.set(w, list);
  });
const p99By5s = [...windows]
  .sort(([a], [b]) => a - b)
  .map(([w, values]) => ({ fromS: w, p99: Math.round(quantile(values, 0.99)) }));
const away = reports.flatMap((r) => r.awayMs);
const q = (values: number[], p: number) => Math.round(quantile(values, p) * 10) / 10;
const at = (fraction: number) =>
  timeline[Math.min(timeline.length - 1, Math.floor(fraction * timeline.length))]?.rssMiB;

const result = {
  when: new Date().toISOString(),
  loadAverage: { start: loadStart, end: loadEnd },
  participants: sum((r) => r.participants),
  rooms: CLIENTS / PER_ROOM,
  joinSeconds: Math.round(joinSeconds * 10) / 10,
  churnSeconds: Math.round(churnSeconds),
  connects: sum((r) => r.connects),
  joins: sum((r) => r.joins),
  resumes: sum((r) => r.resumes),
  resumesAfterGrace: sum((r) => r.resumesAfterGrace),
  leaves: sum((r) => r.leaves),
  drops: sum((r) => r.drops),
  signalsSent: sum((r) => r.signalsSent),
  signalsDelivered: sum((r) => r.signalsDelivered),
  refusedTargetGone: sum((r) => r.refusedTargetGone),
  sentToAway: sum((r) => r.sentToAway),
  lost: sum((r) => r.lost),
  connectionFaults,
  serverLog,
  errors,
  clientEventLoopDelayMs: reports.map((r) => r.eventLoopDelayMs),
  relayLatencyMs: {
    samples: latencies.length,
    p50: q(latencies, 0.5),
    p90: q(latencies, 0.9),
    p99: q(latencies, 0.99),
    max: q(latencies, 1),
    p99By5s,
  },
  awayMs: { p50: q(away, 0.5), p99: q(away, 0.99), max: q(away, 1) },
  serverRssMiB: {
    idle: mib(rssIdle),
    joined: mib(rssJoined),
    at25: at(0.25),
    at50: at(0.5),
    at75: at(0.75),
    peak: mib(rssPeak),
    end: mib(rssEnd),
    afterAllLeft: mib(rssAfter),
  },
  serverLiveHeapMiB: heap,
  listenOverflows: overflows,
  /** Server CPU per signal sent, all its work included (joins, churn, heartbeats): contention-proof. */
  serverCpuMicrosPerSignal: Math.round(
    (cpuUsed * 1e6) /
      Math.max(
        1,
        sum((r) => r.signalsSent),
      ),
  ),
  cpuCores: {
    server: Math.round((cpuUsed / churnSeconds) * 100) / 100,
    clientProcesses: reports.map((r) => Math.round(r.cpuSeconds)),
  },
  timeline,
};

const exitStarted = performance.now();
server.child.kill('SIGTERM');
const exitCode = await server.exited;
const shutdownMs = Math.round(performance.now() - exitStarted);

const outDir = join(ROOT, 'test-results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'load.json'), `${JSON.stringify({ ...result, shutdownMs }, null, 2)}\n`);

const failed = Object.keys(errors).length > 0 || result.lost > 0 || exitCode !== 0;
const r = result;
log(`participants ${r.participants} in ${r.rooms} rooms, churning for ${r.churnSeconds} s`);
log(
  `churn: ${r.joins} joins, ${r.resumes} resumes, ${r.leaves} leave+rejoin, ${r.drops} drop+resume ` +
    `(${r.resumesAfterGrace} back only after the ${RESUME_GRACE_MS / 1000} s grace), ` +
    `${r.connects} connections; away p50 ${r.awayMs.p50} ms, p99 ${r.awayMs.p99} ms`,
);
log(
  `signals: ${r.signalsSent} sent, ${r.signalsDelivered} delivered, ${r.refusedTargetGone} refused ` +
    `(target had left), ${r.sentToAway} sent to a peer that was away, ${r.lost} lost`,
);
log(`relay latency p99 per 5 s (ms): ${p99By5s.map((w) => w.p99).join(' ')}`);
log(
  `relay latency over ${latencies.length} relays: p50 ${r.relayLatencyMs.p50} ms, ` +
    `p90 ${r.relayLatencyMs.p90} ms, p99 ${r.relayLatencyMs.p99} ms, max ${r.relayLatencyMs.max} ms`,
);
const rss = r.serverRssMiB;
log(
  `server RSS (MiB): idle ${rss.idle}, all joined ${rss.joined}, at 25/50/75% ${rss.at25}/${rss.at50}/` +
    `${rss.at75}, peak ${rss.peak}, end ${rss.end}, after all left ${rss.afterAllLeft}`,
);
log(
  `server live heap after GC (MiB): ${Object.entries(heap)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);
log(
  `CPU: server ${r.cpuCores.server} cores during churn (${r.serverCpuMicrosPerSignal} µs per ` +
    `signal, everything included); client processes ` +
    `${r.cpuCores.clientProcesses.join(' + ')} s`,
);
log(
  `connections the server ended or refused (participants came back): ` +
    `${Object.keys(connectionFaults).length === 0 ? 'none' : JSON.stringify(connectionFaults)}`,
);
log(`connections dropped at a full accept queue (machine-wide): ${overflows}`);
log(`server log (level msg: count): ${JSON.stringify(serverLog)}`);
log(
  `client event-loop delay p99/max (ms): ${r.clientEventLoopDelayMs
    .map((d) => `${d.p99}/${d.max}`)
    .join(', ')}`,
);
log(`server exit on SIGTERM: code ${exitCode} in ${shutdownMs} ms`);
log(`load average ${loadStart.toFixed(1)} → ${loadEnd.toFixed(1)} (other work skews latency)`);
log(`errors: ${Object.keys(errors).length === 0 ? 'none' : JSON.stringify(errors)}`);
log(`written to test-results/load.json; ${failed ? 'FAILED' : 'passed'}`);
process.exit(failed ? 1 : 0);
