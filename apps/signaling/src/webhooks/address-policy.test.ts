import { describe, expect, it } from 'vitest';
import { checkDestination, refusedRange } from './address-policy.ts';

describe('webhook address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:8.8.8.8', 'ipv4Mapped'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['224.0.0.1', 'multicast'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each(['198.51.100.7', '203.0.113.9', '198.18.0.1', '2001:4860:4860::8888'])(
    'allows the public address %s',
    (address) => {
      expect(refusedRange(address)).toBeUndefined();
    },
  );

  it('checks literal hosts without DNS and allows private ones only when told to', async () => {
    const noDns = () => Promise.reject(new Error('no DNS expected'));
    const url = new URL('http://[::1]:8080/hook');
    expect(await checkDestination(url, false, noDns)).toMatchObject({ ok: false });
    expect(await checkDestination(url, true, noDns)).toEqual({
      ok: true,
      address: '::1',
      family: 6,
    });
  });

  it('refuses a name that does not resolve', async () => {
    const result = await checkDestination(new URL('https://nowhere.parley.test/'), false, () =>
      Promise.reject(new Error('ENOTFOUND')),
    );
    expect(result).toMatchObject({
      ok: false,
      reason: 'cannot resolve nowhere.parley.test: ENOTFOUND',
    });
  });
});
