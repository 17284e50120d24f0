import type { ServerMessage } from '@parley/protocol';
import type { Logger } from '../logger.ts';
import { addressKey } from '../net/address-key.ts';
import { KeyedRateLimiter } from '../rate-limit.ts';
import { encodeMessage } from '@parley/protocol';
import { findMember, type Member, type Room } from '../rooms/room.ts';
import type { RoomStore } from '../rooms/room-store.ts';
import type { IceServersFor } from '../turn/ice-servers.ts';
import { ClientConnection } from './client-connection.ts';
import { Doorkeeper } from './doorkeeper.ts';
import { ResumeLedger } from './resume-ledger.ts';
import { InProcessRoomBus, type RoomBus } from './room-bus.ts';
import type { TransportLink } from './transport-link.ts';
import type { RoomLifecycleListener } from '../webhooks/lifecycle.ts';

export interface HubOptions {
  store: RoomStore;
  /** Reaches participants connected to other instances; in-process (nobody else) by default. */
  bus?: RoomBus | undefined;
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
  private readonly connections = new Map<
    string,
    { connection: ClientConnection; roomId: string }
  >();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private readonly joinLimiter: KeyedRateLimiter;
  private readonly sweepTimer: NodeJS.Timeout;
  readonly doorkeeper: Doorkeeper;
  /** Seats given up for good; their resume tokens no longer work. */
  readonly endedSeats: ResumeLedger;
  readonly bus: RoomBus;
  /** Signals relayed, for metrics: to a connection here, or handed to the bus for another instance. */
  readonly relayed = { local: 0, toOtherInstances: 0 };
  /** Client connections open on this instance, seated or not. */
  openConnections = 0;

