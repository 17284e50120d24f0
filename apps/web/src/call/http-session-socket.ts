import {
  CLOSE_CODES,
  HTTP_SESSION_PATHS,
  MAX_FRAMES_PER_POST,
  PollResultSchema,
  SESSION_TOKEN_HEADER,
  SSE_CLOSE_EVENT,
  SendAckSchema,
  SessionClosedSchema,
  SessionOpenedSchema,
  SseReader,
  parseHttpSessionBody,
  type SessionOpened,
} from '@parley/protocol';
import type { SocketLike } from './signaling-client.ts';

/** Server-Sent Events down, POSTs up; or long-polling GETs down, POSTs up. */
export type HttpTransportKind = 'sse' | 'long-poll';

export interface HttpSessionSocketOptions {
  /** The page's origin, e.g. https://meet.example.org. */
  baseUrl: string;
  kind: HttpTransportKind;
  fetch?: typeof fetch;
  /**
   * SSE only: the stream's opening comment must arrive within this long. A proxy that holds
   * responses until they complete never lets it through, and the socket fails as `starved`.
   */
  streamStartTimeoutMs?: number;
  /** After a failed request (network error, 429), wait this long before trying again. */
  retryDelayMs?: number;
}

/** How long an SSE stream may take to show its first bytes before it counts as starved. */
export const DEFAULT_STREAM_START_TIMEOUT_MS = 4000;
/** Received frames are acknowledged at most this long after they arrive. */
const ACK_DELAY_MS = 1000;
/** Consecutive failed reads after which the session is presumed lost. */
const MAX_READ_FAILURES = 3;

/**
 * A `SocketLike` over the server's HTTP session transport, so the SignalingClient runs unchanged
 * where WebSocket is blocked. Frames are numbered both ways: POSTs are retried with the same
 * numbers until acknowledged (the server applies each once, in order), and a broken stream or
 * poll resumes after the last frame received. Ends like a WebSocket: `onclose` with the
 * server's close code, or 1006 when the session was lost.
 */
