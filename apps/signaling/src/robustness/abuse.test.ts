import { randomBytes } from 'node:crypto';
import {
  HTTP_SESSION_PATHS,
  ID_PATTERN,
  MAX_CANDIDATES_PER_NEGOTIATION,
  MAX_ERROR_TEXT_LENGTH,
  PROTOCOL_VERSION,
  createRoomId,
  encodeMessage,
} from '@parley/protocol';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRefusal, TestClient } from '../testing/test-client.ts';
import { QueuedHttpClient } from '../testing/queued-http-client.ts';
import { useTestServer } from '../testing/server-fixture.ts';

/**
 * Deliberate abuse from a client. Already covered in server.test.ts and not repeated here:
 * a forged `from` (rejected, never relayed; the relay stamps the sender), a signal to a peer in
 * another room, to a made-up ID or to oneself (unknown-peer to the sender, nothing relayed),
 * 65 candidates (the 65th refused), a 40 KB SDP (bad-message at payload.sdp), a frame over
 * 64 KiB (1009), a foreign Origin (403), the rate-limited and join-rate-limited errors.
 *
 * Every case that is about what a client sends runs over each client transport: WebSocket,
 * SSE + POST and long-polling (through `QueuedHttpClient`, which sends like a WebSocket
 * client). Per-address and Origin rules are checked on the WebSocket upgrade and on opening an
 * HTTP session, each in its own terms.
 */

const fixture = useTestServer();
const { start, client } = fixture;

const transports = ['websocket', 'sse', 'poll'] as const;
type Transport = (typeof transports)[number];
type AnyClient = TestClient | QueuedHttpClient;

const httpClients: QueuedHttpClient[] = [];
afterEach(() => {
  for (const c of httpClients.splice(0)) c.stop();
});

/** A client of the server over `transport`. */
async function connect(transport: Transport): Promise<AnyClient> {
  if (transport === 'websocket') return client();
  const c = await QueuedHttpClient.open(fixture.server.url, { mode: transport });
  httpClients.push(c);
  return c;
}

const candidate = (n: number) =>
  ({
    type: 'candidate',
    candidate: {
      candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${10_000 + n} typ host`,
      sdpMid: '0',
      sdpMLineIndex: 0,
    },
  }) as const;

/** Joins `room` with a fresh client and returns it with its peer ID. */
async function seatedOver(room: string, name: string, transport: Transport) {
  const c = await connect(transport);
  return { c, id: (await c.join(room, name)).selfId };
}

describe.each(transports)('candidate and SDP floods over %s', (transport) => {
  const seated = (room: string, name: string) => seatedOver(room, name, transport);

  it('a flood of 1,000 ICE candidates relays at most 64; the rest are refused with typed errors', async () => {
    await start(); // production limits: burst 120, then 30/s
    const room = createRoomId();
    const a = await seated(room, 'flooder');
    const b = await seated(room, 'target');
    for (let n = 0; n < 1000; n++) a.c.send({ type: 'signal', to: b.id, payload: candidate(n) });
    // Past the burst the server sheds frames silently (one rate-limited error a second), so a
    // ping cannot mark the end. Replies keep frame order: once the rate-limited error is here,
    // every frame within the burst has been relayed or refused, and any frame let through later
    // by the refill is over the candidate cap anyway.
    await a.c.next('error', (e) => e.code === 'rate-limited');
    await b.c.sync();
    expect(b.c.received('signal')).toHaveLength(MAX_CANDIDATES_PER_NEGOTIATION);
    const codes = new Set(a.c.received('error').map((e) => e.code));
    expect(codes).toEqual(new Set(['too-many-candidates', 'rate-limited']));
  });

  it('with the message rate unlimited, all 1,000 reach the candidate cap: 64 relayed, 936 refused', async () => {
    await start({ messageBurst: 100_000, messagesPerSecond: 100_000 });
    const room = createRoomId();
    const a = await seated(room, 'flooder');
    const b = await seated(room, 'target');
    for (let n = 0; n < 1000; n++) a.c.send({ type: 'signal', to: b.id, payload: candidate(n) });
    await a.c.sync();
    await b.c.sync();
    expect(b.c.received('signal').map((s) => s.payload)).toEqual(
      Array.from({ length: MAX_CANDIDATES_PER_NEGOTIATION }, (_, n) => candidate(n)),
    );
    const errors = a.c.received('error');
    expect(errors).toHaveLength(1000 - MAX_CANDIDATES_PER_NEGOTIATION);
    expect(errors.every((e) => e.code === 'too-many-candidates')).toBe(true);
  });

  it('a 200 KB SDP closes the sender with 1009 and reaches no one; the room carries on', async () => {
    await start();
    const room = createRoomId();
    const mallory = await seated(room, 'mallory');
    const a = await seated(room, 'a');
    const b = await seated(room, 'b');
    mallory.c.sendRaw(
      encodeMessage({
        type: 'signal',
        to: a.id,
        payload: { type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(40_000)}` },
      }),
    );
    expect((await mallory.c.closed).code).toBe(1009);
    b.c.send({ type: 'signal', to: a.id, payload: { type: 'offer', sdp: 'v=0\r\n' } });
    expect((await a.c.next('signal')).from).toBe(b.id);
    await a.c.sync();
    expect(a.c.received('signal')).toHaveLength(1);
  });
});

