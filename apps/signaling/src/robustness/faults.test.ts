import {
  CLOSE_CODES,
  createRoomId,
  type JoinedMessage,
  type ServerMessage,
  type SignalPayload,
} from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ParleyServer } from '../server.ts';
import { spawnServerProcess, type ServerProcess } from '../testing/server-process.ts';
import { TestClient } from '../testing/test-client.ts';
import { startTestServer } from '../testing/test-server.ts';
import { spawnHeldClient, type HeldClient } from './clients/held-client-process.ts';

/**
 * Faults on the server side: participants whose process freezes or dies, and a signalling
 * server that is stopped (SIGTERM) or killed (SIGKILL) and restarted on the same port while the
 * web app's own SignalingClient is connected. (SIGTERM exit time with joined clients: main.test.ts.)
 */

/** Timers on a shared 2-core box fire late (seconds at a load average of 40); not a goal. */
const SCHEDULING_SLACK_MS = 2000;

let server: ParleyServer | undefined;
const serverProcesses: ServerProcess[] = [];
const heldClients: HeldClient[] = [];
const testClients: TestClient[] = [];
const disposers: Array<() => void> = [];

afterEach(async () => {
  for (const dispose of disposers.splice(0)) dispose();
  for (const held of heldClients.splice(0)) held.kill();
  for (const proc of serverProcesses.splice(0)) proc.kill();
  for (const c of testClients.splice(0)) c.socket.terminate();
  await server?.shutdown();
  server = undefined;
});

async function observer(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  testClients.push(c);
  return c;
}

/**
 * Heartbeat ticks the server ran from `sinceMs` (Date.now()) until it sent `until`: each tick
 * sends every live client an app-level ping stamped with the server's clock. Counting ticks
 * rather than milliseconds states "within two heartbeats" in the server's own time, which a
 * busy machine cannot skew. (The server runs in this process, so the clocks are the same.)
 */
function ticksBefore(watcher: TestClient, until: ServerMessage, sinceMs: number): number {
  const before = watcher.messages.slice(0, watcher.messages.indexOf(until));
  return before.filter((m) => m.type === 'ping' && m.t >= sinceMs).length;
}

function held(url: string, roomId: string): HeldClient {
  const c = spawnHeldClient(url, roomId);
  heldClients.push(c);
  return c;
}

describe('a participant process that freezes or dies', () => {
  // Small enough for a quick test, large enough that a busy shared box does not miss a pong
  // from a healthy process by accident.
  const heartbeatIntervalMs = 1000;
  const resumeGraceMs = 500;

  it('SIGSTOP: missed pongs get the connection reaped within two heartbeats, then the room is told', async () => {
    server = await startTestServer({ heartbeatIntervalMs, resumeGraceMs });
    const room = createRoomId();
    const watcher = await observer(server.url);
    await watcher.join(room, 'watcher');
    const frozen = held(server.url, room);
    const frozenId = await frozen.joined;
    await watcher.next('peer-joined', (m) => m.peer.id === frozenId);
    expect(server.hub.connectedPeers).toBe(2);

    const stoppedAt = performance.now();
    const stoppedAtClock = Date.now();
    process.kill(frozen.pid, 'SIGSTOP');
    const left = await watcher.next('peer-left', (m) => m.peerId === frozenId);
    const elapsed = performance.now() - stoppedAt;
    const ticks = ticksBefore(watcher, left, stoppedAtClock);
    console.log(
      `SIGSTOP: peer-left after ${ticks} heartbeat ticks + the grace, ${elapsed.toFixed(0)} ms ` +
        `(nominal bound ${2 * heartbeatIntervalMs} + ${resumeGraceMs} ms)`,
    );

    expect(left.reason).toBe('disconnected');
    // The process is alive and its socket open (the kernel still ACKs): only the heartbeat can
    // have noticed. One tick finds the pong missing, the next reaps at the latest; then the seat
    // is held for the resume grace (shorter than a heartbeat, so no further tick fits in).
    expect(frozen.child.exitCode).toBeNull();
    expect(ticks).toBeGreaterThanOrEqual(1);
    expect(ticks).toBeLessThanOrEqual(2);
    expect(elapsed).toBeGreaterThanOrEqual(resumeGraceMs);
    expect(elapsed).toBeLessThanOrEqual(
      2 * heartbeatIntervalMs + resumeGraceMs + SCHEDULING_SLACK_MS,
    );
    expect(server.hub.connectedPeers).toBe(1);
    // The seat is free again: a newcomer joins a room that now holds only the watcher.
    const newcomer = await observer(server.url);
    expect((await newcomer.join(room, 'newcomer')).peers.map((p) => p.displayName)).toEqual([
      'watcher',
    ]);
  }, 60_000);

  it('SIGKILL: the kernel closes the socket, so the seat is freed after the resume grace alone', async () => {
    server = await startTestServer({ heartbeatIntervalMs, resumeGraceMs });
    const room = createRoomId();
    const watcher = await observer(server.url);
    await watcher.join(room, 'watcher');
    const doomed = held(server.url, room);
    const doomedId = await doomed.joined;
    await watcher.next('peer-joined', (m) => m.peer.id === doomedId);

    const killedAt = performance.now();
    const killedAtClock = Date.now();
    doomed.child.kill('SIGKILL');
    const left = await watcher.next('peer-left', (m) => m.peerId === doomedId);
    const elapsed = performance.now() - killedAt;
    const ticks = ticksBefore(watcher, left, killedAtClock);
    console.log(
      `SIGKILL: peer-left after ${elapsed.toFixed(0)} ms, ${ticks} heartbeat ticks (grace ${resumeGraceMs} ms)`,
    );

    expect(left.reason).toBe('disconnected');
    // No heartbeat needed: at most the one tick that may fall inside the grace.
    expect(ticks).toBeLessThanOrEqual(1);
    expect(elapsed).toBeGreaterThanOrEqual(resumeGraceMs);
    expect(elapsed).toBeLessThanOrEqual(
      2 * heartbeatIntervalMs + resumeGraceMs + SCHEDULING_SLACK_MS,
    );
    expect(server.hub.connectedPeers).toBe(1);
  }, 60_000);
});

