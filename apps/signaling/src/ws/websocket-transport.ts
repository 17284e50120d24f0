import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, MAX_FRAME_BYTES, encodeMessage } from '@parley/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config.ts';
import type { SignalingHub } from '../hub/signaling-hub.ts';
import type { Logger } from '../logger.ts';
import { batchWritesThisTick } from './batched-writes.ts';
import { ConnectionsPerAddress } from './connections-per-address.ts';
import { checkUpgrade, clientAddress, type OriginPolicy } from './upgrade-guard.ts';

export type WebSocketTransportOptions = Pick<
  Config,
  | 'allowedOrigins'
  | 'publicOrigin'
  | 'trustProxy'
  | 'maxConnectionsPerIp'
  | 'maxBufferedBytes'
  | 'heartbeatIntervalMs'
> &
  Pick<OriginPolicy, 'servedOrigins'> & {
    logger: Logger;
    /** Shared with the HTTP signalling transports, so one address's cap counts both. */
    connections?: ConnectionsPerAddress;
  };

export interface WebSocketTransport {
  /**
   * Refuses new upgrades (503), stops the heartbeat and closes every client with 1012 so it
   * reconnects and resumes elsewhere. Resolves once all are closed, or after `graceMs` with
   * the stragglers terminated.
   */
  drain(graceMs: number): Promise<void>;
}

type LiveSocket = WebSocket & {
  isAlive?: boolean;
  /** We sent the close frame first; the client's echo of our code is not its own word. */
  closedByServer?: boolean;
};

/** `ws` sends bytes as a binary frame unless told otherwise; relayed signals are text. */
const AS_TEXT = { binary: false } as const;

/**
 * The WebSocket transport at `/ws`: checks each upgrade (path, Origin, connections per
 * address) before any handshake, hands every accepted socket to the hub as a `TransportLink`,
 * keeps links alive with a heartbeat, and drops clients that stop reading.
 */
export function attachWebSocketTransport(
  http: HttpServer,
  hub: SignalingHub,
  options: WebSocketTransportOptions,
): WebSocketTransport {
  const { logger } = options;
  let draining = false;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });
  const connections = options.connections ?? new ConnectionsPerAddress(options.maxConnectionsPerIp);

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // Only the address outlives the handshake. A callback capturing `req` would share this
    // handler's closure scope with the socket's error listener above, keeping the whole request
    // (headers included, ~2 KB) alive for as long as the connection lasts.
    const ip = clientAddress(req, options.trustProxy);
    const verdict = draining
      ? ({ ok: false, status: 503, reason: 'shutting down' } as const)
      : checkUpgrade(req, options);
    // Refused before the handshake, like a bad origin: no WebSocket is ever created for it.
    const refusal = !verdict.ok
      ? verdict
      : !connections.tryTake(ip)
        ? ({ status: 429, reason: 'too many connections from your address' } as const)
        : undefined;
    if (refusal) {
      logger.info(
        {
          ip,
          origin: req.headers.origin,
          path: req.url,
          status: refusal.status,
          reason: refusal.reason,
        },
        'upgrade refused',
      );
      socket.end(
        `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    // The slot is held until the TCP connection is gone, however it ends (close, terminate,
    // a failed handshake, a reaped client).
    socket.once('close', () => connections.release(ip));
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws as LiveSocket, socket, ip));
  });

  function onConnection(ws: LiveSocket, socket: Duplex, ip: string): void {
    ws.isAlive = true;
    const connection = hub.connect({
      ip,
      send(frame) {
        if (ws.readyState !== ws.OPEN) return;
        batchWritesThisTick(socket);
        if (typeof frame === 'string') ws.send(frame);
        else ws.send(frame, AS_TEXT);
        // A client that stops reading would make us buffer without bound.
        if (ws.bufferedAmount > options.maxBufferedBytes) {
          logger.warn({ ip, bufferedAmount: ws.bufferedAmount }, 'slow consumer dropped');
          ws.terminate();
        }
      },
      close(code, reason) {
        ws.closedByServer = true;
        ws.close(code, reason);
      },
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return connection.handleBinary();
      // The bytes go along so that a relay can copy the payload instead of re-encoding it.
      connection.handleFrame(data.toString(), Buffer.isBuffer(data) ? data : undefined);
    });
    ws.on('pong', () => {
      ws.isAlive = true;
    });
    ws.on('error', (error) => {
      // ws closes with 1009 on an oversize frame and reports it here; nothing else to do.
      logger.info({ ip, err: error.message }, 'websocket error');
    });
    ws.on('close', (code) =>
      connection.handleClose(
        code === CLOSE_CODES.goingAway && !ws.closedByServer ? 'going-away' : 'dropped',
      ),
    );
  }

  // Protocol pings find dead TCP links; the app-level ping lets browsers (which cannot see
  // protocol pings) notice a dead link on their side too.
  const heartbeat = setInterval(() => {
    const appPing = encodeMessage({ type: 'ping', t: Date.now() });
    for (const client of wss.clients as Set<LiveSocket>) {
      if (!client.isAlive) {
        logger.info('reaping a connection that missed a heartbeat');
        client.terminate();
        continue;
      }
      client.isAlive = false;
      client.ping();
      client.send(appPing);
    }
  }, options.heartbeatIntervalMs);

  async function drain(graceMs: number): Promise<void> {
    draining = true;
    clearInterval(heartbeat);
    const clients = [...wss.clients] as LiveSocket[];
    logger.info({ clients: clients.length }, 'closing websocket clients');
    const allClosed = Promise.all(
      clients.map(
        (client) =>
          new Promise<void>((resolve) => {
            if (client.readyState === client.CLOSED) return resolve();
            client.once('close', () => resolve());
            client.closedByServer = true;
            client.close(CLOSE_CODES.serviceRestart, 'server restarting');
          }),
      ),
    );
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, graceMs);
    });
    await Promise.race([allClosed, graceOver]);
    clearTimeout(graceTimer);
    for (const client of wss.clients) client.terminate();
    wss.close();
  }

  return { drain };
}
