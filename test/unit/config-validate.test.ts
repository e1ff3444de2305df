import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import { instancePreemption, instanceStartsAsMaster } from '../../runtime/src/config/resolve.ts';
import { errorsOf, instance, lines } from '../fixtures/config/support.ts';

test('missing required settings are errors at the block', () => {
  assert.deepEqual(errorsOf(lines(
    'vrrp_instance VI_1 {', '}',
    'vrrp_script chk {', '  interval 2', '}',
    'track_file f {', '}',
  )), [
    'test.conf:1:1: vrrp_instance VI_1 has no interface',
    'test.conf:1:1: vrrp_instance VI_1 has no virtual_router_id',
    'test.conf:3:1: vrrp_script chk has no script',
    'test.conf:6:1: track_file f has no file',
  ]);
});

test('ranges: VRID, priority, weights, preempt_delay, rise and fall, TTLs', () => {
  assert.deepEqual(errorsOf(lines(
    'vrrp_script chk {', '  script /bin/true', '  weight 254', '  rise 0', '  fall 0', '}',
    'track_file f {', '  file /tmp/f', '  weight -254', '}',
    ...instance('VI_1', 0,
      '  priority 0',
      '  preempt_delay 1001',
      '  track_script {', '    chk weight 300', '  }',
      '  track_interface {', '    eth1 weight -254', '  }',
      '  unicast_peer {', '    198.18.0.2 min_ttl 256', '    198.18.0.3 min_ttl 10 max_ttl 5', '  }'),
    ...instance('VI_2', 256, '  priority 256'),
  )), [
    'test.conf:3:3: weight 254 is out of range -253..253',
    'test.conf:4:3: rise 0 must be at least 1',
    'test.conf:5:3: fall 0 must be at least 1',
    'test.conf:9:3: weight -254 is out of range -253..253',
    'test.conf:13:3: virtual_router_id 0 is out of range 1..255',
    'test.conf:14:3: priority 0 is out of range 1..255',
    'test.conf:15:3: preempt_delay 1001 s is out of range 0 s..1000 s',
    'test.conf:17:5: track_script chk: weight 300 is out of range -253..253',
    'test.conf:20:5: track_interface eth1: weight -254 is out of range -253..253',
    'test.conf:23:5: unicast_peer 198.18.0.2: TTL 256 is out of range 0..255',
    'test.conf:24:5: unicast_peer 198.18.0.3: min_ttl 10 is above max_ttl 5',
    'test.conf:29:3: virtual_router_id 256 is out of range 1..255',
    'test.conf:30:3: priority 256 is out of range 1..255',
  ]);
});

test('priority 255 (the address owner) and the extremes of every range are accepted', () => {
  const { config } = parseConfigText(lines(
    'vrrp_script chk {', '  script /bin/true', '  weight -253', '}',
    ...instance('VI_1', 255, '  priority 255', '  preempt_delay 1000', '  track_script {', '    chk weight 253 reverse', '  }'),
    ...instance('VI_2', 1, '  priority 1', '  advert_int 255'),
  ), 'ok.conf');
  assert.deepEqual(config.vrrpInstances.map((i) => [i.virtualRouterId, i.priority]), [[255, 255], [1, 1]]);
  assert.equal(config.vrrpInstances[0]!.preemptDelayMs, 1_000_000);
});

test('advert_int: whole seconds 1..255 for VRRPv2, 0.01..40.95 s for VRRPv3', () => {
  assert.deepEqual(errorsOf(lines(
    ...instance('V2_FRACTION', 1, '  advert_int 1.5'),
    ...instance('V2_ZERO', 2, '  advert_int 0'),
    ...instance('V2_BIG', 3, '  advert_int 256'),
    ...instance('V3_ZERO', 4, '  version 3', '  advert_int 0'),
    ...instance('V3_BIG', 5, '  version 3', '  advert_int 40.96'),
    ...instance('V3_FINE', 6, '  version 3', '  advert_int 0.001'),
  )), [
    'test.conf:4:3: advert_int 1.5 s: VRRPv2 needs whole seconds, 1 s..255 s',
    'test.conf:9:3: advert_int 0 s: VRRPv2 needs whole seconds, 1 s..255 s',
    'test.conf:14:3: advert_int 256 s: VRRPv2 needs whole seconds, 1 s..255 s',
    'test.conf:20:3: advert_int 0 s: VRRPv3 needs 0.01 s..40.95 s',
    'test.conf:26:3: advert_int 40.96 s: VRRPv3 needs 0.01 s..40.95 s',
    'test.conf:32:14: advert_int: 0.001 s is finer than 0.01 s',
  ]);
  const { config } = parseConfigText(lines(
    'global_defs {', '  vrrp_version 3', '}',
    ...instance('FAST', 1, '  advert_int 0.01'),
    ...instance('SLOW', 2, '  advert_int 40.95'),
  ), 'v3.conf');
  assert.deepEqual(config.vrrpInstances.map((i) => i.advertIntCs), [1, 4095]);
});

