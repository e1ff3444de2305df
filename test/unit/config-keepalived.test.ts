import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfigText } from '../../runtime/src/config/load.ts';
import { errorsOf, instance, lines } from '../fixtures/config/support.ts';

const fixture = (name: string): string => new URL(`../fixtures/config/${name}`, import.meta.url).pathname;

test('a typical HA pair: global_defs, a weighted vrrp_script, VIPs with options, notify scripts', () => {
  const { config, warnings } = loadConfig(fixture('ha-pair.conf'));
  const g = config.globalDefs;
  assert.deepEqual(g.notificationEmail, ['ops@example.com', 'oncall@example.com']);
  assert.equal(g.notificationEmailFrom, 'keepalived@lb1.example.com');
  assert.deepEqual(g.smtpServer, { host: '198.51.100.25', port: 2525 });
  assert.equal(g.smtpConnectTimeoutMs, 30_000);
  assert.equal(g.routerId, 'LB1');
  assert.equal(g.enableScriptSecurity, true);
  assert.deepEqual(g.scriptUser, { user: 'keepalived_script' });
  assert.equal(g.vrrpVersion, 2);

  const [script] = config.vrrpScripts;
  assert.equal(script!.name, 'chk_haproxy');
  assert.equal(script!.script, '/usr/bin/killall -0 haproxy');
  assert.equal(script!.intervalMs, 2000);
  assert.equal(script!.timeoutMs, 1000);
  assert.equal(script!.weight, -20);
  assert.equal(script!.fall, 3);
  assert.equal(script!.rise, 2);
  assert.deepEqual(script!.at, { file: fixture('ha-pair.conf'), line: 15, col: 1 });

  const [vi] = config.vrrpInstances;
  assert.equal(vi!.name, 'VI_1');
  assert.equal(vi!.state, 'MASTER');
  assert.equal(vi!.interface, 'eth0');
  assert.equal(vi!.virtualRouterId, 51);
  assert.equal(vi!.priority, 150);
  assert.equal(vi!.advertIntCs, 100);
  assert.equal(vi!.version, undefined);
  assert.deepEqual(vi!.authentication, {
    at: { file: fixture('ha-pair.conf'), line: 30, col: 5 },
    fieldAt: { authType: { file: fixture('ha-pair.conf'), line: 31, col: 9 }, authPass: { file: fixture('ha-pair.conf'), line: 32, col: 9 } },
    authType: 'PASS', authPass: 's3cret',
  });
  assert.deepEqual(vi!.virtualIpaddress.map(({ at: _, ...v }) => v), [
    { address: '198.18.0.100', prefixLength: 24, dev: 'eth0', label: 'eth0:vip', noTrack: false },
    { address: '198.18.0.101', prefixLength: 32, noTrack: false },
  ]);
  assert.deepEqual(vi!.virtualIpaddress[1]!.at, { file: fixture('ha-pair.conf'), line: 36, col: 9 });
  assert.deepEqual(vi!.trackScript.map((t) => t.name), ['chk_haproxy']);
  assert.equal(vi!.trackScript[0]!.weight, undefined);
  assert.equal(vi!.notifyMaster, '/etc/keepalived/notify.sh MASTER');
  assert.equal(vi!.notifyFault, '/etc/keepalived/notify.sh FAULT');
  assert.equal(vi!.smtpAlert, true);
  assert.deepEqual(vi!.fieldAt.priority, { file: fixture('ha-pair.conf'), line: 28, col: 5 });
  assert.equal(vi!.fieldAt.nopreempt, undefined, 'a default has no position');
  assert.deepEqual(warnings, [`${fixture('ha-pair.conf')}:30:5: authentication: a VRRPv2 password is sent in clear and is no security, only a guard against misconfiguration`]);
});