  constructor(private readonly options: HubOptions) {
    this.joinLimiter = new KeyedRateLimiter(options.joinBurstPerIp, options.joinsPerSecondPerIp);
    this.endedSeats = new ResumeLedger(Math.max(options.resumeGraceMs, 24 * 3600_000));
    this.bus = options.bus ?? new InProcessRoomBus();
    this.bus.listen({
      deliver: (peerId, frame) => {
        const entry = this.connections.get(peerId);
        entry?.connection.sendFrame(frame);
        return entry !== undefined;
      },
      claimed: (peerId) => this.letGo(peerId),
      door: (roomId, event) => this.doorkeeper.onDoorEvent(roomId, event),
    });
    this.doorkeeper = new Doorkeeper({
      logger: options.logger,
      timeoutMs: options.knockTimeoutMs ?? 120_000,
      store: options.store,
      bus: this.bus,
      toPeer: (roomId, peerId, message) => this.sendTo(roomId, peerId, message),
      // A shared store can fail (Redis gone for good); a notice is then lost, never the process.
      toMembers: (roomId, message) =>
        Promise.resolve(options.store.get(roomId)).then(
          (room) => this.broadcast(room, '', () => message),
          (error: unknown) => options.logger.error({ err: error, roomId }, 'notice not sent'),
        ),
    });
    this.sweepTimer = setInterval(() => this.joinLimiter.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  /** A transport opened a connection: the returned object takes its frames and its end. */
  connect(link: TransportLink): ClientConnection {
    this.openConnections++;
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
    if (this.endedSeats.isRevoked(roomId, peerId)) return false;
    // A shared store also knows seats that ended on other instances.
    return !(await this.options.store.seatEnded?.(roomId, peerId));
  }

  /** Before seating someone here: frames for the room must be able to reach this instance. */
  enterRoom(roomId: string): Promise<void> | void {
    return this.bus.enter(roomId);
  }

  /** Matches an `enterRoom` whose seat never got a connection here. */
  exitRoom(roomId: string): void {
    this.bus.exit(roomId);
  }

  /** `restored`: the seat existed, so another instance may still hold its old connection. */
  attach(seat: Seat, connection: ClientConnection, restored = false): void {
    const previous = this.connections.get(seat.peerId);
    this.clearGraceTimer(seat.peerId);
    this.connections.set(seat.peerId, { connection, roomId: seat.roomId });
    // The same participant came back on a new connection before the old one was found dead.
    if (previous && previous.connection !== connection) {
      previous.connection.replaced();
      this.bus.exit(previous.roomId);
    }
    if (restored) this.bus.claim(seat.roomId, seat.peerId);
  }

  detach(peerId: string, connection: ClientConnection): boolean {
    const entry = this.connections.get(peerId);
    if (entry?.connection !== connection) return false;
    this.connections.delete(peerId);
    this.bus.exit(entry.roomId);
    return true;
  }

  /** Whether this participant has a live connection on this instance (for tests and probes). */
  isConnectedHere(peerId: string): boolean {
    return this.connections.has(peerId);
  }

  connectionEnded(): void {
    this.openConnections--;
  }

  /**
   * A signal for `target` (a member of `roomId`): straight to its connection when it is here,
   * else through the bus. `frame` is only built when it goes somewhere: a seated but
   * disconnected target is mid-resume, and a flood aimed at it allocates nothing.
   */
  relay(roomId: string, target: Member, frame: () => string | Uint8Array): void {
    const local = this.connections.get(target.peerId);
    if (local) {
      this.relayed.local++;
      return local.connection.sendFrame(frame());
    }
    if (!this.bus.spansInstances || !target.connected) return;
    this.relayed.toOtherInstances++;
    this.bus.send(roomId, target.peerId, frame());
  }

  private deliver(roomId: string, member: Member, message: ServerMessage): void {
    const local = this.connections.get(member.peerId);
    if (local) return local.connection.send(message);
    if (this.bus.spansInstances && member.connected)
      this.bus.send(roomId, member.peerId, encodeMessage(message));
  }

  /** A notice for one participant, wherever it is connected. */
  private sendTo(roomId: string, peerId: string, message: ServerMessage): void {
    const local = this.connections.get(peerId);
    if (local) return local.connection.send(message);
    if (this.bus.spansInstances) this.bus.send(roomId, peerId, encodeMessage(message));
  }

  /** Another instance resumed this participant: its old connection and timer here go. */
  private letGo(peerId: string): void {
    this.clearGraceTimer(peerId);
    const entry = this.connections.get(peerId);
    if (!entry) return;
    this.connections.delete(peerId);
    this.bus.exit(entry.roomId);
    entry.connection.replaced();
  }

  private clearGraceTimer(peerId: string): void {
    const timer = this.graceTimers.get(peerId);
    if (!timer) return;
    clearTimeout(timer);
    this.graceTimers.delete(peerId);
  }

  broadcast(
    room: Room | undefined,
    exceptPeerId: string,
    messageFor: (peerId: string) => ServerMessage,
  ): void {
    if (!room) return;
    for (const member of room.members) {
      if (member.peerId !== exceptPeerId) this.deliver(room.id, member, messageFor(member.peerId));
    }
  }

  /** Holds a dropped participant's seat for the grace period, then tells the room it left. */
  scheduleRemoval(seat: Seat): void {
    const remove = () => {
      this.graceTimers.delete(seat.peerId);
      this.removeSeat(seat, 'disconnected').catch((error: unknown) =>
        this.options.logger.error({ err: error, ...seat }, 'could not release a seat'),
      );
    };
    if (this.options.resumeGraceMs === 0) return remove();
    const timer = setTimeout(remove, this.options.resumeGraceMs);
    timer.unref();
    this.graceTimers.set(seat.peerId, timer);
  }

  async removeSeat(seat: Seat, reason: 'left' | 'disconnected'): Promise<void> {
    const room = await this.options.store.remove(seat.roomId, seat.peerId);
    // A shared store keeps a seat that another instance resumed meanwhile: it did not end.
    if (room && findMember(room, seat.peerId)) return;
    this.endedSeats.revoke(seat.roomId, seat.peerId);
    if (!room) this.doorkeeper.roomEmptied(seat.roomId);
    this.options.lifecycle?.left(seat.roomId, seat.peerId, reason === 'left' ? 'left' : 'timeout');
    this.broadcast(room, seat.peerId, () => ({ type: 'peer-left', peerId: seat.peerId, reason }));
    this.options.logger.debug({ roomId: seat.roomId, peerId: seat.peerId, reason }, 'peer left');
  }
}