describe('join floods', () => {
  it('joins from one address are rate-limited; another address is unaffected', async () => {
    await start(); // production limits: burst 10, then 3/s per address
    const started = performance.now();
    const flood = await Promise.all(Array.from({ length: 100 }, () => client()));
    for (const c of flood)
      c.send({
        type: 'join',
        protocol: PROTOCOL_VERSION,
        roomId: createRoomId(),
        displayName: 'x',
      });
    const outcomes = await Promise.all(
      flood.map((c) => Promise.race([c.next('joined'), c.next('error')])),
    );
    const seconds = (performance.now() - started) / 1000;
    const joined = outcomes.filter((o) => o.type === 'joined').length;
    const refused = outcomes.filter((o) => o.type === 'error' && o.code === 'join-rate-limited');
    expect(joined + refused.length).toBe(100);
    // The bucket: 10 at once, then 3 per second of the run.
    expect(joined).toBeGreaterThanOrEqual(10);
    expect(joined).toBeLessThanOrEqual(10 + Math.ceil(3 * seconds));

    // Loopback is a /8: 127.0.0.2 is another client address with its own bucket.
    const neighbour = await client({ localAddress: '127.0.0.2' });
    expect((await neighbour.join(createRoomId(), 'neighbour')).peers).toEqual([]);
  });
});

describe.each(transports)('join/leave cycling over %s', (transport) => {
  it('join/leave cycling on one connection is limited per address too', async () => {
    await start({ joinBurstPerIp: 5, joinsPerSecondPerIp: 1 });
    const c = await connect(transport);
    for (let i = 0; i < 20; i++) {
      c.send({
        type: 'join',
        protocol: PROTOCOL_VERSION,
        roomId: createRoomId(),
        displayName: 'x',
      });
      c.send({ type: 'leave' });
    }
    await c.sync();
    expect(c.received('joined').length).toBeLessThanOrEqual(6);
    expect(c.received('error').some((e) => e.code === 'join-rate-limited')).toBe(true);
  });
});

describe('opening HTTP sessions', () => {
  it('session opens from one address are limited like joins; another address is unaffected', async () => {
    await start(); // production limits: burst 10, then 3/s per address
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () => openSession(fixture.server.url)),
    );
    const seconds = (performance.now() - started) / 1000;
    const opened = statuses.filter((status) => status === 201).length;
    expect(opened + statuses.filter((status) => status === 429).length).toBe(100);
    expect(opened).toBeGreaterThanOrEqual(10);
    expect(opened).toBeLessThanOrEqual(10 + Math.ceil(3 * seconds));
    expect(await openSession(fixture.server.url, { localAddress: '127.0.0.2' })).toBe(201);
  });

  it('sessions count toward the per-address connection cap shared with WebSockets', async () => {
    await start({ maxConnectionsPerIp: 3 });
    await client();
    expect(await openSession(fixture.server.url)).toBe(201);
    expect(await openSession(fixture.server.url)).toBe(201);
    expect(await openSession(fixture.server.url)).toBe(429);
    await expect(TestClient.connect(fixture.server.url)).rejects.toEqual(new HttpRefusal(429));
    expect(await openSession(fixture.server.url, { localAddress: '127.0.0.2' })).toBe(201);
  });

  it('with an allowlist, only the exact listed origin may open a session or post; everything else is 403', async () => {
    await start({ allowedOrigins: ['https://meet.example.org'] });
    const allowed = await QueuedHttpClient.open(fixture.server.url, {
      mode: 'sse',
      origin: 'https://meet.example.org',
    });
    httpClients.push(allowed);
    for (const origin of [...FOREIGN_ORIGINS, fixture.server.url]) {
      expect(await openSession(fixture.server.url, { origin })).toBe(403);
      const post = await allowed.http.post(
        { seq: 1, ack: 0, frames: [] },
        { ...allowed.http.headers, Origin: origin },
      );
      expect(post.status).toBe(403);
    }
    expect(fixture.server.hub.connectedPeers).toBe(0);
  });
});

