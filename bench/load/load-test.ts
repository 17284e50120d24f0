import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServerProcess } from '../../apps/signaling/src/testing/server-process.ts';
import { quantile } from '../lib/stats.ts';
import type { WorkerArgs, WorkerReport } from './churn-clients.ts';

/**
 * `npm run test:load`: the production bundle (apps/signaling/dist/main.js) in its own process,
 * 5,000 WebSocket participants in 1,000 rooms of 5, in two client processes, churning for 60 s:
 * each signals a random peer about once a second (trickled candidates, ~3 KB offers) and
 * every ~15 s either leaves and rejoins as someone new or drops its socket and resumes.
 * Reports errors, lost relays, p50/p99 relay latency and the server's RSS over the run; exits
 * 1 on any error or lost relay. Server limits stay at their production defaults: each
 * participant connects from its own 127.x.y.z address.
 *
 *   npm run test:load                      the full run (about 2 minutes)
 *   BENCH_QUICK=1 npm run test:load        500 participants for 10 s
 *   LOAD_CLIENTS=2000 LOAD_SECONDS=30 ...  other sizes; LOAD_CHURN_MEAN_MS, LOAD_SIGNALS_PER_SECOND
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = join(ROOT, 'apps/signaling/dist/main.js');
const QUICK = process.env.BENCH_QUICK === '1';
const PER_ROOM = 5;
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? (QUICK ? 500 : 5000));
const SECONDS = Number(process.env.LOAD_SECONDS ?? (QUICK ? 10 : 60));
const SIGNALS_PER_SECOND = Number(process.env.LOAD_SIGNALS_PER_SECOND ?? CLIENTS);
const CHURN_MEAN_MS = Number(process.env.LOAD_CHURN_MEAN_MS ?? 15_000);
const WORKERS = 2;

if (!existsSync(ENTRY)) {
  console.error(`no production bundle at ${ENTRY}: run npm run build -w @parley/signaling`);
  process.exit(2);
}

const log = (line: string) => console.log(`[load] ${line}`);
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

// Production settings throughout; info-level logs only note anomalies (refusals, reaping).
const server = spawnServerProcess({ entry: ENTRY });
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  server.kill();
});

/** CPU seconds the server has used (utime + stime from /proc, in clock ticks of 10 ms). */
function serverCpuSeconds(): number {
  // The fields after the command name, which is in parentheses: state is [0], utime [11].
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const port = await server.port;
const rssIdle = server.rssBytes();
const [loadStart = 0] = loadavg();
log(
  `server pid ${server.pid} on port ${port}; ${CLIENTS} participants in ${CLIENTS / PER_ROOM} rooms, ` +
    `${SECONDS} s, ${SIGNALS_PER_SECOND} signals/s, churn every ~${CHURN_MEAN_MS / 1000} s each`,
);

const roomsPerWorker = CLIENTS / PER_ROOM / WORKERS;
const reports: WorkerReport[] = [];
const ready = Array.from({ length: WORKERS }, (_, worker) => {
  const args: WorkerArgs = {
    port,
    worker,
    rooms: roomsPerWorker,
    perRoom: PER_ROOM,
    signalsPerSecond: SIGNALS_PER_SECOND / WORKERS,
    churnMeanMs: CHURN_MEAN_MS,
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
const connectStarted = performance.now();
await Promise.all(ready);
log(`all ${CLIENTS} joined in ${((performance.now() - connectStarted) / 1000).toFixed(1)} s`);

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
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
clearInterval(sampler);
const rssEnd = server.rssBytes();
const cpuUsed = serverCpuSeconds() - cpuStart;
const churnSeconds = (performance.now() - started) / 1000;

const reported = Promise.all(
  children.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve()))),
);
for (const child of children) child.send({ type: 'stop' });
await reported;
const [loadEnd = 0] = loadavg();

const sum = (pick: (r: WorkerReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
const errors: Record<string, number> = {};
for (const r of reports)
  for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
const latencies = reports.flatMap((r) => r.latenciesMs);
const q = (p: number) => Math.round(quantile(latencies, p) * 100) / 100;
const at = (fraction: number) =>
  timeline[Math.min(timeline.length - 1, Math.floor(fraction * timeline.length))]?.rssMiB;

const result = {
  when: new Date().toISOString(),
  loadAverage: { start: loadStart, end: loadEnd },
  participants: sum((r) => r.participants),
  rooms: CLIENTS / PER_ROOM,
  seconds: Math.round(churnSeconds),
  connects: sum((r) => r.connects),
  joins: sum((r) => r.joins),
  resumes: sum((r) => r.resumes),
  leaves: sum((r) => r.leaves),
  drops: sum((r) => r.drops),
  signalsSent: sum((r) => r.signalsSent),
  signalsDelivered: sum((r) => r.signalsDelivered),
  refusedTargetGone: sum((r) => r.refusedTargetGone),
  sentToAway: sum((r) => r.sentToAway),
  lost: sum((r) => r.lost),
  errors,
  relayLatencyMs: {
    samples: latencies.length,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: q(1),
  },
  serverRssMiB: {
    idle: mib(rssIdle),
    joined: mib(rssJoined),
    peak: mib(rssPeak),
    end: mib(rssEnd),
    at25: at(0.25),
    at50: at(0.5),
    at75: at(0.75),
  },
  serverCpuCores: Math.round((cpuUsed / churnSeconds) * 100) / 100,
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
log(`participants ${result.participants} in ${result.rooms} rooms for ${result.seconds} s`);
log(
  `churn: ${result.joins} joins, ${result.resumes} resumes, ${result.leaves} leave+rejoin, ` +
    `${result.drops} drop+resume, ${result.connects} connections`,
);
log(
  `signals: ${result.signalsSent} sent, ${result.signalsDelivered} delivered, ` +
    `${result.refusedTargetGone} refused (target had left), ${result.sentToAway} sent to a peer ` +
    `that was away, ${result.lost} lost`,
);
log(
  `relay latency over ${latencies.length} relays: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, ` +
    `p99 ${q(0.99)} ms, max ${q(1)} ms`,
);
log(
  `server RSS (MiB): idle ${mib(rssIdle)}, all joined ${mib(rssJoined)}, at 25/50/75% ` +
    `${at(0.25)}/${at(0.5)}/${at(0.75)}, peak ${mib(rssPeak)}, end ${mib(rssEnd)}; ` +
    `server CPU ${result.serverCpuCores} cores`,
);
log(`server exit on SIGTERM: code ${exitCode} in ${shutdownMs} ms`);
log(`load average ${loadStart.toFixed(1)} → ${loadEnd.toFixed(1)} (other work skews latency)`);
log(`errors: ${Object.keys(errors).length === 0 ? 'none' : JSON.stringify(errors)}`);
log(`written to test-results/load.json; ${failed ? 'FAILED' : 'passed'}`);
process.exit(failed ? 1 : 0);
