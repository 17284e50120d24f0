import { decodeServerMessage, type ClientMessage, type ServerMessage } from '@parley/protocol';
import WebSocket from 'ws';
import { joinMessage } from './join-message.ts';

/**
 * A real `ws` client for integration tests. Every frame is decoded with the protocol's own
 * schema, so a test fails if the server ever sends something the browser would reject.
 */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  private readonly waiters: Array<{
    match: (m: ServerMessage) => boolean;
    resolve: (m: ServerMessage) => void;
  }> = [];
  /** Each message satisfies at most one `next()`; others stay available to later waiters. */
  private readonly consumed: boolean[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const decoded = decodeServerMessage(data.toString());
      if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.message}`);
      this.messages.push(decoded.message);
      this.flush();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static connect(
    baseUrl: string,
    options: {
      origin?: string;
      autoPong?: boolean;
      path?: string;
      /** Source address, e.g. 127.0.0.2 to appear as another client IP on loopback. */
      localAddress?: string;
      /** Extra request headers, e.g. X-Forwarded-For as a reverse proxy would set it. */
      headers?: Record<string, string>;
    } = {},
  ): Promise<TestClient> {
    const url = baseUrl.replace(/^http/, 'ws') + (options.path ?? '/ws');
    const socket = new WebSocket(url, {
      origin: options.origin ?? baseUrl,
      autoPong: options.autoPong ?? true,
      perMessageDeflate: false,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('unexpected-response', (_req, res) =>
        reject(new HttpRefusal(res.statusCode ?? 0)),
      );
      socket.once('error', reject);
    });
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Resolves with the next message (after those already consumed) matching `match`. */
  next<T extends ServerMessage['type']>(
    type: T,
    match: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const predicate = (m: ServerMessage) =>
      m.type === type && match(m as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve) => {
      this.waiters.push({ match: predicate, resolve: resolve as (m: ServerMessage) => void });
      this.flush();
    });
  }

  async join(roomId: string, displayName = 'tester', resume?: { peerId: string; token: string }) {
    this.send(joinMessage(roomId, displayName, resume));
    return this.next('joined');
  }

  /**
   * Round-trips a ping. Frames are ordered on a socket, so anything the server sent this client
   * before answering has arrived once this resolves: the way to assert that something did *not*
   * arrive without sleeping.
   */
  async sync(): Promise<void> {
    const t = Math.random();
    this.send({ type: 'ping', t });
    await this.next('pong', (m) => m.t === t);
  }

  received<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.messages.filter((m) => m.type === type) as Array<
      Extract<ServerMessage, { type: T }>
    >;
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
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

export class HttpRefusal extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
