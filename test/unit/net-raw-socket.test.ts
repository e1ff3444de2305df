// The pure parts of the raw socket adapter: what recvmsg returned, turned into a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLinkScoped, parseIpv4, parseIpv6 } from '../../runtime/src/net/raw-socket.ts';
import { encodeIn6Pktinfo, encodeInPktinfo } from '../../runtime/src/net/ancillary.ts';
import { encodeSockaddrIn, encodeSockaddrIn6 } from '../../runtime/src/net/sockaddr.ts';
import { int32 } from '../../runtime/src/net/host-order.ts';

/** An IPv4 header with `ihl` words, TTL and protocol 112, from 198.18.0.1 to `to`. */
function ipv4(ttl: number, to: number[], ihl = 5, payload = Buffer.from('3101640100640000', 'hex')): Buffer {
  const h = Buffer.alloc(ihl * 4);
  h[0] = 0x40 | ihl; h[8] = ttl; h[9] = 112;
  h.set([198, 18, 0, 1], 12); h.set(to, 16);
  return Buffer.concat([h, payload]);
}

/** An SCM_TIMESTAMPNS message: struct timespec in host byte order (SOL_SOCKET 1, type 35). */
function timestamp(seconds: number, nanos: number): { level: number; type: number; data: Buffer } {
  const data = Buffer.alloc(16);
  data.writeBigInt64LE(BigInt(seconds), 0);
  data.writeBigInt64LE(BigInt(nanos), 8);
  return { level: 1, type: 35, data };
}

test('IPv4: the header is stripped and exposed; TTL and destination come from IP_TTL and IP_PKTINFO', () => {
  const data = ipv4(255, [224, 0, 0, 18]);
  const m = parseIpv4({
    data, addr: encodeSockaddrIn('198.18.0.1'), flags: 0,
    cmsgs: [{ level: 0, type: 8, data: encodeInPktinfo({ ifindex: 2, specDst: '198.18.0.2', addr: '224.0.0.18' }) }, { level: 0, type: 2, data: int32(255) }, timestamp(1795597200, 123_456_789)],
  });
  assert.deepEqual({ ...m, data: m.data.toString('hex'), ipHeader: m.ipHeader?.length }, {
    data: '3101640100640000', source: '198.18.0.1', destination: '224.0.0.18', ttl: 255, ifindex: 2, ipHeader: 20, receivedAt: 1795597200123.4568,
  });
  // IP options (IHL 6) are skipped too.
  assert.equal(parseIpv4({ data: ipv4(255, [198, 18, 0, 2], 6), addr: Buffer.alloc(16), flags: 0, cmsgs: [] }).data.toString('hex'), '3101640100640000');
  // Without ancillary data the header's own TTL and destination are used.
  const bare = parseIpv4({ data: ipv4(64, [198, 18, 0, 2]), addr: Buffer.alloc(16), flags: 0, cmsgs: [] });
  assert.deepEqual([bare.ttl, bare.destination, bare.ifindex], [64, '198.18.0.2', 0]);
});

test('IPv4 packets that are not whole are errors', () => {
  const got = (data: Buffer, flags = 0) => ({ data, addr: Buffer.alloc(16), flags, cmsgs: [] });
  assert.throws(() => parseIpv4(got(Buffer.alloc(19))), /19 bytes is shorter than an IP header/);
  assert.throws(() => parseIpv4(got(Buffer.from(ipv4(255, [1, 2, 3, 4])).fill(0x60, 0, 1))), /IP version 6 on an IPv4 socket/);
  assert.throws(() => parseIpv4(got(ipv4(255, [1, 2, 3, 4], 15, Buffer.alloc(0)).subarray(0, 40))), /header length 60 does not fit the 40-byte packet/);
  assert.throws(() => parseIpv4(got(ipv4(255, [1, 2, 3, 4]), 0x20)), /truncated/);
});

test('IPv6: the payload as is, the source from the sockaddr, hop limit and destination from ancillary data', () => {
  const m = parseIpv6({
    data: Buffer.from('3101640100640000', 'hex'), addr: encodeSockaddrIn6('fe80::1', { scopeId: 2 }), flags: 0,
    cmsgs: [{ level: 41, type: 50, data: encodeIn6Pktinfo({ addr: 'ff02::12', ifindex: 2 }) }, { level: 41, type: 52, data: int32(255) }, timestamp(1, 500_000)],
  });
  assert.deepEqual({ ...m, data: m.data.toString('hex') }, { data: '3101640100640000', source: 'fe80::1', destination: 'ff02::12', ttl: 255, ifindex: 2, receivedAt: 1000.5 });
  const before = Date.now();
  const untimed = parseIpv6({ data: Buffer.alloc(8), addr: encodeSockaddrIn6('fe80::1'), flags: 0, cmsgs: [{ level: 41, type: 50, data: encodeIn6Pktinfo({ addr: 'ff02::12', ifindex: 2 }) }, { level: 41, type: 52, data: int32(255) }] });
  assert.ok(untimed.receivedAt >= before, 'without SCM_TIMESTAMPNS, the time of reading');
  assert.throws(() => parseIpv6({ data: Buffer.alloc(8), addr: encodeSockaddrIn6('fe80::1'), flags: 0, cmsgs: [] }), /without its IPV6_HOPLIMIT and IPV6_PKTINFO/);
  assert.throws(() => parseIpv6({ data: Buffer.alloc(8), addr: encodeSockaddrIn('198.18.0.1'), flags: 0, cmsgs: [] }), /from a non-IPv6 \(inet\) address/);
});

test('link-scoped IPv6 destinations are the ones that need the interface as scope id', () => {
  assert.deepEqual(['ff02::12', 'ff02::1', 'fe80::1', 'febf::1', 'ff01::1'].map(isLinkScoped), [true, true, true, true, true]);
  assert.deepEqual(['2001:db8::1', 'ff05::2', 'fec0::1', '198.18.0.1'].map(isLinkScoped), [false, false, false, false]);
});
