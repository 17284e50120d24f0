import type { IncomingMessage } from 'node:http';

export const WEBSOCKET_PATH = '/ws';

export type UpgradeVerdict = { ok: true } | { ok: false; status: 403 | 404; reason: string };

/**
 * Runs before the WebSocket handshake, so a page on a foreign origin never gets a socket
 * (cross-site WebSocket hijacking). With no allowlist, only the server's own origin passes:
 * an Origin whose host equals the Host header the browser used to reach us.
 */
export function checkUpgrade(
  req: IncomingMessage,
  allowedOrigins: readonly string[],
): UpgradeVerdict {
  const path = (req.url ?? '').split('?')[0];
  if (path !== WEBSOCKET_PATH) return { ok: false, status: 404, reason: 'unknown path' };
  const origin = req.headers.origin;
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
      : (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
        parsed.host === req.headers.host;
  return allowed ? { ok: true } : { ok: false, status: 403, reason: 'origin not allowed' };
}

/** The client address: the socket's, or the last X-Forwarded-For hop when behind our own proxy. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const value = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
    const last = value?.split(',').pop()?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
