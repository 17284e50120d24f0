import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startCluster, type Cluster } from './cluster/start-cluster.ts';
import { startMetricsServer } from './metrics/metrics-server.ts';
import { registerSignalingMetrics } from './metrics/signaling-metrics.ts';
import { startServer } from './server.ts';
import type { RoomLifecycleListener } from './webhooks/lifecycle.ts';
import { startWebhooks } from './webhooks/start-webhooks.ts';

/** Process entry: config from the environment, graceful exit on SIGTERM/SIGINT. */

/** Docker waits 10 s after SIGTERM before SIGKILL; finish well inside that. */
const HARD_EXIT_MS = 9_000;

const defaultStaticDir = fileURLToPath(new URL('../../web/dist', import.meta.url));

// `npm start` passes --dotenv: a .env in the working directory (the compose one, say) fills in
// what the environment leaves unset. Off otherwise, so a stray .env never changes a test run.
const dotenv = process.argv.includes('--dotenv') && existsSync('.env');
if (dotenv) process.loadEnvFile('.env');
// `npm run start:lan`: the same as HTTPS=1, on any shell.
if (process.argv.includes('--https')) process.env.HTTPS = '1';

let config;
try {
  config = loadConfig({ STATIC_DIR: defaultStaticDir, ...process.env });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`parley-signaling: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
if (dotenv) logger.info({ file: '.env' }, 'settings read from .env (the environment wins)');
if (!config.signalingSecretFromEnv) {
  logger.info(
    'SIGNALING_SECRET not set: participants can resume after a network drop, but not across a server restart',
  );
}

// HTTPS=1: certificates first. Loaded only then: nothing else needs the certificate library.
const httpsDir = config.https?.dir;
const lan = httpsDir
  ? await import('./lan/lan-mode.ts')
      .then(({ startLanMode }) => startLanMode({ dir: httpsDir, host: config.host, logger }))
      .catch((error: unknown) => {
        // DATA_DIR cannot hold the certificates: a configuration problem, reported as one.
        if (!(error instanceof Error) || error.name !== 'CertificateStoreError') throw error;
        console.error(`parley-signaling: ${error.message}`);
        process.exit(2);
      })
  : undefined;

if (config.metrics) {
  const { port, host } = config.metrics;
  await startMetricsServer(port, host, logger).catch((error: unknown) => {
    logger.fatal({ err: error, port, host }, 'could not start the metrics server (METRICS_PORT)');
    process.exit(1);
  });
}

const cluster: Cluster | undefined = config.redisUrl
  ? startCluster({
      redisUrl: config.redisUrl,
      logger,
      resumeGraceMs: config.resumeGraceMs,
      endedTtlMs: Math.max(config.resumeGraceMs, 24 * 3600_000),
      lifecycle: (): RoomLifecycleListener | undefined => webhooks?.lifecycle,
    })
  : undefined;

const webhooks = await startWebhooks(config.webhooks, {
  logger,
  resumeGraceMs: config.resumeGraceMs,
  // With scale-out a room's event stream is shared by the instances (docs/scaling.md).
  ...(cluster ? { timeline: (emit) => cluster.webhookTimeline(emit) } : {}),
}).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start webhooks');
  process.exit(1);
});

const server = await startServer({
  config,
  logger,
  https: lan?.credentials(),
  lifecycle: webhooks?.lifecycle,
  store: cluster?.store,
  bus: cluster?.bus,
  sessionRoute: cluster?.sessionRoute,
  unreadyReason: cluster?.unreadyReason,
}).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});

if (config.metrics) registerSignalingMetrics(server.hub);
if (lan) {
  lan.announce(server.port);
  lan.watch((credentials) => server.updateHttps(credentials));
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, HARD_EXIT_MS).unref();
    void Promise.resolve(cluster?.leave())
      .then(() => server.shutdown())
      .then(() => cluster?.close())
      .then(() => webhooks?.close())
      .then(() => process.exit(0));
  });
}