test('one family per instance; IPv6 needs VRRPv3; unicast peers and sources match the family', () => {
  assert.deepEqual(errorsOf(lines(
    ...instance('MIXED', 1, '  virtual_ipaddress {', '    198.18.0.1', '    2001:db8::1', '  }',
      '  unicast_src_ip 2001:db8::2', '  mcast_src_ip 2001:db8::3', '  unicast_peer {', '    2001:db8::4', '  }'),
    ...instance('V6_ON_V2', 2, '  version 2', '  virtual_ipaddress {', '    2001:db8::5', '  }'),
  )), [
    'test.conf:6:5: 2001:db8::1 is IPv6 but the instance is IPv4: one instance carries one family (use two instances and a sync group)',
    'test.conf:8:3: unicast_src_ip 2001:db8::2 is not IPv4 like the instance',
    'test.conf:9:3: mcast_src_ip 2001:db8::3 is not IPv4 like the instance',
    'test.conf:11:5: unicast_peer 2001:db8::4 is not IPv4 like the instance',
    'test.conf:17:3: version 2 cannot carry IPv6: IPv6 needs VRRPv3',
  ]);
  // Excluded addresses are not in adverts: either family is fine.
  parseConfigText(lines(...instance('OK', 1, '  virtual_ipaddress {', '    198.18.0.1', '  }', '  virtual_ipaddress_excluded {', '    2001:db8::1', '  }')), 'ok.conf');
});

test('authentication is VRRPv2 only, and AH IPv4 only, as keepalived refuses them', () => {
  assert.deepEqual(errorsOf(lines(...instance('VI_1', 1, '  version 3', '  authentication {', '    auth_type PASS', '    auth_pass x', '  }'))), [
    'test.conf:5:3: authentication exists only in VRRPv2 (RFC 5798 removed it)',
  ]);
  assert.deepEqual(errorsOf(lines(...instance('VI_1', 1, '  version 3', '  authentication {', '    auth_type AH', '    auth_pass x', '  }'))), [
    'test.conf:5:3: authentication exists only in VRRPv2 (RFC 5798 removed it)',
  ]);
  assert.deepEqual(errorsOf(lines(...instance('VI_1', 1, '  authentication {', '    auth_type AH', '    auth_pass x', '  }', '  virtual_ipaddress {', '    2001:db8::1', '  }'))), [
    'test.conf:5:5: auth_type AH is for IPv4 only: its ICV covers the IPv4 header, and keepalived refuses AH with IPv6',
  ]);
  assert.deepEqual(errorsOf(JSON.stringify({ vrrpInstances: { VI_1: {
    interface: 'eth0', virtualRouterId: 1, virtualIpaddress: ['2001:db8::1'], authentication: { authType: 'AH', authPass: 'x' },
  } } }), 'v.json'), [
    'v.json:1:130: authType AH is for IPv4 only: its ICV covers the IPv4 header, and keepalived refuses AH with IPv6',
  ]);
});

test('auth_type AH: state MASTER is ignored but for the address owner, as keepalived does, and nopreempt then holds', () => {
  const vip = (address: string): string[] => ['  virtual_ipaddress {', `    ${address}`, '  }'];
  const ah = ['  authentication {', '    auth_type AH', '    auth_pass secret', '  }'];
  const { config, warnings } = parseConfigText(lines(
    ...instance('AH', 1, '  state MASTER', '  priority 100', '  nopreempt', ...ah, ...vip('198.18.0.1')),
    ...instance('OWNER', 2, '  state MASTER', '  priority 255', ...ah, ...vip('198.18.0.2')),
    ...instance('PASS', 3, '  state MASTER', '  priority 100', '  authentication {', '    auth_type PASS', '    auth_pass secret', '  }', ...vip('198.18.0.3')),
  ), 'ah.conf');
  const g = config.globalDefs;
  assert.deepEqual(config.vrrpInstances.map((i) => instanceStartsAsMaster(g, i)), [false, true, true]);
  assert.deepEqual(instancePreemption(g, config.vrrpInstances[0]!), { preempt: false, delayMs: 0 });
  assert.deepEqual(warnings.filter((w) => !w.includes('sent in clear')), [
    'ah.conf:4:3: state MASTER is ignored with auth_type AH but for the address owner (priority 255): the instance starts as backup, to learn the group\'s AH sequence numbers first, as keepalived does',
  ]);
});

