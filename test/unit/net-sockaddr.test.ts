import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import {
  decodeSockaddr, encodeSockaddrIn, encodeSockaddrIn6, encodeSockaddrIp, encodeSockaddrLl, encodeSockaddrNl, macFromBytes, macToBytes,
} from '../../runtime/src/net/sockaddr.ts';

const LE = endianness() === 'LE';
/** A host-order u16 or u32 as hex, for golden layouts. */
const h16 = (n: number): string => { const b = Buffer.alloc(2); if (LE) b.writeUInt16LE(n); else b.writeUInt16BE(n); return b.toString('hex'); };
const h32 = (n: number): string => { const b = Buffer.alloc(4); if (LE) b.writeUInt32LE(n); else b.writeUInt32BE(n); return b.toString('hex'); };

test('sockaddr_in: host-order family, network-order port and address, 8 zero bytes', () => {
  const b = encodeSockaddrIn('198.18.0.1', 0x1234);
  assert.equal(b.toString('hex'), `${h16(2)}1234c6120001${'00'.repeat(8)}`);
  assert.deepEqual(decodeSockaddr(b), { family: 'inet', address: '198.18.0.1', port: 0x1234 });
  assert.throws(() => encodeSockaddrIn('2001:db8::1'), /IPv4/);
});

test('sockaddr_in6 carries the flow info and the scope id (the interface of a link-local address)', () => {
  const b = encodeSockaddrIn6('ff02::12', { port: 0, flowinfo: 0x12345, scopeId: 7 });
  assert.equal(b.length, 28);
  assert.equal(b.toString('hex'), `${h16(10)}000000012345ff020000000000000000000000000012${h32(7)}`);
  assert.deepEqual(decodeSockaddr(b), { family: 'inet6', address: 'ff02::12', port: 0, flowinfo: 0x12345, scopeId: 7 });
  assert.deepEqual(decodeSockaddr(encodeSockaddrIp('fe80::1', 3)), { family: 'inet6', address: 'fe80::1', port: 0, flowinfo: 0, scopeId: 3 });
  assert.equal(decodeSockaddr(encodeSockaddrIp('198.18.0.9')).family, 'inet');
});

test('sockaddr_ll: protocol in network order, ifindex in host order, hardware address with its length', () => {
  const b = encodeSockaddrLl({ ifindex: 5, protocol: 0x0806, address: '00:00:5e:00:01:33' });
  assert.equal(b.toString('hex'), `${h16(17)}0806${h32(5)}${h16(0)}000600005e0001330000`);
  assert.deepEqual(decodeSockaddr(b), { family: 'packet', protocol: 0x0806, ifindex: 5, hatype: 0, pkttype: 0, address: '00:00:5e:00:01:33' });
  // The kernel may hand back only offsetof(sll_addr) + halen bytes.
  assert.equal((decodeSockaddr(b.subarray(0, 18)) as { address: string }).address, '00:00:5e:00:01:33');
  assert.throws(() => decodeSockaddr(b.subarray(0, 15)), /sockaddr_ll: 15 bytes, need 18/);
  const bad = Buffer.from(b); bad[11] = 9;
  assert.throws(() => decodeSockaddr(bad), /address length 9/);
});

test('sockaddr_nl: port id and group mask', () => {
  const b = encodeSockaddrNl({ portId: 4242, groups: 0x11 });
  assert.equal(b.toString('hex'), `${h16(16)}0000${h32(4242)}${h32(0x11)}`);
  assert.deepEqual(decodeSockaddr(b), { family: 'netlink', portId: 4242, groups: 0x11 });
  assert.deepEqual(decodeSockaddr(encodeSockaddrNl()), { family: 'netlink', portId: 0, groups: 0 });
});

test('decoding refuses short buffers and unknown families with a clear error', () => {
  assert.throws(() => decodeSockaddr(Buffer.alloc(1)), /sockaddr: 1 bytes, need 2/);
  assert.throws(() => decodeSockaddr(encodeSockaddrIn('198.18.0.1').subarray(0, 8)), /sockaddr_in: 8 bytes, need 16/);
  assert.throws(() => decodeSockaddr(encodeSockaddrIn6('::1').subarray(0, 24)), /sockaddr_in6: 24 bytes, need 28/);
  assert.throws(() => decodeSockaddr(Buffer.from(h16(1) + '0000', 'hex')), /unsupported address family 1/);
});

test('MAC addresses to bytes and back', () => {
  assert.deepEqual([...macToBytes('00:00:5E:00:01:33')], [0, 0, 0x5e, 0, 1, 0x33]);
  assert.equal(macFromBytes(macToBytes('0-1-2-a-b-c')), '00:01:02:0a:0b:0c');
  assert.throws(() => macToBytes('00:00:5e:00:01:zz'), /not a hardware address/);
  assert.throws(() => macToBytes(''), /not a hardware address/);
});
