import type { Browser, BrowserContext } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { expect, test } from '../../e2e/fixtures.ts';
import { sized } from '../lib/mode.ts';
import { writeBenchResult, ratio, type BenchRow } from '../lib/result.ts';
import { max, median, min, quantile, round } from '../lib/stats.ts';
import { bareCallPeer, openBlankPage, relay } from './support/bare-call.ts';
import { instrument, marksOf, waitForMark } from './support/instrument.ts';

/**
 * Issue 6, item 5: from clicking "Join call" to the first remote frame, two participants,
 * headless Chromium on loopback, each run in fresh browser contexts. Parley and a bare
 * two-RTCPeerConnection page take turns, so both see the same machine load. The parts come from
 * the same marks on both sides (support/instrument.ts) plus Parley's own `parley:*` marks.
 *
 * Both sides have their camera before the click, as Parley's lobby does (the Join button is
 * disabled until the preview runs); getUserMedia is reported on its own. The baseline asks for
 * the same constraints Parley's lobby asked for (captured on the first Parley run): a 720p
 * keyframe takes longer to encode and decode than the default 480p one.
 */
const RUNS = Number(process.env.BENCH_CALL_RUNS ?? sized(12, 3, 1));
const GOAL_MS = 500;

/** Milestones in the order they happen on the joiner's page; parts are the gaps between them. */
const PARTS = [
  { part: 'media (click → camera ready)', from: 'join', to: 'media' },
  { part: 'signalling (→ offer/answer applied)', from: 'media', to: 'sdp' },
  { part: 'ICE (→ connected)', from: 'sdp', to: 'ice' },
  { part: 'DTLS (→ connected)', from: 'ice', to: 'dtls' },
  { part: 'first frame (→ decoded, shown)', from: 'dtls', to: 'frame' },
] as const;

type Milestones = Record<'join' | 'media' | 'sdp' | 'ice' | 'dtls' | 'frame', number>;
type Sample = { at: Milestones; gumMs: number; extra: Record<string, number> };
type GumWindow = { __benchGumMs: number[]; __benchGumConstraints?: MediaStreamConstraints };

function milestones(marks: Record<string, number>, prefix: 'parley' | 'bench'): Milestones {
  const at = (name: string) => {
    const value = marks[name];
    if (value === undefined) throw new Error(`mark ${name} missing: ${JSON.stringify(marks)}`);
    return value;
  };
  const join = at(`${prefix}:join-clicked`);
  return {
    join,
    media: prefix === 'parley' ? at('parley:media-ready') : join,
    sdp: at('bench:sdp-done'),
    ice: at('bench:ice-connected'),
    dtls: at('bench:dtls-connected'),
    frame: at(`${prefix}:first-remote-frame`),
  };
}

async function newParticipant(browser: Browser, roomUrl: string, name: string) {
  const context = await browser.newContext();
  await instrument(context);
  const page = await context.newPage();
  await page.goto(roomUrl);
  await page.getByLabel('Your name').fill(name);
  const join = page.getByRole('button', { name: 'Join call' });
  await expect(join).toBeEnabled(); // the lobby's camera preview is running
  return { context, page, join };
}

