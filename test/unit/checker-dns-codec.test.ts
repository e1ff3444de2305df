// The DNS codec against hand-assembled RFC 1035 messages, and against hostile ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDnsMessage, dnsRcode, encodeDnsMessage, encodeDnsName, encodeDnsQuery, DNS_CLASS_IN } from '../../runtime/src/checker/dns-codec.ts';
import { dnsReplyProblem } from '../../runtime/src/checker/dns.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'ascii').toString('hex');

test('a query is the RFC 1035 header, one question, recursion desired', () => {
  assert.deepEqual(encodeDnsQuery(0x1234, 'example.com', 1), hex(`1234 0100 0001 0000 0000 0000 07${ascii('example')} 03${ascii('com')} 00 0001 0001`));
  assert.deepEqual(encodeDnsQuery(1, '.', 6), hex('0001 0100 0001 0000 0000 0000 00 0006 0001'), 'the root');
  assert.deepEqual(encodeDnsName('a.b.'), hex(`01${ascii('a')}01${ascii('b')}00`), 'a trailing dot is the same name');
});

test('names that cannot be encoded are refused', () => {
  assert.throws(() => encodeDnsName('a..b'), /1 to 63/);
  assert.throws(() => encodeDnsName(`${'x'.repeat(64)}.com`), /1 to 63/);
  assert.throws(() => encodeDnsName(Array(60).fill('abcd').join('.')), /255/);
});

test('a reply with a compressed answer name decodes', () => {
  // Answer name is a pointer (c00c) to the question's name at offset 12.
  const reply = hex(`1234 8180 0001 0001 0000 0000 07${ascii('example')} 03${ascii('com')} 00 0001 0001  c00c 0001 0001 00000e10 0004 c6120005`);
  const m = decodeDnsMessage(reply);
  assert.equal(m.id, 0x1234);
  assert.equal(dnsRcode(m.flags), 0);
  assert.deepEqual(m.questions, [{ name: 'example.com', type: 1, class: 1 }]);
  assert.equal(m.answers.length, 1);
  assert.deepEqual({ ...m.answers[0], data: [...m.answers[0]!.data] }, { name: 'example.com', type: 1, class: 1, ttl: 3600, data: [198, 18, 0, 5] });
  assert.equal(dnsReplyProblem(m, 0x1234, 'Example.COM.', 1), undefined);
  assert.match(dnsReplyProblem(m, 0x1234, 'example.com', 28)!, /another question/);
  assert.match(dnsReplyProblem(m, 0x9999, 'example.com', 1)!, /not a reply/);
});

test('encode and decode agree, for every section', () => {
  const message = {
    id: 7, flags: 0x8183,
    questions: [{ name: 'lab.test', type: 6, class: DNS_CLASS_IN }],
    answers: [{ name: 'lab.test', type: 6, class: DNS_CLASS_IN, ttl: 60, data: Buffer.from([1, 2, 3]) }],
    authorities: [{ name: '', type: 2, class: DNS_CLASS_IN, ttl: 1, data: Buffer.alloc(0) }],
    additionals: [{ name: 'x.lab.test', type: 28, class: DNS_CLASS_IN, ttl: 0, data: Buffer.alloc(16, 1) }],
  };
  const decoded = decodeDnsMessage(encodeDnsMessage(message));
  assert.deepEqual(decoded, message);
  assert.equal(dnsRcode(decoded.flags), 3);
  assert.match(dnsReplyProblem(decoded, 7, 'lab.test', 6)!, /response code 3/);
  assert.match(dnsReplyProblem({ ...decoded, flags: 0x8180, answers: [] }, 7, 'lab.test', 6)!, /no 6 record/);
});

test('hostile and truncated messages are errors, never loops or huge reads', () => {
  const header = '0001 8180 0001 0000 0000 0000';
  assert.throws(() => decodeDnsMessage(hex('0001 8180 0001')), /shorter than its header/);
  assert.throws(() => decodeDnsMessage(hex(`${header} c00c 0001 0001`)), /backwards/, 'a pointer to itself');
  assert.throws(() => decodeDnsMessage(hex(`${header} 03${ascii('abc')} c00c 0001 0001`)), /backwards/, 'a pointer loop');
  assert.throws(() => decodeDnsMessage(hex(`${header} 05${ascii('ab')}`)), /past the end/);
  assert.throws(() => decodeDnsMessage(hex(`${header} 00 0001`)), /past the end/);
  assert.throws(() => decodeDnsMessage(hex(`0001 8180 0000 0001 0000 0000 00 0001 0001 00000000 00ff 01`)), /data runs past/);
  assert.throws(() => decodeDnsMessage(hex(`${header} 41`)), /label type/);
});
