import { decodeServerMessage, encodeMessage } from '@parley/protocol';
import { SOCKET_OPEN, type SocketLike } from './signaling-client.ts';

/** The ways the signalling connection can travel, best first. */
export type SignalingTransport = 'websocket' | 'sse' | 'long-poll';
export const TRANSPORTS: readonly SignalingTransport[] = ['websocket', 'sse', 'long-poll'];

/** How long a WebSocket may take to prove itself before the next transport starts beside it. */
export const DEFAULT_STAGGER_MS = 1500;

export interface RacingSocketOptions {
  /** Tried in this order; each later one starts when the one before fails or is slow. */
  order: readonly SignalingTransport[];
  create: (transport: SignalingTransport) => SocketLike;
  /**
   * How long a WebSocket may take to prove itself before the next transport starts beside it.
   * A WebSocket that opens but never delivers (a false upgrade) or hangs in its handshake costs
   * this, not the SignalingClient's connect timeout. An HTTP transport needs no such timer: it
   * fails on its own (an SSE stream that shows nothing in a few seconds is starved), and only
   * then does the next start, so a slow but working SSE is not beaten by long-polling.
   */
  staggerMs?: number;
  /**
   * Told which transport won, to be tried first next time: once it has carried a frame from
   * the server (see RacingSocket).
   */
  onWinner?: (transport: SignalingTransport) => void;
  /** Told of a long-polling session that won on opening and closed before any poll brought a frame. */
  onUnproven?: (transport: SignalingTransport) => void;
}

/**
 * Happy eyeballs for signalling: starts the first transport, and each next one when the one
 * before fails or (a WebSocket) has not proven itself within `staggerMs`. The first to prove itself wins and
 * the others are closed. A WebSocket proves itself by answering a ping (opening is not enough:
 * an inspecting proxy may accept the upgrade and then pass nothing); an HTTP session by opening
 * (for SSE that includes the stream's first bytes, so a buffering proxy makes it fail).
 *
 * A long-polling session opens on its session POST alone, before any read. It wins then (the
 * join must go out over it for a poll to have anything to answer), but it is reported to
 * `onWinner`, and so remembered, only once a poll has brought a frame. One whose polls all
 * fail (a proxy refusing them) closes as a dropped connection, and the next attempt starts
 * from the order as it was: remembered on opening, it would be tried first on every reconnect,
 * win again on its POST and fail again, and the transport that works would never be tried.
 * `onUnproven` hears of it, so that one remembered from an earlier visit can be set aside too.
 *
 * To the SignalingClient this is one socket: it opens when a winner is found, and from then on
 * is the winner.
 */
export class RacingSocket implements SocketLike {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** The transport in use once open. */
  transport: SignalingTransport | undefined;

  private readonly candidates = new Map<SignalingTransport, SocketLike>();
  private winner: SocketLike | undefined;
  private next = 0;
  private staggerTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly options: RacingSocketOptions) {
    this.startNext();
  }

  get readyState(): number {
    if (this.winner) return this.winner.readyState;
    return this.closed ? 3 : 0;
  }

  send(data: string): void {
    this.winner?.send(data);
  }

  close(code?: number, reason?: string): void {
    this.closed = true;
    clearTimeout(this.staggerTimer);
    for (const socket of this.candidates.values()) closeQuietly(socket);
    this.candidates.clear();
    if (this.winner) this.winner.close(code, reason);
  }

  private startNext(): void {
    clearTimeout(this.staggerTimer);
    const transport = this.options.order[this.next++];
    if (transport === undefined) return;
    let socket: SocketLike;
    try {
      socket = this.options.create(transport);
    } catch {
      return this.startNext();
    }
    this.candidates.set(transport, socket);
    const probe = Math.random();
    socket.onopen = () => {
      // An HTTP session is proven by opening; a WebSocket must answer first.
      if (transport === 'websocket') socket.send(encodeMessage({ type: 'ping', t: probe }));
      else this.win(transport, socket);
    };
    socket.onmessage = (event) => {
      if (transport !== 'websocket' || typeof event.data !== 'string') return;
      const decoded = decodeServerMessage(event.data);
      if (decoded.ok && decoded.message.type === 'pong' && decoded.message.t === probe)
        this.win(transport, socket);
    };
    socket.onclose = () => {
      this.candidates.delete(transport);
      if (this.winner || this.closed) return;
      if (this.next < this.options.order.length) return this.startNext();
      if (this.candidates.size === 0) this.lose();
    };
    socket.onerror = null;
    if (socket.readyState === SOCKET_OPEN) socket.onopen({});
    if (transport === 'websocket')
      this.staggerTimer = setTimeout(
        () => this.startNext(),
        this.options.staggerMs ?? DEFAULT_STAGGER_MS,
      );
  }

  private win(transport: SignalingTransport, socket: SocketLike): void {
    if (this.winner || this.closed) return;
    clearTimeout(this.staggerTimer);
    this.candidates.delete(transport);
    for (const loser of this.candidates.values()) closeQuietly(loser);
    this.candidates.clear();
    this.winner = socket;
    this.transport = transport;
    let proven = transport !== 'long-poll';
    socket.onmessage = (event) => {
      if (!proven) {
        proven = true;
        this.options.onWinner?.(transport);
      }
      this.onmessage?.(event);
    };
    socket.onclose = (event) => {
      if (!proven) this.options.onUnproven?.(transport);
      this.onclose?.(event);
    };
    socket.onerror = (event) => this.onerror?.(event);
    if (proven) this.options.onWinner?.(transport);
    this.onopen?.({});
  }

  /** Every candidate failed: one failed attempt, which the SignalingClient retries with backoff. */
  private lose(): void {
    this.closed = true;
    this.onclose?.({ code: 1006, reason: 'no signalling transport got through' });
  }
}

function closeQuietly(socket: SocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
  try {
    socket.close();
  } catch {
    // A socket still connecting may throw on close in some browsers; it is dropped either way.
  }
}
