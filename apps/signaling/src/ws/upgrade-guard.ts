import type { IncomingMessage } from 'node:http';

export const WEBSOCKET_PATH = '/ws';

export type UpgradeVerdict = { ok: true } | { ok: false; status: 403 | 404; reason: string };

/** Which page origins may open a WebSocket (from ALLOWED_ORIGINS and PUBLIC_URL). */
export interface OriginPolicy {
  /** Exact origins; when non-empty, nothing else passes. */
  allowedOrigins: readonly string[];
  /** With no allowlist: this origin passes along with loopback ones. */
  publicOrigin?: string | undefined;
  /**
   * With no allowlist: the origins this server itself serves over HTTPS in LAN mode
   * (https://<each address it has a certificate for>:<port>). Live: replaced when the
   * machine's addresses change.
   */
  servedOrigins?: readonly string[] | undefined;
}

/**
 * Runs before the WebSocket handshake, so a page on a foreign origin never gets a socket
 * (cross-site WebSocket hijacking). With an allowlist, exactly its origins pass. Without one,
 * only loopback origins (`npm start` opened on this machine) and PUBLIC_URL's origin do.
 *
 * The Host header is never trusted for this: under DNS rebinding, evil.example resolves to
 * this server, and the attacker's page sends `Origin: http://evil.example` with
 * `Host: evil.example`. Comparing the two (what this check did before) let it in.
 */
export function checkUpgrade(req: IncomingMessage, policy: OriginPolicy): UpgradeVerdict {
  const path = (req.url ?? '').split('?')[0];
  if (path !== WEBSOCKET_PATH) return { ok: false, status: 404, reason: 'unknown path' };
  return checkOrigin(req.headers.origin, policy);
}

/**
 * The Origin rule on its own, shared with the HTTP signalling transports (which need it on
 * requests that are no upgrade).
 */
export function checkOrigin(origin: string | undefined, policy: OriginPolicy): UpgradeVerdict {
  const { allowedOrigins } = policy;
  if (!origin) return { ok: false, status: 403, reason: 'missing Origin' };
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return { ok: false, status: 403, reason: 'malformed Origin' };
  }
  const allowed =
    allowedOrigins.length > 0
      ? allowedOrigins.includes(parsed.origin)
      : parsed.origin === policy.publicOrigin ||
        (policy.servedOrigins?.includes(parsed.origin) ?? false) ||
        ((parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
          isLoopbackHost(parsed.hostname));
  return allowed ? { ok: true } : { ok: false, status: 403, reason: 'origin not allowed' };
}

/** `localhost` (and its subdomains, which browsers resolve to loopback), 127/8 and ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]'
  );
}

/** One line for the start-up log: which origins may open a WebSocket, and why. */
export function describeOriginPolicy(policy: OriginPolicy): string {
  if (policy.allowedOrigins.length > 0)
    return `WebSocket origins allowed (ALLOWED_ORIGINS): ${policy.allowedOrigins.join(', ')}`;
  const extra =
    (policy.publicOrigin ? ` and ${policy.publicOrigin} (PUBLIC_URL)` : '') +
    (policy.servedOrigins?.length ? ` and ${policy.servedOrigins.join(', ')} (HTTPS=1)` : '');
  return `WebSocket origins allowed: loopback (localhost, 127.0.0.0/8, [::1])${extra}; set PUBLIC_URL or ALLOWED_ORIGINS to serve other addresses`;
}

/**
 * The client address: the socket's, or, behind `trustedProxies` proxies of our own, the
 * X-Forwarded-For entry the outermost of them appended. Each proxy appends the address it was
 * reached from, so entries further left are whatever the client chose to send: never trusted.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: number): string {
  if (trustedProxies > 0) {
    const forwarded = req.headers['x-forwarded-for'];
    const value = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
    const hops = (value ?? '')
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    // Fewer entries than proxies: the request skipped one; the leftmost is then the furthest
    // hop any of ours saw.
    const hop = hops[Math.max(0, hops.length - trustedProxies)];
    if (hop) return hop;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
