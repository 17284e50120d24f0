import {
  CLOSE_CODES,
  PROTOCOL_VERSION,
  decodeServerMessage,
  encodeMessage,
  type ClientMessage,
  type IceServer,
  type JoinedMessage,
  type PeerInfo,
  type ServerErrorMessage,
  type ServerMessage,
  type SignalPayload,
} from '@parley/protocol';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { TypedEmitter } from './typed-emitter.ts';

/** The part of a browser WebSocket we use; tests pass an in-memory fake. */
export interface SocketLike {
  /** WebSocket's: 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Connectivity hints from the page: online/offline and tab visibility. */
export interface ConnectivityHints {
  /** Calls `listener` when the browser comes online or the tab becomes visible; returns an unsubscribe. */
  onWake(listener: () => void): () => void;
}

export type SignalingStatus =
  /** Opening the first connection and joining. */
  | 'connecting'
  | 'joined'
  /** Lost the server after having joined; retrying with backoff. Peer connections keep running. */
  | 'reconnecting'
  /** Terminal: left, or the server refused us for good (see `closedReason`). */
  | 'closed';

export type ClosedReason =
  | 'left'
  | 'room-full'
  | 'unsupported-version'
  | 'replaced'
  /** The call is locked: someone said no, nobody answered in time, or we knocked too often. */
  | 'knock-denied'
  | 'knock-timed-out'
  | 'knock-rate-limited';

/** Lock and knock, and name changes: passed on as they come (see lock-messages.ts). */
export type DoorMessage = Extract<
  ServerMessage,
  { type: 'peer-updated' | 'lock-state' | 'knock' | 'knock-ended' | 'waiting-for-admission' }
>;

const KNOCK_REFUSALS = ['knock-denied', 'knock-timed-out', 'knock-rate-limited'] as const;

export type SignalingEvents = {
  status: [status: SignalingStatus];
  joined: [message: JoinedMessage];
  'peer-joined': [peer: PeerInfo];
  'peer-left': [peerId: string, reason: 'left' | 'disconnected'];
  signal: [from: string, payload: SignalPayload];
  /** Fresh ICE servers (new TURN credentials), answering `requestIceServers()`. */
  'ice-servers': [servers: IceServer[]];
  /** Non-fatal server errors (e.g. a signal to a peer who just left). */
  error: [error: ServerErrorMessage];
  door: [message: DoorMessage];
};

export interface SignalingClientOptions {
  url: string;
  roomId: string;
  displayName: string;
  /** Lock the call at once if our first join creates it. */
  startLocked?: boolean;
  createSocket?: (url: string) => SocketLike;
  /**
   * A connection to the same URL opened ahead of time (the lobby's, see SignalingPreconnect),
   * used for the first attempt if it is still usable, so joining skips the TCP and WebSocket
   * handshakes. Nothing has been sent on it.
   */
  preconnected?: SocketLike | undefined;
  hints?: ConnectivityHints;
  backoff?: BackoffPolicy;
  /** How often to ping while connected; the pong doubles as proof the link is alive. */
  pingIntervalMs?: number;
  /** With no frame from the server for this long, the link is presumed dead and replaced. */
  livenessTimeoutMs?: number;
  /**
   * A connection not open by then is abandoned and retried. During an outage a connect can
   * hang on lost SYNs, and the kernel's SYN retries back off to 30 s and more, so without this
   * the client could stay offline long after the network came back.
   */
  connectTimeoutMs?: number;
  /**
   * Once open, the server must answer the join (`joined`, or a refusal) within this long, or
   * the socket is closed and retried. Counted from the open, not from the connect, so a socket
   * that opens late in its connect window still gets the whole wait.
   */
  joinTimeoutMs?: number;
}

/** WebSocket.OPEN (the global is absent where tests run). */
export const SOCKET_OPEN = 1;

/** The only close code that means "stop": every other ending is retried with backoff. */
const TERMINAL_CLOSE_CODES: Record<number, ClosedReason> = {
  [CLOSE_CODES.replaced]: 'replaced',
};

/**
 * The signalling connection as an explicit state machine:
 *
 *   connecting ──joined──▶ joined ──drop──▶ reconnecting ──joined──▶ joined
 *        │  └──drop──▶ (retry, still "connecting")       ▲   │
 *        └─────────── refused / leave() ──▶ closed ◀─────┴───┘
 *
 * Retries use jittered exponential backoff; coming online or back to the tab retries at once.
 * A rejoin presents the resume token, so the server restores the same participant and the
 * others see no leave/join flicker.
 */
export class SignalingClient extends TypedEmitter<SignalingEvents> {
  private socket: SocketLike | undefined;
  private state: SignalingStatus = 'connecting';
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  /** Runs from socket creation until `joined`: first the connect timeout, then the join one. */
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private lastInboundAt = 0;
  private identity: { peerId: string; token: string } | undefined;
  private unsubscribeHints: (() => void) | undefined;
  private started = false;
  closedReason: ClosedReason | undefined;

