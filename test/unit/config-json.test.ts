import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, parseConfigText } from '../../runtime/src/config/load.ts';
import { errorsOf, lines, withoutPositions } from '../fixtures/config/support.ts';

const fixture = (name: string): string => new URL(`../fixtures/config/${name}`, import.meta.url).pathname;

test('YAML and keepalived.conf versions of one HA pair load into the same model', () => {
  const conf = loadConfig(fixture('ha-pair.conf'));
  const yaml = loadConfig(fixture('ha-pair.yaml'));
  assert.deepEqual(withoutPositions(yaml.config), withoutPositions(conf.config));
  assert.deepEqual(yaml.warnings, [`${fixture('ha-pair.yaml')}:27:21: authentication: a VRRPv2 password is sent in clear and is no security, only a guard against misconfiguration`]);
});

test('JSON and keepalived.conf versions of a dual-stack sync group load into the same model', () => {
  assert.deepEqual(withoutPositions(loadConfig(fixture('dual-stack.json')).config), withoutPositions(loadConfig(fixture('dual-stack.conf')).config));
});

test('YAML equivalent of the include layout, with trackers, weights, reverse and init_file', () => {
  const yaml = parseConfigText(lines(
    'globalDefs: { routerId: lb-include }',
    'vrrpScripts:',
    '  chk_nginx: { script: /usr/bin/pgrep nginx, intervalMs: 1000, weight: 10, reverse: true }',
    'trackFiles:',
    '  maintenance: { file: /var/run/keepalive/maintenance, weight: 0, initFile: { value: 0, overwrite: true } }',
    'vrrpInstances:',
    '  WEB:',
    '    state: BACKUP',
    '    interface: eth0',
    '    virtualRouterId: 60',
    '    priority: 90',
    '    virtualIpaddress: [198.18.0.60]',
    '    trackScript: [{ name: chk_nginx, weight: -30 }]',
    '    trackFile: [maintenance]',
    '    trackInterface: [{ name: eth1, weight: -50, reverse: true }]',
  ), 'web.yaml');
  assert.deepEqual(withoutPositions(yaml.config), withoutPositions(loadConfig(fixture('with-includes.conf')).config));
});

test('positions in YAML: nodes at their key, settings at their key, list entries at the entry', () => {
  const { config } = parseConfigText(lines(
    'vrrpInstances:',
    '  VI_1:',
    '    interface: eth0',
    '    virtualRouterId: 7',
    '    virtualIpaddress:',
    '      - 198.18.0.1',
    '      - { address: 198.18.0.2 }',
  ), 'p.yaml');
  const vi = config.vrrpInstances[0]!;
  assert.deepEqual(vi.at, { file: 'p.yaml', line: 2, col: 3 });
  assert.deepEqual(vi.fieldAt.virtualRouterId, { file: 'p.yaml', line: 4, col: 5 });
  assert.deepEqual(vi.virtualIpaddress.map((v) => [v.at.line, v.at.col]), [[6, 9], [7, 9]]);
});

test('unknown keys are errors at the key, in every kind of node', () => {
  assert.deepEqual(errorsOf(lines(
    'globalDefs:',
    '  routerID: x',
    'vrrpScripts:',
    '  chk: { script: /bin/true, every: 3 }',
    'vrrpInstances:',
    '  VI_1:',
    '    interface: eth0',
    '    virtualRouterId: 1',
    '    advert_int: 1',
    '    virtualIpaddress: [{ address: 198.18.0.1, device: eth0 }]',
    'virtualServer: {}',
  ), 'u.yaml'), [
    'u.yaml:2:3: unknown key "routerID" in globalDefs; expected one of: routerId, notificationEmail, notificationEmailFrom, smtpServer, smtpHeloName, smtpConnectTimeoutMs, smtpAlert, smtpAlertVrrp, smtpAlertChecker, enableScriptSecurity, scriptUser, notifyFifo, vrrpNotifyFifo, lvsNotifyFifo, vrrpMcastGroup4, vrrpMcastGroup6, vrrpVersion, vrrpGarpMasterDelayMs, vrrpGarpMasterRepeat, vrrpGarpMasterRefreshMs, vrrpGarpMasterRefreshRepeat, vrrpGarpIntervalMs, vrrpGnaIntervalMs, vrrpStartupDelayMs, vrrpStrict, vrrpSkipCheckAdvAddr, maxAutoPriority, lbDataplane, metricsListen, netNamespace, ssl, lvsSyncDaemon',
    'u.yaml:4:29: unknown key "every" in vrrpScripts.chk; expected one of: script, intervalMs, timeoutMs, weight, reverse, rise, fall, user, initFail',
    'u.yaml:9:5: unknown key "advert_int" in vrrpInstances.VI_1; expected one of: notifyMaster, notifyBackup, notifyFault, notifyStop, notify, smtpAlert, state, interface, virtualRouterId, priority, advertIntCs, version, nopreempt, preemptDelayMs, authentication, virtualIpaddress, virtualIpaddressExcluded, virtualRoutes, virtualRules, unicastSrcIp, unicastPeer, mcastSrcIp, trackInterface, trackScript, trackFile, trackProcess, garpMasterDelayMs, garpMasterRepeat, garpMasterRefreshMs, garpMasterRefreshRepeat, useVmac, vmacXmitBase, accept, dontTrackPrimary, noVirtualIpaddress',
    'u.yaml:10:47: unknown key "device" in vrrpInstances.VI_1.virtualIpaddress entry; expected one of: address, prefixLength, broadcast, dev, scope, label, noTrack',
    'u.yaml:11:1: unknown key "virtualServer" in the configuration; expected one of: globalDefs, vrrpScripts, trackFiles, vrrpTrackProcesses, vrrpSyncGroups, vrrpInstances, staticIpaddress, staticRoutes, staticRules, virtualServerGroups, virtualServers',
  ]);
});

