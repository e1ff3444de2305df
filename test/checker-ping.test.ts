// PING_CHECK: the echo request as built (checksummed, our identifier and sequence), the reply told
// apart from every other ICMP message a raw socket sees; then, planned from a keepalived.conf, against
// a lab host over IPv4 and IPv6 (its kernel answers), and against an address no one holds, which fails
// at the timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { parseConfigText } from '../runtime/src/config/load.ts';
import { checkerPlan } from '../runtime/src/checker/from-config.ts';
import { encodeEchoRequest, isEchoReply } from '../runtime/src/checker/ping.ts';
import { internetChecksum } from '../runtime/src/net/checksum.ts';
import type { CheckResult, CheckSpec } from '../runtime/src/checker/check.ts';

const RUN_CHECKS = fileURLToPath(new URL('fixtures/checker/run-checks.ts', import.meta.url));

test('echo requests carry type, identifier and sequence (and an IPv4 checksum); only the matching reply counts', () => {
  const v4 = encodeEchoRequest(4, 0x1234, 7);
  assert.deepEqual([v4[0], v4[1], v4.readUInt16BE(4), v4.readUInt16BE(6), internetChecksum(v4)], [8, 0, 0x1234, 7, 0]);
  const v6 = encodeEchoRequest(6, 0x1234, 7);
  assert.deepEqual([v6[0], v6.readUInt16BE(2)], [128, 0], 'the kernel fills in ICMPv6 checksums');
  const reply = Buffer.from(v4);
  reply[0] = 0;
  const withIpHeader = Buffer.concat([Buffer.from([0x45, ...Buffer.alloc(19)]), reply]);
  assert.equal(isEchoReply(4, withIpHeader, 0x1234, 7), true);
  assert.equal(isEchoReply(4, withIpHeader, 0x1234, 8), false, 'another sequence');
  assert.equal(isEchoReply(4, Buffer.concat([Buffer.from([0x45, ...Buffer.alloc(19)]), v4]), 0x1234, 7), false, 'our own request');
  const reply6 = Buffer.from(v6);
  reply6[0] = 129;
  assert.equal(isEchoReply(6, reply6, 0x1234, 7), true);
  assert.equal(isEchoReply(6, reply6.subarray(0, 6), 0x1234, 7), false, 'too short');
});

test('PING_CHECK from a keepalived.conf: a lab host answers over IPv4 and IPv6; an address no one holds fails at the timeout', { timeout: 60_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['lb', 'rs'], ssh: false, management: false });
  const [lb, rs] = [lab.host('lb'), lab.host('rs')];
  const nobody = addressIn(lab.segment().subnets.v4, 200);
  const planned = (address: string, vip: string): CheckSpec => checkerPlan(parseConfigText([
    `virtual_server ${vip} 80 {`, `  real_server ${address} 80 {`, '    PING_CHECK {', '      connect_timeout 1', '    }', '  }', '}',
  ].join('\n'), 'ping.conf').config).virtualServers[0]!.realServers[0]!.checks[0]!.spec;
  const specs = [planned(rs.ipv4(), '198.18.0.100'), planned(rs.ipv6(), '2001:db8::100'), planned(nobody, '198.18.0.100')];
  const { stdout } = await lb.exec([process.execPath, RUN_CHECKS, JSON.stringify(specs)]);
  const { results } = JSON.parse(stdout) as { results: CheckResult[] };
  assert.deepEqual(results.map((r) => [r.ok, r.reason]), [[true, 'echo reply'], [true, 'echo reply'], [false, 'no echo reply within 1000 ms']], JSON.stringify(results));
});
