// The IPVS generic netlink codec against bytes written out by hand from include/uapi/linux/ip_vs.h
// (host order is little-endian here, as on every machine the project runs on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetlinkFormatError, type NetlinkMessage } from '../../runtime/src/net/netlink.ts';
import { CTRL_CMD_GETFAMILY, GENL_ID_CTRL, decodeFamily, getFamilyRequest } from '../../runtime/src/net/genetlink.ts';
import {
  IPVS_CMD_GET_DEST, IPVS_CMD_GET_SERVICE, decodeDestination, decodeDestinationTraffic, decodeInfo, decodeService, decodeServiceTraffic, deleteDestinationRequest, deleteServiceRequest,
  describeService, getDestinationsRequest, getInfoRequest, getServicesRequest, newDestinationRequest, newServiceRequest, setServiceRequest,
  decodeDaemon, deleteDaemonRequest, getDaemonsRequest, newDaemonRequest,
  type IpvsDestination, type IpvsService,
} from '../../runtime/src/lb/ipvs/codec.ts';

const FAMILY = 0x22;
const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
const message = (payload: Buffer): NetlinkMessage => ({ type: FAMILY, flags: 0, seq: 1, pid: 0, payload });

const web: IpvsService = {
  family: 4, protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'wrr', persistenceSeconds: 300, netmask: 32, flags: 0,
};
const backend: IpvsDestination = { address: '198.18.0.11', port: 8080, forward: 'masq', weight: 3, upperThreshold: 0, lowerThreshold: 0 };

// The service key as nested attributes: AF, PROTOCOL, ADDR (16 bytes), PORT (network order).
const WEB_KEY = [
  '0600 0100 0200 0000',
  '0600 0200 0600 0000',
  '1400 0300 c6120064 00000000 00000000 00000000',
  '0600 0400 0050 0000',
].join('');

test('GETFAMILY for "IPVS": the controller family, CTRL_CMD_GETFAMILY version 1, the name NUL-terminated', () => {
  const req = getFamilyRequest('IPVS');
  assert.equal(req.type, GENL_ID_CTRL);
  assert.equal(req.payload.toString('hex'), hex(`${CTRL_CMD_GETFAMILY.toString(16).padStart(2, '0')}01 0000`, '0900 0200 49505653 00 000000').toString('hex'));
});

test('the controller\'s NEWFAMILY answer gives the family id, version and max attribute', () => {
  const answer = hex('0102 0000', '0600 0100 2200 0000', '0900 0200 49505653 00 000000', '0800 0300 01000000', '0800 0400 00000000', '0800 0500 03000000');
  assert.deepEqual(decodeFamily({ type: GENL_ID_CTRL, flags: 0, seq: 1, pid: 0, payload: answer }), { id: 0x22, name: 'IPVS', version: 1, maxAttribute: 3 });
  assert.throws(() => decodeFamily({ type: GENL_ID_CTRL, flags: 0, seq: 1, pid: 0, payload: hex('0102 0000', '0800 0300 01000000') }),
    { name: 'NetlinkFormatError', message: /no family id attribute/ });
});

test('NEW_SERVICE for a persistent wrr TCP service: exact bytes', () => {
  const req = newServiceRequest(FAMILY, web);
  assert.equal(req.type, FAMILY);
  assert.equal(req.flags, 0);
  assert.equal(req.payload.toString('hex'), hex(
    '0101 0000', // cmd NEW_SERVICE, version 1
    '5400 0180', // IPVS_CMD_ATTR_SERVICE, nested, 84 bytes
    WEB_KEY,
    '0800 0600 77727200', // SCHED_NAME "wrr"
    '0c00 0700 01000000 ffffffff', // FLAGS { PERSISTENT, mask all }
    '0800 0800 2c010000', // TIMEOUT 300
    '0800 0900 ffffffff', // NETMASK 255.255.255.255, network order
  ).toString('hex'));
  // SET_SERVICE carries the same full entry.
  assert.deepEqual(setServiceRequest(FAMILY, web).payload.subarray(4), req.payload.subarray(4));
  assert.equal(setServiceRequest(FAMILY, web).payload[0], 2);
});

