import {
  HTTP_SESSION_PATHS,
  createRoomId,
  type JoinedMessage,
  type SignalPayload,
} from '@parley/protocol';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useTestServer } from '../testing/server-fixture.ts';

/**
 * The web app's own SignalingClient and transport choice (apps/web/src/call) against a real
 * server, in the networks issue 16 is about: WebSocket refused, WebSocket accepted but silent
 * (a false upgrade), and SSE starved by a buffering proxy. Each still joins and relays, over
 * the transport that got through, and remembers it.
 */

/** The parts of the web modules used here (they are typechecked by apps/web, with the DOM). */
interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
interface WebSignalingClient {
  start(): void;
  dispose(): void;
  sendSignal(to: string, payload: SignalPayload): boolean;
  leave(): void;
  on(event: 'joined', listener: (m: JoinedMessage) => void): () => void;
  on(event: 'signal', listener: (from: string, payload: SignalPayload) => void): () => void;
}
type Memory = { getItem(key: string): string | null; setItem(key: string, value: string): void };

// Loaded at run time: a static import would pull the browser globals into this Node typecheck.
const web = new URL('../../../web/src/call/', import.meta.url).href;
const { SignalingClient } = (await import(/* @vite-ignore */ `${web}signaling-client.ts`)) as {
  SignalingClient: new (options: {
    url: string;
    roomId: string;
    displayName: string;
    createSocket: () => SocketLike;
  }) => WebSignalingClient;
};
const { transportChoosingSocketFactory, transportOrder } = (await import(
  /* @vite-ignore */ `${web}signaling-transport-choice.ts`
)) as {
  transportChoosingSocketFactory(options: {
    location: { protocol: string; host: string };
    memory: Memory;
    onTransport: (transport: string) => void;
    fetch: typeof fetch;
    createWebSocket: (url: string) => SocketLike;
  }): () => SocketLike;
  transportOrder(memory: Memory): string[];
};

const fixture = useTestServer();
const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
}

/** A WebSocket that opens and then passes nothing either way, as an inspecting proxy may. */
class SilentSocket implements SocketLike {
  readyState = 0;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  constructor() {
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({});
    }, 10);
  }
  send(): void {}
  close(): void {
    this.readyState = 3;
  }
}

type Network = {
  websocket: 'ok' | 'refused' | 'silent';
  /** SSE responses held back until they complete, as a buffering proxy does. */
  sseStarved?: boolean;
};

function webClient(roomId: string, network: Network, memory = new MemoryStorage()) {
  const base = fixture.server.url;
  const transports: string[] = [];
  // Node's fetch sends no Origin; a browser adds it to every POST.
  const browserFetch: typeof fetch = (input, init = {}) => {
    const url = String(input);
    if (network.sseStarved && url.endsWith(HTTP_SESSION_PATHS.stream))
      return new Promise((_, reject) =>
        init.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    return fetch(input, { ...init, headers: { ...(init.headers as object), Origin: base } });
  };
  const createSocket = transportChoosingSocketFactory({
    location: { protocol: 'http:', host: new URL(base).host },
    memory,
    onTransport: (t) => transports.push(t),
    fetch: browserFetch,
    createWebSocket: (url) => {
      if (network.websocket === 'silent') return new SilentSocket();
      const path = network.websocket === 'refused' ? url.replace(/\/ws$/, '/blocked') : url;
      const socket = new WebSocket(path, { origin: base });
      // `ws` throws an 'error' nobody listens to; a browser's WebSocket just fires onerror.
      socket.on('error', () => undefined);
      return socket as unknown as SocketLike;
    },
  });
  const client = new SignalingClient({
    url: 'unused', // every connection comes from createSocket
    roomId,
    displayName: 'web',
    createSocket,
  });
  disposers.push(() => client.dispose());
  return { client, transports, memory };
}

function joined(client: WebSignalingClient): Promise<JoinedMessage> {
  return new Promise((resolve) => {
    const off = client.on('joined', (m) => {
      off();
      resolve(m);
    });
  });
}

async function joinAndRelay(network: Network) {
  await fixture.start();
  const roomId = createRoomId();
  const ws = await fixture.client();
  const { selfId: wsId } = await ws.join(roomId, 'ws');
  const { client, transports, memory } = webClient(roomId, network);
  const started = performance.now();
  const done = joined(client);
  client.start();
  const { selfId } = await done;
  const joinMs = performance.now() - started;
  expect(client.sendSignal(wsId, { type: 'offer', sdp: 'v=0\r\n' })).toBe(true);
  expect(await ws.next('signal')).toMatchObject({ from: selfId });
  const arrived = new Promise((resolve) => client.on('signal', (from) => resolve(from)));
  ws.send({ type: 'signal', to: selfId, payload: { type: 'answer', sdp: 'v=0\r\n' } });
  expect(await arrived).toBe(wsId);
  return { transports, memory, joinMs, client, ws, selfId };
}

it('uses WebSocket where it works', async () => {
  const { transports, memory } = await joinAndRelay({ websocket: 'ok' });
  expect(transports).toEqual(['websocket']);
  expect(transportOrder(memory)[0]).toBe('websocket');
});

it('falls to SSE at once when the WebSocket upgrade is refused, and remembers it', async () => {
  const { transports, memory, joinMs } = await joinAndRelay({ websocket: 'refused' });
  expect(transports).toEqual(['sse']);
  expect(transportOrder(memory)).toEqual(['sse', 'websocket', 'long-poll']);
  console.log(`WebSocket refused: joined over SSE in ${joinMs.toFixed(0)} ms`);
});

it('falls to SSE when the WebSocket opens but passes nothing (a false upgrade)', async () => {
  const { transports, joinMs } = await joinAndRelay({ websocket: 'silent' });
  expect(transports).toEqual(['sse']);
  console.log(`WebSocket black-holed: joined over SSE in ${joinMs.toFixed(0)} ms`);
});

it('falls to long-polling when the SSE stream is starved too', async () => {
  const { transports, joinMs } = await joinAndRelay({ websocket: 'refused', sseStarved: true });
  expect(transports).toEqual(['long-poll']);
  console.log(
    `WebSocket refused and SSE starved: joined over long-polling in ${joinMs.toFixed(0)} ms`,
  );
});

it('delivers a leave sent right before the session closes (the others see "left" at once)', async () => {
  const { client, ws, selfId } = await joinAndRelay({ websocket: 'refused' });
  client.leave();
  expect(await ws.next('peer-left')).toEqual({ type: 'peer-left', peerId: selfId, reason: 'left' });
});
