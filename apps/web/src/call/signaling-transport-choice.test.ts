import { HTTP_SESSION_PATHS } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SocketLike } from './signaling-client.ts';
import {
  rememberTransport,
  transportChoosingSocketFactory,
  transportOrder,
} from './signaling-transport-choice.ts';
import { FakeSocket } from './testing/fake-socket.ts';

/**
 * A server behind a proxy that refuses WebSocket and every long-poll but passes SSE: the
 * long-polling session opens (its POST gets through) and then never reads anything.
 */
function proxiedServer() {
  const reads: string[] = [];
  const opened = JSON.stringify({
    token: 'a'.repeat(32),
    heartbeatMs: 15_000,
    pollWaitMs: 25_000,
    idleTimeoutMs: 30_000,
  });
  const fetch = (input: RequestInfo | URL): Promise<Response> => {
    const path = new URL(String(input)).pathname;
    if (path === HTTP_SESSION_PATHS.open)
      return Promise.resolve(new Response(opened, { status: 201 }));
    if (path === HTTP_SESSION_PATHS.send)
      return Promise.resolve(new Response('{"ack":0}', { status: 200 }));
    if (path === HTTP_SESSION_PATHS.poll) {
      reads.push('long-poll');
      return Promise.resolve(new Response('', { status: 403 }));
    }
    if (path === HTTP_SESSION_PATHS.stream) {
      reads.push('sse');
      // A heartbeat at once, then the stream stays open.
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => controller.enqueue(new TextEncoder().encode(': heartbeat\n\n')),
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    }
    return Promise.reject(new Error(`unexpected request to ${path}`));
  };
  return { fetch, reads };
}

function storage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

/** Resolves with how the socket ended up: open, or closed with a code. */
function outcome(socket: SocketLike): Promise<string> {
  return new Promise((resolve) => {
    socket.onopen = () => resolve('open');
    socket.onclose = (event) => resolve(`closed ${event.code}`);
  });
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('transportChoosingSocketFactory', () => {
  it('sets aside a remembered long-polling that opens but never reads, and tries SSE next', async () => {
    const server = proxiedServer();
    const memory = storage();
    rememberTransport(memory, 'long-poll'); // it worked here on an earlier visit
    const createSocket = transportChoosingSocketFactory({
      location: { protocol: 'http:', host: 'parley.test' },
      memory,
      webSocketLast: true,
      fetch: server.fetch,
      createWebSocket: (url) => {
        const refused = new FakeSocket(url);
        queueMicrotask(() => refused.drop());
        return refused;
      },
    });

    const first = createSocket();
    const firstOpened = outcome(first);
    await vi.advanceTimersByTimeAsync(0);
    expect(await firstOpened).toBe('open'); // on its session POST alone
    const firstClosed = outcome(first);
    await vi.advanceTimersByTimeAsync(10_000); // its polls are refused, and it gives up
    expect(await firstClosed).toBe('closed 1006');
    expect(server.reads).toEqual(['long-poll', 'long-poll', 'long-poll']);
    expect(transportOrder(memory)[0]).toBe('websocket'); // forgotten: the default order

    const second = createSocket();
    const secondOpened = outcome(second);
    await vi.advanceTimersByTimeAsync(0);
    expect(await secondOpened).toBe('open');
    expect(server.reads.slice(3)).toEqual(['sse']);
    expect(transportOrder(memory)[0]).toBe('sse');
    second.close();
  });
});
