import { resolve } from 'node:path';
import * as v from 'valibot';

/**
 * Webhook settings from the environment. Parsed here (not in config.ts) so the feature stays in
 * one folder; config.ts turns problems into its usual ConfigError.
 */

export interface WebhookConfig {
  urls: URL[];
  /** Standard Webhooks secrets (`whsec_…`); every delivery is signed with each of them. */
  secrets: string[];
  /** Seconds to wait before each attempt; its length is the number of attempts. */
  retryScheduleSeconds: number[];
  allowPrivate: boolean;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** The outbox lives here (DATA_DIR/webhooks). */
  outboxDir: string;
}

export const DEFAULT_RETRY_SCHEDULE = '0,5,300,1800,7200,18000,36000,36000';
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Security notes: at least 24 bytes of key. */
const MIN_SECRET_BYTES = 24;

const WebhookEnv = v.object({
  WEBHOOK_URLS: v.optional(v.string(), ''),
  WEBHOOK_SECRET: v.optional(v.string(), ''),
  WEBHOOK_RETRY_SCHEDULE: v.optional(v.string(), DEFAULT_RETRY_SCHEDULE),
  WEBHOOK_ALLOW_PRIVATE: v.optional(v.string(), 'false'),
  WEBHOOK_TIMEOUT_MS: v.optional(v.string(), String(DEFAULT_TIMEOUT_MS)),
  DATA_DIR: v.optional(v.string(), 'data'),
});

export type WebhookConfigResult =
  { ok: true; config: WebhookConfig | undefined } | { ok: false; problems: string[] };

/** `env` has empty values removed already. Unset WEBHOOK_URLS means off: `config` is undefined. */
export function parseWebhookConfig(env: Record<string, string | undefined>): WebhookConfigResult {
  const e = v.parse(WebhookEnv, env);
  const urlTexts = e.WEBHOOK_URLS.split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urlTexts.length === 0) return { ok: true, config: undefined };
  const problems: string[] = [];

  const urls: URL[] = [];
  for (const text of urlTexts) {
    const url = URL.canParse(text) ? new URL(text) : undefined;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username) {
      problems.push(
        `  WEBHOOK_URLS: ${JSON.stringify(text)} must be an http(s) URL without credentials, e.g. https://hooks.example.org/parley`,
      );
    } else urls.push(url);
  }
  if (new Set(urls.map((u) => u.href)).size !== urls.length)
    problems.push('  WEBHOOK_URLS: lists the same URL twice');

  const secrets = e.WEBHOOK_SECRET.split(/\s+/).filter(Boolean);
  if (secrets.length === 0) {
    problems.push(
      '  WEBHOOK_SECRET: must be set when WEBHOOK_URLS is; generate one with: echo "whsec_$(openssl rand -base64 32)"',
    );
  }
  for (const secret of secrets) {
    const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : undefined;
    const bytes =
      body !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(body)
        ? Buffer.from(body, 'base64').length
        : 0;
    if (bytes < MIN_SECRET_BYTES) {
      problems.push(
        `  WEBHOOK_SECRET: each secret must be "whsec_" followed by base64 of at least ${MIN_SECRET_BYTES} bytes (got one starting ${JSON.stringify(secret.slice(0, 8))})`,
      );
    }
  }

  const schedule = e.WEBHOOK_RETRY_SCHEDULE.split(',').map((s) => s.trim());
  const retryScheduleSeconds = schedule.map(Number);
  if (
    schedule.some((s) => !/^\d+(\.\d+)?$/.test(s)) ||
    retryScheduleSeconds.some((n) => n > 7 * 24 * 3600)
  ) {
    problems.push(
      `  WEBHOOK_RETRY_SCHEDULE: must be comma-separated delays in seconds (each at most a week), e.g. ${DEFAULT_RETRY_SCHEDULE}`,
    );
  }

  const allowPrivate = ['true', '1', 'yes'].includes(e.WEBHOOK_ALLOW_PRIVATE.trim().toLowerCase());
  if (
    !['true', '1', 'yes', 'false', '0', 'no'].includes(e.WEBHOOK_ALLOW_PRIVATE.trim().toLowerCase())
  )
    problems.push('  WEBHOOK_ALLOW_PRIVATE: must be true or false');

  const timeoutMs = Number(e.WEBHOOK_TIMEOUT_MS);
  if (!/^\d+$/.test(e.WEBHOOK_TIMEOUT_MS.trim()) || timeoutMs < 1 || timeoutMs > 120_000)
    problems.push('  WEBHOOK_TIMEOUT_MS: must be a whole number of milliseconds, 1 to 120000');

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      urls,
      secrets,
      retryScheduleSeconds,
      allowPrivate,
      timeoutMs,
      outboxDir: resolve(e.DATA_DIR, 'webhooks'),
    },
  };
}

/** An endpoint as it appears in logs: no query string or fragment, which may carry tokens. */
export function endpointLabel(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
