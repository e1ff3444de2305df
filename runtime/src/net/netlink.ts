// Netlink framing (RFC 3549; the kernel's include/uapi/linux/netlink.h): message headers, attributes
// (nested too), acks and errors, multi-part dumps. Pure: bytes in, typed values out, and back. The
// rtnetlink messages build on it (rtnetlink.ts), and so can generic netlink (IPVS) later.
//
// Layouts, in host byte order:
//   struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }   16 bytes, then payload
//   struct nlattr   { u16 len; u16 type; }                                 4 bytes, then data
// Messages and attributes are padded to 4 bytes; `len` counts the header but not the padding.
import { constants } from 'node:os';
import { readI32, readU16, readU32, readU64, writeI32, writeU16, writeU32 } from './host-order.ts';

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
// GET requests
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_ATOMIC = 0x400;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// NEW requests
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
// Flags of an NLMSG_ERROR message
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Extended ack attributes (NETLINK_EXT_ACK) carried after an NLMSG_ERROR. */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

export const align4 = (n: number): number => (n + 3) & ~3;

/** Thrown for bytes that are not well-formed netlink; names where and why. */
export class NetlinkFormatError extends Error {
  override name = 'NetlinkFormatError';
}

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  /** The sender's port id: 0 from the kernel. */
  pid: number;
  payload: Buffer;
}

export function encodeMessage({ type, flags, seq, pid = 0, payload }: {
  type: number; flags: number; seq: number; pid?: number; payload: Buffer;
}): Buffer {
  const len = NLMSG_HDRLEN + payload.length;
  const b = Buffer.alloc(align4(len));
  writeU32(b, len, 0);
  writeU16(b, type, 4);
  writeU16(b, flags, 6);
  writeU32(b, seq, 8);
  writeU32(b, pid, 12);
  payload.copy(b, NLMSG_HDRLEN);
  return b;
}

