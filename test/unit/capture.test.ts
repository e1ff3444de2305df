import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddressLine, parseFrameLine, tsharkArgs } from '../lab/capture.ts';

const fieldNames = tsharkArgs('vrrp').filter((_, i, a) => a[i - 1] === '-e');
function line(fields: Record<string, string>): string {
  return fieldNames.map((f) => fields[f] ?? '').join('\t');
}
const ports = new Map([[3, 'h1'], [4, 'h2']]);

test('a VRRPv3 advert is decoded, with the interval in centiseconds', () => {
  const f = parseFrameLine(line({
    'frame.time_epoch': '1795594000.123456789', 'sll.ifindex': '3', 'sll.pkttype': '2', 'sll.src.eth': '00:00:5e:00:01:33',
    'ip.src': '198.18.0.1', 'ip.dst': '224.0.0.18', 'ip.ttl': '255',
    'vrrp.version': '3', 'vrrp.type': '1', 'vrrp.virt_rtr_id': '51', 'vrrp.prio': '200', 'vrrp.addr_count': '2',
    'vrrp.short_adver_int': '10', 'vrrp.checksum.status': '1', 'vrrp.ip_addr': '198.18.0.100,198.18.0.101',
  }), ports);
  assert.ok(f?.vrrp);
  assert.equal(f.from, 'h1');
  assert.equal(f.time, 1795594000123.456789);
  assert.equal(f.ttl, 255);
  assert.deepEqual(f.vrrp, { version: 3, type: 1, vrid: 51, priority: 200, addressCount: 2, intervalCs: 10, authType: undefined, addresses: ['198.18.0.100', '198.18.0.101'], checksum: 'good' });
});

test('a VRRPv2 interval in seconds becomes centiseconds; a bad checksum is reported as bad', () => {
  const f = parseFrameLine(line({
    'frame.time_epoch': '1.5', 'sll.ifindex': '4', 'sll.pkttype': '3', 'ip.src': '198.18.0.2', 'ip.ttl': '255',
    'vrrp.version': '2', 'vrrp.virt_rtr_id': '7', 'vrrp.prio': '0', 'vrrp.adver_int': '1', 'vrrp.auth_type': '1', 'vrrp.checksum.status': '0',
  }), ports);
  assert.equal(f?.vrrp?.intervalCs, 100);
  assert.equal(f?.vrrp?.priority, 0);
  assert.equal(f?.vrrp?.authType, 1);
  assert.equal(f?.vrrp?.checksum, 'bad');
  assert.equal(f?.ah, undefined);
});

test('a VRRPv2 advert under an IPsec AH: the AH\'s SPI and sequence number, and the advert inside', () => {
  const f = parseFrameLine(line({
    'frame.time_epoch': '1.5', 'sll.ifindex': '4', 'sll.pkttype': '3', 'ip.src': '198.18.0.2', 'ip.ttl': '255', 'ah.spi': '0xc6120002', 'ah.sequence': '17',
    'vrrp.version': '2', 'vrrp.virt_rtr_id': '7', 'vrrp.prio': '100', 'vrrp.adver_int': '1', 'vrrp.auth_type': '2', 'vrrp.checksum.status': '1',
  }), ports);
  assert.deepEqual(f?.ah, { spi: 0xc6120002, sequence: 17 });
  assert.equal(f?.vrrp?.authType, 2);
});

test('gratuitous ARP and neighbour advertisements are decoded; IPv6 hop limit is the ttl', () => {
  const arp = parseFrameLine(line({ 'frame.time_epoch': '2', 'sll.ifindex': '3', 'sll.pkttype': '1', 'arp.opcode': '1', 'arp.src.hw_mac': 'aa:bb:cc:dd:ee:ff', 'arp.src.proto_ipv4': '198.18.0.100', 'arp.dst.proto_ipv4': '198.18.0.100' }), ports);
  assert.deepEqual(arp?.arp, { opcode: 1, senderMac: 'aa:bb:cc:dd:ee:ff', senderIp: '198.18.0.100', targetIp: '198.18.0.100' });
  const na = parseFrameLine(line({ 'frame.time_epoch': '2', 'sll.ifindex': '4', 'sll.pkttype': '2', 'ipv6.src': 'fe80::1', 'ipv6.dst': 'ff02::1', 'ipv6.hlim': '255', 'icmpv6.type': '136', 'icmpv6.nd.na.target_address': '2001:db8::100' }), ports);
  assert.deepEqual(na?.neighbourAdvert, { target: '2001:db8::100' });
  assert.equal(na?.ttl, 255);
  assert.equal(na?.icmpType, 136);
});

test('copies leaving the switch, and frames on non-port interfaces, are not reported', () => {
  assert.equal(parseFrameLine(line({ 'frame.time_epoch': '1', 'sll.ifindex': '3', 'sll.pkttype': '4', 'ip.src': '198.18.0.1' }), ports), undefined);
  assert.equal(parseFrameLine(line({ 'frame.time_epoch': '1', 'sll.ifindex': '2', 'sll.pkttype': '2', 'ip.src': '198.18.0.1' }), ports), undefined);
});

test('ip monitor address lines become timestamped events; lifetime lines are skipped', () => {
  const added = parseAddressLine('[2026-11-25T08:09:09.433641] 3: eth0    inet 198.18.0.100/24 scope global secondary eth0');
  assert.deepEqual(added, { time: new Date('2026-11-25T08:09:09').getTime() + 433.641, kind: 'added', device: 'eth0', family: 4, address: '198.18.0.100/24' });
  const deleted = parseAddressLine('[2026-11-25T08:09:09.437960] Deleted 3: eth0    inet6 2001:db8::100/64 scope global nodad ');
  assert.equal(deleted?.kind, 'deleted');
  assert.equal(deleted?.family, 6);
  assert.equal(parseAddressLine('       valid_lft forever preferred_lft forever'), undefined);
});