test('NEW_DEST for a NAT destination: the service key, then the destination, exact bytes', () => {
  const req = newDestinationRequest(FAMILY, web, backend);
  assert.equal(req.payload.toString('hex'), hex(
    '0501 0000', // cmd NEW_DEST, version 1
    '3000 0180', WEB_KEY,
    '4800 0280', // IPVS_CMD_ATTR_DEST, nested, 72 bytes
    '1400 0100 c612000b 00000000 00000000 00000000', // ADDR
    '0600 0200 1f90 0000', // PORT 8080
    '0800 0300 00000000', // FWD_METHOD masq
    '0800 0400 03000000', // WEIGHT 3
    '0800 0500 00000000', // U_THRESH
    '0800 0600 00000000', // L_THRESH
    '0600 0b00 0200 0000', // ADDR_FAMILY AF_INET
  ).toString('hex'));
});

test('delete and dump requests carry only the service key (and the destination for DEL_DEST)', () => {
  assert.equal(deleteServiceRequest(FAMILY, web).payload.toString('hex'), hex('0301 0000', '3000 0180', WEB_KEY).toString('hex'));
  assert.equal(getDestinationsRequest(FAMILY, web).payload.toString('hex'), hex(`0${IPVS_CMD_GET_DEST}01 0000`, '3000 0180', WEB_KEY).toString('hex'));
  assert.equal(getServicesRequest(FAMILY).payload.toString('hex'), `0${IPVS_CMD_GET_SERVICE}010000`);
  assert.equal(getInfoRequest(FAMILY).payload.toString('hex'), '0f010000');
  assert.equal(deleteDestinationRequest(FAMILY, web, backend).payload[0], 7);
});

test('fwmark and IPv6 services: FWMARK instead of protocol/address/port; the IPv6 netmask is a prefix length', () => {
  const marked = newServiceRequest(FAMILY, { family: 6, protocol: 'fwmark', fwmark: 7, scheduler: 'rr', persistenceSeconds: 0, netmask: 128, flags: 0 });
  assert.equal(marked.payload.toString('hex'), hex(
    '0101 0000', '3800 0180',
    '0600 0100 0a00 0000', // AF_INET6
    '0800 0500 07000000', // FWMARK 7
    '0700 0600 727200 00', // "rr"
    '0c00 0700 00000000 ffffffff',
    '0800 0800 00000000',
    '0800 0900 80000000', // 128
  ).toString('hex'));
  const v6 = newServiceRequest(FAMILY, { family: 6, protocol: 'udp', address: '2001:db8::1', port: 53, scheduler: 'sh', persistenceSeconds: 0, netmask: 128, flags: 0 });
  assert.ok(v6.payload.includes(hex('1400 0300 20010db8 00000000 00000000 00000001')));
  assert.ok(v6.payload.includes(hex('0600 0200 1100 0000')));
});

test('encoders refuse values the kernel would misread, with messages that say which', () => {
  assert.throws(() => newServiceRequest(FAMILY, { ...web, port: 70000 }), { name: 'RangeError', message: /service port must be an integer from 0 to 65535, not 70000/ });
  assert.throws(() => newServiceRequest(FAMILY, { ...web, address: '2001:db8::1' }), /service address "2001:db8::1" is not an IPv4 address/);
  assert.throws(() => newServiceRequest(FAMILY, { ...web, scheduler: 'a-scheduler-name-too-long' }), /scheduler name .* must be 1 to 15 bytes/);
  assert.throws(() => newServiceRequest(FAMILY, { ...web, scheduler: '' }), /scheduler name "" must be 1 to 15 bytes/);
  assert.throws(() => newServiceRequest(FAMILY, { ...web, netmask: 33 }), /IPv4 persistence netmask must be an integer from 0 to 32/);
  assert.throws(() => newServiceRequest(FAMILY, { family: 4, protocol: 'fwmark', fwmark: 0, scheduler: 'rr', persistenceSeconds: 0, netmask: 32, flags: 0 }), /fwmark must be an integer from 1/);
  assert.throws(() => newDestinationRequest(FAMILY, web, { ...backend, weight: -1 }), /weight must be an integer from 0 to 2147483647, not -1/);
  assert.throws(() => newDestinationRequest(FAMILY, web, { ...backend, address: 'backend-1' }), /destination address "backend-1" is not an IP address/);
  assert.throws(() => newDestinationRequest(FAMILY, web, { ...backend, forward: 'nat' as IpvsDestination['forward'] }), /unknown forwarding method "nat"; masq, local, tunnel, route/);
});

