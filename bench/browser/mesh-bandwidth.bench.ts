import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import {
  MAX_LINK_VIDEO_BPS,
  TOTAL_VIDEO_BUDGET_BPS,
  videoLimitsFor,
} from '../../apps/web/src/call/bitrate-policy.ts';
import { expect, test } from '../../e2e/fixtures.ts';
import { CHROMIUM_ARGS } from '../../e2e/playwright.config.ts';
import { ratio, writeBenchResult } from '../lib/result.ts';
import { max, median, round } from '../lib/stats.ts';
import { instrument } from './support/instrument.ts';
import { writeNoiseY4m } from './support/noise-y4m.ts';
import { SMOKE, sized } from '../lib/mode.ts';
import { SMOKE_FPS } from './support/bench-chromium.ts';

/**
 * Issue 6, item 8: at 4 participants, each sender's total outgoing video bitrate (summed over
 * its 3 peer links) against the budget in apps/web/src/call/bitrate-policy.ts. The fake camera
 * plays random noise (support/noise-y4m.ts), which no encoder can squeeze under a cap by
 * itself, so the figure shows whether the cap holds. Rates come from getStats outbound-rtp
 * bytesSent on every RTCPeerConnection of each page (support/instrument.ts keeps them), over a
 * window that starts once every link is connected and bandwidth estimation has settled.
 */
/** Smoke mode: a call of two proves the bench runs, at a fraction of four pages' video CPU. */
const PARTICIPANTS = sized(4, 4, 2);
const SETTLE_MS = sized(10_000, 5_000, 500);
const WINDOW_MS = sized(10_000, 5_000, 1_000);

interface LinkSample {
  bytesSent: number;
  at: number;
  maxBitrate: number | undefined;
  scale: number | undefined;
  width: number | undefined;
  fps: number | undefined;
  limitation: string | undefined;
}

/** Outgoing video of every live link on the page (one entry per RTCPeerConnection). */
function sampleLinks(page: Page): Promise<LinkSample[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __benchPcs: RTCPeerConnection[] }).__benchPcs.filter(
      (pc) => pc.connectionState === 'connected',
    );
    return Promise.all(
      pcs.map(async (pc) => {
        const sample: LinkSample = {
          bytesSent: 0,
          at: performance.timeOrigin + performance.now(),
          maxBitrate: undefined,
          scale: undefined,
          width: undefined,
          fps: undefined,
          limitation: undefined,
        };
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
          sample.bytesSent += Number(s.bytesSent ?? 0);
          sample.width = s.frameWidth as number | undefined;
          sample.fps = s.framesPerSecond as number | undefined;
          sample.limitation = s.qualityLimitationReason as string | undefined;
        });
        const encoding = pc
          .getSenders()
          .find((sender) => sender.track?.kind === 'video')
          ?.getParameters().encodings?.[0];
        sample.maxBitrate = encoding?.maxBitrate;
        sample.scale = encoding?.scaleResolutionDownBy;
        return sample;
      }),
    );
  });
}

