import ipaddr from 'ipaddr.js';

/**
 * Is a relay address one the internet can reach? A TURN server behind 1:1 NAT (a cloud VM, a
 * home server) that was not told its public address (`TURN_EXTERNAL_IP`) hands out relay
 * addresses on its private interface. Allocation still succeeds, so the only way a browser can
 * tell is to look at the address it was given.
 */

export type AddressScope = 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified';

/** ipaddr.js's names for the ranges a relay on the internet can never have. */
const SCOPES: Partial<Record<string, Exclude<AddressScope, 'public'>>> = {
  unspecified: 'unspecified',
  loopback: 'loopback',
  linkLocal: 'link-local',
  private: 'private',
  uniqueLocal: 'private',
  // Carrier-grade NAT (shared address space): as unreachable from outside as 10/8.
  carrierGradeNat: 'private',
};

/** Strict literals only: ipaddr.js also takes forms like "1.2.3" that no relay candidate has. */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const literal = address.replace(/^\[|\]$/g, '');
  if (ipaddr.IPv4.isValidFourPartDecimal(literal)) return ipaddr.IPv4.parse(literal);
  if (ipaddr.IPv6.isValid(literal)) return ipaddr.IPv6.parse(literal);
  return undefined;
}

/** The scope of an IP address literal, or undefined when it is not one (a name). */
export function addressScope(address: string): AddressScope | undefined {
  let parsed = parseAddress(address);
  if (!parsed) return undefined;
  // IPv4-mapped (::ffff:10.0.0.1): judge the IPv4 address inside.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  // Documentation and benchmarking ranges ("reserved" to ipaddr.js) count as public: the NAT
  // lab uses them as its internet.
  return SCOPES[parsed.range()] ?? 'public';
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
