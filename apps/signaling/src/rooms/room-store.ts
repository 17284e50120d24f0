import type { AdmitRequest, AdmitResult, Member, Room } from './room.ts';

/**
 * Where rooms live. The hub only talks to this interface and awaits every call, so a shared
 * store (e.g. Redis, for several signalling instances) can replace the in-memory one without
 * touching the hub or the WebSocket transport.
 */
export interface RoomStore {
  /**
   * The room as it is now. A store that has the room at hand may return it directly: the hub
   * then answers without a promise hop, and later frames need not wait for one.
   */
  get(roomId: string): Room | undefined | Promise<Room | undefined>;
  /**
   * The member a relayed signal is for, read on every one. It may come from a copy that is a
   * moment behind a change made on another instance, but a target missing from the copy must be
   * looked up afresh before the store answers undefined (someone who has just joined). Returns
   * directly when it can, like `get`.
   */
  relayTarget(roomId: string, peerId: string): Member | undefined | Promise<Member | undefined>;
  /** Seats someone, atomically with the capacity and lock checks (`reason: 'locked'`: knock). */
  admit(roomId: string, request: AdmitRequest, capacity: number): Promise<AdmitResult>;
  /**
   * Locks or unlocks a room for newcomers. True when this changed it; false when it already was
   * so, or the room does not exist (nobody is in it, so there is nothing to lock).
   */
  setLock(roomId: string, locked: boolean): Promise<boolean>;
  markDisconnected(roomId: string, peerId: string): Promise<Room | undefined>;
  /**
   * Returns the room as it is after the removal (empty rooms are dropped and return undefined).
   * A shared store may refuse to remove a seat another instance holds live (it resumed there):
   * the room it returns then still has the member.
   */
  remove(roomId: string, peerId: string): Promise<Room | undefined>;
  /**
   * Whether this seat was given up for good anywhere (a shared store: on any instance). The hub
   * keeps its own record of seats that ended on this instance, so a store of one process need
   * not implement it.
   */
  seatEnded?(roomId: string, peerId: string): Promise<boolean>;
}