test(`mesh bandwidth: outgoing video per sender at ${PARTICIPANTS} participants`, async ({
  parley,
}) => {
  test.setTimeout(5 * 60_000);
  // Smoke mode: a smaller, slower clip (see support/bench-chromium.ts); still noise.
  const clip = SMOKE
    ? writeNoiseY4m(160, 120, SMOKE_FPS, 2 * SMOKE_FPS)
    : writeNoiseY4m(320, 240, 15, 30);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${clip}`],
  });
  const contexts: BrowserContext[] = [];
  try {
    const roomUrl = `${parley.url}/r/${createRoomId()}`;
    const pages: Page[] = [];
    for (const name of ['Ada', 'Bob', 'Cy', 'Dee'].slice(0, PARTICIPANTS)) {
      const context = await browser.newContext();
      contexts.push(context);
      await instrument(context);
      const page = await context.newPage();
      await page.goto(roomUrl);
      await page.getByLabel('Your name').fill(name);
      await page.getByRole('button', { name: 'Join call' }).click();
      pages.push(page);
    }
    for (const page of pages)
      await expect(page.locator('[data-connection=connected]')).toHaveCount(PARTICIPANTS - 1, {
        timeout: 60_000,
      });
    await pages[0]?.waitForTimeout(SETTLE_MS); // bandwidth estimation ramps up; a measurement window, not an event
    const first = await Promise.all(pages.map(sampleLinks));
    await pages[0]?.waitForTimeout(WINDOW_MS);
    const second = await Promise.all(pages.map(sampleLinks));

    const kbps = (a: LinkSample, b: LinkSample) =>
      ((b.bytesSent - a.bytesSent) * 8) / (b.at - a.at);
    const perSender = second.map((links, i) =>
      links.map((link, j) => {
        const before = first[i]?.[j];
        return before ? kbps(before, link) : Number.NaN;
      }),
    );
    const totals = perSender.map((links) => links.reduce((sum, x) => sum + x, 0));
    const perLink = perSender.flat();
    const limits = videoLimitsFor(PARTICIPANTS);
    const budgetKbps = TOTAL_VIDEO_BUDGET_BPS / 1000;
    const linkCapKbps = limits.maxBitrate / 1000;
    const applied = second.flat();
    const capped = applied.filter((link) => link.maxBitrate === limits.maxBitrate).length;
    console.log(
      `per sender (kbps): ${totals.map((x) => x.toFixed(0)).join(', ')}; links: ${perLink.map((x) => x.toFixed(0)).join(', ')}; capped ${capped} of ${applied.length}`,
    );
    for (const [i, links] of second.entries())
      console.log(
        `sender ${i}: ${links.map((l) => `${l.maxBitrate ?? 'unset'}@${l.width ?? '?'}px/${Math.round(l.fps ?? 0)}fps/${l.limitation}`).join('  ')}`,
      );

    writeBenchResult({
      id: 'mesh-bandwidth',
      title: `8. Mesh bandwidth: outgoing video per sender at ${PARTICIPANTS} participants`,
      rows: [
        {
          measure: `Outgoing video per sender (sum of ${PARTICIPANTS - 1} links), highest of ${PARTICIPANTS}`,
          value: round(max(totals)),
          unit: 'kbit/s',
          baseline: { name: 'budget, bitrate-policy.ts', value: budgetKbps },
          ratio: ratio(max(totals), budgetKbps),
          goal: `≤ ${budgetKbps} kbit/s (TOTAL_VIDEO_BUDGET_BPS)`,
          met: max(totals) <= budgetKbps,
        },
        {
          measure: `Outgoing video per sender, median of ${PARTICIPANTS}`,
          value: round(median(totals)),
          unit: 'kbit/s',
          baseline: { name: 'budget, bitrate-policy.ts', value: budgetKbps },
          ratio: ratio(median(totals), budgetKbps),
        },
        {
          measure: `Video links with the policy's per-link cap applied`,
          value: capped,
          unit: 'links',
          baseline: { name: 'links', value: applied.length },
          ratio: ratio(capped, applied.length),
        },
        {
          measure: `Outgoing video per link, highest of ${perLink.length}`,
          value: round(max(perLink)),
          unit: 'kbit/s',
          baseline: { name: `per-link cap at ${PARTICIPANTS} participants`, value: linkCapKbps },
          ratio: ratio(max(perLink), linkCapKbps),
        },
      ],
      notes: [
        `${PARTICIPANTS} participants in one headless Chromium (one context each), fake camera playing ${SMOKE ? `160x120 random noise at ${SMOKE_FPS}` : '320x240 random noise at 15'} fps, so every encoder wants more than its cap. Rates: outbound-rtp video bytesSent over ${WINDOW_MS / 1000} s, after all ${(PARTICIPANTS * (PARTICIPANTS - 1)) / 2} links were connected and ${SETTLE_MS / 1000} s of settling.`,
        `Policy at ${PARTICIPANTS} participants: ${linkCapKbps} kbit/s per link (${TOTAL_VIDEO_BUDGET_BPS / 1000} kbit/s total, at most ${MAX_LINK_VIDEO_BPS / 1000} per link), resolution ÷ ${limits.scaleResolutionDownBy}. Applied on the senders (RTCRtpSender.getParameters): maxBitrate ${[...new Set(applied.map((l) => l.maxBitrate ?? 'unset'))].join('/')}, scaleResolutionDownBy ${[...new Set(applied.map((l) => l.scale ?? 'unset'))].join('/')}; encoded width ${[...new Set(applied.map((l) => l.width ?? '?'))].join('/')} px at ${[...new Set(applied.map((l) => Math.round(l.fps ?? 0)))].join('/')} fps; quality limited by ${[...new Set(applied.map((l) => l.limitation ?? '?'))].join('/')}.`,
        `Per sender (kbit/s): ${totals.map((x) => Math.round(x)).join(', ')}. Per link: ${perLink.map((x) => Math.round(x)).join(', ')}.`,
      ],
    });
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
    await browser.close();
  }
});
