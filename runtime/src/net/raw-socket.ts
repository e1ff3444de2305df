// Raw sockets for VRRP and its announcements, on the socket addon:
//
// - RawIpSocket: IPv4 or IPv6 raw socket for one IP protocol (112 for VRRP; 51, AH, for VRRPv2
//   under auth_type AH; 58, ICMPv6, for neighbour advertisements), bound to one interface. It sends
//   with TTL / hop limit 255 and receives the TTL / hop limit and the destination address and
//   interface as ancillary data.
// - PacketSocket: AF_PACKET on one interface, for whole Ethernet frames (gratuitous ARP).
//
// IPv4 note: a raw IPv4 socket receives the IP header in front of the payload (IPv6 raw sockets
// never do). This module parses and strips it: `data` is always the protocol payload (the VRRP
// message), and for IPv4 the header itself is exposed as `ipHeader`. When sending, the kernel builds
// the IP header from the socket's options: TTL 255 for unicast and multicast, and for multicast the
// interface and source address of IP_MULTICAST_IF; unless the socket is `headerIncluded`
// (IP_HDRINCL), where the caller sends whole IPv4 packets and the kernel fills in only the header
// checksum, and an Identification left 0.
//
// Multicast filtering differs by family (a kernel quirk): an IPv4 socket gets multicast only for the
// groups it joined itself (IP_MULTICAST_ALL is turned off), but an IPv6 raw socket that is not bound
// to an address gets every multicast packet of its protocol that the host accepts on the interface,
// whoever joined the group (the kernel checks IPV6_MULTICAST_ALL only for bound sockets). Either way,
// match on `destination`.
import { EventEmitter } from 'node:events';
import {
  AF_INET, AF_INET6, AF_PACKET, ICMP6_FILTER, IPPROTO_ICMPV6, IPPROTO_IP, IPPROTO_IPV6, IPV6_HOPLIMIT,
  IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF, IPV6_MULTICAST_LOOP,
  IPV6_PKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO, IPV6_UNICAST_HOPS, IP_ADD_MEMBERSHIP, IP_HDRINCL,
  IP_DROP_MEMBERSHIP, IP_MULTICAST_ALL, IP_MULTICAST_IF, IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IP_PKTINFO, IP_RECVTTL, IP_TTL,
  MSG_TRUNC, SOCK_RAW, SOL_SOCKET, SO_BINDTODEVICE, SO_TIMESTAMPNS,
} from './linux.ts';
import * as native from './native.ts';
import { decodeCmsgInt, decodeIn6Pktinfo, decodeInPktinfo, encodeIn6Pktinfo, encodeInPktinfo, type Cmsg } from './ancillary.ts';
import { decodeSockaddr, encodeSockaddrIn, encodeSockaddrIn6, encodeSockaddrLl, macFromBytes } from './sockaddr.ts';
import { readI64, writeI32 } from './host-order.ts';
import { ipFamily, ipFromBytes, ipToBytes, type Family } from './ip.ts';

/** A received packet, after the IPv4 header (if any) has been taken off. */
export interface RawIpMessage {
  /** The protocol payload (the VRRP message). */
  data: Buffer;
  source: string;
  /** The packet's destination address: from IP_PKTINFO / IPV6_PKTINFO. */
  destination: string;
  /** IPv4 TTL or IPv6 hop limit: from IP_TTL / IPV6_HOPLIMIT. */
  ttl: number;
  /** The interface it arrived on. */
  ifindex: number;
  /** When the kernel received it (SO_TIMESTAMPNS), in milliseconds since the epoch. */
  receivedAt: number;
  /** IPv4 only: the IP header as received (options included). */
  ipHeader?: Buffer;
}

export interface RawIpSocketOptions {
  family: Family;
  /** The IP protocol number: 112 for VRRP, 51 for AH, 58 for ICMPv6. */
  protocol: number;
  /** The interface to bind to and send on: a name, or an index. */
  interface: string | number;
  /** Default 255, as VRRP and neighbour discovery require. */
  ttl?: number;
  /**
   * Receive packets (default true). With false the socket is never polled; for ICMPv6 every type is
   * also blocked (ICMP6_FILTER), so a send-only neighbour-advertisement socket queues nothing.
   */
  receive?: boolean;
  /** IPv4: the source address of multicast packets (IP_MULTICAST_IF); default the kernel's choice. */
  multicastSource?: string;
  /** IPv4: send() takes whole IPv4 packets, header included (IP_HDRINCL). */
  headerIncluded?: boolean;
}

