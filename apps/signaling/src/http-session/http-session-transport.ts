import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CLOSE_CODES,
  HTTP_SESSION_PATHS,
  MAX_FRAME_BYTES,
  MAX_POST_BYTES,
  SESSION_TOKEN_HEADER,
  SendEnvelopeSchema,
  SessionCloseRequestSchema,
  SessionOpenRequestSchema,
  parseHttpSessionBody,
  type SendAck,
  type SessionOpened,
} from '@parley/protocol';
import type { Config } from '../config.ts';
import { setSecurityHeaders } from '../http/security-headers.ts';
import type { SignalingHub } from '../hub/signaling-hub.ts';
import type { Logger } from '../logger.ts';
import { addressKey } from '../net/address-key.ts';
import { KeyedRateLimiter } from '../rate-limit.ts';
import type { ConnectionsPerAddress } from '../ws/connections-per-address.ts';
import { checkOrigin, clientAddress, type OriginPolicy } from '../ws/upgrade-guard.ts';
import { HttpSession } from './http-session.ts';
import { isJsonContentType, readBody, type BodyResult } from './request-body.ts';
import {
  LocalSessionRoute,
  type SessionRequest,
  type SessionResponse,
  type SessionRoute,
} from './session-route.ts';

export type HttpSessionTransportOptions = Pick<
  Config,
  | 'allowedOrigins'
  | 'publicOrigin'
  | 'trustProxy'
  | 'maxBufferedBytes'
  | 'heartbeatIntervalMs'
  | 'messageBurst'
  | 'messagesPerSecond'
  | 'joinBurstPerIp'
  | 'joinsPerSecondPerIp'
> &
  Pick<OriginPolicy, 'servedOrigins'> & {
    logger: Logger;
    connections: ConnectionsPerAddress;
    /** Reaches sessions owned by other instances (scale-out); every session is local when absent. */
    route?: SessionRoute | undefined;
  };

export interface HttpSessionTransport {
  /** Answers requests under `/signal/`; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Refuses new sessions and ends every one with 1012, so clients resume elsewhere. */
  drain(): void;
  readonly sessionCount: number;
}

/**
 * Timings handed to each client in `SessionOpened`. Heartbeats and poll waits stay under the
 * ~30 s idle timeouts of common proxies; HEARTBEAT_INTERVAL_MS (the WebSocket ping) may only
 * shorten them.
 */
export function sessionTimings(heartbeatIntervalMs: number) {
  const heartbeatMs = Math.min(heartbeatIntervalMs, 20_000);
  const pollWaitMs = Math.min(heartbeatIntervalMs, 25_000);
  return { heartbeatMs, pollWaitMs, idleTimeoutMs: pollWaitMs + heartbeatMs };
}

/** An open request's body is tiny (`{}`); a close request's too. */
const SMALL_BODY_BYTES = 1024;

const PREFIX = '/signal/';

/**
 * The HTTP signalling transports (SSE + POST, and long-polling) at `/signal/*`. Like the
 * WebSocket transport it hands the hub one `TransportLink` per client (per session here) and
 * applies the same guards: the Origin allowlist, the per-address connection cap, the 64 KiB
 * frame cap, rate limits and the slow-consumer drop. On top, because these are plain requests
 * a cross-site page could send: the session token travels in a header (never settable
 * cross-site without a preflight, which we never allow) and POSTs must be JSON (an HTML form
 * cannot send that content type).
 */
