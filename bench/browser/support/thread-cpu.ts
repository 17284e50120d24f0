import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time per Chromium thread, read from /proc (Linux only), to see where a phase's CPU went:
 * e.g. the renderer's main thread, its WebRTC network thread (SCTP), a worker, the encoder.
 * `snapshot()` before a phase and `sampler()` through it, then `cpuBetween()` gives seconds per
 * "process kind / thread name". Renderers are numbered by pid, so the first page opened is
 * usually renderer#1. It reads only this machine's own /proc: no browser cooperation needed.
 */
export type CpuSnapshot = Map<string, { label: string; ticks: number }>;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processKind(cmdline: string): string | undefined {
  if (!/chrom/i.test(cmdline.split('\0')[0] ?? '')) return undefined;
  const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
  if (!type) return 'browser';
  const sub = /--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1];
  return sub ? `utility(${sub.split('.').at(-1)})` : type;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the thread or process ended meanwhile
  }
}

/**
 * `browsers` names the Chromiums apart when there are several: a process whose command line
 * contains the key (e.g. its profile folder) gets the name as a prefix.
 */
export function snapshot(browsers: Record<string, string> = {}): CpuSnapshot {
  const result: CpuSnapshot = new Map();
  const processes: { pid: number; kind: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = read(`/proc/${entry}/cmdline`) ?? '';
    const kind = processKind(cmdline);
    const browser = Object.entries(browsers).find(([key]) => cmdline.includes(key))?.[1];
    if (kind) processes.push({ pid: Number(entry), kind: browser ? `${browser} ${kind}` : kind });
  }
  processes.sort((a, b) => a.pid - b.pid);
  const seen = new Map<string, number>();
  for (const { pid, kind } of processes) {
    const index = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, index);
    const name = kind.endsWith('renderer') ? `${kind}#${index}` : kind;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // the process ended meanwhile
    }
    for (const tid of tasks) {
      const stat = read(`/proc/${pid}/task/${tid}/stat`);
      if (!stat) continue;
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // Fields after the comm start at field 3 (state); utime and stime are fields 14 and 15.
      const ticks = Number(fields[11]) + Number(fields[12]);
      result.set(`${pid}/${tid}`, { label: `${name} / ${comm}`, ticks });
    }
  }
  return result;
}

/**
 * Samples every `intervalMs` until stopped and keeps each thread's last reading, so threads that
 * end during the phase (a worker terminated when its job is done) still count.
 */
export function sampler(
  browsers: Record<string, string> = {},
  intervalMs = 100,
): { stop(): CpuSnapshot } {
  const seen = snapshot(browsers);
  const merge = () => {
    for (const [key, value] of snapshot(browsers)) seen.set(key, value);
  };
  const timer = setInterval(merge, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      merge();
      return seen;
    },
  };
}

/** Seconds of CPU per "process / thread name" between two snapshots, largest first. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): [string, number][] {
  const totals = new Map<string, number>();
  for (const [key, { label, ticks }] of after) {
    const delta = ticks - (before.get(key)?.ticks ?? 0);
    if (delta > 0) totals.set(label, (totals.get(label) ?? 0) + delta / TICKS_PER_SECOND);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

/** A readable few lines: the top threads and the total, for a phase that took `seconds`. */
export function formatCpu(title: string, rows: [string, number][], seconds: number): string {
  const total = rows.reduce((sum, [, s]) => sum + s, 0);
  const lines = rows
    .filter(([, s]) => s >= 0.05)
    .map(([label, s]) => `    ${s.toFixed(2).padStart(6)} s  ${label}`);
  return [
    `  ${title}: ${total.toFixed(2)} s CPU in ${seconds.toFixed(2)} s wall (${(total / seconds).toFixed(2)} cores)`,
    ...lines,
  ].join('\n');
}

/**
 * Compares two kinds of phase that moved the same bytes: mean CPU milliseconds per MiB for each,
 * and the threads that account for most of the difference (b − a), in one readable line.
 */
export function cpuDifference(
  a: [string, number][][],
  b: [string, number][][],
  mibPerPhase: number,
): { aMsPerMiB: number; bMsPerMiB: number; text: string } {
  const perMiB = (phases: [string, number][][]) => {
    const totals = new Map<string, number>();
    for (const rows of phases)
      for (const [label, seconds] of rows)
        totals.set(
          label,
          (totals.get(label) ?? 0) + (seconds * 1000) / mibPerPhase / phases.length,
        );
    return totals;
  };
  const [ta, tb] = [perMiB(a), perMiB(b)];
  const sum = (t: Map<string, number>) => [...t.values()].reduce((x, y) => x + y, 0);
  const labels = new Set([...ta.keys(), ...tb.keys()]);
  const deltas = [...labels]
    .map((label) => [label, (tb.get(label) ?? 0) - (ta.get(label) ?? 0)] as const)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 6);
  const [aMs, bMs] = [sum(ta), sum(tb)];
  const text = `${aMs.toFixed(1)} ms of CPU per MiB for the bare loop, ${bMs.toFixed(1)} ms for Parley (+${(bMs - aMs).toFixed(1)}); most of the difference: ${deltas.map(([label, ms]) => `${label} ${ms >= 0 ? '+' : ''}${ms.toFixed(1)}`).join(', ')} ms/MiB. Time-bound work (video, audio, compositing) grows with a slower phase too.`;
  return { aMsPerMiB: aMs, bMsPerMiB: bMs, text };
}
