import type { IncomingMessage, ServerResponse } from 'node:http';
import { setSecurityHeaders } from '../http/security-headers.ts';

/**
 * GET /ca.crt in LAN HTTPS mode: the local CA's certificate (never its key), so a phone can
 * download and install it. The MIME type is the one Android and iOS treat as "install this
 * certificate"; the file is PEM, which both accept.
 */

export const CA_DOWNLOAD_PATH = '/ca.crt';

/** Answers the request and returns true when it is for the CA certificate. */
export function caDownloadHandler(
  caCertPem: () => string,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if ((req.url ?? '').split('?')[0] !== CA_DOWNLOAD_PATH) return false;
    setSecurityHeaders(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return true;
    }
    const body = caCertPem();
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/x-x509-ca-cert');
    res.setHeader('Content-Disposition', 'attachment; filename="parley-local-ca.crt"');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.setHeader('Cache-Control', 'no-store');
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
