import { createRoomId, type ServerMessage } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  spawnServerProcess,
  type ServerProcess,
} from '../../apps/signaling/src/testing/server-process.ts';
import { LoadSocket, type LoadSocketOptions } from './load-socket.ts';

/**
 * The bench's one load client against a real server process: join, peers, a relayed signal,
 * sync, resume after a drop, and a reconnect (with backoff) that resumes by itself.
 */

let server: ServerProcess;
let origin = '';
const open: LoadSocket[] = [];

// A deadline, not a measure: a server process starting through tsx on a loaded machine.
beforeAll(async () => {
  server = spawnServerProcess({ env: { HOST: '127.0.0.1' } });
  origin = `http://127.0.0.1:${await server.port}`;
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((s) => s.dispose()));
  server.kill();
});

/** A client whose every parsed frame lands in `received`, and a way to wait for one. */
function client(options: Partial<LoadSocketOptions> = {}) {
  const received: ServerMessage[] = [];
  const waiters: Array<() => void> = [];
  const socket = new LoadSocket({
    url: `${origin.replace('http', 'ws')}/ws`,
    origin,
    onMessage: (message) => {
      received.push(message);
      for (const wake of waiters.splice(0)) wake();
    },
    ...options,
  });
  open.push(socket);
  const next = async <T extends ServerMessage['type']>(type: T, after = 0) => {
    for (;;) {
      const found = received.slice(after).find((m) => m.type === type);
      if (found) return found as Extract<ServerMessage, { type: T }>;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { socket, received, next };
}

describe('LoadSocket', () => {
  it('joins, keeps the peers, relays a signal and syncs', async () => {
    const roomId = createRoomId();
    const ada = client();
    const bob = client();
    await ada.socket.connect({ roomId, displayName: 'Ada' });
    await bob.socket.connect({ roomId, displayName: 'Bob' });
    expect(ada.socket.state).toBe('joined');
    const adaId = ada.socket.selfId ?? '';
    expect([...bob.socket.peers.keys()]).toEqual([adaId]);
    const joined = await ada.next('peer-joined');
    expect(joined.peer.id).toBe(bob.socket.selfId);
    expect([...ada.socket.peers.keys()]).toEqual([bob.socket.selfId]);

    bob.socket.signal(adaId, { type: 'offer', sdp: 'v=0\r\n' });
    const signal = await ada.next('signal');
    expect(signal.from).toBe(bob.socket.selfId);
    expect(signal.payload).toEqual({ type: 'offer', sdp: 'v=0\r\n' });
    await bob.socket.sync(); // resolves on the server's pong

    const bobId = bob.socket.selfId;
    bob.socket.leave();
    expect(bob.socket.selfId).toBeUndefined(); // the next join is someone new
    const left = await ada.next('peer-left');
    expect(left.peerId).toBe(bobId);
    expect(ada.socket.peers.size).toBe(0);
  });

  it('resumes its seat after a drop, and reconnects by itself after a lost socket', async () => {
    const roomId = createRoomId();
    const closed: Array<{ code: number; wasJoined: boolean }> = [];
    const ada = client({
      reconnect: true,
      onClosed: (code, wasJoined) => closed.push({ code, wasJoined }),
    });
    await ada.socket.connect({ roomId, displayName: 'Ada' });
    const selfId = ada.socket.selfId;

    // A drop this client asked for: no onClosed, no reconnect; the next connect resumes.
    ada.socket.drop();
    await ada.socket.connect({ roomId, displayName: 'Ada', resume: true });
    expect(ada.socket.resumeSent).toBe(true);
    expect(ada.socket.lastJoined?.resumed).toBe(true);
    expect(ada.socket.selfId).toBe(selfId);
    expect(closed).toEqual([]);

    // A socket lost under it: reported, then back after the backoff, resuming the same seat.
    const before = ada.received.length;
    ada.socket.socket?.terminate();
    const rejoined = await ada.next('joined', before);
    expect(rejoined.resumed).toBe(true);
    expect(rejoined.selfId).toBe(selfId);
    expect(closed).toEqual([{ code: 1006, wasJoined: true }]);
    expect(ada.socket.connects).toBe(3);
  });
});
