import {
  HTTP_SESSION_PATHS,
  PollResultSchema,
  SESSION_TOKEN_HEADER,
  SSE_CLOSE_EVENT,
  SendAckSchema,
  SessionClosedSchema,
  SessionOpenedSchema,
  SseReader,
  decodeServerMessage,
  parseHttpSessionBody,
  type ClientMessage,
  type SessionClosed,
  type SessionOpened,
} from '@parley/protocol';
import { joinMessage } from './join-message.ts';
import { ServerMessageInbox } from './server-message-inbox.ts';

export type HttpMode = 'sse' | 'poll';

/**
 * A real HTTP signalling client for integration tests, over SSE or long-polling, with the same
 * waiting helpers as `TestClient`. Every frame and every envelope is decoded with the
 * protocol's own schemas, so a test fails if the server ever sends something a browser would
 * reject. The low-level calls (`post`, `openStream`) let tests retry, reorder and resume.
 *
 * Given several server URLs (instances of one cluster), it sends each request to the next one
 * in turn, as a round-robin load balancer without sticky sessions would.
 */
export class HttpSessionClient {
  private readonly inbox = new ServerMessageInbox();
  readonly messages = this.inbox.messages;
  /** Sequence number of the last server frame received. */
  lastSeq = 0;
  private nextSeq = 1;
  private reading: AbortController | undefined;
  private resolveClosed!: (closed: SessionClosed) => void;
  readonly closed: Promise<SessionClosed> = new Promise((r) => (this.resolveClosed = r));
  private resolveStopped!: (why: string) => void;
  /**
   * Resolves when the background reader stops by itself: `ended` (the stream ended without a
   * close event), `status <n>` (a poll was refused) or `error` (a read failed).
   */
  readonly stopped: Promise<string> = new Promise((r) => (this.resolveStopped = r));
  /** Heartbeat comments seen on the stream. */
  heartbeats = 0;
  /** What went wrong in a background read (a gap, an invalid frame); tests expect none. */
  readonly faults: string[] = [];

  /** How many requests went out, so the next goes to the next URL in turn. */
  private requests = 1;

  private constructor(
    private baseUrls: readonly string[],
    readonly session: SessionOpened,
    readonly origin: string,
  ) {}

