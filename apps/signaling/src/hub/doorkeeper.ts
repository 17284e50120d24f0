import {
  randomId,
  type ErrorCode,
  type JoinMessage,
  type KnockOutcome,
  type ServerMessage,
} from '@parley/protocol';
import type { Logger } from '../logger.ts';
import { addressKey } from '../net/address-key.ts';
import { KeyedRateLimiter } from '../rate-limit.ts';
import type { RoomStore } from '../rooms/room-store.ts';
import type { DoorEvent, RoomBus } from './room-bus.ts';

/**
 * Lock and knock: who may enter a locked call. The lock is part of the room in the store, so
 * every instance sharing it sees the same lock, and a join is refused with `locked` in the same
 * step that would have seated it; the hub then hands the newcomer here. A parked newcomer is
 * never seated, never given credentials or the peer list, until a participant admits it,
 * denies it, or the knock times out.
 *
 * A knock lives on the instance its newcomer's connection reached (its timer, its rate limits,
 * its connection). While it waits, that instance stays on the room's bus, so answers, unlocks
 * and the room's end, wherever they happen, reach it as door events (room-bus.ts). With one
 * process the bus carries nothing and every event is handled here directly.
 */

/** A parked newcomer's connection, as the doorkeeper needs it. */
export interface KnockingSession {
  readonly ip: string;
  send(message: ServerMessage): void;
  /** Admitted: seat it now with the join it sent. */
  admitted(join: JoinMessage): void;
  refused(code: ErrorCode, message: string): void;
}

export interface DoorkeeperOptions {
  logger: Logger;
  timeoutMs: number;
  /** Where the lock is kept (shared by every instance with a shared store). */
  store: Pick<RoomStore, 'setLock' | 'get'>;
  /** Keeps the room's frames and door events coming here while a newcomer waits here. */
  bus: Pick<RoomBus, 'enter' | 'exit' | 'announce'>;
  /** Sends to every participant of a room, wherever it is connected. */
  toMembers(roomId: string, message: ServerMessage): Promise<void>;
  /** Sends to one participant of a room, wherever it is connected. */
  toPeer(roomId: string, peerId: string, message: ServerMessage): void;
  /** Knocks one address may start (per instance): a burst, then one per this many seconds. */
  knockBurstPerAddress?: number;
  secondsPerKnock?: number;
  /** Newcomers one call may keep waiting at once (per instance); one address at most `maxPendingPerAddress`. */
  maxPendingPerRoom?: number;
  maxPendingPerAddress?: number;
}

interface Knock {
  id: string;
  roomId: string;
  session: KnockingSession;
  join: JoinMessage;
  address: string;
  timer: NodeJS.Timeout;
}

