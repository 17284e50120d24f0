import type { Locator } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, expectVideoPlaying, ParleyProcess, test, tile } from './fixtures.ts';
import { impairLoopback, lossyLinkUnavailable, type LossyLink } from './lossy-link/lossy-link.ts';
import { makeRandomFile, MiB, sha256Of, FilesPanel } from './support/files.ts';

/** The impairment of the lossy-call test; its rule and delayer are checked in lossy-link.spec.ts. */
const LOSSY = { lossPercent: 5, delayMs: 100 };
/**
 * Loss-driven SCTP congestion control, not CPU, sets the pace under 5 % loss at a 200 ms round
 * trip: the receiver's 3-s speed readings were 31–161 KiB/s (about 90 on average), so a 50 MiB
 * file did not finish in 600 s. 8 MiB (some 7,000 packets, ~350 of them lost and resent) takes
 * about 65 s on a quiet box and 167 s at load 23; the deadline allows 23 KiB/s.
 * `PARLEY_LOSSY_FILE_MIB=50` runs the same test with the 50 MiB (allow 10+ minutes).
 */
const LOSSY_FILE_MIB = Number(process.env.PARLEY_LOSSY_FILE_MIB ?? 8);
/** 45 s per MiB: 23 KiB/s, a quarter of the average pace seen. */
const LOSSY_FILE_DEADLINE_MS = LOSSY_FILE_MIB * 45_000;

/** The round trip a peer connection reports for `remote` (the app's getStats reading). */
async function reportedRttMs(remote: Locator): Promise<number> {
  return Number(
    (await remote.getByTestId('connection-stats').getAttribute('data-rtt-ms')) ?? Number.NaN,
  );
}

/**
 * The whole loopback (media, data channel and the signalling WebSocket) loses 5 % of packets
 * and delays each by 100 ms: netem where the kernel has it, else iptables' statistic match
 * plus the NFQUEUE delayer (e2e/lossy-link). Each packet crosses lo once, so a round trip
 * gains 200 ms, and the peers' own RTT readings must show it, or the impairment did nothing.
 */
test(`a lossy network (5% loss, 100 ms delay): the call keeps playing and a file of ${LOSSY_FILE_MIB} MiB arrives intact`, async ({
  joinAs,
}, testInfo) => {
  const unavailable = lossyLinkUnavailable();
  test.skip(unavailable !== undefined, unavailable ?? '');
  test.setTimeout(LOSSY_FILE_DEADLINE_MS + 80_000);
  const file = makeRandomFile('lossy.bin', LOSSY_FILE_MIB * MiB);

  const server = new ParleyProcess();
  await server.start();
  let fault: LossyLink | undefined;
  try {
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinAs(roomUrl, 'Ada');
    const bob = await joinAs(roomUrl, 'Bob');
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expect.poll(() => reportedRttMs(tile(ada.page, 'Bob'))).toBeLessThan(LOSSY.delayMs);

    fault = await impairLoopback(LOSSY);
    // Two one-way delays per round trip; the stats clock may round a few ms down.
    for (const [page, name] of [
      [ada.page, 'Bob'],
      [bob.page, 'Ada'],
    ] as const) {
      await expect
        .poll(() => reportedRttMs(tile(page, name)), { timeout: 30_000 })
        .toBeGreaterThanOrEqual(2 * LOSSY.delayMs - 10);
    }
    const rttMs = await Promise.all([
      reportedRttMs(tile(ada.page, 'Bob')),
      reportedRttMs(tile(bob.page, 'Ada')),
    ]);
    console.log(`lossy link (${fault.method}): RTT reported by the peers ${rttMs.join(' / ')} ms`);
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));

    const bobFiles = new FilesPanel(bob.page);
    await new FilesPanel(ada.page).offer(file.path, 'Bob');
    await bobFiles.accept('lossy.bin');
    const acceptedAt = performance.now();
    await bobFiles.expectVerified('lossy.bin', LOSSY_FILE_DEADLINE_MS);
    const seconds = (performance.now() - acceptedAt) / 1000;
    // The call kept playing while the file went through.
    await expectVideoPlaying(tile(ada.page, 'Bob'));
    await expectVideoPlaying(tile(bob.page, 'Ada'));

    expect(await sha256Of((await bobFiles.save('lossy.bin')).path)).toBe(file.sha256);
    const figures = {
      method: fault.method,
      rttMs,
      seconds: Number(seconds.toFixed(1)),
      mibPerSecond: Number((LOSSY_FILE_MIB / seconds).toFixed(3)),
    };
    testInfo.annotations.push({ type: 'lossy-file', description: JSON.stringify(figures) });
    console.log(`${LOSSY_FILE_MIB} MiB under 5% loss, 100 ms delay: ${JSON.stringify(figures)}`);
  } finally {
    fault?.lift();
    await fault?.gone;
    await server.stop();
  }
});