  static async open(
    baseUrl: string | readonly string[],
    { mode = 'sse', origin }: { mode?: HttpMode; origin?: string } = {},
  ): Promise<HttpSessionClient> {
    const baseUrls = typeof baseUrl === 'string' ? [baseUrl] : baseUrl;
    const first = baseUrls[0]!;
    const res = await fetch(first + HTTP_SESSION_PATHS.open, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: origin ?? first },
      body: '{}',
    });
    if (res.status !== 201) throw new Error(`open refused: ${res.status} ${await res.text()}`);
    const opened = parseHttpSessionBody(SessionOpenedSchema, await res.text());
    if (!opened.ok) throw new Error(`bad open answer: ${opened.message}`);
    const client = new HttpSessionClient(baseUrls, opened.value, origin ?? first);
    if (mode === 'sse') await client.openStream(0);
    else client.pollLoop();
    return client;
  }

  /** The URL of `path` on the server (or the next instance in turn) for the next request. */
  url(path: string): string {
    const base = this.baseUrls[this.requests++ % this.baseUrls.length]!;
    return base + path;
  }

  /** From now on, send requests (in turn) only to these servers: one was stopped, say. */
  routeTo(baseUrls: readonly string[]): void {
    this.baseUrls = baseUrls;
  }

  get headers(): Record<string, string> {
    return {
      'Content-Type': 'application/json',
      Origin: this.origin,
      [SESSION_TOKEN_HEADER]: this.session.token,
    };
  }

  /** Opens (or replaces) the SSE stream, resuming after `lastEventId`; resolves once it answers. */
  async openStream(lastEventId = this.lastSeq): Promise<void> {
    this.reading?.abort();
    const controller = new AbortController();
    this.reading = controller;
    const res = await fetch(this.url(HTTP_SESSION_PATHS.stream), {
      headers: { [SESSION_TOKEN_HEADER]: this.session.token, 'Last-Event-ID': String(lastEventId) },
      signal: controller.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`stream refused: ${res.status}`);
    const reader = new SseReader(
      (event) => {
        if (event.event === SSE_CLOSE_EVENT) {
          const closed = parseHttpSessionBody(SessionClosedSchema, event.data);
          if (!closed.ok) return void this.faults.push(`bad close event: ${closed.message}`);
          return this.resolveClosed(closed.value);
        }
        this.receive(Number(event.id), event.data);
      },
      () => this.heartbeats++,
    );
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>)
          reader.feed(decoder.decode(chunk, { stream: true }));
        if (this.reading === controller) this.resolveStopped('ended');
      } catch {
        // aborted by the test, or the connection was cut
        if (this.reading === controller) this.resolveStopped('error');
      }
    })();
  }

  /** Stops reading the stream (the session itself lives on until it expires). */
  stopReading(): void {
    this.reading?.abort();
    this.reading = undefined;
  }

  /** Sends protocol messages in one POST, numbered from the next sequence number. */
  send(...messages: Array<ClientMessage | Record<string, unknown>>): Promise<number> {
    return this.sendFrames(messages.map((m) => JSON.stringify(m)));
  }

  /** Sends frames as they are (valid or not) in one POST; resolves with the server's ack. */
  async sendFrames(frames: string[]): Promise<number> {
    const seq = this.nextSeq;
    this.nextSeq += frames.length;
    const res = await this.post({ seq, ack: this.lastSeq, frames });
    if (res.status !== 200) throw new Error(`send refused: ${res.status}`);
    const ack = parseHttpSessionBody(SendAckSchema, await res.text());
    if (!ack.ok) throw new Error(`bad ack: ${ack.message}`);
    return ack.value.ack;
  }

  /** A raw POST to the send endpoint, for retries, reordering and abuse. */
  post(body: unknown, headers: Record<string, string> = this.headers): Promise<Response> {
    return fetch(this.url(HTTP_SESSION_PATHS.send), {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async join(roomId: string, displayName = 'tester', resume?: { peerId: string; token: string }) {
    await this.send(joinMessage(roomId, displayName, resume));
    return this.next('joined');
  }

  async sync(): Promise<void> {
    const t = Math.random();
    await this.send({ type: 'ping', t });
    await this.next('pong', (m) => m.t === t);
  }

  readonly next: ServerMessageInbox['next'] = (type, match) => this.inbox.next(type, match);

  readonly received: ServerMessageInbox['received'] = (type) => this.inbox.received(type);

  /** Ends the session the way a browser would (1001: the page went away) or holds the seat (1000). */
  async close(code: 1000 | 1001 = 1000): Promise<number> {
    this.stopReading();
    const res = await fetch(this.url(HTTP_SESSION_PATHS.close), {
      method: 'POST',
      headers: this.headers,
      body: JSON.stringify({ code }),
    });
    return res.status;
  }

  private pollLoop(): void {
    const controller = new AbortController();
    this.reading = controller;
    void (async () => {
      while (this.reading === controller) {
        let res: Response;
        try {
          res = await fetch(`${this.url(HTTP_SESSION_PATHS.poll)}?after=${this.lastSeq}`, {
            headers: { [SESSION_TOKEN_HEADER]: this.session.token },
            signal: controller.signal,
          });
        } catch {
          if (this.reading === controller) this.resolveStopped('error');
          return;
        }
        if (res.status !== 200) return this.resolveStopped(`status ${res.status}`);
        const result = parseHttpSessionBody(PollResultSchema, await res.text());
        if (!result.ok) return void this.faults.push(`bad poll answer: ${result.message}`);
        for (const { seq, frame } of result.value.frames) this.receive(seq, frame);
        if (result.value.closed) return this.resolveClosed(result.value.closed);
      }
    })();
  }

  private receive(seq: number, frame: string): void {
    // A resumed stream may repeat what an aborted one delivered; the sequence number says so.
    if (seq <= this.lastSeq) return;
    if (seq !== this.lastSeq + 1)
      return void this.faults.push(`frame ${seq} after ${this.lastSeq}`);
    this.lastSeq = seq;
    const decoded = decodeServerMessage(frame);
    if (!decoded.ok) return void this.faults.push(`invalid frame: ${decoded.message}`);
    this.inbox.push(decoded.message);
  }
}
