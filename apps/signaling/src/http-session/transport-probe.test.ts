import { HTTP_SESSION_PATHS } from '@parley/protocol';
import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { useTestServer } from '../testing/server-fixture.ts';

/**
 * The /test page's signalling probes (apps/web/src/call/transport-probe.ts) against a real
 * server: each transport answers its ping without joining a room, a starved SSE stream is told
 * apart as buffered, and every connection a probe opened is closed again on the server.
 */

interface ProbeResult {
  id: string;
  status: 'ok' | 'failed';
  reason?: string;
  roundTripMs?: number;
}
type Create = (transport: string) => unknown;

// Loaded at run time: a static import would pull the browser globals into this Node typecheck.
const web = new URL('../../../web/src/call/', import.meta.url).href;
const { probeTransports } = (await import(/* @vite-ignore */ `${web}transport-probe.ts`)) as {
  probeTransports(create: Create, onResult: (r: ProbeResult) => void): Promise<ProbeResult[]>;
};
const { transportSocketFactory } = (await import(
  /* @vite-ignore */ `${web}signaling-transport-choice.ts`
)) as {
  transportSocketFactory(options: {
    location: { protocol: string; host: string };
    fetch: typeof fetch;
    createWebSocket: (url: string) => unknown;
  }): Create;
};

const fixture = useTestServer();

function probesFor(options: { sseStarved?: boolean } = {}): Create {
  const base = fixture.server.url;
  return transportSocketFactory({
    location: { protocol: 'http:', host: new URL(base).host },
    // Node's fetch sends no Origin; a browser adds it. A starved stream never answers.
    fetch: (input, init = {}) => {
      if (options.sseStarved && String(input).endsWith(HTTP_SESSION_PATHS.stream))
        return new Promise((_, reject) =>
          init.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      return fetch(input, { ...init, headers: { ...(init.headers as object), Origin: base } });
    },
    createWebSocket: (url) => {
      const socket = new WebSocket(url, { origin: base });
      socket.on('error', () => undefined);
      return socket;
    },
  });
}

it('every transport answers its ping, no room is joined, and every connection is closed after', async () => {
  await fixture.start();
  const results = await probeTransports(probesFor(), () => undefined);
  expect(results.map((r) => [r.id, r.status])).toEqual([
    ['websocket', 'ok'],
    ['sse', 'ok'],
    ['long-poll', 'ok'],
  ]);
  for (const r of results) expect(r.roundTripMs).toBeGreaterThanOrEqual(0);
  expect(fixture.server.hub.connectedPeers).toBe(0);
  await expect.poll(() => fixture.server.hub.openConnections).toBe(0);
});

it('a starved SSE stream is reported as buffered, and its session closed', async () => {
  await fixture.start();
  const results = await probeTransports(probesFor({ sseStarved: true }), () => undefined);
  expect(results.find((r) => r.id === 'sse')).toMatchObject({
    status: 'failed',
    reason: 'buffered',
  });
  expect(results.find((r) => r.id === 'long-poll')).toMatchObject({ status: 'ok' });
  await expect.poll(() => fixture.server.hub.openConnections).toBe(0);
});
