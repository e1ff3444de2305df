// Behaviour keepalived users rely on, with keepalived as the peer: preempt, nopreempt, preempt_delay,
// VRRPv2 password authentication, and sync groups moving together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { keepalive, keepalived, keepaliveStatus, renderVrrpConf, type VrrpInstanceOptions } from './lab/implementations.ts';
import { advertisersOver, holders, waitForSoleHolder } from './lab/vrrp.ts';
import { waitFor } from './lab/exec.ts';
import { processStartedAt } from './lab/process-clock.ts';
import { vrrpInstances, type InstanceStatus } from '../runtime/src/control/status.ts';

const T = { timeout: 180_000 };

async function pair(extra: Partial<VrrpInstanceOptions> = {}, peerExtra: Partial<VrrpInstanceOptions> = {}) {
  const lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const base = { version: 3 as const, vrid: 51, interfaceName: 'eth0', advertInt: 0.1, vips: [`${vip}/24`] };
  const ours = renderVrrpConf({ ...base, routerId: 'h1', priority: 200, ...extra });
  const theirs = renderVrrpConf({ ...base, routerId: 'h2', priority: 100, ...peerExtra });
  return { lab, h1, h2, vip, ours, theirs, [Symbol.asyncDispose]: async () => lab.destroy() };
}

test('nopreempt: a higher-priority keepalive joining a group with a master leaves it be, until that master goes', T, async () => {
  await using p = await pair({ nopreempt: true });
  const peer = await keepalived.start(p.h2, p.theirs);
  await waitForSoleHolder([p.h1, p.h2], p.vip, 'h2');
  await keepalive.start(p.h1, p.ours);
  // keepalive's own record once it has heard 20 adverts (2 s at 0.1 s, more than five of its
  // Master_Down_Intervals), or once it left backup: it must not have.
  const joined = await waitFor('keepalive to hear 20 adverts', async () => {
    const i = vrrpInstances(await keepaliveStatus(p.h1))[0];
    return i && (i.counters.advertsReceived >= 20 || i.transitions.length > 1) ? i : undefined;
  }, { timeoutMs: 15_000 });
  assert.deepEqual(joined.transitions.map((x) => `${x.from}>${x.to}`), ['initialize>backup']);
  assert.deepEqual(await holders([p.h1, p.h2], p.vip), ['h2']);
  peer.signal('SIGTERM');
  await waitForSoleHolder([p.h1, p.h2], p.vip, 'h1');
});

test('preempt_delay: a higher-priority keepalive follows the master for the delay, then preempts', T, async (t) => {
  await using p = await pair({ preemptDelay: 3 });
  await keepalived.start(p.h2, p.theirs);
  await waitForSoleHolder([p.h1, p.h2], p.vip, 'h2');
  await keepalive.start(p.h1, p.ours);
  await waitForSoleHolder([p.h1, p.h2], p.vip, 'h1', 10_000);
  // Judged by keepalive's own record: it followed the master from its start until it preempted, and
  // the delay counts from the first advert it heard (within an advert interval of its start), so
  // the span is the delay, plus at most that interval and a late timer on a busy machine.
  const transitions = vrrpInstances(await keepaliveStatus(p.h1))[0]!.transitions;
  assert.deepEqual(transitions.map((x) => `${x.from}>${x.to}`), ['initialize>backup', 'backup>master']);
  const heldMs = Date.parse(transitions[1]!.at) - Date.parse(transitions[0]!.at);
  t.diagnostic(`followed the master for ${heldMs} ms (preempt_delay 3000 ms)`);
  assert.ok(heldMs >= 3_000, `preempted ${heldMs} ms after starting, within the delay`);
  assert.ok(heldMs <= 3_000 + 1_000, `preempted ${heldMs} ms after starting, for a delay of 3000 ms`);
});

