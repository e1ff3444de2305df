// rtnetlink routes and policy rules (the kernel's include/uapi/linux/rtnetlink.h and fib_rules.h):
// RTM_NEWROUTE/DELROUTE/GETROUTE and RTM_NEWRULE/DELRULE/GETRULE. Pure: specs in, request payloads
// out, and kernel messages back to typed values. The Rtnetlink adapter (rtnetlink.ts) sends them.
//
//   struct rtmsg        { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }  12 bytes
//   struct fib_rule_hdr { u8 family, dst_len, src_len, tos, table, res1, res2, action; u32 flags; }     12 bytes
import { AF_INET, AF_INET6 } from './linux.ts';
import { readU32, writeI32, writeU16, writeU32 } from './host-order.ts';
import { ipFamily, ipFromBytes, ipToBytes, type Family } from './ip.ts';
import {
  NLM_F_CREATE, NLM_F_EXCL, NetlinkFormatError, attr, attributeMap, decodeAttributes, encodeAttributes, read,
  type AttributeSpec, type NetlinkMessage,
} from './netlink.ts';
import type { NetlinkRequest } from './netlink-socket.ts';

export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV4_RULE = 8;
export const RTNLGRP_IPV6_ROUTE = 11;
export const RTNLGRP_IPV6_RULE = 19;

export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;

export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;

/** fib_rule_hdr.action: look the packet up in the rule's table. */
export const FR_ACT_TO_TBL = 1;
export const RTNH_F_ONLINK = 4;

export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

export const ROUTE_TYPES = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9 } as const;
export type RouteType = keyof typeof ROUTE_TYPES;

/** Protocol numbers by iproute2's names (/etc/iproute2/rt_protos); keepalived marks its own routes 18. */
export const ROUTE_PROTOCOLS = { kernel: 2, boot: 3, static: 4, keepalived: 18 } as const;
export const RTPROT_KEEPALIVED = ROUTE_PROTOCOLS.keepalived;

const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;
const RTMSG = 12;
const FIB_RULE_HDR = 12;
const RTNEXTHOP = 8;

export interface RouteSpec {
  /** Taken from the destination when omitted. */
  family?: Family;
  /** The network address; 0.0.0.0 or :: with prefix 0 for a default route. */
  destination: string;
  prefixLength: number;
  /** The next hop (via/gw). */
  gateway?: string;
  /** The output interface (dev). */
  ifindex?: number;
  /** Preferred source address (src). */
  preferredSource?: string;
  /** rtm_scope; unset: link for a unicast route with no gateway (nor next hop through one), global otherwise (as iproute2). */
  scope?: number;
  /** Unset: main (254). */
  table?: number;
  /** RTA_PRIORITY (metric); unset: the kernel's default (0 for IPv4, 1024 for IPv6). */
  metric?: number;
  /** rtm_protocol; unset: keepalived's (18). */
  protocol?: number;
  /** The gateway is on the link even if no address of the interface covers it. */
  onlink?: boolean;
  /** Unset: unicast. */
  type?: RouteType;
  /** A multipath route's next hops (RTA_MULTIPATH), instead of one gateway and device. */
  nexthops?: NextHop[];
}

export interface NextHop {
  gateway?: string;
  ifindex?: number;
  /** 1..256; unset: 1. */
  weight?: number;
  onlink?: boolean;
}

export interface RouteInfo {
  family: Family;
  destination: string;
  prefixLength: number;
  gateway?: string;
  ifindex?: number;
  preferredSource?: string;
  scope: number;
  table: number;
  metric?: number;
  protocol: number;
  onlink: boolean;
  type: RouteType | number;
}

