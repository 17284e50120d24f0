import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoomId } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { useCluster, type Instance } from '../testing/cluster-fixture.ts';
import { redisMissing } from '../testing/redis-process.ts';
import type { WebhookEvent } from '../webhooks/events.ts';
import { TestReceiver, testSecret } from '../webhooks/test-receiver.ts';

/**
 * Webhooks with scale-out: a room's events form one stream whichever instance holds each seat.
 * Real redis-server, three real server processes, one real receiver checking every signature.
 * The case the issue names: the seats of a SIGKILLed instance that nobody resumes are released
 * by another instance after the lease and the grace, and that instance, only that one, sends
 * their `participant.left` (and `room.finished` when the room empties).
 */

const missing = redisMissing();
if (missing) console.warn(`skipping cross-instance webhook tests: ${missing}`);

/** Three server processes under tsx on a shared 2-core machine, then lease (5 s) + grace. */
const TEST_BUDGET_MS = 150_000;
const RESUME_GRACE_MS = 3000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const summary = (events: WebhookEvent[]) =>
  events.map((e) => [
    e.type,
    e.data.sequence,
    e.data.participant.name,
    e.data.participantCount,
    e.data.reason,
  ]);

describe.skipIf(missing !== undefined)(
  'webhooks across instances',
  { timeout: TEST_BUDGET_MS },
  () => {
    const cluster = useCluster();

    it('a lost instance’s unresumed seats get participant.left (and room.finished) exactly once, from the releasing instance; a resume elsewhere sends nothing', async () => {
      const receiver = await TestReceiver.start();
      cleanups.push(() => receiver.close());
      const secret = testSecret();
      const instance = async () => {
        const dataDir = await mkdtemp(join(tmpdir(), 'parley-cluster-webhooks-'));
        cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
        return cluster.instance({
          WEBHOOK_URLS: receiver.url(),
          WEBHOOK_SECRET: secret,
          WEBHOOK_ALLOW_PRIVATE: 'true',
          DATA_DIR: dataDir,
          RESUME_GRACE_MS: String(RESUME_GRACE_MS),
        });
      };
      await cluster.redis();
      const [doomed, left, right] = (await Promise.all([instance(), instance(), instance()])) as [
        Instance,
        Instance,
        Instance,
      ];
      // Every acknowledged request, its signature verified (throws on the first bad one).
      const events = () =>
        receiver.requests
          .filter((r) => r.status === 204)
          .map((r) => TestReceiver.verify(secret, r));
      const eventsOf = (room: string) => events().filter((e) => e.data.roomId === room);
      const until = (room: string, count: number) =>
        receiver.until(() => eventsOf(room).length >= count && eventsOf(room));

      // Room 1: Bob on `left`, Dan on `right`, Ada and Cy on the instance that will die.
      // Room 2: only Eve, on the instance that will die.
      const room = createRoomId();
      const lonely = createRoomId();
      const bob = await cluster.client(left);
      await bob.join(room, 'Bob');
      const dan = await cluster.client(right);
      await dan.join(room, 'Dan');
      const ada = await cluster.client(doomed);
      const adaJoined = await ada.join(room, 'Ada');
      const cy = await cluster.client(doomed);
      const cyJoined = await cy.join(room, 'Cy');
      const eve = await cluster.client(doomed);
      await eve.join(lonely, 'Eve');
      await until(room, 5);
      await until(lonely, 2);

      doomed.kill();
      await ada.closed;
      // Ada's app reconnects to another instance and resumes: a resume sends no event.
      const adaAgain = await cluster.client(left);
      await adaAgain.join(room, 'Ada', { peerId: adaJoined.selfId, token: adaJoined.resumeToken });
      // Cy and Eve never come back: after the lease and the grace one survivor releases them.
      await bob.next('peer-left', (m) => m.peerId === cyJoined.selfId);
      await until(lonely, 4);
      await until(room, 6);

      // Later events from both survivors: each instance delivers a room's events in order, so a
      // duplicate left sent by either survivor would have arrived before these.
      adaAgain.send({ type: 'leave' });
      dan.send({ type: 'leave' });
      bob.send({ type: 'leave' });
      const all = await until(room, 10);

      // One stream per room, in sequence, whichever instance sent each event.
      expect(summary(eventsOf(lonely))).toEqual([
        ['room.started', 1, 'Eve', 1, undefined],
        ['participant.joined', 2, 'Eve', 1, undefined],
        ['participant.left', 3, 'Eve', 0, 'timeout'],
        ['room.finished', 4, 'Eve', 0, undefined],
      ]);
      const sorted = [...all].sort((x, y) => x.data.sequence - y.data.sequence);
      expect(sorted.map((e) => e.data.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(new Set(all.map((e) => e.data.roomSessionId)).size).toBe(1);
      expect(summary(sorted.slice(0, 6))).toEqual([
        ['room.started', 1, 'Bob', 1, undefined],
        ['participant.joined', 2, 'Bob', 1, undefined],
        ['participant.joined', 3, 'Dan', 2, undefined],
        ['participant.joined', 4, 'Ada', 3, undefined],
        ['participant.joined', 5, 'Cy', 4, undefined],
        ['participant.left', 6, 'Cy', 3, 'timeout'],
      ]);
      // The three leaves race through two instances; each is announced once, the last ends it.
      expect(
        sorted
          .slice(6, 9)
          .map((e) => [e.type, e.data.reason])
          .sort(),
      ).toEqual([
        ['participant.left', 'left'],
        ['participant.left', 'left'],
        ['participant.left', 'left'],
      ]);
      expect(
        sorted
          .slice(6, 9)
          .map((e) => e.data.participant.name)
          .sort(),
      ).toEqual(['Ada', 'Bob', 'Dan']);
      expect(sorted[9]?.type).toBe('room.finished');
      // Exactly once: no event twice, and only one survivor released the lost seats.
      expect(new Set(events().map((e) => e.id)).size).toBe(events().length);
      const releasers = [left, right].filter((i) =>
        i.logs.some((e) => e.msg === 'released the seats of a lost instance'),
      );
      expect(releasers).toHaveLength(1);
    });
  },
);
