import {
  newEventId,
  newRoomSessionId,
  type EventData,
  type EventType,
  type WebhookEvent,
} from './events.ts';
import type { LeaveReason, RoomLifecycleListener } from './lifecycle.ts';

/** A room as the event stream has described it so far; persisted in outbox snapshots. */
export interface RoomSnapshot {
  roomId: string;
  roomSessionId: string;
  sequence: number;
  members: Array<{ id: string; name: string }>;
}

interface LiveRoom {
  roomSessionId: string;
  sequence: number;
  members: Map<string, string>;
}

/**
 * Turns the hub's seat changes into lifecycle events with per-room sequence numbers. It keeps
 * its own view of who is in which room, built only from the events it produced, so that:
 * - a seat change the stream already reflects produces nothing (a participant who resumes on
 *   a restarted instance is "joined" by the hub again, but not by the stream);
 * - the participant count in each event agrees with the events before it;
 * - after a restart the view comes back from the outbox (see `restore`).
 */
export class RoomTimeline implements RoomLifecycleListener {
  private readonly rooms = new Map<string, LiveRoom>();
  /** Members restored from before a restart that have not come back yet: `room\npeer`. */
  private readonly unconfirmed = new Set<string>();
  private orphanTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: (event: WebhookEvent) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  joined(roomId: string, peerId: string, displayName: string): void {
    const existing = this.rooms.get(roomId);
    if (existing?.members.has(peerId)) {
      this.unconfirmed.delete(`${roomId}\n${peerId}`);
      return;
    }
    const room = existing ?? { roomSessionId: newRoomSessionId(), sequence: 0, members: new Map() };
    if (!existing) this.rooms.set(roomId, room);
    room.members.set(peerId, displayName);
    if (!existing) this.push(roomId, room, 'room.started', peerId, displayName);
    this.push(roomId, room, 'participant.joined', peerId, displayName);
  }

  left(roomId: string, peerId: string, reason: LeaveReason): void {
    const room = this.rooms.get(roomId);
    const name = room?.members.get(peerId);
    if (!room || name === undefined) return; // never announced, or already gone
    room.members.delete(peerId);
    this.unconfirmed.delete(`${roomId}\n${peerId}`);
    this.push(roomId, room, 'participant.left', peerId, name, reason);
    if (room.members.size === 0) {
      this.push(roomId, room, 'room.finished', peerId, name);
      this.rooms.delete(roomId);
    }
  }

  /** The view to persist, for outbox compaction. */
  snapshot(): RoomSnapshot[] {
    return [...this.rooms].map(([roomId, room]) => ({
      roomId,
      roomSessionId: room.roomSessionId,
      sequence: room.sequence,
      members: [...room.members].map(([id, name]) => ({ id, name })),
    }));
  }

  /** Rebuilds the view at start-up from a snapshot; replay later events with `apply`. */
  restore(rooms: readonly RoomSnapshot[]): void {
    for (const r of rooms) {
      this.rooms.set(r.roomId, {
        roomSessionId: r.roomSessionId,
        sequence: r.sequence,
        members: new Map(r.members.map((m) => [m.id, m.name])),
      });
    }
  }

  /** Replays an event read back from the outbox. */
  apply(event: WebhookEvent): void {
    const { roomId, roomSessionId, sequence, participant } = event.data;
    let room = this.rooms.get(roomId);
    if (!room || room.roomSessionId !== roomSessionId) {
      room = { roomSessionId, sequence, members: new Map() };
      this.rooms.set(roomId, room);
    }
    room.sequence = Math.max(room.sequence, sequence);
    if (event.type === 'participant.joined') room.members.set(participant.id, participant.name);
    if (event.type === 'participant.left') room.members.delete(participant.id);
    if (event.type === 'room.finished') this.rooms.delete(roomId);
  }

  /**
   * After a restart, everyone the stream still counts as present gets `graceMs` to resume
   * (their clients reconnect by themselves); whoever does not is announced as left by timeout,
   * exactly as a dropped connection would be. Without this a room could never finish.
   */
  expireUnconfirmedAfter(graceMs: number): void {
    for (const [roomId, room] of this.rooms) {
      for (const peerId of room.members.keys()) this.unconfirmed.add(`${roomId}\n${peerId}`);
    }
    if (this.unconfirmed.size === 0) return;
    this.orphanTimer = setTimeout(() => {
      for (const key of [...this.unconfirmed]) {
        const [roomId, peerId] = key.split('\n') as [string, string];
        this.left(roomId, peerId, 'timeout');
      }
    }, graceMs);
    this.orphanTimer.unref();
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  dispose(): void {
    clearTimeout(this.orphanTimer);
  }

  private push(
    roomId: string,
    room: LiveRoom,
    type: EventType,
    peerId: string,
    name: string,
    reason?: LeaveReason,
  ): void {
    room.sequence += 1;
    const data: EventData = {
      roomId,
      roomSessionId: room.roomSessionId,
      sequence: room.sequence,
      participant: { id: peerId, name },
      participantCount: room.members.size,
      ...(reason ? { reason } : {}),
    };
    this.emit({ id: newEventId(), type, timestamp: this.now().toISOString(), data });
  }
}
