import { describe, expect, it } from 'vitest';
import { emptyRoom, type Room } from '../rooms/room.ts';
import { RoomCache } from './room-cache.ts';

const room = (id: string, name: string): Room => ({
  ...emptyRoom(id),
  members: [{ peerId: `${name}-id`, displayName: name, connected: true }],
});

describe('RoomCache', () => {
  it('keeps a read of a watched room until the room changes', () => {
    const cache = new RoomCache();
    cache.watch('r1');
    cache.keep('r1', room('r1', 'Ada'), cache.ticket());
    expect(cache.get('r1')?.members[0]?.displayName).toBe('Ada');
    cache.changed('r1');
    expect(cache.get('r1')).toBeUndefined();
  });

  it('keeps nothing of a room whose change notices do not reach it', () => {
    const cache = new RoomCache();
    cache.keep('r1', room('r1', 'Ada'), cache.ticket());
    expect(cache.get('r1')).toBeUndefined();
    cache.watch('r1');
    cache.keep('r1', room('r1', 'Ada'), cache.ticket());
    cache.unwatch('r1');
    expect(cache.get('r1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not keep a read that a change overtook', () => {
    const cache = new RoomCache();
    cache.watch('r1');
    const ticket = cache.ticket();
    cache.changed('r1'); // the notice arrived while the read was on its way
    cache.keep('r1', room('r1', 'Ada'), ticket);
    expect(cache.get('r1')).toBeUndefined();
    // A change to another room does not spoil this one's read.
    cache.watch('r2');
    const next = cache.ticket();
    cache.changed('r2');
    cache.keep('r1', room('r1', 'Bob'), next);
    expect(cache.get('r1')?.members[0]?.displayName).toBe('Bob');
  });

  it('keeps nothing while notices may be lost, nor any read begun before they flowed again', () => {
    const cache = new RoomCache();
    cache.watch('r1');
    cache.keep('r1', room('r1', 'Ada'), cache.ticket());
    const before = cache.ticket();
    cache.suspend();
    expect(cache.get('r1')).toBeUndefined();
    cache.keep('r1', room('r1', 'Ada'), cache.ticket());
    expect(cache.get('r1')).toBeUndefined();
    cache.resume();
    cache.keep('r1', room('r1', 'Ada'), before);
    expect(cache.get('r1')).toBeUndefined();
    cache.keep('r1', room('r1', 'Bob'), cache.ticket());
    expect(cache.get('r1')?.members[0]?.displayName).toBe('Bob');
  });

  it('forgets a room that no longer exists', () => {
    const cache = new RoomCache();
    cache.watch('r1');
    cache.keep('r1', room('r1', 'Ada'), cache.ticket());
    cache.changed('r1');
    cache.keep('r1', undefined, cache.ticket());
    expect(cache.get('r1')).toBeUndefined();
  });
});
