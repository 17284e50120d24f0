import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { lanAddresses, mdnsName, servedNames, urlHost } from './lan-addresses.ts';
import { lanBanner, qrCode } from './lan-banner.ts';

function nic(address: string, internal = false): NetworkInterfaceInfo {
  const v6 = address.includes(':');
  return {
    address,
    netmask: v6 ? 'ffff:ffff:ffff:ffff::' : '255.255.255.0',
    family: v6 ? 'IPv6' : 'IPv4',
    mac: '02:00:00:00:00:01',
    internal,
    cidr: `${address}/${v6 ? 64 : 24}`,
    ...(v6 ? { scopeid: 0 } : {}),
  } as NetworkInterfaceInfo;
}

describe('the names a LAN server answers on', () => {
  const interfaces = {
    lo: [nic('127.0.0.1', true), nic('::1', true)],
    wlan0: [nic('192.168.1.5'), nic('fe80::1c2:3ff:fe44:5566'), nic('2001:db8::5')],
    eth0: [nic('10.0.0.7'), nic('169.254.10.1')],
  };

  it('lists LAN addresses, IPv4 first, without loopback or link-local ones', () => {
    expect(lanAddresses(interfaces)).toEqual(['10.0.0.7', '192.168.1.5', '2001:db8::5']);
  });

  it('puts loopback, localhost and <hostname>.local in the certificate as well', () => {
    expect(servedNames(interfaces, 'Sofa-Laptop')).toEqual({
      lanAddresses: ['10.0.0.7', '192.168.1.5', '2001:db8::5'],
      dnsNames: ['localhost', 'sofa-laptop.local'],
      ipAddresses: ['127.0.0.1', '::1', '10.0.0.7', '192.168.1.5', '2001:db8::5'],
    });
  });

  it('leaves out a host name that is no DNS label', () => {
    expect(mdnsName('my_laptop')).toBeUndefined();
    expect(mdnsName('box.lan')).toBe('box.local');
    expect(servedNames({}, 'my_laptop').dnsNames).toEqual(['localhost']);
  });

  it('brackets IPv6 in URLs', () => {
    expect(urlHost('2001:db8::5')).toBe('[2001:db8::5]');
    expect(urlHost('192.168.1.5')).toBe('192.168.1.5');
  });
});

describe('the terminal banner', () => {
  const base = {
    localUrl: 'https://localhost:8080',
    caPath: '/srv/parley/data/tls/ca.crt',
    caFingerprint256: 'AB:CD',
  };

  it('shows each URL, a QR code for IPv4 ones, and where the CA is', () => {
    const text = lanBanner({
      ...base,
      lanUrls: ['https://192.168.1.5:8080', 'https://[2001:db8::5]:8080'],
    });
    expect(text).toContain(`Open https://192.168.1.5:8080\n${qrCode('https://192.168.1.5:8080')}`);
    expect(text).toContain('Open https://[2001:db8::5]:8080\n\n');
    expect(text).toContain('https://192.168.1.5:8080/ca.crt');
    expect(text).toContain('/srv/parley/data/tls/ca.crt');
    expect(text).toContain('AB:CD');
  });

  it('says so when the machine has no LAN address', () => {
    const text = lanBanner({ ...base, lanUrls: [] });
    expect(text).toContain('No LAN address found');
    expect(text).toContain('https://localhost:8080/ca.crt');
  });

  it('draws a QR code with a quiet zone, in half-height cells', () => {
    const rows = qrCode('https://192.168.1.5:8080').split('\n');
    // Version 2 (25 modules) plus a 2-module border each side: 29 columns, 15 rows of two.
    expect(rows.every((row) => [...row].length === 29)).toBe(true);
    expect(rows).toHaveLength(15);
    expect(rows[0]).toBe('█'.repeat(29));
  });
});
