// From a keepalived.conf to what the VRRP child runs (vrrpPlan): the keywords that change how an
// instance tracks and accepts, and what a sync group hands its members.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import { vrrpPlan } from '../../runtime/src/vrrp/from-config.ts';

const conf = `
global_defs {
  vrrp_skip_check_adv_addr
}
vrrp_script chk {
  script "/bin/true"
  weight -20
}
track_file maint {
  file /run/maint
}
vrrp_sync_group G {
  group {
    A
    B
  }
  track_interface {
    eth9
  }
  track_script {
    chk
  }
  track_file {
    maint
  }
  notify_master "/bin/true group"
  smtp_alert
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  priority 100
  dont_track_primary
  track_script {
    chk
  }
  virtual_ipaddress {
    198.18.0.100
  }
}
vrrp_instance B {
  interface eth1
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    198.18.1.100
  }
}
`;

test('dont_track_primary, vrrp_skip_check_adv_addr, and a sync group\'s trackers, scripts and alerts', () => {
  const plan = vrrpPlan(parseConfigText(conf, 'k.conf').config);
  const [a, b] = plan.instances;
  assert.deepEqual([a!.trackPrimary, b!.trackPrimary], [false, true]);
  assert.deepEqual([a!.skipCheckAdvertAddresses, b!.skipCheckAdvertAddresses], [true, true]);
  // The group's trackers come after the instance's own, without weight: a failure faults.
  assert.deepEqual(a!.trackInterfaces, [{ name: 'eth9', weight: 0, reverse: false }]);
  assert.deepEqual(a!.trackScripts.map((t) => [t.name, t.weight]), [['chk', -20], ['chk', 0]]);
  assert.deepEqual(b!.trackScripts.map((t) => [t.name, t.weight]), [['chk', 0]]);
  assert.deepEqual(b!.trackFiles.map((t) => [t.name, t.path, t.weight]), [['maint', '/run/maint', 0]]);
  assert.deepEqual(plan.syncGroups, [{ name: 'G', members: ['A', 'B'], notify: { master: '/bin/true group' }, smtpAlert: true }]);
});
