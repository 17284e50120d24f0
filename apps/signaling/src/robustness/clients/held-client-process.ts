import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./held-client.ts', import.meta.url));

export interface HeldClient {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The peer ID the server gave it. */
  readonly joined: Promise<string>;
  /** The close code it saw, if its socket closed while it could still run. */
  readonly closedCode: Promise<number>;
  readonly exited: Promise<void>;
  /** SIGKILL (which also ends a stopped process); safe to call twice. */
  kill(): void;
}

/** Starts `held-client.ts` in its own process, joined to `roomId` on the server at `baseUrl`. */
export function spawnHeldClient(baseUrl: string, roomId: string): HeldClient {
  const child = spawn(process.execPath, ['--import', 'tsx', script, baseUrl, roomId], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { pid, stdout, stderr: errors } = child;
  if (pid === undefined || !stdout || !errors) throw new Error('could not spawn the held client');
  let stderr = '';
  errors.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const events = createInterface({ input: stdout });
  const awaitEvent = <T>(name: string, pick: (e: Record<string, unknown>) => T) =>
    new Promise<T>((resolve, reject) => {
      events.on('line', (line) => {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.event === name) resolve(pick(event));
      });
      void exited.then(() => reject(new Error(`held client exited before "${name}": ${stderr}`)));
    });
  const joined = awaitEvent('joined', (e) => String(e.selfId));
  const closedCode = awaitEvent('closed', (e) => Number(e.code));
  closedCode.catch(() => undefined); // most tests never see it: the process is frozen or killed
  return {
    child,
    pid,
    joined,
    closedCode,
    exited,
    kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
    },
  };
}
