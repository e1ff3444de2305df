// Ancillary (control) messages: the cmsghdr sequence that sendmsg takes and recvmsg returns, and the
// few payloads the runtime uses (IP_PKTINFO, IPV6_PKTINFO, IP_TTL, IPV6_HOPLIMIT). Pure.
//
// struct cmsghdr is { size_t len; int level; int type; } followed by data, each message aligned to
// sizeof(size_t): 16 header bytes and 8-byte alignment on 64-bit Linux.
import { endianness } from 'node:os';
import { readI32, readU32, readU64, writeI32, writeU32 } from './host-order.ts';
import { ipFromBytes, ipToBytes } from './ip.ts';

export interface Cmsg { level: number; type: number; data: Buffer }

const WORD = ['ia32', 'arm', 'mips', 'mipsel', 'ppc'].includes(process.arch) ? 4 : 8;
const LE = endianness() === 'LE';
const align = (n: number): number => (n + WORD - 1) & ~(WORD - 1);
const HEADER = align(WORD + 8);

/** CMSG_SPACE(n): the bytes one message with n data bytes takes, padding included. */
export function cmsgSpace(n: number): number { return HEADER + align(n); }

export function encodeCmsgs(list: readonly Cmsg[]): Buffer {
  const out = Buffer.alloc(list.reduce((sum, c) => sum + cmsgSpace(c.data.length), 0));
  let at = 0;
  for (const c of list) {
    const len = HEADER + c.data.length; // CMSG_LEN: without the trailing padding
    writeSize(out, len, at);
    writeI32(out, c.level, at + WORD);
    writeI32(out, c.type, at + WORD + 4);
    c.data.copy(out, at + HEADER);
    at += cmsgSpace(c.data.length);
  }
  return out;
}

/** A size_t in host order. */
function writeSize(b: Buffer, value: number, at: number): void {
  if (WORD === 4) writeU32(b, value, at);
  else if (LE) b.writeBigUInt64LE(BigInt(value), at);
  else b.writeBigUInt64BE(BigInt(value), at);
}

function readSize(b: Buffer, at: number): number {
  if (WORD === 4) return readU32(b, at);
  return Number(readU64(b, at));
}

/** Walks a control buffer as recvmsg filled it. Throws on a length that runs past the end. */
export function decodeCmsgs(control: Buffer): Cmsg[] {
  const out: Cmsg[] = [];
  let at = 0;
  while (control.length - at >= HEADER) {
    const len = readSize(control, at);
    if (len < HEADER) throw new Error(`control message at ${at}: length ${len} is shorter than its header`);
    if (at + len > control.length) throw new Error(`control message at ${at}: length ${len} runs past the ${control.length}-byte buffer`);
    out.push({ level: readI32(control, at + WORD), type: readI32(control, at + WORD + 4), data: Buffer.from(control.subarray(at + HEADER, at + len)) });
    at += align(len);
  }
  return out;
}

/** struct in_pktinfo: { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr }. */
export interface InPktinfo { ifindex: number; specDst: string; addr: string }

export function encodeInPktinfo({ ifindex = 0, specDst = '0.0.0.0', addr = '0.0.0.0' }: Partial<InPktinfo>): Buffer {
  const b = Buffer.alloc(12);
  writeI32(b, ifindex, 0);
  ipToBytes(specDst).copy(b, 4);
  ipToBytes(addr).copy(b, 8);
  return b;
}

export function decodeInPktinfo(b: Buffer): InPktinfo {
  if (b.length < 12) throw new Error(`in_pktinfo: ${b.length} bytes, need 12`);
  return { ifindex: readI32(b, 0), specDst: ipFromBytes(b.subarray(4, 8)), addr: ipFromBytes(b.subarray(8, 12)) };
}

/** struct in6_pktinfo: { in6_addr ipi6_addr; int ipi6_ifindex }. */
export interface In6Pktinfo { addr: string; ifindex: number }

export function encodeIn6Pktinfo({ addr = '::', ifindex = 0 }: Partial<In6Pktinfo>): Buffer {
  const b = Buffer.alloc(20);
  ipToBytes(addr).copy(b, 0);
  writeI32(b, ifindex, 16);
  return b;
}

export function decodeIn6Pktinfo(b: Buffer): In6Pktinfo {
  if (b.length < 20) throw new Error(`in6_pktinfo: ${b.length} bytes, need 20`);
  return { addr: ipFromBytes(b.subarray(0, 16)), ifindex: readI32(b, 16) };
}

/** IP_TTL and IPV6_HOPLIMIT arrive as a C int. */
export function decodeCmsgInt(b: Buffer): number {
  if (b.length < 4) throw new Error(`control message int: ${b.length} bytes, need 4`);
  return readI32(b, 0);
}