test('a sync group over an IPv4 unicast instance and an IPv6 instance', () => {
  const { config } = loadConfig(fixture('dual-stack.conf'));
  assert.equal(config.globalDefs.vrrpGarpMasterRefreshMs, 60_000);
  assert.equal(config.globalDefs.vrrpGarpIntervalMs, 1);
  const [group] = config.vrrpSyncGroups;
  assert.deepEqual(group!.group.map((m) => m.name), ['EDGE_V4', 'EDGE_V6']);
  assert.equal(group!.notify, '/usr/local/bin/edge-notify');
  assert.deepEqual(group!.trackInterface.map((t) => [t.name, t.weight]), [['eth1', undefined]]);

  const [v4, v6] = config.vrrpInstances;
  assert.equal(v4!.version, 3);
  assert.equal(v4!.advertIntCs, 10);
  assert.equal(v4!.nopreempt, true);
  assert.equal(v4!.unicastSrcIp, '198.18.0.1');
  assert.deepEqual(v4!.unicastPeer.map(({ at: _, ...p }) => p), [{ address: '198.18.0.2' }, { address: '198.18.0.3', minTtl: 250, maxTtl: 255 }]);
  assert.deepEqual(v4!.virtualIpaddress.map(({ at: _, ...v }) => v), [{ address: '198.18.0.10', prefixLength: 24, broadcast: '198.18.0.255', dev: 'eth0', scope: 0, noTrack: false }]);
  assert.deepEqual(v4!.virtualIpaddressExcluded.map((v) => [v.address, v.prefixLength]), [['2001:db8::10', 64]]);
  assert.equal(v4!.garpMasterDelayMs, 1000);
  assert.equal(v4!.garpMasterRepeat, 3);

  assert.equal(v6!.state, 'BACKUP');
  assert.equal(v6!.useVmac, 'vrrp.10');
  assert.deepEqual(v6!.virtualIpaddress.map((v) => [v.address, v.prefixLength, v.scope, v.noTrack]), [['2001:db8::1', 64, undefined, false], ['fe80::1', 64, 253, true]]);
});

test('include with a glob: files in name order, relative to the including file, positions in each file', () => {
  const { config } = loadConfig(fixture('with-includes.conf'));
  assert.equal(config.globalDefs.routerId, 'lb-include');
  assert.deepEqual(config.vrrpScripts.map((s) => [s.name, s.weight, s.reverse]), [['chk_nginx', 10, true]]);
  assert.deepEqual(config.trackFiles.map((f) => [f.name, f.file, f.weight, f.initFile]), [['maintenance', '/var/run/keepalive/maintenance', 0, { value: 0, overwrite: true }]]);
  const [web] = config.vrrpInstances;
  assert.deepEqual(web!.at, { file: fixture('conf.d/20-web.conf'), line: 1, col: 1 });
  assert.deepEqual(web!.trackScript.map(({ at: _, ...t }) => t), [{ name: 'chk_nginx', weight: -30, reverse: false }]);
  assert.deepEqual(web!.trackFile.map(({ at: _, ...t }) => t), [{ name: 'maintenance', reverse: false }]);
  assert.deepEqual(web!.trackInterface.map(({ at: _, ...t }) => t), [{ name: 'eth1', weight: -50, reverse: true }]);
});

test('include: a missing file, a glob matching nothing, and cycles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keepalive-config-'));
  const main = join(dir, 'keepalived.conf');
  writeFileSync(main, lines('include missing.conf', 'include none/*.conf', 'include a.conf'));
  writeFileSync(join(dir, 'a.conf'), lines('# a', 'include sub/b.conf'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'b.conf'), lines('include ../a.conf', 'include ../keepalived.conf'));
  assert.throws(() => loadConfig(main), (error: Error) => {
    assert.deepEqual(error.message.split('\n').sort(), [
      `${main}:1:9: include missing.conf: no such file (${join(dir, 'missing.conf')})`,
      `${join(dir, 'sub', 'b.conf')}:1:1: include cycle: ${join(dir, 'a.conf')} -> ${join(dir, 'sub', 'b.conf')} -> ${join(dir, 'a.conf')}`,
      `${join(dir, 'sub', 'b.conf')}:2:1: include cycle: ${main} -> ${join(dir, 'a.conf')} -> ${join(dir, 'sub', 'b.conf')} -> ${main}`,
    ].sort());
    return true;
  });
  writeFileSync(main, lines('include none/*.conf', ...instance('VI_1', 1)));
  assert.deepEqual(loadConfig(main).warnings, [`${main}:1:1: include none/*.conf: no file matches`]);
});

