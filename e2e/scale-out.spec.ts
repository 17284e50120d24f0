import type { BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import {
  redisMissing,
  startRedis,
  type RedisProcess,
} from '../apps/signaling/src/testing/redis-process.ts';
import { expect, expectVideoPlaying, ParleyProcess, test, tile } from './fixtures.ts';
import { startFailoverProxy, type FailoverProxy } from './support/failover-proxy.ts';

/**
 * Issue 15 (docs/scaling.md): two signalling instances sharing rooms through a real
 * redis-server. Ada reaches instance A through a failover balancer, Bob talks to instance B
 * directly, and they see each other. Then A is SIGKILLed: Ada's client reconnects through the
 * balancer, lands on B and resumes as the same participant; video keeps playing (it is peer to
 * peer), and Bob's page is never told that Ada left or joined.
 */

type Frame = { type: string; selfId?: string; resumed?: boolean };

/** Appends each frame the server sends this page over WebSocket, in order. */
function recordServerFrames(page: Page, frames: Frame[]): void {
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      try {
        frames.push(JSON.parse(String(payload)) as Frame);
      } catch {
        frames.push({ type: '(not JSON)' });
      }
    }),
  );
}

const joins = (frames: Frame[]) => frames.filter((frame) => frame.type === 'joined');

test('two instances share a call through Redis; when one is killed, its client resumes on the other without a leave or join', async ({
  joinAs,
}, testInfo) => {
  const missing = redisMissing();
  test.skip(missing !== undefined, missing);
  // Two servers, Redis and two live pages on two cores: a deadline, not a measure.
  test.setTimeout(300_000);

  let redis: RedisProcess | undefined;
  let proxy: FailoverProxy | undefined;
  const servers: ParleyProcess[] = [];
  try {
    redis = await startRedis();
    // Both instances get the same REDIS_URL and SIGNALING_SECRET (ParleyProcess sets one).
    const [a, b] = [0, 1].map(() => new ParleyProcess({ REDIS_URL: redis!.url })) as [
      ParleyProcess,
      ParleyProcess,
    ];
    servers.push(a, b);
    await Promise.all([a.start(), b.start()]);
    proxy = await startFailoverProxy(() => [a.port, b.port]);

    const roomId = createRoomId();
    const adaFrames: Frame[] = [];
    const bobFrames: Frame[] = [];
    const record = (frames: Frame[]) => async (context: BrowserContext) =>
      void context.on('page', (page) => recordServerFrames(page, frames));
    const ada = await joinAs(`${proxy.url}/r/${roomId}`, 'Ada', undefined, record(adaFrames));
    const bob = await joinAs(`${b.url}/r/${roomId}`, 'Bob', undefined, record(bobFrames));
    await expect.poll(() => joins(adaFrames).length).toBe(1);
    await expect.poll(() => joins(bobFrames).length).toBe(1);
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));

    const bobFramesBeforeKill = bobFrames.length;
    const killedAt = performance.now();
    await a.stop('SIGKILL');
    // Ada's client notices, reconnects through the balancer (now to B) and is restored as the
    // same participant: a second `joined`, resumed, with her ID.
    await expect.poll(() => joins(adaFrames).length, { timeout: 60_000 }).toBe(2);
    const resumedMs = Math.round(performance.now() - killedAt);
    const [first, again] = joins(adaFrames) as [Frame, Frame];
    expect(again).toMatchObject({ resumed: true, selfId: first.selfId });
    await expect(ada.page.getByRole('status')).toHaveText('Connected');
    // Media never needed the server.
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));
    await expect(tile(bob.page, 'Ada')).toHaveAttribute('data-connection', 'connected');

    // Bob heard of no departure and no arrival: Ada is the same participant, now on B.
    const bobAfterKill = bobFrames.slice(bobFramesBeforeKill).map((frame) => frame.type);
    expect(bobAfterKill.filter((type) => type === 'peer-left' || type === 'peer-joined')).toEqual(
      [],
    );
    testInfo.annotations.push({ type: 'kill-to-connected-ms', description: String(resumedMs) });
    console.log(`scale-out: instance killed → Ada connected again on the other in ${resumedMs} ms`);
  } finally {
    await proxy?.close();
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    await redis?.stop();
  }
});