test('VRRPv2 passwords: a matching password interoperates; a wrong one is rejected and counted', T, async () => {
  {
    await using p = await pair({ version: 2, advertInt: 1, password: 'secret' }, { version: 2, advertInt: 1, password: 'secret' });
    await keepalived.start(p.h2, p.theirs);
    await keepalive.start(p.h1, p.ours);
    await waitForSoleHolder([p.h1, p.h2], p.vip, 'h1', 15_000);
  }
  await using p = await pair({ version: 2, advertInt: 1, password: 'wrong' }, { version: 2, advertInt: 1, password: 'secret' });
  await keepalived.start(p.h2, p.theirs);
  await keepalive.start(p.h1, p.ours);
  const authRejects = async (): Promise<number> => {
    const s = await keepaliveStatus(p.h1);
    const instance = (s.children['vrrp']?.status as { instances: InstanceStatus[] } | undefined)?.instances[0];
    return instance?.counters.rejects['auth-password'] ?? 0;
  };
  await waitFor('adverts with the wrong password to be rejected', async () => ((await authRejects()) > 0 ? true : undefined), { timeoutMs: 10_000 });
  await waitFor('both to consider themselves master', async () => ((await holders([p.h1, p.h2], p.vip)).length === 2 ? true : undefined), { timeoutMs: 15_000 });
});

/** Two instances in sync group G, FRONT on eth0 and BACK on eth1, with extra lines where given. */
function syncGroupConf(o: { router: string; priority: number; front: string; back: string; globals?: string; before?: string; group?: string }): string {
  return `
global_defs {
  router_id ${o.router}
  vrrp_version 3
  ${o.globals ?? ''}
}
${o.before ?? ''}
vrrp_sync_group G {
  group {
    FRONT
    BACK
  }
  ${o.group ?? ''}
}
vrrp_instance FRONT {
  interface eth0
  virtual_router_id 51
  priority ${o.priority}
  advert_int 0.1
  virtual_ipaddress {
    ${o.front}/24
  }
}
vrrp_instance BACK {
  interface eth1
  virtual_router_id 52
  priority ${o.priority}
  advert_int 0.1
  virtual_ipaddress {
    ${o.back}/24
  }
}
`;
}

test('sync group: when one member faults, its partner moves with it, across implementations', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], segments: ['front', 'back'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const front = addressIn(lab.segment('front').subnets.v4, 100);
  const back = addressIn(lab.segment('back').subnets.v4, 100);
  const conf = (router: string, priority: number) => syncGroupConf({ router, priority, front, back });
  await keepalived.start(h2, conf('h2', 100));
  await keepalive.start(h1, conf('h1', 200));
  await waitForSoleHolder([h1, h2], front, 'h1');
  await waitForSoleHolder([h1, h2], back, 'h1');
  // Only the back link fails, but the front instance moves too.
  await h1.setLink('eth1', 'down');
  await waitForSoleHolder([h1, h2], front, 'h2');
  await waitForSoleHolder([h1, h2], back, 'h2');
  await h1.setLink('eth1', 'up');
  await waitForSoleHolder([h1, h2], front, 'h1');
  await waitForSoleHolder([h1, h2], back, 'h1');
});

test('sync group: its own tracker faults every member, and its notify scripts follow the group, as keepalived\'s do', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], segments: ['front', 'back'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const front = addressIn(lab.segment('front').subnets.v4, 100);
  const back = addressIn(lab.segment('back').subnets.v4, 100);
  for (const h of [h1, h2]) {
    await h.exec('mkdir -p -m 1777 /run/notify');
    h.writeFile('/run/notify/record.sh', '#!/bin/sh\necho "$*" >> /run/notify/log\n', 0o755);
    h.writeFile('/run/maintenance', '0\n');
  }
  // The tracked file is the group's, not an instance's: a non-zero value faults the whole group.
  const conf = (router: string, priority: number) => syncGroupConf({
    router, priority, front, back,
    globals: 'script_user nobody',
    before: 'track_file maintenance {\n  file /run/maintenance\n}',
    group: 'track_file {\n    maintenance\n  }\n  notify /run/notify/record.sh',
  });
  const peer = await keepalived.start(h2, conf('h2', 100));
  await waitForSoleHolder([h1, h2], front, 'h2');
  const ours = await keepalive.start(h1, conf('h1', 200));
  await waitForSoleHolder([h1, h2], front, 'h1');
  await waitForSoleHolder([h1, h2], back, 'h1');
  h1.writeFile('/run/maintenance', '1\n');
  await waitForSoleHolder([h1, h2], front, 'h2');
  await waitForSoleHolder([h1, h2], back, 'h2');
  const faulted = vrrpInstances(await keepaliveStatus(h1));
  assert.deepEqual(faulted.map((i) => i.state), ['fault', 'fault'], JSON.stringify(faulted));
  h1.writeFile('/run/maintenance', '0\n');
  await waitForSoleHolder([h1, h2], front, 'h1');
  await waitForSoleHolder([h1, h2], back, 'h1');
  await peer.stop();
  await ours.stop();
  const log = (h: typeof h1): string[] => h.readFile('/run/notify/log').trim().split('\n');
  // Ours: up as backup, master, fault, back to backup, master again, stopped; one line each.
  assert.deepEqual(log(h1), ['GROUP G BACKUP 0', 'GROUP G MASTER 0', 'GROUP G FAULT 0', 'GROUP G BACKUP 0', 'GROUP G MASTER 0', 'GROUP G STOP 0']);
  // keepalived's, on the other side of the same events: the same words.
  assert.deepEqual(log(h2), ['GROUP G BACKUP 0', 'GROUP G MASTER 0', 'GROUP G BACKUP 0', 'GROUP G MASTER 0', 'GROUP G BACKUP 0', 'GROUP G STOP 0']);
});