test('comments (# and !) anywhere outside quotes, braces on the next line or the same line, quoted strings', () => {
  const { config } = parseConfigText(lines(
    '! a comment line',
    'vrrp_script chk   # trailing comment',
    '{',
    '  script "/bin/check --name \'x y\' # not a comment"  ! a comment',
    '}',
    'vrrp_instance VI_1',
    '{',
    '  interface eth0 ! comment after a value',
    '  virtual_router_id 7',
    '  virtual_ipaddress { 198.18.0.7/24 dev eth0 }',
    '  notify /usr/bin/notify "with space" plain',
    '  notify_stop "/usr/bin/stop"',
    '  track_script { chk }',
    '}',
  ), 'inline.conf');
  assert.equal(config.vrrpScripts[0]!.script, "/bin/check --name 'x y' # not a comment");
  const vi = config.vrrpInstances[0]!;
  assert.equal(vi.interface, 'eth0');
  assert.deepEqual(vi.virtualIpaddress.map((v) => [v.address, v.prefixLength, v.dev]), [['198.18.0.7', 24, 'eth0']]);
  // Several words: a word with spaces keeps its grouping, for splitCommand to honour.
  assert.equal(vi.notify, '/usr/bin/notify "with space" plain');
  assert.equal(vi.notifyStop, '/usr/bin/stop');
  assert.deepEqual(vi.trackScript.map((t) => t.name), ['chk']);
});

test('keywords are case-sensitive, and group members and e-mails may share a line', () => {
  assert.deepEqual(errorsOf(lines('VRRP_INSTANCE VI_1 {', '}')), ['test.conf:1:1: unknown keyword "VRRP_INSTANCE" in the top level']);
  const { config } = parseConfigText(lines(
    'global_defs {', '  notification_email { a@example.com b@example.com', '    c@example.com }', '}',
    'vrrp_sync_group G { group { A B } }',
    ...instance('A', 1), ...instance('B', 2),
  ), 'x.conf');
  assert.deepEqual(config.globalDefs.notificationEmail, ['a@example.com', 'b@example.com', 'c@example.com']);
  assert.deepEqual(config.vrrpSyncGroups[0]!.group.map((m) => [m.name, m.at.col]), [['A', 29], ['B', 31]]);
});

test('unsupported and unknown keywords are errors that name the keyword and its place', () => {
  assert.deepEqual(errorsOf(lines(
    'global_defs {',
    '  router_id r1',
    '  enable_snmp_vrrp',
    '  bogus_global 1',
    '}',
    'virtual_server 198.18.0.1 80 {',
    '  real_server 198.18.0.2 80 {',
    '    BFD_CHECK',
    '  }',
    '}',
    'bfd_instance httpd {',
    '  process httpd',
    '}',
    'vrrp_instance VI_1 {',
    '  interface eth0',
    '  virtual_router_id 1',
    '  debug 2',
    '  auth_hmac {',
    '    key 1 abc',
    '  }',
    '  virtual_ipaddress {',
    '    198.18.0.9/24 dev eth0 home',
    '    198.18.0.10 colour blue',
    '  }',
    '  preemptive',
    '}',
    'linkbeat_interfaces {',
    '  eth0',
    '}',
  )), [
    'test.conf:3:3: "enable_snmp_vrrp" is a keepalived keyword that keepalive does not support',
    'test.conf:4:3: unknown keyword "bogus_global" in global_defs',
    'test.conf:8:5: "BFD_CHECK" is a keepalived keyword that keepalive does not support',
    'test.conf:11:1: "bfd_instance" is a keepalived keyword that keepalive does not support',
    'test.conf:17:3: "debug" is a keepalived keyword that keepalive does not support',
    'test.conf:18:3: "auth_hmac" is a keepalived keyword that keepalive does not support',
    'test.conf:22:28: virtual_ipaddress: option "home" is a keepalived option that keepalive does not support',
    'test.conf:23:17: virtual_ipaddress: unknown option "colour"',
    'test.conf:25:3: unknown keyword "preemptive" in vrrp_instance VI_1',
    'test.conf:27:1: "linkbeat_interfaces" is a keepalived keyword that keepalive does not support',
  ]);
});

