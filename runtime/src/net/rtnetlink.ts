// rtnetlink (the kernel's include/uapi/linux/rtnetlink.h, if_addr.h, if_link.h): addresses, links,
// macvlan links and their events; routes and rules too (their codec is rtnetlink-route.ts). The codec
// half is pure (encode requests, decode replies and events); the Rtnetlink and RtnetlinkEvents classes at the end are thin adapters over a
// NetlinkSocket in the calling process's network namespace.
//
//   struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }              8 bytes
//   struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change; }     16 bytes
import { EventEmitter } from 'node:events';
import { AF_INET, AF_INET6, AF_UNSPEC, NETLINK_ROUTE } from './linux.ts';
import { readI32, readU16, readU32, writeI32, writeU16, writeU32 } from './host-order.ts';
import { ipFamily, ipFromBytes, ipToBytes, type Family } from './ip.ts';
import { macFromBytes, macToBytes } from './sockaddr.ts';
import {
  NLM_F_CREATE, NLM_F_EXCL, NetlinkFormatError, attr, attributeMap, decodeAttributes, encodeAttributes, read,
  type AttributeSpec, type NetlinkMessage,
} from './netlink.ts';
import { NetlinkSocket, type NetlinkRequest } from './netlink-socket.ts';
import * as native from './native.ts';
import {
  RTM_DELROUTE, RTM_DELRULE, RTM_NEWROUTE, RTM_NEWRULE, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV6_RULE,
  addRouteRequest, addRuleRequest, decodeRoute, decodeRule, deleteRouteRequest, deleteRuleRequest, getRoutesRequest, getRulesRequest,
  type RouteInfo, type RouteSpec, type RuleInfo, type RuleSpec,
} from './rtnetlink-route.ts';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

/** Multicast groups (NETLINK_ADD_MEMBERSHIP numbers, not the legacy RTMGRP_* bit masks). */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;

export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;

export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_MACVLAN_MODE = 1;

export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

export const RT_SCOPES = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
export type Scope = keyof typeof RT_SCOPES;

export const MACVLAN_MODES = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
export type MacvlanMode = keyof typeof MACVLAN_MODES;

/** RFC 2863 operational states, as IFLA_OPERSTATE numbers them. */
export const OPER_STATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPER_STATES)[number];

const IFADDRMSG = 8;
const IFINFOMSG = 16;

// Addresses

export interface AddressSpec {
  ifindex: number;
  /** Taken from the address when omitted. */
  family?: Family;
  address: string;
  prefixLength: number;
  /** IPv4 only. */
  broadcast?: string;
  /** IPv4 only; the kernel wants it to start with the interface name ("eth0:vip"). */
  label?: string;
  scope?: Scope | number;
  /** IPv6: skip duplicate address detection, so the address is usable at once (IFA_F_NODAD). */
  noDad?: boolean;
}

export interface AddressInfo {
  ifindex: number;
  family: Family;
  /** The local address (IFA_LOCAL, else IFA_ADDRESS). */
  address: string;
  prefixLength: number;
  /** The other end of a point-to-point link, when IFA_ADDRESS differs from IFA_LOCAL. */
  peer?: string;
  broadcast?: string;
  label?: string;
  scope: number;
  /** IFA_F_* (from IFA_FLAGS when present, which holds all 32 bits). */
  flags: number;
}

function familyOf(spec: { family?: Family; address: string }): Family {
  const f = ipFamily(spec.address);
  if (f === undefined) throw new Error(`not an IP address: ${JSON.stringify(spec.address)}`);
  if (spec.family !== undefined && spec.family !== f) throw new Error(`${spec.address} is not an IPv${spec.family} address`);
  return f;
}

function scopeNumber(scope: Scope | number | undefined): number {
  if (scope === undefined) return 0;
  if (typeof scope === 'number') {
    if (!Number.isInteger(scope) || scope < 0 || scope > 255) throw new Error(`bad scope ${scope}`);
    return scope;
  }
  const n = RT_SCOPES[scope];
  if (n === undefined) throw new Error(`unknown scope ${JSON.stringify(scope)}`);
  return n;
}