async function parleyRun(
  browser: Browser,
  origin: string,
): Promise<Sample & { constraints: MediaStreamConstraints | undefined }> {
  const roomUrl = `${origin}/r/${createRoomId()}`;
  const contexts: BrowserContext[] = [];
  try {
    const ada = await newParticipant(browser, roomUrl, 'Ada');
    contexts.push(ada.context);
    await ada.join.click();
    await expect(ada.page.getByRole('status')).toHaveText('Connected');
    const bob = await newParticipant(browser, roomUrl, 'Bob');
    contexts.push(bob.context);
    await bob.join.click();
    await waitForMark(bob.page, 'parley:first-remote-frame');
    const marks = await marksOf(bob.page);
    const gum = await bob.page.evaluate(() => {
      const w = window as unknown as GumWindow;
      return { ms: w.__benchGumMs, constraints: w.__benchGumConstraints };
    });
    const at = milestones(marks, 'parley');
    return {
      at,
      gumMs: gum.ms[0] ?? Number.NaN,
      constraints: gum.constraints,
      extra: {
        wsJoinedMs: (marks['parley:signaling-joined'] ?? Number.NaN) - at.media,
        offerer: marks['bench:local-offer'] !== undefined ? 1 : 0,
        channelOpenMs: (marks['parley:peer-connected'] ?? Number.NaN) - at.join,
      },
    };
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
}

async function bareRun(
  browser: Browser,
  origin: string,
  constraints: MediaStreamConstraints,
): Promise<Sample> {
  const opened: BrowserContext[] = [];
  try {
    const ada = await openBlankPage(browser, origin);
    opened.push(ada.context);
    const bob = await openBlankPage(browser, origin);
    opened.push(bob.context);
    await relay(ada.page, bob.page);
    await relay(bob.page, ada.page);
    for (const { page } of [ada, bob])
      await page.evaluate(async (asked) => {
        (window as unknown as { benchStream: MediaStream }).benchStream =
          await navigator.mediaDevices.getUserMedia(asked);
      }, constraints);
    await ada.page.evaluate(bareCallPeer, { initiator: false, media: true });
    await bob.page.evaluate(bareCallPeer, { initiator: true, media: true });
    await waitForMark(bob.page, 'bench:first-remote-frame');
    const marks = await marksOf(bob.page);
    const gum = await bob.page.evaluate(() => (window as unknown as GumWindow).__benchGumMs);
    return { at: milestones(marks, 'bench'), gumMs: gum[0] ?? Number.NaN, extra: {} };
  } finally {
    await Promise.all(opened.map((c) => c.close()));
  }
}

const ms = (x: number) => round(x, 3);

test(`call setup: join → first remote frame, Parley vs a bare page, ${RUNS} runs each`, async ({
  browser,
  parley,
}) => {
  const parleySamples: Sample[] = [];
  const bareSamples: Sample[] = [];
  let constraints: MediaStreamConstraints = { audio: true, video: true };
  for (let i = 0; i < RUNS; i++) {
    // Alternate which goes first, so neither always runs right after a teardown.
    const order = i % 2 === 0 ? (['parley', 'bare'] as const) : (['bare', 'parley'] as const);
    for (const kind of order) {
      if (kind === 'parley') {
        const sample = await parleyRun(browser, parley.url);
        constraints = sample.constraints ?? constraints;
        parleySamples.push(sample);
      } else bareSamples.push(await bareRun(browser, parley.url, constraints));
    }
    const last = (s: Sample[]) => {
      const sample = s.at(-1);
      return sample ? Math.round(sample.at.frame - sample.at.join) : Number.NaN;
    };
    console.log(
      `run ${i + 1}/${RUNS}: Parley ${last(parleySamples)} ms, bare ${last(bareSamples)} ms`,
    );
  }

  const total = (s: Sample) => s.at.frame - s.at.join;
  const totals = { parley: parleySamples.map(total), bare: bareSamples.map(total) };
  const medianTotal = median(totals.parley);
  const rows: BenchRow[] = [
    {
      measure: `Join → first remote frame, median of ${RUNS}`,
      value: ms(medianTotal),
      unit: 'ms',
      baseline: { name: 'bare RTCPeerConnection pair', value: ms(median(totals.bare)) },
      ratio: ratio(medianTotal, median(totals.bare)),
      goal: `≤ ${GOAL_MS} ms median`,
      met: medianTotal <= GOAL_MS,
    },
    ...(['p10', 'p90'] as const).map((p) => ({
      measure: `Join → first remote frame, ${p}`,
      value: ms(quantile(totals.parley, p === 'p10' ? 0.1 : 0.9)),
      unit: 'ms',
      baseline: {
        name: 'bare RTCPeerConnection pair',
        value: ms(quantile(totals.bare, p === 'p10' ? 0.1 : 0.9)),
      },
    })),
    ...PARTS.map(({ part, from, to }) => {
      const value = median(parleySamples.map((s) => s.at[to] - s.at[from]));
      const base = median(bareSamples.map((s) => s.at[to] - s.at[from]));
      return {
        measure: `  part: ${part}, median`,
        value: ms(value),
        unit: 'ms',
        baseline: { name: 'bare RTCPeerConnection pair', value: ms(base) },
      };
    }),
    {
      measure: 'getUserMedia in the lobby (before the click), median',
      value: ms(median(parleySamples.map((s) => s.gumMs))),
      unit: 'ms',
      baseline: { name: 'bare page', value: ms(median(bareSamples.map((s) => s.gumMs))) },
    },
  ];
  const extras = (key: string) => parleySamples.map((s) => s.extra[key] ?? Number.NaN);
  const list = (values: number[]) => values.map((v) => Math.round(v)).join(', ');
  writeBenchResult({
    id: 'call-setup',
    title: '5. Call setup: join → first remote frame (headless Chromium, loopback)',
    rows,
    notes: [
      `${RUNS} runs each, Parley and the baseline alternating; every run opens two fresh browser contexts (one Chromium), the first participant already in the call when the second clicks Join.`,
      `Parts are medians of each gap between milestones on the joiner's page, so they need not add up to the median total. Milestones: click (parley:join-clicked), camera ready (parley:media-ready; the lobby already has it), offer/answer applied (signalingState back to stable with both descriptions), ICE connected, connectionState connected (DTLS done), the remote <video>'s loadeddata (parley:first-remote-frame).`,
      `Parley's signalling part includes joining the room (on the WebSocket the lobby opened): median ${Math.round(median(extras('wsJoinedMs')))} ms of it. The joiner made the offer in ${extras('offerer').filter((x) => x === 1).length} of ${RUNS} runs (the server picks roles by peer ID; joined and peer-joined leave the server together, so either way the offer arrives after the same number of hops). The baseline's joiner always offers, over a Playwright relay, with Parley's getUserMedia constraints (${JSON.stringify(constraints)}).`,
      `Parley totals (ms): ${list(totals.parley)}; min ${Math.round(min(totals.parley))}, max ${Math.round(max(totals.parley))}.`,
      `Baseline totals (ms): ${list(totals.bare)}; min ${Math.round(min(totals.bare))}, max ${Math.round(max(totals.bare))}.`,
    ],
  });
});