  private preconnected: SocketLike | undefined;

  constructor(private readonly options: SignalingClientOptions) {
    super();
    this.preconnected = options.preconnected;
  }

  get status(): SignalingStatus {
    return this.state;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.unsubscribeHints = this.options.hints?.onWake(() => this.wake());
    this.open();
  }

  /** Sends a signal if we are joined; returns false when it had to be dropped. */
  sendSignal(to: string, payload: SignalPayload): boolean {
    return this.send({ type: 'signal', to, payload });
  }

  /** Asks for fresh TURN credentials; false when signalling is down (keep the old ones). */
  requestIceServers(): boolean {
    return this.send({ type: 'refresh-ice-servers' });
  }

  setLock(locked: boolean): boolean {
    return this.send({ type: 'set-lock', locked });
  }

  answerKnock(knockId: string, admit: boolean): boolean {
    return this.send({ type: 'answer-knock', knockId, admit });
  }

  /** Says goodbye (others see us leave at once) and stops for good. */
  leave(): void {
    this.send({ type: 'leave' });
    this.finish('left');
  }

  dispose(): void {
    if (this.state !== 'closed') this.finish('left');
    this.removeAllListeners();
  }

  private send(message: ClientMessage): boolean {
    if (this.state !== 'joined' || !this.socket) return false;
    this.socket.send(encodeMessage(message));
    return true;
  }

  private setState(next: SignalingStatus): void {
    if (this.state === next) return;
    this.state = next;
    this.emit('status', next);
  }

  private open(): void {
    this.clearTimers();
    let socket: SocketLike;
    try {
      socket =
        this.takePreconnected() ?? (this.options.createSocket ?? defaultSocket)(this.options.url);
    } catch {
      // The constructor can throw (e.g. a SecurityError); that is one more failed attempt, and
      // the next must still be scheduled.
      return this.dropped();
    }
    this.socket = socket;
    this.handshakeTimer = setTimeout(() => this.dropped(), this.options.connectTimeoutMs ?? 5_000);
    socket.onopen = () => {
      this.lastInboundAt = Date.now();
      clearTimeout(this.handshakeTimer);
      // An open socket whose join goes unanswered would otherwise wait forever: the liveness
      // checks count any frame (the server's pings too) as proof of a healthy link.
      this.handshakeTimer = setTimeout(() => this.dropped(), this.options.joinTimeoutMs ?? 5_000);
      const join: ClientMessage = {
        type: 'join',
        protocol: PROTOCOL_VERSION,
        roomId: this.options.roomId,
        displayName: this.options.displayName,
      };
      if (this.identity) join.resume = this.identity;
      else if (this.options.startLocked) join.startLocked = true;
      socket.send(encodeMessage(join));
      this.startLivenessChecks(socket);
    };
    socket.onmessage = (event) => {
      this.lastInboundAt = Date.now();
      if (typeof event.data !== 'string') return;
      const decoded = decodeServerMessage(event.data);
      // A frame we cannot decode is a server bug or a version skew; never act on it.
      if (decoded.ok) this.handle(decoded.message);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      const terminal = TERMINAL_CLOSE_CODES[event.code];
      if (terminal) this.finish(terminal);
      else this.dropped();
    };
    socket.onerror = () => {
      // Always followed by onclose, which decides what happens next.
    };
    if (socket.readyState === SOCKET_OPEN) socket.onopen({});
  }

