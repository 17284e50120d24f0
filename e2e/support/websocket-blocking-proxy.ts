import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HTTP_SESSION_PATHS } from '@parley/protocol';

/**
 * A small HTTP proxy in front of the app that breaks WebSocket the ways corporate proxies and
 * inspecting middleboxes do, while plain HTTP (pages, and the /signal/ fallback) passes:
 *   - `pass`: upgrades go through (the same-run baseline);
 *   - `refuse`: every upgrade gets 403;
 *   - `black-hole`: the upgrade is answered 101 (a valid handshake), then nothing passes either
 *     way (a false upgrade).
 * With `bufferResponses`, every HTTP response is also held back until it is complete, as some
 * proxies and antivirus shields do, which starves a streaming (SSE) response. With
 * `refuseLongPolling`, long-poll reads get 403, so SSE is the only way left (for a test about
 * SSE that must not end up on long-polling when a loaded machine is slow to start a stream).
 */
export interface BlockingProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function startWebSocketBlockingProxy(
  target: string,
  options: {
    websocket: 'pass' | 'refuse' | 'black-hole';
    bufferResponses?: boolean;
    refuseLongPolling?: boolean;
  },
): Promise<BlockingProxy> {
  const upstream = new URL(target);
  const held = new Set<Duplex>();
  const server: Server = createServer((req, res) => {
    if (options.refuseLongPolling && req.url?.split('?')[0] === HTTP_SESSION_PATHS.poll) {
      res.writeHead(403, { 'Content-Length': '0' }).end();
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        // An answer cut off upstream (the server died mid-stream) cuts the client's off too,
        // as a real proxy's would; pipe() alone would leave the client's stream open, silent.
        answer.on('close', () => {
          if (!answer.complete) res.destroy();
        });
        if (!options.bufferResponses) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    forwarded.on('error', () => res.destroy());
    res.on('close', () => forwarded.destroy());
    req.pipe(forwarded);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (options.websocket === 'pass') {
      const up = connect(Number(upstream.port), upstream.hostname, () => {
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        up.write(`${lines.join('\r\n')}\r\n\r\n`);
        up.write(head);
        socket.pipe(up).pipe(socket);
      });
      up.on('error', () => socket.destroy());
      socket.on('close', () => up.destroy());
      // An upgraded socket still holds the server open: close() must end it.
      held.add(socket);
      socket.on('close', () => held.delete(socket));
      return;
    }
    if (options.websocket === 'refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    held.add(socket);
    socket.on('close', () => held.delete(socket));
    socket.resume(); // read and drop whatever the browser sends
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of held) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
