import type { ChildProcess } from 'node:child_process';
import WebSocket from 'ws';

/**
 * The server's live heap, read through the V8 inspector of a process started with
 * --inspect=127.0.0.1:0: a full GC first, so the figure is what is still referenced. RSS alone
 * cannot tell a leak from garbage not yet collected or memory V8 keeps for later.
 */
export class HeapProbe {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
    });
  }

  /** Waits for the "Debugger listening on ws://..." line on the child's stderr and connects. */
  static async attach(child: ChildProcess): Promise<HeapProbe> {
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /Debugger listening on (ws:\/\/\S+)/.exec(seen);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`no inspector URL: ${seen}`)));
    });
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new HeapProbe(socket);
  }

  /** heapUsed in bytes after a full garbage collection. */
  async liveHeapBytes(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const result = (await this.call('Runtime.evaluate', {
      expression: 'process.memoryUsage().heapUsed',
      returnByValue: true,
    })) as { result: { value: number } };
    return result.result.value;
  }

  close(): void {
    this.socket.close();
  }

  private call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.pending.set(id, resolve));
  }
}
