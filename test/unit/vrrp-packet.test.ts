// The advert codec: round trips, every rejection reason, and Wireshark's independent dissector as the
// judge of our checksums (v2 plain, v3 with the IPv4 and IPv6 pseudo-headers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptAdvert, decodeAdvert, encodeAdvert, AUTH_AH, AUTH_PASSWORD,
  type Advert, type IpContext,
} from '../../runtime/src/vrrp/packet.ts';
import { internetChecksum } from '../../runtime/src/net/checksum.ts';
import { ipToBytes } from '../../runtime/src/net/ip.ts';
import { tsharkFields } from './pcap-support.ts';

const v4: IpContext = { source: '198.18.0.1', destination: '224.0.0.18' };
const v6: IpContext = { source: 'fe80::1', destination: 'ff02::12' };
const v2Advert: Advert = { version: 2, vrid: 51, priority: 150, intervalCs: 100, addresses: ['198.18.0.100', '198.18.0.101'], authType: 0 };
const v3Advert: Advert = { version: 3, vrid: 7, priority: 254, intervalCs: 10, addresses: ['198.18.0.100'] };
const v3Advert6: Advert = { version: 3, vrid: 7, priority: 100, intervalCs: 4095, addresses: ['2001:db8::100', '2001:db8::101'] };

