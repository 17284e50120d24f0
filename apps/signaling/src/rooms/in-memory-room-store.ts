import {
  admit,
  emptyRoom,
  findMember,
  markDisconnected,
  removeMember,
  withLock,
  type AdmitRequest,
  type AdmitResult,
  type Member,
  type Room,
} from './room.ts';
import type { RoomStore } from './room-store.ts';

/** The embedded default: rooms in a Map, gone when the process exits. */
export class InMemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<string, Room>();

  /** Synchronous: the relay hot path stays free of promises. */
  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  relayTarget(roomId: string, peerId: string): Member | undefined {
    const room = this.rooms.get(roomId);
    return room && findMember(room, peerId);
  }

  admit(roomId: string, request: AdmitRequest, capacity: number): Promise<AdmitResult> {
    const result = admit(this.rooms.get(roomId) ?? emptyRoom(roomId), request, capacity);
    if (result.ok) this.rooms.set(roomId, result.room);
    return Promise.resolve(result);
  }

  setLock(roomId: string, locked: boolean): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (!room || (room.locked ?? false) === locked) return Promise.resolve(false);
    this.rooms.set(roomId, withLock(room, locked));
    return Promise.resolve(true);
  }

  markDisconnected(roomId: string, peerId: string): Promise<Room | undefined> {
    const room = this.rooms.get(roomId);
    if (!room) return Promise.resolve(undefined);
    const next = markDisconnected(room, peerId);
    this.rooms.set(roomId, next);
    return Promise.resolve(next);
  }

  remove(roomId: string, peerId: string): Promise<Room | undefined> {
    const room = this.rooms.get(roomId);
    if (!room) return Promise.resolve(undefined);
    const next = removeMember(room, peerId);
    if (next.members.length === 0) {
      this.rooms.delete(roomId);
      return Promise.resolve(undefined);
    }
    this.rooms.set(roomId, next);
    return Promise.resolve(next);
  }
}
