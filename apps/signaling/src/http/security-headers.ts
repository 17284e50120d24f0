import type { ServerResponse } from 'node:http';

/**
 * Headers for every HTTP response. The CSP allows only our own scripts, styles and sockets;
 * `blob:` is for received files and media. CSP does not cover RTCPeerConnection, so keeping
 * untrusted text out of the DOM as HTML remains the real XSS defence.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // Our own files only: no eval, no inline script, and no WebAssembly (hashing is Web Crypto's).
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader(
    'Permissions-Policy',
    'camera=(self), microphone=(self), display-capture=(self), geolocation=()',
  );
}
