import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../apps/signaling/src/testing/free-port.ts';
import {
  redisMissing,
  startRedis,
  type RedisProcess,
} from '../../apps/signaling/src/testing/redis-process.ts';
import { LOG_DIR } from './harness.ts';
import { RpcChild } from './rpc.ts';
import type { ServerKind } from './wire.ts';

/**
 * Processes for the scale-out benches: a private redis-server (loopback, no persistence, as the
 * cluster tests start it) and server hosts (bench/signaling/server-host.ts) started with or
 * without REDIS_URL. The relay and memory harness (harness.ts) starts servers with the bench's
 * environment only; these need a per-server one, so they are started here.
 */

const HOST_MODULE = fileURLToPath(new URL('./server-host.ts', import.meta.url));

export type Measured = {
  /** Shown in logs and file names. */
  label: string;
  child: RpcChild;
  port: number;
  pid: number;
};

/** One server host; `redis` set means REDIS_URL (scale-out on) with a shared secret. */
export async function startHost(
  kind: ServerKind,
  label: string,
  redis?: { url: string; secret: string },
): Promise<Measured> {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(join(LOG_DIR, `${label}.log`), 'w');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.REDIS_URL;
  if (redis) Object.assign(env, { REDIS_URL: redis.url, SIGNALING_SECRET: redis.secret });
  const { child, ready } = await RpcChild.start<{ port: number; pid: number }>({
    name: `${label} server`,
    module: HOST_MODULE,
    args: [kind, String(kind === 'parley' ? await freePort() : 0)],
    nodeFlags: ['--expose-gc'],
    env,
    stdout: log,
  });
  return { label, child, port: ready.port, pid: ready.pid };
}

/** Starts a private redis-server, or throws saying why it cannot (not installed). */
export async function startBenchRedis(): Promise<{
  redis: RedisProcess;
  secret: string;
}> {
  const missing = redisMissing();
  if (missing) throw new Error(`scale-out benches need redis-server: ${missing}`);
  return { redis: await startRedis(), secret: randomBytes(24).toString('base64url') };
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times: 100 on every common architecture. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, µs) a process other than a server host has used, from
 * /proc/<pid>/stat: for redis-server. Clock-tick resolution (10 ms at the usual 100 Hz), which
 * is fine over windows of seconds.
 */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may contain spaces).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) / TICKS_PER_SECOND) * 1e6;
}

/**
 * Time (ms) a process's main thread has spent runnable but waiting for a core, from
 * /proc/<pid>/schedstat (its second field, in ns). Over a window it says how much of a latency
 * tail is the machine's cores being busy with something else, rather than the work itself.
 */
export function runQueueWaitMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}
