import { EventEmitter } from 'node:events';
import type { SessionResponse } from '../http-session/session-route.ts';

/** What the owner of a session writes back to the instance holding the client's request. */
export type TunnelAnswer =
  /** The request reached the owner (a long-poll may then wait for its answer). */
  | { t: 'taken' }
  | { t: 'head'; status: number; headers: Record<string, string> }
  | { t: 'data'; chunk: string }
  /** The last write; `head` too when nothing was written before (a plain JSON answer: one message). */
  | { t: 'end'; head?: { status: number; headers: Record<string, string> }; chunk?: string }
  | { t: 'destroy' };

/**
 * Stands in, on a session's owner, for a response held by another instance: each write
 * becomes a `TunnelAnswer` sent back there, in order. The session treats it as any response;
 * `abort()` is the client's connection going away at the other end.
 */
export class TunnelResponse extends EventEmitter implements SessionResponse {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  private readonly headers: Record<string, string> = {};
  private closed = false;

  constructor(private readonly answer: (message: TunnelAnswer) => void) {
    super();
  }

  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  writeHead(status: number, headers: Record<string, string> = {}): this {
    if (this.headersSent) return this;
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    this.statusCode = status;
    this.headersSent = true;
    this.answer({ t: 'head', status, headers: this.headers });
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.writableEnded || this.closed) return false;
    this.writeHead(this.statusCode);
    this.answer({ t: 'data', chunk: text(chunk) });
    return true;
  }

  end(chunk?: string | Uint8Array): this {
    if (this.writableEnded || this.closed) return this;
    this.writableEnded = true;
    const answer: TunnelAnswer = { t: 'end' };
    if (chunk !== undefined) answer.chunk = text(chunk);
    if (!this.headersSent) {
      this.headersSent = true;
      answer.head = { status: this.statusCode, headers: this.headers };
    }
    this.answer(answer);
    this.finish();
    return this;
  }

  destroy(): this {
    if (this.closed) return this;
    if (!this.writableEnded) this.answer({ t: 'destroy' });
    this.finish();
    return this;
  }

  /** The client's request went away at the instance that holds it. */
  abort(): void {
    this.finish();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** As a ServerResponse does, 'close' comes once, after the end or the connection's loss. */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

function text(chunk: string | Uint8Array): string {
  return typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
}
