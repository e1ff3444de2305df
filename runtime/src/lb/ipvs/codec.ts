// The IPVS generic netlink family "IPVS" (the kernel's include/uapi/linux/ip_vs.h and
// net/netfilter/ipvs/ip_vs_ctl.c): requests for services and destinations, and decoders for the
// kernel's dumps. Pure: the family id is resolved at run time (ipvs.ts) and passed in.
//
// A service is keyed by (family, protocol, address, port) or by (family, fwmark); a destination by
// (address, port) within its service. Addresses travel as 16 bytes (IPv4 in the first 4) and ports in
// network order; every other number is in host order.
import { AF_INET, AF_INET6 } from '../../net/linux.ts';
import { readU32, writeU32 } from '../../net/host-order.ts';
import { canonicalIp, ipFamily, ipFromBytes, ipToBytes, type Family } from '../../net/ip.ts';
import { NetlinkFormatError, attr, attributeMap, decodeAttributes, read, type AttributeSpec, type NetlinkMessage } from '../../net/netlink.ts';
import type { NetlinkRequest } from '../../net/netlink-socket.ts';
import type { TrafficCounters } from '../model.ts';
import { decodeGeneric, genericRequest } from '../../net/genetlink.ts';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IPVS_CMD_NEW_SERVICE = 1;
export const IPVS_CMD_SET_SERVICE = 2;
export const IPVS_CMD_DEL_SERVICE = 3;
export const IPVS_CMD_GET_SERVICE = 4;
export const IPVS_CMD_NEW_DEST = 5;
export const IPVS_CMD_SET_DEST = 6;
export const IPVS_CMD_DEL_DEST = 7;
export const IPVS_CMD_GET_DEST = 8;
export const IPVS_CMD_NEW_DAEMON = 9;
export const IPVS_CMD_DEL_DAEMON = 10;
export const IPVS_CMD_GET_DAEMON = 11;
/** The command of GET_INFO's answer. */
export const IPVS_CMD_SET_INFO = 14;
export const IPVS_CMD_GET_INFO = 15;
export const IPVS_CMD_FLUSH = 17;

export const IPVS_CMD_ATTR_SERVICE = 1;
export const IPVS_CMD_ATTR_DEST = 2;
export const IPVS_CMD_ATTR_DAEMON = 3;

export const IPVS_DAEMON_ATTR_STATE = 1;
export const IPVS_DAEMON_ATTR_MCAST_IFN = 2;
export const IPVS_DAEMON_ATTR_SYNC_ID = 3;
export const IPVS_DAEMON_ATTR_SYNC_MAXLEN = 4;
export const IPVS_DAEMON_ATTR_MCAST_GROUP = 5;
export const IPVS_DAEMON_ATTR_MCAST_GROUP6 = 6;
export const IPVS_DAEMON_ATTR_MCAST_PORT = 7;
export const IPVS_DAEMON_ATTR_MCAST_TTL = 8;

/** IP_VS_STATE_MASTER and IP_VS_STATE_BACKUP: the kernel runs at most one sync thread set of each. */
export const SYNC_STATES = { master: 1, backup: 2 } as const;
export type SyncState = keyof typeof SYNC_STATES;

export const IPVS_SVC_ATTR_AF = 1;
export const IPVS_SVC_ATTR_PROTOCOL = 2;
export const IPVS_SVC_ATTR_ADDR = 3;
export const IPVS_SVC_ATTR_PORT = 4;
export const IPVS_SVC_ATTR_FWMARK = 5;
export const IPVS_SVC_ATTR_SCHED_NAME = 6;
export const IPVS_SVC_ATTR_FLAGS = 7;
export const IPVS_SVC_ATTR_TIMEOUT = 8;
export const IPVS_SVC_ATTR_NETMASK = 9;
export const IPVS_SVC_ATTR_STATS = 10;
export const IPVS_SVC_ATTR_PE_NAME = 11;
export const IPVS_SVC_ATTR_STATS64 = 12;

