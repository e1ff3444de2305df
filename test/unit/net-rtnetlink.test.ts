import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NLM_F_CREATE, NLM_F_EXCL, NetlinkFormatError, attr, attributeMap, decodeAttributes, decodeMessages, encodeAttributes, encodeMessage, read, type NetlinkMessage } from '../../runtime/src/net/netlink.ts';
import {
  IFA_F_NODAD, IFF_LOWER_UP, IFF_RUNNING, IFF_UP, IFLA_ADDRESS, IFLA_IFNAME, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINK, IFLA_LINKINFO,
  IFLA_MACVLAN_MODE, IFLA_OPERSTATE, RTM_DELADDR, RTM_DELLINK, RTM_GETADDR, RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK,
  addAddressRequest, createMacvlanRequest, decodeAddress, decodeEvent, decodeLink, deleteAddressRequest, deleteLinkRequest,
  encodeAddress, getAddressesRequest, getLinkRequest, getLinksRequest, setLinkUpRequest,
} from '../../runtime/src/net/rtnetlink.ts';
import {
  FR_ACT_TO_TBL, RTA_DST, RTA_TABLE, RTM_DELROUTE, RTM_DELRULE, RTM_NEWROUTE, RTM_NEWRULE, RTNH_F_ONLINK,
  addRouteRequest, addRuleRequest, decodeRoute, decodeRule, deleteRouteRequest, deleteRuleRequest, encodeRoute, encodeRule, routeMatches, ruleMatches,
} from '../../runtime/src/net/rtnetlink-route.ts';

const dump = JSON.parse(readFileSync(new URL('../fixtures/net/rtnetlink-dump.json', import.meta.url), 'utf8')) as { links: string[]; addresses: string[] };
const kernel = (hex: string): NetlinkMessage => decodeMessages(Buffer.from(hex, 'hex'))[0]!;
const message = (type: number, payload: Buffer): NetlinkMessage => ({ type, flags: 0, seq: 0, pid: 0, payload });

test('RTM_NEWADDR for an IPv4 VIP: ifaddrmsg, IFA_LOCAL and IFA_ADDRESS, broadcast and label, CREATE|EXCL', () => {
  const req = addAddressRequest({ ifindex: 2, address: '198.18.0.100', prefixLength: 24, broadcast: '198.18.0.255', label: 'eth0:vip' });
  assert.equal(req.type, RTM_NEWADDR);
  assert.equal(req.flags, NLM_F_CREATE | NLM_F_EXCL);
  // family 2, /24, no flags, scope global, ifindex 2 (host order)
  assert.equal(req.payload.subarray(0, 8).toString('hex'), '0218000002000000');
  const a = attributeMap(decodeAttributes(req.payload.subarray(8)));
  assert.deepEqual([...a.keys()], [2, 1, 4, 3]);
  assert.deepEqual([...a.get(2)!], [198, 18, 0, 100]);
  assert.deepEqual(a.get(1), a.get(2));
  assert.equal(read.string(a.get(3)!), 'eth0:vip');
  // What we send decodes as what we meant.
  assert.deepEqual(decodeAddress(message(RTM_NEWADDR, req.payload)), {
    ifindex: 2, family: 4, address: '198.18.0.100', prefixLength: 24, scope: 0, flags: 0, broadcast: '198.18.0.255', label: 'eth0:vip',
  });
  assert.equal(deleteAddressRequest({ ifindex: 2, address: '198.18.0.100', prefixLength: 24 }).type, RTM_DELADDR);
});

test('RTM_NEWADDR for an IPv6 VIP carries IFA_F_NODAD in ifa_flags and IFA_FLAGS, and a scope by name', () => {
  const payload = encodeAddress({ ifindex: 7, address: '2001:db8::100', prefixLength: 64, noDad: true, scope: 'link' });
  assert.deepEqual([payload[0], payload[1], payload[2], payload[3]], [10, 64, IFA_F_NODAD, 253]);
  const info = decodeAddress(message(RTM_NEWADDR, payload));
  assert.deepEqual([info.family, info.address, info.flags, info.scope, info.ifindex], [6, '2001:db8::100', IFA_F_NODAD, 253, 7]);
});

