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

/**
 * Lock and knock: who may enter a locked call. The hub asks `mustKnock` before seating a
 * newcomer; a newcomer to a locked call is parked here (never seated, never given credentials
 * or the peer list) until a participant admits it, denies it, or the knock times out.
 *
 * State lives in this process, like the in-memory room store: a lock ends when its call
 * empties, and with a shared store each instance would keep its own (see docs/signaling.md).
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
  /** Sends to every participant of a room currently connected to this instance. */
  toMembers(roomId: string, message: ServerMessage): Promise<void>;
  /** Knocks one address may start: a burst, then one per this many seconds. */
  knockBurstPerAddress?: number;
  secondsPerKnock?: number;
  /** Newcomers one call may keep waiting at once; one address at most `maxPendingPerAddress`. */
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

interface Door {
  locked: boolean;
  knocks: Map<string, Knock>;
}

export class Doorkeeper {
  private readonly doors = new Map<string, Door>();
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

  isLocked(roomId: string): boolean {
    return this.doors.get(roomId)?.locked ?? false;
  }

  isKnocking(session: KnockingSession): boolean {
    return this.bySession.has(session);
  }

  async setLock(roomId: string, locked: boolean, byName?: string): Promise<void> {
    const door = this.doorOf(roomId);
    if (door.locked === locked) return;
    door.locked = locked;
    this.options.logger.info({ roomId, locked }, 'call lock changed');
    await this.options.toMembers(roomId, { type: 'lock-state', locked, ...nameField(byName) });
    // Unlocking opens the door to everyone already waiting, as if each had been admitted.
    if (!locked) for (const knock of [...door.knocks.values()]) void this.end(knock, 'admitted');
    this.forgetIfIdle(roomId);
  }

  /** Parks a newcomer's join to a locked call, or refuses it when knocks come too fast. */
  async knock(session: KnockingSession, join: JoinMessage): Promise<void> {
    const address = addressKey(session.ip);
    const door = this.doorOf(join.roomId);
    const pendingHere = this.pendingPerAddress.get(address) ?? 0;
    if (
      door.knocks.size >= (this.options.maxPendingPerRoom ?? 20) ||
      pendingHere >= (this.options.maxPendingPerAddress ?? 3) ||
      !this.limiter.take(address)
    ) {
      return session.refused('knock-rate-limited', 'too many requests to join; try again later');
    }
    const id = randomId();
    const timer = setTimeout(() => void this.end(knock, 'timed-out'), this.options.timeoutMs);
    timer.unref();
    const knock: Knock = { id, roomId: join.roomId, session, join, address, timer };
    door.knocks.set(id, knock);
    this.bySession.set(session, knock);
    this.pendingPerAddress.set(address, pendingHere + 1);
    session.send({ type: 'waiting-for-admission', timeoutMs: this.options.timeoutMs });
    await this.options.toMembers(join.roomId, {
      type: 'knock',
      knockId: id,
      displayName: join.displayName,
    });
  }

  /** A participant's answer. The first one decides; later answers find nothing to do. */
  async answer(roomId: string, knockId: string, admit: boolean, byName: string): Promise<void> {
    const knock = this.doors.get(roomId)?.knocks.get(knockId);
    if (knock) await this.end(knock, admit ? 'admitted' : 'denied', byName);
  }

  /** The newcomer gave up (left or closed its connection). */
  async cancel(session: KnockingSession): Promise<void> {
    const knock = this.bySession.get(session);
    if (knock) await this.end(knock, 'cancelled');
  }

  /** What a participant who just came in should know: the lock, and who is waiting. */
  greet(roomId: string, send: (message: ServerMessage) => void): void {
    const door = this.doors.get(roomId);
    if (!door?.locked) return;
    send({ type: 'lock-state', locked: true });
    for (const knock of door.knocks.values())
      send({ type: 'knock', knockId: knock.id, displayName: knock.join.displayName });
  }

  /** The last participant left: the lock goes, and nobody is left to answer who waits. */
  roomEmptied(roomId: string): void {
    const door = this.doors.get(roomId);
    if (!door) return;
    for (const knock of [...door.knocks.values()]) void this.end(knock, 'denied');
    this.doors.delete(roomId);
  }

  dispose(): void {
    clearInterval(this.sweepTimer);
    for (const knock of this.bySession.values()) clearTimeout(knock.timer);
  }

  private async end(knock: Knock, outcome: KnockOutcome, byName?: string): Promise<void> {
    const door = this.doors.get(knock.roomId);
    if (!door?.knocks.delete(knock.id)) return; // already ended
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
    this.forgetIfIdle(knock.roomId);
    await this.options.toMembers(knock.roomId, {
      type: 'knock-ended',
      knockId: knock.id,
      outcome,
      ...nameField(byName),
    });
  }

  private doorOf(roomId: string): Door {
    let door = this.doors.get(roomId);
    if (!door) {
      door = { locked: false, knocks: new Map() };
      this.doors.set(roomId, door);
    }
    return door;
  }

  private forgetIfIdle(roomId: string): void {
    const door = this.doors.get(roomId);
    if (door && !door.locked && door.knocks.size === 0) this.doors.delete(roomId);
  }
}

const nameField = (byName: string | undefined) => (byName === undefined ? {} : { byName });
