import { afterEach } from 'vitest';
import type { Config } from '../config.ts';
import type { ParleyServer } from '../server.ts';
import { TestClient } from './test-client.ts';
import { startTestServer } from './test-server.ts';

/**
 * Per-test server and clients for a vitest file: `start()` a real server on port 0, open real
 * `ws` clients with `client()`; after each test every client is cut and the server shut down.
 */
export function useTestServer() {
  let server: ParleyServer | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.terminate();
    await server?.shutdown();
    server = undefined;
  });

  return {
    async start(overrides: Partial<Config> = {}): Promise<ParleyServer> {
      server = await startTestServer(overrides);
      return server;
    },
    async client(options: Parameters<typeof TestClient.connect>[1] = {}): Promise<TestClient> {
      if (!server) throw new Error('start() the server first');
      const c = await TestClient.connect(server.url, options);
      clients.push(c);
      return c;
    },
    get server(): ParleyServer {
      if (!server) throw new Error('start() the server first');
      return server;
    },
  };
}