test('address specs that cannot be right are refused before anything is sent', () => {
  const base = { ifindex: 2, address: '198.18.0.100', prefixLength: 24 };
  assert.throws(() => encodeAddress({ ...base, prefixLength: 33 }), /bad prefix length 33/);
  assert.throws(() => encodeAddress({ ...base, address: '198.18.0' }), /not an IP address/);
  assert.throws(() => encodeAddress({ ...base, family: 6 }), /not an IPv6 address/);
  assert.throws(() => encodeAddress({ ...base, ifindex: 0 }), /bad interface index/);
  assert.throws(() => encodeAddress({ ...base, address: '2001:db8::1', label: 'eth0:x' }), /label is IPv4 only/);
  assert.throws(() => encodeAddress({ ...base, label: 'a-label-that-is-too-long' }), /over 15 bytes/);
  assert.throws(() => encodeAddress({ ...base, scope: 'galaxy' as 'global' }), /unknown scope/);
});

test('GET requests: an address dump per family, a link dump, one link by index or by name', () => {
  assert.equal(getAddressesRequest().type, RTM_GETADDR);
  assert.equal(getAddressesRequest(6).payload[0], 10);
  assert.equal(getAddressesRequest(4).payload[0], 2);
  assert.deepEqual([getLinksRequest().type, getLinksRequest().payload.length], [RTM_GETLINK, 16]);
  assert.equal(getLinkRequest(5).payload.readInt32LE(4), 5);
  const byName = attributeMap(decodeAttributes(getLinkRequest('vrrp.51').payload.subarray(16)));
  assert.equal(read.string(byName.get(IFLA_IFNAME)!), 'vrrp.51');
});

test('macvlan creation: name, parent, MAC and IFLA_LINKINFO { kind "macvlan", data { mode } }', () => {
  const req = createMacvlanRequest({ name: 'vrrp.51', parentIndex: 2, mac: '00:00:5e:00:01:33', mode: 'bridge' });
  assert.deepEqual([req.type, req.flags], [RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL]);
  const a = attributeMap(decodeAttributes(req.payload.subarray(16)));
  assert.equal(read.string(a.get(IFLA_IFNAME)!), 'vrrp.51');
  assert.equal(read.u32(a.get(IFLA_LINK)!), 2);
  assert.equal(a.get(IFLA_ADDRESS)!.toString('hex'), '00005e000133');
  const info = decodeAttributes(a.get(IFLA_LINKINFO)!);
  assert.equal(read.string(attributeMap(info).get(IFLA_INFO_KIND)!), 'macvlan');
  assert.ok(info.find((x) => x.type === IFLA_INFO_DATA)?.nested);
  assert.equal(read.u32(attributeMap(decodeAttributes(attributeMap(info).get(IFLA_INFO_DATA)!)).get(IFLA_MACVLAN_MODE)!), 4);
  // Decoded as the kernel would report it back.
  const link = decodeLink(message(RTM_NEWLINK, req.payload));
  assert.deepEqual([link.name, link.mac, link.parentIndex, link.kind, link.macvlanMode], ['vrrp.51', '00:00:5e:00:01:33', 2, 'macvlan', 'bridge']);
  assert.throws(() => createMacvlanRequest({ name: 'has space', parentIndex: 2 }), /bad interface name/);
  assert.throws(() => createMacvlanRequest({ name: 'a'.repeat(16), parentIndex: 2 }), /bad interface name/);
  assert.throws(() => createMacvlanRequest({ name: 'v', parentIndex: 2, mac: '00:00:5e:00:01' }), /bad Ethernet address/);
  assert.throws(() => createMacvlanRequest({ name: 'v', parentIndex: 2, mode: 'sideways' as 'private' }), /unknown macvlan mode/);
});

test('link up/down changes only IFF_UP; delete names the index', () => {
  const up = setLinkUpRequest(4, true).payload;
  assert.deepEqual([up.readInt32LE(4), up.readUInt32LE(8), up.readUInt32LE(12)], [4, IFF_UP, IFF_UP]);
  const down = setLinkUpRequest(4, false).payload;
  assert.deepEqual([down.readUInt32LE(8), down.readUInt32LE(12)], [0, IFF_UP]);
  assert.deepEqual([deleteLinkRequest(9).type, deleteLinkRequest(9).payload.readInt32LE(4)], [RTM_DELLINK, 9]);
});

