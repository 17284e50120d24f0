import { createHmac } from 'node:crypto';
import { createRoomId } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../testing/server-fixture.ts';

const SECRET = 'turn-secret-for-tests-0123456789';
const turn = { urls: ['turn:127.0.0.1:3478?transport=udp'], secret: SECRET, ttlSeconds: 3600 };

const fixture = useTestServer();
const { start, client } = fixture;

/** What coturn does with `use-auth-secret`: recompute the password from the username. */
const expectedPassword = (username: string) =>
  createHmac('sha1', SECRET).update(username).digest('base64');

describe('TURN credentials', () => {
  it('are minted per member at join: expiry one TTL ahead, the peer ID as user, a valid HMAC', async () => {
    await start({ turn, stunUrls: ['stun:127.0.0.1:3478'] });
    const c = await client();
    const before = Math.floor(Date.now() / 1000);
    const joined = await c.join(createRoomId());
    expect(joined.iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    const relay = joined.iceServers[1]!;
    expect(relay.urls).toEqual(turn.urls);
    const [expiry, user] = relay.username!.split(':');
    expect(user).toBe(joined.selfId);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 3600);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3600);
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
    expect(relay.username!.endsWith(`:${joined.selfId}`)).toBe(true);
    expect(relay.credential).toBe(expectedPassword(relay.username!));
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
