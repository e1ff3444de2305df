import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../runtime/src/config/diagnostics.ts';
import { detectFormat, loadConfig, parseConfigText } from '../../runtime/src/config/load.ts';
import {
  instanceAccept, instanceAuthentication, instanceFamily, instanceGarp, instanceMulticastGroup, instancePreemption, instanceStartsAsMaster,
  instanceVersion, scriptTimeoutMs, trackWeight, vrrpSmtpAlert,
} from '../../runtime/src/config/resolve.ts';
import { errorsOf, instance, lines } from '../fixtures/config/support.ts';

test('the format is told apart by content', () => {
  assert.equal(detectFormat('{"vrrpInstances": {}}'), 'json');
  assert.equal(detectFormat('\n  # comment\n{\n}'), 'json');
  assert.equal(detectFormat('vrrpInstances:\n  VI_1: {}\n'), 'yaml');
  assert.equal(detectFormat('# keepalive\n---\nglobalDefs: {}\n'), 'yaml');
  assert.equal(detectFormat('"globalDefs": {}\n'), 'yaml');
  assert.equal(detectFormat('! Configuration File for keepalived\nglobal_defs {\n}\n'), 'keepalived');
  assert.equal(detectFormat('vrrp_instance VI_1 {\n'), 'keepalived');
  assert.equal(detectFormat('include /etc/keepalived/conf.d/*.conf\n'), 'keepalived');
  assert.equal(detectFormat(''), 'keepalived');
});

test('ConfigError: every error, sorted, each formatted file:line:col: message', () => {
  try {
    parseConfigText(lines('nonsense', ...instance('B', 300), ...instance('A', 0)), 'e.conf');
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.errors, [
      { file: 'e.conf', line: 1, col: 1, message: 'unknown keyword "nonsense" in the top level' },
      { file: 'e.conf', line: 4, col: 3, message: 'virtual_router_id 300 is out of range 1..255' },
      { file: 'e.conf', line: 8, col: 3, message: 'virtual_router_id 0 is out of range 1..255' },
    ]);
    assert.equal(error.message, [
      'e.conf:1:1: unknown keyword "nonsense" in the top level',
      'e.conf:4:3: virtual_router_id 300 is out of range 1..255',
      'e.conf:8:3: virtual_router_id 0 is out of range 1..255',
    ].join('\n'));
  }
});

test('an unreadable file is a ConfigError naming it', () => {
  assert.throws(() => loadConfig('/nonexistent/keepalived.conf'), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, '/nonexistent/keepalived.conf:1:1: cannot read the configuration: ENOENT');
    return true;
  });
});

test('resolved values: version, family, multicast group, GARP timing, accept, alerts, preemption', () => {
  const { config } = parseConfigText(lines(
    'global_defs {',
    '  vrrp_garp_master_delay 3',
    '  vrrp_garp_master_repeat 2',
    '  vrrp_garp_interval 0.01',
    '  vrrp_gna_interval 0.02',
    '  smtp_alert',
    '  smtp_alert_vrrp off',
    '}',
    ...instance('V4', 1, '  virtual_ipaddress {', '    198.18.0.1', '  }', '  garp_master_repeat 7', '  smtp_alert'),
    ...instance('V6', 2, '  virtual_ipaddress {', '    2001:db8::1', '  }', '  state MASTER', '  nopreempt', '  preempt_delay 9'),
    ...instance('UNICAST6', 3, '  unicast_peer {', '    2001:db8::9', '  }', '  nopreempt', '  preempt_delay 9', '  no_accept'),
    ...instance('BARE', 4, '  version 3', '  preempt_delay 4'),
  ), 'r.conf');
  const g = config.globalDefs;
  const [v4, v6, unicast6, bare] = config.vrrpInstances;
  assert.deepEqual([v4, v6, unicast6, bare].map((i) => instanceFamily(i!)), [4, 6, 6, 4]);
  assert.deepEqual([v4, v6, unicast6, bare].map((i) => instanceVersion(g, i!)), [2, 3, 3, 3]);
  assert.deepEqual([v4, v6].map((i) => instanceMulticastGroup(g, i!)), ['224.0.0.18', 'ff02::12']);
  assert.deepEqual(instanceGarp(g, v4!), { delayMs: 3000, repeat: 7, refreshMs: 0, refreshRepeat: 1, intervalMs: 10 });
  assert.deepEqual(instanceGarp(g, v6!), { delayMs: 3000, repeat: 2, refreshMs: 0, refreshRepeat: 1, intervalMs: 20 });
  assert.deepEqual([v4, unicast6].map((i) => instanceAccept(g, i!)), [true, false]);
  assert.deepEqual([v4, v6].map((i) => vrrpSmtpAlert(g, i!.smtpAlert)), [true, false]);
  assert.deepEqual([v6, unicast6, bare].map((i) => instancePreemption(g, i!)), [
    { preempt: true, delayMs: 0 },
    { preempt: false, delayMs: 9000 },
    { preempt: true, delayMs: 4000 },
  ]);
});

