import { connect, createServer, type Socket } from 'node:net';

/**
 * A minimal TCP load balancer for tests: each new connection goes to the first backend port
 * (in the given order) that accepts it, so while the first backend lives everything lands there,
 * and once it is gone clients that reconnect land on the next. It knows nothing of HTTP or
 * WebSocket, like an L4 balancer without sticky sessions.
 */
export interface FailoverProxy {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startFailoverProxy(backends: () => number[]): Promise<FailoverProxy> {
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    client.pause();
    const tryBackend = (ports: number[]) => {
      const [port, ...rest] = ports;
      if (port === undefined) return client.destroy();
      const upstream = connect({ host: '127.0.0.1', port });
      track(upstream);
      // Refused (the backend is down): the next one. Once connected, errors end the pair.
      const refused = () => tryBackend(rest);
      upstream.once('error', refused);
      upstream.once('connect', () => {
        upstream.off('error', refused);
        // Either side ending ends the other: a killed backend looks like a dropped connection.
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(backends());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no proxy port');
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
