import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A real coturn (`turnserver` from Debian's coturn package) for tests: a temporary config with
 * TURN REST API credentials, started in the foreground, awaited until it listens, killed by PID.
 * Plain Node (no Playwright), so vitest and Playwright specs can both use it.
 */

export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

export interface CoturnOptions {
  /** coturn's `static-auth-secret`; the signalling server mints credentials with the same one. */
  secret: string;
  realm?: string;
  /** Addresses to listen on (STUN and TURN, UDP and TCP). Default: 127.0.0.1. */
  listenIps?: string[];
  /** Addresses relayed traffic leaves from. Default: the first listen address of each family. */
  relayIps?: string[];
  /** Default: a free port on loopback below the ephemeral range, or 3478 inside a namespace. */
  port?: number;
  /** Run inside this network namespace (`ip netns exec`), e.g. the NAT lab's TURN host. */
  netns?: string;
  /** Extra config lines: peer allow/deny lists, quotas. */
  extraLines?: string[];
  /** coturn's verbose log, which names each request's result (e.g. `error 401: Unauthorized`). */
  verbose?: boolean;
}

export interface Coturn {
  readonly pid: number;
  readonly port: number;
  readonly listenIps: string[];
  /** The UDP ports relayed traffic leaves from. */
  readonly relayPorts: { min: number; max: number };
  /** Everything coturn has logged so far. */
  output(): string;
  /** Resolves once coturn's log matches (logs arrive through a pipe, after the client's reply). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 25;
const RELAY_PORTS = 64;
/** Test ports are drawn from here up to the kernel's ephemeral range. */
const LOWEST_TEST_PORT = 20_000;
const PORT_ATTEMPTS = 5;
/** What coturn logs when its listening port is taken; it then retries the bind for ever. */
const CANNOT_BIND_LISTENER = /Cannot bind .*listener socket to addr/;

/** Why coturn tests cannot run here, or undefined when they can. */
export function coturnUnavailableReason(): string | undefined {
  return existsSync(TURNSERVER)
    ? undefined
    : `coturn is not installed (${TURNSERVER}); run scripts/ensure-system-deps.sh as root`;
}

export async function startCoturn(options: CoturnOptions): Promise<Coturn> {
  if (options.port !== undefined || options.netns) {
    return startCoturnOn(options.port ?? 3478, options);
  }
  // A free port can be taken between the check and coturn's bind (coturn then retries the bind
  // for ever, listening nowhere), so a port found taken is traded for another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCoturnOn(await freeLoopbackPort(), options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startCoturnOn(port: number, options: CoturnOptions): Promise<Coturn> {
  const listenIps = options.listenIps ?? ['127.0.0.1'];
  const relayIps = options.relayIps ?? firstOfEachFamily(listenIps);
  const relayPorts = { min: port + 1, max: Math.min(port + RELAY_PORTS, 65535) };
  const dir = mkdtempSync(join(tmpdir(), 'parley-coturn-'));
  const config = [
    ...listenIps.map((ip) => `listening-ip=${ip}`),
    ...relayIps.map((ip) => `relay-ip=${ip}`),
    `listening-port=${port}`,
    // Relay ports just above the listening port: a small range keeps clear of other tests.
    `min-port=${relayPorts.min}`,
    `max-port=${relayPorts.max}`,
    'use-auth-secret',
    `static-auth-secret=${options.secret}`,
    `realm=${options.realm ?? 'parley.test'}`,
    'fingerprint',
    'no-cli',
    'no-tls',
    'no-dtls',
    'log-file=stdout',
    'simple-log',
    ...(options.verbose ? ['verbose'] : []),
    `pidfile=${join(dir, 'turnserver.pid')}`,
    // The default userdb path (/var/lib/turn) may not be writable.
    `userdb=${join(dir, 'turndb.sqlite')}`,
    ...(options.extraLines ?? []),
  ];
  const configPath = join(dir, 'turnserver.conf');
  writeFileSync(configPath, config.join('\n') + '\n');

  // `ip netns exec` execs the command in place, so the PID is turnserver's own.
  const [command, args] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, TURNSERVER, '-c', configPath]]
    : [TURNSERVER, ['-c', configPath]];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = collectOutput(child);
  const server: Coturn = {
    pid: child.pid!,
    port,
    listenIps,
    relayPorts,
    output: log.text,
    waitForOutput: log.waitFor,
    stop: async () => {
      await killAndWait(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilListening(child, log.text, listenIps, port, options.netns);
  } catch (error) {
    await server.stop();
    const message = `${(error as Error).message}\ncoturn log:\n${log.text()}`;
    if (error instanceof PortTakenError) throw new PortTakenError(message, { cause: error });
    throw new Error(message, { cause: error });
  }
  return server;
}

function firstOfEachFamily(ips: string[]): string[] {
  const v4 = ips.find((ip) => !ip.includes(':'));
  const v6 = ips.find((ip) => ip.includes(':'));
  return [v4, v6].filter((ip): ip is string => ip !== undefined);
}

/**
 * A loopback port free for both TCP and UDP (coturn listens on both), with `relaySpan` ports
 * above it for relays. It is drawn from below the kernel's ephemeral range: ports in that range
 * are handed out at any moment to the outgoing connections and port-0 servers of tests running
 * alongside, and one of those taking coturn's port between this check and coturn's bind left
 * coturn listening nowhere.
 */
export async function freeLoopbackPort(relaySpan = RELAY_PORTS): Promise<number> {
  const highest = ephemeralPortsStart() - 1 - relaySpan;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOWEST_TEST_PORT + Math.floor(Math.random() * (highest - LOWEST_TEST_PORT + 1));
    if ((await tcpPortFree(port)) && (await udpPortFree(port))) return port;
  }
  throw new Error(`no free loopback port for coturn in ${LOWEST_TEST_PORT}-${highest}`);
}

/** The first port of net.ipv4.ip_local_port_range (Linux's default is 32768). */
function ephemeralPortsStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/);
    const start = Number(low);
    if (Number.isInteger(start) && start > LOWEST_TEST_PORT + RELAY_PORTS * 4) return start;
  } catch {
    // Not Linux, or /proc is not mounted: assume the default.
  }
  return 32768;
}

function tcpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** Polls `ss` (in the namespace, if any) until every listen address has UDP and TCP sockets. */
async function waitUntilListening(
  child: ChildProcess,
  output: () => string,
  ips: string[],
  port: number,
  netns: string | undefined,
): Promise<void> {
  const wanted = ips.flatMap((ip) => {
    const address = ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
    return [`udp ${address}`, `tcp ${address}`];
  });
  const ss = ['ss', '-Hlnut', `sport = :${port}`];
  const [command, args] = netns ? ['ip', ['netns', 'exec', netns, ...ss]] : [ss[0]!, ss.slice(1)];
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`turnserver exited early (${child.exitCode ?? child.signalCode})`);
    if (CANNOT_BIND_LISTENER.test(output()))
      throw new PortTakenError(`another process holds port ${port}, where coturn was to listen`);
    const { stdout } = await promisify(execFile)(command, args);
    const open = new Set(
      stdout
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((fields) => fields.length >= 5)
        .map((fields) => `${fields[0]} ${fields[4]}`),
    );
    if (wanted.every((socket) => open.has(socket))) return;
    if (Date.now() > deadline)
      throw new Error(`turnserver did not listen on ${wanted.join(', ')} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

function collectOutput(child: ChildProcess): {
  text: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
} {
  let text = '';
  const onData = (chunk: Buffer) => (text += chunk.toString('utf8'));
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    text: () => text,
    waitFor: (pattern, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (!match) return false;
          cleanup();
          resolve(match[0]);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`coturn never logged ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
        };
        if (check()) return;
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
      }),
  };
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
export async function killAndWait(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
