import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type {
  SessionRequest,
  SessionResponse,
  SessionRoute,
} from '../http-session/session-route.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import { TunnelResponse, type TunnelAnswer } from './tunnel-response.ts';

/**
 * HTTP sessions across instances without sticky routing, the way Centrifugo routes to a
 * client's node: a session stays in the memory of the instance that opened it (its owner), its
 * token names that instance, and a request that reaches any other instance is carried to the
 * owner over Redis pub/sub and answered back the same way. Each instance listens on one channel
 * of its own (`parley:node:<node>`):
 *
 *   edge ──{t:'req', from, id, request}──▶ owner      serve(request, TunnelResponse)
 *   edge ◀──{id, t:'taken'|'head'|'data'|'end'|'destroy'}── owner   written to the real response
 *   edge ──{t:'abort', from, id}──▶ owner             the client's request went away
 *
 * An open SSE stream through another instance is one such request whose answer never ends:
 * each frame is one more publish. Redis delivers one publisher's messages in order, so frames
 * and answers arrive in the order the owner wrote them.
 *
 * When the owner is gone (SIGKILL, cut off), its sessions are gone with it: a request for one
 * gets 404 "unknown session" as soon as the lease says the owner is lost, or when the owner has
 * not answered within FORWARD_ANSWER_MS, and an open stream through another instance is ended.
 * A client then opens a new session and resumes its seat with its resume token, as after any
 * dropped connection (docs/scaling.md).
 */

/** How long a forwarded request waits for the owner's first word before counting it gone. */
export const FORWARD_ANSWER_MS = 5000;
/** How often open forwarded requests are checked against the lease (lost owners, lost edges). */
const LIVENESS_CHECK_MS = 1000;

export interface RedisSessionRouteOptions {
  publisher: Redis;
  subscriber: Redis;
  node: string;
  keys: ClusterKeys;
  /** False once the lease has found `node` lost. */
  isLive(node: string): boolean;
  onPublishError?(error: unknown): void;
}

type EdgeMessage =
  | { t: 'req'; from: string; id: number; request: SessionRequest }
  | { t: 'abort'; from: string; id: number };
type OwnerMessage = TunnelAnswer & { id: number };

/** A request this instance received for a session held elsewhere. */
interface Forwarded {
  owner: string;
  res: ServerResponse;
  answered: boolean;
  timer: NodeJS.Timeout;
}

export class RedisSessionRoute implements SessionRoute {
  private readonly ownTag: string;
  private readonly forwarded = new Map<number, Forwarded>();
  /** Requests other instances forwarded here, by `<edge> <id>`, while their answer is open. */
  private readonly serving = new Map<string, { edge: string; res: TunnelResponse }>();
  private handler: ((request: SessionRequest, res: SessionResponse) => void) | undefined;
  private nextId = 1;
  private readonly timer: NodeJS.Timeout;
  /** Resolves once this instance listens on its channel. */
  readonly listening: Promise<unknown>;

  constructor(private readonly options: RedisSessionRouteOptions) {
    this.ownTag = Buffer.from(options.node).toString('base64url');
    const channel = options.keys.nodeChannel(options.node);
    options.subscriber.on('message', (from: string, message: string) => {
      if (from === channel) this.onMessage(message);
    });
    this.listening = options.subscriber.subscribe(channel);
    this.listening.catch((error: unknown) => options.onPublishError?.(error));
    this.timer = setInterval(() => this.checkLiveness(), LIVENESS_CHECK_MS);
    this.timer.unref();
  }

  /** `<owner node, base64url>.<32 random bytes, base64url>`: the owner is read off the token. */
  newToken(): string {
    return `${this.ownTag}.${randomBytes(32).toString('base64url')}`;
  }

  isRemote(token: string): boolean {
    const owner = ownerTag(token);
    return owner !== undefined && owner !== this.ownTag;
  }

  serve(handler: (request: SessionRequest, res: SessionResponse) => void): void {
    this.handler = handler;
  }

