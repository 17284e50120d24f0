import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The machine a run measured, printed above the table and stored in summary.json. */
export type Machine = {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  chromium: string;
  ws: string;
  peer: string;
  /** 1-minute load average when the run started and ended: other work skews the figures. */
  loadAverage: { start: number; end?: number };
  commit: string;
};

function safe(run: () => string, fallback = 'unknown'): string {
  try {
    return run().trim() || fallback;
  } catch {
    return fallback;
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
function packageVersion(name: string): string {
  return safe(
    () =>
      (
        JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
  );
}

function cpuModel(): string {
  const fromOs = os.cpus()[0]?.model;
  if (fromOs) return fromOs;
  return safe(() => /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '');
}

/** The 1-minute load average, rounded. */
export function loadAverage(): number {
  return Number((os.loadavg()[0] ?? 0).toFixed(2));
}

export function describeMachine(): Machine {
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    // Debian's wrapper script prints shell noise on stderr; the version is on stdout.
    chromium: safe(() =>
      execFileSync(chromiumPath, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
    ),
    ws: packageVersion('ws'),
    peer: packageVersion('peer'),
    loadAverage: { start: loadAverage() },
    commit: safe(() => {
      const head = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'])
        .toString()
        .trim();
      return dirty ? `${head} (with uncommitted changes)` : head;
    }),
  };
}

export function machineLines(m: Machine): string[] {
  const load =
    `load average ${m.loadAverage.start}` +
    (m.loadAverage.end === undefined ? '' : ` at start, ${m.loadAverage.end} at end`);
  return [
    `CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM; ${m.os}; ${load}`,
    `Node ${m.node}, ${m.chromium}, ws ${m.ws}, peer ${m.peer}; commit ${m.commit}`,
  ];
}
