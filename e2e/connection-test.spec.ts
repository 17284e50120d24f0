import { randomBytes } from 'node:crypto';
import { coturnUnavailableReason, startCoturn, type Coturn } from './support/coturn.ts';
import { ParleyProcess, expect, test } from './fixtures.ts';

/**
 * The "Test my connection" page against a real coturn on loopback: with the right shared
 * secret every check passes; with a wrong one the relay checks fail with the 401 explained,
 * and a STUN server nobody answers on is reported unreachable.
 */
const SECRET = randomBytes(24).toString('base64url');

let coturn: Coturn | undefined;
test.beforeAll(async () => {
  const missing = coturnUnavailableReason();
  test.skip(missing !== undefined, missing);
  // The relay checks send data between two relay candidates on 127.0.0.1: coturn must be let
  // relay to loopback (never in production).
  coturn = await startCoturn({
    secret: SECRET,
    extraLines: ['allow-loopback-peers', 'allowed-peer-ip=127.0.0.1'],
  });
});
test.afterAll(async () => {
  await coturn?.stop();
});

async function parleyWith(env: Record<string, string>): Promise<ParleyProcess> {
  const parley = new ParleyProcess(env);
  await parley.start();
  return parley;
}

const turnEnv = (secret: string, stunPort: number) => ({
  STUN_URLS: `stun:127.0.0.1:${stunPort}`,
  TURN_URLS: `turn:127.0.0.1:${coturn!.port}?transport=udp,turn:127.0.0.1:${coturn!.port}?transport=tcp`,
  TURN_SECRET: secret,
});

test('every check passes against a working coturn, and the lobby offers relay-only', async ({
  page,
}) => {
  const parley = await parleyWith(turnEnv(SECRET, coturn!.port));
  try {
    await page.goto(`${parley.url}/test`);
    await page.getByRole('button', { name: 'Test my connection' }).click();
    for (const check of ['stun', 'turn-udp', 'turn-tcp'])
      await expect(page.locator(`[data-check=${check}]`)).toHaveAttribute('data-status', 'ok');
    // A loopback server may relay on loopback (it is a local-only server, like one on a LAN).
    for (const check of ['turn-udp', 'turn-tcp'])
      await expect(page.locator(`[data-check=${check}]`)).toContainText(
        'Data went through the relay (127.0.0.1) and back',
      );
    await expect(page.getByRole('status')).toContainText('Calls should connect');

    await page.goto(`${parley.url}/r/${'x'.repeat(22)}`);
    const relayOnly = page.getByLabel('Relay only (hides your IP address)');
    await expect(relayOnly).toBeEnabled();
    await expect(relayOnly).not.toBeChecked();
  } finally {
    await parley.stop();
  }
});

test('a wrong TURN secret shows as refused credentials; a silent STUN server as unreachable', async ({
  page,
}) => {
  // Nobody listens on the relay range's last port (coturn only allocates from it on demand).
  const parley = await parleyWith(turnEnv('not-the-secret-coturn-has', coturn!.relayPorts.max));
  try {
    await page.goto(`${parley.url}/test`);
    await page.getByRole('button', { name: 'Test my connection' }).click();
    for (const check of ['turn-udp', 'turn-tcp']) {
      const row = page.locator(`[data-check=${check}]`);
      await expect(row).toHaveAttribute('data-status', 'failed');
      await expect(row).toContainText('refused the credentials (401)');
      await expect(row).toHaveAttribute('data-reason', 'credentials-refused');
    }
    const stun = page.locator('[data-check=stun]');
    await expect(stun).toHaveAttribute('data-status', 'failed', { timeout: 30_000 });
    await expect(stun).toContainText('Unreachable');
  } finally {
    await parley.stop();
  }
});

test('without TURN configured, the lobby says so and relay-only cannot be picked', async ({
  page,
  parley,
}) => {
  await page.goto(`${parley.url}/r/${'y'.repeat(22)}`);
  await expect(page.getByLabel('Relay only (hides your IP address)')).toBeDisabled();
  await expect(page.getByText('This server has no relay (TURN) configured')).toBeVisible();
  await page.goto(`${parley.url}/test`);
  await page.getByRole('button', { name: 'Test my connection' }).click();
  for (const check of ['stun', 'turn-udp', 'turn-tcp'])
    await expect(page.locator(`[data-check=${check}]`)).toHaveAttribute(
      'data-status',
      'not-configured',
    );
});
