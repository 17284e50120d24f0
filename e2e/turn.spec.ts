import { randomBytes } from 'node:crypto';
import { createRoomId } from '@parley/protocol';
import type { BrowserContext } from '@playwright/test';
import { coturnUnavailableReason, startCoturn, type Coturn } from './support/coturn.ts';
import { joinFrom } from './support/join.ts';
import { ParleyProcess, expect, expectVideoPlaying, test, tile } from './fixtures.ts';

/**
 * A relay-only call through a real coturn on loopback (inside the e2e run's own network
 * namespace): both participants tick "Relay only", so the browsers gather only relay candidates
 * and every media packet goes through coturn, authenticated with the credentials the signalling
 * server minted for them.
 */
const SECRET = randomBytes(24).toString('base64url');

let coturn: Coturn | undefined;
test.beforeAll(async () => {
  const missing = coturnUnavailableReason();
  test.skip(missing !== undefined, missing);
  coturn = await startCoturn({
    secret: SECRET,
    // coturn's verbose log names each allocation's user, which shows whose credentials it took.
    verbose: true,
    // Both relays live on 127.0.0.1, so each is the other's peer: allow exactly that address.
    extraLines: ['allow-loopback-peers', 'allowed-peer-ip=127.0.0.1'],
  });
});
test.afterAll(async () => {
  await coturn?.stop();
});

test('relay-only: two participants connect through coturn and see each other', async ({
  browser,
}) => {
  // Two pages with live media and coturn on two shared cores: a generous deadline, not sleeps.
  test.setTimeout(120_000);
  const parley = new ParleyProcess({
    TURN_URLS: `turn:127.0.0.1:${coturn!.port}?transport=udp`,
    TURN_SECRET: SECRET,
  });
  await parley.start();
  const opened: BrowserContext[] = [];
  try {
    const roomUrl = `${parley.url}/r/${createRoomId()}`;
    const ada = await joinFrom(browser, roomUrl, 'Ada', opened, { relayOnly: true });
    const bob = await joinFrom(browser, roomUrl, 'Bob', opened, { relayOnly: true });

    for (const [page, name] of [
      [ada.page, 'Bob'],
      [bob.page, 'Ada'],
    ] as const) {
      await expectVideoPlaying(tile(page, name));
      const stats = tile(page, name).getByTestId('connection-stats');
      await expect(stats).toHaveAttribute('data-route', 'relay');
      // Relay-only: both ends of the selected pair are TURN relay candidates.
      await expect(stats).toHaveAttribute('data-local-candidate-type', 'relay');
      await expect(stats).toHaveAttribute('data-remote-candidate-type', 'relay');
      await expect(stats).toContainText('Relayed');
    }

    // coturn allocated with credentials the server minted (username "<expiry>:<user id>").
    // Its log arrives in batches, hence the wait.
    await coturn!.waitForOutput(
      /user <\d+:[^>]+>: incoming packet ALLOCATE processed, success/,
      15_000,
    );
  } finally {
    await Promise.all(opened.map((context) => context.close().catch(() => undefined)));
    await parley.stop();
  }
});