/** Splits one datagram into its messages. Throws NetlinkFormatError on a truncated or bad length. */
export function decodeMessages(datagram: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let at = 0;
  while (at < datagram.length) {
    const left = datagram.length - at;
    if (left < NLMSG_HDRLEN) throw new NetlinkFormatError(`netlink message at byte ${at}: ${left} bytes left, a header needs ${NLMSG_HDRLEN}`);
    const len = readU32(datagram, at);
    if (len < NLMSG_HDRLEN) throw new NetlinkFormatError(`netlink message at byte ${at}: length ${len} is shorter than its ${NLMSG_HDRLEN}-byte header`);
    if (len > left) throw new NetlinkFormatError(`netlink message at byte ${at}: length ${len} but only ${left} bytes left (truncated)`);
    out.push({
      type: readU16(datagram, at + 4),
      flags: readU16(datagram, at + 6),
      seq: readU32(datagram, at + 8),
      pid: readU32(datagram, at + 12),
      payload: datagram.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += Math.min(align4(len), left);
  }
  return out;
}

// Attributes

export interface Attribute {
  /** The type without the NESTED and NET_BYTEORDER bits. */
  type: number;
  nested: boolean;
  data: Buffer;
}

/** What encodeAttributes takes: [type, bytes] or [type, nested list]. Nested ones get NLA_F_NESTED. */
export type AttributeSpec = readonly [type: number, value: Buffer | readonly AttributeSpec[]];

export function encodeAttributes(list: readonly AttributeSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const [type, value] of list) {
    const nested = !Buffer.isBuffer(value);
    const data = nested ? encodeAttributes(value as readonly AttributeSpec[]) : (value as Buffer);
    const len = NLA_HDRLEN + data.length;
    if (len > 0xffff) throw new Error(`netlink attribute ${type}: ${data.length} bytes do not fit a 16-bit length`);
    const b = Buffer.alloc(align4(len));
    writeU16(b, len, 0);
    writeU16(b, type | (nested ? NLA_F_NESTED : 0), 2);
    data.copy(b, NLA_HDRLEN);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** Decodes a run of attributes. Throws NetlinkFormatError when a length is short or overruns. */
export function decodeAttributes(b: Buffer, where = 'attributes'): Attribute[] {
  const out: Attribute[] = [];
  let at = 0;
  // As the kernel's nla_for_each_attr: fewer than a header's bytes at the end are ignored padding.
  while (b.length - at >= NLA_HDRLEN) {
    const len = readU16(b, at);
    const raw = readU16(b, at + 2);
    if (len < NLA_HDRLEN) throw new NetlinkFormatError(`${where}: attribute ${raw & NLA_TYPE_MASK} at byte ${at} has length ${len}, shorter than its header`);
    if (at + len > b.length) throw new NetlinkFormatError(`${where}: attribute ${raw & NLA_TYPE_MASK} at byte ${at} has length ${len}, past the end (${b.length - at} bytes left)`);
    out.push({ type: raw & NLA_TYPE_MASK, nested: (raw & NLA_F_NESTED) !== 0, data: b.subarray(at + NLA_HDRLEN, at + len) });
    at += align4(len);
  }
  return out;
}

/** Attributes by type; the last one wins when a type repeats. */
export function attributeMap(list: readonly Attribute[]): Map<number, Buffer> {
  return new Map(list.map((a) => [a.type, a.data]));
}

// Attribute values

export const attr = {
  u8: (v: number): Buffer => Buffer.from([v & 0xff]),
  u16: (v: number): Buffer => { const b = Buffer.alloc(2); writeU16(b, v, 0); return b; },
  u32: (v: number): Buffer => { const b = Buffer.alloc(4); writeU32(b, v, 0); return b; },
  i32: (v: number): Buffer => { const b = Buffer.alloc(4); writeI32(b, v, 0); return b; },
  /** NUL-terminated, as the kernel's NLA_STRING/NLA_NUL_STRING expect. */
  string: (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]),
};

function sized(data: Buffer, size: number, what: string): void {
  if (data.length < size) throw new NetlinkFormatError(`${what}: ${data.length} bytes, need ${size}`);
}

export const read = {
  u8: (d: Buffer, what = 'u8 attribute'): number => { sized(d, 1, what); return d.readUInt8(0); },
  u16: (d: Buffer, what = 'u16 attribute'): number => { sized(d, 2, what); return readU16(d, 0); },
  u32: (d: Buffer, what = 'u32 attribute'): number => { sized(d, 4, what); return readU32(d, 0); },
  i32: (d: Buffer, what = 'i32 attribute'): number => { sized(d, 4, what); return readI32(d, 0); },
  /** Exact up to 2^53 (9 PB of bytes counted), a number as the rest of the runtime counts. */
  u64: (d: Buffer, what = 'u64 attribute'): number => { sized(d, 8, what); return Number(readU64(d, 0)); },
  /** Up to the first NUL (or the whole attribute). */
  string: (d: Buffer): string => { const nul = d.indexOf(0); return d.subarray(0, nul < 0 ? d.length : nul).toString('utf8'); },
};

// Errors and acks

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** "EEXIST" for 17; "errno 999" for a number this platform does not name. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

export interface NetlinkAck {
  /** 0 for an ack, else the positive errno. */
  errno: number;
  /** The header of the request this answers. */
  request: { type: number; flags: number; seq: number; pid: number };
  /** The kernel's extended-ack text, when NETLINK_EXT_ACK is on and it gave one. */
  message?: string;
}

/**
 * Decodes the payload of an NLMSG_ERROR: struct nlmsgerr { int error; struct nlmsghdr msg; } then,
 * when NLM_F_ACK_TLVS is set, extended-ack attributes (after the echoed request unless NLM_F_CAPPED).
 */
export function decodeError(message: NetlinkMessage): NetlinkAck {
  const p = message.payload;
  if (p.length < 4 + NLMSG_HDRLEN) throw new NetlinkFormatError(`NLMSG_ERROR: ${p.length}-byte payload, need ${4 + NLMSG_HDRLEN}`);
  const error = readI32(p, 0);
  const request = { type: readU16(p, 8), flags: readU16(p, 10), seq: readU32(p, 12), pid: readU32(p, 16) };
  const ack: NetlinkAck = { errno: -error || 0, request };
  if (message.flags & NLM_F_ACK_TLVS) {
    const echoed = message.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : Math.max(NLMSG_HDRLEN, readU32(p, 4));
    const start = 4 + align4(echoed);
    if (start <= p.length) {
      const text = attributeMap(decodeAttributes(p.subarray(start), 'NLMSG_ERROR extended ack')).get(NLMSGERR_ATTR_MSG);
      if (text !== undefined) ack.message = read.string(text);
    }
  }
  return ack;
}

/** The int carried by NLMSG_DONE: 0, or a negative errno when a dump failed part-way. */
export function decodeDone(message: NetlinkMessage): number {
  return message.payload.length >= 4 ? -readI32(message.payload, 0) || 0 : 0;
}

/** A kernel refusal, as an Error naming the operation and the errno: "add 198.18.0.100/24 on eth0: EEXIST". */
export class NetlinkError extends Error {
  override name = 'NetlinkError';
  readonly code: string;
  readonly errno: number;
  readonly operation: string;
  constructor(operation: string, errno: number, detail?: string) {
    super(`${operation}: ${errnoName(errno)}${detail ? ` (${detail})` : ''}`);
    this.operation = operation;
    this.errno = errno;
    this.code = errnoName(errno);
  }
}
