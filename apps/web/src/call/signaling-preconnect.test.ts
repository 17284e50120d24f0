import { describe, expect, it } from 'vitest';
import { SILENT_AFTER_MS, STALE_AFTER_MS, SignalingPreconnect } from './signaling-preconnect.ts';
import { FakeSocketFactory } from './testing/fake-socket.ts';

function setup() {
  const sockets = new FakeSocketFactory();
  let now = 0;
  const preconnect = new SignalingPreconnect('ws://test/ws', sockets.create, () => now);
  return { sockets, preconnect, advance: (ms: number) => (now += ms) };
}

describe('SignalingPreconnect', () => {
  it('opens one connection, sends nothing on it, and hands it over once', () => {
    const { sockets, preconnect } = setup();
    preconnect.open();
    preconnect.open();
    expect(sockets.sockets).toHaveLength(1);
    sockets.last.open();
    sockets.last.receive({ type: 'ping', t: 1 });
    const socket = preconnect.take();
    expect(socket).toBe(sockets.last);
    expect(sockets.last.sent).toEqual([]);
    expect(sockets.last.onopen).toBeNull(); // the taker installs its own handlers
    expect(preconnect.take()).toBeUndefined();
  });

  it('hands over nothing once the connection has closed, and can open a new one', () => {
    const { sockets, preconnect } = setup();
    preconnect.open();
    sockets.last.open();
    sockets.last.drop();
    expect(preconnect.take()).toBeUndefined();
    preconnect.open();
    expect(sockets.sockets).toHaveLength(2);
  });

  it('discards a connection that has heard nothing from the server for too long', () => {
    const { sockets, preconnect, advance } = setup();
    preconnect.open();
    sockets.last.open();
    advance(STALE_AFTER_MS - 1000);
    sockets.last.receive({ type: 'ping', t: 1 }); // the server's heartbeat proves it alive
    advance(STALE_AFTER_MS - 1000);
    preconnect.open();
    expect(preconnect.take()).toBe(sockets.last);
    preconnect.open();
    sockets.last.open();
    sockets.last.receive({ type: 'ping', t: 2 });
    advance(STALE_AFTER_MS + 1);
    expect(preconnect.take()).toBeUndefined();
    expect(sockets.last.closedByClient).toBe(true);
  });

  it('hands over no socket the server has said nothing on (it may be a false upgrade)', () => {
    const { sockets, preconnect } = setup();
    preconnect.open();
    sockets.last.open();
    expect(preconnect.take()).toBeUndefined();
    expect(sockets.last.closedByClient).toBe(true);
  });

  it('close() closes an unused connection', () => {
    const { sockets, preconnect } = setup();
    preconnect.open();
    preconnect.close();
    expect(sockets.last.closedByClient).toBe(true);
    expect(preconnect.take()).toBeUndefined();
  });

  it('asks who is in the room once open, passes the answer on, and never joins', () => {
    const { sockets, preconnect } = setup();
    const answers: unknown[] = [];
    preconnect.onPeek = (answer) => answers.push(answer.names);
    preconnect.open();
    const roomId = 'r'.repeat(22);
    preconnect.peek(roomId); // not open yet: sent on open
    expect(sockets.last.sent).toEqual([]);
    sockets.last.open();
    expect(sockets.last.sent).toEqual([{ type: 'peek', roomId }]);
    sockets.last.receive({ type: 'room-peek', roomId, names: ['Ada'], capacity: 6 });
    expect(answers).toEqual([['Ada']]);
    expect(sockets.last.sent.some((m) => m.type === 'join')).toBe(false);
  });
});

