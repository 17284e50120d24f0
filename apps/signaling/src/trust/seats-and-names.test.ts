import { PROTOCOL_VERSION, createRoomId } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServerProcess, type ServerProcess } from '../testing/server-process.ts';
import { HttpRefusal, TestClient } from '../testing/test-client.ts';

/**
 * Names, resume tokens, takeovers, per-address grouping and the default origin policy, against
 * the real entry point in its own process.
 */

const RESUME_GRACE_MS = 400;
let server: ServerProcess | undefined;
const clients: TestClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.socket.terminate();
  server?.kill();
  server = undefined;
});

async function startProcess(env: Record<string, string> = {}): Promise<string> {
  server = spawnServerProcess({ env: { RESUME_GRACE_MS: String(RESUME_GRACE_MS), ...env } });
  return `http://127.0.0.1:${await server.port}`;
}

async function connect(url: string, options: Parameters<typeof TestClient.connect>[1] = {}) {
  const c = await TestClient.connect(url, options);
  clients.push(c);
  return c;
}

describe('display names', () => {
  it('are cleaned, told apart, and never "You"; lone surrogates are refused', async () => {
    const url = await startProcess();
    const roomId = createRoomId();
    const first = await connect(url);
    await first.join(roomId, '\u202eSam\u200b \u0007');
    const second = await connect(url);
    const joined = await second.join(roomId, 'SAM');
    expect(joined.peers.map((p) => p.displayName)).toEqual(['Sam']);
    // The newcomer learns the name it is shown under; the room sees only that one.
    expect(await second.next('peer-updated')).toEqual({
      type: 'peer-updated',
      peerId: joined.selfId,
      displayName: 'SAM (2)',
      takeover: false,
    });
    expect((await first.next('peer-joined')).peer.displayName).toBe('SAM (2)');

    const you = await connect(url);
    const asYou = await you.join(roomId, 'you');
    expect((await you.next('peer-updated', (m) => m.peerId === asYou.selfId)).displayName).toBe(
      'you (2)',
    );

    const broken = await connect(url);
    broken.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: 'a\ud800b' });
    expect(await broken.next('error')).toMatchObject({ code: 'bad-message', path: 'displayName' });
  });
});

describe('resume tokens', () => {
  it('bring a seat back within the grace period', async () => {
    // A long grace: the reconnect must land inside it however loaded the machine is.
    const url = await startProcess({ RESUME_GRACE_MS: '60000' });
    const roomId = createRoomId();
    const stay = await connect(url);
    await stay.join(roomId, 'Stay');
    const drop = await connect(url);
    const joined = await drop.join(roomId, 'Drop');
    drop.socket.terminate();
    const back = await connect(url);
    const again = await back.join(roomId, 'Drop', {
      peerId: joined.selfId,
      token: joined.resumeToken,
    });
    expect(again).toMatchObject({ selfId: joined.selfId, resumed: true });
  });

  it('expire with the grace period', async () => {
    const url = await startProcess();
    const roomId = createRoomId();
    const stay = await connect(url);
    await stay.join(roomId, 'Stay');
    const drop = await connect(url);
    const joined = await drop.join(roomId, 'Drop');
    drop.socket.terminate();
    await stay.next('peer-left', (m) => m.peerId === joined.selfId && m.reason === 'disconnected');
    const late = await connect(url);
    const again = await late.join(roomId, 'Drop', {
      peerId: joined.selfId,
      token: joined.resumeToken,
    });
    expect(again.resumed).toBe(false);
    expect(again.selfId).not.toBe(joined.selfId);
  });

  it('are invalidated on leave, in an occupied room and in one that has emptied', async () => {
    const url = await startProcess();
    const roomId = createRoomId();
    const stay = await connect(url);
    await stay.join(roomId, 'Stay');
    const leaver = await connect(url);
    const joined = await leaver.join(roomId, 'Leaver');
    leaver.send({ type: 'leave' });
    await stay.next('peer-left', (m) => m.peerId === joined.selfId && m.reason === 'left');
    const replay = await connect(url);
    const token = { peerId: joined.selfId, token: joined.resumeToken };
    const replayed = await replay.join(roomId, 'Leaver', token);
    expect(replayed.selfId).not.toBe(joined.selfId);

    // Everyone gone: the room is unknown, yet the left seat stays ended.
    const solo = await connect(url);
    const soloRoom = createRoomId();
    const soloJoined = await solo.join(soloRoom, 'Solo');
    solo.send({ type: 'leave' });
    await solo.sync();
    const soloReplay = await connect(url);
    const soloAgain = await soloReplay.join(soloRoom, 'Solo', {
      peerId: soloJoined.selfId,
      token: soloJoined.resumeToken,
    });
    expect(soloAgain.selfId).not.toBe(soloJoined.selfId);
  });

  it('a takeover of a live seat tells the room, with the new name; the old connection is closed', async () => {
    const url = await startProcess();
    const roomId = createRoomId();
    const watcher = await connect(url);
    await watcher.join(roomId, 'Watcher');
    const owner = await connect(url);
    const joined = await owner.join(roomId, 'Owner');
    const thief = await connect(url, { localAddress: '127.0.0.2' });
    await thief.join(roomId, 'Mallory', { peerId: joined.selfId, token: joined.resumeToken });
    expect(await watcher.next('peer-updated')).toEqual({
      type: 'peer-updated',
      peerId: joined.selfId,
      displayName: 'Mallory',
      takeover: true,
    });
    expect((await owner.closed).code).toBe(4002);
  });
});