describe.each(transports)('guessing room IDs over %s', (transport) => {
  // Room IDs are 16 CSPRNG bytes (createRoomId): 128 bits. 10k guesses against 100 live rooms
  // hit with probability 1e4 · 1e2 / 2^128 ≈ 3e-33; the test shows the server leaks nothing
  // that would shortcut that: a guessed ID is just an empty room of one's own.
  it('10,000 guessed room IDs never land in a victim room', async () => {
    await start({
      messageBurst: 100_000,
      messagesPerSecond: 100_000,
      joinBurstPerIp: 100_000,
      joinsPerSecondPerIp: 100_000,
      // 204 sockets from 127.0.0.1: every victim and attacker shares one address here.
      maxConnectionsPerIp: 100_000,
    });
    const victims = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const room = createRoomId();
        const pair = [
          await seatedOver(room, 'victim', transport),
          await seatedOver(room, 'victim', transport),
        ];
        return { room, pair };
      }),
    );
    const victimRooms = new Set(victims.map((v) => v.room));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // Plausible guesses: the same 22-character base64url shape as createRoomId.
    const guess = () => Array.from(randomBytes(22), (byte) => alphabet[byte & 63]).join('');

    const attackers = await Promise.all(Array.from({ length: 4 }, () => connect(transport)));
    const guesses = attackers.map(() => Array.from({ length: 2500 }, guess));
    const answers = await Promise.all(
      attackers.map(async (attacker, i) => {
        for (const roomId of guesses[i]!) {
          expect(roomId).toMatch(ID_PATTERN);
          attacker.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: 'eve' });
          attacker.send({ type: 'leave' });
        }
        await attacker.sync();
        return attacker.received('joined');
      }),
    );
    const joins = answers.flat();
    expect(joins).toHaveLength(10_000);
    expect(joins.filter((j) => victimRooms.has(j.roomId))).toEqual([]);
    expect(joins.filter((j) => j.peers.length > 0)).toEqual([]);
    for (const attacker of attackers) expect(attacker.received('error')).toEqual([]);
    for (const { pair } of victims) {
      for (const v of pair) {
        await v.c.sync();
        expect(v.c.received('peer-joined').filter((p) => p.peer.displayName === 'eve')).toEqual([]);
      }
    }
    // Each guessed room was the attacker's own and went away on leave: nothing accumulates.
    expect(fixture.server.hub.connectedPeers).toBe(200);
  }, 120_000);
});

describe('origins', () => {
  it('with an allowlist, only the exact listed origin may open a socket; everything else is 403', async () => {
    await start({ allowedOrigins: ['https://meet.example.org'] });
    await client({ origin: 'https://meet.example.org' });
    // The server's own address is not on the list either.
    for (const origin of [...FOREIGN_ORIGINS, fixture.server.url]) {
      await expect(TestClient.connect(fixture.server.url, { origin })).rejects.toEqual(
        new HttpRefusal(403),
      );
    }
    expect(fixture.server.hub.connectedPeers).toBe(0);
  });
});

describe.each(transports)('reflection over %s', (transport) => {
  it('an error never quotes more than a short excerpt of the offending input', async () => {
    await start();
    const c = await connect(transport);
    const hugeKey = 'k'.repeat(60_000);
    c.sendRaw(
      JSON.stringify({
        type: 'join',
        protocol: PROTOCOL_VERSION,
        roomId: createRoomId(),
        displayName: 'x',
        [hugeKey]: 1,
      }),
    );
    c.sendRaw(JSON.stringify({ type: hugeKey }));
    c.sendRaw(JSON.stringify({ type: 'ping', t: 1, [hugeKey]: 1 }));
    await c.sync();
    const errors = c.received('error');
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(error.code).toBe('bad-message');
      expect(error.message.length).toBeLessThanOrEqual(MAX_ERROR_TEXT_LENGTH);
      expect((error.path ?? '').length).toBeLessThanOrEqual(MAX_ERROR_TEXT_LENGTH);
    }
  });
});

/** Origins an allowlist of https://meet.example.org must refuse. */
const FOREIGN_ORIGINS = [
  'https://evil.example',
  'http://meet.example.org', // scheme downgrade
  'https://meet.example.org:8443', // another port is another origin
  'https://meet.example.org.evil.example', // suffix trick
  'https://evil.example/https://meet.example.org',
  'null', // sandboxed iframes and file:// pages
];

/** POST /signal/session from `localAddress` (another client address on loopback); the status. */
function openSession(
  baseUrl: string,
  { origin = baseUrl, localAddress }: { origin?: string; localAddress?: string } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${HTTP_SESSION_PATHS.open}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: origin },
        ...(localAddress ? { localAddress } : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('error', reject);
    req.end('{}');
  });
}