// A GET_SERVICE answer as the kernel writes it (ip_vs_genl_fill_service): HASHED set beside
// PERSISTENT, a /24 netmask, and a STATS nest the decoder skips.
const KERNEL_SERVICE = hex(
  '0101 0000', '7800 0180',
  WEB_KEY,
  '0700 0600 727200 00', // "rr"
  '0c00 0700 03000000 ffffffff', // PERSISTENT | HASHED
  '0800 0800 58020000', // 600 s
  '0800 0900 ffffff00', // 255.255.255.0
  '1c00 0a80', '0800 0100 05000000', '0800 0200 09000000', '0800 0300 00000000', // STATS (conns, inpkts, outpkts)
  '0600 0b00 7369 0000', // PE_NAME "si" (truncated name, a plain string)
);

test('a GET_SERVICE dump message decodes into an IpvsService', () => {
  assert.deepEqual(decodeService(message(KERNEL_SERVICE)), {
    family: 4, protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'rr', persistenceSeconds: 600, netmask: 24, flags: 0, peName: 'si',
  });
});

test('a fwmark service decodes by its mark; a non-persistent one has persistenceSeconds 0 whatever the timeout', () => {
  const payload = hex('0101 0000', '3800 0180',
    '0600 0100 0200 0000', '0800 0500 2a000000', '0700 0600 727200 00', '0c00 0700 02000000 ffffffff', '0800 0800 2c010000', '0800 0900 ffffffff');
  const s = decodeService(message(payload));
  assert.deepEqual(s, { family: 4, protocol: 'fwmark', fwmark: 42, scheduler: 'rr', persistenceSeconds: 0, netmask: 32, flags: 0 });
  assert.equal(describeService(s), 'fwmark 42');
});

// A GET_DEST answer (ip_vs_genl_fill_dest): direct routing, counters, and a STATS nest.
const KERNEL_DEST = hex(
  '0501 0000', '6c00 0280', // answered as NEW_DEST
  '1400 0100 c612000c 00000000 00000000 00000000',
  '0600 0200 0050 0000',
  '0800 0300 03000000', // route
  '0800 0400 01000000',
  '0800 0500 64000000', // 100
  '0800 0600 0a000000', // 10
  '0800 0700 05000000', // active 5
  '0800 0800 07000000', // inactive 7
  '0800 0900 00000000', // persistent 0
  '0c00 0a80', '0800 0100 0c000000', // STATS conns
  '0600 0b00 0200 0000',
);

test('a GET_DEST dump message decodes into an IpvsDestination with its connection counts', () => {
  assert.deepEqual(decodeDestination(message(KERNEL_DEST), 4), {
    address: '198.18.0.12', port: 80, forward: 'route', weight: 1, upperThreshold: 100, lowerThreshold: 10, activeConns: 5, inactiveConns: 7,
  });
});

