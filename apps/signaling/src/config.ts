import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import * as v from 'valibot';
import { parseWebhookConfig, type WebhookConfig } from './webhooks/webhook-config.ts';

/**
 * Server configuration, read once from the environment at start. A bad value stops the process
 * with a message naming the variable, instead of surfacing later as odd behaviour.
 */

const integer = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d+$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min),
    v.maxValue(max),
  );

const boolean = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.picklist(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
  v.transform((s) => s === 'true' || s === '1' || s === 'yes'),
);

/** TRUST_PROXY: true/false, or how many proxies of one's own are chained (0–10). */
const proxyHops = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.regex(/^(true|false|yes|no|\d+)$/, 'must be true, false, or the number of proxies (0–10)'),
  v.transform((s) =>
    s === 'true' || s === 'yes' ? 1 : s === 'false' || s === 'no' ? 0 : Number(s),
  ),
  v.maxValue(10, 'must be true, false, or the number of proxies (0–10)'),
);

const originList = v.pipe(
  v.string(),
  v.transform((s) =>
    s
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  ),
  v.array(
    v.pipe(
      v.string(),
      v.url('must be a comma-separated list of origins like https://meet.example.org'),
    ),
  ),
);

/** A comma-separated list of ICE URLs of one scheme family, e.g. `turn:` and `turns:`. */
const iceUrlList = (pattern: RegExp, example: string) =>
  v.pipe(
    v.string(),
    v.transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    ),
    v.array(v.pipe(v.string(), v.regex(pattern, `must be a comma-separated list like ${example}`))),
  );