  forward(request: SessionRequest, res: ServerResponse): void {
    const owner = Buffer.from(ownerTag(request.token) ?? '', 'base64url').toString();
    if (!this.options.isLive(owner)) return lost(res);
    const id = this.nextId++;
    const forwarded: Forwarded = {
      owner,
      res,
      answered: false,
      timer: setTimeout(() => this.drop(id), FORWARD_ANSWER_MS),
    };
    this.forwarded.set(id, forwarded);
    res.once('close', () => {
      if (!this.forwarded.has(id)) return;
      this.forget(id);
      this.publish(owner, { t: 'abort', from: this.options.node, id });
    });
    this.publish(owner, { t: 'req', from: this.options.node, id, request });
  }

  /** Stops checking; open forwarded requests end with the server's connections. */
  close(): void {
    clearInterval(this.timer);
  }

  private onMessage(message: string): void {
    let parsed: EdgeMessage | OwnerMessage;
    try {
      parsed = JSON.parse(message) as EdgeMessage | OwnerMessage;
    } catch {
      return; // only instances publish here; nothing else to do with noise
    }
    if (parsed.t === 'req') this.serveForwarded(parsed.from, parsed.id, parsed.request);
    else if (parsed.t === 'abort') this.serving.get(`${parsed.from} ${parsed.id}`)?.res.abort();
    else this.answer(parsed);
  }

  /** On the owner: a request another instance received. */
  private serveForwarded(edge: string, id: number, request: SessionRequest): void {
    const key = `${edge} ${id}`;
    const res = new TunnelResponse((answer) => this.publish(edge, { ...answer, id }));
    this.serving.set(key, { edge, res });
    res.once('close', () => this.serving.delete(key));
    // A long-poll may wait for frames: say at once that it arrived, so the edge keeps waiting.
    if (request.op === 'poll') this.publish(edge, { t: 'taken', id });
    if (this.handler) this.handler(request, res);
    else res.writeHead(404).end();
  }

  /** On the edge: the owner's answer, written to the client's response. */
  private answer(message: OwnerMessage): void {
    const forwarded = this.forwarded.get(message.id);
    if (!forwarded) return;
    if (!forwarded.answered) {
      forwarded.answered = true;
      clearTimeout(forwarded.timer);
    }
    const { res } = forwarded;
    switch (message.t) {
      case 'head':
        res.writeHead(message.status, message.headers);
        // Through a proxy that holds small writes, an SSE stream must still flow frame by frame.
        res.flushHeaders();
        return;
      case 'data':
        res.write(message.chunk);
        return;
      case 'end':
        this.forget(message.id);
        if (message.head) res.writeHead(message.head.status, message.head.headers);
        res.end(message.chunk);
        return;
      case 'destroy':
        this.forget(message.id);
        res.destroy();
        return;
      case 'taken':
        return;
    }
  }

  /** The owner never answered, or is lost: its session went with it. */
  private drop(id: number): void {
    const forwarded = this.forwarded.get(id);
    if (!forwarded) return;
    this.forget(id);
    if (forwarded.res.headersSent) forwarded.res.end();
    else lost(forwarded.res);
  }

  private forget(id: number): void {
    const forwarded = this.forwarded.get(id);
    if (!forwarded) return;
    clearTimeout(forwarded.timer);
    this.forwarded.delete(id);
  }

  private checkLiveness(): void {
    for (const [id, { owner }] of this.forwarded) if (!this.options.isLive(owner)) this.drop(id);
    for (const { edge, res } of this.serving.values()) if (!this.options.isLive(edge)) res.abort();
  }

  private publish(node: string, message: EdgeMessage | OwnerMessage): void {
    this.options.publisher
      .publish(this.options.keys.nodeChannel(node), JSON.stringify(message))
      .catch((error: unknown) => this.options.onPublishError?.(error));
  }
}

function ownerTag(token: string): string | undefined {
  const dot = token.indexOf('.');
  return dot > 0 ? token.slice(0, dot) : undefined;
}

/** As for a session that ended: the client opens a new one and resumes its seat. */
function lost(res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: 'unknown session: its instance is gone; open a new one' }));
}