test('the Internet checksum of RFC 1071, with its worked example', () => {
  // RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is 2ddf0, folded ddf2, complemented 220d.
  assert.equal(internetChecksum(Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0x220d);
  assert.equal(internetChecksum(Buffer.from([0x00, 0x01]), Buffer.from([0xf2]), Buffer.from([0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0x220d, 'odd split points');
});

test('adverts round-trip through the codec for v2, v3 over IPv4 and v3 over IPv6', () => {
  for (const [advert, ip] of [[v2Advert, v4], [v3Advert, v4], [v3Advert6, v6]] as const) {
    const decoded = decodeAdvert(encodeAdvert(advert, ip), ip);
    assert.ok(decoded.ok, JSON.stringify(decoded));
    const expected = advert.version === 2 ? { ...advert, authData: Buffer.alloc(8) } : advert;
    assert.deepEqual(decoded.advert, expected);
  }
  const withPassword = encodeAdvert({ ...v2Advert, authType: AUTH_PASSWORD, authData: Buffer.from('secret') }, v4);
  const d = decodeAdvert(withPassword, v4);
  assert.ok(d.ok);
  assert.deepEqual(d.advert.authData, Buffer.from('secret\0\0'));
});

test('the wire layout: v2 seconds and auth fields, v3 12-bit centiseconds', () => {
  const m2 = encodeAdvert(v2Advert, v4);
  assert.deepEqual([...m2.subarray(0, 6)], [0x21, 51, 150, 2, 0, 1]);
  assert.equal(m2.length, 8 + 8 + 8);
  const m3 = encodeAdvert(v3Advert6, v6);
  assert.deepEqual([...m3.subarray(0, 6)], [0x31, 7, 100, 2, 0x0f, 0xff]);
  assert.equal(m3.length, 8 + 32);
});

test('v3 checksums cover the pseudo-header: the same advert to another address does not verify', () => {
  const m = encodeAdvert(v3Advert, v4);
  const elsewhere = decodeAdvert(m, { source: '198.18.0.1', destination: '198.18.0.2' });
  assert.deepEqual(elsewhere.ok ? 'ok' : elsewhere.reason, 'checksum');
  // v2 has no pseudo-header: the destination does not matter.
  assert.ok(decodeAdvert(encodeAdvert(v2Advert, v4), { source: '198.18.0.9', destination: '198.18.0.2' }).ok);
});

test('malformed messages are rejected with a reason, never thrown', () => {
  const good = encodeAdvert(v3Advert, v4);
  const reason = (m: Buffer, ip = v4): string => { const r = decodeAdvert(m, ip); return r.ok ? 'ok' : r.reason; };
  assert.equal(reason(Buffer.alloc(0)), 'short');
  assert.equal(reason(good.subarray(0, 7)), 'short');
  assert.equal(reason(good.subarray(0, 11)), 'short', 'one address announced, three bytes of it present');
  assert.equal(reason(Buffer.concat([good, Buffer.alloc(4)])), 'address-count');
  const version = Buffer.from(good); version[0] = 0x41;
  assert.equal(reason(version), 'version');
  const type = Buffer.from(good); type[0] = 0x32;
  assert.equal(reason(type), 'type');
  const flipped = Buffer.from(good); flipped[2] ^= 1;
  assert.equal(reason(flipped), 'checksum');
  assert.equal(reason(encodeAdvert(v2Advert, v4), { source: 'fe80::1', destination: 'ff02::12' }), 'version', 'v2 over IPv6');
  // Every truncation and every single-bit flip of a valid message is rejected, and none throws.
  for (const m of [good, encodeAdvert(v2Advert, v4)]) {
    for (let len = 0; len < m.length; len++) assert.notEqual(reason(m.subarray(0, len)), 'ok');
    for (let bit = 0; bit < m.length * 8; bit++) {
      const x = Buffer.from(m); x[bit >> 3] ^= 1 << (bit & 7);
      assert.notEqual(reason(x), 'ok', `bit ${bit}`);
    }
  }
});

test('configuration checks: TTL, version, VRID, authentication, v2 interval, address list', () => {
  const rules = { version: 3 as const, vrid: 7, intervalCs: 100, addresses: ['198.18.0.100'] };
  assert.equal(acceptAdvert(v3Advert, 255, rules), undefined, 'v3 accepts another interval (it learns it)');
  assert.equal(acceptAdvert(v3Advert, 254, rules)?.reason, 'ttl');
  assert.equal(acceptAdvert(v3Advert, 250, { ...rules, ttl: { min: 250, max: 255 } }), undefined, 'a unicast peer\'s min_ttl');
  assert.equal(acceptAdvert(v3Advert, 249, { ...rules, ttl: { min: 250, max: 255 } })?.detail, 'TTL 249, outside 250..255');
  assert.equal(acceptAdvert(v3Advert, 255, { ...rules, vrid: 8 })?.reason, 'unknown-vrid');
  assert.equal(acceptAdvert(v3Advert, 255, { ...rules, version: 2 })?.reason, 'version');
  assert.equal(acceptAdvert({ ...v3Advert, addresses: ['198.18.0.200'] }, 255, rules)?.reason, 'address-list');
  assert.equal(acceptAdvert({ ...v3Advert, priority: 255, addresses: ['198.18.0.200'] }, 255, rules), undefined, 'the owner may differ');
  assert.equal(acceptAdvert({ ...v3Advert, addresses: ['198.18.0.200'] }, 255, { ...rules, checkAddresses: false }), undefined, 'vrrp_skip_check_adv_addr, from the master followed');
  assert.equal(acceptAdvert({ ...v3Advert, addresses: ['198.18.0.200'], vrid: 8 }, 255, { ...rules, checkAddresses: false })?.reason, 'unknown-vrid', 'only the address list is skipped');

  const v2rules = { version: 2 as const, vrid: 51, intervalCs: 100, addresses: ['198.18.0.101', '198.18.0.100'] };
  const decoded = (a: Advert) => { const r = decodeAdvert(encodeAdvert(a, v4), v4); assert.ok(r.ok); return r.advert; };
  assert.equal(acceptAdvert(decoded(v2Advert), 255, v2rules), undefined, 'address order does not matter');
  assert.equal(acceptAdvert(decoded({ ...v2Advert, intervalCs: 200 }), 255, v2rules)?.reason, 'interval');
  const pass = (password: string) => ({ ...v2rules, authentication: { type: 'PASS' as const, password } });
  assert.equal(acceptAdvert(decoded(v2Advert), 255, pass('pw'))?.reason, 'auth-mismatch');
  const signed = decoded({ ...v2Advert, authType: AUTH_PASSWORD, authData: Buffer.from('pw') });
  assert.equal(acceptAdvert(signed, 255, pass('pw')), undefined);
  assert.deepEqual(acceptAdvert(signed, 255, pass('other')), { reason: 'auth-password', detail: 'wrong password' });
  assert.equal(acceptAdvert(signed, 255, v2rules)?.reason, 'auth-mismatch', 'a password where none is configured');
  // AH: the header was verified by the caller; the advert itself must say auth type 2.
  const ah = { ...v2rules, authentication: { type: 'AH' as const, password: 'pw' } };
  assert.equal(acceptAdvert(decoded({ ...v2Advert, authType: AUTH_AH }), 255, ah), undefined);
  assert.equal(acceptAdvert(signed, 255, ah)?.reason, 'auth-mismatch', 'a password under AH');
  assert.equal(acceptAdvert(decoded({ ...v2Advert, authType: AUTH_AH }), 255, pass('pw'))?.reason, 'auth-mismatch', 'AH where a password is configured');
  assert.deepEqual(acceptAdvert(decoded({ ...v2Advert, authType: 3 }), 255, ah), { reason: 'auth-invalid', detail: 'unknown auth type 3' });
});

test('encoding refuses what cannot be put on the wire', () => {
  assert.throws(() => encodeAdvert({ ...v2Advert, intervalCs: 150 }, v4), /whole seconds/);
  assert.throws(() => encodeAdvert({ ...v3Advert, intervalCs: 4096 }, v4), /1 to 4095/);
  assert.throws(() => encodeAdvert({ ...v3Advert, vrid: 0 }, v4), /VRID 0/);
  assert.throws(() => encodeAdvert({ ...v3Advert, priority: 256 }, v4), /priority 256/);
  assert.throws(() => encodeAdvert(v3Advert, v6), /family/);
  assert.throws(() => encodeAdvert({ ...v2Advert, addresses: [] }, v6), /IPv4 only/);
});

function ipPacket(ip: IpContext, payload: Buffer): Buffer {
  const [src, dst] = [ipToBytes(ip.source), ipToBytes(ip.destination)];
  if (src.length === 4) {
    const h = Buffer.alloc(20);
    h[0] = 0x45; h.writeUInt16BE(20 + payload.length, 2); h[8] = 255; h[9] = 112;
    src.copy(h, 12); dst.copy(h, 16);
    h.writeUInt16BE(internetChecksum(h), 10);
    return Buffer.concat([h, payload]);
  }
  const h = Buffer.alloc(40);
  h[0] = 0x60; h.writeUInt16BE(payload.length, 4); h[6] = 112; h[7] = 255;
  src.copy(h, 8); dst.copy(h, 24);
  return Buffer.concat([h, payload]);
}

test('Wireshark decodes our adverts field by field and finds every checksum good', async () => {
  const cases = [[v2Advert, v4], [v3Advert, v4], [v3Advert6, v6], [{ ...v2Advert, authType: AUTH_PASSWORD, authData: Buffer.from('pw') }, v4]] as const;
  const rows = await tsharkFields(cases.map(([a, ip]) => ipPacket(ip, encodeAdvert(a, ip))), [
    'vrrp.version', 'vrrp.virt_rtr_id', 'vrrp.prio', 'vrrp.adver_int', 'vrrp.short_adver_int', 'vrrp.ip_addr', 'vrrp.ipv6_addr', 'vrrp.checksum.status', 'vrrp.auth_string',
  ]);
  assert.deepEqual(rows, [
    ['2', '51', '150', '1', '', '198.18.0.100,198.18.0.101', '', '1', ''],
    ['3', '7', '254', '', '10', '198.18.0.100', '', '1', ''],
    ['3', '7', '100', '', '4095', '', '2001:db8::100,2001:db8::101', '1', ''],
    ['2', '51', '150', '1', '', '198.18.0.100,198.18.0.101', '', '1', 'pw'],
  ]);
});