export class HttpSessionSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Why it ended before opening: `starved` means a proxy buffered the SSE stream. */
  failure: 'starved' | 'refused' | undefined;

  private readonly fetch: typeof fetch;
  private readonly aborter = new AbortController();
  private session: SessionOpened | undefined;
  /** Last server frame delivered. */
  private lastSeq = 0;
  /** Our frames not yet acknowledged; the first has sequence number `acked + 1`. */
  private readonly outbox: string[] = [];
  private acked = 0;
  /** The POST under way, if any. */
  private inflight: Promise<void> | undefined;
  private ackDue = false;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** A stream reopening, or a poll retrying, after a failed read. */
  private readRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private postRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private readFailures = 0;

  constructor(private readonly options: HttpSessionSocketOptions) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    globalThis.addEventListener?.('pagehide', this.onPageHide);
    void this.start();
  }

  send(data: string): void {
    if (this.readyState !== 1) return;
    this.outbox.push(data);
    void this.flush();
  }

  /**
   * Ends the session; 1001 tells the server the page went away, so the seat is freed. Frames
   * already sent go first (a `leave` right before the close must arrive), as a WebSocket sends
   * its queued frames before its close frame.
   */
  close(code: number = CLOSE_CODES.normal): void {
    if (this.readyState >= 2) return;
    const session = this.session;
    this.stop();
    if (session) void this.sendRestThenClose(session, code);
    queueMicrotask(() => this.onclose?.({ code, reason: '' }));
  }

  private async sendRestThenClose(session: SessionOpened, code: number): Promise<void> {
    await this.inflight;
    const post = (path: string, body: unknown) =>
      this.fetch(this.url(path), {
        method: 'POST',
        headers: this.headers(session),
        body: JSON.stringify(body),
        // Outlives the page when it is being closed.
        keepalive: true,
      });
    try {
      if (this.outbox.length > 0)
        await post(HTTP_SESSION_PATHS.send, {
          seq: this.acked + 1,
          ack: this.lastSeq,
          frames: this.outbox.slice(0, MAX_FRAMES_PER_POST),
        });
      await post(HTTP_SESSION_PATHS.close, {
        code: code === CLOSE_CODES.goingAway ? 1001 : 1000,
      });
    } catch {
      // The server will expire the session and hold the seat, as after a dropped WebSocket.
    }
  }

  private readonly onPageHide = () => this.close(CLOSE_CODES.goingAway);

  private async start(): Promise<void> {
    try {
      const res = await this.fetch(this.url(HTTP_SESSION_PATHS.open), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
        signal: this.aborter.signal,
      });
      const opened = parseHttpSessionBody(SessionOpenedSchema, await res.text());
      if (res.status !== 201 || !opened.ok) return this.fail('refused');
      this.session = opened.value;
    } catch {
      return this.fail('refused');
    }
    if (this.options.kind === 'sse') return this.openStream();
    this.opened();
    void this.pollLoop();
  }

  private opened(): void {
    if (this.readyState !== 0) return;
    this.readyState = 1;
    this.onopen?.({});
  }

  private async openStream(): Promise<void> {
    const session = this.session;
    if (!session || this.readyState >= 2) return;
    const starve =
      this.readyState === 0
        ? setTimeout(
            () => this.fail('starved'),
            this.options.streamStartTimeoutMs ?? DEFAULT_STREAM_START_TIMEOUT_MS,
          )
        : undefined;
    const reader = new SseReader(
      (event) => {
        if (event.event === SSE_CLOSE_EVENT) {
          const closed = parseHttpSessionBody(SessionClosedSchema, event.data);
          return this.fail(undefined, closed.ok ? closed.value.code : CLOSE_CODES.abnormal);
        }
        this.deliver(Number(event.id), event.data);
      },
      () => {
        clearTimeout(starve);
        this.opened();
        // A heartbeat: answer it with an ack, which also tells the server we are still here.
        this.ackDue = true;
        this.scheduleAck();
      },
    );
    try {
      const res = await this.fetch(this.url(HTTP_SESSION_PATHS.stream), {
        headers: { [SESSION_TOKEN_HEADER]: session.token, 'Last-Event-ID': String(this.lastSeq) },
        signal: this.aborter.signal,
      });
      if (res.status === 404) return this.fail(undefined);
      if (!res.ok || !res.body) throw new Error(`stream: ${res.status}`);
      const body = res.body.pipeThrough(new TextDecoderStream()).getReader();
      this.readFailures = 0;
      for (let chunk = await body.read(); !chunk.done; chunk = await body.read())
        reader.feed(chunk.value);
    } catch {
      if (this.readyState >= 2) return;
      this.readFailures++;
    } finally {
      clearTimeout(starve);
    }
    // The stream ended without a close event (a proxy timeout, a network blip): resume it.
    if (this.readyState === 1 && this.readFailures < MAX_READ_FAILURES)
      this.readRetryTimer = setTimeout(() => void this.openStream(), this.retryDelay());
    else if (this.readyState === 1) this.fail(undefined);
  }

  private async pollLoop(): Promise<void> {
    while (this.readyState === 1 && this.session) {
      try {
        const res = await this.fetch(`${this.url(HTTP_SESSION_PATHS.poll)}?after=${this.lastSeq}`, {
          headers: { [SESSION_TOKEN_HEADER]: this.session.token },
          signal: this.aborter.signal,
        });
        if (res.status === 404 || res.status === 410) return this.fail(undefined);
        if (!res.ok) throw new Error(`poll: ${res.status}`);
        const result = parseHttpSessionBody(PollResultSchema, await res.text());
        if (!result.ok) throw new Error(result.message);
        this.readFailures = 0;
        for (const { seq, frame } of result.value.frames) this.deliver(seq, frame);
        if (result.value.closed) return this.fail(undefined, result.value.closed.code);
      } catch {
        if (this.readyState >= 2) return;
        if (++this.readFailures >= MAX_READ_FAILURES) return this.fail(undefined);
        await new Promise(
          (resolve) => (this.readRetryTimer = setTimeout(resolve, this.retryDelay())),
        );
      }
    }
  }

  /** A numbered frame from either reader; one seen before (a resumed read repeats) is skipped. */
  private deliver(seq: number, frame: string): void {
    if (!Number.isSafeInteger(seq) || seq <= this.lastSeq || this.readyState !== 1) return;
    this.lastSeq = seq;
    this.onmessage?.({ data: frame });
    // Long-polls acknowledge with `after`; a stream needs POSTs.
    if (this.options.kind === 'sse') {
      this.ackDue = true;
      this.scheduleAck();
    }
  }

  private scheduleAck(): void {
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      void this.flush();
    }, ACK_DELAY_MS);
  }

  /** One POST at a time, so frames reach the server in order even without its reordering. */
  private flush(): Promise<void> {
    if (this.inflight) return this.inflight; // it sends whatever is queued by then, when done
    const session = this.session;
    if (!session || this.readyState !== 1) return Promise.resolve();
    if (this.outbox.length === 0 && !this.ackDue) return Promise.resolve();
    this.ackDue = false;
    this.inflight = this.post(session).finally(() => {
      this.inflight = undefined;
      if (this.readyState === 1 && this.outbox.length > 0 && this.postRetryTimer === undefined)
        void this.flush();
    });
    return this.inflight;
  }

  private async post(session: SessionOpened): Promise<void> {
    const frames = this.outbox.slice(0, MAX_FRAMES_PER_POST);
    try {
      const res = await this.fetch(this.url(HTTP_SESSION_PATHS.send), {
        method: 'POST',
        headers: this.headers(session),
        body: JSON.stringify({ seq: this.acked + 1, ack: this.lastSeq, frames }),
        signal: this.aborter.signal,
      });
      if (res.status === 404 || res.status === 410) return this.fail(undefined);
      const ack = parseHttpSessionBody(SendAckSchema, await res.text());
      if (!res.ok || !ack.ok) throw new Error(`send: ${res.status}`);
      this.outbox.splice(0, Math.max(0, ack.value.ack - this.acked));
      this.acked = Math.max(this.acked, ack.value.ack);
    } catch {
      // Same sequence numbers again later: the server skips whatever it already applied.
      if (this.readyState === 1)
        this.postRetryTimer = setTimeout(() => {
          this.postRetryTimer = undefined;
          void this.flush();
        }, this.retryDelay());
    }
  }

  /** Ends the socket: before opening as a failed attempt, after it as a lost connection. */
  private fail(
    failure: 'starved' | 'refused' | undefined,
    code: number = CLOSE_CODES.abnormal,
  ): void {
    if (this.readyState >= 2) return;
    if (this.readyState === 0) this.failure = failure ?? 'refused';
    const session = this.session;
    this.stop();
    // A starved stream's session still exists on the server; free its slot now.
    if (failure === 'starved' && session)
      void this.fetch(this.url(HTTP_SESSION_PATHS.close), {
        method: 'POST',
        headers: this.headers(session),
        body: JSON.stringify({ code: 1000 }),
      }).catch(() => undefined);
    this.onclose?.({ code, reason: '' });
  }

  private stop(): void {
    this.readyState = 3;
    this.aborter.abort();
    clearTimeout(this.ackTimer);
    clearTimeout(this.readRetryTimer);
    clearTimeout(this.postRetryTimer);
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
  }

  private retryDelay(): number {
    return this.options.retryDelayMs ?? 1000;
  }

  private url(path: string): string {
    return this.options.baseUrl + path;
  }

  private headers(session: SessionOpened): Record<string, string> {
    return { 'Content-Type': 'application/json', [SESSION_TOKEN_HEADER]: session.token };
  }
}