const EnvSchema = v.object({
  PORT: v.optional(integer(0, 65535), '8080'),
  HOST: v.optional(v.pipe(v.string(), v.minLength(1)), '0.0.0.0'),
  LOG_LEVEL: v.optional(
    v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    'info',
  ),
  /** Empty: only loopback origins and PUBLIC_URL's origin may open a WebSocket. */
  ALLOWED_ORIGINS: v.optional(originList, ''),
  /** The address users open, e.g. https://meet.example.org; its origin is allowed by default. */
  PUBLIC_URL: v.optional(
    v.pipe(v.string(), v.trim(), v.url('must be a URL like https://meet.example.org')),
  ),
  /** Built web app to serve; empty disables static serving (e.g. under the Vite dev server). */
  STATIC_DIR: v.optional(v.string(), ''),
  ROOM_CAPACITY: v.optional(integer(2, 50), '6'),
  /** How long a dropped participant keeps its seat before the others are told it left. */
  RESUME_GRACE_MS: v.optional(integer(0, 600_000), '20000'),
  HEARTBEAT_INTERVAL_MS: v.optional(integer(50, 600_000), '30000'),
  /** Per-connection token bucket: a mesh join sends an offer plus candidates to every peer at once. */
  MESSAGE_BURST: v.optional(integer(1, 100_000), '120'),
  MESSAGES_PER_SECOND: v.optional(integer(1, 100_000), '30'),
  JOIN_BURST_PER_IP: v.optional(integer(1, 100_000), '10'),
  JOINS_PER_SECOND_PER_IP: v.optional(integer(1, 100_000), '3'),
  /**
   * Open WebSocket connections one client address may hold; more are refused with HTTP 429 at
   * the upgrade. An office behind one NAT shares an address: each tab in a call holds one.
   */
  MAX_CONNECTIONS_PER_IP: v.optional(integer(1, 1_000_000), '100'),
  /** Close a client whose unsent backlog passes this many bytes (it stopped reading). */
  MAX_BUFFERED_BYTES: v.optional(integer(1024, 1 << 30), String(1024 * 1024)),
  /**
   * How many reverse proxies of yours stand in front (true = 1): the client address is then the
   * X-Forwarded-For entry that the outermost of them appended. Without it the header is ignored.
   */
  TRUST_PROXY: v.optional(proxyHops, 'false'),
  /** Signs resume tokens; set it to keep participants' identities across a server restart. */
  SIGNALING_SECRET: v.optional(
    v.pipe(
      v.string(),
      v.minLength(24, 'must be at least 24 characters; generate one: openssl rand -base64 32'),
    ),
  ),
  SHUTDOWN_GRACE_MS: v.optional(integer(0, 60_000), '5000'),
  /** Largest file participants accept peer to peer (bytes); the server never sees the files. */
  MAX_FILE_BYTES: v.optional(integer(0, Number.MAX_SAFE_INTEGER), String(10 * 1024 ** 3)),
  /** STUN servers for browsers. None by default: we never send users to a third party's STUN. */
  STUN_URLS: v.optional(iceUrlList(/^stun:[^\s?]+$/, 'stun:turn.example.org:3478'), ''),
  /** TURN servers; participants get time-limited credentials for them when admitted. */
  TURN_URLS: v.optional(
    iceUrlList(
      /^turns?:[^\s?]+(\?transport=(udp|tcp))?$/,
      'turn:turn.example.org:3478?transport=udp',
    ),
    '',
  ),
  /** coturn's `static-auth-secret`: credentials are HMACs under it, checked by coturn. */
  TURN_SECRET: v.optional(
    v.pipe(
      v.string(),
      v.minLength(16, 'must be at least 16 characters; generate one: openssl rand -hex 32'),
    ),
  ),
  TURN_CREDENTIAL_TTL_SECONDS: v.optional(integer(60, 7 * 24 * 3600), '600'),
  /** TURN credentials one client address (IPv4, or IPv6 /64) may be given per hour. */
  TURN_CREDENTIALS_PER_HOUR_PER_IP: v.optional(integer(1, 1_000_000), '100'),
  /** How long a knock on a locked call waits for an answer before it is turned away. */
  KNOCK_TIMEOUT_MS: v.optional(integer(1000, 3_600_000), '120000'),
  /** Tick the lobby's "Relay only" privacy option by default. */
  RELAY_ONLY_DEFAULT: v.optional(boolean, 'false'),
  /** Prometheus /metrics on this separate port (unset: off); never proxied by Caddy. */
  METRICS_PORT: v.optional(integer(0, 65535)),
  METRICS_HOST: v.optional(v.pipe(v.string(), v.minLength(1)), '127.0.0.1'),
  /** Scale-out: instances with the same REDIS_URL and SIGNALING_SECRET share rooms (docs/scaling.md). */
  /** LAN mode: HTTPS on PORT with a local CA kept under DATA_DIR/tls (docs/self-hosting.md). */
  HTTPS: v.optional(boolean, 'false'),
  REDIS_URL: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^rediss?:\/\/\S+$/, 'must be a URL like redis://127.0.0.1:6379'),
    ),
  ),
});

export type Config = {
  port: number;
  host: string;
  logLevel: string;
  allowedOrigins: string[];
  /** The origin of PUBLIC_URL, allowed along with loopback when ALLOWED_ORIGINS is empty. */
  publicOrigin: string | undefined;
  staticDir: string | undefined;
  roomCapacity: number;
  resumeGraceMs: number;
  heartbeatIntervalMs: number;
  messageBurst: number;
  messagesPerSecond: number;
  joinBurstPerIp: number;
  joinsPerSecondPerIp: number;
  maxConnectionsPerIp: number;
  maxBufferedBytes: number;
  /** Reverse proxies of ours in front (TRUST_PROXY); 0: X-Forwarded-For is ignored. */
  trustProxy: number;
  signalingSecret: string;
  /** False when the secret was generated at start, i.e. resume will not survive a restart. */
  signalingSecretFromEnv: boolean;
  shutdownGraceMs: number;
  maxFileBytes: number;
  stunUrls: string[];
  turn:
    | { urls: string[]; secret: string; ttlSeconds: number; mintsPerHourPerAddress: number }
    | undefined;
  knockTimeoutMs: number;
  relayOnlyDefault: boolean;
  metrics: { port: number; host: string } | undefined;
  /** Undefined: rooms live in this process only (the default). */
  redisUrl: string | undefined;
  /** Undefined when WEBHOOK_URLS is unset (webhooks off). */
  webhooks: WebhookConfig | undefined;
  /** HTTPS=1: serve HTTPS with certificates kept in `dir` (DATA_DIR/tls). Undefined: plain HTTP. */
  https: { dir: string } | undefined;
};

