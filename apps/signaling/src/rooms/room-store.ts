import type { AdmitRequest, AdmitResult, Room } from './room.ts';

/**
 * Where rooms live. The hub only talks to this interface and awaits every call, so a shared
 * store (e.g. Redis, for several signalling instances) can replace the in-memory one without
 * touching the hub or the WebSocket transport.
 */
export interface RoomStore {
  /**
   * Read on every relayed signal. A store that has the room at hand may return it directly:
   * the hub then relays without a promise hop, and later frames need not wait for one.
   */
  get(roomId: string): Room | undefined | Promise<Room | undefined>;
  admit(roomId: string, request: AdmitRequest, capacity: number): Promise<AdmitResult>;
  markDisconnected(roomId: string, peerId: string): Promise<Room | undefined>;
  /** Returns the room as it is after the removal (empty rooms are dropped and return undefined). */
  remove(roomId: string, peerId: string): Promise<Room | undefined>;
}