test('resolved tracker weights and script timeouts', () => {
  const { config } = parseConfigText(lines(
    'vrrp_script chk {', '  script /bin/true', '  weight 20 reverse', '  interval 3', '}',
    'vrrp_script chk2 {', '  script /bin/true', '  timeout 1', '}',
    ...instance('VI_1', 1, '  track_script {', '    chk', '    chk2 weight -5', '  }', '  track_interface {', '    eth1', '  }'),
  ), 't.conf');
  const [chk, chk2] = config.vrrpScripts;
  const vi = config.vrrpInstances[0]!;
  assert.deepEqual(trackWeight(vi.trackScript[0]!, chk), { weight: 20, reverse: true });
  assert.deepEqual(trackWeight(vi.trackScript[1]!, chk2), { weight: -5, reverse: false });
  assert.deepEqual(trackWeight(vi.trackInterface[0]!), { weight: 0, reverse: false });
  assert.deepEqual([scriptTimeoutMs(chk!), scriptTimeoutMs(chk2!)], [3000, 1000]);
});

test('vrrp_strict, as keepalived enforces it: refusals are errors, resets are warnings and happen', () => {
  const vip = (address: string): string[] => ['  virtual_ipaddress {', `    ${address}`, '  }'];
  const strict = ['global_defs {', '  vrrp_strict', '}'];
  const { config, warnings } = parseConfigText(lines(...strict,
    ...instance('V3', 1, '  priority 100', ...vip('198.18.0.1')),
    ...instance('V2', 2, '  version 2', '  state MASTER', '  priority 100', '  accept', '  preempt_delay 5',
      '  authentication {', '    auth_type PASS', '    auth_pass secret', '  }', ...vip('198.18.0.2')),
    ...instance('OWNER', 3, '  priority 255', ...vip('198.18.0.3')),
    ...instance('V6', 4, '  priority 100', ...vip('2001:db8::4')),
  ), 's.conf');
  const [v3, v2, owner] = config.vrrpInstances;
  const g = config.globalDefs;
  // Accept mode off by default, and for VRRPv2 even when asked; the owner always accepts.
  assert.deepEqual([v3, v2, owner].map((i) => instanceAccept(g, i!)), [false, false, true]);
  // state MASTER only for the owner; no preempt_delay; no password on the wire.
  assert.deepEqual([v3, v2, owner].map((i) => instanceStartsAsMaster(g, i!)), [false, false, true]);
  assert.deepEqual(instancePreemption(g, v2!), { preempt: true, delayMs: 0 });
  assert.equal(instanceAuthentication(g, v2!), undefined);
  assert.deepEqual(warnings, [
    's.conf:16:3: vrrp_strict: state MASTER is ignored; an instance starts as master only as the address owner (priority 255)',
    's.conf:18:3: vrrp_strict: accept mode is turned off for VRRPv2 (RFC 3768 has none)',
    's.conf:19:3: vrrp_strict: preempt_delay is ignored',
    's.conf:20:3: authentication: a VRRPv2 password is sent in clear and is no security, only a guard against misconfiguration',
    's.conf:20:3: vrrp_strict: authentication is ignored; adverts carry none, as keepalived\'s do',
    's.conf:41:5: vrrp_strict: the first IPv6 virtual address should be link-local (RFC 5798 section 5.2.9)',
  ]);
  // What keepalived refuses: an instance without VIPs, unicast peers.
  assert.deepEqual(errorsOf(lines(...strict, ...instance('NONE', 1), ...instance('UNI', 2, '  unicast_peer {', '    198.18.0.9', '  }', ...vip('198.18.0.2')))), [
    'test.conf:4:1: vrrp_strict: vrrp_instance NONE needs a virtual_ipaddress (or no_virtual_ipaddress)',
    'test.conf:11:3: vrrp_strict: unicast_peer is not allowed (VRRP is multicast)',
  ]);
});

test('every YAML example in runtime/src/config/README.md loads and validates', () => {
  const readme = readFileSync(new URL('../../runtime/src/config/README.md', import.meta.url), 'utf8');
  const examples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(examples.length >= 1);
  for (const [i, text] of examples.entries()) {
    assert.doesNotThrow(() => parseConfigText(text, `README example ${i + 1}`), `README example ${i + 1}`);
  }
});