export class Doorkeeper {
  /** Newcomers waiting at this instance: room → knock ID → knock. */
  private readonly doors = new Map<string, Map<string, Knock>>();
  private readonly bySession = new Map<KnockingSession, Knock>();
  private readonly pendingPerAddress = new Map<string, number>();
  private readonly limiter: KeyedRateLimiter;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly options: DoorkeeperOptions) {
    const secondsPerKnock = options.secondsPerKnock ?? 10;
    this.limiter = new KeyedRateLimiter(options.knockBurstPerAddress ?? 5, 1 / secondsPerKnock);
    this.sweepTimer = setInterval(() => this.limiter.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  isKnocking(session: KnockingSession): boolean {
    return this.bySession.has(session);
  }

  async setLock(roomId: string, locked: boolean, byName?: string): Promise<void> {
    if (!(await this.options.store.setLock(roomId, locked))) return;
    this.options.logger.info({ roomId, locked }, 'call lock changed');
    await this.options.toMembers(roomId, { type: 'lock-state', locked, ...nameField(byName) });
    if (locked) return;
    // Unlocking opens the door to everyone already waiting, as if each had been admitted.
    this.openDoor(roomId);
    this.options.bus.announce(roomId, { kind: 'opened' });
  }

  /**
   * Parks a newcomer whose join the store refused because the room is locked, or refuses it
   * when knocks come too fast.
   */
  async knock(session: KnockingSession, join: JoinMessage): Promise<void> {
    const address = addressKey(session.ip);
    const pendingHere = this.pendingPerAddress.get(address) ?? 0;
    if (
      (this.doors.get(join.roomId)?.size ?? 0) >= (this.options.maxPendingPerRoom ?? 20) ||
      pendingHere >= (this.options.maxPendingPerAddress ?? 3) ||
      !this.limiter.take(address)
    ) {
      return session.refused('knock-rate-limited', 'too many requests to join; try again later');
    }
    // Before anyone can see the knock: an answer from another instance must be able to come back.
    const entering = this.options.bus.enter(join.roomId);
    if (entering) await entering;
    const id = randomId();
    const timer = setTimeout(() => void this.end(knock, 'timed-out'), this.options.timeoutMs);
    timer.unref();
    const knock: Knock = { id, roomId: join.roomId, session, join, address, timer };
    this.doorOf(join.roomId).set(id, knock);
    this.bySession.set(session, knock);
    this.pendingPerAddress.set(address, (this.pendingPerAddress.get(address) ?? 0) + 1);
    session.send({ type: 'waiting-for-admission', timeoutMs: this.options.timeoutMs });
    // An unlock or the room's end can be announced by another instance after the join found the
    // room locked but before this knock existed to hear it: look again, now that it would hear.
    // A store that cannot answer (Redis unreachable) leaves the knock waiting: it fails closed.
    const room = await Promise.resolve(this.options.store.get(join.roomId)).then(
      (found) => ({ found }),
      () => undefined,
    );
    if (room && !room.found?.locked) return this.end(knock, room.found ? 'admitted' : 'denied');
    await this.options.toMembers(join.roomId, {
      type: 'knock',
      knockId: id,
      displayName: join.displayName,
    });
  }

  /** A participant's answer. The first one decides; later answers find nothing to do. */
  async answer(roomId: string, knockId: string, admit: boolean, byName: string): Promise<void> {
    const decided = this.decideHere(roomId, knockId, admit, byName);
    if (decided) return decided;
    // Not waiting here: the instance holding it, if any, decides (and ignores later answers).
    this.options.bus.announce(roomId, { kind: 'answer', knockId, admit, byName });
  }

  /** The newcomer gave up (left or closed its connection). */
  async cancel(session: KnockingSession): Promise<void> {
    const knock = this.bySession.get(session);
    if (knock) await this.end(knock, 'cancelled');
  }

  /**
   * What a participant who just came into a locked call should know: the lock, and who is
   * waiting, here and (through the other instances) elsewhere.
   */
  greet(roomId: string, peerId: string, send: (message: ServerMessage) => void): void {
    send({ type: 'lock-state', locked: true });
    this.showKnocks(roomId, send);
    this.options.bus.announce(roomId, { kind: 'greet', peerId });
  }

  /** The last participant left: the lock went with the room, and nobody is left to answer. */
  roomEmptied(roomId: string): void {
    this.turnAway(roomId);
    this.options.bus.announce(roomId, { kind: 'emptied' });
  }

  /** Another instance's news about a room's door. */
  onDoorEvent(roomId: string, event: DoorEvent): void {
    switch (event.kind) {
      case 'answer':
        void this.decideHere(roomId, event.knockId, event.admit, event.byName);
        return;
      case 'opened':
        return this.openDoor(roomId);
      case 'emptied':
        return this.turnAway(roomId);
      case 'greet':
        return this.showKnocks(roomId, (m) => this.options.toPeer(roomId, event.peerId, m));
    }
  }

  /**
   * Shutting down: the newcomers waiting here are about to be told to reconnect, and will knock
   * again wherever they land, so their prompts go now, while the notices can still leave (a
   * shared store is closed right after the drain). At most `withinMs`: in a Redis outage the
   * notices cannot go, and the exit must not wait for it.
   */
  async withdrawAll(withinMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
    const knocks = [...this.bySession.values()];
    await Promise.race([Promise.all(knocks.map((k) => this.end(k, 'cancelled'))), late]);
    clearTimeout(timer);
  }

  dispose(): void {
    clearInterval(this.sweepTimer);
    for (const knock of this.bySession.values()) clearTimeout(knock.timer);
  }

  /** Ends a knock waiting at this instance with the answer given; undefined if none waits here. */
  private decideHere(
    roomId: string,
    knockId: string,
    admit: boolean,
    byName: string,
  ): Promise<void> | undefined {
    const knock = this.doors.get(roomId)?.get(knockId);
    return knock && this.end(knock, admit ? 'admitted' : 'denied', byName);
  }

  private openDoor(roomId: string): void {
    for (const knock of this.knocksAt(roomId)) void this.end(knock, 'admitted');
  }

  private turnAway(roomId: string): void {
    for (const knock of this.knocksAt(roomId)) void this.end(knock, 'denied');
  }

  private showKnocks(roomId: string, send: (message: ServerMessage) => void): void {
    for (const knock of this.knocksAt(roomId))
      send({ type: 'knock', knockId: knock.id, displayName: knock.join.displayName });
  }

  private knocksAt(roomId: string): Knock[] {
    return [...(this.doors.get(roomId)?.values() ?? [])];
  }

  private async end(knock: Knock, outcome: KnockOutcome, byName?: string): Promise<void> {
    const door = this.doors.get(knock.roomId);
    if (!door?.delete(knock.id)) return; // already ended
    if (door.size === 0) this.doors.delete(knock.roomId);
    clearTimeout(knock.timer);
    this.bySession.delete(knock.session);
    const pending = (this.pendingPerAddress.get(knock.address) ?? 1) - 1;
    if (pending <= 0) this.pendingPerAddress.delete(knock.address);
    else this.pendingPerAddress.set(knock.address, pending);
    this.options.logger.info({ roomId: knock.roomId, outcome }, 'knock ended');
    if (outcome === 'admitted') knock.session.admitted(knock.join);
    else if (outcome === 'denied')
      knock.session.refused('knock-denied', 'someone in the call did not let you in');
    else if (outcome === 'timed-out')
      knock.session.refused('knock-timed-out', 'nobody in the call answered in time');
    // After `admitted`: its seating enters the room first, so the bus need not resubscribe.
    this.options.bus.exit(knock.roomId);
    await this.options.toMembers(knock.roomId, {
      type: 'knock-ended',
      knockId: knock.id,
      outcome,
      ...nameField(byName),
    });
  }

  private doorOf(roomId: string): Map<string, Knock> {
    let door = this.doors.get(roomId);
    if (!door) this.doors.set(roomId, (door = new Map()));
    return door;
  }
}

const nameField = (byName: string | undefined) => (byName === undefined ? {} : { byName });