test('real kernel dumps (Linux 6.18) decode: links with flags, MAC, operstate, kind, macvlan mode', () => {
  const links = dump.links.map((h) => decodeLink(kernel(h)));
  assert.deepEqual(links.map((l) => [l.index, l.name, l.operstate, l.kind]), [[1, 'lo', 'unknown', undefined], [2, 'eth0', 'up', 'veth'], [3, 'vrrp.51', 'down', 'macvlan']]);
  const [, eth0, vmac] = links;
  assert.deepEqual([eth0!.up, eth0!.running, eth0!.lowerUp, eth0!.mtu], [true, true, true, 1500]);
  assert.equal(eth0!.flags & (IFF_UP | IFF_RUNNING | IFF_LOWER_UP), IFF_UP | IFF_RUNNING | IFF_LOWER_UP);
  assert.deepEqual([vmac!.mac, vmac!.parentIndex, vmac!.macvlanMode, vmac!.up], ['00:00:5e:00:01:33', 2, 'private', false]);
});

test('real kernel dumps decode: addresses with labels, broadcast, scope and flags', () => {
  const addresses = dump.addresses.map((h) => decodeAddress(kernel(h)));
  const vip = addresses.find((a) => a.label === 'eth0:vip');
  assert.deepEqual(vip, { ifindex: 2, family: 4, address: '198.18.0.100', prefixLength: 24, scope: 0, flags: 0x81, broadcast: '198.18.0.255', label: 'eth0:vip' });
  assert.ok(addresses.some((a) => a.family === 6 && a.address.startsWith('fe80::') && a.scope === 253));
  assert.ok(addresses.some((a) => a.address === '::1' && a.prefixLength === 128));
});

test('events: new and deleted links and addresses; other message types are not events', () => {
  const link = kernel(dump.links[1]!);
  assert.deepEqual(decodeEvent(link)?.kind, 'link');
  const deleted = decodeEvent({ ...link, type: RTM_DELLINK });
  assert.ok(deleted?.kind === 'link' && deleted.action === 'delete' && deleted.link.name === 'eth0');
  const addr = kernel(dump.addresses[2]!);
  const added = decodeEvent(addr);
  assert.ok(added?.kind === 'address' && added.action === 'add' && added.address.address === '198.18.0.100');
  assert.equal(decodeEvent({ ...addr, type: RTM_DELADDR })?.action, 'delete');
  assert.equal(decodeEvent({ ...addr, type: 28 /* RTM_NEWNEIGH */ }), undefined);
});

test('malformed rtnetlink payloads throw NetlinkFormatError with the reason', () => {
  const isFormat = (pattern: RegExp) => (e: Error): boolean => e instanceof NetlinkFormatError && pattern.test(e.message);
  assert.throws(() => decodeLink(message(RTM_NEWLINK, Buffer.alloc(10))), isFormat(/ifinfomsg: 10 bytes, need 16/));
  assert.throws(() => decodeAddress(message(RTM_NEWADDR, Buffer.alloc(4))), isFormat(/ifaddrmsg: 4 bytes, need 8/));
  const noAddress = Buffer.alloc(8); noAddress[0] = 2;
  assert.throws(() => decodeAddress(message(RTM_NEWADDR, noAddress)), isFormat(/neither IFA_LOCAL nor IFA_ADDRESS/));
  const wrongFamily = Buffer.alloc(8); wrongFamily[0] = 7;
  assert.throws(() => decodeAddress(message(RTM_NEWADDR, wrongFamily)), isFormat(/address family 7/));
  const wrongSize = Buffer.concat([Buffer.from([2, 24, 0, 0, 2, 0, 0, 0]), encodeAttributes([[2, Buffer.alloc(16)]])]);
  assert.throws(() => decodeAddress(message(RTM_NEWADDR, wrongSize)), isFormat(/IFA_LOCAL: 16 bytes for an IPv4 address/));
  const badMtu = Buffer.concat([Buffer.alloc(16), encodeAttributes([[4, attr.u8(1)]])]);
  assert.throws(() => decodeLink(message(RTM_NEWLINK, badMtu)), isFormat(/IFLA_MTU: 1 bytes, need 4/));
  const badOper = Buffer.concat([Buffer.alloc(16), encodeAttributes([[IFLA_OPERSTATE, Buffer.alloc(0)]])]);
  assert.throws(() => decodeLink(message(RTM_NEWLINK, badOper)), isFormat(/IFLA_OPERSTATE: 0 bytes/));
  // A kernel message cut short in the middle: the framing refuses it before any field is read.
  const cut = Buffer.from(dump.links[2]!, 'hex');
  assert.throws(() => decodeMessages(cut.subarray(0, cut.length - 100)), isFormat(/truncated/));
  // A nested attribute whose inner length lies.
  const lying = Buffer.from(encodeMessage({ type: RTM_NEWLINK, flags: 0, seq: 0, payload: Buffer.concat([Buffer.alloc(16), encodeAttributes([[IFLA_LINKINFO, [[IFLA_INFO_KIND, attr.string('macvlan')]]]])]) }));
  lying.writeUInt16LE(200, 16 + 16 + 4);
  assert.throws(() => decodeLink(decodeMessages(lying)[0]!), isFormat(/IFLA_LINKINFO: attribute 1 at byte 0 has length 200/));
});

