// lvs_sync_daemon in global_defs, an instance's older lvs_sync_daemon_interface, and the JSON/YAML
// model's lvsSyncDaemon: what each loads into, and every bad input as an error at file:line:col.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import { errorsOf, instance, lines, withoutPositions } from '../fixtures/config/support.ts';

const withDaemon = (line: string, ...more: string[]): string => lines('global_defs {', `  ${line}`, ...more, '}', ...instance('VI_1', 51), ...instance('VI_2', 52));

test('lvs_sync_daemon: interface, instance and every option, in the model with their positions', () => {
  const { config, warnings } = parseConfigText(withDaemon('lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 8850 ttl 2 group 224.0.0.82'), 'test.conf');
  const daemon = config.globalDefs.lvsSyncDaemon!;
  assert.deepEqual(withoutPositions(daemon), { interface: 'eth1', instance: 'VI_1', syncId: 7, maxLen: 1400, port: 8850, ttl: 2, group: '224.0.0.82' });
  assert.deepEqual(daemon.at, { file: 'test.conf', line: 2, col: 3 });
  assert.deepEqual(daemon.fieldAt.ttl, { file: 'test.conf', line: 2, col: 60 });
  assert.deepEqual(warnings, []);
  // keepalived's `inst NAME` spelling and its older bare sync id (with a warning).
  assert.deepEqual(withoutPositions(parseConfigText(withDaemon('lvs_sync_daemon eth1 inst VI_2 group ff02::1:5'), 'test.conf').config.globalDefs.lvsSyncDaemon), { interface: 'eth1', instance: 'VI_2', group: 'ff02::1:5' });
  const old = parseConfigText(withDaemon('lvs_sync_daemon eth1 VI_1 9'), 'test.conf');
  assert.equal(old.config.globalDefs.lvsSyncDaemon!.syncId, 9);
  assert.deepEqual(old.warnings, ['test.conf:2:29: lvs_sync_daemon: a bare sync id is keepalived\'s older form; write "id 9"']);
});

test('lvs_sync_daemon_interface in an instance: read as lvs_sync_daemon IFACE <that instance>, with a deprecation warning', () => {
  const text = lines(...instance('VI_1', 51, '  lvs_sync_daemon_interface eth1'));
  const { config, warnings } = parseConfigText(text, 'test.conf');
  assert.deepEqual(withoutPositions(config.globalDefs.lvsSyncDaemon), { interface: 'eth1', instance: 'VI_1' });
  assert.deepEqual(warnings, ['test.conf:4:3: lvs_sync_daemon_interface in a vrrp_instance is deprecated (as in keepalived): read as "lvs_sync_daemon eth1 VI_1" in global_defs']);
  assert.deepEqual(errorsOf(lines('global_defs {', '  lvs_sync_daemon eth2 VI_1', '}', ...instance('VI_1', 51, '  lvs_sync_daemon_interface eth1'))), [
    'test.conf:7:3: lvs_sync_daemon_interface: the sync daemon is already given at test.conf:2:3',
  ]);
});

test('lvs_sync_daemon: bad input, each at file:line:col', () => {
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_9')), ['test.conf:2:24: lvs_sync_daemon: no vrrp_instance named VI_9']);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1/x VI_1')), ['test.conf:2:19: lvs_sync_daemon: "eth1/x" is not an interface name (1 to 15 bytes, no "/", ":" or spaces)']);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon abcdefghijklmnop VI_1')), ['test.conf:2:19: lvs_sync_daemon: "abcdefghijklmnop" is not an interface name (1 to 15 bytes, no "/", ":" or spaces)']);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_1 id 256')), ['test.conf:2:32: lvs_sync_daemon sync_id 256 is out of range 0..255']);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_1 ttl 0 port 70000 maxlen 65508')), [
    'test.conf:2:33: lvs_sync_daemon ttl 0 is out of range 1..255',
    'test.conf:2:40: lvs_sync_daemon port 70000 is out of range 1..65535',
    'test.conf:2:53: lvs_sync_daemon max_len 65508 is out of range 1..65507',
  ]);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_1 group 198.18.0.1')), ['test.conf:2:35: lvs_sync_daemon: group 198.18.0.1 is not a multicast address']);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_1 id x')), ['test.conf:2:32: lvs_sync_daemon: expected an integer, got "x"']);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_1 speed 3')), ['test.conf:2:29: lvs_sync_daemon: unknown option "speed" (expected inst, id, maxlen, port, ttl, group)']);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_1 id')), ['test.conf:2:29: lvs_sync_daemon: id needs a value']);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1')), [
    'test.conf:2:3: lvs_sync_daemon needs the VRRP instance whose state it follows (IFACE VRRP_INSTANCE): keepalive runs the sync daemon from its VRRP process, master where that instance is MASTER',
  ]);
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_1', '  lvs_sync_daemon eth2 VI_2')), ['test.conf:3:3: lvs_sync_daemon appears a second time (the first is at test.conf:2)']);
});

test('lvs_sync_daemon under the nftables dataplane: refused with the reason', () => {
  assert.deepEqual(errorsOf(withDaemon('lvs_sync_daemon eth1 VI_1', '  lb_dataplane nftables')), [
    'test.conf:2:3: lvs_sync_daemon needs IPVS, whose kernel sync daemon it runs; lb_dataplane nftables (test.conf:3:3) forwards without IPVS, and nftables has no connection sync',
  ]);
});

test('lvsSyncDaemon in YAML: the same model as keepalived.conf, and the same checks at the YAML position', () => {
  const yaml = (daemon: string): string => lines(
    'globalDefs:',
    `  lvsSyncDaemon: ${daemon}`,
    'vrrpInstances:',
    '  VI_1: { interface: eth0, virtualRouterId: 51 }',
    '  VI_2: { interface: eth0, virtualRouterId: 52 }',
  );
  const fromYaml = parseConfigText(yaml('{ interface: eth1, instance: VI_1, syncId: 7, maxLen: 1400, port: 8850, ttl: 2, group: 224.0.0.82 }'), 'p.yaml');
  const fromConf = parseConfigText(withDaemon('lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 8850 ttl 2 group 224.0.0.82'), 'test.conf');
  assert.deepEqual(withoutPositions(fromYaml.config.globalDefs.lvsSyncDaemon), withoutPositions(fromConf.config.globalDefs.lvsSyncDaemon));
  assert.deepEqual(errorsOf(yaml('{ interface: eth1, instance: VI_3, syncId: 300 }'), 'p.yaml'), [
    'p.yaml:2:37: lvsSyncDaemon: no vrrp_instance named VI_3',
    'p.yaml:2:53: lvsSyncDaemon syncId 300 is out of range 0..255',
  ]);
  assert.deepEqual(errorsOf(yaml('{ interface: eth1 }'), 'p.yaml'), ['p.yaml:2:18: globalDefs.lvsSyncDaemon has no instance']);
});
