import type {
  ClientMessage,
  JoinedMessage,
  PeerInfo,
  ServerMessage,
  SignalPayload,
} from '@parley/protocol';
import WebSocket from 'ws';
import {
  encodeClient,
  joinFrame,
  pingFrame,
  readServerFrame,
  reconnectDelay,
} from './parley-client.ts';

/**
 * The one WebSocket client of the bench's load generators (bench/signaling/load-client.ts and
 * bench/load/churn-clients.ts): a participant as a Parley server sees it, over successive
 * sockets. It opens a socket, joins (or resumes, with the credentials of its last `joined`),
 * keeps `selfId`, `resumeToken` and the room's peers up to date, answers `sync()` with a
 * ping/pong round trip, and, with `reconnect`, comes back after an unexpected close on the web
 * client's own backoff schedule, resuming its seat. Every frame is typed by @parley/protocol.
 *
 * Load generators must not become the bottleneck they measure, so:
 * - frames are read without valibot (the server under test validates what we send; what it
 *   sends back is trusted to match its own types);
 * - `rawFrame` lets hot frames (relayed signals) skip JSON parsing entirely.
 *
 * The same class also drives the bench's other servers (the bare forwarder, PeerJS): give it
 * their URL and use `sendRaw` and the callbacks; `join` and the peer bookkeeping are Parley's.
 */

export type LoadSocketOptions = {
  /** e.g. ws://127.0.0.1:PORT/ws */
  url: string;
  /** Parley accepts only its own origin by default. */
  origin: string;
  /** Connect from this local address (e.g. one 127.x.y.z per participant). */
  localAddress?: string;
  /**
   * Frames for which this returns true go to `onRawFrame` as received, never parsed (the
   * relay loop's signals). Checked before anything else, on every frame.
   */
  rawFrame?: (data: Buffer) => boolean;
  onRawFrame?: (data: Buffer) => void;
  /** Every parsed server frame, after this client's own bookkeeping (`joined`, peers, pongs). */
  onMessage?: (message: ServerMessage) => void;
  /** A frame that was not JSON. */
  onUnreadable?: (text: string) => void;
  /**
   * The current socket closed without this client asking (`wasJoined`: it was seated). With
   * `reconnect`, a new attempt follows after the backoff.
   */
  onClosed?: (code: number, wasJoined: boolean) => void;
  /** The handshake was refused, e.g. with HTTP 429 (the socket is then closed). */
  onRefused?: (status: number) => void;
  /** After an unexpected close: reconnect with the web client's backoff, resuming the seat. */
  reconnect?: boolean;
};

export type JoinRequest = { roomId: string; displayName: string; resume?: boolean };

export type LoadSocketState = 'idle' | 'connecting' | 'open' | 'joined' | 'away' | 'closed';

export class LoadSocket {
  socket: WebSocket | undefined;
  state: LoadSocketState = 'idle';
  selfId: string | undefined;
  resumeToken: string | undefined;
  /** The other participants of the room, as joined + peer-joined − peer-left told us. */
  readonly peers = new Map<string, PeerInfo>();
  /** The last `joined`, e.g. to read `resumed`. */
  lastJoined: JoinedMessage | undefined;
  /** Sockets opened so far. */
  connects = 0;
  /** Failed attempts in a row, for the backoff; 0 again once joined. */
  retries = 0;
  /** Whether the current attempt's join asked to resume a seat (sent credentials). */
  resumeSent = false;
  /** Reconnect after an unexpected close (from `options.reconnect`; set false to stop). */
  reconnect: boolean;
  /** Settles when the current attempt has joined (or opened, without a join) or ended. */
  connecting: Promise<void> = Promise.resolve();
  private lastJoin: JoinRequest | undefined;
  private attemptDone: (() => void) | undefined;
  private pongWaiters: Array<() => void> = [];
  private disposed = false;

  constructor(readonly options: LoadSocketOptions) {
    this.reconnect = options.reconnect ?? false;
  }

