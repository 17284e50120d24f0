import type { Member, Room } from '../rooms/room.ts';

/**
 * A room as one Redis string: the members in join order, each with the instance that holds its
 * connection (its owner), and `"l":1` while the room is locked. One value per room means one
 * compare-and-set makes any change atomic, a join's lock check included, and the lock goes
 * with the key when the room empties.
 *
 *   {"m":[["peerId","Display name",1,"owner-instance"], ...],"l":1}
 */
type StoredMember = [peerId: string, displayName: string, connected: 0 | 1, owner: string];

type StoredRoom = { m: StoredMember[]; l?: 1 };

export type OwnedRoom = { room: Room; owners: ReadonlyMap<string, string> };

export function decodeRoom(roomId: string, text: string | null): OwnedRoom | undefined {
  if (!text) return undefined;
  const { m: stored, l: locked } = JSON.parse(text) as StoredRoom;
  const owners = new Map<string, string>();
  const members: Member[] = stored.map(([peerId, displayName, connected, owner]) => {
    owners.set(peerId, owner);
    return { peerId, displayName, connected: connected === 1 };
  });
  const room: Room = { id: roomId, members, ...(locked === 1 ? { locked: true } : {}) };
  return { room, owners };
}

/** Members without an owner in `owners` are given `defaultOwner` (the instance writing). */
export function encodeRoom(
  room: Room,
  owners: ReadonlyMap<string, string>,
  defaultOwner: string,
): string {
  const m: StoredMember[] = room.members.map((member) => [
    member.peerId,
    member.displayName,
    member.connected ? 1 : 0,
    owners.get(member.peerId) ?? defaultOwner,
  ]);
  return JSON.stringify(room.locked ? { m, l: 1 } : { m });
}
