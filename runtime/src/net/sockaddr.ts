// Socket addresses as the kernel lays them out (struct sockaddr_in, sockaddr_in6, sockaddr_ll,
// sockaddr_nl). Pure. The family and interface index fields are in host byte order; ports,
// protocols and addresses are in network order.
import { AF_INET, AF_INET6, AF_NETLINK, AF_PACKET } from './linux.ts';
import { readI32, readU16, readU32, writeI32, writeU16, writeU32 } from './host-order.ts';
import { ipFromBytes, ipToBytes } from './ip.ts';

export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;
export const SOCKADDR_LL_SIZE = 20;
export const SOCKADDR_NL_SIZE = 12;

export interface SockaddrIn { family: 'inet'; address: string; port: number }
export interface SockaddrIn6 { family: 'inet6'; address: string; port: number; flowinfo: number; scopeId: number }
export interface SockaddrLl {
  family: 'packet';
  /** EtherType (ETH_P_*), host value; stored big-endian. */
  protocol: number;
  ifindex: number;
  hatype: number;
  pkttype: number;
  /** Hardware address, "aa:bb:cc:dd:ee:ff"; empty when halen is 0. */
  address: string;
}
export interface SockaddrNl { family: 'netlink'; portId: number; groups: number }
export type Sockaddr = SockaddrIn | SockaddrIn6 | SockaddrLl | SockaddrNl;

export function encodeSockaddrIn(address: string, port = 0): Buffer {
  const bytes = ipToBytes(address);
  if (bytes.length !== 4) throw new Error(`sockaddr_in needs an IPv4 address, not ${address}`);
  const b = Buffer.alloc(SOCKADDR_IN_SIZE);
  writeU16(b, AF_INET, 0);
  b.writeUInt16BE(port, 2);
  bytes.copy(b, 4);
  return b;
}

/** scopeId is the interface index that a link-local address (fe80::/10, ff02::/16) is relative to. */
export function encodeSockaddrIn6(address: string, { port = 0, flowinfo = 0, scopeId = 0 } = {}): Buffer {
  const bytes = ipToBytes(address);
  if (bytes.length !== 16) throw new Error(`sockaddr_in6 needs an IPv6 address, not ${address}`);
  const b = Buffer.alloc(SOCKADDR_IN6_SIZE);
  writeU16(b, AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  b.writeUInt32BE(flowinfo, 4);
  bytes.copy(b, 8);
  writeU32(b, scopeId, 24);
  return b;
}

/** The sockaddr for an IP address of either family (scopeId only matters for IPv6). */
export function encodeSockaddrIp(address: string, scopeId = 0): Buffer {
  return address.includes(':') ? encodeSockaddrIn6(address, { scopeId }) : encodeSockaddrIn(address);
}

export function encodeSockaddrLl({ protocol = 0, ifindex, hatype = 0, pkttype = 0, address = '' }: {
  protocol?: number; ifindex: number; hatype?: number; pkttype?: number; address?: string;
}): Buffer {
  const hw = address === '' ? Buffer.alloc(0) : macToBytes(address);
  if (hw.length > 8) throw new Error(`sockaddr_ll holds at most 8 address bytes, not ${hw.length}`);
  const b = Buffer.alloc(SOCKADDR_LL_SIZE);
  writeU16(b, AF_PACKET, 0);
  b.writeUInt16BE(protocol, 2);
  writeI32(b, ifindex, 4);
  writeU16(b, hatype, 8);
  b.writeUInt8(pkttype, 10);
  b.writeUInt8(hw.length, 11);
  hw.copy(b, 12);
  return b;
}

/** portId 0 lets the kernel assign one; groups is the legacy 32-bit multicast group mask. */
export function encodeSockaddrNl({ portId = 0, groups = 0 }: { portId?: number; groups?: number } = {}): Buffer {
  const b = Buffer.alloc(SOCKADDR_NL_SIZE);
  writeU16(b, AF_NETLINK, 0);
  writeU32(b, portId, 4);
  writeU32(b, groups, 8);
  return b;
}

function need(b: Buffer, size: number, what: string): void {
  if (b.length < size) throw new Error(`${what}: ${b.length} bytes, need ${size}`);
}

/** Decodes any of the four layouts, by the family field. Throws on a short buffer or another family. */
export function decodeSockaddr(b: Buffer): Sockaddr {
  need(b, 2, 'sockaddr');
  const family = readU16(b, 0);
  switch (family) {
    case AF_INET:
      need(b, SOCKADDR_IN_SIZE, 'sockaddr_in');
      return { family: 'inet', address: ipFromBytes(b.subarray(4, 8)), port: b.readUInt16BE(2) };
    case AF_INET6:
      need(b, SOCKADDR_IN6_SIZE, 'sockaddr_in6');
      return {
        family: 'inet6', address: ipFromBytes(b.subarray(8, 24)), port: b.readUInt16BE(2),
        flowinfo: b.readUInt32BE(4), scopeId: readU32(b, 24),
      };
    case AF_PACKET: {
      // The kernel may return fewer than 20 bytes (offsetof(sll_addr) + halen).
      need(b, 12, 'sockaddr_ll');
      const halen = b.readUInt8(11);
      if (halen > 8) throw new Error(`sockaddr_ll: address length ${halen} is over 8`);
      need(b, 12 + halen, 'sockaddr_ll');
      return {
        family: 'packet', protocol: b.readUInt16BE(2), ifindex: readI32(b, 4), hatype: readU16(b, 8),
        pkttype: b.readUInt8(10), address: macFromBytes(b.subarray(12, 12 + halen)),
      };
    }
    case AF_NETLINK:
      need(b, SOCKADDR_NL_SIZE, 'sockaddr_nl');
      return { family: 'netlink', portId: readU32(b, 4), groups: readU32(b, 8) };
    default:
      throw new Error(`sockaddr: unsupported address family ${family}`);
  }
}

/** "00:00:5e:00:01:33" (or with '-') to bytes. */
export function macToBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length < 1 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`not a hardware address: ${JSON.stringify(mac)}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** Lowercase, colon-separated, two digits per byte, as `ip` prints it. */
export function macFromBytes(bytes: Uint8Array): string {
  return [...bytes].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
