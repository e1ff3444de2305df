import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGratuitousArp, isGratuitous, parseArpFrame } from '../../runtime/src/net/arp.ts';
import { buildNeighbourAdvert, parseNeighbourAdvert } from '../../runtime/src/net/ndisc.ts';

test('gratuitous ARP: broadcast Ethernet frame, ARP request, sender IP = target IP = the VIP', () => {
  const f = buildGratuitousArp({ address: '198.18.0.100', mac: '00:00:5e:00:01:33' });
  assert.equal(f.length, 60, 'padded to the Ethernet minimum');
  assert.equal(f.subarray(0, 42).toString('hex'),
    'ffffffffffff' + '00005e000133' + '0806' +         // Ethernet: broadcast, from the virtual MAC, ARP
    '0001' + '0800' + '06' + '04' + '0001' +           // Ethernet/IPv4, request
    '00005e000133' + 'c6120064' +                      // sender: MAC, VIP
    '000000000000' + 'c6120064');                      // target: unknown MAC, VIP
  const arp = parseArpFrame(f);
  assert.deepEqual(arp, {
    destinationMac: 'ff:ff:ff:ff:ff:ff', sourceMac: '00:00:5e:00:01:33', opcode: 1,
    senderMac: '00:00:5e:00:01:33', senderIp: '198.18.0.100', targetMac: '00:00:00:00:00:00', targetIp: '198.18.0.100',
  });
  assert.ok(isGratuitous(arp));
  const reply = parseArpFrame(buildGratuitousArp({ address: '198.18.0.100', mac: '02:00:00:00:00:01', opcode: 'reply' }));
  assert.deepEqual([reply.opcode, reply.targetMac], [2, 'ff:ff:ff:ff:ff:ff']);
});

test('gratuitous ARP refuses what it cannot announce; the parser refuses what is not IPv4-over-Ethernet ARP', () => {
  assert.throws(() => buildGratuitousArp({ address: '2001:db8::1', mac: '02:00:00:00:00:01' }), /IPv4 addresses/);
  assert.throws(() => buildGratuitousArp({ address: '198.18.0.1', mac: '02:00:00:00:00' }), /not an Ethernet address/);
  const f = buildGratuitousArp({ address: '198.18.0.100', mac: '02:00:00:00:00:01' });
  assert.throws(() => parseArpFrame(f.subarray(0, 41)), /ARP frame of 41 bytes, need 42/);
  const ip = Buffer.from(f); ip.writeUInt16BE(0x0800, 12);
  assert.throws(() => parseArpFrame(ip), /EtherType 0x800 is not ARP/);
  const token = Buffer.from(f); token.writeUInt16BE(6, 14);
  assert.throws(() => parseArpFrame(token), /only IPv4 over Ethernet/);
  const unicast = parseArpFrame(Buffer.concat([Buffer.from('020000000002', 'hex'), f.subarray(6)]));
  assert.equal(isGratuitous(unicast), false);
});

test('unsolicited neighbour advertisement: type 136, Override set, Solicited clear, target and its link-layer option', () => {
  const m = buildNeighbourAdvert({ target: '2001:db8::100', mac: '00:00:5e:00:02:33' });
  assert.equal(m.toString('hex'),
    '88' + '00' + '0000' + '20000000' +                  // type 136, code 0, checksum (kernel's), flags O
    '20010db8000000000000000000000100' +                // target
    '02' + '01' + '00005e000233');                      // option 2 (target link-layer address), 8 bytes
  assert.deepEqual(parseNeighbourAdvert(m), { target: '2001:db8::100', router: false, solicited: false, override: true, checksum: 0, mac: '00:00:5e:00:02:33' });
  const router = parseNeighbourAdvert(buildNeighbourAdvert({ target: 'fe80::1', mac: '02:00:00:00:00:01', router: true }));
  assert.deepEqual([router.router, router.override, router.solicited], [true, true, false]);
});

test('neighbour advertisement input that is wrong is an error, not a crash', () => {
  assert.throws(() => buildNeighbourAdvert({ target: '198.18.0.1', mac: '02:00:00:00:00:01' }), /IPv6 addresses/);
  const m = buildNeighbourAdvert({ target: '2001:db8::100', mac: '02:00:00:00:00:01' });
  assert.throws(() => parseNeighbourAdvert(m.subarray(0, 23)), /23 bytes, need at least 24/);
  const solicit = Buffer.from(m); solicit[0] = 135;
  assert.throws(() => parseNeighbourAdvert(solicit), /type 135 is not a neighbour advertisement/);
  const zeroOption = Buffer.from(m); zeroOption[25] = 0;
  assert.throws(() => parseNeighbourAdvert(zeroOption), /option at byte 24 has length 0/);
  const longOption = Buffer.from(m); longOption[25] = 2;
  assert.throws(() => parseNeighbourAdvert(longOption), /option at byte 24 runs past the end/);
  assert.throws(() => parseNeighbourAdvert(Buffer.concat([m, Buffer.from([2])])), /option at byte 32 is truncated/);
  assert.equal(parseNeighbourAdvert(m.subarray(0, 24)).mac, undefined, 'the option is optional');
});
