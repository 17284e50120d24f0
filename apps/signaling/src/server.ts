import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_FRAME_BYTES, encodeMessage } from '@parley/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from './config.ts';
import { setSecurityHeaders } from './http/security-headers.ts';
import { createStaticSite } from './http/static-site.ts';
import type { Logger } from './logger.ts';
import { InMemoryRoomStore } from './rooms/in-memory-room-store.ts';
import type { RoomStore } from './rooms/room-store.ts';
import { SignalingHub, type HubOptions } from './signaling/hub.ts';
import { iceServersFromConfig } from './turn/ice-servers.ts';
import { batchWritesThisTick } from './ws/batched-writes.ts';
import { ConnectionsPerAddress } from './ws/connections-per-address.ts';
import { checkUpgrade, clientAddress, describeOriginPolicy } from './ws/upgrade-guard.ts';

export interface ParleyServer {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  readonly hub: SignalingHub;
  /** Stops accepting, closes clients with 1012 so they reconnect elsewhere, resolves when done. */
  shutdown(): Promise<void>;
}

export interface ServerDeps {
  config: Config;
  logger: Logger;
  store?: RoomStore;
  iceServersFor?: HubOptions['iceServersFor'];
}

type LiveSocket = WebSocket & {
  isAlive?: boolean;
  /** We sent the close frame first; the client's echo of our code is not its own word. */
  closedByServer?: boolean;
};

/** RFC 6455 "going away": what a browser sends when its page is closed or navigated away. */
const GOING_AWAY = 1001;

/** `ws` sends bytes as a binary frame unless told otherwise; relayed signals are text. */
const AS_TEXT = { binary: false } as const;

export async function startServer({
  config,
  logger,
  store,
  iceServersFor,
}: ServerDeps): Promise<ParleyServer> {
  let shuttingDown = false;
  const hubOptions: HubOptions = {
    store: store ?? new InMemoryRoomStore(),
    logger,
    roomCapacity: config.roomCapacity,
    resumeGraceMs: config.resumeGraceMs,
    secret: config.signalingSecret,
    messageBurst: config.messageBurst,
    messagesPerSecond: config.messagesPerSecond,
    joinBurstPerIp: config.joinBurstPerIp,
    joinsPerSecondPerIp: config.joinsPerSecondPerIp,
    maxFileBytes: config.maxFileBytes,
    iceServersFor: iceServersFor ?? iceServersFromConfig(config),
    knockTimeoutMs: config.knockTimeoutMs,
  };
  const hub = new SignalingHub(hubOptions);

  const staticSite = config.staticDir ? createStaticSite(config.staticDir) : undefined;
  if (config.staticDir && !staticSite) {
    logger.warn(
      { staticDir: config.staticDir },
      'no built web app found; run `npm run build` to serve it',
    );
  }

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    setSecurityHeaders(res);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    // What the lobby needs before joining; no credentials here (those are for members only).
    if (path === '/client-config.json')
      return json(res, 200, {
        relayAvailable: config.turn !== undefined,
        relayOnlyDefault: config.relayOnlyDefault,
      });
    if (path === '/readyz')
      return json(res, shuttingDown ? 503 : 200, {
        status: shuttingDown ? 'shutting-down' : 'ready',
      });
    if (staticSite && (req.method === 'GET' || req.method === 'HEAD')) {
      return staticSite(req, res, () => json(res, 404, { error: 'not found' }));
    }
    json(res, 404, { error: 'not found' });
  });
  // Slow-loris protection for plain HTTP; WebSocket liveness is handled by the heartbeat.
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });

  const connections = new ConnectionsPerAddress(config.maxConnectionsPerIp);

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // Only the address outlives the handshake. A callback capturing `req` would share this
    // handler's closure scope with the socket's error listener above, keeping the whole request
    // (headers included, ~2 KB) alive for as long as the connection lasts.
    const ip = clientAddress(req, config.trustProxy);
    const verdict = shuttingDown
      ? ({ ok: false, status: 503, reason: 'shutting down' } as const)
      : checkUpgrade(req, config);
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
    const session = hub.connect({
      ip,
      send(frame) {
        if (ws.readyState !== ws.OPEN) return;
        batchWritesThisTick(socket);
        if (typeof frame === 'string') ws.send(frame);
        else ws.send(frame, AS_TEXT);
        // A client that stops reading would make us buffer without bound.
        if (ws.bufferedAmount > config.maxBufferedBytes) {
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
      if (isBinary) return session.handleBinary();
      // The bytes go along so that a relay can copy the payload instead of re-encoding it.
      session.handleFrame(data.toString(), Buffer.isBuffer(data) ? data : undefined);
    });
    ws.on('pong', () => {
      ws.isAlive = true;
    });
    ws.on('error', (error) => {
      // ws closes with 1009 on an oversize frame and reports it here; nothing else to do.
      logger.info({ ip, err: error.message }, 'websocket error');
    });
    ws.on('close', (code) =>
      session.handleClose(code === GOING_AWAY && !ws.closedByServer ? 'going-away' : 'dropped'),
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
  }, config.heartbeatIntervalMs);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // A larger accept queue than Node's 511: after a restart every client reconnects within
    // a second or so; connections the queue cannot hold are dropped by the kernel and retried
    // only after TCP's 1, 3, 7, 15... s backoff. The kernel caps this at net.core.somaxconn.
    http.listen({ port: config.port, host: config.host, backlog: 4096 }, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  logger.info(
    { port, host: config.host, static: Boolean(staticSite) },
    `Parley listening on http://${displayHost}:${port}`,
  );
  logger.info({ allowedOrigins: config.allowedOrigins }, describeOriginPolicy(config));

  async function shutdown(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    clearInterval(heartbeat);
    http.close();
    const clients = [...wss.clients];
    logger.info({ clients: clients.length }, 'shutting down');
    const allClosed = Promise.all(
      clients.map(
        (client) =>
          new Promise<void>((resolve) => {
            if (client.readyState === client.CLOSED) return resolve();
            client.once('close', () => resolve());
            (client as LiveSocket).closedByServer = true;
            client.close(1012, 'server restarting');
          }),
      ),
    );
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, config.shutdownGraceMs);
    });
    await Promise.race([allClosed, graceOver]);
    clearTimeout(graceTimer);
    for (const client of wss.clients) client.terminate();
    hub.dispose();
    http.closeAllConnections();
    wss.close();
    logger.info('shutdown complete');
  }

  return {
    url: `http://${displayHost === 'localhost' ? '127.0.0.1' : displayHost}:${port}`,
    port,
    hub,
    shutdown,
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}