test('values of the wrong type, and missing required keys, are errors at the value or node', () => {
  assert.deepEqual(errorsOf(lines(
    '{',
    '  "globalDefs": { "vrrpVersion": 4, "enableScriptSecurity": "yes" },',
    '  "vrrpInstances": {',
    '    "VI_1": {',
    '      "interface": 5,',
    '      "virtualRouterId": "51",',
    '      "priority": 1.5,',
    '      "state": "master",',
    '      "unicastPeer": ["198.18.0.300"],',
    '      "authentication": { "authType": "SHA", "authPass": "x" },',
    '      "trackScript": [{ "weight": 3 }]',
    '    },',
    '    "VI_2": {}',
    '  }',
    '}',
  ), 'v.json'), [
    'v.json:2:34: globalDefs.vrrpVersion: expected one of 2, 3',
    'v.json:2:61: globalDefs.enableScriptSecurity: expected true or false',
    'v.json:4:5: vrrpInstances.VI_1 has no interface',
    'v.json:4:5: vrrpInstances.VI_1 has no virtualRouterId',
    'v.json:5:20: vrrpInstances.VI_1.interface: expected a string',
    'v.json:6:26: vrrpInstances.VI_1.virtualRouterId: expected an integer',
    'v.json:7:19: vrrpInstances.VI_1.priority: expected an integer',
    'v.json:8:16: vrrpInstances.VI_1.state: expected one of "MASTER", "BACKUP"',
    'v.json:9:23: "198.18.0.300" is not an IP address',
    'v.json:10:39: vrrpInstances.VI_1.authentication.authType: unknown auth_type "SHA": expected PASS or AH',
    'v.json:11:23: vrrpInstances.VI_1.trackScript entry has no name',
    'v.json:13:5: vrrpInstances.VI_2 has no interface',
    'v.json:13:5: vrrpInstances.VI_2 has no virtualRouterId',
  ]);
});

test('semantic checks apply to JSON and YAML, with their spelling and units', () => {
  assert.deepEqual(errorsOf(lines(
    'vrrpInstances:',
    '  A: { interface: eth0, virtualRouterId: 51, advertIntCs: 150, trackScript: [nochk] }',
    '  B: { interface: eth0, virtualRouterId: 51, preemptDelayMs: 2000000 }',
    'vrrpSyncGroups:',
    '  G: { group: [A, C] }',
  ), 's.yaml'), [
    's.yaml:2:25: virtualRouterId 51 on eth0 (IPv4) is also used by B (s.yaml:3:25)',
    's.yaml:2:46: advertIntCs 150: VRRPv2 needs whole seconds, 100..25500',
    's.yaml:2:78: trackScript: no vrrp_script named nochk',
    's.yaml:3:25: virtualRouterId 51 on eth0 (IPv4) is also used by A (s.yaml:2:25)',
    's.yaml:3:46: preemptDelayMs 2000000 is out of range 0..1000000',
    's.yaml:5:19: sync group G: no vrrp_instance named C',
  ]);
});

test('YAML syntax errors and duplicate keys are errors with positions', () => {
  assert.deepEqual(errorsOf(lines('vrrpInstances:', '  VI_1: { interface: eth0', 'x: 1'), 'bad.yaml').length > 0, true);
  assert.deepEqual(errorsOf(lines('{', '  "vrrpInstances": {},', '  "vrrpInstances": {}', '}'), 'dup.json'), ['dup.json:3:3: Map keys must be unique']);
  assert.deepEqual(errorsOf('vrrpInstances: [1, 2]\n', 'list.yaml'), ['list.yaml:1:16: vrrpInstances must be a mapping']);
  assert.deepEqual(errorsOf('vrrpInstances:\n  VI_1:\n', 'null.yaml'), ['null.yaml:2:3: vrrpInstances.VI_1 must be a mapping']);
});

test('YAML anchors and aliases share settings between instances', () => {
  const { config } = parseConfigText(lines(
    'vrrpInstances:',
    '  A: { interface: eth0, virtualRouterId: 1, virtualIpaddress: &vips [198.18.0.1, 198.18.0.2] }',
    '  B: { interface: eth1, virtualRouterId: 1, virtualIpaddress: *vips }',
  ), 'alias.yaml');
  assert.deepEqual(config.vrrpInstances.map((i) => i.virtualIpaddress.map((v) => v.address)), [['198.18.0.1', '198.18.0.2'], ['198.18.0.1', '198.18.0.2']]);
});

test('a VIP address with a prefix and a prefixLength is ambiguous', () => {
  assert.deepEqual(errorsOf('vrrpInstances:\n  A: { interface: eth0, virtualRouterId: 1, virtualIpaddress: [{ address: 198.18.0.1/24, prefixLength: 24 }] }\n', 'p.yaml'), [
    'p.yaml:2:64: vrrpInstances.A.virtualIpaddress entry: give the prefix length in address or in prefixLength, not both',
  ]);
});
