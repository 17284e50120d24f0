import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key per-address limits count under. An IPv4 address is one subscriber; an IPv6 subscriber
 * usually gets a whole /64 (often a /56 or /48), and picks a new address in it whenever it
 * likes, so counting full IPv6 addresses would let one machine reset every limit at will.
 * IPv6 addresses are therefore grouped by their /64, and IPv4-mapped IPv6 addresses
 * (`::ffff:1.2.3.4`, what a dual-stack socket reports for IPv4 clients) count as the IPv4
 * address they carry. Anything unparseable is its own key, unchanged.
 */
export function addressKey(address: string): string {
  const withoutZone = address.split('%')[0] ?? address;
  if (isIPv4(withoutZone)) return withoutZone;
  if (!isIPv6(withoutZone)) return address;
  const groups = expandIpv6(withoutZone);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return ipv4FromGroups(groups[6] ?? 0, groups[7] ?? 0);
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (with `::` and a dotted IPv4 tail). */
export function expandIpv6(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text =
      text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((g) => Number.parseInt(g, 16)) : [];
  const front = parse(head);
  const back = parse(tail);
  const zeros = new Array<number>(8 - front.length - back.length).fill(0);
  return tail === undefined ? front : [...front, ...zeros, ...back];
}

function ipv4FromGroups(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}
