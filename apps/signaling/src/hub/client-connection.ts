import {
  CLOSE_CODES,
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
import { TokenBucket } from '../rate-limit.ts';
import { isPolite, peersSeenBy, type Member } from '../rooms/room.ts';
import { ArrivalOrder } from './arrival-order.ts';
import { CandidateGuard } from './candidate-guard.ts';
import { type KnockingSession } from './doorkeeper.ts';
import { handleLockMessage, type LockMessage } from './lock-handlers.ts';
import { relaySender, relayedSignalFrame, type RelaySender } from './relayed-signal.ts';
import { signResumeToken, verifyResumeToken } from './resume-token.ts';
import { answerPeek } from './room-peek.ts';
import { announceNames } from './seat-notices.ts';
import type { HubOptions, Seat, SignalingHub } from './signaling-hub.ts';
import type { ConnectionEnd, TransportLink } from './transport-link.ts';

/** Answer rate-limit violations at most this often, so an error flood cannot replace a message flood. */
const RATE_ERROR_INTERVAL_MS = 1000;

/**
 * One client connection as the hub sees it, whatever transport carries it: the participant it
 * seats (if any), its rate limit and candidate caps, and the protocol (join, leave, relay,
 * resume). Frames are processed strictly in arrival order. Not to be confused with the
 * browser's `CallSession`, the whole call on the client side.
 */
export class ClientConnection implements KnockingSession {
  private seat: Seat | undefined;
  private displayName = '';
  private readonly order = new ArrivalOrder((error) => this.failed(error));
  private readonly bucket: TokenBucket;
  private readonly candidates = new CandidateGuard();
  private lastRateErrorAt = -Infinity;
  /** This connection's participant as the sender of relayed signals, once it has relayed one. */
  private sender: RelaySender | undefined;
  private closed = false;
  private ended = false;
  private closedHow: ConnectionEnd = 'dropped';

  constructor(
    private readonly hub: SignalingHub,
    private readonly link: TransportLink,
    private readonly options: HubOptions,
  ) {
    this.bucket = new TokenBucket(options.messageBurst, options.messagesPerSecond);
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
    this.order.run(() => this.seatIn(join, undefined, true));
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
   * The connection is gone. After a drop (no close frame, or any code but 1001) a seated
   * participant keeps its seat for the resume grace period. `going-away` is the browser's own
   * 1001, sent when the page is closed or navigated away from: the page cannot come back as
   * this participant (the web app keeps its resume token in memory only, so even a reload
   * joins anew), so the seat is freed at once, as if it had said `leave`. That covers a tab
   * closed before its `pagehide` goodbye went out.
   */
  handleClose(how: ConnectionEnd = 'dropped'): void {
    if (!this.ended) this.hub.connectionEnded();
    this.ended = true;
    this.closed = true;
    this.closedHow = how;
    this.order.run(async () => {
      await this.hub.doorkeeper.cancel(this);
      const seat = this.seat;
      if (!seat) return;
      this.seat = undefined;
      if (!this.hub.detach(seat.peerId, this)) return; // already replaced by a newer connection
      if (how === 'going-away') return this.hub.removeSeat(seat, 'left');
      await this.options.store.markDisconnected(seat.roomId, seat.peerId);
      this.hub.scheduleRemoval(seat);
      this.options.logger.debug({ roomId: seat.roomId, peerId: seat.peerId }, 'seat held');
    });
  }

  /** A newer connection resumed this participant; this one must stop acting for it. */
  replaced(): void {
    this.seat = undefined;
    this.link.close(CLOSE_CODES.replaced, 'replaced by a newer connection');
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
      case 'peek':
        return answerPeek(this.options.store, message.roomId, this.options.roomCapacity, (m) =>
          this.send(m),
        );
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
    // A locked call parks newcomers (the store answers `locked`); a participant resuming its
    // own seat is no newcomer.
    return resuming ? this.seatIn(message, resume.peerId, true) : this.seatIn(message, undefined);
  }

  /**
   * Seats this connection: as `resumePeerId` when a resume was accepted, else as someone new.
   * `passLock`: a resume, or a knock a participant admitted; anyone else must knock at a lock.
   */
  private async seatIn(
    message: JoinMessage,
    resumePeerId: string | undefined,
    passLock = false,
  ): Promise<void> {
    const { roomId, displayName } = message;
    const startLocked = message.startLocked === true;
    const secret = this.options.secret;
    const peerId = resumePeerId ?? randomId();

    const entering = this.hub.enterRoom(roomId);
    if (entering) await entering;
    const result = await this.options.store
      .admit(roomId, { peerId, displayName, passLock, startLocked }, this.options.roomCapacity)
      .catch((error: unknown) => {
        this.hub.exitRoom(roomId);
        throw error;
      });
    if (!result.ok && result.reason === 'locked') {
      // Parked; the doorkeeper keeps its own hold on the room while the newcomer waits.
      await this.hub.doorkeeper.knock(this, message).finally(() => this.hub.exitRoom(roomId));
      return;
    }
    if (!result.ok) {
      this.hub.exitRoom(roomId);
      return this.error(
        'room-full',
        `this call is full (${this.options.roomCapacity} participants)`,
      );
    }
    if (!result.restored) this.options.lifecycle?.joined(roomId, peerId, result.member.displayName);
    if (this.closed) {
      // The connection closed while we were admitting it: as if it closed right after.
      this.hub.exitRoom(roomId);
      if (this.closedHow === 'going-away') return this.hub.removeSeat({ roomId, peerId }, 'left');
      await this.options.store.markDisconnected(roomId, peerId);
      this.hub.scheduleRemoval({ roomId, peerId });
      return;
    }
    this.seat = { roomId, peerId };
    this.displayName = result.member.displayName;
    this.hub.attach(this.seat, this, result.restored);
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
    // Anyone seated in a locked call (let in, resuming, or the first, whose `startLocked` the
    // store applied in the same step) learns of the lock and of who waits.
    if (result.room.locked) this.hub.doorkeeper.greet(roomId, peerId, (m) => this.send(m));
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
    if (message.to === seat.peerId) return this.relayInto(undefined, seat, message, text, bytes);
    const target = this.options.store.relayTarget(seat.roomId, message.to);
    // The in-memory store (and a shared store's copy) answers at once, which keeps the relay
    // synchronous; otherwise the answer is a promise, and frames after this one wait for it.
    if (target instanceof Promise)
      return target.then((found) => this.relayInto(found, seat, message, text, bytes));
    this.relayInto(target, seat, message, text, bytes);
  }

  private relayInto(
    target: Member | undefined,
    seat: Seat,
    message: ClientSignalMessage,
    text: string,
    bytes: Uint8Array | undefined,
  ): void {
    if (!target) {
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
    const sender = this.senderFor(seat.peerId);
    this.hub.relay(seat.roomId, target, () => relayedSignalFrame(sender, message, text, bytes));
  }

  /** The relay header for `peerId`, made again only when this connection sits as someone else. */
  private senderFor(peerId: string): RelaySender {
    if (this.sender?.id !== peerId) this.sender = relaySender(peerId);
    return this.sender;
  }
}
