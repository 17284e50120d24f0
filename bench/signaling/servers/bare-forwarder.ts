import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The floor Parley is compared with: a `ws` server that forwards every frame, unchanged and
 * unparsed, to the socket it was paired with (`?pair=<key>`: the second socket with a key is
 * paired with the first). An unpaired socket gets its frames echoed back. No rooms, no
 * validation, no limits; compression off like the others.
 */
export async function startBareForwarder(host: string): Promise<number> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({
    server: http,
    perMessageDeflate: false,
    maxPayload: 64 * 1024,
  });
  const waiting = new Map<string, { ws: WebSocket; partner?: WebSocket }>();

  wss.on('connection', (ws, req) => {
    const key = new URL(req.url ?? '/', 'http://bench').searchParams.get('pair');
    const self: { ws: WebSocket; partner?: WebSocket } = { ws };
    const first = key ? waiting.get(key) : undefined;
    if (key && first) {
      waiting.delete(key);
      first.partner = ws;
      self.partner = first.ws;
    } else if (key) {
      waiting.set(key, self);
    }
    ws.on('message', (data, isBinary) => (self.partner ?? ws).send(data, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
  });

  await new Promise<void>((resolve) => http.listen(0, host, resolve));
  return (http.address() as AddressInfo).port;
}
