import { CLOSE_CODES, PROTOCOL_VERSION, createRoomId, type ServerMessage } from '@parley/protocol';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { readiness, useCluster } from '../testing/cluster-fixture.ts';
import { redisMissing } from '../testing/redis-process.ts';

/**
 * Rooms shared by several real server processes through a real redis-server: participants on
 * different instances see each other and relay in order; capacity holds cluster-wide.
 */

const missing = redisMissing();
if (missing) console.warn(`skipping scale-out tests: ${missing}`);

/**
 * Each test starts real server processes under tsx; on this shared 2-core machine at a load
 * average near 20, three of them took 20-50 s to listen (the race itself under a second).
 */
const STARTUP_BUDGET_MS = 120_000;

const offer = (n: number) => ({ type: 'offer', sdp: `v=0\r\ns=${n}\r\n` }) as const;

describe.skipIf(missing !== undefined)(
  'scale-out through Redis',
  { timeout: STARTUP_BUDGET_MS },
  () => {
    const cluster = useCluster();

    it('joins, relays in order and leaves across instances', async () => {
      const [a, b] = await cluster.instances(2, { MESSAGE_BURST: '1000' });
      expect((await readiness(a!)).status).toBe(200);
      const room = createRoomId();
      const ada = await cluster.client(a!);
      const bob = await cluster.client(b!);
      const adaJoined = await ada.join(room, 'Ada');
      const bobJoined = await bob.join(room, 'Bob');
      expect(bobJoined.peers).toEqual([
        { id: adaJoined.selfId, displayName: 'Ada', polite: bobJoined.selfId < adaJoined.selfId },
      ]);
      const announced = await ada.next('peer-joined');
      expect(announced.peer).toMatchObject({ id: bobJoined.selfId, displayName: 'Bob' });

      // Namesakes are told apart cluster-wide, as on one instance.
      const ada2 = await cluster.client(b!);
      const ada2Joined = await ada2.join(room, 'Ada');
      expect(ada2Joined.peers.map((p) => p.displayName).sort()).toEqual(['Ada', 'Bob']);
      expect(await ada2.next('peer-updated')).toMatchObject({ displayName: 'Ada (2)' });

      const count = 300;
      for (let n = 0; n < count; n++)
        ada.send({ type: 'signal', to: bobJoined.selfId, payload: offer(n) });
      const received: ServerMessage[] = [];
      for (let n = 0; n < count; n++) received.push(await bob.next('signal'));
      expect(received).toEqual(
        Array.from({ length: count }, (_, n) => ({
          type: 'signal',
          from: adaJoined.selfId,
          payload: offer(n),
        })),
      );
      // And back, to someone on the same instance and someone on the other one.
      bob.send({ type: 'signal', to: adaJoined.selfId, payload: offer(-1) });
      bob.send({ type: 'signal', to: ada2Joined.selfId, payload: offer(-2) });
      expect((await ada.next('signal')).payload).toEqual(offer(-1));
      expect((await ada2.next('signal')).payload).toEqual(offer(-2));

      ada.send({ type: 'leave' });
      expect(await bob.next('peer-left')).toEqual({
        type: 'peer-left',
        peerId: adaJoined.selfId,
        reason: 'left',
      });
      expect(await ada2.next('peer-left')).toMatchObject({ peerId: adaJoined.selfId });
      // Ada's seat is gone everywhere: a signal to her is refused on the other instance too.
      bob.send({ type: 'signal', to: adaJoined.selfId, payload: offer(0) });
      expect(await bob.next('error')).toMatchObject({ code: 'unknown-peer' });
      // Her resume token no longer works on any instance.
      const again = await cluster.client(b!);
      const rejoined = await again.join(room, 'Ada', {
        peerId: adaJoined.selfId,
        token: adaJoined.resumeToken,
      });
      expect(rejoined.resumed).toBe(false);
      expect(rejoined.selfId).not.toBe(adaJoined.selfId);
    });

    it('relays from its copy of the room, without a Redis read per signal, and sees changes at once', async () => {
      const { b, room, ada, bob, adaId, bobId } = await cluster.callAcross({
        MESSAGE_BURST: '1000',
      });
      const redis = new Redis((await cluster.redis()).url);
      const reads = async () => {
        const stats = await redis.info('commandstats');
        return Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      };
      try {
        ada.send({ type: 'signal', to: bobId, payload: offer(-1) });
        await bob.next('signal');

        const before = await reads();
        const count = 200;
        for (let n = 0; n < count; n++) ada.send({ type: 'signal', to: bobId, payload: offer(n) });
        for (let n = 0; n < count; n++)
          expect((await bob.next('signal')).payload).toEqual(offer(n));
        // Nothing in the room changed, so instance a read it from Redis at most a few times.
        expect((await reads()) - before).toBeLessThan(10);

        // Someone new on the other instance: reachable as soon as Ada hears of her.
        const cat = await cluster.client(b);
        const catJoined = await cat.join(room, 'Cat');
        expect((await ada.next('peer-joined')).peer.id).toBe(catJoined.selfId);
        ada.send({ type: 'signal', to: catJoined.selfId, payload: offer(1000) });
        expect(await cat.next('signal')).toMatchObject({
          from: adaId,
          payload: offer(1000),
        });
        // Gone on the other instance: refused as soon as Ada hears of it, not relayed into
        // nothing from a stale copy.
        cat.send({ type: 'leave' });
        expect(await ada.next('peer-left')).toMatchObject({ peerId: catJoined.selfId });
        ada.send({ type: 'signal', to: catJoined.selfId, payload: offer(1001) });
        expect(await ada.next('error')).toMatchObject({ code: 'unknown-peer', path: 'to' });
      } finally {
        redis.disconnect();
      }
    });

    it('a resume through another instance while the old connection lives takes it over there', async () => {
      const [a, b] = await cluster.instances(2);
      const room = createRoomId();
      const ada = await cluster.client(a!);
      const adaJoined = await ada.join(room, 'Ada');
      const bob = await cluster.client(b!);
      await bob.join(room, 'Bob');
      const adaAgain = await cluster.client(b!);
      const resumed = await adaAgain.join(room, 'Ada', {
        peerId: adaJoined.selfId,
        token: adaJoined.resumeToken,
      });
      expect(resumed).toMatchObject({ resumed: true, selfId: adaJoined.selfId });
      // Instance a drops the old connection as replaced; Bob is told of the takeover.
      expect((await ada.closed).code).toBe(CLOSE_CODES.replaced);
      expect(await bob.next('peer-updated')).toMatchObject({
        peerId: adaJoined.selfId,
        takeover: true,
      });
      bob.send({ type: 'signal', to: adaJoined.selfId, payload: offer(7) });
      expect((await adaAgain.next('signal')).payload).toEqual(offer(7));
      await bob.sync();
      expect(bob.received('peer-left')).toEqual([]);
    });

    it('reports connections, rooms, participants, relays and Redis health on /metrics', async () => {
      const [a, b] = await cluster.instances(2, { METRICS_PORT: '0' });
      const room = createRoomId();
      const ada = await cluster.client(a!);
      const adaJoined = await ada.join(room, 'Ada');
      const bob = await cluster.client(b!);
      const bobJoined = await bob.join(room, 'Bob');
      ada.send({ type: 'signal', to: bobJoined.selfId, payload: offer(1) });
      await bob.next('signal');
      bob.send({ type: 'signal', to: adaJoined.selfId, payload: offer(2) });
      await ada.next('signal');
      const metricsOf = async (instance: typeof a) => {
        const entry = await instance!.waitForLog((e) => String(e.msg).startsWith('metrics on'));
        const text = await (await fetch(`http://127.0.0.1:${String(entry.port)}/metrics`)).text();
        const value = (name: string) => {
          const line = text.split('\n').find((l) => l.startsWith(name + ' '));
          return line === undefined ? undefined : Number(line.slice(name.length + 1));
        };
        return value;
      };
      const metricsB = await metricsOf(b);
      expect(metricsB('parley_connections')).toBe(1);
      expect(metricsB('parley_participants')).toBe(1);
      expect(metricsB('parley_rooms')).toBe(1);
      expect(metricsB('parley_relayed_messages_total{path="out"}')).toBe(1);
      expect(metricsB('parley_relayed_messages_total{path="in"}')).toBe(1);
      expect(metricsB('parley_relay_latency_seconds_count')).toBe(1);
      expect(metricsB('parley_redis_roundtrip_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(metricsB('parley_redis_errors_total')).toBe(0);
    });

    it('seats exactly six of seven clients racing into a room of six through three instances', async () => {
      const instances = await cluster.instances(3, { ROOM_CAPACITY: '6' });
      const room = createRoomId();
      const clients = await Promise.all(
        Array.from({ length: 7 }, (_, i) => cluster.client(instances[i % 3]!)),
      );
      for (const [i, c] of clients.entries())
        c.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId: room, displayName: `P${i}` });
      const outcomes = await Promise.all(
        clients.map((c) =>
          Promise.race([
            c.next('joined').then(() => 'joined'),
            c.next('error', (e) => e.code === 'room-full').then(() => 'full'),
          ]),
        ),
      );
      expect(outcomes.filter((o) => o === 'joined')).toHaveLength(6);
      expect(outcomes.filter((o) => o === 'full')).toHaveLength(1);
      // Everyone seated sees the same five others, whatever instance it is on.
      const seated = clients.filter((_, i) => outcomes[i] === 'joined');
      const ids = seated.map((c) => c.received('joined')[0]!.selfId);
      for (const c of seated) {
        const self = c.received('joined')[0]!;
        const seen = new Set(self.peers.map((p) => p.id));
        // Later joins are announced through Redis: wait for them rather than for a time.
        while (seen.size < 5) seen.add((await c.next('peer-joined')).peer.id);
        expect([...seen].sort()).toEqual(ids.filter((id) => id !== self.selfId).sort());
      }
    });
  },
);