test('RTM_NEWROUTE: rtmsg header, RTA_TABLE beyond 255, gateway, device, metric, source; it decodes back', () => {
  const spec = { destination: '198.19.200.0', prefixLength: 24, gateway: '198.18.0.254', ifindex: 3, table: 1000, metric: 7, preferredSource: '198.18.0.100' };
  const req = addRouteRequest(spec);
  assert.deepEqual([req.type, req.flags], [RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL]);
  // AF_INET, /24, no source prefix, tos 0, table in RTA_TABLE only (1000 > 255), proto keepalived (18), scope universe, unicast
  assert.equal(req.payload.subarray(0, 12).toString('hex'), '021800000012000100000000');
  const a = attributeMap(decodeAttributes(req.payload.subarray(12)));
  assert.equal(read.u32(a.get(RTA_TABLE)!), 1000);
  assert.deepEqual(decodeRoute(message(RTM_NEWROUTE, req.payload)), {
    family: 4, destination: '198.19.200.0', prefixLength: 24, scope: 0, table: 1000, protocol: 18, onlink: false, type: 'unicast',
    gateway: '198.18.0.254', ifindex: 3, preferredSource: '198.18.0.100', metric: 7,
  });
  // A device route with no gateway has link scope, as iproute2 gives it; a delete asks for any scope.
  assert.equal(encodeRoute({ destination: '2001:db8:1::', prefixLength: 48, ifindex: 3 })[6], 253);
  const del = deleteRouteRequest(spec);
  assert.deepEqual([del.type, del.payload[6]], [RTM_DELROUTE, 255]);
});

test('route types, onlink and default routes', () => {
  const hole = decodeRoute(message(RTM_NEWROUTE, encodeRoute({ destination: '198.19.0.0', prefixLength: 16, type: 'blackhole' })));
  assert.deepEqual([hole.type, hole.scope, hole.table], ['blackhole', 0, 254]);
  for (const type of ['unreachable', 'prohibit', 'throw'] as const) {
    assert.equal(decodeRoute(message(RTM_NEWROUTE, encodeRoute({ destination: '2001:db8::', prefixLength: 32, type }))).type, type);
  }
  const onlink = encodeRoute({ destination: '0.0.0.0', prefixLength: 0, gateway: '198.19.9.1', ifindex: 2, onlink: true });
  assert.equal(onlink.readUInt32LE(8), RTNH_F_ONLINK);
  const def = decodeRoute(message(RTM_NEWROUTE, onlink));
  assert.deepEqual([def.destination, def.prefixLength, def.onlink], ['0.0.0.0', 0, true]);
  assert.ok(!attributeMap(decodeAttributes(onlink.subarray(12))).has(RTA_DST), 'a default route carries no RTA_DST');
});

test('a multipath route: RTA_MULTIPATH of rtnexthop entries (length, flags, weight - 1, ifindex) each with its RTA_GATEWAY', () => {
  const payload = encodeRoute({ destination: '198.19.251.0', prefixLength: 24, nexthops: [{ gateway: '198.18.0.201', ifindex: 2 }, { gateway: '198.18.0.202', ifindex: 3, weight: 2, onlink: true }] });
  assert.equal(payload[6], 0, 'next hops through gateways: scope global');
  const multipath = attributeMap(decodeAttributes(payload.subarray(12))).get(9)!;
  // 16 bytes a hop: the 8-byte rtnexthop, then RTA_GATEWAY (4-byte header, 4-byte address); host order.
  assert.equal(multipath.toString('hex'), '1000000002000000' + '08000500c61200c9' + '1000040103000000' + '08000500c61200ca');
  assert.throws(() => encodeRoute({ destination: '198.19.251.0', prefixLength: 24, nexthops: [{ gateway: '198.18.0.201' }] }), /at least two next hops/);
  assert.throws(() => encodeRoute({ destination: '198.19.251.0', prefixLength: 24, gateway: '198.18.0.1', nexthops: [{ ifindex: 2 }, { ifindex: 3 }] }), /multipath route has its gateways and devices in its next hops only/);
  assert.throws(() => encodeRoute({ destination: '198.19.251.0', prefixLength: 24, nexthops: [{ ifindex: 2, weight: 257 }, { ifindex: 3 }] }), /bad next hop weight 257/);
});

