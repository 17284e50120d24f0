import { randomBytes } from 'node:crypto';
import { createRoomId } from '@parley/protocol';
import { chromium, type Browser, type BrowserContext } from '@playwright/test';
import {
  ParleyProcess,
  expect,
  expectVideoPlaying,
  test,
  tile,
  type Participant,
} from './fixtures.ts';
import { CHROMIUM_ARGS } from './playwright.config.ts';
import { startCoturn, type Coturn } from './support/coturn.ts';
import { joinFrom } from './support/join.ts';
import {
  buildNatLab,
  LAB,
  natLabUnavailableReason,
  type NatLab,
  type NatMode,
} from './support/nat-lab.ts';

/**
 * Calls between two Chromium instances behind NAT routers (e2e/support/nat-lab.ts): each browser
 * runs in its own client namespace, Parley and coturn run on the lab's "public" TURN host.
 * Symmetric NAT defeats hole punching, so only TURN can connect the call; cone NAT lets STUN
 * alone connect it. The chosen candidate pair types are attached to each test's report.
 */

const SECRET = randomBytes(24).toString('base64url');
const WEB_PORT = 8080;
const ORIGIN = `http://${LAB.turnIp}:${WEB_PORT}`;
const STUN_URLS = `stun:${LAB.turnIp}:3478`;
// The camera needs a secure context; the lab's origin is plain HTTP on a non-loopback address.
const LAB_CHROMIUM_ARGS = [
  ...CHROMIUM_ARGS,
  `--unsafely-treat-insecure-origin-as-secure=${ORIGIN}`,
];
// Chromium gives up on ICE about 15-20 s after checks start (connectionState "failed").
const ICE_FAILURE_TIMEOUT_MS = 60_000;

const unavailable = natLabUnavailableReason();

for (const mode of ['symmetric', 'cone'] as const satisfies NatMode[]) {
  test.describe(`${mode} NAT`, () => {
    // Two browsers, a server and coturn on two shared cores: generous deadlines, not sleeps.
    test.describe.configure({ timeout: 120_000 });
    let lab: NatLab | undefined;
    let coturn: Coturn | undefined;

    test.beforeAll(async () => {
      test.skip(unavailable !== undefined, unavailable);
      lab = await buildNatLab(mode);
      console.log(`${mode} NAT lab built in ${lab.buildMs} ms`);
      // coturn also answers STUN, so it is the STUN server of the STUN-only configuration too.
      coturn = await startCoturn({ secret: SECRET, netns: lab.ns.turn, listenIps: [LAB.turnIp] });
    });

    // Runs even when a test or beforeAll failed; the lab also removes stale labs when built.
    test.afterAll(async () => {
      await coturn?.stop();
      if (lab) console.log(`${mode} NAT lab torn down in ${await lab.teardown()} ms`);
    });

    test('with TURN, two browsers behind the NATs connect and see each other', async () => {
      await inCall(
        lab!,
        { STUN_URLS, TURN_URLS: `turn:${LAB.turnIp}:3478?transport=udp`, TURN_SECRET: SECRET },
        async ([ada, bob]) => {
          await expectVideoPlaying(tile(ada.page, 'Bob'));
          await expectVideoPlaying(tile(bob.page, 'Ada'));
          const pairs = await reportPairs([ada, bob], `${mode}, TURN`);
          // No direct path exists through two symmetric NATs: whatever was chosen is relayed.
          if (mode === 'symmetric') for (const pair of pairs) expect(pair.route).toBe('relay');
        },
      );
    });

    if (mode === 'symmetric') {
      test('with STUN only, the call cannot connect', async () => {
        await inCall(
          lab!,
          { STUN_URLS },
          async ([ada, bob]) => {
            for (const [page, name] of [
              [ada.page, 'Bob'],
              [bob.page, 'Ada'],
            ] as const) {
              // The browser gives up: the peer connection reaches "failed"...
              await page.waitForFunction(
                () => (window.parleyPeerConnectionStates ?? []).flat().includes('failed'),
                undefined,
                { timeout: ICE_FAILURE_TIMEOUT_MS },
              );
              // ...without ever having connected, and not a single frame arrived.
              const states = await page.evaluate(() => window.parleyPeerConnectionStates ?? []);
              expect(states.flat()).not.toContain('connected');
              await expect(tile(page, name)).not.toHaveAttribute('data-connection', 'connected');
              const frames = await tile(page, name).getAttribute('data-frames-decoded');
              expect(Number(frames ?? 0)).toBe(0);
            }
            // After one more attempt (an ICE restart) the app says so instead of "Connecting…".
            for (const [page, name] of [
              [ada.page, 'Bob'],
              [bob.page, 'Ada'],
            ] as const) {
              await expect(tile(page, name)).toHaveAttribute('data-connection', 'unreachable', {
                timeout: 2 * ICE_FAILURE_TIMEOUT_MS,
              });
              await expect(tile(page, name)).toContainText('Could not connect');
            }
          },
          recordPeerConnectionStates,
        );
      });
    } else {
      test('with STUN only, hole punching connects the call directly', async () => {
        await inCall(lab!, { STUN_URLS }, async ([ada, bob]) => {
          await expectVideoPlaying(tile(ada.page, 'Bob'));
          await expectVideoPlaying(tile(bob.page, 'Ada'));
          const pairs = await reportPairs([ada, bob], `${mode}, STUN only`);
          for (const pair of pairs) expect(pair.route).toBe('direct');
        });
      });
    }
  });
}

