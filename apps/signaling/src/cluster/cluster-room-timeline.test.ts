import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { startRedis, redisMissing, type RedisProcess } from '../testing/redis-process.ts';
import type { WebhookEvent } from '../webhooks/events.ts';
import { clusterKeys } from './cluster-keys.ts';
import { ClusterRoomTimeline } from './cluster-room-timeline.ts';

/**
 * The shared webhook stream on its own, against a real redis-server: several timelines, each
 * with its own connection, stand for several instances, all emitting into one list (what the
 * receiver would get from all of them).
 */

const missing = redisMissing();
if (missing) console.warn(`skipping shared webhook timeline tests: ${missing}`);

let redis: RedisProcess | undefined;
const connections: Redis[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.quit()));
  await redis?.stop();
  redis = undefined;
});

async function instances(count: number) {
  redis ??= await startRedis();
  const events: WebhookEvent[] = [];
  const waiters: Array<() => void> = [];
  const emit = (event: WebhookEvent) => {
    events.push(event);
    for (const w of waiters.splice(0)) w();
  };
  /** Resolves once `n` events in all have been emitted. */
  const emitted = async (n: number) => {
    while (events.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    return events;
  };
  const timelines = Array.from({ length: count }, () => {
    const connection = new Redis(redis!.url);
    connections.push(connection);
    return new ClusterRoomTimeline(connection, clusterKeys(), emit, createLogger('silent'));
  });
  return { timelines, events, emitted };
}

const summary = (events: WebhookEvent[]) =>
  events.map((e) => [
    e.type,
    e.data.sequence,
    e.data.participant.name,
    e.data.participantCount,
    e.data.reason,
  ]);

describe.skipIf(missing !== undefined)('ClusterRoomTimeline', () => {
  it('one stream per room across instances; a resume elsewhere and a second release send nothing', async () => {
    const { timelines, emitted } = await instances(2);
    const [a, b] = timelines as [ClusterRoomTimeline, ClusterRoomTimeline];
    a.joined('room', 'ada', 'Ada');
    await emitted(2);
    b.joined('room', 'bob', 'Bob');
    await emitted(3);
    // Ada resumes on b (b's hub reports no join for a restored seat, but a repeated one is harmless).
    b.joined('room', 'ada', 'Ada');
    // Both instances try to announce Ada's end (say, two releases raced): one event.
    a.left('room', 'ada', 'timeout');
    b.left('room', 'ada', 'timeout');
    b.left('room', 'bob', 'left');
    const events = await emitted(6);
    // Later events on both connections: anything more from the calls above came before them.
    a.joined('other', 'cy', 'Cy');
    b.joined('other2', 'dan', 'Dan');
    await emitted(10);
    // Two instances emit independently, so arrival order may differ: receivers sort by sequence.
    const room = events
      .filter((e) => e.data.roomId === 'room')
      .sort((x, y) => x.data.sequence - y.data.sequence);
    expect(summary(room)).toEqual([
      ['room.started', 1, 'Ada', 1, undefined],
      ['participant.joined', 2, 'Ada', 1, undefined],
      ['participant.joined', 3, 'Bob', 2, undefined],
      ['participant.left', 4, 'Ada', 1, 'timeout'],
      ['participant.left', 5, 'Bob', 0, 'left'],
      ['room.finished', 6, 'Bob', 0, undefined],
    ]);
    expect(new Set(room.map((e) => e.data.roomSessionId)).size).toBe(1);
  });

  it('a room that ends and starts again gets a new session, numbered from 1', async () => {
    const { timelines, emitted } = await instances(2);
    const [a, b] = timelines as [ClusterRoomTimeline, ClusterRoomTimeline];
    a.joined('room', 'ada', 'Ada');
    await emitted(2);
    b.left('room', 'ada', 'left');
    await emitted(4);
    b.joined('room', 'bob', 'Bob');
    const events = await emitted(6);
    expect(summary(events.slice(4))).toEqual([
      ['room.started', 1, 'Bob', 1, undefined],
      ['participant.joined', 2, 'Bob', 1, undefined],
    ]);
    expect(events[4]?.data.roomSessionId).not.toBe(events[0]?.data.roomSessionId);
  });
});