test('no_accept: a master that is not the owner drops packets to its VIP, as keepalived does; accept answers', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'client'], ssh: false, management: false });
  const [h1, client] = [lab.host('h1'), lab.host('client')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const conf = (accept: boolean) => renderVrrpConf({ routerId: 'h1', version: 3, vrid: 51, interfaceName: 'eth0', priority: 200, advertInt: 0.1, vips: [`${vip}/24`] })
    .replace('  priority 200\n', `  priority 200\n  ${accept ? 'accept' : 'no_accept'}\n`);
  const answers = async (): Promise<boolean> => (await client.exec(['ping', '-c', '1', '-W', '1', vip], { allowFailure: true })).code === 0;
  const tables = async (): Promise<string> => (await h1.exec(['nft', 'list', 'tables'])).stdout;
  for (const impl of [keepalived, keepalive]) {
    const daemon = await impl.start(h1, conf(false));
    await waitForSoleHolder([h1], vip, 'h1');
    // The VIP is on h1 and answered for by ARP, yet no packet to it gets in.
    assert.equal(await answers(), false, `${impl.name}: a ping to the VIP was answered with no_accept`);
    assert.match((await client.exec(['ip', 'neigh', 'show', vip])).stdout, /lladdr/, `${impl.name}: ARP for the VIP went unanswered`);
    if (impl === keepalive) assert.match(await tables(), /table inet keepalive_vrrp/);
    await daemon.stop();
  }
  assert.doesNotMatch(await tables(), /keepalive_vrrp/, 'the table went with the runtime');
  const daemon = await keepalive.start(h1, conf(true));
  await waitForSoleHolder([h1], vip, 'h1');
  assert.equal(await answers(), true, 'accept: the VIP answers');
  assert.doesNotMatch(await tables(), /keepalive_vrrp/);
  await daemon.stop();
});

test('vrrp_strict with a VRRPv2 password, as stock configurations have it: both drop the password and agree on the master', T, async () => {
  // keepalived ignores authentication under vrrp_strict; a runtime that kept it would reject the
  // peer's adverts (wrong auth type) and both would be master.
  const strict = (conf: string): string => conf.replace('global_defs {\n', 'global_defs {\n  vrrp_strict\n');
  await using p = await pair({ version: 2, advertInt: 1, password: 'secret' }, { version: 2, advertInt: 1, password: 'secret' });
  await keepalived.start(p.h2, strict(p.theirs));
  await waitForSoleHolder([p.h1, p.h2], p.vip, 'h2');
  await keepalive.start(p.h1, strict(p.ours));
  await waitForSoleHolder([p.h1, p.h2], p.vip, 'h1');
  const instance = vrrpInstances(await keepaliveStatus(p.h1))[0]!;
  assert.deepEqual(instance.counters.rejects, {}, 'no advert of the peer was rejected');
});

