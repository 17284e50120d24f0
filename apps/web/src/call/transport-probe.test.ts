import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_STREAM_START_TIMEOUT_MS } from './http-session-socket.ts';
import type { SignalingTransport } from './racing-socket.ts';
import { FakeSocket } from './testing/fake-socket.ts';
import {
  PROBE_DEADLINE_MS,
  probeTransport,
  probeTransports,
  summarizeTransports,
  type TransportProbeResult,
} from './transport-probe.ts';

/** A FakeSocket that can fail the way an HTTP session does (with its `failure`). */
class FakeProbeSocket extends FakeSocket {
  failure: 'starved' | 'refused' | undefined;
  /** The server's side: answers the client's last ping, after `delayMs`. */
  answerPing(delayMs = 0): void {
    const ping = this.sent.at(-1);
    if (ping?.type !== 'ping') throw new Error('no ping sent');
    vi.advanceTimersByTime(delayMs);
    this.receive({ type: 'pong', t: ping.t });
  }
}

function probe(transport: SignalingTransport = 'websocket') {
  const sockets: FakeProbeSocket[] = [];
  const result = probeTransport(transport, (t) => {
    const socket = new FakeProbeSocket(t);
    sockets.push(socket);
    return socket;
  });
  return { result, socket: () => sockets[0]! };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('probeTransport', () => {
  it('works: open, ping, pong; reports the round trip and closes the connection', async () => {
    const { result, socket } = probe('sse');
    vi.advanceTimersByTime(30);
    socket().open();
    socket().answerPing(12);
    const outcome = await result;
    expect(outcome).toMatchObject({ id: 'sse', status: 'ok', roundTripMs: 12, openMs: 30 });
    expect(outcome.detail).toContain('12 ms');
    expect(socket().closedByClient).toBe(true);
  });

  it('ignores a pong that answers someone else’s ping', async () => {
    const { result, socket } = probe();
    socket().open();
    socket().receive({ type: 'pong', t: -1 });
    vi.advanceTimersByTime(PROBE_DEADLINE_MS);
    expect(await result).toMatchObject({ status: 'failed', reason: 'silent' });
  });

  it('a WebSocket refused before it opens says so, and that calls use HTTP streaming', async () => {
    const { result, socket } = probe('websocket');
    socket().drop();
    const outcome = await result;
    expect(outcome).toMatchObject({ id: 'websocket', status: 'failed', reason: 'refused' });
    expect(outcome.detail).toContain('blocks WebSocket');
    expect(outcome.detail).toContain('HTTP streaming');
  });

  it('a WebSocket that opens and passes nothing is a false upgrade, ended at the deadline', async () => {
    const { result, socket } = probe('websocket');
    socket().open();
    vi.advanceTimersByTime(PROBE_DEADLINE_MS - 1);
    let settled = false;
    void result.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    vi.advanceTimersByTime(1);
    const outcome = await result;
    expect(outcome).toMatchObject({ status: 'failed', reason: 'silent' });
    expect(outcome.detail).toContain('false upgrade');
    expect(socket().closedByClient).toBe(true);
  });

  it('a handshake that never completes is no answer, and is closed', async () => {
    const { result, socket } = probe('websocket');
    vi.advanceTimersByTime(PROBE_DEADLINE_MS);
    expect(await result).toMatchObject({ status: 'failed', reason: 'no-answer' });
    expect(socket().closedByClient).toBe(true);
  });

  it('a starved SSE stream is reported as buffered, naming the proxy settings to change', async () => {
    const { result, socket } = probe('sse');
    vi.advanceTimersByTime(DEFAULT_STREAM_START_TIMEOUT_MS);
    socket().failure = 'starved';
    socket().drop();
    const outcome = await result;
    expect(outcome).toMatchObject({ id: 'sse', status: 'failed', reason: 'buffered' });
    expect(outcome.detail).toContain('proxy_buffering off');
    expect(outcome.detail).toContain('long-polling');
  });

  it('an HTTP session the server refuses is refused', async () => {
    const { result, socket } = probe('long-poll');
    socket().failure = 'refused';
    socket().drop();
    expect(await result).toMatchObject({ status: 'failed', reason: 'refused' });
  });

  it('a connection that closes after opening, before the pong, is closed', async () => {
    const { result, socket } = probe('long-poll');
    socket().open();
    socket().drop();
    expect(await result).toMatchObject({ status: 'failed', reason: 'closed' });
  });

  it('a socket that throws on creation is refused', async () => {
    const outcome = await probeTransport('websocket', () => {
      throw new Error('blocked by CSP');
    });
    expect(outcome).toMatchObject({ status: 'failed', reason: 'refused' });
  });

  it('the deadline outlasts the SSE start timeout, so buffered is told from no answer', () => {
    expect(PROBE_DEADLINE_MS).toBeGreaterThan(DEFAULT_STREAM_START_TIMEOUT_MS);
  });
});

describe('probeTransports', () => {
  it('probes all three at once and reports each as it comes', async () => {
    const sockets = new Map<SignalingTransport, FakeProbeSocket>();
    const seen: string[] = [];
    const all = probeTransports(
      (t) => {
        const socket = new FakeProbeSocket(t);
        sockets.set(t, socket);
        return socket;
      },
      (r) => seen.push(`${r.id}:${r.status}`),
    );
    expect([...sockets.keys()]).toEqual(['websocket', 'sse', 'long-poll']);
    sockets.get('websocket')!.drop();
    sockets.get('long-poll')!.open();
    sockets.get('long-poll')!.answerPing(5);
    sockets.get('sse')!.open();
    sockets.get('sse')!.answerPing(1);
    const results = await all;
    expect(seen).toEqual(['websocket:failed', 'long-poll:ok', 'sse:ok']);
    expect(results.map((r) => r.id)).toEqual(['websocket', 'sse', 'long-poll']);
    for (const socket of sockets.values()) expect(socket.readyState).toBe(3);
  });
});

describe('summarizeTransports', () => {
  const ok = (id: SignalingTransport): TransportProbeResult => ({ id, status: 'ok', detail: '' });
  const failed = (id: SignalingTransport): TransportProbeResult => ({
    id,
    status: 'failed',
    reason: 'refused',
    detail: '',
  });
  it('names the best transport that works, or says calls cannot start', () => {
    expect(summarizeTransports({ websocket: ok('websocket') })).toContain('over WebSocket');
    expect(summarizeTransports({ websocket: failed('websocket'), sse: ok('sse') })).toContain(
      'HTTP streaming does',
    );
    expect(
      summarizeTransports({
        websocket: failed('websocket'),
        sse: failed('sse'),
        'long-poll': ok('long-poll'),
      }),
    ).toContain('Only long-polling');
    expect(
      summarizeTransports({
        websocket: failed('websocket'),
        sse: failed('sse'),
        'long-poll': failed('long-poll'),
      }),
    ).toContain('calls cannot start');
  });
});