export interface RuleSpec {
  family: Family;
  /** Source prefix (from); unset: all. */
  from?: { address: string; prefixLength: number };
  /** Destination prefix (to); unset: all. */
  to?: { address: string; prefixLength: number };
  table: number;
  /** Preference (priority); unset: the kernel picks one below the lowest existing. */
  priority?: number;
  /** Input interface name (iif). */
  iif?: string;
  /** Output interface name (oif). */
  oif?: string;
  fwmark?: number;
  /** Unset with a fwmark: all 32 bits. */
  fwmask?: number;
}

export interface RuleInfo extends RuleSpec {
  action: number;
}

const afOf = (family: Family): number => (family === 4 ? AF_INET : AF_INET6);

function checkPrefix(family: Family, address: string, prefixLength: number, what: string): void {
  if (ipFamily(address) !== family) throw new Error(`${what} ${address} is not an IPv${family} address`);
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
    throw new Error(`bad prefix length ${prefixLength} for ${address}`);
  }
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new Error(`bad ${what} ${value}`);
}

function checkU8(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new Error(`bad ${what} ${value}`);
}

function routeFamily(spec: RouteSpec): Family {
  const f = ipFamily(spec.destination);
  if (f === undefined) throw new Error(`not an IP address: ${JSON.stringify(spec.destination)}`);
  if (spec.family !== undefined && spec.family !== f) throw new Error(`${spec.destination} is not an IPv${spec.family} address`);
  return f;
}

/** A table number in the 8-bit header field when it fits, else RT_TABLE_UNSPEC there and the attribute alone. */
const tableByte = (table: number): number => (table < 256 ? table : RT_TABLE_UNSPEC);

/**
 * The rtmsg and attributes of RTM_NEWROUTE, or of RTM_DELROUTE with `forDelete` (scope nowhere, which
 * the kernel takes as any scope, as iproute2 sends it).
 */
