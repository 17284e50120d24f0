import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createRequestHandler } from './http/request-handler.ts';
import { SignalingHub, type HubOptions } from './hub/signaling-hub.ts';
import { caDownloadHandler } from './lan/ca-download.ts';
import { httpsOrigin } from './lan/lan-addresses.ts';
import type { HttpsCredentials } from './lan/lan-mode.ts';
import type { Logger } from './logger.ts';
import { InMemoryRoomStore } from './rooms/in-memory-room-store.ts';
import type { RoomStore } from './rooms/room-store.ts';
import { iceServersFromConfig } from './turn/ice-servers.ts';
import { attachHttpSessionTransport } from './http-session/http-session-transport.ts';
import type { SessionRoute } from './http-session/session-route.ts';
import { ConnectionsPerAddress } from './ws/connections-per-address.ts';
import { describeOriginPolicy } from './ws/upgrade-guard.ts';
import { attachWebSocketTransport } from './ws/websocket-transport.ts';
import { PARLEY_VERSION } from './version.ts';

/**
 * The server's lifecycle: wires the hub, the HTTP handler and the WebSocket transport together,
 * listens, and drains on shutdown. Each piece is its own module; this one only orders them.
 */

/**
 * How long a drain waits for the prompts of newcomers knocking here to be withdrawn: one store
 * read and a publish. Longer means Redis is down, and then the notices cannot go anyway.
 */
const KNOCK_WITHDRAW_MS = 1000;

export interface ParleyServer {
  /** e.g. http://127.0.0.1:40123 (https:// in LAN mode) */
  readonly url: string;
  readonly port: number;
  readonly hub: SignalingHub;
  /** LAN mode: swaps in a reissued certificate (new connections use it) and its origins. */
  updateHttps(credentials: HttpsCredentials): void;
  /** Stops accepting, closes clients with 1012 so they reconnect elsewhere, resolves when done. */
  shutdown(): Promise<void>;
}

export interface ServerDeps {
  config: Config;
  logger: Logger;
  store?: RoomStore | undefined;
  /** Reaches other instances (scale-out); in-process when absent. */
  bus?: HubOptions['bus'] | undefined;
  /** Reaches HTTP sessions held by other instances (scale-out); all are local when absent. */
  sessionRoute?: SessionRoute | undefined;
  unreadyReason?: (() => string | undefined) | undefined;
  iceServersFor?: HubOptions['iceServersFor'];
  lifecycle?: HubOptions['lifecycle'];
  /** LAN mode (HTTPS=1): serve HTTPS, WSS and the HTTP signalling paths with these. */
  https?: HttpsCredentials | undefined;
}

export function hubOptionsFrom({
  config,
  logger,
  store,
  bus,
  iceServersFor,
  lifecycle,
}: ServerDeps): HubOptions {
  return {
    store: store ?? new InMemoryRoomStore(),
    bus,
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
    lifecycle,
    knockTimeoutMs: config.knockTimeoutMs,
  };
}

export async function startServer(deps: ServerDeps): Promise<ParleyServer> {
  const { config, logger } = deps;
  let shuttingDown = false;
  const hub = new SignalingHub(hubOptionsFrom(deps));
  const handler = createRequestHandler({
    config,
    logger,
    isShuttingDown: () => shuttingDown,
    unreadyReason: deps.unreadyReason,
  });
  const connections = new ConnectionsPerAddress(config.maxConnectionsPerIp);
  // LAN mode's own https origins, filled in once the port is known (PORT=0 picks one).
  const servedOrigins: string[] = [];
  let https = deps.https;
  const policy = { ...config, servedOrigins, logger, connections };
  const httpSessions = attachHttpSessionTransport(hub, { ...policy, route: deps.sessionRoute });
  const caDownload = https ? caDownloadHandler(() => https?.caCertPem ?? '') : () => false;
  const onRequest = (req: IncomingMessage, res: ServerResponse) =>
    httpSessions.handle(req, res) || caDownload(req, res) || handler(req, res);
  const http = https
    ? createHttpsServer({ key: https.key, cert: https.cert }, onRequest)
    : createServer(onRequest);
  // Slow-loris protection for plain HTTP; WebSocket liveness is handled by the heartbeat.
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;
  const websockets = attachWebSocketTransport(http, hub, policy);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // A larger accept queue than Node's 511: after a restart every client reconnects within
    // a second or so; connections the queue cannot hold are dropped by the kernel and retried
    // only after TCP's 1, 3, 7, 15... s backoff. The kernel caps this at net.core.somaxconn.
    http.listen({ port: config.port, host: config.host, backlog: 4096 }, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const scheme = https ? 'https' : 'http';
  const serveOriginsOf = (credentials: HttpsCredentials) =>
    servedOrigins.splice(
      0,
      servedOrigins.length,
      ...credentials.hosts.map((h) => httpsOrigin(h, port)),
    );
  if (https) serveOriginsOf(https);
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  logger.info(
    {
      port,
      host: config.host,
      static: handler.servesWebApp,
      https: https !== undefined,
      version: PARLEY_VERSION,
    },
    `Parley listening on ${scheme}://${displayHost}:${port}`,
  );
  logger.info({ allowedOrigins: config.allowedOrigins }, describeOriginPolicy(policy));

  async function shutdown(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info('shutting down');
    http.close();
    await hub.doorkeeper.withdrawAll(KNOCK_WITHDRAW_MS);
    httpSessions.drain();
    await websockets.drain(config.shutdownGraceMs);
    hub.dispose();
    http.closeAllConnections();
    logger.info('shutdown complete');
  }

  function updateHttps(credentials: HttpsCredentials): void {
    if (!https || !('setSecureContext' in http)) throw new Error('not serving HTTPS');
    http.setSecureContext({ key: credentials.key, cert: credentials.cert });
    https = credentials;
    serveOriginsOf(credentials);
  }

  return {
    url: `${scheme}://${displayHost === 'localhost' ? '127.0.0.1' : displayHost}:${port}`,
    port,
    hub,
    updateHttps,
    shutdown,
  };
}
