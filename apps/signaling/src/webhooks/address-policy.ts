import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * SSRF guard: which addresses a webhook may be sent to. A webhook URL is admin configuration,
 * but a hostname can be re-pointed (or rebound between checks) at the machine's own services or
 * a cloud metadata endpoint; so every attempt resolves the host, checks every address, and
 * connects only to the one it checked (see pinned-request.ts).
 */

/** ipaddr.js range names that are never a public webhook receiver. */
const REFUSED_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'uniqueLocal',
  // IPv6 forms that carry an IPv4 address, which could be any of the above.
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
]);

const METADATA = '169.254.169.254';

/** The reason an address is refused, or undefined when it is an ordinary public address. */
export function refusedRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4' && parsed.toString() === METADATA) return 'metadata';
  const range = parsed.range();
  return REFUSED_RANGES.has(range) ? range : undefined;
}

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export type AddressCheck =
  { ok: true; address: string; family: 4 | 6 } | { ok: false; reason: string; addresses: string[] };

/**
 * Resolves `url`'s host and picks the address to connect to. Refuses when ANY resolved address
 * is in a refused range: a name that mixes public and private answers is exactly what a
 * rebinding attack looks like.
 */
export async function checkDestination(
  url: URL,
  allowPrivate: boolean,
  resolver: Resolver = systemResolver,
): Promise<AddressCheck> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let answers: Array<{ address: string; family: number }>;
  try {
    answers = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolver(host);
  } catch (error) {
    return {
      ok: false,
      reason: `cannot resolve ${host}: ${(error as Error).message}`,
      addresses: [],
    };
  }
  const addresses = answers.map((a) => a.address);
  const [first] = answers;
  if (!first) return { ok: false, reason: `${host} has no address`, addresses };
  if (!allowPrivate) {
    for (const { address } of answers) {
      const range = refusedRange(address);
      if (range) {
        return {
          ok: false,
          reason: `${host === address ? host : `${host} resolves to ${address}`} (${range}); set WEBHOOK_ALLOW_PRIVATE=true to allow it`,
          addresses,
        };
      }
    }
  }
  return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
}