test('no_virtual_ipaddress: instances with no address elect a master with keepalived, for notify scripts to act on', T, async () => {
  // keepalived 2.2.7 predates the keyword, and runs a VRRPv2 instance without addresses after a
  // warning: it is the peer as it is; keepalive is given the keyword.
  await using p = await pair({ version: 2, advertInt: 1 }, { version: 2, advertInt: 1 });
  await using capture = await p.lab.capture();
  // What a cloud setup does: no address in VRRP; the notify script moves one through an API.
  const noVip = (conf: string): string => conf
    .replace(/  virtual_ipaddress \{\n[^}]*\}\n/, '  no_virtual_ipaddress\n  notify /run/notify/record.sh\n')
    .replace('global_defs {\n', 'global_defs {\n  script_user nobody\n');
  for (const h of [p.h1, p.h2]) {
    await h.exec('mkdir -p -m 1777 /run/notify');
    h.writeFile('/run/notify/record.sh', '#!/bin/sh\necho "$*" >> /run/notify/log\n', 0o755);
  }
  const last = (h: typeof p.h1): string | undefined => {
    try { return h.readFile('/run/notify/log').trim().split('\n').at(-1); } catch { return undefined; } // no line yet
  };
  await keepalived.start(p.h2, noVip(p.theirs).replace('  no_virtual_ipaddress\n', ''));
  await waitFor('keepalived to be master alone', () => (last(p.h2) === 'INSTANCE VI_1 MASTER 100' ? true : undefined), { timeoutMs: 10_000 });
  await keepalive.start(p.h1, noVip(p.ours));
  await waitFor('keepalive (200) to take over', () => (last(p.h1) === 'INSTANCE VI_1 MASTER 200' ? true : undefined), { timeoutMs: 10_000 });
  await waitFor('keepalived to step back', () => (last(p.h2) === 'INSTANCE VI_1 BACKUP 100' ? true : undefined), { timeoutMs: 10_000 });
  // keepalived would take over again after its Master_Down_Interval (3.6 s at priority 100 and
  // advert_int 1) if it did not hear us: over our next five adverts on the wire (more than 4 s), only
  // we advertise.
  assert.deepEqual(await advertisersOver(capture, 51, 'h1', Date.now(), 5), ['h1']);
  const ours = vrrpInstances(await keepaliveStatus(p.h1))[0]!;
  assert.deepEqual([ours.state, ours.virtualAddresses, ours.counters.rejects], ['master', [], {}]);
  assert.deepEqual(ours.transitions.map((x) => `${x.from}>${x.to}`), ['initialize>backup', 'backup>master']);
  assert.equal(last(p.h2), 'INSTANCE VI_1 BACKUP 100', 'keepalived stays backup, hearing our adverts');
  assert.deepEqual(await holders([p.h1, p.h2], p.vip), []);
});

test('vrrp_startup_delay: the instances wait that long after the daemon starts', T, async (t) => {
  await using p = await pair();
  // Long enough that a status (a Node process start per poll) taken while the instances wait is
  // certain even on a busy machine; whether it was is judged below by the daemon's own record.
  const delayMs = 4_000;
  await keepalive.start(p.h1, p.ours.replace('global_defs {\n', `global_defs {\n  vrrp_startup_delay ${delayMs / 1000}\n`));
  const early = await waitFor('the instance to be configured', async () => {
    const instance = vrrpInstances(await keepaliveStatus(p.h1))[0];
    return instance && { instance, at: Date.now() };
  });
  await waitForSoleHolder([p.h1, p.h2], p.vip, 'h1', delayMs + 10_000);
  const s = await keepaliveStatus(p.h1);
  const vrrp = s.children['vrrp']!;
  assert.equal(vrrp.restarts, 0, 'one VRRP child throughout');
  const [started] = vrrpInstances(s)[0]!.transitions;
  assert.equal(`${started?.from}>${started?.to}`, 'initialize>backup');
  const startedAt = Date.parse(started!.at);
  // The first status returned before the instance left initialize (the daemon's timestamp): it saw the wait.
  assert.ok(early.at < startedAt, `the first status came ${early.at - startedAt} ms after the instance started`);
  assert.equal(early.instance.state, 'initialize', 'an instance started before the delay');
  assert.deepEqual(early.instance.transitions, []);
  // The delay counts from the VRRP child's first configuration, a little after the kernel started
  // the process (Node's start): never less than the delay from the process start, and more only by
  // that start and a late timer.
  const waitedMs = startedAt - processStartedAt(vrrp.pid!);
  t.diagnostic(`instance started ${waitedMs} ms after its process (vrrp_startup_delay ${delayMs} ms)`);
  assert.ok(waitedMs >= delayMs, `started ${waitedMs} ms after the process, before the delay of ${delayMs} ms`);
  assert.ok(waitedMs <= delayMs + 2_000, `started ${waitedMs} ms after the process, for a delay of ${delayMs} ms`);
});