describe('per-address limits group IPv6 by /64', () => {
  it('joins and connections from one /64 share one allowance', async () => {
    const url = await startProcess({
      TRUST_PROXY: 'true',
      JOIN_BURST_PER_IP: '2',
      JOINS_PER_SECOND_PER_IP: '1',
      MAX_CONNECTIONS_PER_IP: '3',
    });
    const from = (address: string) => connect(url, { headers: { 'X-Forwarded-For': address } });
    const a = await from('2001:db8:1:2::1');
    const b = await from('2001:db8:1:2:aaaa::2');
    await a.join(createRoomId());
    await b.join(createRoomId());
    const c = await from('2001:db8:1:2:ffff:ffff:ffff:fffe');
    c.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId: createRoomId(), displayName: 'x' });
    expect(await c.next('error')).toMatchObject({ code: 'join-rate-limited' });
    // The fourth connection from the /64 is refused before the handshake...
    await expect(from('2001:db8:1:2::4')).rejects.toEqual(new HttpRefusal(429));
    // ...while the next /64 over is someone else.
    await (await from('2001:db8:1:3::1')).join(createRoomId());
  });
});

describe('default origin policy (ALLOWED_ORIGINS empty)', () => {
  it('accepts loopback, refuses DNS rebinding, says so at start-up', async () => {
    const url = await startProcess();
    const policy = await server!.waitForLog((e) => String(e.msg).startsWith('WebSocket origins'));
    expect(policy.msg).toContain('loopback');
    await connect(url, { origin: 'http://localhost:8080' });
    const port = new URL(url).port;
    await expect(
      connect(url, {
        origin: `http://evil.example:${port}`,
        headers: { Host: `evil.example:${port}` },
      }),
    ).rejects.toEqual(new HttpRefusal(403));
  });

  it('accepts the PUBLIC_URL origin too', async () => {
    const url = await startProcess({ PUBLIC_URL: 'https://meet.example.org' });
    await server!.waitForLog((e) =>
      String(e.msg).includes('https://meet.example.org (PUBLIC_URL)'),
    );
    await connect(url, {
      origin: 'https://meet.example.org',
      headers: { Host: 'meet.example.org' },
    });
    await expect(connect(url, { origin: 'https://other.example.org' })).rejects.toEqual(
      new HttpRefusal(403),
    );
  });
});
