import {
  CLOSE_CODES,
  HTTP_SESSION_PATHS,
  MAX_FRAME_BYTES,
  MAX_POST_BYTES,
  SESSION_TOKEN_HEADER,
  createRoomId,
} from '@parley/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpSessionClient, type HttpMode } from '../testing/http-session-client.ts';
import { useTestServer } from '../testing/server-fixture.ts';
import { sessionTimings } from './http-session-transport.ts';

const offer = { type: 'offer', sdp: 'v=0\r\n' } as const;

const fixture = useTestServer();
const { start, client } = fixture;

const httpClients: HttpSessionClient[] = [];
async function httpClient(mode: HttpMode = 'sse', origin?: string): Promise<HttpSessionClient> {
  const c = await HttpSessionClient.open(fixture.server.url, {
    mode,
    ...(origin ? { origin } : {}),
  });
  httpClients.push(c);
  return c;
}
afterEach(() => {
  for (const c of httpClients.splice(0)) {
    c.stopReading();
    expect(c.faults).toEqual([]);
  }
});

describe.each(['sse', 'poll'] as const)('over %s', (mode) => {
  it('joins and relays both ways with a WebSocket client, in order', async () => {
    await start();
    const roomId = createRoomId();
    const ws = await client();
    const { selfId: wsId } = await ws.join(roomId, 'ws');
    const http = await httpClient(mode);
    const joined = await http.join(roomId, 'http');
    expect(joined.peers.map((p) => p.id)).toEqual([wsId]);
    expect((await ws.next('peer-joined')).peer.id).toBe(joined.selfId);

    await http.send({ type: 'signal', to: wsId, payload: offer });
    expect(await ws.next('signal')).toEqual({
      type: 'signal',
      from: joined.selfId,
      payload: offer,
    });
    for (let n = 0; n < 20; n++)
      ws.send({ type: 'signal', to: joined.selfId, payload: { type: 'answer', sdp: `v=${n}` } });
    for (let n = 0; n < 20; n++) {
      const signal = await http.next('signal');
      expect(signal.payload).toEqual({ type: 'answer', sdp: `v=${n}` });
    }
  });

  it('ends the session as a WebSocket close would: 1001 frees the seat at once', async () => {
    await start();
    const roomId = createRoomId();
    const ws = await client();
    await ws.join(roomId, 'ws');
    const http = await httpClient(mode);
    const { selfId } = await http.join(roomId, 'http');
    expect(await http.close(CLOSE_CODES.goingAway)).toBe(204);
    expect(await ws.next('peer-left')).toEqual({
      type: 'peer-left',
      peerId: selfId,
      reason: 'left',
    });
    expect((await http.post({ seq: 2, ack: 0, frames: [] })).status).toBe(404);
  });
});

