import type { Room } from '../rooms/room.ts';

/**
 * This instance's copy of the rooms it holds participants of, so that a relayed signal needs no
 * Redis read. Without it every signal waited for a GET: with Redis on, a relay inside one
 * instance cost three times the in-memory CPU and its p99 rose from 2.6 to 14 ms (bench 9).
 *
 * The copy is kept true by invalidation, not by time. Every write of a room (the store's
 * compare-and-set script) publishes "changed" on the room's bus channel, and the copy is
 * dropped when that notice arrives. So a copy is kept only while those notices are sure to reach
 * this instance: the room's channel is subscribed (`watch`), and the subscriber connection has
 * not dropped since (`suspend` … `resume`); a notice published while it was down is lost.
 *
 * A read that raced a change must not be kept: each read takes a `ticket` first, and any change
 * to the room, or a suspension, after that ticket makes the read too old to keep.
 */
export class RoomCache {
  /** Counts events (changes, watches, suspensions); a ticket is its value when a read began. */
  private clock = 0;
  /** Rooms whose change notices reach this instance → the tick of their last change. */
  private readonly watched = new Map<string, number>();
  private readonly rooms = new Map<string, Room>();
  private suspended = false;
  /** The tick of the last suspension: reads begun before it are not kept. */
  private suspendedAt = 0;

  /** The copy of a room, when one is held and may be trusted. */
  get(roomId: string): Room | undefined {
    return this.suspended ? undefined : this.rooms.get(roomId);
  }

  /** Taken before a read of the room from Redis; hand it to `keep` with what the read found. */
  ticket(): number {
    return this.clock;
  }

  /** Keeps what a read found, unless the room changed (or was left) since its ticket. */
  keep(roomId: string, room: Room | undefined, ticket: number): void {
    const lastChange = this.watched.get(roomId);
    if (this.suspended || lastChange === undefined || lastChange > ticket) return;
    if (ticket < this.suspendedAt) return;
    if (room) this.rooms.set(roomId, room);
    else this.rooms.delete(roomId);
  }

  /** The room was written (here or by any instance): the copy is stale. */
  changed(roomId: string): void {
    if (!this.watched.has(roomId)) return;
    this.watched.set(roomId, ++this.clock);
    this.rooms.delete(roomId);
  }

  /** This instance now hears the room's change notices (its channel is subscribed). */
  watch(roomId: string): void {
    this.watched.set(roomId, ++this.clock);
    this.rooms.delete(roomId);
  }

  /** It no longer does (it unsubscribes): nothing about the room may be kept. */
  unwatch(roomId: string): void {
    this.watched.delete(roomId);
    this.rooms.delete(roomId);
  }

  /** Notices may be lost from now on (the subscriber connection dropped): keep nothing. */
  suspend(): void {
    this.suspended = true;
    this.suspendedAt = ++this.clock;
    this.rooms.clear();
  }

  /** Every watched room's channel is subscribed again: notices flow, copies may be kept. */
  resume(): void {
    this.suspended = false;
    this.suspendedAt = ++this.clock;
  }

  /** Rooms held, for tests and metrics. */
  get size(): number {
    return this.rooms.size;
  }
}