export function encodeRoute(spec: RouteSpec, { forDelete = false } = {}): Buffer {
  const family = routeFamily(spec);
  checkPrefix(family, spec.destination, spec.prefixLength, 'destination');
  const type = spec.type ?? 'unicast';
  if (ROUTE_TYPES[type] === undefined) throw new Error(`unknown route type ${JSON.stringify(type)}`);
  const table = spec.table ?? RT_TABLE_MAIN;
  checkU32(table, 'table');
  if (table === RT_TABLE_UNSPEC) throw new Error('table 0 is not a routing table');
  const protocol = spec.protocol ?? RTPROT_KEEPALIVED;
  checkU8(protocol, 'protocol');
  if (type !== 'unicast' && (spec.gateway !== undefined || spec.ifindex !== undefined)) {
    throw new Error(`a ${type} route has neither a gateway nor a device`);
  }
  if (spec.onlink && spec.gateway === undefined) throw new Error('onlink needs a gateway');
  const scope = forDelete ? RT_SCOPE_NOWHERE
    : spec.scope ?? (type === 'unicast' && spec.gateway === undefined && !spec.nexthops?.some((h) => h.gateway !== undefined) ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  checkU8(scope, 'scope');
  const head = Buffer.alloc(RTMSG);
  head.writeUInt8(afOf(family), 0);
  head.writeUInt8(spec.prefixLength, 1);
  head.writeUInt8(tableByte(table), 4);
  head.writeUInt8(protocol, 5);
  head.writeUInt8(scope, 6);
  head.writeUInt8(ROUTE_TYPES[type], 7);
  writeU32(head, spec.onlink ? RTNH_F_ONLINK : 0, 8);
  const attrs: AttributeSpec[] = [[RTA_TABLE, attr.u32(table)]];
  if (spec.prefixLength > 0) attrs.push([RTA_DST, ipToBytes(spec.destination)]);
  if (spec.gateway !== undefined) {
    if (ipFamily(spec.gateway) !== family) throw new Error(`gateway ${spec.gateway} is not an IPv${family} address`);
    attrs.push([RTA_GATEWAY, ipToBytes(spec.gateway)]);
  }
  if (spec.ifindex !== undefined) {
    if (!Number.isInteger(spec.ifindex) || spec.ifindex <= 0) throw new Error(`bad interface index ${spec.ifindex}`);
    attrs.push([RTA_OIF, attr.u32(spec.ifindex)]);
  }
  if (spec.preferredSource !== undefined) {
    if (ipFamily(spec.preferredSource) !== family) throw new Error(`source ${spec.preferredSource} is not an IPv${family} address`);
    attrs.push([RTA_PREFSRC, ipToBytes(spec.preferredSource)]);
  }
  if (spec.metric !== undefined) {
    checkU32(spec.metric, 'metric');
    attrs.push([RTA_PRIORITY, attr.u32(spec.metric)]);
  }
  if (spec.nexthops !== undefined) {
    if (spec.gateway !== undefined || spec.ifindex !== undefined || type !== 'unicast') throw new Error('a multipath route has its gateways and devices in its next hops only');
    attrs.push([RTA_MULTIPATH, encodeNextHops(family, spec.nexthops)]);
  }
  return Buffer.concat([head, encodeAttributes(attrs)]);
}

/** struct rtnexthop { u16 len; u8 flags; u8 hops (weight - 1); s32 ifindex; } and its RTA_GATEWAY, for each hop. */
function encodeNextHops(family: Family, hops: readonly NextHop[]): Buffer {
  if (hops.length < 2) throw new Error('a multipath route needs at least two next hops');
  return Buffer.concat(hops.map((hop) => {
    const weight = hop.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > 256) throw new Error(`bad next hop weight ${weight}`);
    if (hop.gateway === undefined && hop.ifindex === undefined) throw new Error('a next hop needs a gateway or a device');
    if (hop.onlink && hop.gateway === undefined) throw new Error('onlink needs a gateway');
    const attrs: AttributeSpec[] = [];
    if (hop.gateway !== undefined) {
      if (ipFamily(hop.gateway) !== family) throw new Error(`gateway ${hop.gateway} is not an IPv${family} address`);
      attrs.push([RTA_GATEWAY, ipToBytes(hop.gateway)]);
    }
    const body = encodeAttributes(attrs);
    const head = Buffer.alloc(RTNEXTHOP);
    writeU16(head, RTNEXTHOP + body.length, 0);
    head.writeUInt8(hop.onlink ? RTNH_F_ONLINK : 0, 2);
    head.writeUInt8(weight - 1, 3);
    writeI32(head, hop.ifindex ?? 0, 4);
    return Buffer.concat([head, body]);
  }));
}

export function addRouteRequest(spec: RouteSpec): NetlinkRequest {
  return { type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_EXCL, payload: encodeRoute(spec) };
}

export function deleteRouteRequest(spec: RouteSpec): NetlinkRequest {
  return { type: RTM_DELROUTE, payload: encodeRoute(spec, { forDelete: true }) };
}

/** A dump of every route of one family, every table. */
export function getRoutesRequest(family: Family): NetlinkRequest {
  const head = Buffer.alloc(RTMSG);
  head.writeUInt8(afOf(family), 0);
  return { type: RTM_GETROUTE, payload: head };
}

function familyOfHeader(af: number, what: string): Family {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  throw new NetlinkFormatError(`${what}: address family ${af} is neither AF_INET nor AF_INET6`);
}

function addressAttr(a: Map<number, Buffer>, type: number, family: Family, name: string): string | undefined {
  const d = a.get(type);
  if (d === undefined) return undefined;
  if (d.length !== (family === 4 ? 4 : 16)) throw new NetlinkFormatError(`${name}: ${d.length} bytes for an IPv${family} address`);
  return ipFromBytes(d);
}

