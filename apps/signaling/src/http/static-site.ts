import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * Serves the built web app. Vite fingerprints everything under /assets/, so those are cached
 * forever; index.html (the SPA fallback for /r/<room>) must be revalidated on every load so a
 * deploy takes effect at once.
 */
export function createStaticSite(dir: string): Handler | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const serve = sirv(dir, {
    single: true,
    etag: true,
    gzip: true,
    brotli: true,
    setHeaders(res, pathname) {
      res.setHeader(
        'Cache-Control',
        pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  // sirv lists the files once at start and pipes a read stream without an error handler. A file
  // removed since (a redeploy replacing dist/ under a running server) would crash the process
  // with an unhandled 'error'; instead, only that response is cut off.
  return (req, res, next) => {
    res.once('pipe', (source) => source.once('error', () => res.destroy()));
    serve(req, res, next);
  };
}
