/**
 * Is a relay address one the internet can reach? A TURN server behind 1:1 NAT (a cloud VM, a
 * home server) that was not told its public address (`TURN_EXTERNAL_IP`) hands out relay
 * addresses on its private interface. Allocation still succeeds, so the only way a browser can
 * tell is to look at the address it was given.
 */

export type AddressScope = 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified';

/** Special-purpose IPv4 ranges a relay on the internet can never have, with their scope. */
const IPV4_RANGES: Array<[base: string, bits: number, scope: Exclude<AddressScope, 'public'>]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  // Carrier-grade NAT (shared address space): as unreachable from outside as 10/8.
  ['100.64.0.0', 10, 'private'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'private'],
  ['192.168.0.0', 16, 'private'],
];

function parseIpv4(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function ipv4Scope(address: string): AddressScope | undefined {
  const value = parseIpv4(address);
  if (value === undefined) return undefined;
  for (const [base, bits, scope] of IPV4_RANGES) {
    const size = 2 ** (32 - bits);
    const start = parseIpv4(base) ?? 0;
    if (value >= start && value < start + size) return scope;
  }
  return 'public';
}

function ipv6Scope(address: string): AddressScope | undefined {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (!a.includes(':') || !/^[0-9a-f:.]+$/.test(a)) return undefined;
  if (/^[0:]+$/.test(a)) return 'unspecified';
  if (/^[0:]+1$/.test(a)) return 'loopback';
  // IPv4-mapped (::ffff:10.0.0.1): judge the IPv4 address inside.
  const mapped = /^[0:]*:ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)?.[1];
  if (mapped) return ipv4Scope(mapped);
  const first = parseInt(a.split(':')[0] || '0', 16);
  if ((first & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  return 'public';
}

/** The scope of an IP address literal, or undefined when it is not one (a name). */
export function addressScope(address: string): AddressScope | undefined {
  return ipv4Scope(address) ?? ipv6Scope(address);
}

/** The host of a `turn:`/`turns:`/`stun:` URL (RFC 7065: no `//`, IPv6 in brackets). */
export function iceUrlHost(url: string): string | undefined {
  const host = /^(?:turns?|stuns?):(\[[^\]]+\]|[^:?]+)/i.exec(url)?.[1];
  return host?.replace(/^\[|\]$/g, '');
}

/** Names that only resolve inside a home or office network. */
const LOCAL_NAME = /(^localhost$|\.localhost$|\.local$|\.lan$|\.home\.arpa$|\.internal$|^[^.]+$)/i;

/**
 * Whether the TURN server itself is only meant for a local network (its URL names a private or
 * loopback address, or a LAN-only name). There a private relay address is right, not a mistake.
 */
export function isLocalOnlyServer(turnUrl: string): boolean {
  const host = iceUrlHost(turnUrl);
  if (host === undefined) return false;
  const scope = addressScope(host);
  return scope === undefined ? LOCAL_NAME.test(host) : scope !== 'public';
}

/**
 * Why a relay address given by a server at `turnUrl` cannot work for callers on the internet,
 * or undefined when it can. Only a server meant for the internet is judged.
 */
export function unusableRelayAddress(
  relayAddress: string,
  turnUrl: string,
): Exclude<AddressScope, 'public'> | undefined {
  const scope = addressScope(relayAddress);
  if (scope === undefined || scope === 'public') return undefined;
  // 0.0.0.0 is never a usable relay, whatever network the server is for.
  if (scope !== 'unspecified' && isLocalOnlyServer(turnUrl)) return undefined;
  return scope;
}