describe('sequence numbers and acks', () => {
  it('applies duplicated and reordered POSTs exactly once, in order', async () => {
    await start();
    const http = await httpClient();
    const ping = (t: number) => JSON.stringify({ type: 'ping', t });
    const ackOf = async (res: Response) => ((await res.json()) as { ack: number }).ack;
    // Frame 2 overtakes frame 1: it waits for the gap.
    expect(await ackOf(await http.post({ seq: 2, ack: 0, frames: [ping(2), ping(3)] }))).toBe(0);
    expect(await ackOf(await http.post({ seq: 1, ack: 0, frames: [ping(1)] }))).toBe(3);
    // Retries of everything, in a batch that straddles the applied frames and a new one.
    expect(await ackOf(await http.post({ seq: 1, ack: 0, frames: [ping(1)] }))).toBe(3);
    expect(
      await ackOf(await http.post({ seq: 2, ack: 0, frames: [ping(2), ping(3), ping(4)] })),
    ).toBe(4);
    await http.next('pong', (m) => m.t === 4);
    expect(http.received('pong').map((m) => m.t)).toEqual([1, 2, 3, 4]);
  });

  it('resumes a broken stream from Last-Event-ID without losing or repeating a frame', async () => {
    await start();
    const roomId = createRoomId();
    const ws = await client();
    const { selfId: wsId } = await ws.join(roomId, 'ws');
    const http = await httpClient('sse');
    const { selfId } = await http.join(roomId, 'http');
    http.stopReading();
    for (let n = 0; n < 5; n++)
      ws.send({ type: 'signal', to: selfId, payload: { type: 'answer', sdp: `v=${n}` } });
    await ws.sync(); // all five are in the session's buffer now
    const before = http.lastSeq;
    await http.openStream();
    for (let n = 0; n < 5; n++)
      expect((await http.next('signal')).payload).toEqual({ type: 'answer', sdp: `v=${n}` });
    expect(http.lastSeq).toBe(before + 5);
    // A stream opened from further back gets the unacknowledged frames again, numbered as before.
    await http.openStream(before);
    await http.sync();
    expect(http.received('signal')).toHaveLength(5);
    await http.send({ type: 'signal', to: wsId, payload: offer });
    await ws.next('signal');
  });

  it('answers a long-poll at once when frames wait, and empty after the poll wait', async () => {
    await start({ heartbeatIntervalMs: 400 });
    const opened = await HttpSessionClient.open(fixture.server.url, { mode: 'sse' });
    httpClients.push(opened);
    opened.stopReading();
    const poll = (after: number) =>
      fetch(`${fixture.server.url}${HTTP_SESSION_PATHS.poll}?after=${after}`, {
        headers: { [SESSION_TOKEN_HEADER]: opened.session.token },
      });
    await opened.send({ type: 'ping', t: 7 });
    const ready = await (await poll(0)).json();
    expect(ready).toEqual({ frames: [{ seq: 1, frame: JSON.stringify({ type: 'pong', t: 7 }) }] });
    const started = performance.now();
    expect(await (await poll(1)).json()).toEqual({ frames: [] });
    expect(performance.now() - started).toBeGreaterThanOrEqual(sessionTimings(400).pollWaitMs - 50);
    expect(sessionTimings(30_000)).toEqual({
      heartbeatMs: 20_000,
      pollWaitMs: 25_000,
      idleTimeoutMs: 45_000,
    });
  });
});

describe('limits', () => {
  it('ends the session with 1009 for a frame over 64 KiB, or a body over the POST cap', async () => {
    await start();
    const big = { type: 'ping', t: 1, pad: 'x'.repeat(MAX_FRAME_BYTES) };
    const tooBig = { code: CLOSE_CODES.messageTooBig, reason: 'message too big' };
    const first = await httpClient();
    expect((await first.post({ seq: 1, ack: 0, frames: [JSON.stringify(big)] })).status).toBe(413);
    expect(await first.closed).toEqual(tooBig);
    const second = await httpClient();
    expect((await second.post('x'.repeat(MAX_POST_BYTES + 1))).status).toBe(413);
    expect(await second.closed).toEqual(tooBig);
    // The session is over: its token opens nothing any more.
    expect((await second.post({ seq: 1, ack: 0, frames: [] })).status).toBe(404);
  });

  it('drops a client that stops reading once its unacknowledged frames pass the cap', async () => {
    await start({ maxBufferedBytes: 4096 });
    const roomId = createRoomId();
    const ws = await client();
    await ws.join(roomId, 'ws');
    const http = await httpClient();
    const { selfId } = await http.join(roomId, 'http');
    http.stopReading();
    const sdp = 'v=0\r\n' + 'a'.repeat(1000);
    for (let n = 0; n < 6; n++)
      ws.send({ type: 'signal', to: selfId, payload: { type: 'offer', sdp } });
    await ws.sync();
    expect((await http.post({ seq: 2, ack: 0, frames: [] })).status).toBe(404);
    // Dropped, not gone: the seat is held for a resume, as after a dropped WebSocket.
    const again = await httpClient();
    const resumed = await again.join(roomId, 'http', {
      peerId: selfId,
      token: http.received('joined')[0]!.resumeToken,
    });
    expect(resumed).toMatchObject({ selfId, resumed: true });
    await ws.sync();
    expect(ws.received('peer-left')).toEqual([]);
  });

  it('caps sessions per address together with WebSockets', async () => {
    await start({ maxConnectionsPerIp: 2 });
    await client();
    await httpClient();
    await expect(httpClient()).rejects.toThrow(/429/);
  });

  it('rate-limits requests per session', async () => {
    await start({ messageBurst: 5, messagesPerSecond: 1 });
    const http = await httpClient();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await http.post({ seq: 1, ack: 0, frames: [] })).status);
    expect(statuses).toContain(429);
  });

  it('expires a session nobody polls, and holds its seat for a resume', async () => {
    // No WebSocket here: at this heartbeat one could be reaped under load, which is not the point.
    await start({ heartbeatIntervalMs: 100 });
    const roomId = createRoomId();
    const http = await httpClient('sse');
    const joined = await http.join(roomId, 'http');
    http.stopReading();
    await vi.waitFor(() => expect(fixture.server.hub.isConnectedHere(joined.selfId)).toBe(false), {
      timeout: 5000,
    });
    expect((await http.post({ seq: 2, ack: 0, frames: [] })).status).toBe(404);
    const again = await httpClient('poll');
    // `resumed: true` means the seat was still there, not seated anew.
    expect(
      await again.join(roomId, 'http', { peerId: joined.selfId, token: joined.resumeToken }),
    ).toMatchObject({ selfId: joined.selfId, resumed: true });
  });

  it('closes the older session with 4002 when the participant resumes on a newer one', async () => {
    await start();
    const roomId = createRoomId();
    const first = await httpClient('sse');
    const joined = await first.join(roomId);
    const second = await httpClient('poll');
    await second.join(roomId, 'tester', { peerId: joined.selfId, token: joined.resumeToken });
    expect((await first.closed).code).toBe(CLOSE_CODES.replaced);
    expect((await first.post({ seq: 2, ack: 0, frames: [] })).status).toBe(404);
  });
});

