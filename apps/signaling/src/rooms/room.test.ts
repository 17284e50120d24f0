import { describe, expect, it } from 'vitest';
import {
  admit,
  emptyRoom,
  findMember,
  isPolite,
  markDisconnected,
  peersSeenBy,
  removeMember,
  withLock,
  type Room,
} from './room.ts';

const A = 'AAAAAAAAAAAAAAAAAAAAAA';
const B = 'BBBBBBBBBBBBBBBBBBBBBB';
const C = 'CCCCCCCCCCCCCCCCCCCCCC';

function seat(room: Room, peerId: string, capacity = 6): Room {
  const result = admit(room, { peerId, displayName: peerId.slice(0, 1) }, capacity);
  if (!result.ok) throw new Error('expected a seat');
  return result.room;
}

describe('room logic', () => {
  it('seats new members in order and reports them as new', () => {
    const first = admit(emptyRoom('r'), { peerId: A, displayName: 'Ada' }, 6);
    expect(first).toMatchObject({
      ok: true,
      restored: false,
      member: { peerId: A, connected: true },
    });
    const room = seat(seat(emptyRoom('r'), A), B);
    expect(room.members.map((m) => m.peerId)).toEqual([A, B]);
  });

  it('refuses a new member once the room is at capacity', () => {
    const room = seat(seat(emptyRoom('r'), A, 2), B, 2);
    expect(admit(room, { peerId: C, displayName: 'C' }, 2)).toEqual({ ok: false, reason: 'full' });
  });

  it('parks newcomers at a locked room, but not a seat coming back or a knock let in', () => {
    const room = withLock(seat(emptyRoom('r'), A, 2), true);
    expect(admit(room, { peerId: B, displayName: 'B' }, 2)).toEqual({
      ok: false,
      reason: 'locked',
    });
    // Locked comes before full: the newcomer knocks, and capacity is checked when admitted.
    const full = withLock(seat(seat(emptyRoom('r'), A, 2), B, 2), true);
    expect(admit(full, { peerId: C, displayName: 'C' }, 2)).toMatchObject({ reason: 'locked' });
    expect(admit(full, { peerId: C, displayName: 'C', passLock: true }, 2)).toMatchObject({
      reason: 'full',
    });
    expect(admit(full, { peerId: A, displayName: 'A' }, 2)).toMatchObject({
      ok: true,
      restored: true,
      room: { locked: true },
    });
    const admitted = admit(room, { peerId: B, displayName: 'B', passLock: true }, 2);
    expect(admitted).toMatchObject({ ok: true, room: { locked: true } });
    expect(withLock(room, false)).toEqual({ id: 'r', members: room.members });
  });

  it('starts a room locked only when that seat creates it', () => {
    const first = admit(emptyRoom('r'), { peerId: A, displayName: 'A', startLocked: true }, 6);
    expect(first).toMatchObject({ ok: true, room: { locked: true } });
    const late = admit(
      seat(emptyRoom('r'), A),
      { peerId: B, displayName: 'B', startLocked: true },
      6,
    );
    expect(late.ok && late.room.locked).toBeFalsy();
  });

  it('lets a disconnected member take its seat back even when the room is full', () => {
    let room = seat(seat(emptyRoom('r'), A, 2), B, 2);
    room = markDisconnected(room, A);
    expect(findMember(room, A)?.connected).toBe(false);
    const result = admit(room, { peerId: A, displayName: 'Ada again' }, 2);
    expect(result).toMatchObject({
      ok: true,
      restored: true,
      member: { displayName: 'Ada again', connected: true },
    });
    if (result.ok) expect(result.room.members).toHaveLength(2);
  });

  it('frees a seat on removal', () => {
    const room = removeMember(seat(seat(emptyRoom('r'), A, 2), B, 2), A);
    expect(room.members.map((m) => m.peerId)).toEqual([B]);
    expect(admit(room, { peerId: C, displayName: 'C' }, 2).ok).toBe(true);
  });

  it('gives exactly one polite side per pair, agreed by both', () => {
    for (const [x, y] of [
      [A, B],
      [B, C],
      [A, C],
    ] as const) {
      expect(isPolite(x, y)).not.toBe(isPolite(y, x));
    }
    const room = seat(seat(seat(emptyRoom('r'), A), B), C);
    const seenByB = peersSeenBy(room, B);
    expect(seenByB.map((p) => p.id)).toEqual([A, C]);
    for (const peer of seenByB) {
      const mirror = peersSeenBy(room, peer.id).find((p) => p.id === B);
      expect(mirror?.polite).toBe(!peer.polite);
    }
  });

  it('never mutates its input', () => {
    const room = Object.freeze({ id: 'r', members: Object.freeze([]) }) as Room;
    expect(() => seat(room, A)).not.toThrow();
    expect(room.members).toHaveLength(0);
  });
});
