import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('TURN configuration', () => {
  it('reads TURN and STUN URL lists, the secret and the TTL', () => {
    const config = loadConfig({
      STUN_URLS: 'stun:turn.example.org:3478',
      TURN_URLS:
        'turn:turn.example.org:3478?transport=udp, turn:turn.example.org:3478?transport=tcp',
      TURN_SECRET: 'a-secret-of-sixteen+',
      TURN_CREDENTIAL_TTL_SECONDS: '900',
      TURN_CREDENTIALS_PER_HOUR_PER_IP: '40',
      RELAY_ONLY_DEFAULT: 'true',
    });
    expect(config.stunUrls).toEqual(['stun:turn.example.org:3478']);
    expect(config.turn).toEqual({
      urls: [
        'turn:turn.example.org:3478?transport=udp',
        'turn:turn.example.org:3478?transport=tcp',
      ],
      secret: 'a-secret-of-sixteen+',
      ttlSeconds: 900,
      mintsPerHourPerAddress: 40,
    });
    expect(config.relayOnlyDefault).toBe(true);
  });

  it('defaults to no ICE servers at all, a ten-minute TTL and 100 credentials per address per hour', () => {
    const config = loadConfig({});
    expect(config.stunUrls).toEqual([]);
    expect(config.turn).toBeUndefined();
    expect(
      loadConfig({ TURN_URLS: 'turn:t.example:3478', TURN_SECRET: 'x'.repeat(16) }).turn,
    ).toMatchObject({ ttlSeconds: 600, mintsPerHourPerAddress: 100 });
  });

  it.each([
    [{ TURN_URLS: 'turn:t.example:3478' }, 'TURN_SECRET'],
    [{ TURN_URLS: 'http://t.example', TURN_SECRET: 'x'.repeat(16) }, 'TURN_URLS'],
    [{ STUN_URLS: 'turn:t.example:3478' }, 'STUN_URLS'],
    [{ TURN_URLS: 'turn:t.example:3478', TURN_SECRET: 'short' }, 'TURN_SECRET'],
    [{ RELAY_ONLY_DEFAULT: 'true' }, 'RELAY_ONLY_DEFAULT'],
  ])('refuses %j, naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});

describe('connections per address', () => {
  it('defaults to 100 and reads MAX_CONNECTIONS_PER_IP', () => {
    expect(loadConfig({}).maxConnectionsPerIp).toBe(100);
    expect(loadConfig({ MAX_CONNECTIONS_PER_IP: '5000' }).maxConnectionsPerIp).toBe(5000);
  });

  it.each(['0', '-1', '2.5', 'many', '1000001'])('refuses MAX_CONNECTIONS_PER_IP=%s', (value) => {
    expect(() => loadConfig({ MAX_CONNECTIONS_PER_IP: value })).toThrow(ConfigError);
    expect(() => loadConfig({ MAX_CONNECTIONS_PER_IP: value })).toThrow('MAX_CONNECTIONS_PER_IP');
  });
});

describe('origins and the knock timeout', () => {
  it('reads PUBLIC_URL as an origin, and KNOCK_TIMEOUT_MS with a two-minute default', () => {
    expect(loadConfig({}).publicOrigin).toBeUndefined();
    expect(loadConfig({ PUBLIC_URL: 'https://meet.example.org/some/path' }).publicOrigin).toBe(
      'https://meet.example.org',
    );
    expect(() => loadConfig({ PUBLIC_URL: 'meet.example.org' })).toThrow('PUBLIC_URL');
    expect(loadConfig({}).knockTimeoutMs).toBe(120_000);
    expect(loadConfig({ KNOCK_TIMEOUT_MS: '3000' }).knockTimeoutMs).toBe(3000);
  });
});

describe('trusted proxies', () => {
  it('reads TRUST_PROXY as a count of proxies: false is none, true is one', () => {
    expect(loadConfig({}).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: ' 2 ' }).trustProxy).toBe(2);
  });

  it.each(['maybe', '-1', '11', '1.5'])('refuses TRUST_PROXY=%s, naming the rule', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY: must be true, false/);
  });
});

describe('scale-out', () => {
  const secret = { SIGNALING_SECRET: 'a-secret-of-at-least-24-characters' };

  it('uses the in-memory store unless REDIS_URL is set, and reads it with the shared secret', () => {
    expect(loadConfig({}).redisUrl).toBeUndefined();
    expect(loadConfig({ ...secret, REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl).toBe(
      'redis://127.0.0.1:6379',
    );
    expect(loadConfig({ ...secret, REDIS_URL: 'rediss://:pw@redis:6380/1' }).redisUrl).toBe(
      'rediss://:pw@redis:6380/1',
    );
  });

  it.each([
    [{ ...secret, REDIS_URL: '127.0.0.1:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, 'SIGNALING_SECRET'],
  ])('refuses %j, naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});