describe('cross-site protections', () => {
  it('refuses a foreign or missing Origin, a non-JSON POST and a missing or wrong token', async () => {
    await start();
    const url = fixture.server.url;
    const open = (headers: Record<string, string>, body = '{}') =>
      fetch(url + HTTP_SESSION_PATHS.open, { method: 'POST', headers, body });
    expect(
      (await open({ 'Content-Type': 'application/json', Origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect((await open({ 'Content-Type': 'application/json' })).status).toBe(403);
    // What an HTML form can send.
    expect((await open({ 'Content-Type': 'text/plain', Origin: url })).status).toBe(415);
    expect(
      (await open({ 'Content-Type': 'application/x-www-form-urlencoded', Origin: url }, 'a=b'))
        .status,
    ).toBe(415);
    expect(
      (await open({ 'Content-Type': 'application/json', Origin: url }, '{"x":1}')).status,
    ).toBe(400);

    const http = await httpClient();
    const { token } = http.session;
    const envelope = { seq: 1, ack: 0, frames: [JSON.stringify({ type: 'ping', t: 1 })] };
    const json = { 'Content-Type': 'application/json', Origin: url };
    expect((await http.post(envelope, json)).status).toBe(401);
    expect(
      (await http.post(envelope, { ...json, [SESSION_TOKEN_HEADER]: 'A'.repeat(43) })).status,
    ).toBe(404);
    expect(
      (await http.post(envelope, { ...http.headers, Origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect(
      (await http.post(envelope, { ...http.headers, 'Content-Type': 'text/plain' })).status,
    ).toBe(415);
    const stream = await fetch(url + HTTP_SESSION_PATHS.stream, {
      headers: { Origin: 'https://evil.example', [SESSION_TOKEN_HEADER]: token },
    });
    expect(stream.status).toBe(403);
    expect(stream.headers.get('access-control-allow-origin')).toBeNull();
    // None of the refused requests reached the hub: the first pong answers the first real ping.
    await http.send({ type: 'ping', t: 2 });
    await http.next('pong');
    expect(http.received('pong').map((m) => m.t)).toEqual([2]);
  });

  it('sends the SSE headers that keep proxies from buffering or caching the stream', async () => {
    await start();
    const http = await httpClient();
    const res = await fetch(fixture.server.url + HTTP_SESSION_PATHS.stream, {
      headers: { [SESSION_TOKEN_HEADER]: http.session.token },
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    await res.body?.cancel();
  });
});