test('a VRID used twice on one interface and family is an error at both places', () => {
  assert.deepEqual(errorsOf(lines(
    ...instance('A', 51),
    ...instance('B', 51),
    // The same VRID on another interface, or in the other family, is fine.
    'vrrp_instance C {', '  interface eth1', '  virtual_router_id 51', '}',
    ...instance('D', 51, '  virtual_ipaddress {', '    2001:db8::1', '  }'),
  )), [
    'test.conf:3:3: virtual_router_id 51 on eth0 (IPv4) is also used by B (test.conf:7:3)',
    'test.conf:7:3: virtual_router_id 51 on eth0 (IPv4) is also used by A (test.conf:3:3)',
  ]);
});

test('references: unknown track_script and track_file names; duplicate names', () => {
  assert.deepEqual(errorsOf(lines(
    'vrrp_script chk {', '  script /bin/true', '}',
    'vrrp_script chk {', '  script /bin/false', '}',
    ...instance('VI_1', 1, '  track_script {', '    chk', '    chk_missing', '  }', '  track_file {', '    nofile', '  }'),
    ...instance('VI_1', 2),
  )), [
    'test.conf:4:1: vrrp_script chk is defined twice (first at test.conf:1:1)',
    'test.conf:12:5: track_script: no vrrp_script named chk_missing',
    'test.conf:15:5: track_file: no track_file named nofile',
    'test.conf:18:1: vrrp_instance VI_1 is defined twice (first at test.conf:7:1)',
  ]);
});

test('sync groups: members exist, one group per instance, unweighted trackers; an empty one is ignored with a warning, as keepalived', () => {
  assert.deepEqual(errorsOf(lines(
    'vrrp_script chk {', '  script /bin/true', '  weight 10', '}',
    'vrrp_sync_group G1 {', '  group {', '    A', '    B', '    GHOST', '  }', '  track_script {', '    chk weight 5', '    nochk', '  }', '}',
    'vrrp_sync_group G2 {', '  group {', '    A', '  }', '}',
    'vrrp_sync_group G3 {', '  notify /bin/n', '}',
    ...instance('A', 1), ...instance('B', 2),
  )), [
    'test.conf:9:5: sync group G1: no vrrp_instance named GHOST',
    'test.conf:12:5: track_script chk: a sync group\'s trackers take no weight (a failure faults every member)',
    'test.conf:13:5: track_script: no vrrp_script named nochk',
    'test.conf:18:5: A is already a member of sync group G1 (test.conf:7:5); an instance may be in one sync group only',
  ]);
  // Debian's lvs_syncd sample names its members outside group { }: keepalived ignores those words.
  assert.deepEqual(parseConfigText(lines('vrrp_sync_group VG1 {', '  VI_2', '}', ...instance('VI_2', 1)), 'test.conf').warnings, [
    'test.conf:1:1: sync group VG1 has no member instances: it is ignored, as keepalived ignores it',
    'test.conf:2:3: "VI_2" is not a keyword of vrrp_sync_group: ignored, as keepalived ignores it (members are listed in group { })',
  ]);
  assert.deepEqual(errorsOf(lines('vrrp_sync_group VG1 {', '  group {', '    A', '  }', '  nonsense 1', '}', ...instance('A', 1))),
    ['test.conf:5:3: unknown keyword "nonsense" in vrrp_sync_group VG1'], 'a word with arguments is still an unknown keyword');
});

