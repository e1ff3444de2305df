import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressIn, assertSafeLabSubnet, chooseSegments, contains, formatAddress, formatPrefix, overlaps,
  parseAddress, parsePrefix, segmentSubnets,
} from '../lab/addressing.ts';

test('addresses round-trip through their integer form', () => {
  for (const a of ['198.18.0.1', '0.0.0.0', '255.255.255.255', '2001:db8::1', '::', '::1', 'fe80::a4db:84ff:fe14:b1a4', '2001:db8:0:1:0:0:0:1', '1:2:3:4:5:6:7:8']) {
    const { family, value } = parseAddress(a);
    const back = formatAddress(family, value);
    assert.equal(parseAddress(back).value, value, a);
  }
  assert.equal(formatAddress(6, parseAddress('2001:db8:0:0:1:0:0:1').value), '2001:db8::1:0:0:1');
  assert.equal(formatAddress(6, parseAddress('2001:0db8:0000:0001:0000:0000:0000:0001').value), '2001:db8:0:1::1');
  assert.throws(() => parseAddress('198.18.0'), /not an IP address/);
  assert.throws(() => parseAddress('::ffff:1.2.3.4'), /IPv4-embedded/);
});

test('prefixes clear host bits and know what they contain', () => {
  assert.equal(formatPrefix(parsePrefix('198.18.7.9/15')), '198.18.0.0/15');
  assert.equal(formatPrefix(parsePrefix('default')), '0.0.0.0/0');
  assert.equal(formatPrefix(parsePrefix('default', 6)), '::/0');
  assert.equal(parsePrefix('192.0.2.2').length, 32);
  assert.ok(contains(parsePrefix('198.18.0.0/15'), parsePrefix('198.19.255.0/24')));
  assert.ok(!contains(parsePrefix('198.18.0.0/15'), parsePrefix('198.20.0.0/24')));
  assert.ok(overlaps(parsePrefix('198.18.0.0/24'), parsePrefix('198.16.0.0/12')));
  assert.ok(!overlaps(parsePrefix('198.18.0.0/24'), parsePrefix('2001:db8::/32')), 'families never overlap');
  assert.throws(() => parsePrefix('198.18.0.0/33'), /bad prefix length/);
  assert.equal(addressIn(parsePrefix('198.18.3.0/24'), 254), '198.18.3.254');
  assert.throws(() => addressIn(parsePrefix('198.18.3.0/24'), 256), /outside/);
});

test('segment subnets pair an IPv4 /24 and an IPv6 /64 inside the lab ranges', () => {
  assert.equal(formatPrefix(segmentSubnets(0).v4), '198.18.0.0/24');
  assert.equal(formatPrefix(segmentSubnets(0).v6), '2001:db8::/64');
  assert.equal(formatPrefix(segmentSubnets(257).v4), '198.19.1.0/24');
  assert.equal(formatPrefix(segmentSubnets(257).v6), '2001:db8:0:101::/64');
  assert.equal(formatPrefix(segmentSubnets(511).v4), '198.19.255.0/24');
  assert.throws(() => segmentSubnets(512), /outside/);
});

const uplink = ['default', '192.0.2.0/24', '192.0.2.2', 'fd00::/64', 'fe80::/64'].map((r) => parsePrefix(r, r === 'fd00::/64' || r === 'fe80::/64' ? 6 : 4));

test('the chooser skips subnets that overlap a machine route or another lab, and ignores default routes', () => {
  assert.deepEqual(chooseSegments(2, uplink, new Set()).map((s) => s.index), [0, 1]);
  const withLabs = [...uplink, parsePrefix('198.18.0.0/24'), parsePrefix('198.18.2.0/23')];
  assert.deepEqual(chooseSegments(2, withLabs, new Set([1])).map((s) => s.index), [4, 5]);
  const v6clash = [...uplink, parsePrefix('2001:db8::/63')];
  assert.deepEqual(chooseSegments(1, v6clash, new Set()).map((s) => s.index), [2]);
  assert.throws(() => chooseSegments(1, [parsePrefix('198.16.0.0/12')], new Set()), /only 0 of 1/);
});

test('a subnet outside the lab ranges or overlapping the machine is refused', () => {
  assert.throws(() => assertSafeLabSubnet(parsePrefix('192.0.2.0/24'), uplink), /outside the lab range 198.18.0.0\/15/);
  assert.throws(() => assertSafeLabSubnet(parsePrefix('fd00::/64'), uplink), /outside the lab range 2001:db8::\/32/);
  assert.throws(() => assertSafeLabSubnet(parsePrefix('198.18.5.0/24'), [parsePrefix('198.18.0.0/16')]), /overlaps the machine's route 198.18.0.0\/16/);
  assert.doesNotThrow(() => assertSafeLabSubnet(parsePrefix('198.18.5.0/24'), uplink));
});
