// auth_type AH: adverts keepalived 2.2.7 sent verify here and ours are the same bytes; every bit of a
// packet either is covered by the ICV or is one of the mutable fields; SPI, truncation, foreign next
// headers and the anti-replay counter, each with its reason; Wireshark dissects what we build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  acceptSequence, afterAdvert, ahKey, nextIdentification, nextSequence, onBecomingMaster, sealAdvert, splitAh, verifyAh,
  FRESH_SEQUENCE, type AhSequence,
} from '../../runtime/src/vrrp/ipsec-ah.ts';
import { AUTH_AH, decodeAdvert, encodeAdvert, type Advert } from '../../runtime/src/vrrp/packet.ts';
import { parseIpv4 } from '../../runtime/src/net/raw-socket.ts';
import { tsharkFields } from './pcap-support.ts';

/**
 * Adverts Debian's keepalived 2.2.7 sent (captured with tshark on a veth peer): VRID 51, priority
 * 150, advert_int 1, VIP 198.18.200.100, from 198.18.200.1, auth_type AH with auth_pass "secret".
 */
const KEEPALIVED = {
  multicast1: '45c0004000010000ff334ca3c612c801e000001270040000c612c8010000000101af21fb9318f61b6f6ad083213396010201b852c612c8640000000000000000',
  multicast4: '45c0004000040000ff334ca0c612c801e000001270040000c612c801000000049b4e10668984e0cfe8e23dbd213396010201b852c612c8640000000000000000',
  unicast1: '45c0004000010000ff339ea0c612c801c612c80270040000c612c80100000001d346b7ae3ddb4382197c4cd2213396010201b852c612c8640000000000000000',
};
const KEY = ahKey('secret');
const ADVERT: Advert = { version: 2, vrid: 51, priority: 150, intervalCs: 100, addresses: ['198.18.200.100'], authType: AUTH_AH };
const SOURCE = '198.18.200.1';

/** What the VRRP child does with a protocol-51 packet: the raw socket's IPv4 parsing, the AH's framing, the advert, the ICV. */
function receive(packet: Buffer, key = KEY, unicast = false): { ok: true; advert: Advert; sequence: number } | { ok: false; reason: string } {
  const m = parseIpv4({ data: packet, addr: Buffer.alloc(16), flags: 0, cmsgs: [] });
  const split = splitAh(m.ipHeader!, m.data);
  if (!split.ok) return split;
  const decoded = decodeAdvert(split.packet.vrrp, { source: m.source, destination: m.destination });
  if (!decoded.ok) return decoded;
  const bad = verifyAh(split.packet, key, unicast);
  return bad ? { ok: false, reason: bad.reason } : { ok: true, advert: decoded.advert, sequence: split.packet.sequence };
}

const reasonOf = (r: ReturnType<typeof receive>): string => (r.ok ? 'ok' : r.reason);

function ours(o: { destination: string; identification: number; sequence: number; unicast: boolean; key?: Buffer }): Buffer {
  const vrrp = encodeAdvert(ADVERT, { source: SOURCE, destination: o.destination });
  return sealAdvert({ vrrp, source: SOURCE, destination: o.destination, identification: o.identification, sequence: o.sequence, key: o.key ?? KEY, unicast: o.unicast });
}

test('keepalived 2.2.7\'s AH adverts verify here, and ours with the same fields are the same bytes', () => {
  const cases = [
    { hex: KEEPALIVED.multicast1, destination: '224.0.0.18', identification: 1, sequence: 1, unicast: false },
    { hex: KEEPALIVED.multicast4, destination: '224.0.0.18', identification: 4, sequence: 4, unicast: false },
    { hex: KEEPALIVED.unicast1, destination: '198.18.200.2', identification: 1, sequence: 1, unicast: true },
  ];
  for (const c of cases) {
    const theirs = Buffer.from(c.hex, 'hex');
    const got = receive(theirs, KEY, c.unicast);
    assert.ok(got.ok, `${c.hex}: ${JSON.stringify(got)}`);
    assert.equal(got.sequence, c.sequence);
    assert.deepEqual(got.advert, { ...ADVERT, authData: Buffer.alloc(8) });
    // The kernel filled in the header checksum, which we leave 0 for it.
    const expected = Buffer.from(theirs);
    expected.writeUInt16BE(0, 10);
    assert.equal(ours(c).toString('hex'), expected.toString('hex'));
    assert.equal(reasonOf(receive(theirs, ahKey('secreT'), c.unicast)), 'auth-hmac', 'another key');
    assert.equal(reasonOf(receive(theirs, KEY, !c.unicast)), 'auth-hmac', 'the TTL in or out of the ICV, as the other mode has it');
  }
});

