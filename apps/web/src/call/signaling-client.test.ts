import { CLOSE_CODES, PROTOCOL_VERSION, type JoinedMessage } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignalingClient, type SignalingStatus } from './signaling-client.ts';
import { FakeSocket, FakeSocketFactory } from './testing/fake-socket.ts';

/** The handshake limits these tests run with (the client's defaults are the same 5 s). */
const CONNECT_TIMEOUT_MS = 5000;
const JOIN_TIMEOUT_MS = 5000;
const ROOM = 'RRRRRRRRRRRRRRRRRRRRRR';
const SELF = 'SSSSSSSSSSSSSSSSSSSSSS';
const OTHER = 'OOOOOOOOOOOOOOOOOOOOOO';

function joined(overrides: Partial<JoinedMessage> = {}): JoinedMessage {
  return {
    type: 'joined',
    protocol: PROTOCOL_VERSION,
    roomId: ROOM,
    selfId: SELF,
    resumeToken: 'token-1',
    resumed: false,
    peers: [],
    iceServers: [],
    capacity: 6,
    maxFileBytes: 1024,
    ...overrides,
  };
}

let sockets: FakeSocketFactory;
let wakeListeners: Array<() => void>;
let client: SignalingClient;
let statuses: SignalingStatus[];

beforeEach(() => {
  vi.useFakeTimers();
  sockets = new FakeSocketFactory();
  wakeListeners = [];
  client = new SignalingClient({
    url: 'ws://test/ws',
    roomId: ROOM,
    displayName: 'Ada',
    createSocket: sockets.create,
    hints: {
      onWake: (listener) => {
        wakeListeners.push(listener);
        return () => wakeListeners.splice(wakeListeners.indexOf(listener), 1);
      },
    },
    backoff: { baseMs: 1000, maxMs: 8000 },
    pingIntervalMs: 1000,
    livenessTimeoutMs: 3000,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    joinTimeoutMs: JOIN_TIMEOUT_MS,
  });
  statuses = [];
  client.on('status', (s) => statuses.push(s));
});

afterEach(() => {
  client.dispose();
  vi.useRealTimers();
});

function connectAndJoin(message = joined()): void {
  sockets.last.open();
  sockets.last.receive(message);
}

