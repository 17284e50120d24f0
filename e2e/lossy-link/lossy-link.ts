import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  isolatedNetwork,
  netemOnLoopback,
  netemUnavailable,
  NOT_ISOLATED,
  type NetworkFault,
} from '../fixtures.ts';
import { scratchDir } from '../support/scratch-dir.ts';

/**
 * A lossy, slow loopback: random loss plus a fixed one-way delay on every packet of the test
 * namespace's `lo` (media, data channels, signalling and page loads alike: the same scope as
 * `tc netem` on lo, whose egress every loopback packet crosses once).
 *
 * netem is the first choice. Where the kernel has no sch_netem (this development box), an
 * emulator stands in: iptables drops a random share of lo's packets in OUTPUT
 * (`-m statistic --mode random`) and queues the rest to a tiny userspace delayer
 * (nfq-delay.c, NFQUEUE) that holds each one for the delay and then accepts it.
 */

export interface LossyLinkOptions {
  lossPercent: number;
  delayMs: number;
}

export interface LossyLink extends NetworkFault {
  readonly method: 'netem' | 'nfqueue';
  /** Resolves once everything the impairment started has exited (after `lift()`). */
  readonly gone: Promise<void>;
}

/** Queue 0 is iptables' default; a distinct number keeps a stray rule elsewhere from feeding us. */
const QUEUE_NUM = 4711;
const SOURCE = fileURLToPath(new URL('./nfq-delay.c', import.meta.url));

let compiled: string | undefined;

/** Builds the delayer once per test process, into a temporary directory. */
function delayerBinary(): string {
  if (compiled) return compiled;
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libnetfilter_queue'], {
    encoding: 'utf8',
    stdio: 'pipe',
  })
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const binary = join(scratchDir('parley-nfq-'), 'nfq-delay');
  execFileSync('cc', ['-O2', '-Wall', '-o', binary, SOURCE, ...flags], { stdio: 'pipe' });
  compiled = binary;
  return binary;
}

function stderrOf(error: unknown): string {
  return String((error as { stderr?: unknown }).stderr ?? error).trim();
}

/**
 * Why neither netem nor the emulator can run here, or undefined. The emulator needs a C
 * compiler, libnetfilter-queue-dev (scripts/ensure-system-deps.sh installs both) and a kernel
 * with NFQUEUE and the statistic match; the iptables rules are tried on a port nothing uses.
 */
export function lossyLinkUnavailable(): string | undefined {
  if (!isolatedNetwork) return NOT_ISOLATED;
  const noNetem = netemUnavailable();
  if (noNetem === undefined) return undefined;
  try {
    delayerBinary();
  } catch (error) {
    return `${noNetem}; and the NFQUEUE delayer does not build (needs cc, pkg-config and libnetfilter-queue-dev): ${stderrOf(error)}`;
  }
  const probe = ['OUTPUT', '-o', 'lo', '-p', 'udp', '--dport', '9'];
  const rules = [
    [...probe, '-m', 'statistic', '--mode', 'random', '--probability', '0.5', '-j', 'DROP'],
    [...probe, '-j', 'NFQUEUE', '--queue-num', String(QUEUE_NUM)],
  ];
  for (const rule of rules) {
    try {
      execFileSync('iptables', ['-A', ...rule], { stdio: 'pipe' });
      execFileSync('iptables', ['-D', ...rule], { stdio: 'pipe' });
    } catch (error) {
      return `${noNetem}; and iptables refuses \`${rule.join(' ')}\` (needs CONFIG_NETFILTER_XT_TARGET_NFQUEUE and CONFIG_NETFILTER_XT_MATCH_STATISTIC): ${stderrOf(error)}`;
    }
  }
  return undefined;
}

/** Impairs the namespace's loopback until `lift()`; netem where the kernel has it. */
export async function impairLoopback({
  lossPercent,
  delayMs,
}: LossyLinkOptions): Promise<LossyLink> {
  if (netemUnavailable() === undefined) {
    const fault = netemOnLoopback(['loss', `${lossPercent}%`, 'delay', `${delayMs}ms`]);
    return { method: 'netem', lift: () => fault.lift(), gone: Promise.resolve() };
  }
  return emulate(lossPercent, delayMs);
}

async function emulate(lossPercent: number, delayMs: number): Promise<LossyLink> {
  const delayer = spawn(delayerBinary(), [String(QUEUE_NUM), String(delayMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const gone = new Promise<void>((resolve) => delayer.once('exit', () => resolve()));
  let stderr = '';
  delayer.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    // Its last words say how many packets a full queue dropped on top of the random loss.
    process.stderr.write(chunk);
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: delayer.stdout! }).on('line', (line) => {
      if (line === 'ready') resolve();
    });
    delayer.once('exit', (code) =>
      reject(new Error(`nfq-delay exited with code ${code} before binding: ${stderr.trim()}`)),
    );
  });
  // Loss first, so a dropped packet is never delayed; then every survivor goes to the queue.
  // No --queue-bypass: if the delayer died, lo would go dark and the test would fail loudly
  // instead of silently running on a healthy link.
  const rules = [
    [
      'OUTPUT',
      '-o',
      'lo',
      '-m',
      'statistic',
      '--mode',
      'random',
      '--probability',
      String(lossPercent / 100),
      '-j',
      'DROP',
    ],
    ['OUTPUT', '-o', 'lo', '-j', 'NFQUEUE', '--queue-num', String(QUEUE_NUM)],
  ];
  const added: string[][] = [];
  const lift = () => {
    // Rules first (no new packets reach the queue), then the delayer, which accepts what it
    // still holds on SIGTERM.
    for (const rule of added.splice(0).reverse()) {
      execFileSync('iptables', ['-D', ...rule], { stdio: 'pipe' });
    }
    if (delayer.exitCode === null && delayer.signalCode === null) delayer.kill('SIGTERM');
  };
  try {
    for (const rule of rules) {
      execFileSync('iptables', ['-A', ...rule], { stdio: 'pipe' });
      added.push(rule);
    }
  } catch (error) {
    lift();
    throw error;
  }
  return { method: 'nfqueue', lift, gone };
}
