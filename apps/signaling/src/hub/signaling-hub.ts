import type { ServerMessage } from '@parley/protocol';
import type { Logger } from '../logger.ts';
import { addressKey } from '../net/address-key.ts';
import { KeyedRateLimiter } from '../rate-limit.ts';
import { findMember, type Room } from '../rooms/room.ts';
import type { RoomStore } from '../rooms/room-store.ts';
import type { IceServersFor } from '../turn/ice-servers.ts';
import { ClientConnection } from './client-connection.ts';
import { Doorkeeper } from './doorkeeper.ts';
import { ResumeLedger } from './resume-ledger.ts';
import type { TransportLink } from './transport-link.ts';
import type { RoomLifecycleListener } from '../webhooks/lifecycle.ts';

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
  /** Told when seats are taken and released (webhooks); absent when nothing listens. */
  lifecycle?: RoomLifecycleListener | undefined;
}

/** A participant's place in a room: it outlives a dropped connection for the resume grace. */
export type Seat = { roomId: string; peerId: string };

/**
 * The signalling protocol's shared state: which seated participant is reachable through which
 * live connection, and how long a dropped participant keeps its seat. Each connection's own
 * protocol state (join, leave, relay) is a `ClientConnection`. Independent of transports (it
 * sees `TransportLink`s) and of where rooms are stored (it sees a `RoomStore`).
 */
export class SignalingHub {
  /** The live connection of each seated participant on this instance; the only way a frame reaches one. */
  private readonly connections = new Map<string, ClientConnection>();
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

  /** A transport opened a connection: the returned object takes its frames and its end. */
  connect(link: TransportLink): ClientConnection {
    return new ClientConnection(this, link, this.options);
  }

  /** Seated participants with a live connection to this instance. */
  get connectedPeers(): number {
    return this.connections.size;
  }

  /** Stops timers; used on shutdown. Seats are not released: clients resume on the next instance. */
  dispose(): void {
    clearInterval(this.sweepTimer);
    this.doorkeeper.dispose();
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  // --- used by ClientConnection ----------------------------------------------------------------

  allowJoin(ip: string): boolean {
    return this.joinLimiter.take(addressKey(ip));
  }

  /**
   * Whether a valid resume token may bring its seat back: while the seat is held (a dropped
   * participant within its grace period, or a live one being taken over), or when this process
   * never saw the seat end. The second case is a restart: the new process knows none of the
   * seats, and every participant of a room resumes into it one after another (so the room may
   * already exist, holding the first ones back). A seat that ended here (leave, grace over) is
   * revoked, and its token no longer works.
   */
  async resumable(roomId: string, peerId: string): Promise<boolean> {
    const room = await this.options.store.get(roomId);
    if (room && findMember(room, peerId) !== undefined) return true;
    return !this.endedSeats.isRevoked(roomId, peerId);
  }

  attach(peerId: string, connection: ClientConnection): void {
    const previous = this.connections.get(peerId);
    const timer = this.graceTimers.get(peerId);
    if (timer) {
      clearTimeout(timer);
      this.graceTimers.delete(peerId);
    }
    this.connections.set(peerId, connection);
    // The same participant came back on a new connection before the old one was found dead.
    if (previous && previous !== connection) previous.replaced();
  }

  detach(peerId: string, connection: ClientConnection): boolean {
    if (this.connections.get(peerId) !== connection) return false;
    this.connections.delete(peerId);
    return true;
  }

  deliver(peerId: string, message: ServerMessage): boolean {
    const connection = this.connections.get(peerId);
    if (!connection) return false;
    connection.send(message);
    return true;
  }

  /** The live connection of a seated participant, if it is connected to this instance right now. */
  connectionOf(peerId: string): ClientConnection | undefined {
    return this.connections.get(peerId);
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
    this.options.lifecycle?.left(seat.roomId, seat.peerId, reason === 'left' ? 'left' : 'timeout');
    this.broadcast(room, seat.peerId, () => ({ type: 'peer-left', peerId: seat.peerId, reason }));
    this.options.logger.debug({ roomId: seat.roomId, peerId: seat.peerId, reason }, 'peer left');
  }
}
