import { expect, test } from '@playwright/test';
import { impairLoopback, lossyLinkUnavailable } from './lossy-link/lossy-link.ts';
import { median, udpRoundTrips } from './lossy-link/udp-round-trips.ts';

/**
 * The lossy-link helper itself, without a browser: an impairment that silently did nothing
 * would let the lossy-call test in faults-lossy-network.spec.ts pass on a healthy link.
 */

const LOSS_PERCENT = 5;
const DELAY_MS = 100;
const PINGS = 300;

test(
  'the lossy loopback really delays every packet and drops about the share asked for',
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  async ({}, testInfo) => {
    const unavailable = lossyLinkUnavailable();
    test.skip(unavailable !== undefined, unavailable ?? '');

    const before = await udpRoundTrips(PINGS, 5, 500);
    expect(before.rttMs).toHaveLength(PINGS);

    const link = await impairLoopback({ lossPercent: LOSS_PERCENT, delayMs: DELAY_MS });
    let impaired;
    try {
      impaired = await udpRoundTrips(PINGS, 5, 4 * DELAY_MS + 1000);
    } finally {
      link.lift();
    }
    await link.gone; // the delayer (if any) has exited
    const after = await udpRoundTrips(PINGS, 5, 500);

    const lost = impaired.sent - impaired.rttMs.length;
    const figures = {
      method: link.method,
      medianRttBeforeMs: Number(median(before.rttMs).toFixed(2)),
      medianRttMs: Number(median(impaired.rttMs).toFixed(1)),
      minRttMs: Number(Math.min(...impaired.rttMs).toFixed(1)),
      roundTripsLost: `${lost}/${impaired.sent}`,
      medianRttAfterMs: Number(median(after.rttMs).toFixed(2)),
    };
    testInfo.annotations.push({ type: 'lossy-link', description: JSON.stringify(figures) });
    console.log(`lossy loopback: ${JSON.stringify(figures)}`);

    // Ping and pong each cross lo once, so every round trip is delayed twice; none sooner.
    expect(Math.min(...impaired.rttMs)).toBeGreaterThanOrEqual(2 * DELAY_MS);
    expect(median(before.rttMs)).toBeLessThan(DELAY_MS / 2);
    // A round trip survives with probability 0.95² ≈ 90.25 %: 29 of 300 lost on average
    // (σ ≈ 5). These bounds are about 3.5σ wide, yet exclude both "no loss" and "double loss".
    expect(lost).toBeGreaterThanOrEqual(11);
    expect(lost).toBeLessThanOrEqual(50);
    // Lifted means lifted: nothing lost, nothing delayed.
    expect(after.rttMs).toHaveLength(PINGS);
    expect(median(after.rttMs)).toBeLessThan(DELAY_MS / 2);
  },
);