export const IPVS_DEST_ATTR_ADDR = 1;
export const IPVS_DEST_ATTR_PORT = 2;
export const IPVS_DEST_ATTR_FWD_METHOD = 3;
export const IPVS_DEST_ATTR_WEIGHT = 4;
export const IPVS_DEST_ATTR_U_THRESH = 5;
export const IPVS_DEST_ATTR_L_THRESH = 6;
export const IPVS_DEST_ATTR_ACTIVE_CONNS = 7;
export const IPVS_DEST_ATTR_INACT_CONNS = 8;
export const IPVS_DEST_ATTR_PERSIST_CONNS = 9;
export const IPVS_DEST_ATTR_STATS = 10;
export const IPVS_DEST_ATTR_ADDR_FAMILY = 11;
export const IPVS_DEST_ATTR_STATS64 = 12;

/** Inside a STATS or STATS64 nest; the rates after these (cps, pps, bps) are not read. */
export const IPVS_STATS_ATTR_CONNS = 1;
export const IPVS_STATS_ATTR_INPKTS = 2;
export const IPVS_STATS_ATTR_OUTPKTS = 3;
export const IPVS_STATS_ATTR_INBYTES = 4;
export const IPVS_STATS_ATTR_OUTBYTES = 5;

export const IPVS_INFO_ATTR_VERSION = 1;
export const IPVS_INFO_ATTR_CONN_TAB_SIZE = 2;

export const IP_VS_SVC_F_PERSISTENT = 0x1;
/** Set by the kernel on every service in its hash table; never ours to set or compare. */
export const IP_VS_SVC_F_HASHED = 0x2;
export const IP_VS_SVC_F_ONEPACKET = 0x4;

/** The kernel's name buffers are 16 and 32 bytes, NUL included. */
const SCHEDNAME_MAX = 15;
const PENAME_MAX = 31;
const ADDR_BYTES = 16;

export const PROTOCOLS = { tcp: 6, udp: 17, sctp: 132 } as const;
export type IpvsProtocol = keyof typeof PROTOCOLS;

/** IP_VS_CONN_F_MASQ, _LOCALNODE, _TUNNEL, _DROUTE, in the order of their values 0..3. */
export const FORWARD_METHODS = ['masq', 'local', 'tunnel', 'route'] as const;
export type IpvsForward = (typeof FORWARD_METHODS)[number];
const IP_VS_CONN_F_FWD_MASK = 0x7;

export type IpvsServiceKey =
  | { family: Family; protocol: IpvsProtocol; address: string; port: number }
  | { family: Family; protocol: 'fwmark'; fwmark: number };

export type IpvsService = IpvsServiceKey & {
  scheduler: string;
  /** 0: not persistent. Otherwise the persistence timeout, and IP_VS_SVC_F_PERSISTENT is set. */
  persistenceSeconds: number;
  /** Persistence granularity as a prefix length: 32 (IPv4) or 128 (IPv6) for one client address. */
  netmask: number;
  /** IP_VS_SVC_F_* other than PERSISTENT (from persistenceSeconds) and HASHED (the kernel's). */
  flags: number;
  /** Persistence engine, e.g. "sip". */
  peName?: string;
};

export interface IpvsDestination {
  address: string;
  port: number;
  forward: IpvsForward;
  weight: number;
  /** Connection thresholds; 0 is no limit. */
  upperThreshold: number;
  lowerThreshold: number;
  /** Only in dumps. */
  activeConns?: number;
  inactiveConns?: number;
}

/** The kernel's connection sync daemon (ip_vs_sync.c) in one role; unset numbers are the kernel's defaults. */
export interface IpvsSyncDaemon {
  state: SyncState;
  /** The interface it sends or listens on (mcast_ifn), at most 15 bytes. */
  interface: string;
  /** 0..255. */
  syncId: number;
  maxLen?: number;
  port?: number;
  ttl?: number;
  /** The multicast group, IPv4 or IPv6. */
  group?: string;
}

export interface IpvsInfo {
  /** "1.2.1" */
  version: string;
  connTableSize: number;
}

