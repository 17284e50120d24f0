import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from '@playwright/test';
import { createRoomId } from '@parley/protocol';
import { coturnUnavailableReason, startCoturn, type Coturn } from './support/coturn.ts';
import { joinFrom } from './support/join.ts';
import {
  expect,
  expectVideoPlaying,
  isolatedNetwork,
  type NetworkFault,
  NOT_ISOLATED,
  ParleyProcess,
  test,
  tile,
} from './fixtures.ts';

/**
 * README: TURN credentials are "renewed before every ICE restart". coturn checks a credential
 * only when an allocation is made, and an ICE restart makes new allocations, so a browser that
 * restarts with the credentials it got at join fails once they have expired (Nextcloud Talk's
 * spreed#6323). Here a relay-only call runs through a real coturn with the shortest TTL the
 * server accepts, past the expiry of its first credentials; then the relayed path is cut, both
 * sides restart ICE, and the new allocations must use credentials fetched after the cut.
 */
const SECRET = randomBytes(24).toString('base64url');
/** The server's minimum TURN_CREDENTIAL_TTL_SECONDS (apps/signaling/src/config.ts). */
const TTL_SECONDS = 60;

let coturn: Coturn | undefined;
test.beforeAll(async () => {
  const missing = coturnUnavailableReason();
  test.skip(missing !== undefined, missing);
  test.skip(!isolatedNetwork, NOT_ISOLATED);
  coturn = await startCoturn({
    secret: SECRET,
    // The verbose log names the user of every allocation, i.e. which credentials were used.
    verbose: true,
    extraLines: ['allow-loopback-peers', 'allowed-peer-ip=127.0.0.1'],
  });
});
test.afterAll(async () => {
  await coturn?.stop();
});

interface Frame {
  at: number;
  /** Wall-clock milliseconds (Date.now()), to compare with a credential's expiry. */
  wall: number;
  direction: 'sent' | 'received';
  type: string;
  usernames: string[];
}

/** Records the page's signalling frames (type, and the TURN usernames of ICE server lists). */
function recordSignaling(frames: Frame[]) {
  return async (context: BrowserContext) => {
    await recordIceConfiguration(context);
    context.on('page', (page: Page) =>
      page.on('websocket', (socket) => {
        const record = (direction: Frame['direction'], payload: string | Buffer) => {
          try {
            const message = JSON.parse(String(payload)) as {
              type?: string;
              iceServers?: Array<{ username?: string }>;
            };
            frames.push({
              at: performance.now(),
              wall: Date.now(),
              direction,
              type: String(message.type),
              usernames: (message.iceServers ?? []).flatMap((s) => s.username ?? []),
            });
          } catch {
            // not JSON: not a signalling message
          }
        };
        socket.on('framesent', (frame) => record('sent', frame.payload));
        socket.on('framereceived', (frame) => record('received', frame.payload));
      }),
    );
  };
}

interface PageEvent {
  at: number;
  what: 'refresh-sent' | 'set-configuration' | 'restart-ice';
  usernames: string[];
}

/**
 * Logs, in the page's own clock, each `refresh-ice-servers` it sends, each new configuration
 * its peer connections get, and the TURN usernames a connection holds when it restarts ICE.
 */
async function recordIceConfiguration(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const log: PageEvent[] = [];
    (window as unknown as { __iceLog: PageEvent[] }).__iceLog = log;
    const usernames = (config: RTCConfiguration | undefined) =>
      (config?.iceServers ?? []).flatMap((server) => server.username ?? []);
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data) {
      if (typeof data === 'string' && data.includes('"refresh-ice-servers"'))
        log.push({ at: performance.now(), what: 'refresh-sent', usernames: [] });
      return send.call(this, data);
    };
    const setConfiguration = RTCPeerConnection.prototype.setConfiguration;
    RTCPeerConnection.prototype.setConfiguration = function (
      this: RTCPeerConnection,
      config?: RTCConfiguration,
    ) {
      log.push({ at: performance.now(), what: 'set-configuration', usernames: usernames(config) });
      return setConfiguration.call(this, config);
    };
    const restartIce = RTCPeerConnection.prototype.restartIce;
    RTCPeerConnection.prototype.restartIce = function (this: RTCPeerConnection) {
      log.push({
        at: performance.now(),
        what: 'restart-ice',
        usernames: usernames(this.getConfiguration()),
      });
      return restartIce.call(this);
    };
  });
}