test('syntax errors: unbalanced braces, unterminated quotes, misplaced blocks and arguments', () => {
  assert.deepEqual(errorsOf(lines('}', ...instance('VI_1', 1))), ['test.conf:1:1: unexpected "}" with no block open']);
  assert.deepEqual(errorsOf(lines('vrrp_instance VI_1 {', '  interface eth0', '  virtual_router_id 1')), ['test.conf:1:20: this "{" is never closed']);
  assert.deepEqual(errorsOf(lines(...instance('VI_1', 1, '  notify_master "/bin/x'))), ['test.conf:4:17: unterminated quoted string']);
  // (A first significant "{" would make the file JSON: see config-load.test.ts.)
  assert.deepEqual(errorsOf(lines(...instance('VI_1', 1), '{', '}')), ['test.conf:5:1: unexpected "{": a block must follow a keyword']);
  assert.deepEqual(errorsOf(lines(
    'vrrp_instance {', '}',
    'vrrp_instance A B {', '}',
    'vrrp_instance VI_1',
    ...instance('VI_2', 2, '  priority', '  priority 1 2', '  nopreempt now', '  interface { eth0 }', '  virtual_ipaddress 198.18.0.1'),
  )), [
    'test.conf:1:1: vrrp_instance takes exactly one name before its { } block',
    'test.conf:3:1: vrrp_instance takes exactly one name before its { } block',
    'test.conf:5:1: vrrp_instance needs a { } block',
    'test.conf:9:3: priority takes 1 argument, got 0',
    'test.conf:10:3: priority takes 1 argument, got 2',
    'test.conf:11:3: nopreempt takes 0 arguments, got 1',
    'test.conf:12:3: interface does not take a { } block',
    'test.conf:13:3: virtual_ipaddress needs a { } block',
  ]);
});

test('bad values are errors at the value', () => {
  assert.deepEqual(errorsOf(lines(
    'global_defs {',
    '  vrrp_version 4',
    '  vrrp_garp_master_delay soon',
    '  smtp_alert maybe',
    '}',
    ...instance('VI_1', 1,
      '  state PRIMARY',
      '  priority high',
      '  advert_int 0.005',
      '  preempt_delay -1',
      '  unicast_src_ip 198.18.0.300',
      '  virtual_ipaddress {',
      '    198.18.0.1/33',
      '    198.18.0.2 scope galaxy',
      '    198.18.0.3 dev',
      '  }',
      '  unicast_peer {',
      '    198.18.0.4 ttl 3',
      '  }',
      '  track_script {',
      '    chk weight',
      '    chk2 weight 5 backwards',
      '  }',
    ),
  )), [
    'test.conf:2:16: vrrp_version must be 2 or 3, not 4',
    'test.conf:3:26: vrrp_garp_master_delay: expected a number of seconds, got "soon"',
    'test.conf:4:14: smtp_alert: expected true or false, got "maybe"',
    'test.conf:9:9: state must be MASTER or BACKUP, not PRIMARY',
    'test.conf:10:12: priority: expected an integer, got "high"',
    'test.conf:11:14: advert_int: 0.005 s is finer than 0.01 s',
    'test.conf:12:17: preempt_delay: expected a number of seconds, got "-1"',
    'test.conf:13:18: unicast_src_ip: "198.18.0.300" is not an IP address',
    'test.conf:15:5: virtual_ipaddress: bad prefix length in "198.18.0.1/33": expected 0..32',
    'test.conf:16:22: virtual_ipaddress: unknown scope "galaxy": expected global, site, link, host, nowhere or 0..255',
    'test.conf:17:16: virtual_ipaddress: dev needs a value',
    'test.conf:20:16: unicast_peer: unknown option "ttl" (expected min_ttl or max_ttl)',
    'test.conf:23:9: track_script: expected "weight W" after chk',
    'test.conf:24:19: track_script: unexpected "backwards" (only "reverse" may follow the weight)',
  ]);
});

