import { CLOSE_CODES, type PollResult, type SessionClosed } from '@parley/protocol';
import type { ClientConnection } from '../hub/client-connection.ts';
import type { ConnectionEnd, TransportLink } from '../hub/transport-link.ts';
import { TokenBucket } from '../rate-limit.ts';
import { InboundOrder } from './inbound-order.ts';
import { OutboundFrames } from './outbound-frames.ts';
import type { SessionResponse } from './session-route.ts';
import { SSE_HEARTBEAT, SSE_OPENING, sseClose, sseFrame } from './sse-format.ts';

export interface HttpSessionOptions {
  token: string;
  ip: string;
  /** Unacknowledged bytes past which the client counts as a slow consumer (MAX_BUFFERED_BYTES). */
  maxBufferedBytes: number;
  pollWaitMs: number;
  requestBurst: number;
  requestsPerSecond: number;
  /** The session is over: forget it and give its address slot back. */
  onEnd: (session: HttpSession) => void;
  onSlowConsumer: (session: HttpSession) => void;
}

/** Who reads the session's frames right now: an open SSE stream, or a waiting long-poll. */
type Reader =
  | { kind: 'stream'; res: SessionResponse }
  | { kind: 'poll'; res: SessionResponse; after: number; timer: NodeJS.Timeout };

/**
 * One client's HTTP signalling session: one `ClientConnection` in the hub, however many
 * requests carry it. Server frames are numbered and kept until acknowledged, and handed to
 * whichever reader (SSE stream or long-poll) is attached; client frames arrive numbered in
 * POSTs and are applied once, in order. At most one reader at a time: a new one replaces the
 * old, which is how a client that lost its stream simply opens another.
 */
export class HttpSession {
  readonly token: string;
  readonly ip: string;
  private readonly outbound = new OutboundFrames();
  private readonly inbound: InboundOrder;
  private readonly requests: TokenBucket;
  private reader: Reader | undefined;
  private connection!: ClientConnection;
  /** Set once the server ended the session; the end is delivered to the next reader. */
  private closedWith: SessionClosed | undefined;
  private ended = false;
  private pollFlush: NodeJS.Immediate | undefined;
  /** When the client was last heard from, or its last reader went away. */
  lastHeardAt = performance.now();

  constructor(private readonly options: HttpSessionOptions) {
    this.token = options.token;
    this.ip = options.ip;
    this.inbound = new InboundOrder((frame) => this.connection.handleFrame(frame));
    this.requests = new TokenBucket(options.requestBurst, options.requestsPerSecond);
  }

  /** The hub's side of the session; call once, and give `bind` the connection it returns. */
  link(): TransportLink {
    return {
      ip: this.ip,
      send: (frame) => this.send(frame),
      close: (code, reason) => this.closeByServer(code, reason),
    };
  }