describe('SignalingClient', () => {
  it('joins on open and reports joined', () => {
    const onJoined = vi.fn();
    client.on('joined', onJoined);
    client.start();
    expect(client.status).toBe('connecting');
    sockets.last.open();
    expect(sockets.last.sent).toEqual([
      { type: 'join', protocol: PROTOCOL_VERSION, roomId: ROOM, displayName: 'Ada' },
    ]);
    sockets.last.receive(joined());
    expect(statuses).toEqual(['joined']);
    expect(onJoined).toHaveBeenCalledWith(joined());
  });

  it('after a drop, reconnects with backoff and resumes as the same participant', () => {
    client.start();
    connectAndJoin();
    sockets.last.drop(CLOSE_CODES.serviceRestart);
    expect(client.status).toBe('reconnecting');
    expect(sockets.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1000); // first step is within [500, 1000]
    expect(sockets.sockets).toHaveLength(2);
    sockets.last.open();
    expect(sockets.last.sent[0]).toMatchObject({
      type: 'join',
      resume: { peerId: SELF, token: 'token-1' },
    });
    sockets.last.receive(joined({ resumed: true, resumeToken: 'token-2' }));
    expect(statuses).toEqual(['joined', 'reconnecting', 'joined']);
  });

  it('backs off exponentially while the server stays down, and resets after a join', () => {
    vi.spyOn(Math, 'random').mockReturnValue(1);
    client.start();
    connectAndJoin();
    const opensAfter: number[] = [];
    let last = Date.now();
    for (let i = 0; i < 4; i++) {
      sockets.last.drop();
      const count = sockets.sockets.length;
      while (sockets.sockets.length === count) vi.advanceTimersByTime(100);
      opensAfter.push(Date.now() - last);
      last = Date.now();
    }
    expect(opensAfter).toEqual([1000, 2000, 4000, 8000]);
    connectAndJoin();
    sockets.last.drop();
    vi.advanceTimersByTime(1000);
    expect(sockets.sockets).toHaveLength(6);
  });

  it('retries at once when the browser comes back online or the tab becomes visible', () => {
    client.start();
    connectAndJoin();
    sockets.last.drop();
    expect(sockets.sockets).toHaveLength(1);
    wakeListeners.forEach((l) => l());
    expect(sockets.sockets).toHaveLength(2);
  });

  it('replaces a link that has gone silent, even if the socket never reports a close', () => {
    client.start();
    connectAndJoin();
    vi.advanceTimersByTime(2000);
    expect(sockets.last.sent.filter((m) => m.type === 'ping')).toHaveLength(2);
    sockets.last.receive({ type: 'pong', t: 0 }); // any frame proves life
    vi.advanceTimersByTime(2500);
    expect(client.status).toBe('joined');
    vi.advanceTimersByTime(1500); // 3.5 s without a frame
    expect(client.status).toBe('reconnecting');
    expect(sockets.sockets[0]!.closedByClient).toBe(true);
  });

  it('abandons a connection that does not join in time and retries', () => {
    client.start();
    connectAndJoin();
    sockets.last.drop();
    vi.advanceTimersByTime(1000); // backoff(0) at most
    expect(sockets.sockets).toHaveLength(2);
    vi.advanceTimersByTime(CONNECT_TIMEOUT_MS - 1); // a connect hanging on lost packets
    expect(sockets.sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets.sockets[1]!.closedByClient).toBe(true);
    vi.advanceTimersByTime(2000); // backoff(1) at most
    expect(sockets.sockets).toHaveLength(3);
    connectAndJoin();
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersByTime(1000); // past the connect timeout, but the link is alive and joined
      sockets.last.receive({ type: 'pong', t: 0 });
    }
    expect(client.status).toBe('joined');
    expect(sockets.sockets).toHaveLength(3);
  });

  it('closes and retries a socket that opened but whose join the server never answered', () => {
    client.start();
    connectAndJoin();
    sockets.last.drop();
    vi.advanceTimersByTime(1000); // backoff(0) at most
    expect(sockets.sockets).toHaveLength(2);
    // It opens late in its connect window (a SYN retried just after the network came back)...
    const second = sockets.last;
    vi.advanceTimersByTime(CONNECT_TIMEOUT_MS - 100);
    second.open();
    expect(second.sent[0]).toMatchObject({ type: 'join', resume: { peerId: SELF } });
    // ...and gets the whole join wait from its open, while server pings keep the link "alive".
    for (let i = 0; i < JOIN_TIMEOUT_MS / 1000 - 1; i++) {
      vi.advanceTimersByTime(1000);
      second.receive({ type: 'ping', t: i });
    }
    vi.advanceTimersByTime(999);
    expect(second.closedByClient).toBe(false);
    expect(sockets.sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(second.closedByClient).toBe(true);
    expect(client.status).toBe('reconnecting');
    vi.advanceTimersByTime(2000); // backoff(1) at most
    expect(sockets.sockets).toHaveLength(3);
    connectAndJoin(joined({ resumed: true }));
    expect(client.status).toBe('joined');
  });

  it('still schedules its retry when a status listener throws', () => {
    client.on('status', (status) => {
      if (status === 'reconnecting') throw new Error('a buggy listener');
    });
    client.start();
    connectAndJoin();
    expect(() => sockets.last.drop()).toThrow('a buggy listener');
    vi.advanceTimersByTime(1000);
    expect(sockets.sockets).toHaveLength(2);
  });

  it('treats a socket constructor that throws as a failed attempt and retries', () => {
    let failNext = false;
    const create = sockets.create;
    sockets = Object.assign(sockets, {
      create: (url: string) => {
        if (failNext) {
          failNext = false;
          throw new DOMException('blocked', 'SecurityError');
        }
        return create(url);
      },
    });
    client.dispose();
    client = new SignalingClient({
      url: 'ws://test/ws',
      roomId: ROOM,
      displayName: 'Ada',
      createSocket: (url) => sockets.create(url),
      backoff: { baseMs: 1000, maxMs: 8000 },
    });
    client.start();
    connectAndJoin();
    failNext = true;
    sockets.last.drop();
    vi.advanceTimersByTime(1000); // the retry throws: no socket
    expect(sockets.sockets).toHaveLength(1);
    vi.advanceTimersByTime(2000); // backoff(1) at most: the next attempt goes ahead
    expect(sockets.sockets).toHaveLength(2);
    connectAndJoin(joined({ resumed: true }));
    expect(client.status).toBe('joined');
  });

  it('stops for good when the room is full or the version is unsupported', () => {
    client.start();
    sockets.last.open();
    sockets.last.receive({ type: 'error', code: 'room-full', message: 'full' });
    expect(client.status).toBe('closed');
    expect(client.closedReason).toBe('room-full');
    vi.advanceTimersByTime(60_000);
    expect(sockets.sockets).toHaveLength(1);
  });

  it('waits at a locked call past the join timeout, then stops for good when denied', () => {
    const door: string[] = [];
    client.on('door', (m) => door.push(m.type));
    client.start();
    sockets.last.open();
    sockets.last.receive({ type: 'waiting-for-admission', timeoutMs: 120_000 });
    expect(door).toEqual(['waiting-for-admission']);
    // The join timeout (5 s by default) no longer applies; the server's pongs keep it alive.
    for (let i = 0; i < 8; i++) {
      vi.advanceTimersByTime(1000);
      sockets.last.receive({ type: 'pong', t: i });
    }
    expect(sockets.sockets).toHaveLength(1);
    sockets.last.receive({ type: 'error', code: 'knock-denied', message: 'no' });
    expect(client.closedReason).toBe('knock-denied');
    vi.advanceTimersByTime(60_000);
    expect(sockets.sockets).toHaveLength(1);
  });

  it('asks to start the call locked on its first join only', () => {
    client.dispose();
    client = new SignalingClient({
      url: 'ws://test/ws',
      roomId: ROOM,
      displayName: 'Ada',
      startLocked: true,
      createSocket: sockets.create,
    });
    client.start();
    sockets.last.open();
    expect(sockets.last.sent[0]).toMatchObject({ type: 'join', startLocked: true });
    sockets.last.receive(joined());
    sockets.last.drop(1006);
    vi.advanceTimersByTime(10_000);
    sockets.last.open();
    const rejoin = sockets.last.sent[0] as Record<string, unknown>;
    expect(rejoin.resume).toBeDefined();
    expect(rejoin.startLocked).toBeUndefined();
  });

  it('treats close code 4002 as replaced by a newer connection, not a reason to retry', () => {
    client.start();
    sockets.last.drop(CLOSE_CODES.replaced);
    expect(client.closedReason).toBe('replaced');
    vi.advanceTimersByTime(60_000);
    expect(sockets.sockets).toHaveLength(1);
  });

  it('relays signals both ways and refuses to send while not joined', () => {
    const signals: unknown[] = [];
    client.on('signal', (from, payload) => signals.push({ from, payload }));
    client.start();
    expect(client.sendSignal(OTHER, { type: 'renegotiate', renegotiate: true })).toBe(false);
    connectAndJoin();
    expect(client.sendSignal(OTHER, { type: 'renegotiate', renegotiate: true })).toBe(true);
    expect(sockets.last.sent.at(-1)).toEqual({
      type: 'signal',
      to: OTHER,
      payload: { type: 'renegotiate', renegotiate: true },
    });
    sockets.last.receive({ type: 'signal', from: OTHER, payload: { type: 'answer', sdp: 'v=0' } });
    expect(signals).toEqual([{ from: OTHER, payload: { type: 'answer', sdp: 'v=0' } }]);
  });

  it('ignores frames that fail the protocol schema', () => {
    const events = vi.fn();
    client.on('peer-joined', events);
    client.on('signal', events);
    client.start();
    connectAndJoin();
    sockets.last.receiveRaw('{"type":"peer-joined","peer":{"id":"x"}}');
    sockets.last.receiveRaw('not json');
    sockets.last.receiveRaw(new ArrayBuffer(4));
    expect(events).not.toHaveBeenCalled();
    expect(client.status).toBe('joined');
  });

  it('leave() says goodbye, closes, and never reconnects', () => {
    client.start();
    connectAndJoin();
    const socket = sockets.last;
    client.leave();
    expect(socket.sent.at(-1)).toEqual({ type: 'leave' });
    expect(socket.closedByClient).toBe(true);
    expect(client.status).toBe('closed');
    expect(wakeListeners).toHaveLength(0);
    vi.advanceTimersByTime(60_000);
    expect(sockets.sockets).toHaveLength(1);
  });
});

