import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLOSE_CODES,
  MAX_CANDIDATES_PER_NEGOTIATION,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  createRoomId,
  decodeClientMessage,
  encodeMessage,
} from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRefusal, TestClient } from './testing/test-client.ts';
import { useTestServer } from './testing/server-fixture.ts';
import signalingPackage from '../package.json' with { type: 'json' };

const offer = { type: 'offer', sdp: 'v=0\r\n' } as const;
const candidate = (n: number) =>
  ({
    type: 'candidate',
    candidate: {
      candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${5000 + n} typ host`,
      sdpMid: '0',
      sdpMLineIndex: 0,
    },
  }) as const;

const fixture = useTestServer();
const { start, client } = fixture;

/** Folders of built files for the static-serving tests, removed after each test. */
const staticDirs: string[] = [];
function staticDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-static-'));
  staticDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of staticDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('joining and leaving', () => {
  it('tells the joiner who is there, announces joins and leaves, and assigns opposite polite roles', async () => {
    await start();
    const room = createRoomId();
    const ada = await client();
    const joinedA = await ada.join(room, 'Ada');
    expect(joinedA).toMatchObject({
      roomId: room,
      peers: [],
      resumed: false,
      protocol: PROTOCOL_VERSION,
      capacity: 6,
      iceServers: [],
      maxFileBytes: 10 * 1024 ** 3,
    });

    const bob = await client();
    const joinedB = await bob.join(room, 'Bob');
    expect(joinedB.peers).toEqual([
      { id: joinedA.selfId, displayName: 'Ada', polite: expect.any(Boolean) },
    ]);
    const announced = await ada.next('peer-joined');
    expect(announced.peer).toMatchObject({ id: joinedB.selfId, displayName: 'Bob' });
    expect(announced.peer.polite).toBe(!joinedB.peers[0]!.polite);

    bob.send({ type: 'leave' });
    expect(await ada.next('peer-left')).toEqual({
      type: 'peer-left',
      peerId: joinedB.selfId,
      reason: 'left',
    });
    // Bob can join again on the same socket, as a new participant.
    const again = await bob.join(room, 'Bob');
    expect(again.selfId).not.toBe(joinedB.selfId);
  });

  it('refuses a join beyond the room capacity with room-full', async () => {
    await start({ roomCapacity: 2 });
    const room = createRoomId();
    await (await client()).join(room);
    await (await client()).join(room);
    const third = await client();
    third.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId: room, displayName: 'late' });
    expect(await third.next('error')).toMatchObject({ code: 'room-full' });
    // Another room is unaffected.
    expect((await third.join(createRoomId())).peers).toEqual([]);
  });

  it('answers another protocol version with unsupported-version', async () => {
    await start();
    const c = await client();
    c.send({
      type: 'join',
      protocol: PROTOCOL_VERSION + 1,
      roomId: createRoomId(),
      displayName: 'x',
    });
    expect(await c.next('error')).toMatchObject({ code: 'unsupported-version', path: 'protocol' });
  });

  it('refuses a second join and signals or leaves outside a room', async () => {
    await start();
    const c = await client();
    c.send({ type: 'signal', to: createRoomId(), payload: offer });
    expect(await c.next('error')).toMatchObject({ code: 'not-in-room' });
    c.send({ type: 'leave' });
    expect(await c.next('error')).toMatchObject({ code: 'not-in-room' });
    await c.join(createRoomId());
    c.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId: createRoomId(), displayName: 'x' });
    expect(await c.next('error')).toMatchObject({ code: 'already-in-room' });
  });
});

describe('relaying', () => {
  it('relays only within a room, stamping from with the sender', async () => {
    await start();
    const roomOne = createRoomId();
    const [a, b, c] = [await client(), await client(), await client()];
    const idA = (await a.join(roomOne)).selfId;
    const idB = (await b.join(roomOne)).selfId;
    const idC = (await c.join(createRoomId())).selfId;

    a.send({ type: 'signal', to: idB, payload: offer });
    expect(await b.next('signal')).toEqual({ type: 'signal', from: idA, payload: offer });

    a.send({ type: 'signal', to: idC, payload: offer });
    expect(await a.next('error')).toMatchObject({ code: 'unknown-peer', path: 'to' });
    a.send({ type: 'signal', to: createRoomId(), payload: offer });
    expect(await a.next('error')).toMatchObject({ code: 'unknown-peer' });
    a.send({ type: 'signal', to: idA, payload: offer });
    expect(await a.next('error')).toMatchObject({ code: 'unknown-peer' });
    await c.sync();
    expect(c.received('signal')).toEqual([]);
  });

  it('relays a signal as a text frame reading exactly as the server encodes it, however the sender wrote it', async () => {
    await start();
    const room = createRoomId();
    const [a, b] = [await client(), await client()];
    const idA = (await a.join(room)).selfId;
    const idB = (await b.join(room)).selfId;
    const frames: Array<{ text: string; isBinary: boolean }> = [];
    b.socket.on('message', (data, isBinary) => frames.push({ text: data.toString(), isBinary }));

    const sdp = 'v=0\r\na=x:é 😀\r\n';
    const sent = [
      // The web client's shape (the relay copies its payload bytes)...
      JSON.stringify({ type: 'signal', to: idB, payload: { type: 'answer', sdp } }),
      // ...and others, which it re-encodes.
      JSON.stringify({ type: 'signal', to: idB, payload: { sdp, type: 'offer' } }),
      JSON.stringify({ type: 'signal', to: idB, payload: { type: 'offer', sdp: `${sdp}"q"` } }),
      JSON.stringify({ type: 'signal', to: idB, payload: candidate(1) }),
    ];
    for (const text of sent) a.sendRaw(text);
    await b.next('signal', (s) => s.payload.type === 'candidate');
    expect(frames).toEqual(
      sent.map((text) => {
        const decoded = decodeClientMessage(text);
        if (!decoded.ok || decoded.message.type !== 'signal') throw new Error('a bad test frame');
        const { payload } = decoded.message;
        return { text: encodeMessage({ type: 'signal', from: idA, payload }), isBinary: false };
      }),
    );
  });

  it('never relays a client-supplied from: the frame is rejected and nothing reaches the target', async () => {
    await start();
    const room = createRoomId();
    const [a, b, mallory] = [await client(), await client(), await client()];
    const idA = (await a.join(room)).selfId;
    const idB = (await b.join(room)).selfId;
    const idM = (await mallory.join(room)).selfId;

    mallory.send({ type: 'signal', to: idB, from: idA, payload: offer });
    expect(await mallory.next('error')).toMatchObject({ code: 'bad-message', path: 'from' });
    mallory.send({ type: 'signal', to: idB, payload: offer });
    const relayed = await b.next('signal');
    expect(relayed.from).toBe(idM);
    await b.sync();
    expect(b.received('signal').map((s) => s.from)).toEqual([idM]);
  });

  it('caps ICE candidates per negotiation and resets the cap on a new description', async () => {
    await start({ messageBurst: 1000 });
    const room = createRoomId();
    const [a, b] = [await client(), await client()];
    await a.join(room);
    const idB = (await b.join(room)).selfId;
    for (let n = 0; n <= MAX_CANDIDATES_PER_NEGOTIATION; n++)
      a.send({ type: 'signal', to: idB, payload: candidate(n) });
    expect(await a.next('error')).toMatchObject({ code: 'too-many-candidates' });
    await b.sync();
    expect(b.received('signal')).toHaveLength(MAX_CANDIDATES_PER_NEGOTIATION);
    a.send({ type: 'signal', to: idB, payload: offer });
    a.send({ type: 'signal', to: idB, payload: candidate(999) });
    await b.next(
      'signal',
      (s) =>
        s.payload.type === 'candidate' && s.payload.candidate.candidate.startsWith('candidate:999'),
    );
  });
});

describe('bad input', () => {
  it('answers malformed JSON, wrong types, unknown types and binary frames with typed errors and keeps serving', async () => {
    await start();
    const c = await client();
    const cases: Array<[string | Buffer, string | undefined]> = [
      ['{not json', undefined],
      ['"a string"', undefined],
      [JSON.stringify({ type: 'dance' }), 'type'],
      [
        JSON.stringify({ type: 'join', protocol: PROTOCOL_VERSION, roomId: 42, displayName: 'x' }),
        'roomId',
      ],
      [
        JSON.stringify({
          type: 'signal',
          to: createRoomId(),
          payload: { type: 'offer', sdp: 'x'.repeat(40_000) },
        }),
        'payload.sdp',
      ],
      [Buffer.from([1, 2, 3]), undefined],
    ];
    for (const [frame, path] of cases) {
      c.sendRaw(frame);
      const error = await c.next('error');
      expect(error.code).toBe('bad-message');
      expect(error.path).toBe(path);
    }
    // The same socket and a new one still work.
    expect((await c.join(createRoomId())).peers).toEqual([]);
    expect((await (await client()).join(createRoomId())).peers).toEqual([]);
  });

  it('closes a connection that sends a frame over 64 KiB with 1009', async () => {
    await start();
    const c = await client();
    c.sendRaw('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await c.closed).code).toBe(1009);
    expect((await (await client()).join(createRoomId())).peers).toEqual([]);
  });

  it('refuses a foreign Origin with 403 and an unknown path with 404 before the handshake', async () => {
    await start();
    await expect(
      TestClient.connect(fixture.server.url, { origin: 'https://evil.example' }),
    ).rejects.toEqual(new HttpRefusal(403));
    await expect(TestClient.connect(fixture.server.url, { path: '/socket' })).rejects.toEqual(
      new HttpRefusal(404),
    );
  });
});

describe('rate limits', () => {
  it('drops messages over the per-connection bucket with one rate-limited error', async () => {
    await start({ messageBurst: 5, messagesPerSecond: 1 });
    const c = await client();
    for (let i = 0; i < 20; i++) c.send({ type: 'ping', t: i });
    expect(await c.next('error')).toMatchObject({ code: 'rate-limited' });
    const pongs = c.received('pong');
    expect(pongs.map((p) => p.t)).toEqual([0, 1, 2, 3, 4]);
    expect(c.received('error')).toHaveLength(1);
  });

  it('limits joins per IP address', async () => {
    await start({ joinBurstPerIp: 3, joinsPerSecondPerIp: 1 });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await client();
      c.send({
        type: 'join',
        protocol: PROTOCOL_VERSION,
        roomId: createRoomId(),
        displayName: 'x',
      });
      outcomes.push(
        (await Promise.race([c.next('joined'), c.next('error')])).type === 'joined'
          ? 'joined'
          : (c.received('error')[0]?.code ?? '?'),
      );
    }
    expect(outcomes).toEqual(['joined', 'joined', 'joined', 'join-rate-limited']);
  });
});

describe('connections per address', () => {
  /** Opens a socket, or says with which HTTP status the upgrade was refused. */
  async function attempt(options: Parameters<typeof client>[0] = {}) {
    try {
      return await client(options);
    } catch (error) {
      if (error instanceof HttpRefusal) return error.status;
      throw error;
    }
  }

  it('refuses an address its next socket with 429 at the cap, leaves other addresses alone, and frees a slot on close', async () => {
    await start({ maxConnectionsPerIp: 3 });
    const held = [await client(), await client(), await client()];
    expect(await attempt()).toBe(429);
    // Idle sockets count, and so do joined ones: the cap is on connections, not on joins.
    await held[0]!.join(createRoomId());
    expect(await attempt()).toBe(429);
    const other = await attempt({ localAddress: '127.0.0.2' });
    expect(other).toBeInstanceOf(TestClient);
    await (other as TestClient).join(createRoomId());

    await held[1]!.close();
    // The slot comes back once the server sees the TCP connection end; poll until it has.
    let reopened: TestClient | undefined;
    await expect
      .poll(async () => {
        const outcome = await attempt();
        if (outcome instanceof TestClient) reopened = outcome;
        return outcome instanceof TestClient;
      })
      .toBe(true);
    expect(await attempt()).toBe(429);
    // The survivors were never disturbed.
    await held[2]!.sync();
    await reopened!.sync();
  });

  it('counts the address a trusted proxy forwards, not the proxy itself', async () => {
    await start({ maxConnectionsPerIp: 2, trustProxy: 1 });
    const via = (address: string) => ({ headers: { 'X-Forwarded-For': address } });
    await client(via('203.0.113.7'));
    await client(via('198.51.100.1, 203.0.113.7')); // the last hop is what Caddy saw
    expect(await attempt(via('203.0.113.7'))).toBe(429);
    // Another client behind the same proxy (same socket address here) still gets in.
    expect(await attempt(via('203.0.113.8'))).toBeInstanceOf(TestClient);
  });

  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    await start({ maxConnectionsPerIp: 1 });
    await client({ headers: { 'X-Forwarded-For': '203.0.113.7' } });
    expect(await attempt({ headers: { 'X-Forwarded-For': '203.0.113.8' } })).toBe(429);
  });
});

describe('liveness', () => {
  it('reaps a client that stops answering protocol pings, and keeps one that answers', async () => {
    await start({ heartbeatIntervalMs: 100 });
    const healthy = await client();
    const silent = await client({ autoPong: false });
    const closed = await silent.closed;
    expect(closed.code).toBe(1006); // terminated, not closed politely
    // The healthy client saw app-level pings (which browsers can observe) and is still open.
    await healthy.next('ping');
    await healthy.next('ping');
    await healthy.next('ping');
    expect(healthy.socket.readyState).toBe(healthy.socket.OPEN);
  });

  it('holds a dropped participant seat for a resume without telling the room, then restores it', async () => {
    await start({ resumeGraceMs: 60_000 });
    const room = createRoomId();
    const a = await client();
    const b = await client();
    const joinedA = await a.join(room, 'Ada');
    const idB = (await b.join(room, 'Bob')).selfId;
    a.socket.terminate();
    await a.closed;

    const a2 = await client();
    const resumed = await a2.join(room, 'Ada', {
      peerId: joinedA.selfId,
      token: joinedA.resumeToken,
    });
    expect(resumed).toMatchObject({ selfId: joinedA.selfId, resumed: true });
    expect(resumed.peers.map((p) => p.id)).toEqual([idB]);
    await b.sync();
    expect(b.received('peer-left')).toEqual([]);
    expect(b.received('peer-joined')).toEqual([]);
    b.send({ type: 'signal', to: joinedA.selfId, payload: offer });
    expect((await a2.next('signal')).from).toBe(idB);
  });

  it('announces a dropped participant as disconnected once the grace period ends', async () => {
    await start({ resumeGraceMs: 50 });
    const room = createRoomId();
    const [a, b] = [await client(), await client()];
    const idA = (await a.join(room)).selfId;
    await b.join(room);
    a.socket.terminate();
    expect(await b.next('peer-left')).toEqual({
      type: 'peer-left',
      peerId: idA,
      reason: 'disconnected',
    });
  });

  it('frees the seat at once when the client closes with 1001 (its page went away)', async () => {
    // A 60 s grace: only an immediate leave can pass.
    await start({ resumeGraceMs: 60_000 });
    const room = createRoomId();
    const [a, b] = [await client(), await client()];
    const joinedA = await a.join(room, 'Ada');
    await b.join(room, 'Bob');
    a.socket.close(CLOSE_CODES.goingAway);
    expect(await b.next('peer-left')).toEqual({
      type: 'peer-left',
      peerId: joinedA.selfId,
      reason: 'left',
    });
    // Gone for good: its token now seats a new member of the room, not the old one.
    const again = await (
      await client()
    ).join(room, 'Ada', { peerId: joinedA.selfId, token: joinedA.resumeToken });
    expect(again.resumed).toBe(false);
  });

  for (const [how, end] of [
    ['no close frame (1006)', (c: TestClient) => c.socket.terminate()],
    [
      '1000 (a client abandoning a link it presumes dead)',
      (c: TestClient) => c.socket.close(CLOSE_CODES.normal),
    ],
  ] as const) {
    it(`holds the seat for the grace when the socket ends with ${how}`, async () => {
      await start({ resumeGraceMs: 60_000 });
      const room = createRoomId();
      const [a, b] = [await client(), await client()];
      const joinedA = await a.join(room, 'Ada');
      await b.join(room, 'Bob');
      end(a);
      // The server has handled the close once Ada's link is detached.
      await expect.poll(() => fixture.server.hub.connectedPeers).toBe(1);
      await b.sync();
      expect(b.received('peer-left')).toEqual([]);
      const a2 = await client();
      const resumed = await a2.join(room, 'Ada', {
        peerId: joinedA.selfId,
        token: joinedA.resumeToken,
      });
      expect(resumed).toMatchObject({ selfId: joinedA.selfId, resumed: true });
      await b.sync();
      expect(b.received('peer-left')).toEqual([]);
      expect(b.received('peer-joined')).toEqual([]);
    });
  }

  it('treats a forged resume token as a new participant', async () => {
    await start();
    const room = createRoomId();
    const a = await client();
    const joinedA = await a.join(room);
    const b = await client();
    const joinedB = await b.join(room, 'impostor', { peerId: joinedA.selfId, token: 'forged' });
    expect(joinedB.resumed).toBe(false);
    expect(joinedB.selfId).not.toBe(joinedA.selfId);
  });
});

describe('http', () => {
  it('serves health and readiness with security headers', async () => {
    await start();
    const health = await fetch(`${fixture.server.url}/healthz`);
    expect(health.status).toBe(200);
    // The release and protocol, so an admin can tell what runs after an upgrade.
    expect(await health.json()).toEqual({
      status: 'ok',
      version: signalingPackage.version,
      protocol: PROTOCOL_VERSION,
    });
    expect(health.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${fixture.server.url}/readyz`)).status).toBe(200);
  });

  it('serves the built app: hashed assets cached forever, index.html revalidated, SPA fallback for rooms', async () => {
    const dir = staticDir();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley</title>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
    await start({ staticDir: dir });
    const asset = await fetch(`${fixture.server.url}/assets/app-abc123.js`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const room = await fetch(`${fixture.server.url}/r/${createRoomId()}`);
    expect(room.status).toBe(200);
    expect(await room.text()).toContain('<title>Parley</title>');
    expect(room.headers.get('cache-control')).toBe('no-cache');
    expect(room.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('survives a built file removed under it (a redeploy): that request fails, the server stays up', async () => {
    const dir = staticDir();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley</title>');
    writeFileSync(join(dir, 'assets', 'gone-abc123.js'), 'console.log(1)');
    await start({ staticDir: dir });
    rmSync(join(dir, 'assets', 'gone-abc123.js'));
    await expect(
      fetch(`${fixture.server.url}/assets/gone-abc123.js`).then((r) => r.text()),
    ).rejects.toThrow();
    expect((await fetch(`${fixture.server.url}/healthz`)).status).toBe(200);
  });
});