test('every bit is either covered by the ICV or one of the mutable fields, for multicast and unicast', () => {
  // RFC 2402 section 3.3.3.1.1.1: TOS, flags and fragment offset, TTL and the header checksum are
  // mutable; keepalived keeps the TTL in for multicast. The next header and AH length bytes are
  // checked before the ICV. The IHL byte (0) changes where the header ends: it is tried on its own.
  for (const unicast of [false, true]) {
    const good = ours({ destination: unicast ? '198.18.200.2' : '224.0.0.18', identification: 7, sequence: 9, unicast });
    const mutable = new Set([1, 6, 7, 10, 11, ...(unicast ? [8] : [])]);
    const counts: Record<string, number> = {};
    for (let bit = 8; bit < good.length * 8; bit++) {
      const b = Buffer.from(good);
      b[bit >> 3]! ^= 0x80 >> (bit & 7);
      const byte = bit >> 3;
      const reason = reasonOf(receive(b, KEY, unicast));
      const expected = mutable.has(byte) ? 'ok'
        : byte === 20 ? 'ah-next-header'
          : byte === 21 ? 'short'
            : 'auth-hmac';
      // A flipped VRRP byte may first fail the VRRP checksum or length checks, which come before the ICV.
      const vrrpByte = byte >= 44;
      if (!(vrrpByte && reason !== 'ok' && expected === 'auth-hmac')) assert.equal(reason, expected, `byte ${byte}, bit ${bit & 7} (unicast ${unicast})`);
      counts[reason] = (counts[reason] ?? 0) + 1;
    }
    assert.ok((counts['ok'] ?? 0) === mutable.size * 8, `only the mutable fields' bits pass: ${JSON.stringify(counts)}`);
  }
  const ihl = ours({ destination: '224.0.0.18', identification: 7, sequence: 9, unicast: false });
  ihl[0] = 0x46; // one more header word than there is: the AH is then read from the wrong place
  assert.notEqual(reasonOf(receive(ihl)), 'ok');
});

test('an SPI that is not the source address is refused, even under a valid ICV', () => {
  const b = ours({ destination: '224.0.0.18', identification: 1, sequence: 1, unicast: false });
  b.writeUInt32BE(0xc612c802, 24); // 198.18.200.2
  // The ICV recomputed by hand over the forged SPI, as RFC 2402 section 3.3.3.1.1.1 lays it out.
  const covered = Buffer.from(b);
  covered[1] = 0; covered.writeUInt16BE(0, 6); covered.writeUInt16BE(0, 10); covered.fill(0, 32, 44);
  createHmac('md5', KEY).update(covered).digest().copy(b, 32, 0, 12);
  assert.equal(reasonOf(receive(b)), 'auth-spi');
});

test('a packet truncated anywhere is refused as short, and a foreign protocol under AH as such', () => {
  const good = ours({ destination: '224.0.0.18', identification: 1, sequence: 1, unicast: false });
  for (let length = 20; length < good.length; length++) {
    const cut = Buffer.from(good.subarray(0, length));
    cut.writeUInt16BE(length, 2);
    assert.equal(reasonOf(receive(cut)), 'short', `${length} of ${good.length} bytes`);
  }
  const trailing = Buffer.concat([good, Buffer.alloc(4)]);
  trailing.writeUInt16BE(trailing.length, 2);
  assert.equal(reasonOf(receive(trailing)), 'address-count', 'bytes past the advert');
  const esp = Buffer.from(good);
  esp[20] = 50;
  assert.equal(reasonOf(receive(esp)), 'ah-next-header');
});

