import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RacingSocket, type SignalingTransport } from './racing-socket.ts';
import { transportOrder, rememberTransport, webSocketLast } from './signaling-transport-choice.ts';
import { FakeSocket } from './testing/fake-socket.ts';

const STAGGER = 1500;

function race(order: SignalingTransport[] = ['websocket', 'sse', 'long-poll']) {
  const started = new Map<SignalingTransport, FakeSocket>();
  const winners: SignalingTransport[] = [];
  const closes: number[] = [];
  let opened = 0;
  const socket = new RacingSocket({
    order,
    staggerMs: STAGGER,
    create: (transport) => {
      const fake = new FakeSocket(transport);
      started.set(transport, fake);
      return fake;
    },
    onWinner: (t) => winners.push(t),
  });
  socket.onopen = () => opened++;
  socket.onclose = (event) => closes.push(event.code);
  return { socket, started, winners, closes, opened: () => opened };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('RacingSocket', () => {
  it('uses a WebSocket that answers its probe, and starts nothing else', () => {
    const { socket, started, winners, opened } = race();
    const ws = started.get('websocket')!;
    ws.open();
    expect(ws.sent).toHaveLength(1);
    const probe = ws.sent[0]!;
    expect(probe.type).toBe('ping');
    expect(opened()).toBe(0); // open is not enough
    ws.receive({ type: 'pong', t: probe.type === 'ping' ? probe.t : 0 });
    expect(winners).toEqual(['websocket']);
    expect(opened()).toBe(1);
    expect(socket.transport).toBe('websocket');
    vi.advanceTimersByTime(10 * STAGGER);
    expect([...started.keys()]).toEqual(['websocket']);
  });

  it('starts the next transport at once when one is refused', () => {
    const { started } = race();
    started.get('websocket')!.drop();
    expect([...started.keys()]).toEqual(['websocket', 'sse']);
  });

  it('starts SSE beside a silent WebSocket after the stagger, and closes the loser', () => {
    const { socket, started, winners } = race();
    const ws = started.get('websocket')!;
    ws.open(); // a false upgrade: open, then nothing
    vi.advanceTimersByTime(STAGGER - 1);
    expect(started.has('sse')).toBe(false);
    vi.advanceTimersByTime(1);
    started.get('sse')!.open();
    expect(winners).toEqual(['sse']);
    expect(ws.closedByClient).toBe(true);
    // From now on the racing socket is the SSE one.
    socket.send(JSON.stringify({ type: 'ping', t: 5 }));
    expect(started.get('sse')!.sent).toEqual([{ type: 'ping', t: 5 }]);
  });

  it('gives an HTTP transport until it fails: no stagger timer starts the next beside it', () => {
    const { started } = race(['sse', 'long-poll']);
    vi.advanceTimersByTime(10 * STAGGER);
    expect([...started.keys()]).toEqual(['sse']);
    started.get('sse')!.drop(); // e.g. starved: its stream showed nothing
    expect([...started.keys()]).toEqual(['sse', 'long-poll']);
  });

  it('remembers long-polling only once a poll has brought a frame, not on its session POST', () => {
    const { started, winners, opened } = race(['long-poll']);
    const poll = started.get('long-poll')!;
    poll.open();
    expect(opened()).toBe(1); // the join can go out over it
    expect(winners).toEqual([]);
    poll.receive({ type: 'pong', t: 1 });
    poll.receive({ type: 'pong', t: 2 });
    expect(winners).toEqual(['long-poll']);
  });

  it('does not remember a long-polling session whose polls all failed', () => {
    const { started, winners, closes } = race(['long-poll']);
    started.get('long-poll')!.open();
    started.get('long-poll')!.drop(); // e.g. a proxy answering every poll with 403
    expect(closes).toEqual([1006]);
    expect(winners).toEqual([]);
  });

  it('reports one failed attempt when every transport fails', () => {
    const { started, closes } = race();
    started.get('websocket')!.drop();
    started.get('sse')!.drop();
    expect(closes).toEqual([]);
    started.get('long-poll')!.drop();
    expect(closes).toEqual([1006]);
  });
});

describe('transport memory', () => {
  it('tries the transport that worked last first, and forgets it after a week', () => {
    const items = new Map<string, string>();
    const memory = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
    };
    expect(transportOrder(memory)).toEqual(['websocket', 'sse', 'long-poll']);
    rememberTransport(memory, 'long-poll');
    expect(transportOrder(memory)).toEqual(['long-poll', 'websocket', 'sse']);
    expect(transportOrder(memory, Date.now() + 8 * 24 * 3600_000)[0]).toBe('websocket');
    items.set([...items.keys()][0]!, '{"transport":"carrier-pigeon","at":0}');
    expect(transportOrder(memory)[0]).toBe('websocket');
  });
});

describe('webSocketLast', () => {
  it('moves WebSocket to the end, keeping the rest in order', () => {
    expect(webSocketLast(['websocket', 'sse', 'long-poll'])).toEqual([
      'sse',
      'long-poll',
      'websocket',
    ]);
    expect(webSocketLast(['long-poll', 'websocket', 'sse'])).toEqual([
      'long-poll',
      'sse',
      'websocket',
    ]);
  });
});