function iceLog(page: Page): Promise<PageEvent[]> {
  return page.evaluate(() => (window as unknown as { __iceLog: PageEvent[] }).__iceLog);
}

/** Credential refreshes the page received (`ice-servers` replies), in order. */
function refreshes(frames: Frame[]): Frame[] {
  return frames.filter((f) => f.direction === 'received' && f.type === 'ice-servers');
}

/**
 * Drops the packets coturn relays between the two allocations (relay port to relay port), so
 * the call's only path dies while signalling and coturn itself stay reachable.
 */
function cutRelayedPath(relayPorts: { min: number; max: number }): NetworkFault {
  const range = `${relayPorts.min}:${relayPorts.max}`;
  const rule = ['INPUT', '-i', 'lo', '-p', 'udp', '--sport', range, '--dport', range, '-j', 'DROP'];
  execFileSync('iptables', ['-A', ...rule], { stdio: 'pipe' });
  let lifted = false;
  return {
    lift() {
      if (lifted) return;
      lifted = true;
      execFileSync('iptables', ['-D', ...rule], { stdio: 'pipe' });
    },
  };
}

/** Users of the allocations coturn granted, in log order. */
function allocatedUsers(log: string): string[] {
  return [...log.matchAll(/user <([^>]+)>: incoming packet ALLOCATE processed, success/g)].map(
    (m) => m[1]!,
  );
}

const expirySeconds = (username: string) => Number(username.split(':')[0]);

