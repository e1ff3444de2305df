import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cmsgSpace, decodeCmsgInt, decodeCmsgs, decodeIn6Pktinfo, decodeInPktinfo, encodeCmsgs, encodeIn6Pktinfo, encodeInPktinfo,
} from '../../runtime/src/net/ancillary.ts';
import { int32 } from '../../runtime/src/net/host-order.ts';

test('control messages round-trip with CMSG_SPACE alignment (16-byte header, 8-byte alignment on 64-bit)', () => {
  assert.equal(cmsgSpace(4), 24);
  assert.equal(cmsgSpace(12), 32);
  assert.equal(cmsgSpace(20), 40);
  const list = [
    { level: 0, type: 2, data: int32(255) },                                        // IP_TTL
    { level: 0, type: 8, data: encodeInPktinfo({ ifindex: 2, addr: '224.0.0.18' }) }, // IP_PKTINFO
  ];
  const control = encodeCmsgs(list);
  assert.equal(control.length, 24 + 32);
  assert.deepEqual(decodeCmsgs(control), list);
  assert.deepEqual(decodeCmsgs(Buffer.alloc(0)), []);
});

test('a control message whose length is short or runs past the buffer is an error, not a crash', () => {
  const control = encodeCmsgs([{ level: 41, type: 52, data: int32(64) }]);
  const short = Buffer.from(control); short.writeUInt32LE(3, 0);
  assert.throws(() => decodeCmsgs(short), /length 3 is shorter than its header/);
  const long = Buffer.from(control); long.writeUInt32LE(200, 0);
  assert.throws(() => decodeCmsgs(long), /runs past the 24-byte buffer/);
});

test('in_pktinfo and in6_pktinfo layouts', () => {
  const v4 = encodeInPktinfo({ ifindex: 3, specDst: '198.18.0.2', addr: '224.0.0.18' });
  assert.equal(v4.length, 12);
  assert.deepEqual(decodeInPktinfo(v4), { ifindex: 3, specDst: '198.18.0.2', addr: '224.0.0.18' });
  const v6 = encodeIn6Pktinfo({ addr: 'ff02::12', ifindex: 9 });
  assert.equal(v6.length, 20);
  assert.deepEqual(decodeIn6Pktinfo(v6), { addr: 'ff02::12', ifindex: 9 });
  assert.throws(() => decodeInPktinfo(v4.subarray(0, 11)), /in_pktinfo: 11 bytes/);
  assert.throws(() => decodeIn6Pktinfo(v6.subarray(0, 19)), /in6_pktinfo: 19 bytes/);
  assert.equal(decodeCmsgInt(int32(255)), 255);
  assert.throws(() => decodeCmsgInt(Buffer.alloc(1)), /need 4/);
});
