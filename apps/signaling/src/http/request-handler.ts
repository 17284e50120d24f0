import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { PARLEY_VERSION } from '../version.ts';
import { setSecurityHeaders } from './security-headers.ts';
import { createStaticSite } from './static-site.ts';

export type RequestHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** Whether a built web app was found and is served. */
  readonly servesWebApp: boolean;
};

export interface RequestHandlerDeps {
  config: Pick<Config, 'staticDir' | 'turn' | 'relayOnlyDefault'>;
  logger: Logger;
  /** True once shutdown began: readiness turns 503 so a load balancer stops sending clients. */
  isShuttingDown: () => boolean;
  /** Why a dependency (Redis, with scale-out) keeps this instance unready; undefined when ready. */
  unreadyReason?: (() => string | undefined) | undefined;
}

/**
 * Every plain HTTP request: health, readiness, the lobby's client config and the built web app,
 * all with the security headers. WebSocket upgrades never reach this handler.
 */
export function createRequestHandler({
  config,
  logger,
  isShuttingDown,
  unreadyReason = () => undefined,
}: RequestHandlerDeps): RequestHandler {
  const staticSite = config.staticDir ? createStaticSite(config.staticDir) : undefined;
  if (config.staticDir && !staticSite) {
    logger.warn(
      { staticDir: config.staticDir },
      'no built web app found; run `npm run build` to serve it',
    );
  }
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    setSecurityHeaders(res);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz')
      return json(res, 200, { status: 'ok', version: PARLEY_VERSION, protocol: PROTOCOL_VERSION });
    // What the lobby needs before joining; no credentials here (those are for members only).
    if (path === '/client-config.json')
      return json(res, 200, {
        relayAvailable: config.turn !== undefined,
        relayOnlyDefault: config.relayOnlyDefault,
      });
    if (path === '/readyz') {
      const status = isShuttingDown() ? 'shutting-down' : (unreadyReason() ?? 'ready');
      return json(res, status === 'ready' ? 200 : 503, { status });
    }
    if (staticSite && (req.method === 'GET' || req.method === 'HEAD')) {
      return staticSite(req, res, () => json(res, 404, { error: 'not found' }));
    }
    json(res, 404, { error: 'not found' });
  };
  return Object.assign(handle, { servesWebApp: staticSite !== undefined });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}
