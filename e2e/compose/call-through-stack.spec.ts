import type { BrowserContext, Page } from '@playwright/test';
import { expect, expectVideoPlaying, test, tile } from '../fixtures.ts';
import { joinFrom, joinFromLobby } from '../support/join.ts';

/**
 * Self-hosting, proven by a call: two Chromiums open https://DOMAIN served by the compose stack
 * (Caddy → app, coturn on the host network), one starts a call, the other joins by its link,
 * both with "Relay only", and each sees the other's video. getStats on each side shows the
 * selected candidate pair is relay ↔ relay through the compose coturn: the local candidate's
 * TURN server is turn:DOMAIN:3478 and its relayed address is the stack's public address.
 * Run by scripts/test-compose.sh (see ./playwright.config.ts for the environment it sets).
 */
const origin = process.env.PARLEY_COMPOSE_ORIGIN;
const publicIp = process.env.PARLEY_COMPOSE_IP;

/** Keeps every RTCPeerConnection the page makes, so the test can ask it for getStats. */
function recordPeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const made: RTCPeerConnection[] = [];
  (window as unknown as { parleyPeerConnections: RTCPeerConnection[] }).parleyPeerConnections =
    made;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      made.push(this);
    }
  };
}

interface SelectedPair {
  localType: string;
  localAddress: string;
  localUrl: string;
  relayProtocol: string;
  remoteType: string;
  remoteAddress: string;
  bytesReceived: number;
}

/** The selected candidate pair of each live peer connection on the page, from getStats. */
function selectedPairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { parleyPeerConnections: RTCPeerConnection[] })
      .parleyPeerConnections;
    const pairs: SelectedPair[] = [];
    for (const pc of pcs.filter((p) => p.connectionState === 'connected')) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- getStats entries vary by type
      const byId = new Map<string, any>();
      (await pc.getStats()).forEach((entry: { id: string }) => byId.set(entry.id, entry));
      const transport = [...byId.values()].find(
        (s) => s.type === 'transport' && s.selectedCandidatePairId,
      );
      const pair = transport && byId.get(transport.selectedCandidatePairId);
      if (!pair) continue;
      const local = byId.get(pair.localCandidateId);
      const remote = byId.get(pair.remoteCandidateId);
      pairs.push({
        localType: local?.candidateType,
        localAddress: local?.address,
        localUrl: local?.url ?? '',
        relayProtocol: local?.relayProtocol ?? '',
        remoteType: remote?.candidateType,
        remoteAddress: remote?.address,
        bytesReceived: pair.bytesReceived ?? 0,
      });
    }
    return pairs;
  });
}

test('a relay-only call through the compose stack: both see video, via its coturn', async ({
  browser,
}) => {
  expect(origin, 'PARLEY_COMPOSE_ORIGIN (run by scripts/test-compose.sh)').toBeTruthy();
  const domain = new URL(origin!).hostname;
  const opened: BrowserContext[] = [];
  try {
    // Ada starts a call from the landing page; Bob joins with the link her address bar shows.
    const adaContext = await browser.newContext();
    opened.push(adaContext);
    await adaContext.addInitScript(recordPeerConnections);
    const adaPage = await adaContext.newPage();
    await adaPage.goto(`${origin}/`);
    await adaPage.getByRole('button', { name: 'New call' }).click();
    await expect(adaPage).toHaveURL(/\/r\/[\w-]{22,64}$/);
    const ada = await joinFromLobby(adaPage, 'Ada', { relayOnly: true });
    const bob = await joinFrom(browser, adaPage.url(), 'Bob', opened, {
      relayOnly: true,
      setup: async (context) => void (await context.addInitScript(recordPeerConnections)),
    });

    for (const [page, other] of [
      [ada.page, 'Bob'],
      [bob.page, 'Ada'],
    ] as const) {
      await expectVideoPlaying(tile(page, other));
      await expect(tile(page, other).getByTestId('connection-stats')).toHaveAttribute(
        'data-route',
        'relay',
      );
      await expect.poll(() => selectedPairs(page)).toHaveLength(1);
      const [pair] = await selectedPairs(page);
      expect(pair).toMatchObject({
        localType: 'relay',
        // coturn relays from the stack's public address: the compose coturn, nobody else's.
        localAddress: publicIp,
        remoteType: 'relay',
        remoteAddress: publicIp,
        relayProtocol: expect.stringMatching(/^(udp|tcp)$/),
      });
      expect(pair!.localUrl).toMatch(new RegExp(`^turn:${domain.replace('.', '\\.')}:3478`));
      expect(pair!.bytesReceived).toBeGreaterThan(0);
    }
  } finally {
    await Promise.all(opened.map((context) => context.close().catch(() => undefined)));
  }
});
