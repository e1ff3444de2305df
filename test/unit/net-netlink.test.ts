import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI, NLM_F_REQUEST, NLA_F_NESTED,
  NetlinkError, NetlinkFormatError, attr, attributeMap, decodeAttributes, decodeDone, decodeError, decodeMessages,
  encodeAttributes, encodeMessage, errnoName, read,
} from '../../runtime/src/net/netlink.ts';

/** An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK on. */
function errorMessage(errno: number, seq: number, text?: string): Buffer {
  const payload = Buffer.alloc(20);
  payload.writeInt32LE(-errno, 0);
  encodeMessage({ type: 20, flags: NLM_F_REQUEST, seq, payload: Buffer.alloc(0) }).copy(payload, 4);
  const tlvs = text === undefined ? Buffer.alloc(0) : encodeAttributes([[1, attr.string(text)]]);
  return encodeMessage({ type: NLMSG_ERROR, flags: NLM_F_CAPPED | (text === undefined ? 0 : NLM_F_ACK_TLVS), seq, payload: Buffer.concat([payload, tlvs]) });
}

test('messages: header fields round-trip, payloads are padded to 4 bytes, several share a datagram', () => {
  const a = encodeMessage({ type: 22, flags: 0x305, seq: 7, pid: 99, payload: Buffer.from([1, 2, 3, 4, 5]) });
  assert.equal(a.length, 24);
  assert.equal(a.readUInt32LE(0), 21, 'nlmsg_len counts the payload, not the padding');
  const b = encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 7, payload: Buffer.alloc(4) });
  const [m1, m2] = decodeMessages(Buffer.concat([a, b]));
  assert.deepEqual({ ...m1, payload: [...m1!.payload] }, { type: 22, flags: 0x305, seq: 7, pid: 99, payload: [1, 2, 3, 4, 5] });
  assert.equal(m2?.type, NLMSG_DONE);
  assert.equal(decodeDone(m2!), 0);
  assert.deepEqual(decodeMessages(Buffer.alloc(0)), []);
});

test('truncated and badly sized messages throw a NetlinkFormatError that says where and why', () => {
  const m = encodeMessage({ type: 16, flags: 0, seq: 1, payload: Buffer.alloc(16) });
  assert.throws(() => decodeMessages(m.subarray(0, 10)), (e: Error) => e instanceof NetlinkFormatError && /at byte 0: 10 bytes left, a header needs 16/.test(e.message));
  assert.throws(() => decodeMessages(m.subarray(0, 20)), /length 32 but only 20 bytes left \(truncated\)/);
  const short = Buffer.from(m); short.writeUInt32LE(8, 0);
  assert.throws(() => decodeMessages(short), /length 8 is shorter than its 16-byte header/);
  const zero = Buffer.from(m); zero.writeUInt32LE(0, 0);
  assert.throws(() => decodeMessages(zero), /length 0/, 'a zero length must not loop forever');
  assert.throws(() => decodeMessages(Buffer.concat([m, m.subarray(0, 5)])), /at byte 32: 5 bytes left/);
});

test('attributes: scalars, strings, nesting with NLA_F_NESTED, padding between them', () => {
  const encoded = encodeAttributes([[3, attr.string('eth0')], [18, [[1, attr.string('macvlan')], [2, [[1, attr.u32(4)]]]]], [16, attr.u8(6)]]);
  const top = decodeAttributes(encoded);
  assert.deepEqual(top.map((a) => [a.type, a.nested]), [[3, false], [18, true], [16, false]]);
  assert.equal(encoded.readUInt16LE(14) & NLA_F_NESTED, NLA_F_NESTED);
  const map = attributeMap(top);
  assert.equal(read.string(map.get(3)!), 'eth0');
  assert.equal(read.u8(map.get(16)!), 6);
  const info = attributeMap(decodeAttributes(map.get(18)!));
  assert.equal(read.string(info.get(1)!), 'macvlan');
  assert.equal(read.u32(attributeMap(decodeAttributes(info.get(2)!)).get(1)!), 4);
  assert.equal(read.i32(attr.i32(-5)), -5);
  assert.equal(read.u16(attr.u16(0xbeef)), 0xbeef);
});

test('attributes with a bad length throw; fewer than 4 trailing bytes are padding, as in the kernel', () => {
  const good = encodeAttributes([[1, attr.u32(1)], [2, attr.u32(2)]]);
  const overrun = Buffer.from(good); overrun.writeUInt16LE(40, 8);
  assert.throws(() => decodeAttributes(overrun, 'ifaddrmsg attributes'), /ifaddrmsg attributes: attribute 2 at byte 8 has length 40, past the end \(8 bytes left\)/);
  const short = Buffer.from(good); short.writeUInt16LE(2, 0);
  assert.throws(() => decodeAttributes(short), /attribute 1 at byte 0 has length 2, shorter than its header/);
  assert.equal(decodeAttributes(Buffer.concat([good, Buffer.alloc(3)])).length, 2);
  assert.throws(() => read.u32(Buffer.alloc(2), 'IFLA_MTU'), /IFLA_MTU: 2 bytes, need 4/);
  assert.throws(() => encodeAttributes([[1, Buffer.alloc(70_000)]]), /do not fit a 16-bit length/);
});

test('NLMSG_ERROR: an ack, an errno with its name, the extended-ack text, and a short one', () => {
  const [ack] = decodeMessages(errorMessage(0, 5));
  assert.deepEqual(decodeError(ack!), { errno: 0, request: { type: 20, flags: NLM_F_REQUEST, seq: 5, pid: 0 } });
  const [refusal] = decodeMessages(errorMessage(17, 6, 'ipv4: Address already assigned'));
  const decoded = decodeError(refusal!);
  assert.equal(decoded.errno, 17);
  assert.equal(decoded.message, 'ipv4: Address already assigned');
  assert.equal(errnoName(decoded.errno), 'EEXIST');
  assert.equal(errnoName(-99), 'EADDRNOTAVAIL');
  assert.equal(errnoName(100000), 'errno 100000');
  assert.throws(() => decodeError({ type: NLMSG_ERROR, flags: 0, seq: 1, pid: 0, payload: Buffer.alloc(12) }), /NLMSG_ERROR: 12-byte payload, need 20/);
  const done = { type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 1, pid: 0, payload: Buffer.from([0xf0, 0xff, 0xff, 0xff]) };
  assert.equal(decodeDone(done), 16, 'NLMSG_DONE carries -EBUSY when a dump failed');
});

test('NetlinkError names the operation and the errno', () => {
  const e = new NetlinkError('add 198.18.0.100/24 on eth0', 17);
  assert.equal(e.message, 'add 198.18.0.100/24 on eth0: EEXIST');
  assert.equal(e.code, 'EEXIST');
  assert.equal(e.errno, 17);
  assert.equal(new NetlinkError('delete link vrrp.51', 19, 'no such device').message, 'delete link vrrp.51: ENODEV (no such device)');
});
