// IP addresses as text, bytes and integers. Pure; the one place the project converts between them.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export function ipFamily(address: string): Family | undefined {
  return isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
}

/** The network-order bytes of an address (4 or 16). Throws on anything that is not an IP address. */
export function ipToBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new Error(`not an IP address: ${JSON.stringify(address)}`);
  if (address.includes('.')) throw new Error(`IPv4-embedded IPv6 addresses are not supported: ${address}`);
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(tail === undefined ? 0 : 8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Formats 4 or 16 bytes; IPv6 in RFC 5952 form (the longest zero run compressed), as `ip` prints it. */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) throw new Error(`an IP address is 4 or 16 bytes, not ${bytes.length}`);
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`;
}

export function ipToBigInt(address: string): { family: Family; value: bigint } {
  const bytes = ipToBytes(address);
  return { family: bytes.length === 4 ? 4 : 6, value: bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n) };
}

export function ipFromBigInt(family: Family, value: bigint): string {
  const size = family === 4 ? 4 : 16;
  const bytes = new Uint8Array(size);
  for (let i = size - 1, v = value; i >= 0; i--, v >>= 8n) bytes[i] = Number(v & 0xffn);
  return ipFromBytes(bytes);
}

/** The canonical text of an address, so that equal addresses compare equal as strings. */
export function canonicalIp(address: string): string {
  return ipFromBytes(ipToBytes(address));
}
