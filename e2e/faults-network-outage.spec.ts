import type { Locator, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import {
  dropAllLoopback,
  expect,
  expectVideoPlaying,
  isolatedNetwork,
  type NetworkFault,
  NOT_ISOLATED,
  ParleyProcess,
  test,
  tile,
} from './fixtures.ts';
import {
  pageClock,
  recordSignalingSockets,
  signalingSockets,
} from './support/signaling-sockets.ts';

/**
 * A fault a call must survive: the network going away, briefly or for 40 s. The peers notice,
 * restart ICE, say so in the UI, and are back once the network is.
 */
/** Waits until both sides have acted on an outage: the initiator restarts, the polite side asks. */
async function expectIceRestartsStarted(pairs: Array<[Page, string]>): Promise<void> {
  for (const [page, name] of pairs) {
    await expect
      .poll(async () => Number(await tile(page, name).getAttribute('data-ice-restarts')), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
  }
}

test('a short network outage: ICE restarts, the UI says reconnecting, then connected again', async ({
  joinAs,
}) => {
  test.skip(!isolatedNetwork, NOT_ISOLATED);
  const server = new ParleyProcess();
  await server.start();
  let fault: NetworkFault | undefined;
  try {
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada');
    const bob = await joinAs(roomUrl, 'Bob');
    await expectVideoPlaying(tile(ada.page, 'Bob'));

    fault = dropAllLoopback();
    await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'reconnecting', {
      timeout: 30_000,
    });
    await expect(ada.page.getByRole('status')).toHaveText('Reconnecting…');
    // Lift only once both sides have acted on the outage, so recovery is a real ICE restart.
    await expectIceRestartsStarted([
      [ada.page, 'Bob'],
      [bob.page, 'Ada'],
    ]);
    fault.lift();

    for (const [page, name] of [
      [ada.page, 'Bob'],
      [bob.page, 'Ada'],
    ] as const) {
      await expect(tile(page, name)).toHaveAttribute('data-connection', 'connected', {
        timeout: 30_000,
      });
      await expect(page.getByRole('status')).toHaveText('Connected', { timeout: 30_000 });
      await expectVideoPlaying(tile(page, name));
    }
  } finally {
    fault?.lift();
    await server.stop();
  }
});

/**
 * Records, in the page, when a participant tile turns "connected" and when its video presents a
 * frame (requestVideoFrameCallback), so recovery can be timed without polling latency.
 */
function watchRecovery(remote: Locator) {
  type Recovery = { connected: number[]; frames: number[] };
  const started = remote.evaluate((element) => {
    const record: Recovery = { connected: [], frames: [] };
    (element as unknown as { __recovery: Recovery }).__recovery = record;
    const video = element.querySelector('video')!;
    const onFrame = (now: number) => {
      record.frames.push(now);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    new MutationObserver(() => {
      if (element.getAttribute('data-connection') === 'connected')
        record.connected.push(performance.now());
    }).observe(element, { attributes: true, attributeFilter: ['data-connection'] });
  });
  return {
    started,
    /** Ms from `since` (page clock) to the first frame after the tile was connected again. */
    recoveredAfter: (since: number) =>
      remote.evaluate((element, since) => {
        const { connected, frames } = (element as unknown as { __recovery: Recovery }).__recovery;
        const connectedAt = connected.find((at) => at > since);
        if (connectedAt === undefined) return null;
        const frameAt = frames.find((at) => at > connectedAt);
        return frameAt === undefined ? null : Math.round(frameAt - since);
      }, since),
  };
}

/** Required: after 40 s of total loss, the call is back within 10 s of the network returning. */
const LONG_OUTAGE_MS = 40_000;
const RECOVERY_LIMIT_MS = 10_000;

test.describe('a long outage', () => {
  test('100% loss for 40 s: the peers recover by ICE restart within 10 s of the loss ending', async ({
    joinAs,
  }, testInfo) => {
    test.skip(!isolatedNetwork, NOT_ISOLATED);
    test.setTimeout(180_000);
    const server = new ParleyProcess();
    await server.start();
    let fault: NetworkFault | undefined;
    try {
      const roomUrl = `${server.url}/r/${createRoomId()}`;
      const ada = await joinAs(roomUrl, 'Ada', undefined, recordSignalingSockets);
      const bob = await joinAs(roomUrl, 'Bob', undefined, recordSignalingSockets);
      await expectVideoPlaying(tile(ada.page, 'Bob'));
      await expectVideoPlaying(tile(bob.page, 'Ada'));

      const watchers = [watchRecovery(tile(ada.page, 'Bob')), watchRecovery(tile(bob.page, 'Ada'))];
      await Promise.all(watchers.map((watcher) => watcher.started));

      fault = dropAllLoopback();
      const lossStartedAt = performance.now();
      await expect(tile(ada.page, 'Bob')).toHaveAttribute('data-connection', 'reconnecting', {
        timeout: 30_000,
      });
      await expect(tile(bob.page, 'Ada')).toHaveAttribute('data-connection', 'reconnecting', {
        timeout: 30_000,
      });
      // The outage's length is the requirement itself, so this wait is the fault, not a sleep.
      await new Promise((resolve) =>
        setTimeout(resolve, LONG_OUTAGE_MS - (performance.now() - lossStartedAt)),
      );
      const restartsDuringOutage = await Promise.all(
        [tile(ada.page, 'Bob'), tile(bob.page, 'Ada')].map(async (t) =>
          Number(await t.getAttribute('data-ice-restarts')),
        ),
      );
      // Read the pages' clocks just before lifting, so any delay only lengthens the figures.
      const liftedAtInPage = await Promise.all([ada.page, bob.page].map(pageClock));
      fault.lift();
      // Both directions: the tile is connected again and its video presents new frames, timed in
      // the page (polling from here would add seconds of latency on a busy machine). The waits are
      // generous so that the figures are reported; the 10 s limit is asserted on them below.
      const recoveredMs = await Promise.all(
        watchers.map(async (watcher, i) => {
          await expect
            .poll(() => watcher.recoveredAfter(liftedAtInPage[i]!), { timeout: 60_000 })
            .not.toBeNull();
          return (await watcher.recoveredAfter(liftedAtInPage[i]!))!;
        }),
      );
      await expectVideoPlaying(tile(ada.page, 'Bob'));
      await expectVideoPlaying(tile(bob.page, 'Ada'));
      // When each side's signalling was back (its first socket to open after the lift).
      const signalingBackMs = await Promise.all(
        [ada.page, bob.page].map(async (page, i) => {
          const open = (await signalingSockets(page))
            .map((socket) => socket.open)
            .find((at) => at !== undefined && at > liftedAtInPage[i]!);
          return open === undefined ? undefined : Math.round(open - liftedAtInPage[i]!);
        }),
      );
      const figures = {
        recoveredMs,
        signalingBackMs,
        restartsDuringOutage,
        restartsAfter: await Promise.all(
          [tile(ada.page, 'Bob'), tile(bob.page, 'Ada')].map(async (t) =>
            Number(await t.getAttribute('data-ice-restarts')),
          ),
        ),
      };
      testInfo.annotations.push({ type: 'outage-recovery', description: JSON.stringify(figures) });
      console.log(`40 s outage: ${JSON.stringify(figures)}`);
      for (const ms of recoveredMs) expect(ms).toBeLessThan(RECOVERY_LIMIT_MS);
      // Chromium declares the connection failed after about 30 s, so only a restart brings it back.
      for (const count of figures.restartsAfter) expect(count).toBeGreaterThan(0);
      await expect(ada.page.getByRole('status')).toHaveText('Connected', { timeout: 30_000 });
      await expect(bob.page.getByRole('status')).toHaveText('Connected', { timeout: 30_000 });
    } finally {
      fault?.lift();
      await server.stop();
    }
  });
});