describe('SignalingPreconnect.verdict', () => {
  const ROOM = 'r'.repeat(22);
  it('works once the server has answered', () => {
    const { sockets, preconnect } = setup();
    expect(preconnect.verdict()).toBe('unknown');
    preconnect.open();
    sockets.last.open();
    sockets.last.receive({ type: 'ping', t: 1 });
    expect(preconnect.verdict()).toBe('works');
  });

  it('refused when the socket closed before it opened', () => {
    const { sockets, preconnect } = setup();
    preconnect.open();
    sockets.last.drop();
    expect(preconnect.verdict()).toBe('refused');
    preconnect.open(); // the lobby's retry, still connecting at Join
    expect(preconnect.verdict()).toBe('refused');
  });

  it('silent when a peek went unanswered for SILENT_AFTER_MS, not before, and not unasked', () => {
    const { sockets, preconnect, advance } = setup();
    preconnect.open();
    sockets.last.open();
    advance(10 * SILENT_AFTER_MS);
    expect(preconnect.verdict()).toBe('unknown'); // nothing was asked: silence proves nothing
    preconnect.peek(ROOM);
    advance(SILENT_AFTER_MS - 1);
    expect(preconnect.verdict()).toBe('unknown');
    advance(1);
    expect(preconnect.verdict()).toBe('silent');
    sockets.last.receive({ type: 'room-peek', roomId: ROOM, names: [], capacity: 8 });
    expect(preconnect.verdict()).toBe('works');
  });
});

describe('SignalingPreconnect with an SSE fallback', () => {
  const ROOM = 'r'.repeat(22);
  function withFallback() {
    const sockets = new FakeSocketFactory();
    const fallbacks = new FakeSocketFactory();
    let now = 0;
    const preconnect = new SignalingPreconnect(
      'ws://test/ws',
      sockets.create,
      () => now,
      () => fallbacks.create('sse'),
    );
    return { sockets, fallbacks, preconnect, advance: (ms: number) => (now += ms) };
  }

  it('opens the SSE session at once when the WebSocket is refused, peeks on it and hands it over', () => {
    const { sockets, fallbacks, preconnect } = withFallback();
    const answers: unknown[] = [];
    preconnect.onPeek = (answer) => answers.push(answer.names);
    preconnect.open();
    preconnect.peek(ROOM);
    sockets.last.drop(); // refused before it opened
    expect(fallbacks.sockets).toHaveLength(1);
    fallbacks.last.open();
    expect(fallbacks.last.sent).toEqual([{ type: 'peek', roomId: ROOM }]);
    fallbacks.last.receive({ type: 'room-peek', roomId: ROOM, names: ['Ada'], capacity: 6 });
    expect(answers).toEqual([['Ada']]);
    // The lobby's timer: the session is open, so nothing new is opened, WebSocket included.
    preconnect.open();
    expect(sockets.sockets).toHaveLength(1);
    expect(fallbacks.sockets).toHaveLength(1);
    expect(preconnect.verdict()).toBe('refused'); // what WebSocket did, for the reconnects
    expect(preconnect.transport).toBe('sse');
    expect(preconnect.take()).toBe(fallbacks.last);
    expect(fallbacks.last.sent.some((m) => m.type === 'join')).toBe(false);
  });

  it('gives up a silent WebSocket for the SSE session, and still reports it silent', () => {
    const { sockets, fallbacks, preconnect, advance } = withFallback();
    preconnect.open();
    sockets.last.open();
    preconnect.peek(ROOM);
    advance(SILENT_AFTER_MS);
    preconnect.open(); // the lobby's timer notices
    expect(sockets.last.closedByClient).toBe(true);
    expect(fallbacks.sockets).toHaveLength(1);
    fallbacks.last.open();
    fallbacks.last.receive({ type: 'room-peek', roomId: ROOM, names: [], capacity: 6 });
    expect(preconnect.verdict()).toBe('silent');
    expect(preconnect.take()).toBe(fallbacks.last);
  });

  it('keeps to WebSocket where it works, and reopens the fallback after a lost session', () => {
    const { sockets, fallbacks, preconnect } = withFallback();
    preconnect.open();
    sockets.last.open();
    sockets.last.receive({ type: 'ping', t: 1 });
    expect(preconnect.transport).toBe('websocket');
    expect(fallbacks.sockets).toHaveLength(0);

    const other = withFallback();
    other.preconnect.open();
    other.sockets.last.drop();
    other.fallbacks.last.drop(); // the session was lost too
    other.preconnect.open();
    expect(other.fallbacks.sockets).toHaveLength(2);
    expect(other.sockets.sockets).toHaveLength(1);
  });
});
