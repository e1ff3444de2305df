// Unsolicited neighbour advertisement (RFC 4861 sections 4.4 and 7.2.6; RFC 5798 section 6.4.2):
// the IPv6 counterpart of gratuitous ARP. An ICMPv6 type 136 message with Override set and Solicited
// clear, the virtual address as target, and the MAC in a target link-layer address option, sent to
// ff02::1 with hop limit 255. Pure: builds and parses the ICMPv6 message; the kernel adds the IPv6
// header and, on a raw ICMPv6 socket, the checksum.
import { ipFromBytes, ipToBytes } from './ip.ts';
import { macFromBytes, macToBytes } from './sockaddr.ts';

export const ND_NEIGHBOR_ADVERT = 136;
export const ND_OPT_TARGET_LINKADDR = 2;
export const NA_FLAG_ROUTER = 0x80000000;
export const NA_FLAG_SOLICITED = 0x40000000;
export const NA_FLAG_OVERRIDE = 0x20000000;
export const ALL_NODES = 'ff02::1';
/** 4 header + 4 flags + 16 target + 8 option. */
const NA_LENGTH = 32;

export interface NeighbourAdvert {
  /** The virtual IPv6 address. */
  target: string;
  /** The interface's MAC, or the virtual MAC (00:00:5e:00:02:VRID). */
  mac: string;
  /** The Router flag: set when the sender is a router (keepalived sets it when forwarding is on). */
  router?: boolean;
}

export function buildNeighbourAdvert({ target, mac, router = false }: NeighbourAdvert): Buffer {
  const t = ipToBytes(target);
  if (t.length !== 16) throw new Error(`a neighbour advertisement is for IPv6 addresses, not ${target}`);
  const hw = macToBytes(mac);
  if (hw.length !== 6) throw new Error(`not an Ethernet address: ${mac}`);
  const m = Buffer.alloc(NA_LENGTH);
  m.writeUInt8(ND_NEIGHBOR_ADVERT, 0);
  m.writeUInt8(0, 1);
  m.writeUInt16BE(0, 2); // checksum: filled by the kernel
  m.writeUInt32BE((NA_FLAG_OVERRIDE | (router ? NA_FLAG_ROUTER : 0)) >>> 0, 4);
  t.copy(m, 8);
  m.writeUInt8(ND_OPT_TARGET_LINKADDR, 24);
  m.writeUInt8(1, 25); // option length in units of 8 bytes
  hw.copy(m, 26);
  return m;
}

export interface ParsedNeighbourAdvert {
  target: string;
  router: boolean;
  solicited: boolean;
  override: boolean;
  checksum: number;
  /** From the target link-layer address option, if there is one. */
  mac?: string;
}

/** Parses an ICMPv6 neighbour advertisement. Throws on a short message, another type or a bad option. */
export function parseNeighbourAdvert(m: Buffer): ParsedNeighbourAdvert {
  if (m.length < 24) throw new Error(`neighbour advertisement of ${m.length} bytes, need at least 24`);
  if (m[0] !== ND_NEIGHBOR_ADVERT) throw new Error(`ICMPv6 type ${m[0]} is not a neighbour advertisement (${ND_NEIGHBOR_ADVERT})`);
  if (m[1] !== 0) throw new Error(`neighbour advertisement with code ${m[1]}, not 0`);
  const flags = m.readUInt32BE(4);
  const na: ParsedNeighbourAdvert = {
    target: ipFromBytes(m.subarray(8, 24)),
    router: (flags & NA_FLAG_ROUTER) !== 0,
    solicited: (flags & NA_FLAG_SOLICITED) !== 0,
    override: (flags & NA_FLAG_OVERRIDE) !== 0,
    checksum: m.readUInt16BE(2),
  };
  for (let at = 24; at < m.length;) {
    if (m.length - at < 2) throw new Error(`neighbour discovery option at byte ${at} is truncated`);
    const units = m[at + 1]!;
    if (units === 0) throw new Error(`neighbour discovery option at byte ${at} has length 0`);
    if (at + units * 8 > m.length) throw new Error(`neighbour discovery option at byte ${at} runs past the end`);
    if (m[at] === ND_OPT_TARGET_LINKADDR) na.mac = macFromBytes(m.subarray(at + 2, at + 8));
    at += units * 8;
  }
  return na;
}