/** The ifaddrmsg and attributes of RTM_NEWADDR or RTM_DELADDR. */
export function encodeAddress(spec: AddressSpec): Buffer {
  const family = familyOf(spec);
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(spec.prefixLength) || spec.prefixLength < 0 || spec.prefixLength > max) {
    throw new Error(`bad prefix length ${spec.prefixLength} for ${spec.address}`);
  }
  if (!Number.isInteger(spec.ifindex) || spec.ifindex <= 0) throw new Error(`bad interface index ${spec.ifindex}`);
  const flags = family === 6 && spec.noDad ? IFA_F_NODAD : 0;
  const head = Buffer.alloc(IFADDRMSG);
  head.writeUInt8(family === 4 ? AF_INET : AF_INET6, 0);
  head.writeUInt8(spec.prefixLength, 1);
  head.writeUInt8(flags & 0xff, 2);
  head.writeUInt8(scopeNumber(spec.scope), 3);
  writeU32(head, spec.ifindex, 4);
  const bytes = ipToBytes(spec.address);
  // As iproute2 does: IFA_LOCAL is the address itself; IFA_ADDRESS, the peer, is the same address.
  const attrs: AttributeSpec[] = [[IFA_LOCAL, bytes], [IFA_ADDRESS, bytes]];
  if (spec.broadcast !== undefined) {
    if (family !== 4) throw new Error('a broadcast address is IPv4 only');
    attrs.push([IFA_BROADCAST, ipToBytes(spec.broadcast)]);
  }
  if (spec.label !== undefined) {
    if (family !== 4) throw new Error('an address label is IPv4 only');
    if (Buffer.byteLength(spec.label) > 15) throw new Error(`label ${JSON.stringify(spec.label)} is over 15 bytes`);
    attrs.push([IFA_LABEL, attr.string(spec.label)]);
  }
  if (flags) attrs.push([IFA_FLAGS, attr.u32(flags)]);
  return Buffer.concat([head, encodeAttributes(attrs)]);
}

export function addAddressRequest(spec: AddressSpec): NetlinkRequest {
  return { type: RTM_NEWADDR, flags: NLM_F_CREATE | NLM_F_EXCL, payload: encodeAddress(spec) };
}

export function deleteAddressRequest(spec: AddressSpec): NetlinkRequest {
  return { type: RTM_DELADDR, payload: encodeAddress(spec) };
}

/** A dump of every address, or of one family's. */
export function getAddressesRequest(family?: Family): NetlinkRequest {
  const head = Buffer.alloc(IFADDRMSG);
  head.writeUInt8(family === 4 ? AF_INET : family === 6 ? AF_INET6 : AF_UNSPEC, 0);
  return { type: RTM_GETADDR, payload: head };
}

export function decodeAddress(message: NetlinkMessage): AddressInfo {
  const p = message.payload;
  if (p.length < IFADDRMSG) throw new NetlinkFormatError(`ifaddrmsg: ${p.length} bytes, need ${IFADDRMSG}`);
  const af = p.readUInt8(0);
  if (af !== AF_INET && af !== AF_INET6) throw new NetlinkFormatError(`ifaddrmsg: address family ${af} is neither AF_INET nor AF_INET6`);
  const family: Family = af === AF_INET ? 4 : 6;
  const a = attributeMap(decodeAttributes(p.subarray(IFADDRMSG), 'ifaddrmsg attributes'));
  const ip = (type: number, name: string): string | undefined => {
    const d = a.get(type);
    if (d === undefined) return undefined;
    if (d.length !== (family === 4 ? 4 : 16)) throw new NetlinkFormatError(`${name}: ${d.length} bytes for an IPv${family} address`);
    return ipFromBytes(d);
  };
  const local = ip(IFA_LOCAL, 'IFA_LOCAL');
  const peer = ip(IFA_ADDRESS, 'IFA_ADDRESS');
  const address = local ?? peer;
  if (address === undefined) throw new NetlinkFormatError('ifaddrmsg: neither IFA_LOCAL nor IFA_ADDRESS');
  const info: AddressInfo = {
    ifindex: readU32(p, 4),
    family,
    address,
    prefixLength: p.readUInt8(1),
    scope: p.readUInt8(3),
    flags: a.has(IFA_FLAGS) ? read.u32(a.get(IFA_FLAGS)!, 'IFA_FLAGS') : p.readUInt8(2),
  };
  if (local !== undefined && peer !== undefined && peer !== local) info.peer = peer;
  const broadcast = ip(IFA_BROADCAST, 'IFA_BROADCAST');
  if (broadcast !== undefined) info.broadcast = broadcast;
  if (a.has(IFA_LABEL)) info.label = read.string(a.get(IFA_LABEL)!);
  return info;
}