test('authentication: PASS and AH; an unknown type is refused, PASS longer than 8 characters is truncated with a warning', () => {
  const ah = parseConfigText(lines(...instance('VI_1', 1, '  authentication {', '    auth_type AH', '    auth_pass secret', '  }')), 'ah.conf');
  assert.equal(ah.config.vrrpInstances[0]!.authentication!.authType, 'AH');
  assert.deepEqual(ah.warnings, [], 'AH is no password in clear');
  assert.deepEqual(errorsOf(lines(...instance('VI_1', 1, '  authentication {', '    auth_type SHA', '    auth_pass secret', '  }'))), [
    'test.conf:5:15: auth_type: unknown auth_type "SHA": expected PASS or AH',
    'test.conf:4:3: authentication has no auth_type',
  ].sort((a, b) => (a < b ? -1 : 1)));
  const { config, warnings } = parseConfigText(lines(...instance('VI_1', 1, '  authentication {', '    auth_type PASS', '    auth_pass 0123456789', '  }')), 'a.conf');
  assert.equal(config.vrrpInstances[0]!.authentication!.authPass, '01234567');
  assert.deepEqual(warnings, [
    'a.conf:4:3: authentication: a VRRPv2 password is sent in clear and is no security, only a guard against misconfiguration',
    'a.conf:6:5: auth_pass is longer than 8 characters: only its first 8 are used, as keepalived does',
  ].sort());
});

