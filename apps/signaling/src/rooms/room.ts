import { distinctDisplayName, type PeerInfo } from '@parley/protocol';

/**
 * Pure room logic: plain immutable values in, new values out. No sockets, no timers, so every
 * rule (capacity, restore, politeness) is unit-tested directly.
 */

export type Member = Readonly<{
  peerId: string;
  displayName: string;
  /** False while the member's socket is gone but its seat is held for a resume. */
  connected: boolean;
}>;

export type Room = Readonly<{
  id: string;
  members: readonly Member[];
  /**
   * Newcomers must knock (hub/doorkeeper.ts). Part of the room, so that every store checks it
   * in the same step as it seats someone, and so that it goes when the room empties.
   */
  locked?: boolean;
}>;

export type AdmitRequest = Readonly<{
  peerId: string;
  displayName: string;
  /** Seat it even in a locked room: a resume of its own seat, or a knock someone admitted. */
  passLock?: boolean;
  /** Lock the room at once if this seat creates it (the lobby's "start locked"). */
  startLocked?: boolean;
}>;

export type AdmitResult =
  | {
      ok: true;
      room: Room;
      member: Member;
      restored: boolean;
      /** The seat as it was before a restore: its name, and whether its old socket was live. */
      previous?: Member;
    }
  | { ok: false; reason: 'full' | 'locked' };

export function emptyRoom(id: string): Room {
  return { id, members: [] };
}

export function findMember(room: Room, peerId: string): Member | undefined {
  return room.members.find((m) => m.peerId === peerId);
}

/**
 * Seats a participant. A peer ID that already holds a seat (a resume) takes it back even when
 * the room is at capacity or locked, because the seat was never given up. The name is told apart from
 * the others' ("Sam (2)") and from the reserved ones, here, where the room is read and written
 * in one step, so two namesakes joining at once still end up distinct.
 */
export function admit(room: Room, request: AdmitRequest, capacity: number): AdmitResult {
  const others = room.members.filter((m) => m.peerId !== request.peerId);
  const member: Member = {
    peerId: request.peerId,
    displayName: distinctDisplayName(
      request.displayName,
      others.map((m) => m.displayName),
    ),
    connected: true,
  };
  const previous = findMember(room, request.peerId);
  if (previous) {
    return {
      ok: true,
      member,
      previous,
      restored: true,
      room: {
        ...room,
        members: room.members.map((m) => (m.peerId === request.peerId ? member : m)),
      },
    };
  }
  // A locked room parks a newcomer before it is told the room is full: capacity is checked
  // again when someone admits it.
  if (room.locked && !request.passLock) return { ok: false, reason: 'locked' };
  if (room.members.length >= capacity) return { ok: false, reason: 'full' };
  const locked = room.locked || (request.startLocked && room.members.length === 0);
  return {
    ok: true,
    member,
    restored: false,
    room: { ...room, members: [...room.members, member], ...(locked ? { locked } : {}) },
  };
}

/** The room with its lock set or lifted (an unlocked room carries no flag). */
export function withLock(room: Room, locked: boolean): Room {
  const { locked: _was, ...rest } = room;
  return locked ? { ...rest, locked } : rest;
}

export function markDisconnected(room: Room, peerId: string): Room {
  return {
    ...room,
    members: room.members.map((m) => (m.peerId === peerId ? { ...m, connected: false } : m)),
  };
}

export function removeMember(room: Room, peerId: string): Room {
  return { ...room, members: room.members.filter((m) => m.peerId !== peerId) };
}

/**
 * Perfect negotiation needs exactly one polite side per pair. Deriving it from the two IDs
 * (the smaller one is polite) means both sides agree without the server remembering anything,
 * so the roles survive a server restart when participants resume with their old IDs.
 */
export function isPolite(selfId: string, otherId: string): boolean {
  return selfId < otherId;
}

/** The other members as `selfId` should see them. */
export function peersSeenBy(room: Room, selfId: string): PeerInfo[] {
  return room.members
    .filter((m) => m.peerId !== selfId)
    .map((m) => ({ id: m.peerId, displayName: m.displayName, polite: isPolite(selfId, m.peerId) }));
}