// --- The web app's SignalingClient against a server process that goes away --------------------

/** The slice of apps/web's SignalingClient this test drives. */
interface SignalingClientLike {
  readonly status: string;
  start(): void;
  dispose(): void;
  sendSignal(to: string, payload: SignalPayload): boolean;
  on(event: 'joined', listener: (message: JoinedMessage) => void): () => void;
  on(event: 'peer-joined', listener: (peer: { id: string }) => void): () => void;
  on(event: 'signal', listener: (from: string, payload: SignalPayload) => void): () => void;
  on(event: 'status', listener: (status: string) => void): () => void;
}
type SignalingClientClass = new (options: {
  url: string;
  roomId: string;
  displayName: string;
  createSocket: (url: string) => unknown;
  backoff: { baseMs: number; maxMs: number };
}) => SignalingClientLike;

/**
 * The web client is typechecked by apps/web with the DOM library; importing it statically here
 * would pull its browser globals into this Node project's typecheck, so it is loaded at run time.
 */
async function loadSignalingClient(): Promise<SignalingClientClass> {
  const path = new URL('../../../web/src/call/signaling-client.ts', import.meta.url).href;
  const module = (await import(/* @vite-ignore */ path)) as {
    SignalingClient: SignalingClientClass;
  };
  return module.SignalingClient;
}

const BACKOFF = { baseMs: 400, maxMs: 1600 };

/** One connection attempt: when the client opened it and when it closed (if it did). */
type Attempt = { openedAt: number; closedAt?: number; closeCode?: number };

/** A web SignalingClient on a real `ws` socket, with every connection attempt recorded. */
function webClient(
  SignalingClient: SignalingClientClass,
  port: number,
  roomId: string,
  name: string,
) {
  const attempts: Attempt[] = [];
  const base = `http://127.0.0.1:${port}`;
  const client = new SignalingClient({
    url: `ws://127.0.0.1:${port}/ws`,
    roomId,
    displayName: name,
    backoff: BACKOFF,
    // Node 20 has no global WebSocket; `ws` offers the same onopen/onmessage/onclose surface.
    createSocket: (url) => {
      const attempt: Attempt = { openedAt: performance.now() };
      attempts.push(attempt);
      const socket = new WebSocket(url, { origin: base, perMessageDeflate: false });
      socket.addEventListener('close', (event) => {
        attempt.closedAt = performance.now();
        attempt.closeCode = event.code;
      });
      return socket;
    },
  });
  const joins: JoinedMessage[] = [];
  const knownPeers = new Set<string>();
  client.on('joined', (m) => {
    joins.push(m);
    for (const p of m.peers) knownPeers.add(p.id);
  });
  client.on('peer-joined', (p) => knownPeers.add(p.id));
  const joinedCount = (n: number) =>
    new Promise<JoinedMessage>((resolve) => {
      if (joins.length >= n) return resolve(joins[n - 1]!);
      const off = client.on('joined', () => {
        if (joins.length >= n) {
          off();
          resolve(joins[n - 1]!);
        }
      });
    });
  disposers.push(() => client.dispose());
  client.start();
  return { client, attempts, joins, knownPeers, joinedCount, name };
}

type WebClient = ReturnType<typeof webClient>;

