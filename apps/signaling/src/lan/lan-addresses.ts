import { hostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import ipaddr from 'ipaddr.js';

/**
 * The names a LAN HTTPS server answers on: the machine's own addresses (what a phone types or
 * scans), loopback, and `<hostname>.local` where mDNS resolves it. The server certificate
 * names exactly these, so when the set changes (another Wi-Fi, a new DHCP lease) it is reissued.
 */

export interface ServedNames {
  /** Non-loopback unicast addresses of this machine: IPv4 first, then IPv6; sorted. */
  lanAddresses: string[];
  /** Every name the certificate covers: DNS names and IP addresses, in a stable order. */
  dnsNames: string[];
  ipAddresses: string[];
}

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The machine's LAN addresses. Link-local IPv6 (fe80::/10) is left out: a URL needs the zone
 * (`%wlan0`), which differs on every device, so nobody can open it from a phone.
 */
export function lanAddresses(interfaces: Interfaces = networkInterfaces()): string[] {
  const found = new Set<string>();
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.internal || !ipaddr.isValid(entry.address)) continue;
      const address = ipaddr.parse(entry.address);
      const range = address.range();
      if (range === 'loopback' || range === 'linkLocal' || range === 'unspecified') continue;
      found.add(address.toString());
    }
  }
  const v4 = [...found].filter((a) => !a.includes(':')).sort(compareAddresses);
  const v6 = [...found].filter((a) => a.includes(':')).sort(compareAddresses);
  return [...v4, ...v6];
}

/** `<hostname>.local`, when the host name is a valid DNS label (it usually is). */
export function mdnsName(name: string = hostname()): string | undefined {
  const label = name.split('.')[0]?.toLowerCase() ?? '';
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label) ? `${label}.local` : undefined;
}

export function servedNames(
  interfaces: Interfaces = networkInterfaces(),
  name: string = hostname(),
): ServedNames {
  const lan = lanAddresses(interfaces);
  const mdns = mdnsName(name);
  return {
    lanAddresses: lan,
    dnsNames: ['localhost', ...(mdns ? [mdns] : [])],
    ipAddresses: ['127.0.0.1', '::1', ...lan],
  };
}

/** A host as it appears in a URL: IPv6 in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** https://host:port, normalised as browsers send it in Origin (no :443). */
export function httpsOrigin(host: string, port: number): string {
  return new URL(`https://${urlHost(host)}:${port}`).origin;
}

/** Compact, lower-case form of an IP address (what the certificate comparison keys on). */
export function normaliseIp(address: string): string {
  return ipaddr.parse(address).toString();
}

function compareAddresses(a: string, b: string): number {
  return Buffer.compare(
    Buffer.from(ipaddr.parse(a).toByteArray()),
    Buffer.from(ipaddr.parse(b).toByteArray()),
  );
}
