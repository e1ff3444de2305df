// A configuration directory of JSON/YAML fragments, as the provider writes one per resource: merged
// in name order, mappings key by key, conflicts and errors reported in the fragment they are in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../runtime/src/config/diagnostics.ts';
import { loadConfig } from '../../runtime/src/config/load.ts';

function directory(files: Record<string, string>): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'keepalive-fragments-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

const GROUP = `vrrpInstances:
  VI_1:
    interface: eth0
    virtualRouterId: 51
    priority: 150
    virtualIpaddress: [198.18.0.100/24]
`;
const WEB = '{"virtualServers": {"TCP 198.18.0.100 80": {"lvsSched": "rr", "delayLoopMs": 1000}}}\n';
const RS = (address: string, weight: number): string => `{"virtualServers": {"TCP 198.18.0.100 80": {"realServers": {"${address} 80": {"weight": ${weight}}}}}}\n`;

function errors(dir: string): string[] {
  try {
    loadConfig(dir);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message.split('\n');
  }
  return assert.fail('expected a ConfigError');
}

test('fragments merge: a group, a virtual server, and real servers added to it by fragments of their own', () => {
  using d = directory({ '10-group.yaml': GROUP, '20-web.json': WEB, '30-rs1.json': RS('198.18.1.11', 3), '31-rs2.json': RS('198.18.1.12', 1), 'notes.txt': 'ignored' });
  const { config } = loadConfig(d.dir);
  assert.deepEqual(config.vrrpInstances.map((i) => [i.name, i.priority, i.at.file]), [['VI_1', 150, join(d.dir, '10-group.yaml')]]);
  assert.equal(config.virtualServers.length, 1);
  const vs = config.virtualServers[0]!;
  assert.equal(vs.lvsSched, 'rr');
  assert.deepEqual(vs.realServers.map((r) => [r.address, r.weight, r.at.file]), [
    ['198.18.1.11', 3, join(d.dir, '30-rs1.json')],
    ['198.18.1.12', 1, join(d.dir, '31-rs2.json')],
  ]);
});

test('an empty directory is a configuration with nothing in it; empty fragments count for nothing', () => {
  using d = directory({ 'a.yaml': '', 'b.json': '  \n' });
  const { config } = loadConfig(d.dir);
  assert.deepEqual([config.vrrpInstances, config.virtualServers], [[], []]);
});

test('one setting given two values in two fragments is an error at the second, naming the first; equal values agree', () => {
  using d = directory({ '20-web.json': WEB, '21-web-again.json': '{"virtualServers": {"TCP 198.18.0.100 80": {"lvsSched": "wrr", "delayLoopMs": 1000}}}\n' });
  assert.deepEqual(errors(d.dir), [`${join(d.dir, '21-web-again.json')}:1:45: lvsSched is also given, differently, at ${join(d.dir, '20-web.json')}:1:45`]);
});

test('errors point into the fragment they are in: a bad value, an unknown key, a YAML syntax error', () => {
  using d = directory({
    '10-group.yaml': GROUP.replace('priority: 150', 'priority: 300'),
    '20-web.json': '{"virtualServers": {"TCP 198.18.0.100 80": {"lvsSchedule": "rr"}}}\n',
    '30-broken.yaml': 'globalDefs: [unclosed\n',
  });
  const messages = errors(d.dir);
  assert.ok(messages.some((m) => m.startsWith(`${join(d.dir, '10-group.yaml')}:5:`) && /priority 300/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => m.startsWith(`${join(d.dir, '20-web.json')}:1:45: unknown key "lvsSchedule"`)), messages.join('\n'));
  assert.ok(messages.some((m) => m.startsWith(`${join(d.dir, '30-broken.yaml')}:`)), messages.join('\n'));
});

test('a fragment that is not a mapping is refused', () => {
  using d = directory({ 'a.json': '[1, 2]\n' });
  assert.deepEqual(errors(d.dir), [`${join(d.dir, 'a.json')}:1:1: a configuration fragment must be a mapping`]);
});
