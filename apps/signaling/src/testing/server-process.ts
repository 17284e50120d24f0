import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The real server as its own process (the entry point docker runs), for tests that kill it,
 * restart it, or read its memory without counting the test's own clients.
 */

const sourceEntry = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the server logs that it listens; rejects if it exits first. */
  readonly port: Promise<number>;
  /** Every JSON log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** Resident set size in bytes, from /proc (Linux). */
  rssBytes(): number;
  /** SIGKILLs the process if it is still running; safe to call twice. */
  kill(): void;
}

export interface ServerProcessOptions {
  env?: Record<string, string>;
  /** Run this built bundle (e.g. apps/signaling/dist/main.js) instead of the TypeScript source. */
  entry?: string;
  /** Extra node flags, e.g. --inspect=127.0.0.1:0 for a harness that reads the heap. */
  nodeArgs?: string[];
}

export function spawnServerProcess({
  env = {},
  entry,
  nodeArgs = [],
}: ServerProcessOptions = {}): ServerProcess {
  const args = [...nodeArgs, ...(entry ? [entry] : ['--import', 'tsx', sourceEntry])];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      STATIC_DIR: '',
      LOG_LEVEL: 'info',
      SIGNALING_SECRET: 'robustness-test-secret-long-enough',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn the server');
  const pid = child.pid;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const logs: Array<Record<string, unknown>> = [];
  const logWaiters = new Set<(entry: Record<string, unknown>) => void>();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a log line
      }
      logs.push(entry);
      for (const waiter of [...logWaiters]) waiter(entry);
      if (typeof entry.port === 'number' && String(entry.msg).startsWith('Parley listening'))
        resolve(entry.port);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  port.catch(() => undefined); // callers that expect an early exit never await the port
  return {
    child,
    pid,
    port,
    logs,
    waitForLog(match) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const waiter = (entry: Record<string, unknown>) => {
          if (!match(entry)) return;
          logWaiters.delete(waiter);
          resolve(entry);
        };
        logWaiters.add(waiter);
      });
    },
    exited,
    stderr: () => stderr,
    rssBytes: () => rssOf(pid),
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** VmRSS of a live process, in bytes. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}