type RawEvents = { message: [message: RawIpMessage]; error: [error: Error] };

/** Large enough for any IP packet. */
const RECEIVE_BYTES = 65_536;
/** Readiness callbacks read at most this many packets, so that a flood cannot starve timers. */
const BATCH = 64;

export class RawIpSocket extends EventEmitter<RawEvents> {
  readonly family: Family;
  readonly protocol: number;
  readonly ifindex: number;
  readonly ifname: string;
  readonly fd: number;
  private poller: native.PollHandle | undefined;
  private closed = false;

  /**
   * Opens the socket. Errors carry .code: EPERM without CAP_NET_RAW, ENODEV for an unknown interface.
   * Messages are emitted as 'message'; failures of single reads as 'error', if anyone listens.
   */
  constructor(options: RawIpSocketOptions) {
    super();
    this.family = options.family;
    this.protocol = options.protocol;
    this.ifindex = typeof options.interface === 'number' ? options.interface : native.ifNameToIndex(options.interface);
    this.ifname = typeof options.interface === 'string' ? options.interface : native.ifIndexToName(options.interface);
    const ttl = options.ttl ?? 255;
    const receive = options.receive ?? true;
    this.fd = native.socket(this.family === 4 ? AF_INET : AF_INET6, SOCK_RAW, this.protocol);
    try {
      // Only this interface's packets, and sends go out of it whatever the routing table says.
      native.setsockopt(this.fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${this.ifname}\0`));
      if (this.family === 4) {
        native.setsockoptInt(this.fd, IPPROTO_IP, IP_TTL, ttl);
        native.setsockoptInt(this.fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl);
        // Our own multicast adverts must not come back to us as if from a peer.
        native.setsockoptInt(this.fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
        this.setMulticastSource(options.multicastSource);
        // Multicast only for groups this socket joined, not for every group joined on the host.
        native.setsockoptInt(this.fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
        native.setsockoptInt(this.fd, IPPROTO_IP, IP_RECVTTL, 1);
        native.setsockoptInt(this.fd, IPPROTO_IP, IP_PKTINFO, 1);
        if (options.headerIncluded) native.setsockoptInt(this.fd, IPPROTO_IP, IP_HDRINCL, 1);
      } else {
        if (options.headerIncluded) throw new Error('IP_HDRINCL is for IPv4 sockets');
        native.setsockoptInt(this.fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
        native.setsockoptInt(this.fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl);
        native.setsockoptInt(this.fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
        native.setsockoptInt(this.fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, this.ifindex);
        native.setsockoptInt(this.fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
        native.setsockoptInt(this.fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
      }
      // The kernel's receive time: what a protocol timer should count from, rather than the moment
      // the event loop got round to reading the packet.
      native.setsockoptInt(this.fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
      if (!receive && this.family === 6 && this.protocol === IPPROTO_ICMPV6) {
        // struct icmp6_filter: 256 bits, a set bit blocks that ICMPv6 type. Block them all.
        native.setsockopt(this.fd, IPPROTO_ICMPV6, ICMP6_FILTER, Buffer.alloc(32, 0xff));
      }
      if (receive) this.poller = native.poll(this.fd, (error) => this.readable(error));
    } catch (error) {
      native.close(this.fd);
      throw error;
    }
  }

  /**
   * IPv4: sets IP_MULTICAST_IF with a struct ip_mreqn { multiaddr, address, ifindex }, which picks
   * the interface and, when `source` is given, the source address of multicast packets.
   */
  setMulticastSource(source?: string): void {
    if (this.family !== 4) throw new Error('setMulticastSource is for IPv4; IPv6 multicast goes out from the link-local address');
    native.setsockopt(this.fd, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', source ?? '0.0.0.0', this.ifindex));
  }

  /** Joins a multicast group (224.0.0.18 or ff02::12) on this socket's interface. */
  joinGroup(group: string): void {
    this.checkFamily(group);
    if (this.family === 4) native.setsockopt(this.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(group, '0.0.0.0', this.ifindex));
    else native.setsockopt(this.fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, ipv6Mreq(group, this.ifindex));
  }

  leaveGroup(group: string): void {
    this.checkFamily(group);
    if (this.family === 4) native.setsockopt(this.fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, ipMreqn(group, '0.0.0.0', this.ifindex));
    else native.setsockopt(this.fd, IPPROTO_IPV6, IPV6_LEAVE_GROUP, ipv6Mreq(group, this.ifindex));
  }

  /**
   * Sends one packet; the kernel adds the IP header (on a `headerIncluded` socket, `payload` is the
   * whole IPv4 packet and its header says the source). `source` picks the source address (IP_PKTINFO /
   * IPV6_PKTINFO), e.g. unicast_src_ip; without it the kernel chooses (for ff02::/16, the
   * interface's link-local address). Throws on failure (e.g. ENETDOWN, EADDRNOTAVAIL).
   */
  send(payload: Buffer, destination: string, { source }: { source?: string } = {}): void {
    this.checkFamily(destination);
    const cmsgs: Cmsg[] = [];
    if (this.family === 4) {
      if (source !== undefined) cmsgs.push({ level: IPPROTO_IP, type: IP_PKTINFO, data: encodeInPktinfo({ ifindex: this.ifindex, specDst: source }) });
      native.sendmsg(this.fd, payload, encodeSockaddrIn(destination), cmsgs);
    } else {
      if (source !== undefined) cmsgs.push({ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodeIn6Pktinfo({ addr: source, ifindex: this.ifindex }) });
      const scopeId = isLinkScoped(destination) ? this.ifindex : 0;
      native.sendmsg(this.fd, payload, encodeSockaddrIn6(destination, { scopeId }), cmsgs);
    }
  }

  private checkFamily(address: string): void {
    if (ipFamily(address) !== this.family) throw new Error(`${address} is not an IPv${this.family} address`);
  }

  private readable(error: Error | null): void {
    if (error) { this.report(error); return; }
    for (let i = 0; i < BATCH && !this.closed; i++) {
      let got: native.Received | null;
      try {
        got = native.recvmsg(this.fd, RECEIVE_BYTES);
      } catch (e) {
        // A queued socket error (e.g. an ICMP error for something we sent): reported, then go on.
        this.report(e as Error);
        continue;
      }
      if (!got) return;
      let message: RawIpMessage;
      try {
        message = this.family === 4 ? parseIpv4(got) : parseIpv6(got);
      } catch (e) {
        this.report(e as Error);
        continue;
      }
      this.emit('message', message);
    }
  }

  private report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Whether this socket keeps the process alive (default yes, while receiving). */
  ref(keep: boolean): void {
    if (this.poller && !this.closed) native.pollRef(this.poller, keep);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.poller) native.unpoll(this.poller);
    native.close(this.fd);
  }

  [Symbol.dispose](): void { this.close(); }
}

/** fe80::/10 and interface- or link-local multicast (ff01::/16, ff02::/16) need an interface as scope. */
export function isLinkScoped(address: string): boolean {
  const b = ipToBytes(address);
  return b.length === 16 && ((b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) || (b[0] === 0xff && (b[1]! & 0x0f) <= 2));
}

function ipMreqn(group: string, address: string, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  ipToBytes(group).copy(b, 0);
  ipToBytes(address).copy(b, 4);
  writeI32(b, ifindex, 8);
  return b;
}

function ipv6Mreq(group: string, ifindex: number): Buffer {
  const b = Buffer.alloc(20);
  ipToBytes(group).copy(b, 0);
  writeI32(b, ifindex, 16);
  return b;
}

/** The SCM_TIMESTAMPNS time (a struct timespec of two 64-bit fields) in ms since the epoch; now if absent. */
function receiveTime(cmsgs: readonly Cmsg[]): number {
  const c = cmsgs.find((m) => m.level === SOL_SOCKET && m.type === SO_TIMESTAMPNS && m.data.length >= 16);
  if (!c) return Date.now();
  return Number(readI64(c.data, 0)) * 1000 + Number(readI64(c.data, 8)) / 1e6;
}

/** Reads what IPv4 recvmsg gave: the IP header, then the payload, with IP_TTL and IP_PKTINFO. */
export function parseIpv4(got: native.Received): RawIpMessage {
  if (got.flags & MSG_TRUNC) throw new Error(`IPv4 packet of more than ${got.data.length} bytes was truncated`);
  const d = got.data;
  if (d.length < 20) throw new Error(`IPv4 packet of ${d.length} bytes is shorter than an IP header`);
  if (d[0]! >> 4 !== 4) throw new Error(`IP version ${d[0]! >> 4} on an IPv4 socket`);
  const headerLength = (d[0]! & 0x0f) * 4;
  if (headerLength < 20 || headerLength > d.length) throw new Error(`IPv4 header length ${headerLength} does not fit the ${d.length}-byte packet`);
  let ttl = d[8]!;
  let destination = ipFromBytes(d.subarray(16, 20));
  let ifindex = 0;
  for (const c of got.cmsgs) {
    if (c.level !== IPPROTO_IP) continue;
    if (c.type === IP_TTL) ttl = decodeCmsgInt(c.data);
    else if (c.type === IP_PKTINFO) ({ addr: destination, ifindex } = decodeInPktinfo(c.data));
  }
  return { data: d.subarray(headerLength), source: ipFromBytes(d.subarray(12, 16)), destination, ttl, ifindex, receivedAt: receiveTime(got.cmsgs), ipHeader: d.subarray(0, headerLength) };
}

/** Reads what IPv6 recvmsg gave: the payload alone, with IPV6_HOPLIMIT and IPV6_PKTINFO. */
export function parseIpv6(got: native.Received): RawIpMessage {
  if (got.flags & MSG_TRUNC) throw new Error(`IPv6 packet of more than ${got.data.length} bytes was truncated`);
  const from = decodeSockaddr(got.addr);
  if (from.family !== 'inet6') throw new Error(`IPv6 packet from a non-IPv6 (${from.family}) address`);
  let ttl: number | undefined;
  let destination: string | undefined;
  let ifindex = from.scopeId;
  for (const c of got.cmsgs) {
    if (c.level !== IPPROTO_IPV6) continue;
    if (c.type === IPV6_HOPLIMIT) ttl = decodeCmsgInt(c.data);
    else if (c.type === IPV6_PKTINFO) ({ addr: destination, ifindex } = decodeIn6Pktinfo(c.data));
  }
  if (ttl === undefined || destination === undefined) throw new Error('IPv6 packet without its IPV6_HOPLIMIT and IPV6_PKTINFO ancillary data');
  return { data: got.data, source: from.address, destination, ttl, ifindex, receivedAt: receiveTime(got.cmsgs) };
}

/** A send-only ICMPv6 socket for unsolicited neighbour advertisements (hop limit 255). */
export function openNeighbourAdvertSocket(iface: string | number): RawIpSocket {
  return new RawIpSocket({ family: 6, protocol: IPPROTO_ICMPV6, interface: iface, receive: false });
}

/**
 * AF_PACKET, SOCK_RAW, on one interface: sends whole Ethernet frames as given (the kernel adds
 * nothing but the FCS). It is bound with protocol 0, so it receives nothing.
 */
export class PacketSocket {
  readonly ifindex: number;
  readonly fd: number;
  private closed = false;

  constructor(iface: string | number) {
    this.ifindex = typeof iface === 'number' ? iface : native.ifNameToIndex(iface);
    this.fd = native.socket(AF_PACKET, SOCK_RAW, 0);
    try {
      native.bind(this.fd, encodeSockaddrLl({ ifindex: this.ifindex }));
    } catch (error) {
      native.close(this.fd);
      throw error;
    }
  }

  /** Sends one frame: destination MAC, source MAC, EtherType, payload. */
  sendFrame(frame: Buffer): void {
    if (frame.length < 14) throw new Error(`an Ethernet frame is at least 14 bytes, not ${frame.length}`);
    // The EtherType goes into sockaddr_ll too: it is the frame's protocol as the kernel and taps see it.
    native.sendto(this.fd, frame, encodeSockaddrLl({ ifindex: this.ifindex, protocol: frame.readUInt16BE(12), address: macFromBytes(frame.subarray(0, 6)) }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    native.close(this.fd);
  }

  [Symbol.dispose](): void { this.close(); }
}