/** An attribute around hand-written bytes: its length and type (NESTED set for a nest), then them. */
function attribute(type: number, body: Buffer, nested = true): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(4 + body.length, 0);
  header.writeUInt16LE(type | (nested ? 0x8000 : 0), 2);
  return Buffer.concat([header, body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
}
// ip_vs_genl_fill_stats: CONNS, INPKTS, OUTPKTS as u32, INBYTES, OUTBYTES as u64, then the rates;
// ip_vs_genl_fill_stats64: every one a u64 (here 2^32 + 3 connections: past what STATS can hold).
const STATS = hex('0800 0100 03000000', '0800 0200 0a000000', '0800 0300 08000000', '0c00 0400 5802000000000000', '0c00 0500 2003000000000000',
  '0800 0600 01000000');
const STATS64 = hex('0c00 0100 0300000001000000', '0c00 0200 0a00000000000000', '0c00 0300 0800000000000000', '0c00 0400 5802000000000000',
  '0c00 0500 2003000000000000', '0c00 0600 0100000000000000');

test('traffic counters: STATS64 where the kernel sends it, else STATS (32-bit connections and packets); none is an error', () => {
  const service = (...nests: Buffer[]): NetlinkMessage => message(Buffer.concat([hex('0101 0000'), attribute(1, Buffer.concat([hex(WEB_KEY), ...nests]))]));
  const wide = { connections: 2 ** 32 + 3, inPackets: 10, outPackets: 8, inBytes: 600, outBytes: 800 };
  assert.deepEqual(decodeServiceTraffic(service(attribute(10, STATS), attribute(12, STATS64))), wide);
  assert.deepEqual(decodeServiceTraffic(service(attribute(10, STATS))), { ...wide, connections: 3 });
  assert.throws(() => decodeServiceTraffic(service()), /IPVS service: no STATS attribute/);
  assert.throws(() => decodeServiceTraffic(service(attribute(10, STATS.subarray(0, 24)))), /IPVS service: no INBYTES attribute/);
  // A destination's nests are DEST_ATTR_STATS (10) and DEST_ATTR_STATS64 (12), after its address family.
  const destination = message(Buffer.concat([KERNEL_DEST.subarray(0, 4), attribute(2, Buffer.concat([KERNEL_DEST.subarray(8, 8 + 0x68), attribute(10, STATS), attribute(12, STATS64)]))]));
  assert.deepEqual(decodeDestinationTraffic(destination), wide);
  assert.equal(decodeDestination(destination, 4).address, '198.18.0.12', 'the same message decodes as a destination too');
});

test('what we encode decodes as what we meant (service and destination, IPv6 too)', () => {
  const asAnswer = (payload: Buffer, cmd: number): NetlinkMessage => message(Buffer.concat([Buffer.from([cmd, 1, 0, 0]), payload.subarray(4)]));
  assert.deepEqual(decodeService(asAnswer(newServiceRequest(FAMILY, web).payload, 1)), web);
  const v6: IpvsService = { family: 6, protocol: 'sctp', address: '2001:db8::10', port: 3868, scheduler: 'mh', persistenceSeconds: 0, netmask: 64, flags: 0x4 };
  assert.deepEqual(decodeService(asAnswer(newServiceRequest(FAMILY, v6).payload, 1)), v6);
  const dest = newDestinationRequest(FAMILY, web, { ...backend, forward: 'tunnel', weight: 0, upperThreshold: 5 }).payload;
  // Keep only the DEST nest: the genlmsghdr (4) and the SERVICE nest (48) come first.
  assert.deepEqual(decodeDestination(message(Buffer.concat([hex('0501 0000'), dest.subarray(52)])), 4), { ...backend, forward: 'tunnel', weight: 0, upperThreshold: 5 });
});

test('GET_INFO\'s answer: the packed version and the connection table size', () => {
  assert.deepEqual(decodeInfo(message(hex('0e01 0000', '0800 0100 01020100', '0800 0200 00100000'))), { version: '1.2.1', connTableSize: 4096 });
});

test('malformed dump messages throw NetlinkFormatError naming what is wrong', () => {
  const cases: [Buffer, RegExp][] = [
    [hex('01'), /IPVS service: 1-byte payload, a genlmsghdr needs 4/],
    [hex('0501 0000'), /IPVS service: command 5, expected 1/],
    [hex('0101 0000', '0800 0200 00000000'), /IPVS service: no nested attribute/],
    [hex('0101 0000', '1000 0180', '0600 0100 0200'), /attribute 1 at byte 0 has length 16, past the end/],
    [hex('0101 0000', '0c00 0180', '0600 0100 6300 0000'), /address family 99 is neither AF_INET nor AF_INET6/],
    [hex('0101 0000', '1400 0180', '0600 0100 0200 0000', '0600 0200 2f00 0000'), /IP protocol 47 is not tcp, udp or sctp/],
    [Buffer.concat([KERNEL_SERVICE.subarray(0, 4), hex('3000 0180'), hex(WEB_KEY)]), /IPVS service: no FLAGS attribute/],
    [hex('0101 0000', '5000 0180', WEB_KEY, '0700 0600 727200 00', '0800 0700 01000000', '0800 0800 00000000', '0800 0900 ffffffff'),
      /FLAGS of 4 bytes, struct ip_vs_flags needs 8/],
    [hex('0101 0000', '5400 0180', WEB_KEY, '0700 0600 727200 00', '0c00 0700 00000000 ffffffff', '0800 0800 00000000', '0800 0900 ff00ff00'),
      /netmask 255.0.255.0 is not a prefix/],
  ];
  for (const [payload, pattern] of cases) {
    assert.throws(() => decodeService(message(payload)), (e: unknown) => e instanceof NetlinkFormatError && pattern.test(e.message), pattern.source);
  }
  const badForward = Buffer.from(KERNEL_DEST);
  badForward.writeUInt32LE(5, badForward.indexOf(hex('0800 0300 03000000')) + 4);
  assert.throws(() => decodeDestination(message(badForward), 4), /forwarding method 5 is none of masq, local, tunnel, route/);
  assert.throws(() => decodeDestination(message(hex('0501 0000', '0c00 0280', '0600 0200 0050 0000')), 4), /IPVS destination: no FWD_METHOD attribute/);
  const shortAddress = hex('0501 0000', '1400 0280', '0800 0100 c612000c', '0800 0300 00000000');
  assert.throws(() => decodeDestination(message(shortAddress), 6), /IPVS destination: address of 4 bytes, IPv6 needs 16/);
});

test('NEW_DAEMON as master with every option: exact bytes (STATE, MCAST_IFN, SYNC_ID, then maxlen, group, port, ttl)', () => {
  const req = newDaemonRequest(FAMILY, { state: 'master', interface: 'eth1', syncId: 7, maxLen: 1400, group: '224.0.0.82', port: 8850, ttl: 2 });
  assert.equal(req.type, FAMILY);
  assert.equal(req.payload.toString('hex'), hex(
    '0901 0000', // cmd NEW_DAEMON, version 1
    '4000 0380', // IPVS_CMD_ATTR_DAEMON, nested, 64 bytes
    '0800 0100 01000000', // STATE master
    '0900 0200 65746831 00 000000', // MCAST_IFN "eth1"
    '0800 0300 07000000', // SYNC_ID 7
    '0600 0400 7805 0000', // SYNC_MAXLEN 1400, host order
    '0800 0500 e0000052', // MCAST_GROUP 224.0.0.82, network order
    '0600 0700 9222 0000', // MCAST_PORT 8850, host order
    '0500 0800 02 000000', // MCAST_TTL 2
  ).toString('hex'));
  // Backup with only what the kernel requires, and an IPv6 group.
  assert.equal(newDaemonRequest(FAMILY, { state: 'backup', interface: 'eth1', syncId: 0 }).payload.toString('hex'), hex(
    '0901 0000', '2000 0380', '0800 0100 02000000', '0900 0200 65746831 00 000000', '0800 0300 00000000',
  ).toString('hex'));
  assert.equal(newDaemonRequest(FAMILY, { state: 'backup', interface: 'eth1', syncId: 0, group: 'ff02::1:5' }).payload.subarray(36).toString('hex'),
    hex('1400 0600 ff020000 00000000 00000000 00010005').toString('hex'));
});

test('DEL_DAEMON carries only the state; GET_DAEMON nothing', () => {
  assert.equal(deleteDaemonRequest(FAMILY, 'backup').payload.toString('hex'), hex('0a01 0000', '0c00 0380', '0800 0100 02000000').toString('hex'));
  assert.equal(deleteDaemonRequest(FAMILY, 'master').payload.toString('hex'), hex('0a01 0000', '0c00 0380', '0800 0100 01000000').toString('hex'));
  assert.equal(getDaemonsRequest(FAMILY).payload.toString('hex'), '0b010000');
});

test('daemon requests refuse what the kernel would: a long interface name, a sync id over 255, an unknown state', () => {
  assert.throws(() => newDaemonRequest(FAMILY, { state: 'master', interface: 'abcdefghijklmnop', syncId: 1 }), /1 to 15 bytes/);
  assert.throws(() => newDaemonRequest(FAMILY, { state: 'master', interface: 'eth1', syncId: 256 }), /sync id must be an integer from 0 to 255/);
  assert.throws(() => newDaemonRequest(FAMILY, { state: 'both' as 'master', interface: 'eth1', syncId: 1 }), /neither master nor backup/);
});

test('a GET_DAEMON dump message decodes to the role and its settings', () => {
  const answer = hex('0901 0000', '4000 0380', '0800 0100 02000000', '0900 0200 65746831 00 000000', '0800 0300 07000000',
    '0600 0400 c805 0000', '0800 0500 e0000051', '0600 0700 9022 0000', '0500 0800 01 000000');
  assert.deepEqual(decodeDaemon(message(answer)), { state: 'backup', interface: 'eth1', syncId: 7, maxLen: 1480, group: '224.0.0.81', port: 8848, ttl: 1 });
  assert.throws(() => decodeDaemon(message(hex('0901 0000', '0c00 0380', '0800 0100 03000000'))), /state 3 is neither master/);
  assert.throws(() => decodeDaemon(message(hex('0901 0000', '0c00 0380', '0800 0100 01000000'))), /no MCAST_IFN attribute/);
});