test('vrrp_script, track_file and global settings: every supported keyword', () => {
  const { config } = parseConfigText(lines(
    'global_defs {',
    '  smtp_server mail.example.com',
    '  smtp_helo_name lb1.example.com',
    '  smtp_alert false',
    '  smtp_alert_vrrp',
    '  script_user nobody nogroup',
    '  vrrp_mcast_group4 224.0.0.19',
    '  vrrp_mcast_group6 ff02::13',
    '  vrrp_version 3',
    '  vrrp_garp_master_delay 2',
    '  vrrp_garp_master_repeat 3',
    '  vrrp_garp_master_refresh 30',
    '  vrrp_garp_master_refresh_repeat 2',
    '  vrrp_garp_interval 0.05',
    '  vrrp_gna_interval 0.25',
    '  vrrp_strict',
    '  vrrp_skip_check_adv_addr',
    '  max_auto_priority',
    '}',
    'vrrp_script s {',
    '  script /usr/bin/check arg1 arg2',
    '  interval 0.5',
    '  user nobody',
    '  init_fail',
    '}',
    'vrrp_track_file f {',
    '  file /tmp/f',
    '  weight -3 reverse',
    '  init_file',
    '}',
    ...instance('VI_1', 1, '  vmac_xmit_base', '  use_vmac vip1', '  no_accept', '  dont_track_primary', '  mcast_src_ip 198.18.0.5',
      '  garp_master_refresh 10', '  garp_master_refresh_repeat 4', '  preempt_delay 2.5', '  smtp_alert no',
      '  virtual_ipaddress {', '    198.18.0.11', '  }'),
    ...instance('VI_2', 2, '  accept', '  virtual_ipaddress {', '    198.18.0.12', '  }'),
  ), 'all.conf');
  const g = config.globalDefs;
  assert.deepEqual(g.smtpServer, { host: 'mail.example.com', port: 25 });
  assert.equal(g.smtpHeloName, 'lb1.example.com');
  assert.equal(g.smtpAlert, false);
  assert.equal(g.smtpAlertVrrp, true);
  assert.deepEqual(g.scriptUser, { user: 'nobody', group: 'nogroup' });
  assert.equal(g.vrrpMcastGroup4, '224.0.0.19');
  assert.equal(g.vrrpMcastGroup6, 'ff02::13');
  assert.equal(g.vrrpVersion, 3);
  assert.equal(g.vrrpGarpMasterDelayMs, 2000);
  assert.equal(g.vrrpGarpMasterRepeat, 3);
  assert.equal(g.vrrpGarpMasterRefreshMs, 30_000);
  assert.equal(g.vrrpGarpMasterRefreshRepeat, 2);
  assert.equal(g.vrrpGarpIntervalMs, 50);
  assert.equal(g.vrrpGnaIntervalMs, 250);
  assert.equal(g.vrrpStrict, true);
  assert.equal(g.vrrpSkipCheckAdvAddr, true);
  assert.equal(g.maxAutoPriority, 99);

  const s = config.vrrpScripts[0]!;
  assert.equal(s.script, '/usr/bin/check arg1 arg2');
  assert.equal(s.intervalMs, 500);
  assert.equal(s.timeoutMs, undefined);
  assert.deepEqual(s.user, { user: 'nobody' });
  assert.equal(s.initFail, true);
  assert.equal(s.weight, 0);

  const f = config.trackFiles[0]!;
  assert.deepEqual([f.name, f.file, f.weight, f.reverse, f.initFile], ['f', '/tmp/f', -3, true, { value: 0, overwrite: false }]);

  const [vi1, vi2] = config.vrrpInstances;
  assert.equal(vi1!.vmacXmitBase, true);
  assert.equal(vi1!.useVmac, 'vip1');
  assert.equal(vi1!.accept, false);
  assert.equal(vi1!.dontTrackPrimary, true);
  assert.equal(vi1!.mcastSrcIp, '198.18.0.5');
  assert.equal(vi1!.garpMasterRefreshMs, 10_000);
  assert.equal(vi1!.garpMasterRefreshRepeat, 4);
  assert.equal(vi1!.preemptDelayMs, 2500);
  assert.equal(vi1!.smtpAlert, false);
  assert.equal(vi2!.accept, true);
  assert.equal(vi2!.smtpAlert, undefined);
});

test('addresses are stored canonically, so one address written two ways is one address', () => {
  const { config } = parseConfigText(lines(...instance('VI_1', 1, '  virtual_ipaddress {', '    2001:DB8:0:0::1/64', '  }')), 'c.conf');
  assert.equal(config.vrrpInstances[0]!.virtualIpaddress[0]!.address, '2001:db8::1');
});

test('repeated list blocks add up; a repeated setting keeps the last value', () => {
  const { config } = parseConfigText(lines(...instance('VI_1', 1,
    '  priority 10', '  priority 20',
    '  virtual_ipaddress {', '    198.18.0.1', '  }', '  virtual_ipaddress {', '    198.18.0.2', '  }')), 'r.conf');
  const vi = config.vrrpInstances[0]!;
  assert.equal(vi.priority, 20);
  assert.deepEqual(vi.fieldAt.priority, { file: 'r.conf', line: 5, col: 3 });
  assert.deepEqual(vi.virtualIpaddress.map((v) => v.address), ['198.18.0.1', '198.18.0.2']);
});

test('an empty file is a valid configuration with nothing in it', () => {
  const { config } = parseConfigText('# nothing\n', 'empty.conf');
  assert.deepEqual([config.vrrpInstances, config.vrrpScripts, config.trackFiles, config.vrrpSyncGroups], [[], [], [], []]);
  assert.deepEqual(config.globalDefs.at, { file: 'empty.conf', line: 1, col: 1 });
});
