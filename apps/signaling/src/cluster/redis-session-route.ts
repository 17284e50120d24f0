import { createHash, randomBytes } from 'node:crypto';
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
 * of its own (`parley:node:<tag>`, the tag a hash of its name):
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
 * gets 404 "unknown session" as soon as nobody listens on the owner's channel any more (the
 * PUBLISH reaches no one), or when the owner has not answered within FORWARD_ANSWER_MS; an open stream or poll through another instance is ended within a
 * second of its owner's channel going quiet.
 * A client then opens a new session and resumes its seat with its resume token, as after any
 * dropped connection (docs/scaling.md).
 */

/** How long a forwarded request waits for the owner's first word before counting it gone. */
export const FORWARD_ANSWER_MS = 5000;
/** Characters of a token that name its instance (66 bits of a hash of the instance's name). */
const TAG_LENGTH = 11;
/** The protocol's token shape holds 32-64 base64url characters: the tag and 32 random ones. */
const TOKEN_LENGTH = TAG_LENGTH + 32;
/** How often open forwarded requests are checked for a lost owner (and served ones for a lost edge). */
const LIVENESS_CHECK_MS = 1000;

export interface RedisSessionRouteOptions {
  publisher: Redis;
  subscriber: Redis;
  node: string;
  keys: ClusterKeys;
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
    this.ownTag = createHash('sha256')
      .update(options.node)
      .digest('base64url')
      .slice(0, TAG_LENGTH);
    const channel = options.keys.nodeChannel(this.ownTag);
    options.subscriber.on('message', (from: string, message: string) => {
      if (from === channel) this.onMessage(message);
    });
    this.listening = options.subscriber.subscribe(channel);
    this.listening.catch((error: unknown) => options.onPublishError?.(error));
    this.timer = setInterval(() => this.checkLiveness(), LIVENESS_CHECK_MS);
    this.timer.unref();
  }

  /** The owner's tag, then 24 random bytes (base64url): the owner is read off the token. */
  newToken(): string {
    return this.ownTag + randomBytes(24).toString('base64url');
  }

  isRemote(token: string): boolean {
    const owner = ownerTag(token);
    return owner !== undefined && owner !== this.ownTag;
  }

  serve(handler: (request: SessionRequest, res: SessionResponse) => void): void {
    this.handler = handler;
  }

  forward(request: SessionRequest, res: ServerResponse): void {
    const owner = ownerTag(request.token) ?? '';
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
      this.publish(owner, { t: 'abort', from: this.ownTag, id });
    });
    // PUBLISH answers how many listened: none means the owner's connection to Redis is gone
    // (a SIGKILLed process's sockets close at once), so the session is gone too.
    void this.publish(owner, { t: 'req', from: this.ownTag, id, request }).then((listeners) => {
      if (listeners === 0) this.drop(id);
    });
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
    if (request.op === 'poll') void this.publish(edge, { t: 'taken', id });
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

  /**
   * Ends what is held open for an instance that is gone: one no longer
   * listening on its channel (one PUBSUB NUMSUB for all of them, once a second).
   */
  private checkLiveness(): void {
    const nodes = new Set<string>();
    for (const { owner } of this.forwarded.values()) nodes.add(owner);
    for (const { edge } of this.serving.values()) nodes.add(edge);
    if (nodes.size === 0) return;
    const { publisher, keys } = this.options;
    const listed = [...nodes];
    publisher
      .pubsub('NUMSUB', ...listed.map((node) => keys.nodeChannel(node)))
      .then((answer) => {
        const gone = new Set(
          listed.filter((_, i) => Number((answer as unknown[])[i * 2 + 1]) === 0),
        );
        this.endFor((node) => gone.has(node));
      })
      .catch((error: unknown) => this.options.onPublishError?.(error));
  }

  private endFor(isGone: (node: string) => boolean): void {
    for (const [id, { owner }] of this.forwarded) if (isGone(owner)) this.drop(id);
    for (const { edge, res } of this.serving.values()) if (isGone(edge)) res.abort();
  }

  /** Resolves with the number of instances that heard it (0 on a failure, which is counted). */
  private publish(node: string, message: EdgeMessage | OwnerMessage): Promise<number> {
    return this.options.publisher
      .publish(this.options.keys.nodeChannel(node), JSON.stringify(message))
      .catch((error: unknown) => {
        this.options.onPublishError?.(error);
        return 0;
      });
  }
}

function ownerTag(token: string): string | undefined {
  return token.length === TOKEN_LENGTH ? token.slice(0, TAG_LENGTH) : undefined;
}

/** As for a session that ended: the client opens a new one and resumes its seat. */
function lost(res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: 'unknown session: its instance is gone; open a new one' }));
}
