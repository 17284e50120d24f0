import { decodeServerMessage, type ClientMessage } from '@parley/protocol';
import WebSocket from 'ws';
import { joinMessage } from './join-message.ts';
import { ServerMessageInbox } from './server-message-inbox.ts';

/**
 * A real `ws` client for integration tests. Every frame is decoded with the protocol's own
 * schema, so a test fails if the server ever sends something the browser would reject.
 */
export class TestClient {
  private readonly inbox = new ServerMessageInbox();
  readonly messages = this.inbox.messages;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const decoded = decodeServerMessage(data.toString());
      if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.message}`);
      this.inbox.push(decoded.message);
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
  readonly next: ServerMessageInbox['next'] = (type, match) => this.inbox.next(type, match);

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

  readonly received: ServerMessageInbox['received'] = (type) => this.inbox.received(type);

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}

export class HttpRefusal extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
