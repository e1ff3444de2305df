// The lifecycle RPCs of the Terraform plugin protocol side, without hosts: UpgradeResourceState passes
// version 0's JSON through; PlanResourceChange plans through the Pulumi provider's Check and Diff: on
// create the outputs the core computes when it acts are unknown and Check's (a host's connection, a
// group's expected_master) known, the topology words are warning diagnostics, a priority change is
// planned as a master move, a change of vrid replaces the group, and an unchanged configuration plans
// the prior state; ImportResourceState takes the Pulumi provider's IDs.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { UNKNOWN } from '../provider/core/wire.ts';
import { fromDynamic, toDynamic } from '../provider/terraform/dynamic.ts';
import { targets } from '../provider/core/lifecycle.ts';
import { resourceHandlers, urnOf } from '../provider/terraform/resources.ts';
import { inputsFromTerraform } from '../provider/terraform/schema.ts';

type Props = Record<string, unknown>;
const KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const BODY = KEY.split('\n')[1]!;
const nulls = (keys: string[]): Props => Object.fromEntries(keys.map((k) => [k, null]));

function hostConfig(name: string, address: string): Props {
  return {
    ...nulls(['id', 'port', 'user', 'host_key', 'install_dir', 'config_dir', 'service_manager', 'host_connection', 'runtime_version', 'runtime_hash', 'node', 'running', 'facts']),
    name, address, private_key: KEY, insecure_accept_unknown_host_key: true,
  };
}

describe('plan through the Pulumi provider\'s core', () => {
  test('UpgradeResourceState: version 0\'s JSON passes through', async () => {
    const rpc = resourceHandlers();
    const state = { id: 'x', name: 'lb1' };
    const out = await rpc.UpgradeResourceState!({ type_name: 'keepalive_host', version: 0, raw_state: { json: Buffer.from(JSON.stringify(state)) } }) as Props;
    assert.deepEqual(fromDynamic(out.upgraded_state as never), state);
  });

  test('create, a master move, a replacement, no change', async () => {
    const rpc = resourceHandlers();
    const plan = async (type: string, prior: Props | null, proposed: Props) => {
      const out = await rpc.PlanResourceChange!({ type_name: type, prior_state: toDynamic(prior), proposed_new_state: toDynamic(proposed), config: toDynamic(proposed) }) as Props;
      const diagnostics = out.diagnostics as { severity: number; summary: string }[];
      assert.ok(!diagnostics.some((d) => d.severity === 1), JSON.stringify(diagnostics));
      return { planned: fromDynamic(out.planned_state as never) as Props, words: diagnostics.map((d) => d.summary), replace: out.requires_replace as unknown[] };
    };
    const hosts = await Promise.all([['lb1', '198.18.0.1'], ['lb2', '198.18.0.2']].map(([n, a]) => plan('keepalive_host', null, hostConfig(n!, a!))));
    for (const h of hosts) {
      assert.equal(h.planned.id, UNKNOWN);
      assert.equal(h.planned.runtime_hash, UNKNOWN);
      assert.equal((h.planned.host_connection as Props).address !== undefined, true, 'the connection is known at plan');
    }
    const [lb1, lb2] = hosts.map((h) => h.planned.host_connection);
    const group = (p1: number, p2: number, vrid = 51): Props => ({
      ...nulls(['id', 'version', 'advert_interval_ms', 'preempt', 'preempt_delay_ms', 'unicast', 'tracking', 'notify', 'smtp_alert', 'expected_master', 'live_master', 'fragments']),
      name: 'web', vrid, interface: 'eth0', virtual_ips: ['198.18.0.100/24'],
      members: [{ host: lb1, priority: p1 }, { host: lb2, priority: p2 }].map((m) => ({ ...nulls(['interface', 'unicast_src_ip']), ...m })),
    });
    const created = await plan('keepalive_vrrp_group', null, group(200, 150));
    assert.equal(created.planned.expected_master, 'lb1');
    assert.equal(created.planned.fragments, UNKNOWN);
    assert.ok(created.words.some((w) => /vrid 51/.test(w) && /lb1/.test(w)), created.words.join('\n'));

    // As an apply leaves it: each host's fragment recorded with its hash.
    const deployed = targets('keepalive:index:VrrpGroup', urnOf('keepalive:index:VrrpGroup', 'web'), inputsFromTerraform('keepalive:index:VrrpGroup', created.planned));
    const fragments = [...deployed].map(([host, t]) => ({ host, path: `/etc/keepalive/conf.d/${t.fragment.file}`, sha256: t.fragment.hash }));
    const state = { ...created.planned, id: 'vrrpgroup-web@198.18.0.1:22,198.18.0.2:22', live_master: 'lb1', fragments };
    const moved = await plan('keepalive_vrrp_group', state, group(200, 250));
    assert.ok(moved.words.some((w) => w.includes('vrid 51: master lb1 -> lb2 (priority 250 > 200')), moved.words.join('\n'));
    assert.equal(moved.planned.expected_master, 'lb2');
    assert.deepEqual(moved.replace, []);

    const replaced = await plan('keepalive_vrrp_group', state, group(200, 150, 52));
    assert.deepEqual(replaced.replace, [{ steps: [{ attribute_name: 'vrid' }] }]);

    const same = await plan('keepalive_vrrp_group', state, group(200, 150));
    assert.deepEqual(same.planned, state);
    assert.ok(!JSON.stringify(same.words).includes(BODY), 'no key in the words');
  });

  test('ImportResourceState: a fragment ID; a host is declared, not imported', async () => {
    const rpc = resourceHandlers();
    const out = await rpc.ImportResourceState!({ type_name: 'keepalive_vrrp_group', id: 'vrrpgroup-web@198.18.0.1:22' }) as { imported_resources: { state: never }[] };
    const state = fromDynamic(out.imported_resources[0]!.state) as Props;
    assert.deepEqual([state.id, state.name, state.vrid], ['vrrpgroup-web@198.18.0.1:22', 'web', null]);
    const host = await rpc.ImportResourceState!({ type_name: 'keepalive_host', id: '198.18.0.1:22' }) as { diagnostics: { summary: string }[] };
    assert.match(host.diagnostics[0]!.summary, /declared/);
  });
});