// Links

export interface LinkInfo {
  index: number;
  name: string;
  /** IFF_* */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Operationally up (IFF_RUNNING): up and the carrier is there. */
  running: boolean;
  /** The carrier (IFF_LOWER_UP). */
  lowerUp: boolean;
  /** The hardware address; '' when the link has none. */
  mac: string;
  /** The link layer's broadcast address (IFLA_BROADCAST); '' when the link has none. */
  broadcastMac: string;
  /** ARPHRD_* (ifi_type): 1 Ethernet, 772 loopback, ... */
  hardwareType: number;
  operstate: OperState;
  mtu?: number;
  /** IFLA_LINK: the parent of a macvlan or VLAN, or a veth's peer. */
  parentIndex?: number;
  /** IFLA_INFO_KIND: "macvlan", "veth", "bridge", …; absent for plain devices. */
  kind?: string;
  macvlanMode?: MacvlanMode | number;
}

function ifinfomsg({ family = AF_UNSPEC, index = 0, flags = 0, change = 0 } = {}): Buffer {
  const b = Buffer.alloc(IFINFOMSG);
  b.writeUInt8(family, 0);
  writeU16(b, 0, 2);
  writeI32(b, index, 4);
  writeU32(b, flags, 8);
  writeU32(b, change, 12);
  return b;
}

export function getLinksRequest(): NetlinkRequest {
  return { type: RTM_GETLINK, payload: ifinfomsg() };
}

/** One link, by index or by name (not a dump: the kernel answers with one RTM_NEWLINK). */
export function getLinkRequest(link: number | string): NetlinkRequest {
  if (typeof link === 'number') return { type: RTM_GETLINK, payload: ifinfomsg({ index: link }) };
  return { type: RTM_GETLINK, payload: Buffer.concat([ifinfomsg(), encodeAttributes([[IFLA_IFNAME, attr.string(link)]])]) };
}

export interface MacvlanSpec {
  name: string;
  parentIndex: number;
  /** e.g. "00:00:5e:00:01:33", the VRRP virtual MAC of VRID 0x33 (RFC 5798 section 7.3). */
  mac?: string;
  /** Default "private", as keepalived's use_vmac. */
  mode?: MacvlanMode;
}

export function createMacvlanRequest({ name, parentIndex, mac, mode = 'private' }: MacvlanSpec): NetlinkRequest {
  if (!/^[^\s/:]{1,15}$/.test(name)) throw new Error(`bad interface name ${JSON.stringify(name)}`);
  const modeNumber = MACVLAN_MODES[mode];
  if (modeNumber === undefined) throw new Error(`unknown macvlan mode ${JSON.stringify(mode)}`);
  const attrs: AttributeSpec[] = [[IFLA_IFNAME, attr.string(name)], [IFLA_LINK, attr.u32(parentIndex)]];
  if (mac !== undefined) {
    const bytes = macToBytes(mac);
    if (bytes.length !== 6) throw new Error(`bad Ethernet address ${mac}`);
    attrs.push([IFLA_ADDRESS, bytes]);
  }
  attrs.push([IFLA_LINKINFO, [[IFLA_INFO_KIND, attr.string('macvlan')], [IFLA_INFO_DATA, [[IFLA_MACVLAN_MODE, attr.u32(modeNumber)]]]]]);
  return { type: RTM_NEWLINK, flags: NLM_F_CREATE | NLM_F_EXCL, payload: Buffer.concat([ifinfomsg(), encodeAttributes(attrs)]) };
}

export function deleteLinkRequest(index: number): NetlinkRequest {
  return { type: RTM_DELLINK, payload: ifinfomsg({ index }) };
}

/** Sets or clears IFF_UP, leaving every other flag alone (ifi_change masks what changes). */
export function setLinkUpRequest(index: number, up: boolean): NetlinkRequest {
  return { type: RTM_NEWLINK, payload: ifinfomsg({ index, flags: up ? IFF_UP : 0, change: IFF_UP }) };
}

