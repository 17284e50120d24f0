import { createRoomId } from '@parley/protocol';
import { expect, expectVideoPlaying, ParleyProcess, test, tile } from './fixtures.ts';
import { recordSignalingSockets, signalingSockets } from './support/signaling-sockets.ts';

/**
 * A fault a call must survive: the signalling server going away mid-call, gracefully (SIGTERM)
 * or not (SIGKILL). Media keeps flowing peer to peer, and the clients retry with jittered
 * backoff until the server is back.
 */
/** The client's reconnect schedule (apps/web/src/call/backoff.ts): 500 ms doubling to 10 s. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/**
 * How late a timer may fire: two cores are shared by two browsers, the server and, on a busy
 * machine, everything else. The lower bound (never sooner than step/2) is exact.
 */
const TIMER_SLACK_MS = 1000;
/** How many failed retries to watch before the server comes back. */
const RETRIES_WATCHED = 5;

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`signalling server stopped by ${signal} mid-call: media keeps playing, clients retry with jittered backoff and reconnect`, async ({
    joinAs,
  }, testInfo) => {
    test.setTimeout(120_000);
    const server = new ParleyProcess({ RESUME_GRACE_MS: '30000' });
    await server.start();
    try {
      const roomUrl = `${server.url}/r/${createRoomId()}`;
      const ada = await joinAs(roomUrl, 'Ada', undefined, recordSignalingSockets);
      const bob = await joinAs(roomUrl, 'Bob', undefined, recordSignalingSockets);
      await expectVideoPlaying(tile(ada.page, 'Bob'));
      await expectVideoPlaying(tile(bob.page, 'Ada'));
      const joinedSockets = await Promise.all([ada.page, bob.page].map(signalingSockets));

      const exitMs = await server.stop(signal);
      if (signal === 'SIGTERM') {
        // Docker's default grace before SIGKILL is 10 s.
        expect(exitMs).toBeLessThan(10_000);
      }
      await expect(ada.page.getByRole('status')).toHaveText('Reconnecting…');
      await expect(bob.page.getByRole('status')).toHaveText('Reconnecting…');
      // Peer-to-peer media does not need the server.
      await expectVideoPlaying(tile(ada.page, 'Bob'));
      await expectVideoPlaying(tile(bob.page, 'Ada'));

      // Watch the retries while the server is away: each is refused at once, then the client
      // waits backoff(k) before the next. delays[k] runs from one socket's close to the next's
      // creation, starting with the socket that was joined when the server went away.
      const delays: number[][] = [];
      for (const [i, page] of [ada.page, bob.page].entries()) {
        const from = joinedSockets[i]!.length - 1;
        await expect
          .poll(async () => (await signalingSockets(page)).length - from, { timeout: 30_000 })
          .toBeGreaterThan(RETRIES_WATCHED);
        const sockets = (await signalingSockets(page)).slice(from, from + RETRIES_WATCHED + 1);
        delays.push(sockets.slice(1).map((next, k) => next.opened - sockets[k]!.closed!));
      }
      await expectVideoPlaying(tile(ada.page, 'Bob')); // still, after ~15 s without a server
      await expectVideoPlaying(tile(bob.page, 'Ada'));

      // Equal jitter (apps/web/src/call/backoff.ts): backoff(k) is in [step/2, step], where
      // step = 500 ms doubling up to 10 s.
      for (const personDelays of delays) {
        personDelays.forEach((delay, k) => {
          const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** k);
          expect(delay, `backoff(${k}) in ${JSON.stringify(delays)}`).toBeGreaterThanOrEqual(
            step / 2,
          );
          expect(delay, `backoff(${k}) in ${JSON.stringify(delays)}`).toBeLessThanOrEqual(
            step + TIMER_SLACK_MS,
          );
        });
      }
      // Jitter: the two clients do not retry in lockstep.
      const lockstep = delays[0]!.every((delay, k) => Math.abs(delay - delays[1]![k]!) < 50);
      expect(lockstep, `backoff delays ${JSON.stringify(delays)}`).toBe(false);

      const restartedAt = performance.now();
      await server.start(); // same port and secret: clients resume as the same participants
      await Promise.all(
        [ada.page, bob.page].map((page) =>
          expect(page.getByRole('status')).toHaveText('Connected', { timeout: 30_000 }),
        ),
      );
      const reconnectMs = performance.now() - restartedAt;
      await expect(ada.page.getByRole('group')).toHaveCount(2);
      await expect(bob.page.getByRole('group')).toHaveCount(2);
      await expectVideoPlaying(tile(ada.page, 'Bob'));
      await expectVideoPlaying(tile(bob.page, 'Ada'));
      await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'connected');

      const figures = {
        exitMs: Math.round(exitMs),
        reconnectMs: Math.round(reconnectMs),
        backoffDelaysMs: delays.map((d) => d.map(Math.round)),
      };
      testInfo.annotations.push({
        type: `${signal}-figures`,
        description: JSON.stringify(figures),
      });
      console.log(`${signal}: ${JSON.stringify(figures)}`);
    } finally {
      await server.stop();
    }
  });
}