/** "tcp 198.18.0.100:80", "udp [2001:db8::1]:53", "fwmark 7 (IPv6)": for messages and operation names. */
export function describeService(key: IpvsServiceKey): string {
  if (key.protocol === 'fwmark') return `fwmark ${key.fwmark}${key.family === 6 ? ' (IPv6)' : ''}`;
  return `${key.protocol} ${hostPort(key.address, key.port)}`;
}

export function describeDestination(d: Pick<IpvsDestination, 'address' | 'port'>): string {
  return hostPort(d.address, d.port);
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

// Encoding

function u32In(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} must be an integer from ${min} to ${max}, not ${value}`);
  return value;
}

function familyAf(family: Family): Buffer {
  return attr.u16(family === 4 ? AF_INET : AF_INET6);
}

function address16(address: string, family: Family, what: string): Buffer {
  if (ipFamily(address) !== family) throw new RangeError(`${what} ${JSON.stringify(address)} is not an IPv${family} address`);
  const out = Buffer.alloc(ADDR_BYTES);
  ipToBytes(address).copy(out);
  return out;
}

function port16(port: number, what: string): Buffer {
  u32In(port, 0, 0xffff, what);
  return Buffer.from([port >> 8, port & 0xff]);
}

/** IPv4: the mask itself in network order (as ipvsadm sends it); IPv6: the prefix length. */
function netmaskBytes(family: Family, prefix: number): Buffer {
  if (family === 6) return attr.u32(u32In(prefix, 1, 128, 'IPv6 persistence netmask'));
  u32In(prefix, 0, 32, 'IPv4 persistence netmask');
  const b = Buffer.alloc(4);
  b.writeUInt32BE(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
  return b;
}

function keyAttributes(key: IpvsServiceKey): AttributeSpec[] {
  if (key.protocol === 'fwmark') {
    return [[IPVS_SVC_ATTR_AF, familyAf(key.family)], [IPVS_SVC_ATTR_FWMARK, attr.u32(u32In(key.fwmark, 1, 0xffffffff, 'fwmark'))]];
  }
  const protocol = PROTOCOLS[key.protocol];
  if (protocol === undefined) throw new RangeError(`unknown IPVS protocol ${JSON.stringify(key.protocol)}; tcp, udp, sctp or fwmark`);
  return [
    [IPVS_SVC_ATTR_AF, familyAf(key.family)],
    [IPVS_SVC_ATTR_PROTOCOL, attr.u16(protocol)],
    [IPVS_SVC_ATTR_ADDR, address16(key.address, key.family, 'service address')],
    [IPVS_SVC_ATTR_PORT, port16(key.port, 'service port')],
  ];
}

/** The kernel wants every one of these on NEW and SET (ip_vs_genl_parse_service's full entry). */
function serviceAttributes(s: IpvsService): AttributeSpec[] {
  if (s.scheduler.length === 0 || Buffer.byteLength(s.scheduler) > SCHEDNAME_MAX) throw new RangeError(`scheduler name ${JSON.stringify(s.scheduler)} must be 1 to ${SCHEDNAME_MAX} bytes`);
  if (s.peName !== undefined && Buffer.byteLength(s.peName) > PENAME_MAX) throw new RangeError(`persistence engine name ${JSON.stringify(s.peName)} is longer than ${PENAME_MAX} bytes`);
  u32In(s.persistenceSeconds, 0, Math.floor(0xffffffff / 1000), 'persistence timeout (seconds)');
  u32In(s.flags, 0, 0xffffffff, 'service flags');
  const flags = Buffer.alloc(8);
  // struct ip_vs_flags { u32 flags; u32 mask; }: the mask says which bits this request sets.
  writeU32(flags, (s.flags & ~(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_HASHED)) | (s.persistenceSeconds > 0 ? IP_VS_SVC_F_PERSISTENT : 0), 0);
  writeU32(flags, 0xffffffff, 4);
  const list: AttributeSpec[] = [
    ...keyAttributes(s),
    [IPVS_SVC_ATTR_SCHED_NAME, attr.string(s.scheduler)],
    [IPVS_SVC_ATTR_FLAGS, flags],
    [IPVS_SVC_ATTR_TIMEOUT, attr.u32(s.persistenceSeconds)],
    [IPVS_SVC_ATTR_NETMASK, netmaskBytes(s.family, s.netmask)],
  ];
  if (s.peName) list.push([IPVS_SVC_ATTR_PE_NAME, attr.string(s.peName)]);
  return list;
}

function destinationAttributes(d: IpvsDestination): AttributeSpec[] {
  const family = ipFamily(d.address);
  if (family === undefined) throw new RangeError(`destination address ${JSON.stringify(d.address)} is not an IP address`);
  const forward = FORWARD_METHODS.indexOf(d.forward);
  if (forward < 0) throw new RangeError(`unknown forwarding method ${JSON.stringify(d.forward)}; ${FORWARD_METHODS.join(', ')}`);
  return [
    [IPVS_DEST_ATTR_ADDR, address16(d.address, family, 'destination address')],
    [IPVS_DEST_ATTR_PORT, port16(d.port, 'destination port')],
    [IPVS_DEST_ATTR_FWD_METHOD, attr.u32(forward)],
    [IPVS_DEST_ATTR_WEIGHT, attr.u32(u32In(d.weight, 0, 0x7fffffff, 'weight'))],
    [IPVS_DEST_ATTR_U_THRESH, attr.u32(u32In(d.upperThreshold, 0, 0xffffffff, 'upper threshold'))],
    [IPVS_DEST_ATTR_L_THRESH, attr.u32(u32In(d.lowerThreshold, 0, 0xffffffff, 'lower threshold'))],
    [IPVS_DEST_ATTR_ADDR_FAMILY, familyAf(family)],
  ];
}

/** IP_VS_IFNAME_MAXLEN is 16, NUL included. */
const IFNAME_MAX = 15;

/** The kernel requires STATE, MCAST_IFN and SYNC_ID (ip_vs_genl_new_daemon); the rest only when set. */
function daemonAttributes(d: IpvsSyncDaemon): AttributeSpec[] {
  const state = SYNC_STATES[d.state];
  if (state === undefined) throw new RangeError(`sync daemon state ${JSON.stringify(d.state)} is neither master nor backup`);
  if (d.interface.length === 0 || Buffer.byteLength(d.interface) > IFNAME_MAX) throw new RangeError(`sync daemon interface ${JSON.stringify(d.interface)} must be 1 to ${IFNAME_MAX} bytes`);
  const list: AttributeSpec[] = [
    [IPVS_DAEMON_ATTR_STATE, attr.u32(state)],
    [IPVS_DAEMON_ATTR_MCAST_IFN, attr.string(d.interface)],
    [IPVS_DAEMON_ATTR_SYNC_ID, attr.u32(u32In(d.syncId, 0, 255, 'sync id'))],
  ];
  if (d.maxLen !== undefined) list.push([IPVS_DAEMON_ATTR_SYNC_MAXLEN, attr.u16(u32In(d.maxLen, 1, 0xffff, 'sync maxlen'))]);
  if (d.group !== undefined) {
    const family = ipFamily(d.group);
    if (family === undefined) throw new RangeError(`sync group ${JSON.stringify(d.group)} is not an IP address`);
    // IPv4 as in_addr (network order), IPv6 as in6_addr: the kernel's nla_get_in_addr / nla_get_in6_addr.
    list.push([family === 4 ? IPVS_DAEMON_ATTR_MCAST_GROUP : IPVS_DAEMON_ATTR_MCAST_GROUP6, ipToBytes(d.group)]);
  }
  // The port in host order: the kernel reads it with nla_get_u16 and converts it itself.
  if (d.port !== undefined) list.push([IPVS_DAEMON_ATTR_MCAST_PORT, attr.u16(u32In(d.port, 1, 0xffff, 'sync port'))]);
  if (d.ttl !== undefined) list.push([IPVS_DAEMON_ATTR_MCAST_TTL, Buffer.from([u32In(d.ttl, 1, 255, 'sync ttl')])]);
  return list;
}

const request = (familyId: number, cmd: number, attributes: readonly AttributeSpec[], flags = 0): NetlinkRequest =>
  genericRequest(familyId, cmd, IPVS_GENL_VERSION, attributes, flags);

export const newServiceRequest = (familyId: number, s: IpvsService): NetlinkRequest =>
  request(familyId, IPVS_CMD_NEW_SERVICE, [[IPVS_CMD_ATTR_SERVICE, serviceAttributes(s)]]);
export const setServiceRequest = (familyId: number, s: IpvsService): NetlinkRequest =>
  request(familyId, IPVS_CMD_SET_SERVICE, [[IPVS_CMD_ATTR_SERVICE, serviceAttributes(s)]]);
export const deleteServiceRequest = (familyId: number, key: IpvsServiceKey): NetlinkRequest =>
  request(familyId, IPVS_CMD_DEL_SERVICE, [[IPVS_CMD_ATTR_SERVICE, keyAttributes(key)]]);
/** A dump of every service, both families. */
export const getServicesRequest = (familyId: number): NetlinkRequest =>
  request(familyId, IPVS_CMD_GET_SERVICE, []);

export const newDestinationRequest = (familyId: number, key: IpvsServiceKey, d: IpvsDestination): NetlinkRequest =>
  request(familyId, IPVS_CMD_NEW_DEST, [[IPVS_CMD_ATTR_SERVICE, keyAttributes(key)], [IPVS_CMD_ATTR_DEST, destinationAttributes(d)]]);
export const setDestinationRequest = (familyId: number, key: IpvsServiceKey, d: IpvsDestination): NetlinkRequest =>
  request(familyId, IPVS_CMD_SET_DEST, [[IPVS_CMD_ATTR_SERVICE, keyAttributes(key)], [IPVS_CMD_ATTR_DEST, destinationAttributes(d)]]);
/** The kernel parses a full destination entry even to delete one; the key is (address, port). */
export const deleteDestinationRequest = (familyId: number, key: IpvsServiceKey, d: IpvsDestination): NetlinkRequest =>
  request(familyId, IPVS_CMD_DEL_DEST, [[IPVS_CMD_ATTR_SERVICE, keyAttributes(key)], [IPVS_CMD_ATTR_DEST, destinationAttributes(d)]]);
/** A dump of one service's destinations. */
export const getDestinationsRequest = (familyId: number, key: IpvsServiceKey): NetlinkRequest =>
  request(familyId, IPVS_CMD_GET_DEST, [[IPVS_CMD_ATTR_SERVICE, keyAttributes(key)]]);

export const getInfoRequest = (familyId: number): NetlinkRequest => request(familyId, IPVS_CMD_GET_INFO, []);

/** Starts the sync daemon in one role; the kernel answers EEXIST when that role already runs. */
export const newDaemonRequest = (familyId: number, d: IpvsSyncDaemon): NetlinkRequest =>
  request(familyId, IPVS_CMD_NEW_DAEMON, [[IPVS_CMD_ATTR_DAEMON, daemonAttributes(d)]]);
/** Stops the sync daemon's role; the kernel answers ESRCH when it does not run. Only the state is read. */
export const deleteDaemonRequest = (familyId: number, state: SyncState): NetlinkRequest =>
  request(familyId, IPVS_CMD_DEL_DAEMON, [[IPVS_CMD_ATTR_DAEMON, [[IPVS_DAEMON_ATTR_STATE, attr.u32(SYNC_STATES[state])]]]]);
/** A dump of the running roles, one message each (as `ipvsadm --list --daemon` shows them). */
export const getDaemonsRequest = (familyId: number): NetlinkRequest => request(familyId, IPVS_CMD_GET_DAEMON, []);

// Decoding

function need(a: Map<number, Buffer>, type: number, name: string, where: string): Buffer {
  const v = a.get(type);
  if (v === undefined) throw new NetlinkFormatError(`${where}: no ${name} attribute`);
  return v;
}

function decodeFamily(data: Buffer, where: string): Family {
  const af = read.u16(data, `${where} address family`);
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  throw new NetlinkFormatError(`${where}: address family ${af} is neither AF_INET nor AF_INET6`);
}

function decodeAddress(data: Buffer, family: Family, where: string): string {
  const size = family === 4 ? 4 : 16;
  if (data.length < size) throw new NetlinkFormatError(`${where}: address of ${data.length} bytes, IPv${family} needs ${size}`);
  return ipFromBytes(data.subarray(0, size));
}

function decodePort(data: Buffer, where: string): number {
  if (data.length < 2) throw new NetlinkFormatError(`${where}: port of ${data.length} bytes, need 2`);
  return data.readUInt16BE(0);
}

function decodeNetmask(data: Buffer, family: Family, where: string): number {
  if (family === 6) return read.u32(data, `${where} netmask`);
  if (data.length < 4) throw new NetlinkFormatError(`${where}: netmask of ${data.length} bytes, need 4`);
  const mask = data.readUInt32BE(0);
  const prefix = 32 - Math.log2(((~mask) >>> 0) + 1);
  if (!Number.isInteger(prefix)) throw new NetlinkFormatError(`${where}: netmask ${ipFromBytes(data.subarray(0, 4))} is not a prefix`);
  return prefix;
}

/** The nested attributes under `type` of a GET_SERVICE/GET_DEST answer, after checking its command. */
function nestedOf(message: NetlinkMessage, cmd: number, type: number, what: string): Map<number, Buffer> {
  const genl = decodeGeneric(message, what);
  if (genl.cmd !== cmd) throw new NetlinkFormatError(`${what}: command ${genl.cmd}, expected ${cmd}`);
  const top = attributeMap(decodeAttributes(genl.attributes, what));
  return attributeMap(decodeAttributes(need(top, type, 'nested', what), what));
}

/** One message of a GET_SERVICE dump (the kernel answers with IPVS_CMD_NEW_SERVICE). */
export function decodeService(message: NetlinkMessage): IpvsService {
  const where = 'IPVS service';
  const a = nestedOf(message, IPVS_CMD_NEW_SERVICE, IPVS_CMD_ATTR_SERVICE, where);
  const family = decodeFamily(need(a, IPVS_SVC_ATTR_AF, 'AF', where), where);
  const fwmarkData = a.get(IPVS_SVC_ATTR_FWMARK);
  const fwmark = fwmarkData === undefined ? 0 : read.u32(fwmarkData, `${where} fwmark`);
  let key: IpvsServiceKey;
  if (fwmark !== 0) {
    key = { family, protocol: 'fwmark', fwmark };
  } else {
    const number = read.u16(need(a, IPVS_SVC_ATTR_PROTOCOL, 'PROTOCOL', where), `${where} protocol`);
    const protocol = (Object.keys(PROTOCOLS) as IpvsProtocol[]).find((p) => PROTOCOLS[p] === number);
    if (protocol === undefined) throw new NetlinkFormatError(`${where}: IP protocol ${number} is not tcp, udp or sctp`);
    key = {
      family, protocol,
      address: decodeAddress(need(a, IPVS_SVC_ATTR_ADDR, 'ADDR', where), family, where),
      port: decodePort(need(a, IPVS_SVC_ATTR_PORT, 'PORT', where), where),
    };
  }
  const flagsData = need(a, IPVS_SVC_ATTR_FLAGS, 'FLAGS', where);
  if (flagsData.length < 8) throw new NetlinkFormatError(`${where}: FLAGS of ${flagsData.length} bytes, struct ip_vs_flags needs 8`);
  const flags = readU32(flagsData, 0);
  const timeout = read.u32(need(a, IPVS_SVC_ATTR_TIMEOUT, 'TIMEOUT', where), `${where} timeout`);
  const service: IpvsService = {
    ...key,
    scheduler: read.string(need(a, IPVS_SVC_ATTR_SCHED_NAME, 'SCHED_NAME', where)),
    persistenceSeconds: flags & IP_VS_SVC_F_PERSISTENT ? timeout : 0,
    netmask: decodeNetmask(need(a, IPVS_SVC_ATTR_NETMASK, 'NETMASK', where), family, where),
    flags: flags & ~(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_HASHED),
  };
  const pe = a.get(IPVS_SVC_ATTR_PE_NAME);
  if (pe !== undefined && read.string(pe) !== '') service.peName = read.string(pe);
  return service;
}

/**
 * One message of a GET_DEST dump (answered as IPVS_CMD_NEW_DEST). Kernels before 4.3 send no
 * ADDR_FAMILY; the destination then has its service's family.
 */
export function decodeDestination(message: NetlinkMessage, serviceFamily: Family): IpvsDestination {
  const where = 'IPVS destination';
  const a = nestedOf(message, IPVS_CMD_NEW_DEST, IPVS_CMD_ATTR_DEST, where);
  const af = a.get(IPVS_DEST_ATTR_ADDR_FAMILY);
  const family = af === undefined ? serviceFamily : decodeFamily(af, where);
  const method = read.u32(need(a, IPVS_DEST_ATTR_FWD_METHOD, 'FWD_METHOD', where), `${where} forwarding method`) & IP_VS_CONN_F_FWD_MASK;
  const forward = FORWARD_METHODS[method];
  if (forward === undefined) throw new NetlinkFormatError(`${where}: forwarding method ${method} is none of ${FORWARD_METHODS.join(', ')}`);
  const d: IpvsDestination = {
    address: decodeAddress(need(a, IPVS_DEST_ATTR_ADDR, 'ADDR', where), family, where),
    port: decodePort(need(a, IPVS_DEST_ATTR_PORT, 'PORT', where), where),
    forward,
    weight: read.i32(need(a, IPVS_DEST_ATTR_WEIGHT, 'WEIGHT', where), `${where} weight`),
    upperThreshold: read.u32(need(a, IPVS_DEST_ATTR_U_THRESH, 'U_THRESH', where), `${where} upper threshold`),
    lowerThreshold: read.u32(need(a, IPVS_DEST_ATTR_L_THRESH, 'L_THRESH', where), `${where} lower threshold`),
  };
  const active = a.get(IPVS_DEST_ATTR_ACTIVE_CONNS);
  const inactive = a.get(IPVS_DEST_ATTR_INACT_CONNS);
  if (active !== undefined) d.activeConns = read.u32(active, `${where} active connections`);
  if (inactive !== undefined) d.inactiveConns = read.u32(inactive, `${where} inactive connections`);
  return d;
}

/** A counter of 4 bytes (STATS' connections and packets) or 8 (its bytes, and all of STATS64). */
function counter(a: Map<number, Buffer>, type: number, name: string, where: string): number {
  const data = need(a, type, name, where);
  return data.length === 8 ? read.u64(data, `${where} ${name}`) : read.u32(data, `${where} ${name}`);
}

/**
 * The traffic counters in a dump message's nest: STATS64 where the kernel sends it (4.1 on), else
 * STATS, whose connection and packet counts are 32 bits and wrap.
 */
function decodeTraffic(a: Map<number, Buffer>, stats: number, stats64: number, where: string): TrafficCounters {
  const nest = a.get(stats64) ?? a.get(stats);
  if (nest === undefined) throw new NetlinkFormatError(`${where}: no STATS attribute`);
  const s = attributeMap(decodeAttributes(nest, `${where} stats`));
  return {
    connections: counter(s, IPVS_STATS_ATTR_CONNS, 'CONNS', where),
    inPackets: counter(s, IPVS_STATS_ATTR_INPKTS, 'INPKTS', where),
    outPackets: counter(s, IPVS_STATS_ATTR_OUTPKTS, 'OUTPKTS', where),
    inBytes: counter(s, IPVS_STATS_ATTR_INBYTES, 'INBYTES', where),
    outBytes: counter(s, IPVS_STATS_ATTR_OUTBYTES, 'OUTBYTES', where),
  };
}

/** The traffic counters of one message of a GET_SERVICE dump (the one decodeService reads). */
export function decodeServiceTraffic(message: NetlinkMessage): TrafficCounters {
  const where = 'IPVS service';
  return decodeTraffic(nestedOf(message, IPVS_CMD_NEW_SERVICE, IPVS_CMD_ATTR_SERVICE, where), IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64, where);
}

/** The traffic counters of one message of a GET_DEST dump (the one decodeDestination reads). */
export function decodeDestinationTraffic(message: NetlinkMessage): TrafficCounters {
  const where = 'IPVS destination';
  return decodeTraffic(nestedOf(message, IPVS_CMD_NEW_DEST, IPVS_CMD_ATTR_DEST, where), IPVS_DEST_ATTR_STATS, IPVS_DEST_ATTR_STATS64, where);
}

/** One message of a GET_DAEMON dump (answered as IPVS_CMD_NEW_DAEMON). */
export function decodeDaemon(message: NetlinkMessage): IpvsSyncDaemon {
  const where = 'IPVS sync daemon';
  const a = nestedOf(message, IPVS_CMD_NEW_DAEMON, IPVS_CMD_ATTR_DAEMON, where);
  const stateNumber = read.u32(need(a, IPVS_DAEMON_ATTR_STATE, 'STATE', where), `${where} state`);
  const state = (Object.keys(SYNC_STATES) as SyncState[]).find((k) => SYNC_STATES[k] === stateNumber);
  if (state === undefined) throw new NetlinkFormatError(`${where}: state ${stateNumber} is neither master (1) nor backup (2)`);
  const d: IpvsSyncDaemon = {
    state,
    interface: read.string(need(a, IPVS_DAEMON_ATTR_MCAST_IFN, 'MCAST_IFN', where)),
    syncId: read.u32(need(a, IPVS_DAEMON_ATTR_SYNC_ID, 'SYNC_ID', where), `${where} sync id`),
  };
  const maxLen = a.get(IPVS_DAEMON_ATTR_SYNC_MAXLEN);
  const port = a.get(IPVS_DAEMON_ATTR_MCAST_PORT);
  const ttl = a.get(IPVS_DAEMON_ATTR_MCAST_TTL);
  const group4 = a.get(IPVS_DAEMON_ATTR_MCAST_GROUP);
  const group6 = a.get(IPVS_DAEMON_ATTR_MCAST_GROUP6);
  if (maxLen !== undefined) d.maxLen = read.u16(maxLen, `${where} maxlen`);
  if (port !== undefined) d.port = read.u16(port, `${where} port`);
  if (ttl !== undefined) {
    if (ttl.length < 1) throw new NetlinkFormatError(`${where}: empty MCAST_TTL`);
    d.ttl = ttl.readUInt8(0);
  }
  if (group4 !== undefined) d.group = decodeAddress(group4, 4, where);
  else if (group6 !== undefined) d.group = decodeAddress(group6, 6, where);
  return d;
}

/** GET_INFO's answer (IPVS_CMD_SET_INFO): the version packed as major << 16 | minor << 8 | patch. */
export function decodeInfo(message: NetlinkMessage): IpvsInfo {
  const where = 'IPVS info';
  const genl = decodeGeneric(message, where);
  if (genl.cmd !== IPVS_CMD_SET_INFO) throw new NetlinkFormatError(`${where}: command ${genl.cmd}, expected ${IPVS_CMD_SET_INFO}`);
  const a = attributeMap(decodeAttributes(genl.attributes, where));
  const v = read.u32(need(a, IPVS_INFO_ATTR_VERSION, 'VERSION', where), `${where} version`);
  return {
    version: `${v >>> 16}.${(v >> 8) & 0xff}.${v & 0xff}`,
    connTableSize: read.u32(need(a, IPVS_INFO_ATTR_CONN_TAB_SIZE, 'CONN_TAB_SIZE', where), `${where} connection table size`),
  };
}

/** The same service key with its address in canonical text, so equal keys compare equal. */
export function canonicalKey(key: IpvsServiceKey): IpvsServiceKey {
  return key.protocol === 'fwmark'
    ? { family: key.family, protocol: 'fwmark', fwmark: key.fwmark }
    : { family: key.family, protocol: key.protocol, address: canonicalIp(key.address), port: key.port };
}