export function decodeLink(message: NetlinkMessage): LinkInfo {
  const p = message.payload;
  if (p.length < IFINFOMSG) throw new NetlinkFormatError(`ifinfomsg: ${p.length} bytes, need ${IFINFOMSG}`);
  const flags = readU32(p, 8);
  const a = attributeMap(decodeAttributes(p.subarray(IFINFOMSG), 'ifinfomsg attributes'));
  const name = a.get(IFLA_IFNAME);
  const oper = a.get(IFLA_OPERSTATE);
  const link: LinkInfo = {
    index: readI32(p, 4),
    name: name === undefined ? '' : read.string(name),
    flags,
    up: (flags & IFF_UP) !== 0,
    running: (flags & IFF_RUNNING) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    mac: a.has(IFLA_ADDRESS) ? macFromBytes(a.get(IFLA_ADDRESS)!) : '',
    broadcastMac: a.has(IFLA_BROADCAST) ? macFromBytes(a.get(IFLA_BROADCAST)!) : '',
    hardwareType: readU16(p, 2),
    operstate: oper === undefined ? 'unknown' : (OPER_STATES[read.u8(oper, 'IFLA_OPERSTATE')] ?? 'unknown'),
  };
  if (a.has(IFLA_MTU)) link.mtu = read.u32(a.get(IFLA_MTU)!, 'IFLA_MTU');
  if (a.has(IFLA_LINK)) link.parentIndex = read.i32(a.get(IFLA_LINK)!, 'IFLA_LINK');
  const info = a.get(IFLA_LINKINFO);
  if (info !== undefined) {
    const i = attributeMap(decodeAttributes(info, 'IFLA_LINKINFO'));
    if (i.has(IFLA_INFO_KIND)) link.kind = read.string(i.get(IFLA_INFO_KIND)!);
    const data = i.get(IFLA_INFO_DATA);
    if (link.kind === 'macvlan' && data !== undefined) {
      const d = attributeMap(decodeAttributes(data, 'IFLA_INFO_DATA'));
      if (d.has(IFLA_MACVLAN_MODE)) {
        const n = read.u32(d.get(IFLA_MACVLAN_MODE)!, 'IFLA_MACVLAN_MODE');
        link.macvlanMode = (Object.keys(MACVLAN_MODES) as MacvlanMode[]).find((m) => MACVLAN_MODES[m] === n) ?? n;
      }
    }
  }
  return link;
}

// Events

export type RtnetlinkEvent =
  | { kind: 'link'; action: 'new' | 'delete'; link: LinkInfo }
  | { kind: 'address'; action: 'add' | 'delete'; address: AddressInfo }
  | { kind: 'route'; action: 'add' | 'delete'; route: RouteInfo }
  | { kind: 'rule'; action: 'add' | 'delete'; rule: RuleInfo };

/** An rtnetlink notification as a typed event; undefined for message types this module ignores. */
export function decodeEvent(message: NetlinkMessage): RtnetlinkEvent | undefined {
  switch (message.type) {
    case RTM_NEWLINK: return { kind: 'link', action: 'new', link: decodeLink(message) };
    case RTM_DELLINK: return { kind: 'link', action: 'delete', link: decodeLink(message) };
    case RTM_NEWADDR: return { kind: 'address', action: 'add', address: decodeAddress(message) };
    case RTM_DELADDR: return { kind: 'address', action: 'delete', address: decodeAddress(message) };
    case RTM_NEWROUTE: return { kind: 'route', action: 'add', route: decodeRoute(message) };
    case RTM_DELROUTE: return { kind: 'route', action: 'delete', route: decodeRoute(message) };
    case RTM_NEWRULE: return { kind: 'rule', action: 'add', rule: decodeRule(message) };
    case RTM_DELRULE: return { kind: 'rule', action: 'delete', rule: decodeRule(message) };
    default: return undefined;
  }
}

// Adapters

function ifname(index: number): string {
  try { return native.ifIndexToName(index); } catch { return `ifindex ${index}`; }
}