async function roundTrip(from: WebClient, to: WebClient): Promise<void> {
  const toId = to.joins.at(-1)!.selfId;
  const fromId = from.joins.at(-1)!.selfId;
  const payload: SignalPayload = { type: 'offer', sdp: `v=0\r\ns=${Math.random()}\r\n` };
  const arrived = new Promise<void>((resolve) => {
    const off = to.client.on('signal', (sender, p) => {
      if (sender === fromId && p.type === 'offer' && p.sdp === payload.sdp) {
        off();
        resolve();
      }
    });
  });
  expect(from.client.sendSignal(toId, payload)).toBe(true);
  await arrived;
}

/** Waits until `client` has learnt of every peer ID in `ids` (via joined or peer-joined). */
function knowsAll(client: WebClient, ids: string[]): Promise<void> {
  return new Promise((resolve) => {
    const check = () => ids.every((id) => client.knownPeers.has(id));
    if (check()) return resolve();
    const offs = [
      client.client.on('joined', () => check() && done()),
      client.client.on('peer-joined', () => check() && done()),
    ];
    const done = () => {
      offs.forEach((off) => off());
      resolve();
    };
  });
}

describe.each(['SIGTERM', 'SIGKILL'] as const)(
  'the signalling server gets %s and is restarted on the same port',
  (signal) => {
    it('every web client reconnects with jittered backoff and resumes as the same participant', async () => {
      const SignalingClient = await loadSignalingClient();
      const first = spawnServerProcess();
      serverProcesses.push(first);
      const port = await first.port;

      // Eight participants in four rooms, pairs that can relay to each other.
      const rooms = [createRoomId(), createRoomId(), createRoomId(), createRoomId()];
      const clients = rooms.flatMap((room, r) => [
        webClient(SignalingClient, port, room, `p${r}a`),
        webClient(SignalingClient, port, room, `p${r}b`),
      ]);
      await Promise.all(clients.map((c) => c.joinedCount(1)));
      const idsBefore = clients.map((c) => c.joins[0]!.selfId);
      const pairs = rooms.map((_, r) => [clients[2 * r]!, clients[2 * r + 1]!] as const);
      for (const [a, b] of pairs) await roundTrip(a, b);

      const attemptsBefore = clients.map((c) => c.attempts.length);
      const stoppedAt = performance.now();
      first.child.kill(signal);
      const code = await first.exited;
      if (signal === 'SIGTERM') {
        expect(code).toBe(0); // graceful: clients were told 1012 first
        expect(performance.now() - stoppedAt).toBeLessThan(10_000);
      }
      const second = spawnServerProcess({ env: { PORT: String(port) } });
      serverProcesses.push(second);
      expect(await second.port).toBe(port);

      await Promise.all(clients.map((c) => c.joinedCount(2)));
      const restartedAfter = performance.now() - stoppedAt;
      // Same participant IDs: the resume token (HMAC under SIGNALING_SECRET) outlived the process.
      expect(clients.map((c) => c.joins[1]!.selfId)).toEqual(idsBefore);
      for (const [a, b] of pairs) {
        await knowsAll(a, [b.joins[1]!.selfId]);
        await roundTrip(a, b);
        await roundTrip(b, a);
      }

      // How the old connection ended: 1012 from a graceful stop, 1006 (no close frame) from a kill.
      const expectedClose =
        signal === 'SIGTERM' ? CLOSE_CODES.serviceRestart : CLOSE_CODES.abnormal;
      for (const [i, c] of clients.entries()) {
        const outage = c.attempts.slice(attemptsBefore[i]! - 1);
        expect(outage[0]!.closeCode).toBe(expectedClose);
        // Each retry waited backoffDelay(k): between half a step and a full step, step = base·2^k.
        for (let k = 0; k + 1 < outage.length; k++) {
          const waited = outage[k + 1]!.openedAt - outage[k]!.closedAt!;
          const step = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** k);
          expect(waited).toBeGreaterThanOrEqual(step / 2 - 5);
          expect(waited).toBeLessThanOrEqual(step + SCHEDULING_SLACK_MS);
        }
      }
      // Jitter: the eight first retries did not land together. Equal jitter spreads them over
      // [200, 400] ms; all eight within 10 ms of each other has a probability below 1e-8.
      const firstRetry = clients.map((c, i) => {
        const outage = c.attempts.slice(attemptsBefore[i]! - 1);
        return outage[1]!.openedAt - outage[0]!.closedAt!;
      });
      console.log(
        `${signal}: all 8 rejoined as themselves ${restartedAfter.toFixed(0)} ms after the signal; ` +
          `attempts per client ${clients.map((c, i) => c.attempts.length - attemptsBefore[i]!).join('/')}; ` +
          `first retries ${firstRetry.map((d) => d.toFixed(0)).join(', ')} ms`,
      );
      expect(Math.max(...firstRetry) - Math.min(...firstRetry)).toBeGreaterThan(10);
    }, 60_000);
  },
);
