// The user-mode-linux lane: a real kernel with IPVS, programmed with ipvsadm and read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { runInUml } from './lab/uml.ts';

const T = { timeout: 180_000 };

test('ipvsadm programs a virtual service in the UML kernel and reads it back', T, async () => {
  await using lab = await Lab.create({ hosts: ['client'], ssh: false, management: false });
  const result = await runInUml(lab, [
    'set -e',
    'ipvsadm -A -t 198.18.0.100:80 -s wrr',
    'ipvsadm -a -t 198.18.0.100:80 -r 198.18.0.11:8080 -m -w 3',
    'ipvsadm -a -t 198.18.0.100:80 -r 198.18.0.12:8080 -g -w 1',
    'ipvsadm -A -u 198.18.0.100:53 -s sh',
    'ipvsadm -Sn',
    'uname -r',
  ].join('\n'));
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, -1).sort(), [
    '-A -t 198.18.0.100:80 -s wrr',
    '-A -u 198.18.0.100:53 -s sh',
    '-a -t 198.18.0.100:80 -r 198.18.0.11:8080 -m -w 3',
    // ipvsadm gives a direct-routing destination the service's port: DR cannot change the port.
    '-a -t 198.18.0.100:80 -r 198.18.0.12:80 -g -w 1',
  ]);
  assert.match(lines.at(-1) ?? '', /^\d+\.\d+\.\d+$/, 'the guest runs its own kernel');
});

test('a failing script returns its exit code and standard error', T, async () => {
  await using lab = await Lab.create({ hosts: ['client'], ssh: false, management: false });
  const result = await runInUml(lab, 'echo to-stderr >&2; ipvsadm -A -t 198.18.0.100:80 -s no-such-scheduler; exit 7');
  assert.equal(result.code, 7);
  assert.match(result.stderr, /to-stderr/);
  assert.match(result.stderr, /scheduler/i);
});

test('a guest wired to a lab segment exchanges traffic with a lab host', T, async () => {
  await using lab = await Lab.create({ hosts: ['client'], ssh: false, management: false });
  const client = lab.host('client');
  const result = await runInUml(lab, `ping -c 2 -W 2 ${client.ipv4()}`, { attach: { hostNumber: 10 } });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /2 received/);
});