const describe = (spec: AddressSpec): string => `${spec.address}/${spec.prefixLength}`;
const describeRoute = (spec: RouteSpec): string => `${spec.type ?? 'route'} ${spec.destination}/${spec.prefixLength}`
  + `${spec.gateway === undefined ? '' : ` via ${spec.gateway}`}${spec.ifindex === undefined ? '' : ` dev ${ifname(spec.ifindex)}`}`
  + ` table ${spec.table ?? 'main'}`;
const describeRule = (spec: RuleSpec): string => `rule${spec.priority === undefined ? '' : ` ${spec.priority}`}`
  + `${spec.from === undefined ? '' : ` from ${spec.from.address}/${spec.from.prefixLength}`}`
  + `${spec.to === undefined ? '' : ` to ${spec.to.address}/${spec.to.prefixLength}`} table ${spec.table}`;

/** Interrupted dumps (the table changed mid-dump, NLM_F_DUMP_INTR) are retried this many times. */
const DUMP_ATTEMPTS = 5;

export class Rtnetlink {
  private readonly socket: NetlinkSocket;

  private constructor(socket: NetlinkSocket) { this.socket = socket; }

  /** A request socket in the calling process's network namespace. */
  static open({ timeoutMs }: { timeoutMs?: number } = {}): Rtnetlink {
    return new Rtnetlink(new NetlinkSocket(NETLINK_ROUTE, timeoutMs === undefined ? {} : { timeoutMs }));
  }

  /** Rejects with a NetlinkError such as "add 198.18.0.100/24 on eth0: EEXIST". */
  async addAddress(spec: AddressSpec): Promise<void> {
    await this.socket.request(`add ${describe(spec)} on ${ifname(spec.ifindex)}`, addAddressRequest(spec));
  }

  /** Rejects with EADDRNOTAVAIL when the address is not there. */
  async deleteAddress(spec: AddressSpec): Promise<void> {
    await this.socket.request(`delete ${describe(spec)} from ${ifname(spec.ifindex)}`, deleteAddressRequest(spec));
  }

  async listAddresses({ family, ifindex }: { family?: Family; ifindex?: number } = {}): Promise<AddressInfo[]> {
    const messages = await this.dump('list addresses', getAddressesRequest(family));
    return messages.filter((m) => m.type === RTM_NEWADDR).map(decodeAddress)
      .filter((a) => ifindex === undefined || a.ifindex === ifindex);
  }

  /** Rejects with EEXIST when the route is there already. */
  async addRoute(spec: RouteSpec): Promise<void> {
    await this.socket.request(`add ${describeRoute(spec)}`, addRouteRequest(spec));
  }

  /** Rejects with ESRCH when no such route is there. */
  async deleteRoute(spec: RouteSpec): Promise<void> {
    await this.socket.request(`delete ${describeRoute(spec)}`, deleteRouteRequest(spec));
  }

  /** Every route of one family, in every table. */
  async listRoutes({ family }: { family: Family }): Promise<RouteInfo[]> {
    const messages = await this.dump('list routes', getRoutesRequest(family));
    return messages.filter((m) => m.type === RTM_NEWROUTE).map(decodeRoute);
  }

  /** Rejects with EEXIST when an identical rule is there already. */
  async addRule(spec: RuleSpec): Promise<void> {
    await this.socket.request(`add ${describeRule(spec)}`, addRuleRequest(spec));
  }

  /** Rejects with ENOENT when no such rule is there. */
  async deleteRule(spec: RuleSpec): Promise<void> {
    await this.socket.request(`delete ${describeRule(spec)}`, deleteRuleRequest(spec));
  }

  async listRules({ family }: { family: Family }): Promise<RuleInfo[]> {
    const messages = await this.dump('list rules', getRulesRequest(family));
    return messages.filter((m) => m.type === RTM_NEWRULE).map(decodeRule);
  }

  async listLinks(): Promise<LinkInfo[]> {
    const messages = await this.dump('list links', getLinksRequest());
    return messages.filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
  }

  /** One link by index or name; rejects with ENODEV when there is none. */
  async getLink(link: number | string): Promise<LinkInfo> {
    const { messages } = await this.socket.request(`get link ${link}`, getLinkRequest(link));
    const found = messages.find((m) => m.type === RTM_NEWLINK);
    if (!found) throw new Error(`get link ${link}: no RTM_NEWLINK in the answer`);
    return decodeLink(found);
  }