test('route specs that cannot be right are refused before anything is sent', () => {
  const base = { destination: '198.19.200.0', prefixLength: 24 };
  assert.throws(() => encodeRoute({ ...base, prefixLength: 33 }), /bad prefix length 33/);
  assert.throws(() => encodeRoute({ ...base, gateway: '2001:db8::1' }), /gateway 2001:db8::1 is not an IPv4 address/);
  assert.throws(() => encodeRoute({ ...base, type: 'blackhole', ifindex: 2 }), /blackhole route has neither/);
  assert.throws(() => encodeRoute({ ...base, onlink: true }), /onlink needs a gateway/);
  assert.throws(() => encodeRoute({ ...base, table: 0 }), /table 0/);
  assert.throws(() => encodeRoute({ ...base, metric: -1 }), /bad metric/);
  assert.throws(() => encodeRoute({ ...base, type: 'nat' as 'throw' }), /unknown route type/);
});

test('RTM_NEWRULE: fib_rule_hdr with prefix lengths and FR_ACT_TO_TBL, every selector; it decodes back', () => {
  const spec = {
    family: 6 as const, from: { address: '2001:db8:1::', prefixLength: 48 }, to: { address: '2001:db8:2::', prefixLength: 64 },
    table: 300, priority: 1000, iif: 'eth0', oif: 'eth1', fwmark: 5, fwmask: 0xff,
  };
  const req = addRuleRequest(spec);
  assert.deepEqual([req.type, req.flags], [RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL]);
  // AF_INET6, dst /64, src /48, tos 0, table 0 (300 goes in FRA_TABLE), action 1
  assert.equal(req.payload.subarray(0, 12).toString('hex'), '0a4030000000000100000000');
  assert.deepEqual(decodeRule(message(RTM_NEWRULE, req.payload)), { ...spec, action: FR_ACT_TO_TBL });
  assert.equal(deleteRuleRequest(spec).type, RTM_DELRULE);
  assert.equal(decodeRule(message(RTM_NEWRULE, encodeRule({ family: 4, table: 100 }))).table, 100);
  assert.throws(() => encodeRule({ family: 4, table: 100, from: { address: '2001:db8::', prefixLength: 32 } }), /from 2001:db8:: is not an IPv4/);
  assert.throws(() => encodeRule({ family: 4, table: 0 }), /table 0/);
  assert.throws(() => encodeRule({ family: 4, table: 100, fwmask: 1 }), /fwmask needs a fwmark/);
  assert.throws(() => encodeRule({ family: 4, table: 100, iif: 'a/b' }), /bad iif interface name/);
});

test('route and rule events decode; the kernel route and rule match what was asked for', () => {
  const spec = { destination: '198.19.200.0', prefixLength: 24, gateway: '198.18.0.254', table: 100 };
  const event = decodeEvent(message(RTM_DELROUTE, encodeRoute(spec)));
  assert.equal(event?.kind, 'route');
  assert.equal(event?.action, 'delete');
  const route = decodeRoute(message(RTM_NEWROUTE, encodeRoute(spec)));
  assert.ok(routeMatches(spec, { ...route, ifindex: 4, metric: 0 }), 'the kernel fills in a device and a metric');
  assert.ok(!routeMatches({ ...spec, table: 101 }, route));
  assert.ok(!routeMatches({ ...spec, gateway: '198.18.0.253' }, route));
  const rule = { family: 4 as const, to: { address: '198.19.0.0', prefixLength: 16 }, table: 100 };
  const decoded = decodeRule(message(RTM_NEWRULE, encodeRule(rule)));
  assert.equal(decodeEvent(message(RTM_NEWRULE, encodeRule(rule)))?.kind, 'rule');
  assert.ok(ruleMatches(rule, { ...decoded, priority: 32765 }), 'an unset priority matches the one the kernel chose');
  assert.ok(!ruleMatches({ ...rule, fwmark: 1 }, decoded));
  assert.ok(!ruleMatches({ ...rule, to: { address: '198.19.0.0', prefixLength: 15 } }, decoded));
});
