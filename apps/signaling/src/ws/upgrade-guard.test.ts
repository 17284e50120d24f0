import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  checkUpgrade,
  clientAddress,
  describeOriginPolicy,
  type OriginPolicy,
} from './upgrade-guard.ts';

const none: OriginPolicy = { allowedOrigins: [] };

function request(
  url: string,
  headers: Record<string, string>,
  remoteAddress = '127.0.0.1',
): IncomingMessage {
  return { url, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('checkUpgrade', () => {
  it('accepts loopback origins by default, whatever the Host', () => {
    for (const origin of [
      'http://localhost:8080',
      'http://127.0.0.1:5173',
      'http://127.1.2.3',
      'http://[::1]:8080',
      'http://app.localhost',
    ]) {
      expect(checkUpgrade(request('/ws', { host: '127.0.0.1:8080', origin }), none)).toEqual({
        ok: true,
      });
    }
  });
  it('refuses the DNS-rebinding pair (Origin http://evil.example, Host evil.example) by default', () => {
    expect(
      checkUpgrade(request('/ws', { host: 'evil.example', origin: 'http://evil.example' }), none),
    ).toMatchObject({ ok: false, status: 403 });
    expect(
      checkUpgrade(
        request('/ws', { host: 'localhost.evil.example', origin: 'http://localhost.evil.example' }),
        none,
      ),
    ).toMatchObject({ ok: false, status: 403 });
  });
  it('accepts PUBLIC_URL origin when there is no allowlist, and only it besides loopback', () => {
    const policy = { allowedOrigins: [], publicOrigin: 'https://meet.example.org' };
    const at = (origin: string) =>
      checkUpgrade(request('/ws', { host: new URL(origin).host, origin }), policy).ok;
    expect(at('https://meet.example.org')).toBe(true);
    expect(at('http://meet.example.org')).toBe(false);
    expect(at('https://other.example.org')).toBe(false);
    expect(describeOriginPolicy(policy)).toContain('https://meet.example.org (PUBLIC_URL)');
  });
  it('rejects a foreign origin, a missing one and a malformed one with 403', () => {
    for (const origin of ['https://evil.example', 'null', 'javascript:alert(1)']) {
      expect(
        checkUpgrade(request('/ws', { host: 'meet.example.org', origin }), none),
      ).toMatchObject({
        ok: false,
        status: 403,
      });
    }
    expect(checkUpgrade(request('/ws', { host: 'meet.example.org' }), none)).toMatchObject({
      ok: false,
      status: 403,
    });
  });
  it('uses the allowlist exactly when one is configured', () => {
    const list = { allowedOrigins: ['https://meet.example.org'], publicOrigin: 'http://localhost' };
    expect(
      checkUpgrade(
        request('/ws', { host: 'internal:8080', origin: 'https://meet.example.org' }),
        list,
      ).ok,
    ).toBe(true);
    expect(
      checkUpgrade(
        request('/ws', { host: 'internal:8080', origin: 'https://meet.example.org.evil.example' }),
        list,
      ).ok,
    ).toBe(false);
    expect(
      checkUpgrade(request('/ws', { host: 'internal:8080', origin: 'http://internal:8080' }), list)
        .ok,
    ).toBe(false);
    // With an allowlist, loopback gets no special treatment.
    expect(
      checkUpgrade(request('/ws', { host: 'localhost', origin: 'http://localhost' }), list).ok,
    ).toBe(false);
  });
  it('rejects other paths with 404', () => {
    expect(
      checkUpgrade(request('/socket', { host: 'h', origin: 'http://localhost' }), none),
    ).toMatchObject({
      status: 404,
    });
    expect(
      checkUpgrade(request('/ws?x=1', { host: 'h', origin: 'http://localhost' }), none).ok,
    ).toBe(true);
  });
});

describe('clientAddress', () => {
  it('ignores X-Forwarded-For unless the proxy is trusted, then takes the last hop', () => {
    const req = request('/ws', { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' }, '127.0.0.1');
    expect(clientAddress(req, 0)).toBe('127.0.0.1');
    expect(clientAddress(req, 1)).toBe('203.0.113.9');
  });

  it('behind two proxies takes the entry the outer one appended, never one the client wrote', () => {
    // The client forged 6.6.6.6; nginx appended the client's real address; the inner proxy
    // appended nginx's.
    const req = request(
      '/ws',
      { 'x-forwarded-for': '6.6.6.6, 198.51.100.4, 100.64.0.2' },
      '127.0.0.1',
    );
    expect(clientAddress(req, 2)).toBe('198.51.100.4');
    // A request that reached us through only one of the two: the leftmost entry it carries.
    const short = request('/ws', { 'x-forwarded-for': '198.51.100.4' }, '127.0.0.1');
    expect(clientAddress(short, 2)).toBe('198.51.100.4');
    expect(clientAddress(request('/ws', {}, '127.0.0.1'), 2)).toBe('127.0.0.1');
  });
});