  /** Creates the macvlan (down, as every new link) and returns it as the kernel reports it. */
  async createMacvlan(spec: MacvlanSpec): Promise<LinkInfo> {
    await this.socket.request(`create macvlan ${spec.name} on ${ifname(spec.parentIndex)}`, createMacvlanRequest(spec));
    return this.getLink(spec.name);
  }

  async deleteLink(index: number): Promise<void> {
    await this.socket.request(`delete link ${ifname(index)}`, deleteLinkRequest(index));
  }

  async setLinkUp(index: number): Promise<void> {
    await this.socket.request(`set ${ifname(index)} up`, setLinkUpRequest(index, true));
  }

  async setLinkDown(index: number): Promise<void> {
    await this.socket.request(`set ${ifname(index)} down`, setLinkUpRequest(index, false));
  }

  private async dump(operation: string, request: NetlinkRequest): Promise<NetlinkMessage[]> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.socket.request(operation, request, { dump: true });
      if (!result.interrupted || attempt >= DUMP_ATTEMPTS) return result.messages;
    }
  }

  close(): void { this.socket.close(); }
  [Symbol.dispose](): void { this.close(); }

  /** Link and address events of the calling process's network namespace. */
  static subscribe(options: EventOptions = {}): RtnetlinkEvents { return new RtnetlinkEvents(options); }
}

export interface EventOptions {
  /** Link changes (RTNLGRP_LINK); default true. */
  links?: boolean;
  /** IPv4 address changes; default true. */
  ipv4?: boolean;
  /** IPv6 address changes; default true. */
  ipv6?: boolean;
  /** Route changes of both families; default false. */
  routes?: boolean;
  /** Policy rule changes of both families; default false. */
  rules?: boolean;
}

type EventMap = {
  link: [event: Extract<RtnetlinkEvent, { kind: 'link' }>];
  address: [event: Extract<RtnetlinkEvent, { kind: 'address' }>];
  route: [event: Extract<RtnetlinkEvent, { kind: 'route' }>];
  rule: [event: Extract<RtnetlinkEvent, { kind: 'rule' }>];
  /**
   * The kernel dropped events because they came faster than they were read (ENOBUFS): whoever
   * mirrors kernel state should list links and addresses again.
   */
  overrun: [];
  /** A message that did not decode; the subscription goes on. Emitted only if someone listens. */
  error: [error: Error];
};

/**
 * Kernel notifications, on a socket of their own (so they never mix with request replies).
 * Keeps the process alive until close(), or unref().
 */
export class RtnetlinkEvents extends EventEmitter<EventMap> {
  private readonly socket: NetlinkSocket;

  constructor({ links = true, ipv4 = true, ipv6 = true, routes = false, rules = false }: EventOptions = {}) {
    super();
    const groups = [
      ...(links ? [RTNLGRP_LINK] : []), ...(ipv4 ? [RTNLGRP_IPV4_IFADDR] : []), ...(ipv6 ? [RTNLGRP_IPV6_IFADDR] : []),
      ...(routes ? [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE] : []), ...(rules ? [RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE] : []),
    ];
    if (groups.length === 0) throw new Error('subscribe to at least one of links, ipv4, ipv6, routes, rules');
    this.socket = new NetlinkSocket(NETLINK_ROUTE, {
      groups,
      receiveBuffer: 1 << 20,
      onEvent: (m) => this.deliver(m),
      onError: (e) => {
        if ((e as Partial<native.SystemError>).code === 'ENOBUFS') this.emit('overrun');
        else if (this.listenerCount('error') > 0) this.emit('error', e);
      },
    });
  }

  private deliver(m: NetlinkMessage): void {
    let event: RtnetlinkEvent | undefined;
    try {
      event = decodeEvent(m);
    } catch (e) {
      if (this.listenerCount('error') > 0) this.emit('error', e as Error);
      return;
    }
    if (event?.kind === 'link') this.emit('link', event);
    else if (event?.kind === 'address') this.emit('address', event);
    else if (event?.kind === 'route') this.emit('route', event);
    else if (event?.kind === 'rule') this.emit('rule', event);
  }

  unref(): this { this.socket.ref(false); return this; }
  ref(): this { this.socket.ref(true); return this; }
  close(): void { this.socket.close(); }
  [Symbol.dispose](): void { this.close(); }
}
