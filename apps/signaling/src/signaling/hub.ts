import {
  PROTOCOL_VERSION,
  decodeClientMessage,
  encodeMessage,
  randomId,
  type ClientMessage,
  type ClientSignalMessage,
  type ErrorCode,
  type JoinMessage,
  type ServerMessage,
} from '@parley/protocol';
import type { Logger } from '../logger.ts';
import { addressKey } from '../net/address-key.ts';
import { KeyedRateLimiter, TokenBucket } from '../rate-limit.ts';
import { findMember, isPolite, peersSeenBy, type Room } from '../rooms/room.ts';
import type { RoomStore } from '../rooms/room-store.ts';
import type { IceServersFor } from '../turn/ice-servers.ts';
import { ArrivalOrder } from './arrival-order.ts';
import { CandidateGuard } from './candidate-guard.ts';
import { Doorkeeper, type KnockingSession } from './doorkeeper.ts';
import { handleLockMessage, type LockMessage } from './lock-handlers.ts';
import { ResumeLedger } from './resume-ledger.ts';
import { announceNames } from './seat-notices.ts';
import { relayedSignalFrame } from './relayed-signal.ts';
import { signResumeToken, verifyResumeToken } from './resume-token.ts';

/** What the hub needs from a transport connection. The WebSocket layer provides it. */
export interface ClientLink {
  /** A text frame: a string, or its UTF-8 bytes (relayed signals, copied from the sender's). */
  send(frame: string | Uint8Array): void;
  close(code: number, reason: string): void;
  /** The client address, for per-address limits (IPv6 counts by /64) and TURN credentials. */
  readonly ip: string;
}

export interface HubOptions {
  store: RoomStore;
  logger: Logger;
  roomCapacity: number;
  resumeGraceMs: number;
  secret: string;
  messageBurst: number;
  messagesPerSecond: number;
  joinBurstPerIp: number;
  joinsPerSecondPerIp: number;
  maxFileBytes: number;
  /** ICE servers handed to a participant once admitted (TURN credentials are per address). */
  iceServersFor?: IceServersFor;
  /** How long a knock on a locked call waits for an answer (KNOCK_TIMEOUT_MS). */
  knockTimeoutMs?: number;
}

type Seat = { roomId: string; peerId: string };

/** Answer rate-limit violations at most this often, so an error flood cannot replace a message flood. */
const RATE_ERROR_INTERVAL_MS = 1000;

/**
 * The signalling protocol: joins, leaves, relays, resume. Independent of WebSockets (it sees
 * `ClientLink`s) and of where rooms are stored (it sees a `RoomStore`).
 */
export class SignalingHub {
  /** The live link for each seated peer on this instance; the only way a frame reaches a peer. */
  private readonly links = new Map<string, ClientSession>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private readonly joinLimiter: KeyedRateLimiter;
  private readonly sweepTimer: NodeJS.Timeout;
  readonly doorkeeper: Doorkeeper;
  /** Seats given up for good; their resume tokens no longer work. */
  readonly endedSeats: ResumeLedger;