  /** The preconnected socket, once, if it is still connecting or open. */
  private takePreconnected(): SocketLike | undefined {
    const socket = this.preconnected;
    this.preconnected = undefined;
    if (!socket) return undefined;
    if (socket.readyState <= SOCKET_OPEN) return socket;
    socket.close();
    return undefined;
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case 'joined':
        this.identity = { peerId: message.selfId, token: message.resumeToken };
        this.attempt = 0;
        clearTimeout(this.handshakeTimer);
        this.setState('joined');
        this.emit('joined', message);
        return;
      case 'peer-joined':
        return this.emit('peer-joined', message.peer);
      case 'peer-left':
        return this.emit('peer-left', message.peerId, message.reason);
      case 'signal':
        return this.emit('signal', message.from, message.payload);
      case 'ice-servers':
        return this.emit('ice-servers', message.iceServers);
      case 'waiting-for-admission':
        // Parked at a locked call: the answer may take minutes, which is no dead handshake.
        clearTimeout(this.handshakeTimer);
        return this.emit('door', message);
      case 'peer-updated':
      case 'lock-state':
      case 'knock':
      case 'knock-ended':
        return this.emit('door', message);
      case 'ping':
      case 'pong':
        return; // liveness is tracked on every inbound frame
      case 'room-peek':
        return; // a lobby's answer that arrived after the preconnected socket was handed over
      case 'error':
        if (message.code === 'room-full') return this.finish('room-full');
        if (message.code === 'unsupported-version') return this.finish('unsupported-version');
        if (message.code === 'join-rate-limited') return this.dropped();
        for (const refusal of KNOCK_REFUSALS)
          if (message.code === refusal) return this.finish(refusal);
        return this.emit('error', message);
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  /** The link is gone (or presumed dead): detach it and retry after a backoff delay. */
  private dropped(): void {
    if (this.state === 'closed') return;
    this.detachSocket();
    // The retry is scheduled before anyone is told: a listener that throws must not leave the
    // client with no socket and no timer, offline for good.
    const delay = backoffDelay(this.attempt++, this.options.backoff ?? DEFAULT_BACKOFF);
    this.retryTimer = setTimeout(() => this.open(), delay);
    if (this.state === 'joined') this.setState('reconnecting');
  }

  /** Online again or back in the tab: retry now rather than at the end of the backoff. */
  private wake(): void {
    if (this.retryTimer !== undefined) {
      this.open();
    } else if (this.state === 'joined' && this.socket) {
      // Probe: if the server does not answer quickly, the link died while we slept.
      this.socket.send(encodeMessage({ type: 'ping', t: Date.now() }));
      this.lastInboundAt = Math.min(
        this.lastInboundAt,
        Date.now() - this.livenessTimeout() + 5_000,
      );
    }
  }

  private livenessTimeout(): number {
    return this.options.livenessTimeoutMs ?? 25_000;
  }

  private startLivenessChecks(socket: SocketLike): void {
    const interval = this.options.pingIntervalMs ?? 10_000;
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastInboundAt > this.livenessTimeout()) return this.dropped();
      socket.send(encodeMessage({ type: 'ping', t: Date.now() }));
    }, interval);
  }

  private finish(reason: ClosedReason): void {
    if (this.state === 'closed') return;
    this.closedReason = reason;
    this.takePreconnected()?.close(); // left before it was ever used
    this.detachSocket();
    this.unsubscribeHints?.();
    this.setState('closed');
  }

  private detachSocket(): void {
    this.clearTimers();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(CLOSE_CODES.normal, 'bye');
    } catch {
      // Closing a socket that is still connecting can throw in some browsers; it is gone either way.
    }
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.handshakeTimer);
    this.retryTimer = undefined;
    this.pingTimer = undefined;
  }
}

function defaultSocket(url: string): SocketLike {
  return new WebSocket(url) as unknown as SocketLike;
}

/** The browser's own hints. */
export const browserHints: ConnectivityHints = {
  onWake(listener) {
    const onVisible = () => {
      if (document.visibilityState === 'visible') listener();
    };
    window.addEventListener('online', listener);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('online', listener);
      document.removeEventListener('visibilitychange', onVisible);
    };
  },
};

/** ws://host/ws or wss://host/ws for the page's own origin. */
export function signalingUrlFor(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
