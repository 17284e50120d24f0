import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { BodyResult } from './request-body.ts';

/**
 * What a session's own instance needs of an HTTP request, once the instance that received it
 * has applied every check that needs the request itself (route, method, Origin, JSON content
 * type, token header, body size). Plain data, so it can travel to another instance.
 */
export type SessionRequest =
  | { op: 'send' | 'close'; token: string; body: BodyResult }
  | { op: 'stream' | 'poll'; token: string; position: number };

/**
 * The part of a response a session writes to. A `ServerResponse` is one; with scale-out, so is
 * a stand-in whose writes travel back to the instance holding the client's real response.
 */
export interface SessionResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  setHeader(name: string, value: string): unknown;
  writeHead(status: number, headers?: Record<string, string>): unknown;
  write(chunk: string | Uint8Array): unknown;
  end(chunk?: string | Uint8Array): unknown;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * The seam between the HTTP session transport and other instances. A session lives in the
 * memory of the instance that opened it (its owner); its token says which instance that is.
 * A request for a session owned elsewhere is handed to `forward`, which carries it to the owner
 * and the owner's answer back (cluster/redis-session-route.ts). One process needs none of it:
 * `LocalSessionRoute` mints plain random tokens and owns every session.
 *
 *   client ─▶ any instance: checks ─▶ SessionRoute.forward ─▶ owner: serve(request, response)
 */
export interface SessionRoute {
  /** A new session token, naming this instance as its owner. */
  newToken(): string;
  /** True when the token names another instance. */
  isRemote(token: string): boolean;
  /** Carries a request to the session's owner and writes its answer to `res`. */
  forward(request: SessionRequest, res: ServerResponse): void;
  /** Requests other instances forward here. Called once, by the transport. */
  serve(handler: (request: SessionRequest, res: SessionResponse) => void): void;
}

/** One process: every session is local. */
export class LocalSessionRoute implements SessionRoute {
  newToken(): string {
    return randomBytes(32).toString('base64url');
  }

  isRemote(): boolean {
    return false;
  }

  forward(): void {
    throw new Error('a local session route has no other instance to forward to');
  }

  serve(): void {}
}