export function decodeRoute(message: NetlinkMessage): RouteInfo {
  const p = message.payload;
  if (p.length < RTMSG) throw new NetlinkFormatError(`rtmsg: ${p.length} bytes, need ${RTMSG}`);
  const family = familyOfHeader(p.readUInt8(0), 'rtmsg');
  const a = attributeMap(decodeAttributes(p.subarray(RTMSG), 'rtmsg attributes'));
  const typeNumber = p.readUInt8(7);
  const info: RouteInfo = {
    family,
    destination: addressAttr(a, RTA_DST, family, 'RTA_DST') ?? (family === 4 ? '0.0.0.0' : '::'),
    prefixLength: p.readUInt8(1),
    scope: p.readUInt8(6),
    table: a.has(RTA_TABLE) ? read.u32(a.get(RTA_TABLE)!, 'RTA_TABLE') : p.readUInt8(4),
    protocol: p.readUInt8(5),
    onlink: (readU32(p, 8) & RTNH_F_ONLINK) !== 0,
    type: (Object.keys(ROUTE_TYPES) as RouteType[]).find((t) => ROUTE_TYPES[t] === typeNumber) ?? typeNumber,
  };
  const gateway = addressAttr(a, RTA_GATEWAY, family, 'RTA_GATEWAY');
  if (gateway !== undefined) info.gateway = gateway;
  if (a.has(RTA_OIF)) info.ifindex = read.u32(a.get(RTA_OIF)!, 'RTA_OIF');
  const source = addressAttr(a, RTA_PREFSRC, family, 'RTA_PREFSRC');
  if (source !== undefined) info.preferredSource = source;
  if (a.has(RTA_PRIORITY)) info.metric = read.u32(a.get(RTA_PRIORITY)!, 'RTA_PRIORITY');
  return info;
}

/** The fib_rule_hdr and attributes of RTM_NEWRULE or RTM_DELRULE. */
export function encodeRule(spec: RuleSpec): Buffer {
  const { family } = spec;
  if (family !== 4 && family !== 6) throw new Error(`bad family ${String(family)}`);
  checkU32(spec.table, 'table');
  if (spec.table === RT_TABLE_UNSPEC) throw new Error('table 0 is not a routing table');
  const head = Buffer.alloc(FIB_RULE_HDR);
  head.writeUInt8(afOf(family), 0);
  head.writeUInt8(spec.to?.prefixLength ?? 0, 1);
  head.writeUInt8(spec.from?.prefixLength ?? 0, 2);
  head.writeUInt8(tableByte(spec.table), 4);
  head.writeUInt8(FR_ACT_TO_TBL, 7);
  const attrs: AttributeSpec[] = [[FRA_TABLE, attr.u32(spec.table)]];
  if (spec.from !== undefined) {
    checkPrefix(family, spec.from.address, spec.from.prefixLength, 'from');
    attrs.push([FRA_SRC, ipToBytes(spec.from.address)]);
  }
  if (spec.to !== undefined) {
    checkPrefix(family, spec.to.address, spec.to.prefixLength, 'to');
    attrs.push([FRA_DST, ipToBytes(spec.to.address)]);
  }
  if (spec.priority !== undefined) {
    checkU32(spec.priority, 'priority');
    attrs.push([FRA_PRIORITY, attr.u32(spec.priority)]);
  }
  for (const [type, name, what] of [[FRA_IIFNAME, spec.iif, 'iif'], [FRA_OIFNAME, spec.oif, 'oif']] as const) {
    if (name === undefined) continue;
    if (!/^[^\s/:]{1,15}$/.test(name)) throw new Error(`bad ${what} interface name ${JSON.stringify(name)}`);
    attrs.push([type, attr.string(name)]);
  }
  if (spec.fwmark !== undefined) {
    checkU32(spec.fwmark, 'fwmark');
    attrs.push([FRA_FWMARK, attr.u32(spec.fwmark)]);
    if (spec.fwmask !== undefined) {
      checkU32(spec.fwmask, 'fwmask');
      attrs.push([FRA_FWMASK, attr.u32(spec.fwmask)]);
    }
  } else if (spec.fwmask !== undefined) {
    throw new Error('a fwmask needs a fwmark');
  }
  return Buffer.concat([head, encodeAttributes(attrs)]);
}

