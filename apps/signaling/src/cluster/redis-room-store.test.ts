import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { findMember } from '../rooms/room.ts';
import { startRedis, redisMissing, type RedisProcess } from '../testing/redis-process.ts';
import { clusterKeys } from './cluster-keys.ts';
import { RedisRoomStore } from './redis-room-store.ts';

/**
 * The shared store on its own, against a real redis-server: several store objects stand for
 * several instances (each with its own connection and instance ID).
 */

const missing = redisMissing();
if (missing) console.warn(`skipping Redis room store tests: ${missing}`);

const keys = clusterKeys();
let redis: RedisProcess | undefined;
const connections: Redis[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.quit()));
  await redis?.stop();
  redis = undefined;
});

async function stores(count: number): Promise<RedisRoomStore[]> {
  redis ??= await startRedis();
  return Array.from({ length: count }, (_, i) => {
    const connection = new Redis(redis!.url);
    connections.push(connection);
    return new RedisRoomStore({
      redis: connection,
      node: `node-${i}`,
      keys,
      isLive: () => true,
      endedTtlMs: 60_000,
    });
  });
}

describe.skipIf(missing !== undefined)('RedisRoomStore', () => {
  it('admits exactly capacity of many concurrent joins from several instances, names distinct', async () => {
    const all = await stores(3);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        all[i % 3]!.admit('room', { peerId: `p${i}`, displayName: 'Sam' }, 6),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(6);
    expect(results.filter((r) => !r.ok)).toEqual(Array(14).fill({ ok: false, reason: 'full' }));
    const room = await all[0]!.get('room');
    expect(room?.members).toHaveLength(6);
    expect(new Set(room?.members.map((m) => m.displayName)).size).toBe(6);
  });

  it('restores a held seat even when full, and only its owner may drop or disconnect it', async () => {
    const [a, b] = await stores(2);
    await a!.admit('room', { peerId: 'ada', displayName: 'Ada' }, 2);
    await a!.admit('room', { peerId: 'bob', displayName: 'Bob' }, 2);
    // Ada resumes through instance b: restored, not refused, and b owns her seat now.
    const resumed = await b!.admit('room', { peerId: 'ada', displayName: 'Ada' }, 2);
    expect(resumed).toMatchObject({ ok: true, restored: true });
    // a's late close and grace timer for Ada's old connection change nothing.
    expect(findMember((await a!.markDisconnected('room', 'ada'))!, 'ada')?.connected).toBe(true);
    expect(findMember((await a!.remove('room', 'ada'))!, 'ada')).toBeDefined();
    expect(await a!.seatEnded('room', 'ada')).toBe(false);
    // b may: the seat ends for every instance.
    const after = await b!.remove('room', 'ada');
    expect(after?.members.map((m) => m.peerId)).toEqual(['bob']);
    expect(await a!.seatEnded('room', 'ada')).toBe(true);
    expect(await a!.remove('room', 'bob')).toBeUndefined(); // the room empties and goes
    expect(await b!.get('room')).toBeUndefined();
  });

  it('shares the lock: a newcomer through any instance is parked, and the lock ends with the room', async () => {
    const [a, b] = await stores(2);
    await a!.admit('room', { peerId: 'ada', displayName: 'Ada' }, 6);
    expect(await b!.setLock('room', true)).toBe(true);
    expect(await a!.setLock('room', true)).toBe(false); // already locked: no second notice
    expect(await a!.admit('room', { peerId: 'cy', displayName: 'Cy' }, 6)).toEqual({
      ok: false,
      reason: 'locked',
    });
    // The lock is checked in the same compare-and-set as the seat: racing joins all knock.
    const racing = await Promise.all(
      ['d', 'e', 'f', 'g'].map((p, i) =>
        [a, b][i % 2]!.admit('room', { peerId: p, displayName: p }, 6),
      ),
    );
    expect(racing.every((r) => !r.ok && r.reason === 'locked')).toBe(true);
    const admitted = await b!.admit('room', { peerId: 'cy', displayName: 'Cy', passLock: true }, 6);
    expect(admitted).toMatchObject({ ok: true, room: { locked: true } });
    expect(await a!.setLock('room', false)).toBe(true);
    expect((await b!.get('room'))?.locked).toBeUndefined();
    expect(await b!.setLock('room', true)).toBe(true);
    await a!.remove('room', 'ada');
    await b!.remove('room', 'cy');
    // Empty: the room and its lock are gone, and a room that does not exist cannot be locked.
    expect(await a!.get('room')).toBeUndefined();
    expect(await a!.setLock('room', true)).toBe(false);
    expect(await a!.admit('room', { peerId: 'hal', displayName: 'Hal' }, 6)).toMatchObject({
      ok: true,
    });
  });

  it('locks a room written back after a data loss if its instance last saw it locked', async () => {
    const [a, b] = await stores(2);
    await a!.admit('room', { peerId: 'ada', displayName: 'Ada', startLocked: true }, 6);
    await b!.admit('room', { peerId: 'bob', displayName: 'Bob', passLock: true }, 6);
    await connections[0]!.flushall(); // Redis restarted empty
    expect(await b!.rewriteOwnedSeats()).toBe(1);
    expect(await a!.rewriteOwnedSeats()).toBe(1);
    expect(await a!.get('room')).toMatchObject({ locked: true, members: [{}, {}] });
    expect(await a!.admit('room', { peerId: 'cy', displayName: 'Cy' }, 6)).toMatchObject({
      reason: 'locked',
    });
  });

  it('releases the seats a lost instance still owns, and writes its own back after a data loss', async () => {
    const [a, b] = await stores(2);
    await a!.admit('room', { peerId: 'ada', displayName: 'Ada' }, 6);
    await b!.admit('room', { peerId: 'bob', displayName: 'Bob' }, 6);
    await b!.admit('room', { peerId: 'cy', displayName: 'Cy' }, 6);
    expect(await a!.releaseSeatsOf('room', 'node-1')).toMatchObject({
      removed: ['bob', 'cy'],
      room: { members: [{ peerId: 'ada' }] },
    });
    await connections[0]!.flushall(); // Redis restarted empty
    expect(await a!.rewriteOwnedSeats()).toBe(1);
    expect((await b!.get('room'))?.members).toEqual([
      { peerId: 'ada', displayName: 'Ada', connected: true },
    ]);
  });
});
