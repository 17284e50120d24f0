import { CLOSE_CODES, createRoomId } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { useCluster } from '../testing/cluster-fixture.ts';
import { joinMessage } from '../testing/join-message.ts';
import { knock, knockAndExpectParked } from '../testing/knock.ts';
import { redisMissing } from '../testing/redis-process.ts';

/**
 * Lock and knock across two real server processes sharing a real redis-server: the lock set
 * through one instance parks a raw join through the other, and knocks, answers, unlocks and
 * the room's end reach whichever instance holds the people concerned. The rules themselves
 * (timeout, rate limits, who may answer) are covered on one instance in
 * trust/lock-and-knock.test.ts.
 */

const missing = redisMissing();
if (missing) console.warn(`skipping shared lock tests: ${missing}`);

/** Real server processes under tsx take 20-50 s to listen on this shared machine under load. */
const STARTUP_BUDGET_MS = 120_000;

describe.skipIf(missing !== undefined)(
  'lock and knock across instances',
  { timeout: STARTUP_BUDGET_MS },
  () => {
    const cluster = useCluster();

    it('a lock set on A parks a join on B; admit, deny and unlock reach across', async () => {
      const [a, b] = await cluster.instances(2);
      const roomId = createRoomId();
      const host = await cluster.client(a!);
      const hostId = (await host.join(roomId, 'Host')).selfId;
      const guest = await cluster.client(b!);
      const guestId = (await guest.join(roomId, 'Guest')).selfId;
      host.send({ type: 'set-lock', locked: true });
      expect(await guest.next('lock-state')).toEqual({
        type: 'lock-state',
        locked: true,
        byName: 'Host',
      });
      await host.next('lock-state');

      // A raw join through B is parked, and the participant on A is asked.
      const cleo = await cluster.client(b!);
      const cleoKnock = await knockAndExpectParked(cleo, { roomId, host, guest, hostId }, 'Cleo');

      // Someone else waits at A meanwhile, so Cleo, once in, must be shown that knock too.
      const dan = await cluster.client(a!);
      knock(dan, roomId, 'Dan');
      const danKnock = await guest.next('knock', (k) => k.displayName === 'Dan');

      // Admit from A: Cleo, waiting on B, is seated there and sees the room as it is.
      host.send({ type: 'answer-knock', knockId: cleoKnock.knockId, admit: true });
      const cleoJoined = await cleo.next('joined');
      expect(cleoJoined.peers.map((p) => p.id).sort()).toEqual([hostId, guestId].sort());
      expect(await cleo.next('lock-state')).toEqual({ type: 'lock-state', locked: true });
      expect(await cleo.next('knock')).toEqual({
        type: 'knock',
        knockId: danKnock.knockId,
        displayName: 'Dan',
      });
      expect(await guest.next('knock-ended')).toEqual({
        type: 'knock-ended',
        knockId: cleoKnock.knockId,
        outcome: 'admitted',
        byName: 'Host',
      });
      await host.next('peer-joined', (m) => m.peer.id === cleoJoined.selfId);
      await guest.next('peer-joined', (m) => m.peer.id === cleoJoined.selfId);

      // Deny from A: Eve, waiting on B, is turned away.
      const eve = await cluster.client(b!);
      knock(eve, roomId, 'Eve');
      const eveKnock = await host.next('knock', (k) => k.displayName === 'Eve');
      host.send({ type: 'answer-knock', knockId: eveKnock.knockId, admit: false });
      expect(await eve.next('error')).toMatchObject({ code: 'knock-denied' });
      expect(await cleo.next('knock-ended', (m) => m.knockId === eveKnock.knockId)).toMatchObject({
        outcome: 'denied',
        byName: 'Host',
      });
      await eve.sync();
      expect(eve.received('joined')).toEqual([]);

      // Unlock from B: Dan, waiting on A, comes in, and a join through A is seated directly.
      guest.send({ type: 'set-lock', locked: false });
      expect(await host.next('lock-state')).toEqual({
        type: 'lock-state',
        locked: false,
        byName: 'Guest',
      });
      expect((await dan.next('joined')).peers).toHaveLength(3);
      const fay = await cluster.client(a!);
      const fayJoined = await fay.join(roomId, 'Fay');
      expect(fayJoined.peers).toHaveLength(4);
      await fay.sync();
      expect(fay.received('waiting-for-admission')).toEqual([]);
      expect(fay.received('lock-state')).toEqual([]);
    });

    it('the lock ends when the room empties, and whoever waits on another instance is told', async () => {
      const [a, b] = await cluster.instances(2);
      const roomId = createRoomId();
      const only = await cluster.client(a!);
      only.send({ ...joinMessage(roomId, 'Only'), startLocked: true });
      await only.next('joined');
      expect(await only.next('lock-state')).toEqual({ type: 'lock-state', locked: true });

      const waiting = await cluster.client(b!);
      knock(waiting, roomId, 'Waiting');
      await waiting.next('waiting-for-admission');
      await only.next('knock');
      only.send({ type: 'leave' });
      expect(await waiting.next('error')).toMatchObject({ code: 'knock-denied' });

      // The room, and its lock, are gone cluster-wide: the next join through B is seated.
      const next = await cluster.client(b!);
      expect((await next.join(roomId, 'Next')).peers).toEqual([]);
      await next.sync();
      expect(next.received('lock-state')).toEqual([]);
    });

    it('a newcomer waiting on an instance that drains (SIGTERM) withdraws, so its prompt goes', async () => {
      const [a, draining] = await cluster.instances(2);
      const roomId = createRoomId();
      const host = await cluster.client(a!);
      host.send({ ...joinMessage(roomId, 'Host'), startLocked: true });
      await host.next('joined');
      const waiting = await cluster.client(draining!);
      knock(waiting, roomId, 'Waiting');
      const asked = await host.next('knock');
      draining!.child.kill('SIGTERM');
      expect((await waiting.closed).code).toBe(CLOSE_CODES.serviceRestart);
      expect(await host.next('knock-ended')).toEqual({
        type: 'knock-ended',
        knockId: asked.knockId,
        outcome: 'cancelled',
      });
      expect(await draining!.exited).toBe(0);
    });
  },
);
