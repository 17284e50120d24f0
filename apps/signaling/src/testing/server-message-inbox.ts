import type { ServerMessage } from '@parley/protocol';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/**
 * The server messages a test client has received, whatever carried them (a WebSocket, an SSE
 * stream, long-polls). Each message satisfies at most one `next()`; the others stay available
 * to later waiters, so tests can await messages in any order.
 */
export class ServerMessageInbox {
  readonly messages: ServerMessage[] = [];
  private readonly waiters: Array<{
    match: (m: ServerMessage) => boolean;
    resolve: (m: ServerMessage) => void;
  }> = [];
  private readonly consumed: boolean[] = [];

  push(message: ServerMessage): void {
    this.messages.push(message);
    this.flush();
  }

  /** Resolves with the next message (after those already consumed) matching `match`. */
  next<T extends ServerMessage['type']>(
    type: T,
    match: (m: Of<T>) => boolean = () => true,
  ): Promise<Of<T>> {
    const predicate = (m: ServerMessage) => m.type === type && match(m as Of<T>);
    return new Promise((resolve) => {
      this.waiters.push({ match: predicate, resolve: resolve as (m: ServerMessage) => void });
      this.flush();
    });
  }

  received<T extends ServerMessage['type']>(type: T): Array<Of<T>> {
    return this.messages.filter((m) => m.type === type) as Array<Of<T>>;
  }

  private flush(): void {
    for (let w = 0; w < this.waiters.length; w++) {
      const waiter = this.waiters[w]!;
      for (let i = 0; i < this.messages.length; i++) {
        const message = this.messages[i]!;
        if (!this.consumed[i] && waiter.match(message)) {
          this.consumed[i] = true;
          this.waiters.splice(w--, 1);
          waiter.resolve(message);
          break;
        }
      }
    }
  }
}
