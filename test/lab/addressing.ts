// Lab address plan. Pure: it is given the machine's routes and answers which lab subnets are safe.
//
// The lab only ever uses the benchmarking range 198.18.0.0/15 (RFC 2544) and the documentation range
// 2001:db8::/32 (RFC 3849). A subnet that overlaps any route the machine already has is refused, so
// that lab traffic can never be confused with, or leak into, the machine's own networks.
import { ipFromBigInt, ipToBigInt } from '../../runtime/src/net/ip.ts';

export interface Prefix {
  family: 4 | 6;
  /** The network address as an unsigned integer (host bits cleared). */
  network: bigint;
  length: number;
}

export const LAB_RANGE_V4 = parsePrefix('198.18.0.0/15');
export const LAB_RANGE_V6 = parsePrefix('2001:db8::/32');

function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

export function parseAddress(text: string): { family: 4 | 6; value: bigint } {
  return ipToBigInt(text);
}

export function formatAddress(family: 4 | 6, value: bigint): string {
  return ipFromBigInt(family, value);
}

/** Parses "a.b.c.d/n", "x::y/n", a bare address (a host route), or "default". */
export function parsePrefix(text: string, familyOfDefault: 4 | 6 = 4): Prefix {
  if (text === 'default') return { family: familyOfDefault, network: 0n, length: 0 };
  const [addr = '', len] = text.split('/');
  const { family, value } = parseAddress(addr);
  const length = len === undefined ? bits(family) : Number(len);
  if (!Number.isInteger(length) || length < 0 || length > bits(family)) {
    throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
  }
  const hostBits = BigInt(bits(family) - length);
  return { family, network: (value >> hostBits) << hostBits, length };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.family, p.network)}/${p.length}`;
}

export function contains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || inner.length < outer.length) return false;
  const hostBits = BigInt(bits(outer.family) - outer.length);
  return inner.network >> hostBits === outer.network >> hostBits;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return contains(a, b) || contains(b, a);
}

/** The n-th address inside a prefix (n = 1 is the first host address). */
export function addressIn(p: Prefix, n: number): string {
  const size = 1n << BigInt(bits(p.family) - p.length);
  if (n < 0 || BigInt(n) >= size) throw new Error(`address #${n} is outside ${formatPrefix(p)}`);
  return formatAddress(p.family, p.network + BigInt(n));
}

/** One lab segment's address space: an IPv4 /24 and the IPv6 /64 derived from the same index. */
export interface SegmentSubnets {
  index: number;
  v4: Prefix;
  v6: Prefix;
}

export function segmentSubnets(index: number): SegmentSubnets {
  // 198.18.0.0/15 holds 512 /24s; index i is 198.18.0.0 + i*256, and 2001:db8:0:i::/64 beside it.
  if (!Number.isInteger(index) || index < 0 || index >= 512) throw new Error(`segment index ${index} is outside 0..511`);
  return {
    index,
    v4: { family: 4, network: LAB_RANGE_V4.network + (BigInt(index) << 8n), length: 24 },
    v6: { family: 6, network: LAB_RANGE_V6.network + (BigInt(index) << 64n), length: 64 },
  };
}

/**
 * Picks `count` segment indexes whose subnets overlap none of the machine's routes and none of the
 * indexes already taken by other labs. Default routes are ignored: they overlap everything, and
 * they are exactly what the more specific connected route of a lab segment takes precedence over.
 */
export function chooseSegments(count: number, machineRoutes: readonly Prefix[], taken: ReadonlySet<number>): SegmentSubnets[] {
  const specific = machineRoutes.filter((r) => r.length > 0);
  const chosen: SegmentSubnets[] = [];
  for (let i = 0; i < 512 && chosen.length < count; i++) {
    if (taken.has(i)) continue;
    const s = segmentSubnets(i);
    if (specific.some((r) => overlaps(r, s.v4) || overlaps(r, s.v6))) continue;
    chosen.push(s);
  }
  if (chosen.length < count) throw new Error(`only ${chosen.length} of ${count} lab subnets are free of the machine's routes`);
  return chosen;
}

/** Throws unless the subnet lies inside the lab ranges and overlaps none of the machine's routes. */
export function assertSafeLabSubnet(subnet: Prefix, machineRoutes: readonly Prefix[]): void {
  const range = subnet.family === 4 ? LAB_RANGE_V4 : LAB_RANGE_V6;
  if (!contains(range, subnet)) {
    throw new Error(`${formatPrefix(subnet)} is outside the lab range ${formatPrefix(range)}`);
  }
  const clash = machineRoutes.find((r) => r.length > 0 && overlaps(r, subnet));
  if (clash) throw new Error(`${formatPrefix(subnet)} overlaps the machine's route ${formatPrefix(clash)}; refusing to use it`);
}
