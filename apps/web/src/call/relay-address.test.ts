import { describe, expect, it } from 'vitest';
import {
  addressScope,
  iceUrlHost,
  isLocalOnlyServer,
  unusableRelayAddress,
} from './relay-address.ts';

describe('addressScope', () => {
  it.each([
    ['203.0.113.7', 'public'],
    ['198.51.100.2', 'public'],
    ['8.8.8.8', 'public'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.20', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.254', 'private'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:203.0.113.7', 'public'],
    ['2001:db8::1', 'public'],
  ])('%s is %s', (address, scope) => {
    expect(addressScope(address)).toBe(scope);
  });

  it('is undefined for names and malformed addresses', () => {
    for (const notAnAddress of ['turn.example.org', '256.1.1.1', '1.2.3', 'abc.local', ''])
      expect(addressScope(notAnAddress)).toBeUndefined();
  });
});

describe('iceUrlHost', () => {
  it('reads the host of turn:, turns: and stun: URLs, IPv6 without brackets', () => {
    expect(iceUrlHost('turn:turn.example.org:3478?transport=udp')).toBe('turn.example.org');
    expect(iceUrlHost('turns:turn.example.org:5349')).toBe('turn.example.org');
    expect(iceUrlHost('turn:203.0.113.10?transport=tcp')).toBe('203.0.113.10');
    expect(iceUrlHost('turn:[2001:db8::1]:3478')).toBe('2001:db8::1');
    expect(iceUrlHost('https://example.org')).toBeUndefined();
  });
});

describe('isLocalOnlyServer', () => {
  it('is true for private or loopback addresses and LAN-only names', () => {
    for (const url of [
      'turn:127.0.0.1:3478',
      'turn:192.168.1.5:3478?transport=udp',
      'turn:parley.lan:3478',
      'turn:box.home.arpa:3478',
      'turn:localhost:3478',
    ])
      expect(isLocalOnlyServer(url), url).toBe(true);
  });

  it('is false for public addresses and public names', () => {
    for (const url of ['turn:203.0.113.10:3478', 'turn:turn.example.org:3478'])
      expect(isLocalOnlyServer(url), url).toBe(false);
  });
});

describe('unusableRelayAddress', () => {
  it('flags a private relay address from a server meant for the internet (TURN_EXTERNAL_IP missing)', () => {
    expect(unusableRelayAddress('10.0.0.5', 'turn:turn.example.org:3478')).toBe('private');
    expect(unusableRelayAddress('100.64.50.10', 'turn:203.0.113.10:3478')).toBe('private');
    expect(unusableRelayAddress('127.0.0.1', 'turn:turn.example.org:3478')).toBe('loopback');
  });

  it('accepts a public relay address', () => {
    expect(unusableRelayAddress('203.0.113.10', 'turn:turn.example.org:3478')).toBeUndefined();
  });

  it('accepts a private relay address from a server on the local network', () => {
    expect(unusableRelayAddress('192.168.1.5', 'turn:192.168.1.5:3478')).toBeUndefined();
    expect(unusableRelayAddress('127.0.0.1', 'turn:127.0.0.1:3478')).toBeUndefined();
  });

  it('never accepts an unspecified relay address', () => {
    expect(unusableRelayAddress('0.0.0.0', 'turn:127.0.0.1:3478')).toBe('unspecified');
    expect(unusableRelayAddress('::', 'turn:turn.example.org:3478')).toBe('unspecified');
  });

  it('cannot judge what is not an address', () => {
    expect(unusableRelayAddress('relay.example', 'turn:turn.example.org:3478')).toBeUndefined();
  });
});