export function addRuleRequest(spec: RuleSpec): NetlinkRequest {
  return { type: RTM_NEWRULE, flags: NLM_F_CREATE | NLM_F_EXCL, payload: encodeRule(spec) };
}

export function deleteRuleRequest(spec: RuleSpec): NetlinkRequest {
  return { type: RTM_DELRULE, payload: encodeRule(spec) };
}

export function getRulesRequest(family: Family): NetlinkRequest {
  const head = Buffer.alloc(FIB_RULE_HDR);
  head.writeUInt8(afOf(family), 0);
  return { type: RTM_GETRULE, payload: head };
}

export function decodeRule(message: NetlinkMessage): RuleInfo {
  const p = message.payload;
  if (p.length < FIB_RULE_HDR) throw new NetlinkFormatError(`fib_rule_hdr: ${p.length} bytes, need ${FIB_RULE_HDR}`);
  const family = familyOfHeader(p.readUInt8(0), 'fib_rule_hdr');
  const a = attributeMap(decodeAttributes(p.subarray(FIB_RULE_HDR), 'fib_rule_hdr attributes'));
  const info: RuleInfo = {
    family,
    table: a.has(FRA_TABLE) ? read.u32(a.get(FRA_TABLE)!, 'FRA_TABLE') : p.readUInt8(4),
    action: p.readUInt8(7),
  };
  const from = addressAttr(a, FRA_SRC, family, 'FRA_SRC');
  if (from !== undefined) info.from = { address: from, prefixLength: p.readUInt8(2) };
  const to = addressAttr(a, FRA_DST, family, 'FRA_DST');
  if (to !== undefined) info.to = { address: to, prefixLength: p.readUInt8(1) };
  if (a.has(FRA_PRIORITY)) info.priority = read.u32(a.get(FRA_PRIORITY)!, 'FRA_PRIORITY');
  if (a.has(FRA_IIFNAME)) info.iif = read.string(a.get(FRA_IIFNAME)!);
  if (a.has(FRA_OIFNAME)) info.oif = read.string(a.get(FRA_OIFNAME)!);
  if (a.has(FRA_FWMARK)) info.fwmark = read.u32(a.get(FRA_FWMARK)!, 'FRA_FWMARK');
  if (a.has(FRA_FWMASK)) info.fwmask = read.u32(a.get(FRA_FWMASK)!, 'FRA_FWMASK');
  return info;
}

/** Whether the kernel's route is the one the spec asked for (as the kernel identifies a route). */
export function routeMatches(spec: RouteSpec, route: RouteInfo): boolean {
  return routeFamily(spec) === route.family
    && spec.destination === route.destination && spec.prefixLength === route.prefixLength
    && (spec.table ?? RT_TABLE_MAIN) === route.table
    && (spec.type ?? 'unicast') === route.type
    && (spec.metric === undefined || spec.metric === route.metric)
    && (spec.gateway === undefined || spec.gateway === route.gateway)
    && (spec.ifindex === undefined || spec.ifindex === route.ifindex);
}

/** Whether the kernel's rule is the one the spec asked for. */
export function ruleMatches(spec: RuleSpec, rule: RuleInfo): boolean {
  const samePrefix = (x?: { address: string; prefixLength: number }, y?: { address: string; prefixLength: number }): boolean =>
    x?.address === y?.address && x?.prefixLength === y?.prefixLength;
  return spec.family === rule.family && spec.table === rule.table
    && samePrefix(spec.from, rule.from) && samePrefix(spec.to, rule.to)
    && (spec.priority === undefined || spec.priority === rule.priority)
    && spec.iif === rule.iif && spec.oif === rule.oif
    && spec.fwmark === rule.fwmark && (spec.fwmark === undefined || (spec.fwmask ?? 0xffff_ffff) === (rule.fwmask ?? 0xffff_ffff));
}