describe('SignalingClient with a preconnected socket', () => {
  function clientWith(preconnected: FakeSocket): SignalingClient {
    return new SignalingClient({
      url: 'ws://test/ws',
      roomId: ROOM,
      displayName: 'Ada',
      createSocket: sockets.create,
      preconnected,
    });
  }

  it('joins on it at once when it is already open, and opens no other', () => {
    const early = new FakeSocket('ws://test/ws');
    early.open();
    const warm = clientWith(early);
    warm.start();
    expect(early.sent).toEqual([
      { type: 'join', protocol: PROTOCOL_VERSION, roomId: ROOM, displayName: 'Ada' },
    ]);
    early.receive(joined());
    expect(warm.status).toBe('joined');
    expect(sockets.sockets).toHaveLength(0);
    warm.dispose();
  });

  it('joins once a still-connecting one opens', () => {
    const early = new FakeSocket('ws://test/ws');
    const warm = clientWith(early);
    warm.start();
    expect(early.sent).toEqual([]);
    early.open();
    expect(early.sent[0]).toMatchObject({ type: 'join' });
    warm.dispose();
  });

  it('opens its own when that one has closed, and reconnects on fresh sockets after a drop', () => {
    const early = new FakeSocket('ws://test/ws');
    early.open();
    early.drop();
    const warm = clientWith(early);
    warm.start();
    expect(sockets.sockets).toHaveLength(1);
    connectAndJoin();
    sockets.last.drop();
    vi.advanceTimersByTime(1000);
    expect(sockets.sockets).toHaveLength(2);
    expect(early.sent).toEqual([]);
    warm.dispose();
  });

  it('closes it unused when the call is left before it started', () => {
    const early = new FakeSocket('ws://test/ws');
    early.open();
    const warm = clientWith(early);
    warm.leave();
    expect(early.closedByClient).toBe(true);
    expect(early.sent).toEqual([]);
  });
});
