import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkDestination, type Resolver } from './address-policy.ts';

/**
 * One delivery attempt: resolve and check the host, then POST to exactly the checked address.
 * The socket's DNS lookup is replaced by one that returns that address, so a second resolution
 * (DNS rebinding) cannot send the request anywhere else; TLS still verifies the certificate
 * against the URL's host name. Redirects are never followed (node:http does not follow them).
 */

export type AttemptResult =
  | { outcome: 'delivered'; status: number; ms: number }
  | {
      outcome: 'failed';
      status?: number;
      error?: string;
      /** From a Retry-After header, when the receiver sent one. */
      retryAfterMs?: number;
      ms: number;
    }
  | { outcome: 'refused'; error: string; ms: number };

export interface AttemptOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  resolver?: Resolver;
  /** Keep-alive agents, one per checked address (a reused socket was checked too). */
  agents?: AgentPool;
  userAgent?: string;
}

/** Longest Retry-After we honour; a larger one is clamped so a typo cannot park an endpoint for a year. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

export async function attemptDelivery(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: AttemptOptions,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const destination = await checkDestination(url, options.allowPrivate, options.resolver);
  if (!destination.ok) return { outcome: 'refused', error: destination.reason, ms: elapsed() };
  const { address, family } = destination;
  const pinned: LookupFunction = (_host, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all)
      (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
        { address, family },
      ]);
    else callback(null, address, family);
  };
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(url, {
      method: 'POST',
      lookup: pinned,
      agent: options.agents?.get(secure, address),
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': options.userAgent ?? 'Parley-Webhooks/1',
      },
    });
    const timer = setTimeout(() => {
      finish({
        outcome: 'failed',
        error: `timed out after ${options.timeoutMs} ms`,
        ms: elapsed(),
      });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error) => finish({ outcome: 'failed', error: error.message, ms: elapsed() }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      // The body is not used; drain it so a keep-alive socket can be reused.
      res.resume();
      res.on('error', () => undefined);
      res.on('end', () => {
        if (status >= 200 && status < 300)
          return finish({ outcome: 'delivered', status, ms: elapsed() });
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        finish({
          outcome: 'failed',
          status,
          ...(status >= 300 && status < 400 ? { error: 'redirect not followed' } : {}),
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          ms: elapsed(),
        });
      });
    });
    req.end(body);
  });
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now. */
export function parseRetryAfter(
  value: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Keep-alive agents per checked address; an address that stops being used is let go. */
export class AgentPool {
  private readonly agents = new Map<string, HttpAgent>();

  get(secure: boolean, address: string): HttpAgent {
    const key = `${secure ? 's' : 'p'}${address}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const options = { keepAlive: true, maxSockets: 16, timeout: 60_000 };
      agent = secure ? new HttpsAgent(options) : new HttpAgent(options);
      // A host that moved to a new address leaves its old agent idle: at most a few per endpoint.
      if (this.agents.size >= 8) this.destroy();
      this.agents.set(key, agent);
    }
    return agent;
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
