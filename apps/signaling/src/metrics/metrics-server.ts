import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, register } from 'prom-client';
import type { Logger } from '../logger.ts';

/**
 * Prometheus metrics on their own port (METRICS_PORT), never on the public one: Caddy proxies
 * only PORT, so metrics stay inside the host or the compose network. Off unless configured.
 */
export async function startMetricsServer(
  port: number,
  host: string,
  logger: Logger,
): Promise<{ port: number; close(): Promise<void> }> {
  collectDefaultMetrics();
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') {
      res.statusCode = 404;
      return res.end();
    }
    register.metrics().then(
      (text) => {
        res.setHeader('Content-Type', register.contentType);
        res.end(text);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'metrics collection failed');
        res.statusCode = 500;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ port: bound, host }, `metrics on http://${host}:${bound}/metrics`);
  return {
    port: bound,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