  constructor(private readonly options: HubOptions) {
    this.joinLimiter = new KeyedRateLimiter(options.joinBurstPerIp, options.joinsPerSecondPerIp);
    this.endedSeats = new ResumeLedger(Math.max(options.resumeGraceMs, 24 * 3600_000));
    this.doorkeeper = new Doorkeeper({
      logger: options.logger,
      timeoutMs: options.knockTimeoutMs ?? 120_000,
      toMembers: async (roomId, message) =>
        this.broadcast(await options.store.get(roomId), '', () => message),
    });
    this.sweepTimer = setInterval(() => this.joinLimiter.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  connect(link: ClientLink): ClientSession {
    return new ClientSession(this, link, this.options);
  }

  get connectedPeers(): number {
    return this.links.size;
  }

  /** Stops timers; used on shutdown. Seats are not released: clients resume on the next instance. */
  dispose(): void {
    clearInterval(this.sweepTimer);
    this.doorkeeper.dispose();
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  // --- used by ClientSession -------------------------------------------------------------------

  allowJoin(ip: string): boolean {
    return this.joinLimiter.take(addressKey(ip));
  }

  /**
   * Whether a valid resume token may bring its seat back: only while the seat is held (a
   * dropped participant within its grace period, or a live one being taken over), or when this
   * server does not know the room at all (it restarted and everyone is resuming) and this
   * process never saw the seat end.
   */
  async resumable(roomId: string, peerId: string): Promise<boolean> {
    const room = await this.options.store.get(roomId);
    if (room) return findMember(room, peerId) !== undefined;
    return !this.endedSeats.isRevoked(roomId, peerId);
  }

  attach(peerId: string, session: ClientSession): void {
    const previous = this.links.get(peerId);
    const timer = this.graceTimers.get(peerId);
    if (timer) {
      clearTimeout(timer);
      this.graceTimers.delete(peerId);
    }
    this.links.set(peerId, session);
    // The same participant came back on a new socket before the old one was found dead.
    if (previous && previous !== session) previous.replaced();
  }

  detach(peerId: string, session: ClientSession): boolean {
    if (this.links.get(peerId) !== session) return false;
    this.links.delete(peerId);
    return true;
  }

  deliver(peerId: string, message: ServerMessage): boolean {
    const session = this.links.get(peerId);
    if (!session) return false;
    session.send(message);
    return true;
  }

  /** The live session of a seated peer, if it is connected to this instance right now. */
  connectedSession(peerId: string): ClientSession | undefined {
    return this.links.get(peerId);
  }

  broadcast(
    room: Room | undefined,
    exceptPeerId: string,
    messageFor: (peerId: string) => ServerMessage,
  ): void {
    if (!room) return;
    for (const member of room.members) {
      if (member.peerId !== exceptPeerId) this.deliver(member.peerId, messageFor(member.peerId));
    }
  }

  /** Holds a dropped participant's seat for the grace period, then tells the room it left. */
  scheduleRemoval(seat: Seat): void {
    const remove = () => {
      this.graceTimers.delete(seat.peerId);
      void this.removeSeat(seat, 'disconnected');
    };
    if (this.options.resumeGraceMs === 0) return remove();
    const timer = setTimeout(remove, this.options.resumeGraceMs);
    timer.unref();
    this.graceTimers.set(seat.peerId, timer);
  }

  async removeSeat(seat: Seat, reason: 'left' | 'disconnected'): Promise<void> {
    const room = await this.options.store.remove(seat.roomId, seat.peerId);
    this.endedSeats.revoke(seat.roomId, seat.peerId);
    if (!room) this.doorkeeper.roomEmptied(seat.roomId);
    this.broadcast(room, seat.peerId, () => ({ type: 'peer-left', peerId: seat.peerId, reason }));
    this.options.logger.debug({ roomId: seat.roomId, peerId: seat.peerId, reason }, 'peer left');
  }
}

/** One client connection's protocol state. Frames are processed strictly in arrival order. */
export class ClientSession implements KnockingSession {
  private seat: Seat | undefined;
  private displayName = '';
  private readonly order = new ArrivalOrder((error) => this.failed(error));
  private readonly bucket: TokenBucket;
  private readonly candidates = new CandidateGuard();
  private lastRateErrorAt = -Infinity;
  private closed = false;
  private closedHow: 'dropped' | 'going-away' = 'dropped';

  constructor(
    private readonly hub: SignalingHub,
    private readonly link: ClientLink,
    private readonly options: HubOptions,
  ) {
    this.bucket = new TokenBucket(options.messageBurst, options.messagesPerSecond);
  }

  get peerId(): string | undefined {
    return this.seat?.peerId;
  }

  get ip(): string {
    return this.link.ip;
  }

  /** The seat and the name it is shown under, for the lock and knock handlers. */
  get member(): (Seat & { displayName: string }) | undefined {
    return this.seat && { ...this.seat, displayName: this.displayName };
  }

  /** A participant let this parked newcomer in: seat it, after anything it sent meanwhile. */
  admitted(join: JoinMessage): void {
    this.order.run(() => this.seatIn(join, undefined));
  }

  refused(code: ErrorCode, message: string): void {
    this.order.run(() => this.error(code, message));
  }

  send(message: ServerMessage): void {
    if (!this.closed) this.link.send(encodeMessage(message));
  }

  sendFrame(frame: string | Uint8Array): void {
    if (!this.closed) this.link.send(frame);
  }

  /**
   * Every reply, errors included, is ordered so that answers arrive in the order their frames
   * did; the rate check itself happens at once so a flood is shed cheaply. `bytes`, when given,
   * is `text` as UTF-8 (the frame as received), which lets a relay copy the payload unchanged.
   */
  handleFrame(text: string, bytes?: Uint8Array): void {
    if (!this.bucket.take()) {
      const now = performance.now();
      if (now - this.lastRateErrorAt >= RATE_ERROR_INTERVAL_MS) {
        this.lastRateErrorAt = now;
        this.order.run(() => this.error('rate-limited', 'too many messages; slow down'));
      }
      return;
    }
    const decoded = decodeClientMessage(text);
    if (!decoded.ok)
      return this.order.run(() => this.error(decoded.code, decoded.message, decoded.path));
    const message = decoded.message;
    // With nothing pending (the usual case) this runs the frame now, synchronously.
    this.order.run(() => this.dispatch(message, text, bytes));
  }

  handleBinary(): void {
    if (!this.bucket.take()) return;
    this.order.run(() =>
      this.error('bad-message', 'binary frames are not supported; send JSON text'),
    );
  }

  /**
   * The socket is gone. After a drop (no close frame, or any code but 1001) a seated
   * participant keeps its seat for the resume grace period. `going-away` is the browser's own
   * 1001, sent when the page is closed or navigated away from: the page cannot come back as
   * this participant (the web app keeps its resume token in memory only, so even a reload
   * joins anew), so the seat is freed at once, as if it had said `leave`. That covers a tab
   * closed before its `pagehide` goodbye went out.
   */
  handleClose(how: 'dropped' | 'going-away' = 'dropped'): void {
    this.closed = true;
    this.closedHow = how;
    this.order.run(async () => {
      await this.hub.doorkeeper.cancel(this);
      const seat = this.seat;
      if (!seat) return;
      this.seat = undefined;
      if (!this.hub.detach(seat.peerId, this)) return; // already replaced by a newer socket
      if (how === 'going-away') return this.hub.removeSeat(seat, 'left');
      await this.options.store.markDisconnected(seat.roomId, seat.peerId);
      this.hub.scheduleRemoval(seat);
    });
  }

  /** A newer socket resumed this participant; this one must stop acting for it. */
  replaced(): void {
    this.seat = undefined;
    this.link.close(4002, 'replaced by a newer connection');
    this.closed = true;
  }

  private failed(error: unknown): void {
    this.options.logger.error({ err: error }, 'error while handling a message');
    this.error('bad-message', 'the server could not process this message');
  }

  private error(code: ErrorCode, message: string, path?: string): void {
    this.send(
      path === undefined
        ? { type: 'error', code, message }
        : { type: 'error', code, message, path },
    );
  }

  /** Returns a promise only when the message awaits the room store; later frames wait for it. */
  private dispatch(message: ClientMessage, text: string, bytes?: Uint8Array): Promise<void> | void {
    switch (message.type) {
      case 'join':
        return this.join(message);
      case 'leave':
        return this.leave();
      case 'signal':
        return this.relay(message, text, bytes);
      case 'ping':
        return this.send({ type: 'pong', t: message.t });
      case 'refresh-ice-servers':
        return this.refreshIceServers();
      case 'set-lock':
      case 'answer-knock':
        return this.lockMessage(message);
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async join(message: JoinMessage): Promise<void> {
    if (this.seat || this.hub.doorkeeper.isKnocking(this))
      return this.error('already-in-room', 'leave the current room before joining another');
    if (!this.hub.allowJoin(this.link.ip)) {
      return this.error(
        'join-rate-limited',
        'too many joins from your address; try again in a moment',
      );
    }
    const { roomId, resume } = message;
    const resuming =
      resume !== undefined &&
      verifyResumeToken(this.options.secret, roomId, resume.peerId, resume.token) &&
      (await this.hub.resumable(roomId, resume.peerId));
    // A locked call parks newcomers; a participant resuming its own seat is no newcomer.
    if (!resuming && this.hub.doorkeeper.isLocked(roomId))
      return this.hub.doorkeeper.knock(this, message);
    return this.seatIn(message, resuming ? resume.peerId : undefined);
  }

  /** Seats this connection: as `resumePeerId` when a resume was accepted, else as someone new. */
  private async seatIn(message: JoinMessage, resumePeerId: string | undefined): Promise<void> {
    const { roomId, displayName } = message;
    const secret = this.options.secret;
    const peerId = resumePeerId ?? randomId();
    const result = await this.options.store.admit(
      roomId,
      { peerId, displayName },
      this.options.roomCapacity,
    );
    if (!result.ok) {
      return this.error(
        'room-full',
        `this call is full (${this.options.roomCapacity} participants)`,
      );
    }
    if (this.closed) {
      // The socket closed while we were admitting it: as if it closed right after.
      if (this.closedHow === 'going-away') return this.hub.removeSeat({ roomId, peerId }, 'left');
      await this.options.store.markDisconnected(roomId, peerId);
      this.hub.scheduleRemoval({ roomId, peerId });
      return;
    }
    this.seat = { roomId, peerId };
    this.displayName = result.member.displayName;
    this.hub.attach(peerId, this);
    this.send({
      type: 'joined',
      protocol: PROTOCOL_VERSION,
      roomId,
      selfId: peerId,
      resumeToken: signResumeToken(secret, roomId, peerId),
      resumed: result.restored,
      peers: peersSeenBy(result.room, peerId),
      iceServers: this.options.iceServersFor?.(peerId, this.link.ip).iceServers ?? [],
      capacity: this.options.roomCapacity,
      maxFileBytes: this.options.maxFileBytes,
    });
    // A restored participant never left as far as the others know: announcing it would flicker.
    if (!result.restored) {
      this.hub.broadcast(result.room, peerId, (other) => ({
        type: 'peer-joined',
        peer: {
          id: peerId,
          displayName: result.member.displayName,
          polite: isPolite(other, peerId),
        },
      }));
    }
    announceNames(this.hub, this, message, result);
    if (message.startLocked && !result.restored && result.room.members.length === 1)
      await this.hub.doorkeeper.setLock(roomId, true); // tells this (only) member
    else this.hub.doorkeeper.greet(roomId, (m) => this.send(m));
    this.options.logger.debug({ roomId, peerId, restored: result.restored }, 'peer joined');
  }

  /** Fresh TURN credentials, for members only: a stranger must not get relay access. */
  private refreshIceServers(): void {
    const seat = this.seat;
    if (!seat) return this.error('not-in-room', 'join a room before asking for ICE servers');
    const grant = this.options.iceServersFor?.(seat.peerId, this.link.ip);
    // Over the hourly cap: the client keeps the credentials it has (they work until expiry).
    if (grant?.relayRefused)
      return this.error('turn-credentials-limited', 'too many relay credentials for your address');
    this.send({ type: 'ice-servers', iceServers: grant?.iceServers ?? [] });
  }

  private lockMessage(message: LockMessage): Promise<void> | void {
    const member = this.member;
    if (!member) return this.error('not-allowed', 'only participants of the call can do this');
    return handleLockMessage(this.hub.doorkeeper, member, message);
  }

  private async leave(): Promise<void> {
    const seat = this.seat;
    if (!seat && this.hub.doorkeeper.isKnocking(this)) return this.hub.doorkeeper.cancel(this);
    if (!seat) return this.error('not-in-room', 'you are not in a room');
    this.seat = undefined;
    this.candidates.clear();
    this.hub.detach(seat.peerId, this);
    await this.hub.removeSeat(seat, 'left');
  }

  private relay(
    message: ClientSignalMessage,
    text: string,
    bytes: Uint8Array | undefined,
  ): Promise<void> | void {
    const seat = this.seat;
    if (!seat) return this.error('not-in-room', 'join a room before signalling');
    const room = this.options.store.get(seat.roomId);
    // The in-memory store answers at once, which keeps the relay synchronous; a shared store
    // answers with a promise, and frames after this one wait for it.
    if (room instanceof Promise)
      return room.then((found) => this.relayInto(found, seat, message, text, bytes));
    this.relayInto(room, seat, message, text, bytes);
  }

  private relayInto(
    room: Room | undefined,
    seat: Seat,
    message: ClientSignalMessage,
    text: string,
    bytes: Uint8Array | undefined,
  ): void {
    if (message.to === seat.peerId || !room || !findMember(room, message.to)) {
      return this.error('unknown-peer', 'no such participant in this call', 'to');
    }
    if (!this.candidates.allow(message.to, message.payload)) {
      return this.error(
        'too-many-candidates',
        'too many ICE candidates for one negotiation',
        'payload',
      );
    }
    // `from` is always ours: the client cannot even express it (the schema rejects the field).
    // A seated but disconnected target is mid-resume; its peer will renegotiate when it returns.
    // The frame is only made for a connected target, so a flood aimed at a peer that is
    // mid-resume allocates nothing for it.
    this.hub
      .connectedSession(message.to)
      ?.sendFrame(relayedSignalFrame(seat.peerId, message, text, bytes));
  }
}
