import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort } from './free-port.ts';

/**
 * A private redis-server for one test: loopback only, no persistence, on a free port, stopped
 * by its PID. `restart()` brings a new, empty one up on the same port (a Redis that was killed
 * and came back without its data); `freeze()`/`thaw()` are kill -STOP/-CONT (a hung Redis).
 */

/** Why Redis tests cannot run here, or undefined when redis-server is installed. */
export function redisMissing(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return found.error || found.status !== 0
    ? 'redis-server is not installed (scripts/ensure-system-deps.sh installs it)'
    : undefined;
}

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  freeze(): void;
  thaw(): void;
  /** SIGKILL, and resolves once it is gone. */
  kill(): Promise<void>;
  /** A new empty server on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  let child = await launch(port);
  const gone = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => c.once('exit', () => resolve()));
  const kill = async () => {
    child.kill('SIGCONT'); // a frozen process dies of SIGKILL too, but be plain about it
    child.kill('SIGKILL');
    await gone(child);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!;
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    kill,
    async restart() {
      await kill();
      child = await launch(port);
    },
    stop: kill,
  };
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += line + '\n';
      if (line.includes('Ready to accept connections')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
}
