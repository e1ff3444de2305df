// The runtime as a user runs it: the CLI, the watchdog and its children, status, reload, notify
// scripts and SMTP alerts, tracking, and malformed packets, in lab hosts against the real kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { KEEPALIVE_CLI as CLI, keepalive, keepalived, keepaliveStatus, renderVrrpConf } from './lab/implementations.ts';
import { holders, lastAdvertBefore, nextAdvert, waitForSoleHolder } from './lab/vrrp.ts';
import { waitFor } from './lab/exec.ts';
import { processGone } from './lab/processes.ts';
import type { Host } from './lab/host.ts';
import type { DaemonStatus, InstanceStatus } from '../runtime/src/control/status.ts';

const T = { timeout: 240_000 };

const status = (host: Host): Promise<DaemonStatus> => keepaliveStatus(host);

function instance(s: DaemonStatus, name = 'VI_1'): InstanceStatus {
  const found = ((s.children['vrrp']?.status as { instances: InstanceStatus[] } | undefined)?.instances ?? []).find((i) => i.name === name);
  assert.ok(found, `no instance ${name} in ${JSON.stringify(s)}`);
  return found;
}

test('keepalive check: a good file passes; a bad one gets one file:line:col error per problem and exit 1', () => {
  const dir = mkdtempSync(`${tmpdir()}/keepalive-check-`);
  try {
    writeFileSync(`${dir}/good.conf`, renderVrrpConf({ routerId: 'a', version: 3, vrid: 51, interfaceName: 'eth0', priority: 100, advertInt: 0.1, vips: ['198.18.0.100/24'] }));
    const good = spawnSync(process.execPath, [CLI, 'check', '-f', `${dir}/good.conf`], { encoding: 'utf8' });
    assert.equal(good.status, 0, good.stderr);
    writeFileSync(`${dir}/bad.conf`, 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  priority 0\n  frobnicate yes\n}\n');
    const bad = spawnSync(process.execPath, [CLI, 'check', '-f', `${dir}/bad.conf`], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    const lines = bad.stderr.trim().split('\n');
    assert.ok(lines.some((l) => l.startsWith(`${dir}/bad.conf:3:`) && /virtual_router_id/.test(l)), bad.stderr);
    assert.ok(lines.some((l) => l.startsWith(`${dir}/bad.conf:4:`) && /priority/.test(l)), bad.stderr);
    assert.ok(lines.some((l) => l.startsWith(`${dir}/bad.conf:5:`) && /frobnicate/.test(l)), bad.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status, reload (good and bad), and the watchdog respawning killed children', T, async (t) => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const conf = (priority: number) => renderVrrpConf({ routerId: 'h1', version: 3, vrid: 51, interfaceName: 'eth0', priority, advertInt: 0.1, vips: [`${vip}/24`] });
  await using capture = await lab.capture();
  await keepalive.start(h1, conf(200));
  await keepalived.start(h2, renderVrrpConf({ routerId: 'h2', version: 3, vrid: 51, interfaceName: 'eth0', priority: 100, advertInt: 0.1, vips: [`${vip}/24`] }));
  await waitForSoleHolder([h1, h2], vip, 'h1');

  let s = await status(h1);
  let i = instance(s);
  assert.equal(i.state, 'master');
  assert.deepEqual(i.priority, { configured: 200, effective: 200 });
  assert.equal(i.timers.advertIntervalCs, 10);
  assert.ok(i.counters.advertsSent > 0);
  assert.deepEqual(i.transitions.map((t) => `${t.from}>${t.to}`), ['initialize>backup', 'backup>master']);
  const text = (await h1.exec([process.execPath, CLI, 'status', '--state-dir', '/run/keepalive'])).stdout;
  assert.match(text, /VI_1: MASTER\s+vrid 51 on eth0, VRRPv3 IPv4/);

  // A bad configuration is refused and the running one stays in force.
  h1.writeFile('/etc/keepalive/keepalived.conf', 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 0\n}\n');
  const refused = await h1.exec([process.execPath, CLI, 'reload', '--state-dir', '/run/keepalive'], { allowFailure: true });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /keepalived\.conf:3:\d+: .*virtual_router_id/);
  assert.equal(instance(await status(h1)).state, 'master');

  // A priority change reloads in place: the next adverts carry it, with no transition.
  h1.writeFile('/etc/keepalive/keepalived.conf', conf(180));
  const accepted = await h1.exec([process.execPath, CLI, 'reload', '--state-dir', '/run/keepalive']);
  assert.match(accepted.stdout, /reloaded/);
  await capture.waitFor('an advert at priority 180', (f) => f.from === 'h1' && f.vrrp?.priority === 180);
  s = await status(h1);
  i = instance(s);
  assert.deepEqual(i.priority, { configured: 180, effective: 180 });
  assert.equal(i.transitions.length, 2, 'no flap');

  // The checker child dies: it is respawned, and VRRP is not disturbed.
  const checkerPid = s.children['checker']!.pid!;
  process.kill(checkerPid, 'SIGKILL');
  s = await waitFor('the checker child to be respawned', async () => {
    const now = await status(h1);
    return now.children['checker']?.running && now.children['checker']?.pid !== checkerPid ? now : undefined;
  });
  assert.equal(s.children['checker']!.restarts, 1);
  assert.equal(s.children['checker']!.lastExit?.signal, 'SIGKILL');
  assert.equal(instance(s).state, 'master');

  // The VRRP child of the master dies: no resignation is possible (neither the dying child nor the
  // watchdog sends a priority-0 advert), so keepalived takes over Master_Down_Interval after the last
  // advert it heard; the respawned child comes back as backup and preempts again.
  const vrrpPid = s.children['vrrp']!.pid!;
  process.kill(vrrpPid, 'SIGKILL');
  // Stamped after the kill: every advert of the child was sent before this.
  const killedAt = Date.now();
  const last = await lastAdvertBefore(capture, 51, 'h1', killedAt);
  const takeover = await nextAdvert(capture, 51, 'h2', killedAt);
  await waitForSoleHolder([h1, h2], vip, 'h1');
  s = await status(h1);
  assert.equal(s.children['vrrp']!.restarts, 1);
  assert.notEqual(s.children['vrrp']!.pid, vrrpPid);
  assert.equal(capture.records.some((f) => f.from === 'h1' && f.vrrp?.priority === 0), false, 'no resignation from a killed child');
  // RFC 5798 6.1 for keepalived's priority 100 at advert_int 0.1 (10 cs): 3 * 10 cs + (256 - 100) * 10 / 256 cs.
  const formulaMs = 3 * 100 + ((256 - 100) * 100) / 256;
  const overMs = takeover.time - last.time - formulaMs;
  t.diagnostic(`VRRP child of the master killed: keepalived took over ${overMs >= 0 ? '+' : ''}${overMs.toFixed(1)} ms from Master_Down_Interval (${formulaMs.toFixed(1)} ms) after h1's last advert; the respawned child took mastership back`);
  // A takeover that waited on anything but the missing adverts (a resignation: 61 ms; a respawned
  // child still advertising: never) falls outside; half an advert interval is the slack for a late
  // process on a busy machine.
  assert.ok(overMs >= -5 && overMs <= 50, `takeover ${overMs.toFixed(1)} ms from the formula`);
});

test('the watchdog stops its children on TERM, and they stop by themselves when it is killed', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const conf = renderVrrpConf({ routerId: 'h1', version: 3, vrid: 51, interfaceName: 'eth0', priority: 200, advertInt: 0.1, vips: [`${vip}/24`] });

  const d1 = await keepalive.start(h1, conf);
  await waitForSoleHolder([h1], vip, 'h1');
  const s = await status(h1);
  const children = [s.children['vrrp']!.pid!, s.children['checker']!.pid!];
  assert.equal(await d1.stop(), true, 'TERM suffices');
  assert.ok(children.every(processGone));
  assert.deepEqual(await holders([h1], vip), [], 'a stopped master releases its address');

  const d2 = await keepalive.start(h1, conf);
  await waitForSoleHolder([h1], vip, 'h1');
  const s2 = await status(h1);
  const orphans = [s2.children['vrrp']!.pid!, s2.children['checker']!.pid!];
  process.kill(d2.pid, 'SIGKILL');
  await waitFor('the children to stop without their parent', () => (orphans.every(processGone) ? true : undefined), { timeoutMs: 10_000 });
});
