import { randomBytes } from 'node:crypto';
import { chromium, type Browser } from '@playwright/test';
import { DEFAULT_RELAY_PORTS } from '../apps/web/src/call/relay-probe.ts';
import { ParleyProcess, expect, test } from './fixtures.ts';
import { CHROMIUM_ARGS } from './playwright.config.ts';
import { startCoturn, type Coturn, type CoturnOptions } from './support/coturn.ts';
import { buildNatLab, LAB, natLabUnavailableReason, type NatLab } from './support/nat-lab.ts';

/**
 * "Test my connection" in the NAT lab (e2e/support/nat-lab.ts): the browser sits behind a NAT
 * router (client A), Parley and coturn on the lab's "public" TURN host. The two most common TURN
 * mistakes both allocate fine over 3478, so only sending data through the relay tells them from a
 * working server:
 * - a correct coturn: every check works, and packets crossed its relay ports;
 * - coturn without the right external IP (it relays from, and advertises, a private address of
 *   its host, like a cloud VM without TURN_EXTERNAL_IP): reported with that reason;
 * - coturn whose relay port range the host's firewall drops: reported with that reason.
 */

const SECRET = randomBytes(24).toString('base64url');
const WEB_PORT = 8080;
const ORIGIN = `http://${LAB.turnIp}:${WEB_PORT}`;
/** The TURN host's private interface address, as on a VM behind its provider's 1:1 NAT. */
const PRIVATE_IP = '100.64.50.10';
const TURN = `${LAB.turnIp}:3478`;
const RELAY_CHECKS = ['turn-udp', 'turn-tcp'] as const;

const unavailable = natLabUnavailableReason();

test.describe('connection test in the NAT lab', () => {
  // A browser, a server and coturn on two shared cores, and two 10 s "no data" deadlines.
  test.describe.configure({ timeout: 120_000 });
  let lab: NatLab | undefined;
  let parley: ParleyProcess | undefined;
  let browser: Browser | undefined;

  test.beforeAll(async () => {
    test.skip(unavailable !== undefined, unavailable);
    lab = await buildNatLab('symmetric');
    lab.exec(lab.ns.turn, 'ip', ['addr', 'add', `${PRIVATE_IP}/32`, 'dev', 'eth0']);
    parley = new ParleyProcess(
      {
        HOST: LAB.turnIp,
        PORT: String(WEB_PORT),
        PUBLIC_URL: ORIGIN,
        STUN_URLS: `stun:${TURN}`,
        TURN_URLS: `turn:${TURN}?transport=udp,turn:${TURN}?transport=tcp`,
        TURN_SECRET: SECRET,
      },
      ['ip', 'netns', 'exec', lab.ns.turn],
    );
    await parley.start();
    browser = await chromium.launch({
      executablePath: lab.chromiumIn(lab.ns.clientA),
      args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${ORIGIN}`],
    });
  });

  test.afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await parley?.stop();
    if (lab) console.log(`connection-test NAT lab torn down in ${await lab.teardown()} ms`);
  });

  /** Runs the page's test from client A against a coturn started with `options`. */
  async function testConnection(
    options: Partial<CoturnOptions>,
    body: (page: import('@playwright/test').Page, coturn: Coturn) => Promise<void>,
  ): Promise<void> {
    const coturn = await startCoturn({
      secret: SECRET,
      netns: lab!.ns.turn,
      listenIps: [LAB.turnIp],
      ...options,
    });
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${ORIGIN}/test`);
      await page.getByRole('button', { name: 'Test my connection' }).click();
      await body(page, coturn);
    } finally {
      await context.close();
      await coturn.stop();
    }
  }

  test('a correct coturn: every check works and data crossed its relay ports', async () => {
    await testConnection({}, async (page, coturn) => {
      // Counts (without judging) what arrives at the relay ports on the TURN host.
      const ports = `${coturn.relayPorts.min}:${coturn.relayPorts.max}`;
      const countRule = ['INPUT', '-p', 'udp', '--dport', ports];
      lab!.exec(lab!.ns.turn, 'iptables', ['-I', ...countRule]);
      try {
        for (const check of ['stun', ...RELAY_CHECKS])
          await expect(page.locator(`[data-check=${check}]`)).toHaveAttribute('data-status', 'ok');
        // Behind the lab's NAT the server sees router A's public address.
        await expect(page.locator('[data-check=stun]')).toContainText(LAB.routerAPublic);
        for (const check of RELAY_CHECKS)
          await expect(page.locator(`[data-check=${check}]`)).toContainText(
            `Data went through the relay (${LAB.turnIp}) and back: 5 messages`,
          );
        await expect(page.getByTestId('connection-test-summary')).toContainText(
          'Calls should connect',
        );
        const packets = relayPortPackets(lab!, ports);
        console.log(`packets into the relay ports during both relay checks: ${packets}`);
        // Two checks × five messages each way, plus ICE and DTLS: far more than a handful.
        expect(packets).toBeGreaterThan(20);
      } finally {
        lab!.exec(lab!.ns.turn, 'iptables', ['-D', ...countRule]);
      }
    });
  });

  test('a coturn without the right external IP is reported with that reason', async () => {
    await testConnection({ relayIps: [PRIVATE_IP] }, async (page) => {
      for (const check of RELAY_CHECKS) {
        const row = page.locator(`[data-check=${check}]`);
        await expect(row).toHaveAttribute('data-status', 'failed');
        await expect(row).toHaveAttribute('data-reason', 'private-relay-address');
        await expect(row).toContainText(`a private address (${PRIVATE_IP})`);
        await expect(row).toContainText('TURN_EXTERNAL_IP');
      }
      await expect(page.getByTestId('connection-test-summary')).toContainText(
        'Show this page to the server’s admin',
      );
    });
  });

  test('a coturn whose relay ports the firewall drops is reported with that reason', async () => {
    await testConnection({}, async (page, coturn) => {
      const ports = `${coturn.relayPorts.min}:${coturn.relayPorts.max}`;
      const dropRule = ['INPUT', '-p', 'udp', '--dport', ports, '-j', 'DROP'];
      lab!.exec(lab!.ns.turn, 'iptables', ['-I', ...dropRule]);
      try {
        for (const check of RELAY_CHECKS) {
          const row = page.locator(`[data-check=${check}]`);
          // Each relay check waits out its 10 s deadline for data.
          await expect(row).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
          await expect(row).toHaveAttribute('data-reason', 'relay-ports-closed');
          await expect(row).toContainText(`(${LAB.turnIp}), but no data came through it`);
          await expect(row).toContainText(`open UDP ${DEFAULT_RELAY_PORTS}`);
        }
        // STUN does not use the relay ports: it still works.
        await expect(page.locator('[data-check=stun]')).toHaveAttribute('data-status', 'ok');
        await expect(page.getByTestId('connection-test-summary')).toContainText(
          'Show this page to the server’s admin',
        );
      } finally {
        lab!.exec(lab!.ns.turn, 'iptables', ['-D', ...dropRule]);
      }
    });
  });
});

/** Packets counted by the TURN host's INPUT rule for UDP to `ports` (min:max). */
function relayPortPackets(lab: NatLab, ports: string): number {
  const listing = lab.exec(lab.ns.turn, 'iptables', ['-L', 'INPUT', '-v', '-x', '-n']);
  const line = listing.split('\n').find((l) => l.includes(`udp dpts:${ports}`));
  if (!line) throw new Error(`no counting rule for ${ports} in:\n${listing}`);
  return Number(line.trim().split(/\s+/)[0]);
}