export function attachHttpSessionTransport(
  hub: SignalingHub,
  options: HttpSessionTransportOptions,
): HttpSessionTransport {
  const { logger, connections } = options;
  const route = options.route ?? new LocalSessionRoute();
  const timings = sessionTimings(options.heartbeatIntervalMs);
  const sessions = new Map<string, HttpSession>();
  // Opening a session is what a WebSocket upgrade is; it is limited like a join.
  const opens = new KeyedRateLimiter(options.joinBurstPerIp, options.joinsPerSecondPerIp);
  let draining = false;

  const refuse = (res: SessionResponse, status: number, error: string) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    // A body we stopped reading must not be parsed as the next request.
    if (status === 413 && !res.headersSent) res.setHeader('Connection', 'close');
    res.end(JSON.stringify({ error }));
  };
  const reply = (res: SessionResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  };

  const timer = setInterval(() => {
    const now = performance.now();
    for (const session of sessions.values()) {
      if (!session.isPolling && now - session.lastHeardAt > timings.idleTimeoutMs) {
        logger.info({ ip: session.ip }, 'http session expired');
        session.expire();
      } else session.heartbeat();
    }
    opens.sweep();
  }, timings.heartbeatMs);
  timer.unref();

  function open(req: IncomingMessage, res: ServerResponse, ip: string): void {
    if (draining) return refuse(res, 503, 'shutting down');
    if (!opens.take(addressKey(ip))) return refuse(res, 429, 'too many sessions; slow down');
    void readBody(req, SMALL_BODY_BYTES).then((body) => {
      if (!body.ok) return refuse(res, body.status, 'bad body');
      const parsed = parseHttpSessionBody(SessionOpenRequestSchema, body.text);
      if (!parsed.ok) return refuse(res, 400, parsed.message);
      if (!connections.tryTake(ip))
        return refuse(res, 429, 'too many connections from your address');
      const session = new HttpSession({
        token: route.newToken(),
        ip,
        maxBufferedBytes: options.maxBufferedBytes,
        pollWaitMs: timings.pollWaitMs,
        // Every frame is also held to the connection's own message bucket; this one bounds
        // requests that carry none (acks, retries, reads).
        requestBurst: options.messageBurst * 2,
        requestsPerSecond: options.messagesPerSecond * 2,
        onEnd: (ended) => {
          if (sessions.delete(ended.token)) connections.release(ended.ip);
        },
        onSlowConsumer: (slow) => {
          logger.warn({ ip, bufferedBytes: slow.bufferedBytes }, 'slow consumer dropped');
          slow.terminate();
        },
      });
      sessions.set(session.token, session);
      session.bind(hub.connect(session.link()));
      reply(res, 201, { token: session.token, ...timings } satisfies SessionOpened);
    });
  }

  function send(body: BodyResult, res: SessionResponse, session: HttpSession): void {
    if (session.isOver) return refuse(res, 410, 'session closed; read it for the reason');
    if (!body.ok) return oversize(res, session, body.status);
    const parsed = parseHttpSessionBody(SendEnvelopeSchema, body.text);
    if (!parsed.ok) return refuse(res, 400, parsed.message);
    const { seq, ack, frames } = parsed.value;
    if (frames.some((frame) => Buffer.byteLength(frame) > MAX_FRAME_BYTES))
      return oversize(res, session, 413);
    reply(res, 200, { ack: session.receive(seq, ack, frames) } satisfies SendAck);
  }

  /** As a WebSocket frame over the cap closes the socket with 1009, so it ends the session. */
  function oversize(res: SessionResponse, session: HttpSession, status: 400 | 413): void {
    if (status === 413) {
      logger.info({ ip: session.ip }, 'http session frame over the cap');
      session.link().close(CLOSE_CODES.messageTooBig, 'message too big');
    }
    refuse(res, status, status === 413 ? 'message too big' : 'bad body');
  }

  function close(body: BodyResult, res: SessionResponse, session: HttpSession): void {
    if (!body.ok) return refuse(res, body.status, 'bad body');
    const parsed = parseHttpSessionBody(SessionCloseRequestSchema, body.text);
    if (!parsed.ok) return refuse(res, 400, parsed.message);
    session.closeByClient(parsed.value.code);
    res.statusCode = 204;
    res.end();
  }

  /** A request for a session held here, whichever instance received it. */
  function serve(request: SessionRequest, res: SessionResponse): void {
    const session = sessions.get(request.token);
    if (!session) return refuse(res, 404, 'unknown session');
    if (!session.takeRequest()) return refuse(res, 429, 'too many requests; slow down');
    switch (request.op) {
      case 'send':
        return send(request.body, res, session);
      case 'close':
        return close(request.body, res, session);
      case 'stream':
        return session.attachStream(res, request.position);
      case 'poll':
        return session.attachPoll(res, request.position);
    }
  }
  route.serve(serve);

  /** Serves the request here, or hands it to the instance that holds its session. */
  function dispatch(request: SessionRequest, res: ServerResponse): void {
    if (route.isRemote(request.token)) route.forward(request, res);
    else serve(request, res);
  }

  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    // Only origin-form targets ("/signal/…") are ours; anything else (an absolute-form target
    // included, which `new URL` could throw on) goes to the plain request handler.
    if (!req.url?.startsWith(PREFIX)) return false;
    const url = new URL(req.url, 'http://parley.invalid');
    setSecurityHeaders(res);
    res.setHeader('Cache-Control', 'no-store');
    const matched = Object.entries(HTTP_SESSION_PATHS).find(([, path]) => path === url.pathname);
    if (!matched) {
      refuse(res, 404, 'not found');
      return true;
    }
    const [name] = matched as [keyof typeof HTTP_SESSION_PATHS, string];
    const method = name === 'stream' || name === 'poll' ? 'GET' : 'POST';
    if (req.method !== method) {
      res.setHeader('Allow', method);
      refuse(res, 405, `use ${method}`);
      return true;
    }
    // Browsers send Origin on every POST; on a same-origin GET they may leave it out, and
    // there the session token (a header no other site can set) is the guard.
    const origin = req.headers.origin;
    if (method === 'POST' || origin !== undefined) {
      const verdict = checkOrigin(origin, options);
      if (!verdict.ok) {
        logger.info({ origin, path: url.pathname }, 'http session request refused');
        refuse(res, verdict.status, verdict.reason);
        return true;
      }
    }
    if (method === 'POST' && !isJsonContentType(req)) {
      refuse(res, 415, 'Content-Type must be application/json');
      return true;
    }
    const ip = clientAddress(req, options.trustProxy);
    if (name === 'open') {
      open(req, res, ip);
      return true;
    }
    const token = req.headers[SESSION_TOKEN_HEADER];
    if (typeof token !== 'string' || token === '') {
      refuse(res, 401, `the ${SESSION_TOKEN_HEADER} header is required`);
      return true;
    }
    if (name === 'send' || name === 'close') {
      const limit = name === 'send' ? MAX_POST_BYTES : SMALL_BODY_BYTES;
      void readBody(req, limit).then((body) => {
        // A body we stopped reading must not be parsed as the next request.
        if (!body.ok) res.setHeader('Connection', 'close');
        dispatch({ op: name, token, body }, res);
      });
      return true;
    }
    const position = sequenceNumber(
      name === 'stream' ? (req.headers['last-event-id'] ?? '0') : url.searchParams.get('after'),
    );
    if (position === undefined) {
      refuse(res, 400, name === 'stream' ? 'bad Last-Event-ID' : 'after=<seq> is required');
      return true;
    }
    dispatch({ op: name, token, position }, res);
    return true;
  }

  function drain(): void {
    draining = true;
    clearInterval(timer);
    for (const session of [...sessions.values()]) {
      session.link().close(CLOSE_CODES.serviceRestart, 'server restarting');
      // A session with no reader attached cannot be told; its next request finds it gone.
      session.expire();
    }
  }

  return {
    handle,
    drain,
    get sessionCount() {
      return sessions.size;
    },
  };
}

function sequenceNumber(value: string | string[] | null): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}