test('an ICE restart after the first TURN credentials expired fetches fresh ones and reconnects through the relay', async ({
  browser,
}, testInfo) => {
  // Past one TTL on purpose (the expiry is the premise), then a restart: a generous deadline.
  test.setTimeout(TTL_SECONDS * 1000 + 240_000);
  const parley = new ParleyProcess({
    TURN_URLS: `turn:127.0.0.1:${coturn!.port}?transport=udp`,
    TURN_SECRET: SECRET,
    TURN_CREDENTIAL_TTL_SECONDS: String(TTL_SECONDS),
  });
  await parley.start();
  const opened: BrowserContext[] = [];
  const frames = { Ada: [] as Frame[], Bob: [] as Frame[] };
  let fault: NetworkFault | undefined;
  try {
    const roomUrl = `${parley.url}/r/${createRoomId()}`;
    const ada = await joinFrom(browser, roomUrl, 'Ada', opened, {
      relayOnly: true,
      setup: recordSignaling(frames.Ada),
    });
    const bob = await joinFrom(browser, roomUrl, 'Bob', opened, {
      relayOnly: true,
      setup: recordSignaling(frames.Bob),
    });
    const links = [
      [ada.page, 'Bob'],
      [bob.page, 'Ada'],
    ] as const;
    for (const [page, name] of links) {
      await expectVideoPlaying(tile(page, name));
      await expect(tile(page, name).getByTestId('connection-stats')).toHaveAttribute(
        'data-local-candidate-type',
        'relay',
      );
    }
    const joinExpiries = Object.values(frames).map((f) =>
      expirySeconds(f.find((frame) => frame.type === 'joined')!.usernames[0]!),
    );
    const firstExpiry = Math.max(...joinExpiries);

    // Run past the expiry of the credentials from join (the wait is the premise, not a sleep).
    await expect
      .poll(() => Date.now() / 1000, { timeout: (TTL_SECONDS + 30) * 1000, intervals: [500] })
      .toBeGreaterThan(firstExpiry + 1);
    // Meanwhile each page renews on its own schedule: every half lifetime, at least 30 s apart,
    // counted from when its credentials arrived. Credentials expire TTL seconds after the whole
    // second they were minted in, so each page's second renewal (about join + TTL) is asked for
    // after its join credentials expired. Cut right after both have renewed after that expiry,
    // so their next scheduled renewals are far off and credentials fetched during the restart
    // below are the restart's own. (Waiting for a renewal after the later of the two expiries,
    // as this did, let the earlier joiner's renewal slip by and cost a further 30 s.)
    for (const [i, list] of Object.values(frames).entries()) {
      await expect
        .poll(() => refreshes(list).filter((f) => f.wall > joinExpiries[i]! * 1000).length, {
          timeout: 60_000,
          intervals: [250],
        })
        .toBeGreaterThan(0);
    }
    // A running call outlives its credentials (coturn checks them only at allocation).
    for (const [page, name] of links) await expectVideoPlaying(tile(page, name));

    const usersBefore = new Set(allocatedUsers(coturn!.output()));
    const logBefore = coturn!.output().length;
    const cutInPage = await Promise.all(
      [ada.page, bob.page].map((page) => page.evaluate(() => performance.now())),
    );
    const cutAt = performance.now();
    fault = cutRelayedPath(coturn!.relayPorts);
    for (const [page, name] of links) {
      await expect(tile(page, name)).toHaveAttribute('data-connection', 'reconnecting', {
        timeout: 30_000,
      });
      await expect
        .poll(async () => Number(await tile(page, name).getAttribute('data-ice-restarts')), {
          timeout: 30_000,
        })
        .toBeGreaterThan(0);
    }
    fault.lift();
    for (const [page, name] of links) {
      await expect(tile(page, name)).toHaveAttribute('data-connection', 'connected', {
        timeout: 60_000,
      });
      await expectVideoPlaying(tile(page, name));
      await expect(tile(page, name).getByTestId('connection-stats')).toHaveAttribute(
        'data-local-candidate-type',
        'relay',
      );
    }

    // Each side asked for new credentials after the cut and got them.
    const fetched = Object.values(frames).map((list) => {
      const after = list.filter((f) => f.at > cutAt);
      expect(after.some((f) => f.direction === 'sent' && f.type === 'refresh-ice-servers')).toBe(
        true,
      );
      return refreshes(after).flatMap((f) => f.usernames);
    });
    for (const users of fetched) expect(users.length).toBeGreaterThan(0);
    const heldBefore = new Set(
      Object.values(frames).flatMap((list) =>
        list.filter((f) => f.at < cutAt).flatMap((f) => f.usernames),
      ),
    );

    // The side that restarts ICE (the pair's initiator; the other side asks it to) waited for
    // them: it called restartIce() holding credentials fetched after the cut, none it had
    // before, after asking for them. (A restart made at once on the other side's request may
    // come first with what the connection holds then: those are listed in the figures.)
    const restarts = await Promise.all(
      [ada.page, bob.page].map(async (page, i) => {
        const log = (await iceLog(page)).filter((event) => event.at > cutInPage[i]!);
        const firstAsked = log.find((e) => e.what === 'refresh-sent')?.at ?? Infinity;
        return log
          .filter((e) => e.what === 'restart-ice')
          .map((e) => ({
            side: i,
            usernames: e.usernames,
            fresh:
              e.at > firstAsked &&
              e.usernames.length > 0 &&
              e.usernames.every((u) => fetched[i]!.includes(u) && !heldBefore.has(u)),
          }));
      }),
    );
    const freshRestarts = restarts.flat().filter((r) => r.fresh);
    expect(freshRestarts.length, JSON.stringify(restarts)).toBeGreaterThan(0);
    // ...and coturn granted the restart's new allocations with exactly those.
    await expect
      .poll(() => allocatedUsers(coturn!.output().slice(logBefore)), { timeout: 15_000 })
      .toEqual(expect.arrayContaining(freshRestarts.flatMap((r) => r.usernames)));
    const allocatedAfter = allocatedUsers(coturn!.output().slice(logBefore));

    const figures = {
      firstExpiry,
      usersBefore: [...usersBefore],
      fetchedAfterCut: fetched,
      allocatedAfterCut: allocatedAfter,
      restartsAfterCut: restarts
        .flat()
        .map((r) => ({ by: ['Ada', 'Bob'][r.side], fresh: r.fresh })),
    };
    testInfo.annotations.push({ type: 'turn-renewal', description: JSON.stringify(figures) });
    console.log(`TURN renewal before ICE restart: ${JSON.stringify(figures)}`);
  } finally {
    fault?.lift();
    await Promise.all(opened.map((context) => context.close().catch(() => undefined)));
    await parley.stop();
  }
});