  bind(connection: ClientConnection): void {
    this.connection = connection;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Ended, or closed by the server with its end not yet delivered: takes no more frames. */
  get isOver(): boolean {
    return this.ended || this.closedWith !== undefined;
  }

  get bufferedBytes(): number {
    return this.outbound.bufferedBytes;
  }

  /** Whether a waiting long-poll keeps the session alive right now. */
  get isPolling(): boolean {
    return this.reader?.kind === 'poll';
  }

  /** False when this client sends requests faster than its rate limit. */
  takeRequest(): boolean {
    this.lastHeardAt = performance.now();
    return this.requests.take();
  }

  /** Client frames from a POST (numbered from `seq`), and its ack of ours. Returns our ack. */
  receive(seq: number, ack: number, frames: readonly string[]): number {
    this.outbound.ack(ack);
    return this.inbound.accept(seq, frames);
  }

  /** An SSE stream: every unacknowledged frame after `lastEventId`, then each new one. */
  attachStream(res: SessionResponse, lastEventId: number): void {
    this.outbound.ack(lastEventId);
    this.replaceReader({ kind: 'stream', res });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // nginx (and proxies that copy it) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.write(SSE_OPENING);
    for (const frame of this.outbound.after(lastEventId)) res.write(sseFrame(frame));
    if (this.closedWith) return this.deliverClose();
    this.watchReader(res);
  }

  /** A long-poll: answered now if frames after `after` are waiting, else when one comes. */
  attachPoll(res: SessionResponse, after: number): void {
    this.outbound.ack(after);
    const timer = setTimeout(() => this.answerPoll(), this.options.pollWaitMs);
    this.replaceReader({ kind: 'poll', res, after, timer });
    this.watchReader(res);
    if (this.closedWith || this.outbound.lastSeq > after) this.answerPoll();
  }

  /** Writes a heartbeat comment to an open stream. */
  heartbeat(): void {
    if (this.reader?.kind === 'stream') this.reader.res.write(SSE_HEARTBEAT);
  }

  /** The client ended the session; its 1001 (page gone) frees the seat, like a WebSocket's. */
  closeByClient(code: number): void {
    this.end(code === CLOSE_CODES.goingAway ? 'going-away' : 'dropped');
  }

  /** The client stopped polling (or was dropped): the seat is held for a resume. */
  expire(): void {
    this.end('dropped');
  }

  /** Ends the session at once, reader included, as `ws.terminate()` ends a socket. */
  terminate(): void {
    this.reader?.res.destroy();
    this.end('dropped');
  }

  private send(frame: string | Uint8Array): void {
    if (this.ended || this.closedWith) return;
    const numbered = this.outbound.push(frame);
    // A client that stops acknowledging would make us buffer without bound.
    if (this.outbound.bufferedBytes > this.options.maxBufferedBytes)
      return this.options.onSlowConsumer(this);
    const reader = this.reader;
    if (reader?.kind === 'stream') reader.res.write(sseFrame(numbered));
    // Frames sent in the same turn (a broadcast, a join's replies) go in one answer.
    else if (reader?.kind === 'poll') this.pollFlush ??= setImmediate(() => this.answerPoll());
  }

  private closeByServer(code: number, reason: string): void {
    if (this.ended || this.closedWith) return;
    this.closedWith = { code, reason };
    // The hub learns of the end at once, as it would from a WebSocket's close handshake.
    this.connection.handleClose('dropped');
    if (this.reader) this.deliverClose();
  }

  private deliverClose(): void {
    const reader = this.reader;
    if (!reader || !this.closedWith) return;
    if (reader.kind === 'stream') {
      reader.res.end(sseClose(this.closedWith));
      this.reader = undefined;
      this.end(undefined);
    } else {
      this.answerPoll();
    }
  }

  private answerPoll(): void {
    clearImmediate(this.pollFlush);
    this.pollFlush = undefined;
    const reader = this.reader;
    if (reader?.kind !== 'poll') return;
    clearTimeout(reader.timer);
    this.reader = undefined;
    this.lastHeardAt = performance.now();
    const result: PollResult = {
      frames: this.outbound
        .after(reader.after)
        .map((f) => ({ seq: f.seq, frame: f.bytes.toString() })),
    };
    if (this.closedWith) result.closed = this.closedWith;
    reader.res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    reader.res.end(JSON.stringify(result));
    if (this.closedWith) this.end(undefined);
  }

  private replaceReader(next: Reader): void {
    const previous = this.reader;
    this.reader = next;
    if (previous?.kind === 'stream') previous.res.end();
    if (previous?.kind === 'poll') {
      clearTimeout(previous.timer);
      previous.res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      previous.res.end(JSON.stringify({ frames: [] } satisfies PollResult));
    }
  }

  /** A reader that goes away (client gone, proxy timeout) detaches; idle time counts from then. */
  private watchReader(res: SessionResponse): void {
    res.once('close', () => {
      if (this.reader?.res !== res) return;
      if (this.reader.kind === 'poll') clearTimeout(this.reader.timer);
      this.reader = undefined;
      this.lastHeardAt = performance.now();
    });
  }

  /** `how` is undefined when the hub already knows (the server closed the session). */
  private end(how: ConnectionEnd | undefined): void {
    if (this.ended) return;
    this.ended = true;
    clearImmediate(this.pollFlush);
    const reader = this.reader;
    this.reader = undefined;
    if (reader?.kind === 'poll') clearTimeout(reader.timer);
    if (reader && !reader.res.headersSent) reader.res.writeHead(410);
    if (reader && !reader.res.writableEnded) reader.res.end();
    if (how && !this.closedWith) this.connection.handleClose(how);
    this.options.onEnd(this);
  }
}