/**
 * Starts Parley on the TURN host with `env`, launches Chromium in each client namespace and
 * joins Ada (behind router A) and Bob (behind router B) to one room; cleans all of it up.
 */
async function inCall(
  lab: NatLab,
  env: Record<string, string>,
  body: (participants: [Participant, Participant]) => Promise<void>,
  setup?: (context: BrowserContext) => Promise<void>,
): Promise<void> {
  // The pages load from the lab address, not loopback: it is the server's public origin here.
  const publicUrl = `http://${LAB.turnIp}:${WEB_PORT}`;
  const server = new ParleyProcess(
    { HOST: LAB.turnIp, PORT: String(WEB_PORT), PUBLIC_URL: publicUrl, ...env },
    ['ip', 'netns', 'exec', lab.ns.turn],
  );
  const browsers: Browser[] = [];
  const opened: BrowserContext[] = [];
  try {
    await server.start();
    for (const namespace of [lab.ns.clientA, lab.ns.clientB])
      browsers.push(
        await chromium.launch({
          executablePath: lab.chromiumIn(namespace),
          args: LAB_CHROMIUM_ARGS,
        }),
      );
    const roomUrl = `${server.url}/r/${createRoomId()}`;
    const ada = await joinFrom(browsers[0]!, roomUrl, 'Ada', opened, { setup });
    const bob = await joinFrom(browsers[1]!, roomUrl, 'Bob', opened, { setup });
    await body([ada, bob]);
  } finally {
    await Promise.all(opened.map((context) => context.close().catch(() => undefined)));
    await Promise.all(browsers.map((browser) => browser.close().catch(() => undefined)));
    await server.stop();
  }
}

interface ChosenPair {
  route: string | null;
  local: string | null;
  remote: string | null;
}

/** The selected candidate pair as each side reports it, attached to the test's report. */
async function reportPairs(
  [ada, bob]: [Participant, Participant],
  label: string,
): Promise<ChosenPair[]> {
  const pairs: ChosenPair[] = [];
  for (const [who, page, name] of [
    ['Ada', ada.page, 'Bob'],
    ['Bob', bob.page, 'Ada'],
  ] as const) {
    const stats = tile(page, name).getByTestId('connection-stats');
    await expect(stats).not.toHaveAttribute('data-route', 'unknown');
    const pair = {
      route: await stats.getAttribute('data-route'),
      local: await stats.getAttribute('data-local-candidate-type'),
      remote: await stats.getAttribute('data-remote-candidate-type'),
    };
    pairs.push(pair);
    const description = `${label}: ${who} sees ${pair.local} → ${pair.remote} (${pair.route})`;
    test.info().annotations.push({ type: 'pair', description });
    console.log(description);
  }
  return pairs;
}

declare global {
  interface Window {
    /** Each RTCPeerConnection's connectionState history (recordPeerConnectionStates). */
    parleyPeerConnectionStates?: string[][];
  }
}

/**
 * Records every RTCPeerConnection's connectionState changes, so a test can await the browser's
 * own verdict ("failed") whatever the app chooses to show for it.
 */
async function recordPeerConnectionStates(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const all: string[][] = [];
    window.parleyPeerConnectionStates = all;
    window.RTCPeerConnection = class extends Native {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        const states: string[] = [];
        all.push(states);
        this.addEventListener('connectionstatechange', () => states.push(this.connectionState));
      }
    };
  });
}
