import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { DEFAULT_RETRY_SCHEDULE, DEFAULT_TIMEOUT_MS } from './webhook-config.ts';
import { testSecret } from './test-receiver.ts';

describe('webhook configuration', () => {
  it('is off (undefined) when WEBHOOK_URLS is unset or empty', () => {
    expect(loadConfig({}).webhooks).toBeUndefined();
    expect(loadConfig({ WEBHOOK_URLS: '', WEBHOOK_SECRET: 'x' }).webhooks).toBeUndefined();
  });

  it('reads several URLs and secrets, with the documented defaults', () => {
    const [s1, s2] = [testSecret(), testSecret()];
    const config = loadConfig({
      WEBHOOK_URLS: 'https://a.example/hook, https://b.example/x?token=1',
      WEBHOOK_SECRET: `${s1} ${s2}`,
      DATA_DIR: '/var/lib/parley',
    }).webhooks!;
    expect(config.urls.map((u) => u.href)).toEqual([
      'https://a.example/hook',
      'https://b.example/x?token=1',
    ]);
    expect(config.secrets).toEqual([s1, s2]);
    expect(config.retryScheduleSeconds).toEqual(DEFAULT_RETRY_SCHEDULE.split(',').map(Number));
    expect(config.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    expect(config.allowPrivate).toBe(false);
    expect(config.outboxDir).toBe('/var/lib/parley/webhooks');
  });

  it.each([
    [{ WEBHOOK_URLS: 'https://a.example/' }, /WEBHOOK_SECRET: must be set/],
    [{ WEBHOOK_URLS: 'https://a.example/', WEBHOOK_SECRET: 'hunter2' }, /whsec_/],
    [{ WEBHOOK_URLS: 'https://a.example/', WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }, /at least 24 bytes/],
    [{ WEBHOOK_URLS: 'ftp://a.example/', WEBHOOK_SECRET: testSecret() }, /WEBHOOK_URLS/],
    [
      { WEBHOOK_URLS: 'https://u:p@a.example/', WEBHOOK_SECRET: testSecret() },
      /without credentials/,
    ],
    [
      {
        WEBHOOK_URLS: 'https://a.example/',
        WEBHOOK_SECRET: testSecret(),
        WEBHOOK_RETRY_SCHEDULE: '0,5,soon',
      },
      /WEBHOOK_RETRY_SCHEDULE/,
    ],
    [
      {
        WEBHOOK_URLS: 'https://a.example/',
        WEBHOOK_SECRET: testSecret(),
        WEBHOOK_ALLOW_PRIVATE: 'maybe',
      },
      /WEBHOOK_ALLOW_PRIVATE/,
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