  /**
   * Opens a new socket (replacing any current one) and, with `join`, joins on it. Resolves once
   * joined (or open, without `join`). Without `reconnect` a socket that closes first rejects;
   * with it, the attempt resolves and the next one is scheduled.
   */
  connect(join?: JoinRequest): Promise<void> {
    this.lastJoin = join;
    const socket = new WebSocket(this.options.url, {
      origin: this.options.origin,
      perMessageDeflate: false,
      ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
    });
    this.socket = socket;
    this.state = 'connecting';
    this.connects++;
    this.connecting = new Promise<void>((resolve, reject) => {
      this.attemptDone = resolve;
      socket.on('open', () => {
        if (this.socket !== socket) return;
        if (join) return this.sendRaw(this.joinFrame(join));
        this.state = 'open';
        this.settleAttempt();
      });
      socket.on('message', (data: Buffer) => this.receive(socket, data));
      socket.on('unexpected-response', (_request, response) => {
        this.options.onRefused?.(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.on('close', (code) => {
        if (this.socket !== socket) return; // replaced or dropped on purpose
        const wasJoined = this.state === 'joined';
        const attemptOpen = this.attemptDone !== undefined;
        this.socket = undefined;
        this.state = 'away';
        this.releaseSyncs();
        this.options.onClosed?.(code, wasJoined);
        if (attemptOpen && !this.reconnect) {
          this.attemptDone = undefined;
          reject(new Error(`socket to ${this.options.url} closed (${code}) before it was ready`));
        } else this.settleAttempt();
        if (this.reconnect && !this.disposed) {
          const again = this.lastJoin && { ...this.lastJoin, resume: true };
          setTimeout(
            () => !this.reconnect || this.disposed || void this.connect(again),
            reconnectDelay(this.retries++),
          );
        }
      });
      socket.on('error', () => undefined); // always followed by close
    });
    return this.connecting;
  }

  /** Joins on the open socket (e.g. again after `leave`). `joined` arrives through the callbacks. */
  join(join: JoinRequest): void {
    this.lastJoin = join;
    this.sendRaw(this.joinFrame(join));
  }

  send(message: ClientMessage): void {
    this.sendRaw(encodeClient(message));
  }

  /** A frame as is, always as a text frame (Buffers too). */
  sendRaw(frame: string | Buffer): void {
    this.socket?.send(frame, { binary: false });
  }

  signal(to: string, payload: SignalPayload): void {
    this.send({ type: 'signal', to, payload });
  }

  /** Leaves the room, keeping the socket. */
  leave(): void {
    this.send({ type: 'leave' });
    this.forgetSeat();
  }

  /** Says goodbye and closes: the next `connect` joins as someone new. */
  leaveAndClose(): void {
    const socket = this.detach();
    socket?.send(encodeClient({ type: 'leave' }));
    socket?.close(1000);
    this.forgetSeat();
  }

  /** Loses the socket abruptly (no close frame), keeping the seat's credentials to resume. */
  drop(): void {
    this.detach()?.terminate();
  }

  /** Resolves once the server has handled everything sent before (or the socket is gone). */
  sync(): Promise<void> {
    if (this.state !== 'joined' || !this.socket) return Promise.resolve();
    this.sendRaw(pingFrame());
    return new Promise((resolve) => this.pongWaiters.push(resolve));
  }

  /** Ends for good: terminates the socket, no reconnect. Resolves once it is closed. */
  dispose(): Promise<void> {
    this.disposed = true;
    const socket = this.detach();
    this.state = 'closed';
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.terminate();
    });
  }

  private joinFrame({ roomId, displayName, resume }: JoinRequest): string {
    const credentials =
      resume && this.selfId && this.resumeToken
        ? { peerId: this.selfId, token: this.resumeToken }
        : undefined;
    this.resumeSent = credentials !== undefined;
    return joinFrame(roomId, displayName, credentials);
  }

  /** Stops listening to the current socket (its close is ours, not news) and returns it. */
  private detach(): WebSocket | undefined {
    const socket = this.socket;
    this.socket = undefined;
    if (this.state !== 'closed') this.state = 'away';
    this.releaseSyncs();
    this.settleAttempt();
    return socket;
  }

  private forgetSeat(): void {
    this.selfId = undefined;
    this.resumeToken = undefined;
    this.peers.clear();
    if (this.state === 'joined') this.state = this.socket ? 'open' : 'away';
  }

  private settleAttempt(): void {
    const done = this.attemptDone;
    this.attemptDone = undefined;
    done?.();
  }

  private receive(socket: WebSocket, data: Buffer): void {
    const { rawFrame, onRawFrame } = this.options;
    if (rawFrame?.(data)) return onRawFrame?.(data);
    const text = data.toString();
    const message = readServerFrame(text);
    if (!message) return this.options.onUnreadable?.(text);
    // A socket we replaced may still deliver relays sent before; nothing else from it counts.
    if (this.socket !== socket) {
      if (message.type === 'signal') this.options.onMessage?.(message);
      return;
    }
    switch (message.type) {
      case 'joined':
        this.selfId = message.selfId;
        this.resumeToken = message.resumeToken;
        this.lastJoined = message;
        this.peers.clear();
        for (const peer of message.peers) this.peers.set(peer.id, peer);
        this.state = 'joined';
        this.retries = 0;
        break;
      case 'peer-joined':
        this.peers.set(message.peer.id, message.peer);
        break;
      case 'peer-left':
        this.peers.delete(message.peerId);
        break;
      case 'pong':
        this.releaseSyncs();
        break;
      default:
    }
    this.options.onMessage?.(message);
    if (message.type === 'joined') this.settleAttempt();
  }

  private releaseSyncs(): void {
    const waiters = this.pongWaiters;
    this.pongWaiters = [];
    for (const w of waiters) w();
  }
}