/** Variables whose values are never echoed in an error (REDIS_URL may carry a password). */
const SECRETS = new Set(['SIGNALING_SECRET', 'TURN_SECRET', 'REDIS_URL']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // Treat empty variables (common in .env files) as unset.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = v.safeParse(EnvSchema, present);
  if (!result.success) {
    const lines = result.issues.map((issue) => {
      const name = v.getDotPath(issue) ?? '?';
      // A secret's value never goes to the log, even a wrong one: only its length.
      const got = SECRETS.has(name)
        ? `got ${String(issue.input).length} characters`
        : `got ${JSON.stringify(issue.input)}`;
      return `  ${name}: ${issue.message} (${got})`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = result.output;
  if (e.TURN_URLS.length > 0 && e.TURN_SECRET === undefined) {
    throw new ConfigError(
      "invalid configuration:\n  TURN_SECRET: must be set when TURN_URLS is (the same value as coturn's static-auth-secret)",
    );
  }
  if (e.RELAY_ONLY_DEFAULT && e.TURN_URLS.length === 0) {
    throw new ConfigError(
      'invalid configuration:\n  RELAY_ONLY_DEFAULT: relay-only calls need a TURN server; set TURN_URLS and TURN_SECRET',
    );
  }
  if (e.REDIS_URL !== undefined && e.SIGNALING_SECRET === undefined) {
    throw new ConfigError(
      'invalid configuration:\n  SIGNALING_SECRET: must be set when REDIS_URL is (the same value on every instance, so a participant can resume on any of them)',
    );
  }
  const webhooks = parseWebhookConfig(present);
  if (!webhooks.ok)
    throw new ConfigError(`invalid configuration:\n${webhooks.problems.join('\n')}`);
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    allowedOrigins: e.ALLOWED_ORIGINS.map((o) => new URL(o).origin),
    publicOrigin: e.PUBLIC_URL === undefined ? undefined : new URL(e.PUBLIC_URL).origin,
    staticDir: e.STATIC_DIR || undefined,
    roomCapacity: e.ROOM_CAPACITY,
    resumeGraceMs: e.RESUME_GRACE_MS,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    messageBurst: e.MESSAGE_BURST,
    messagesPerSecond: e.MESSAGES_PER_SECOND,
    joinBurstPerIp: e.JOIN_BURST_PER_IP,
    joinsPerSecondPerIp: e.JOINS_PER_SECOND_PER_IP,
    maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
    maxBufferedBytes: e.MAX_BUFFERED_BYTES,
    trustProxy: e.TRUST_PROXY,
    signalingSecret: e.SIGNALING_SECRET ?? randomBytes(32).toString('base64url'),
    signalingSecretFromEnv: e.SIGNALING_SECRET !== undefined,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    maxFileBytes: e.MAX_FILE_BYTES,
    stunUrls: e.STUN_URLS,
    turn:
      e.TURN_URLS.length > 0 && e.TURN_SECRET !== undefined
        ? {
            urls: e.TURN_URLS,
            secret: e.TURN_SECRET,
            ttlSeconds: e.TURN_CREDENTIAL_TTL_SECONDS,
            mintsPerHourPerAddress: e.TURN_CREDENTIALS_PER_HOUR_PER_IP,
          }
        : undefined,
    knockTimeoutMs: e.KNOCK_TIMEOUT_MS,
    relayOnlyDefault: e.RELAY_ONLY_DEFAULT,
    metrics:
      e.METRICS_PORT === undefined ? undefined : { port: e.METRICS_PORT, host: e.METRICS_HOST },
    webhooks: webhooks.config,
    redisUrl: e.REDIS_URL,
    https: e.HTTPS ? { dir: resolve(present.DATA_DIR ?? 'data', 'tls') } : undefined,
  };
}