test('the anti-replay counter: greater numbers only; one counter for what is sent and what is accepted', () => {
  let s: AhSequence = FRESH_SEQUENCE;
  s = nextSequence(s);
  assert.deepEqual(s, { last: 1, exhausted: false }, 'the first advert carries 1');
  assert.equal(acceptSequence(s, 1), undefined, 'equal: a replay');
  assert.equal(acceptSequence(s, 0), undefined, 'lower: stale');
  assert.deepEqual(acceptSequence(s, 2), { last: 2, exhausted: false });
  assert.deepEqual(acceptSequence(s, 0xffffffff), { last: 0xffffffff, exhausted: false });

  // Past 0xfffffffd keepalived stops counting and repeats the number, until it becomes master again.
  const near: AhSequence = { last: 0xfffffffd, exhausted: false };
  const top = nextSequence(near);
  assert.deepEqual(top, { last: 0xfffffffe, exhausted: false });
  assert.deepEqual(nextSequence(top), { last: 0xfffffffe, exhausted: true });
  assert.deepEqual(onBecomingMaster(nextSequence(top)), FRESH_SEQUENCE);
  assert.deepEqual(onBecomingMaster(top), top, 'a counter still counting is kept');

  // After an accepted advert: a master that stays master jumps past a lower sender's number; a
  // priority-0 advert leaves it be; anything else clears the exhausted flag.
  const exhausted: AhSequence = { last: 40, exhausted: true };
  assert.deepEqual(afterAdvert(exhausted, 40, 100, 'master', 'master'), { last: 41, exhausted: false });
  assert.deepEqual(afterAdvert(exhausted, 40, 0, 'master', 'master'), exhausted);
  assert.deepEqual(afterAdvert(exhausted, 40, 200, 'master', 'backup'), { last: 40, exhausted: false });
  assert.deepEqual(afterAdvert(exhausted, 40, 200, 'backup', 'backup'), { last: 40, exhausted: false });
  assert.deepEqual(afterAdvert({ last: 0xffffffff, exhausted: false }, 0xffffffff, 100, 'master', 'master'), { last: 0, exhausted: false });
});

test('two routers\' counters through a failover and a restart, as in a mixed group', () => {
  // A is master and sends; B follows, accepting each number.
  let a: AhSequence = FRESH_SEQUENCE;
  let b: AhSequence = FRESH_SEQUENCE;
  for (let k = 0; k < 5; k++) {
    a = nextSequence(a);
    b = acceptSequence(b, a.last)!;
    assert.ok(b, `advert ${a.last} accepted`);
  }
  // A dies; B takes over and carries on above A's numbers.
  b = onBecomingMaster(b);
  b = nextSequence(b);
  assert.equal(b.last, 6);
  // A restarts from 0: B refuses its stale adverts, and A accepts B's.
  const restarted = nextSequence(FRESH_SEQUENCE);
  assert.equal(acceptSequence(b, restarted.last), undefined);
  a = acceptSequence(FRESH_SEQUENCE, b.last)!;
  assert.deepEqual(a, { last: 6, exhausted: false });
  // A preempts: its first advert is news to B.
  a = nextSequence(onBecomingMaster(a));
  assert.ok(acceptSequence(b, a.last), `B accepts ${a.last} over its ${b.last}`);
});

test('the IPv4 Identification is never 0 (the kernel would replace it after the ICV was computed), and AH is IPv4 only', () => {
  assert.equal(nextIdentification(1), 2);
  assert.equal(nextIdentification(0xffff), 1);
  let id = 0xfff0;
  for (let k = 0; k < 40; k++) { id = nextIdentification(id); assert.ok(id >= 1 && id <= 0xffff); }
  const vrrp = encodeAdvert(ADVERT, { source: SOURCE, destination: '224.0.0.18' });
  const seal = (o: Partial<Parameters<typeof sealAdvert>[0]>) => sealAdvert({ vrrp, source: SOURCE, destination: '224.0.0.18', identification: 1, sequence: 1, key: KEY, unicast: false, ...o });
  assert.throws(() => seal({ identification: 0 }), /outside 1\.\.65535/);
  assert.throws(() => seal({ identification: 0x10000 }), /outside 1\.\.65535/);
  assert.throws(() => seal({ source: 'fe80::1', destination: 'ff02::12' }), /IPv4 only/);
  assert.deepEqual(ahKey('0123456789'), Buffer.from('01234567'), 'the key is 8 bytes');
  assert.deepEqual(ahKey('pw'), Buffer.from('pw\0\0\0\0\0\0'));
});

test('Wireshark dissects our AH advert: AH fields, then the VRRP advert with a good checksum', async () => {
  const packet = ours({ destination: '224.0.0.18', identification: 5, sequence: 0x01020304, unicast: false });
  const rows = await tsharkFields([packet], [
    'ip.proto', 'ip.id', 'ip.ttl', 'ip.dsfield', 'ah.next_header', 'ah.length', 'ah.spi', 'ah.sequence', 'ah.icv',
    'vrrp.version', 'vrrp.virt_rtr_id', 'vrrp.prio', 'vrrp.auth_type', 'vrrp.adver_int', 'vrrp.ip_addr', 'vrrp.checksum.status',
  ]);
  assert.deepEqual(rows, [[
    '51', '0x0005', '255', '0xc0', '112', '4', '0xc612c801', '16909060', packet.subarray(32, 44).toString('hex'),
    '2', '51', '150', '2', '1', '198.18.200.100', '1',
  ]]);
});
