import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkUpgrade, clientAddress } from './upgrade-guard.ts';

function request(
  url: string,
  headers: Record<string, string>,
  remoteAddress = '127.0.0.1',
): IncomingMessage {
  return { url, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('checkUpgrade', () => {
  it('accepts the server own origin by default', () => {
    expect(
      checkUpgrade(
        request('/ws', { host: 'meet.example.org', origin: 'https://meet.example.org' }),
        [],
      ),
    ).toEqual({ ok: true });
  });
  it('rejects a foreign origin, a missing one and a malformed one with 403', () => {
    for (const origin of ['https://evil.example', 'null', 'javascript:alert(1)']) {
      expect(checkUpgrade(request('/ws', { host: 'meet.example.org', origin }), [])).toMatchObject({
        ok: false,
        status: 403,
      });
    }
    expect(checkUpgrade(request('/ws', { host: 'meet.example.org' }), [])).toMatchObject({
      ok: false,
      status: 403,
    });
  });
  it('uses the allowlist exactly when one is configured', () => {
    const list = ['https://meet.example.org'];
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
  });
  it('rejects other paths with 404', () => {
    expect(checkUpgrade(request('/socket', { host: 'h', origin: 'http://h' }), [])).toMatchObject({
      status: 404,
    });
    expect(checkUpgrade(request('/ws?x=1', { host: 'h', origin: 'http://h' }), []).ok).toBe(true);
  });
});

describe('clientAddress', () => {
  it('ignores X-Forwarded-For unless the proxy is trusted, then takes the last hop', () => {
    const req = request('/ws', { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' }, '127.0.0.1');
    expect(clientAddress(req, false)).toBe('127.0.0.1');
    expect(clientAddress(req, true)).toBe('203.0.113.9');
  });
});