test('global settings: multicast groups of the right family, ports, counts', () => {
  assert.deepEqual(errorsOf(lines(
    'global_defs {',
    '  vrrp_mcast_group4 198.18.0.1',
    '  vrrp_mcast_group6 224.0.0.18',
    '  smtp_server 198.51.100.1 70000',
    '  vrrp_garp_master_repeat 0',
    '  max_auto_priority 100',
    '}',
  )), [
    'test.conf:2:3: vrrp_mcast_group4 must be an IPv4 multicast address, not 198.18.0.1',
    'test.conf:3:3: vrrp_mcast_group6 must be an IPv6 multicast address, not 224.0.0.18',
    'test.conf:4:3: smtp_server port 70000 is out of range 1..65535',
    'test.conf:5:3: vrrp_garp_master_repeat 0 must be at least 1',
    'test.conf:6:3: max_auto_priority 100 is out of range -1..99',
  ]);
});

test('warnings: contradictions keepalived tolerates', () => {
  const { warnings } = parseConfigText(lines(
    ...instance('M', 1, '  state MASTER', '  nopreempt', '  preempt_delay 5'),
    ...instance('OWNER', 2, '  priority 255', '  nopreempt'),
    'vrrp_sync_group ONE {', '  group {', '    M', '  }', '}',
  ), 'w.conf');
  assert.deepEqual(warnings, [
    'w.conf:5:3: nopreempt is ignored with state MASTER',
    'w.conf:6:3: preempt_delay is ignored with state MASTER',
    'w.conf:12:3: nopreempt is ignored for the address owner (priority 255)',
    'w.conf:15:3: sync group ONE has only one member instance',
  ]);
});

test('all errors are reported at once, in order of position', () => {
  const errors = errorsOf(lines(
    ...instance('A', 300, '  unknown_thing'),
    'vrrp_instance B {', '  virtual_router_id 1', '}',
  ));
  assert.deepEqual(errors, [
    'test.conf:3:3: virtual_router_id 300 is out of range 1..255',
    'test.conf:4:3: unknown keyword "unknown_thing" in vrrp_instance A',
    'test.conf:6:1: vrrp_instance B has no interface',
  ]);
});

test('max_auto_priority takes what keepalived takes: -1 (never realtime), 0..99; not -2', () => {
  for (const value of ['-1', '0', '99']) {
    const { warnings } = parseConfigText(lines('global_defs {', `  max_auto_priority ${value}`, '}'), 'm.conf');
    assert.deepEqual(warnings, ['m.conf:2:3: max_auto_priority has no effect: keepalive does not take realtime scheduling'], value);
  }
  assert.deepEqual(errorsOf(lines('global_defs {', '  max_auto_priority -2', '}')), ['test.conf:2:3: max_auto_priority -2 is out of range -1..99']);
});

test('keywords accepted without effect here say so, with their position', () => {
  const { warnings } = parseConfigText(lines(
    'global_defs {', '  max_auto_priority 50', '}',
    'vrrp_instance VI_1 {', '  interface eth0', '  virtual_router_id 1', '  priority 100', '  use_vmac', '  vmac_xmit_base',
    '  virtual_ipaddress {', '    198.18.0.100', '  }', '}',
    'virtual_server 198.18.0.100 80 {', '  real_server 198.18.1.1 80 {', '    HTTP_GET {', '      url {', '        path /', '      }',
    '      http_protocol 1.0C', '      fast_recovery', '    }', '  }', '}',
  ), 'test.conf');
  assert.deepEqual(warnings, [
    'test.conf:2:3: max_auto_priority has no effect: keepalive does not take realtime scheduling',
    'test.conf:9:3: vmac_xmit_base has no effect: adverts leave from the VMAC interface',
    'test.conf:20:7: http_protocol 1.0C has no effect: requests are HTTP/1.1 with Connection: close',
  ]);
});

test('no_virtual_ipaddress: an instance without addresses on purpose, even under vrrp_strict; not beside addresses', () => {
  const { config } = parseConfigText(lines('global_defs {', '  vrrp_strict', '}', ...instance('CLOUD', 1, '  priority 100', '  no_virtual_ipaddress')), 'test.conf');
  assert.equal(config.vrrpInstances[0]!.noVirtualIpaddress, true);
  assert.deepEqual(errorsOf(lines(...instance('BOTH', 1, '  no_virtual_ipaddress', '  virtual_ipaddress {', '    198.18.0.1', '  }'))), [
    'test.conf:4:3: no_virtual_ipaddress contradicts the addresses this instance lists',
  ]);
});
