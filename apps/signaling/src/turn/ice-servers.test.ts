import { createHmac } from 'node:crypto';
import { createRoomId } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../testing/server-fixture.ts';
import { turnUserFor } from './ice-servers.ts';

const SECRET = 'turn-secret-for-tests-0123456789';
const turn = {
  urls: ['turn:127.0.0.1:3478?transport=udp'],
  secret: SECRET,
  ttlSeconds: 600,
  mintsPerHourPerAddress: 100,
};

const fixture = useTestServer();
const { start, client } = fixture;

/** What coturn does with `use-auth-secret`: recompute the password from the username. */
const expectedPassword = (username: string) =>
  createHmac('sha1', SECRET).update(username).digest('base64');

describe('TURN credentials', () => {
  it('are minted per member at join: expiry one TTL ahead, the address HMAC as user, a valid HMAC', async () => {
    await start({ turn, stunUrls: ['stun:127.0.0.1:3478'] });
    const c = await client();
    const before = Math.floor(Date.now() / 1000);
    const joined = await c.join(createRoomId());
    expect(joined.iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    const relay = joined.iceServers[1]!;
    expect(relay.urls).toEqual(turn.urls);
    const [expiry, user] = relay.username!.split(':');
    expect(user).toBe(turnUserFor(SECRET, '127.0.0.1'));
    expect(user).not.toContain('127');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + turn.ttlSeconds);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + turn.ttlSeconds);
    expect(relay.credential).toBe(expectedPassword(relay.username!));
  });

  it('are refreshed on request for members, and refused to anyone not in a room', async () => {
    await start({ turn });
    const stranger = await client();
    stranger.send({ type: 'refresh-ice-servers' });
    expect(await stranger.next('error')).toMatchObject({ code: 'not-in-room' });

    const member = await client();
    const joined = await member.join(createRoomId());
    member.send({ type: 'refresh-ice-servers' });
    const refreshed = await member.next('ice-servers');
    const relay = refreshed.iceServers[0]!;
    expect(relay.username!.split(':')[1]).toBe(joined.iceServers[0]!.username!.split(':')[1]);
    expect(relay.credential).toBe(expectedPassword(relay.username!));
  });

  it('share one user per address, whatever the room or peer, and differ between addresses', async () => {
    await start({ turn });
    const userOf = async (localAddress: string) => {
      const joined = await (await client({ localAddress })).join(createRoomId());
      return joined.iceServers[0]!.username!.split(':')[1];
    };
    const first = await userOf('127.0.0.1');
    expect(await userOf('127.0.0.1')).toBe(first);
    expect(await userOf('127.0.0.2')).not.toBe(first);
  });

  it('stop at the hourly cap per address: joins get no TURN, refreshes get turn-credentials-limited', async () => {
    const cap = 3;
    await start({ turn: { ...turn, mintsPerHourPerAddress: cap } });
    const member = await client();
    const joined = await member.join(createRoomId());
    expect(joined.iceServers).toHaveLength(1);
    for (let i = 1; i < cap; i++) {
      member.send({ type: 'refresh-ice-servers' });
      expect((await member.next('ice-servers')).iceServers).toHaveLength(1);
    }
    member.send({ type: 'refresh-ice-servers' });
    expect(await member.next('error')).toMatchObject({ code: 'turn-credentials-limited' });
    // A new join from the same address is still let in, without a relay credential...
    expect((await (await client()).join(createRoomId())).iceServers).toEqual([]);
    // ...while another address has its own allowance.
    const other = await client({ localAddress: '127.0.0.2' });
    expect((await other.join(createRoomId())).iceServers).toHaveLength(1);
  });

  it('are absent when no TURN server is configured, and no STUN server is assumed', async () => {
    await start();
    const joined = await (await client()).join(createRoomId());
    expect(joined.iceServers).toEqual([]);
  });

  it('the lobby learns whether relay-only is possible, without getting any credential', async () => {
    await start({ turn, relayOnlyDefault: true });
    const response = await fetch(`${fixture.server.url}/client-config.json`);
    expect(await response.json()).toEqual({ relayAvailable: true, relayOnlyDefault: true });
  });
});
