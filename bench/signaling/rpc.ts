import { fork, type ChildProcess } from 'node:child_process';

/**
 * Request/response over the Node IPC channel between the bench (parent) and its child
 * processes (servers under test, load generators). Uses the "advanced" serialisation so typed
 * arrays of latency samples cross without JSON.
 */

type Request = { rpc: number; method: string; args: unknown };
type Response =
  { rpc: number; ok: true; value: unknown } | { rpc: number; ok: false; error: string };
type Handlers = Record<string, (args: never) => unknown>;

/** In a child: answers the parent's calls with `handlers`. */
export function serveRpc(handlers: Handlers): void {
  if (!process.send) throw new Error('serveRpc needs an IPC channel (start with fork)');
  process.on('message', (raw) => {
    const request = raw as Request;
    if (typeof request?.rpc !== 'number') return;
    const reply = (response: Response) => process.send?.(response);
    const handler = handlers[request.method];
    if (!handler) {
      reply({ rpc: request.rpc, ok: false, error: `no such method: ${request.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(request.args as never))
      .then(
        (value) => reply({ rpc: request.rpc, ok: true, value }),
        (error: unknown) =>
          reply({
            rpc: request.rpc,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  // The parent going away must never leave load generators or servers behind.
  process.on('disconnect', () => process.exit(0));
}

/** A child process started with `fork`, called with `call(method, args)`. */
export class RpcChild {
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.on('message', (raw) => {
      const response = raw as Response;
      const waiter = this.pending.get(response.rpc);
      if (!waiter) return;
      this.pending.delete(response.rpc);
      if (response.ok) waiter.resolve(response.value);
      else waiter.reject(new Error(`${name}: ${response.error}`));
    });
    this.exited = new Promise((resolve) =>
      process.once('exit', (code) => {
        for (const waiter of this.pending.values())
          waiter.reject(new Error(`${name} exited (code ${code}) during a call`));
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  /**
   * Forks `module` (TypeScript, run through tsx) with `nodeFlags` and `env`. Resolves once the
   * child has sent its first message, `{ ready: ... }`, with whatever it reports (e.g. a port).
   */
  static async start<Ready>(options: {
    name: string;
    module: string;
    args?: string[];
    nodeFlags?: string[];
    env?: NodeJS.ProcessEnv;
    stdout?: 'inherit' | 'ignore' | number;
  }): Promise<{ child: RpcChild; ready: Ready }> {
    const proc = fork(options.module, options.args ?? [], {
      execArgv: [...(options.nodeFlags ?? []), '--import', 'tsx'],
      env: options.env ?? process.env,
      serialization: 'advanced',
      stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
    });
    const child = new RpcChild(options.name, proc);
    const ready = await new Promise<Ready>((resolve, reject) => {
      const onMessage = (raw: unknown) => {
        const message = raw as { ready?: Ready };
        if (message && 'ready' in message) {
          proc.off('message', onMessage);
          resolve(message.ready as Ready);
        }
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => reject(new Error(`${options.name} exited early (code ${code})`)));
    });
    return { child, ready };
  }

  call<T = unknown>(method: string, args: unknown = {}): Promise<T> {
    const rpc = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(rpc, { resolve: resolve as (v: unknown) => void, reject });
      this.process.send({ rpc, method, args } satisfies Request);
    });
  }

  /** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** In a child: tells the parent it is ready (the first message `RpcChild.start` waits for). */
export function announceReady(ready: unknown): void {
  process.send?.({ ready });
}
