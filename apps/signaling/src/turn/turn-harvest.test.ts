import { PROTOCOL_VERSION, createRoomId, type IceServer } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  coturnUnavailableReason,
  startCoturn,
  type Coturn,
} from '../../../../e2e/support/coturn.ts';
import { useTestServer } from '../testing/server-fixture.ts';
import { allocate, type Allocation } from '../testing/turn-allocator.ts';

/**
 * The TURN-harvest attack, against a real coturn: one address joins room after room to collect
 * credentials and allocations. Credentials past the hourly cap are refused, and since every
 * credential from one address names the same TURN user, coturn's user-quota stops the
 * allocations however many joins they came from.
 */

const SECRET = 'harvest-test-secret-0123456789';
const USER_QUOTA = 2;
const MINTS_PER_HOUR = 4;
const unavailable = coturnUnavailableReason();

const fixture = useTestServer();

describe('TURN harvest from one address', () => {
  let coturn: Coturn;
  const held: Allocation[] = [];

  beforeAll(async () => {
    if (unavailable) return;
    coturn = await startCoturn({ secret: SECRET, extraLines: [`user-quota=${USER_QUOTA}`] });
  });
  afterAll(async () => coturn?.stop());
  afterEach(async () => {
    for (const allocation of held.splice(0)) await allocation.release();
  });
  beforeEach(({ skip }) => skip(unavailable !== undefined, unavailable));

  async function credentialFrom(localAddress: string): Promise<IceServer | undefined> {
    const c = await fixture.client({ localAddress });
    c.send({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId: createRoomId(),
      displayName: 'harvester',
    });
    return (await c.next('joined')).iceServers.find((s) => s.username !== undefined);
  }

  async function hold(credential: IceServer): Promise<number> {
    const allocation = await allocate(
      { host: '127.0.0.1', port: coturn.port },
      { username: credential.username!, credential: credential.credential! },
    );
    held.push(allocation);
    return allocation.status;
  }

  it('refuses credentials past the hourly cap, and allocations past user-quota get 486', async () => {
    await fixture.start({
      turn: {
        urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`],
        secret: SECRET,
        ttlSeconds: 600,
        mintsPerHourPerAddress: MINTS_PER_HOUR,
      },
      joinBurstPerIp: 100,
    });

    // Joins from one address: a credential each up to the cap, then none.
    const harvested: IceServer[] = [];
    for (let i = 0; i < MINTS_PER_HOUR; i++) harvested.push((await credentialFrom('127.0.0.1'))!);
    expect(await credentialFrom('127.0.0.1')).toBeUndefined();
    expect(new Set(harvested.map((c) => c.username!.split(':')[1])).size).toBe(1);

    // Each credential comes from another join (another peer ID), yet coturn counts them as
    // one user: user-quota allocations, then 486 Allocation Quota Reached.
    const statuses: number[] = [];
    for (const credential of harvested) statuses.push(await hold(credential));
    expect(statuses).toEqual([
      ...Array<number>(USER_QUOTA).fill(200),
      ...Array<number>(MINTS_PER_HOUR - USER_QUOTA).fill(486),
    ]);

    // Another address has its own user and its own quota.
    const neighbour = await credentialFrom('127.0.0.2');
    expect(await hold(neighbour!)).toBe(200);
  });
});
