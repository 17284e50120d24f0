import type { Member, Room } from '../rooms/room.ts';

/**
 * A room as one Redis string: the members in join order, each with the instance that holds its
 * connection (its owner). One value per room means one compare-and-set makes any change atomic.
 *
 *   {"m":[["peerId","Display name",1,"owner-instance"], ...]}
 */
type StoredMember = [peerId: string, displayName: string, connected: 0 | 1, owner: string];

export type OwnedRoom = { room: Room; owners: ReadonlyMap<string, string> };

export function decodeRoom(roomId: string, text: string | null): OwnedRoom | undefined {
  if (!text) return undefined;
  const stored = (JSON.parse(text) as { m: StoredMember[] }).m;
  const owners = new Map<string, string>();
  const members: Member[] = stored.map(([peerId, displayName, connected, owner]) => {
    owners.set(peerId, owner);
    return { peerId, displayName, connected: connected === 1 };
  });
  return { room: { id: roomId, members }, owners };
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
  return JSON.stringify({ m });
}
