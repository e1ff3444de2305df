// The full lifecycle through the real Pulumi engine (the CLI scripts/pulumi-engine builds, driven by
// the Automation API with an inline program of the typed SDK: test/lab/pulumi.ts) and the provider
// plugin, on lab hosts with their own sshd: three Hosts get the runtime, two VRRP groups (the service
// VIP on the front segment, the real servers' gateway VIP on the back one, so replies come back
// through the director: keepalived's NAT setup), a virtual server and its real servers; a raised
// priority moves the master as the preview said, with no other transition, and only the new master's
// fragment is written and reloaded; a new real server takes traffic; refresh reads the live state and
// a hand-edited fragment is drift that the next update rewrites; a no-op up makes no SSH connection;
// deleting everything leaves the hosts clean, the last master stopping with a priority-0 advert.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Stack } from '@pulumi/pulumi/automation/index.js';
import type { DaemonStatus } from '../runtime/src/control/status.ts';
import { checkerStatus, vrrpInstances } from '../runtime/src/control/status.ts';
import { Host, RealServer, VirtualServer, VrrpGroup } from '@keepalive/pulumi';
import { addressIn } from './lab/addressing.ts';
import type { SegmentCapture } from './lab/capture.ts';
import { waitFor } from './lab/exec.ts';
import type { Host as LabHost } from './lab/host.ts';
import { keepaliveStatus } from './lab/implementations.ts';
import { Lab } from './lab/lab.ts';
import { EngineLog, labStack, stateOutputs, type SshCost } from './lab/pulumi.ts';
import { hostArgs, leftoversOn, stopRuntimes } from './fixtures/provider/lab.ts';

const T = { timeout: 300_000 };
const FIXTURES = new URL('fixtures/lb/', import.meta.url).pathname;
const HOSTS = ['h1', 'h2', 'h3'] as const;
type Name = (typeof HOSTS)[number];
const PRIORITIES: Record<Name, number> = { h1: 200, h2: 150, h3: 100 };
const HEALTH_CHECK = { kind: 'TCP_CHECK', delayLoopMs: 1000, connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 500 } as const;

/** What the program declares; each test sets it, then previews or ups. */
interface Declared { priorities?: Record<Name, number>; site?: boolean; realServers: string[] }

/** Writes summed per host over the given SSH cost lines. */
function writesByHost(costs: readonly SshCost[]): Record<string, number> {
  const writes: Record<string, number> = {};
  for (const c of costs) writes[c.host] = (writes[c.host] ?? 0) + c.writes;
  return writes;
}

/** Lines the host's sshd logged (it runs with -e into the lab's log of it): each connection adds some. */
const sshdLog = (host: LabHost): string => readFileSync(`${host.dir}/sshd.log`, 'utf8');

describe('provider lifecycle on three lab hosts, through the real engine', () => {
  let lab: Lab;
  let stack: Stack;
  let capture: SegmentCapture;
  let vip: string;
  let gateway: string;
  let declared: Declared = { realServers: [] };
  const log = new EngineLog();

  before(async () => {
    lab = await Lab.create({
      hosts: [...HOSTS, 'client', 'rs1', 'rs2'],
      segments: ['front', 'back'],
      wiring: { h1: ['front', 'back'], h2: ['front', 'back'], h3: ['front', 'back'], client: ['front'], rs1: ['back'], rs2: ['back'] },
    });
    vip = addressIn(lab.segment('front').subnets.v4, 100);
    gateway = addressIn(lab.segment('back').subnets.v4, 100);
    // The operator's part of a NAT director: forwarding on the directors, the VIP as the backends' gateway.
    for (const h of HOSTS) await lab.host(h).exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    for (const rs of ['rs1', 'rs2']) {
      const host = lab.host(rs);
      await host.exec(['ip', 'route', 'add', 'default', 'via', gateway]);
      const backend = await host.startDaemon(`backend-${rs}`, [process.execPath, `${FIXTURES}backend.ts`, rs, host.ipv4(), '80']);
      await waitFor(`${rs}'s HTTP server`, () => (backend.log().includes('listening') ? true : undefined));
    }
    capture = await lab.capture('front', 'vrrp');
    stack = await labStack(lab, async () => {
      const hosts = Object.fromEntries(HOSTS.map((h) => [h, new Host(h, hostArgs(lab.host(h)))])) as Record<Name, Host>;
      const { priorities } = declared;
      if (priorities) {
        const members = HOSTS.map((h) => ({ host: hosts[h].connection, priority: priorities[h] }));
        new VrrpGroup('web', { vrid: 51, interface: 'eth0', virtualIps: [`${vip}/24`], members });
        new VrrpGroup('gw', { vrid: 52, interface: 'eth1', virtualIps: [`${gateway}/24`], members });
      }
      if (declared.site) {
        const site = new VirtualServer('site', { address: vip, port: 80, scheduler: 'rr', directors: HOSTS.map((h) => hosts[h].connection), healthCheck: HEALTH_CHECK });
        for (const rs of declared.realServers) new RealServer(rs, { virtualServer: site.ref, address: lab.host(rs).ipv4(), port: 80 });
      }
      return {};
    }, { projectName: 'keepalive-lifecycle' });
  });

  after(async () => {
    await capture?.stop();
    if (lab) await stopRuntimes(lab.hosts.values());
    lab?.destroy();
  });

  /** `pulumi up` of what is declared now; it must succeed. Returns where its events begin. */
  const up = async (): Promise<number> => {
    const since = log.mark();
    const result = await stack.up(log.options);
    assert.equal(result.summary.result, 'succeeded', log.text);
    return since;
  };
  const holder = async (address: string): Promise<string[]> => {
    const held: string[] = [];
    for (const h of HOSTS) if (await lab.host(h).hasAddress(address)) held.push(h);
    return held;
  };
  /** How many times each host's runtime became master of the group, by its own record. */
  const becameMaster = async (name: string): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const h of HOSTS) {
      const status: DaemonStatus = await keepaliveStatus(lab.host(h));
      counts[h] = vrrpInstances(status).find((i) => i.name === name)?.transitions.filter((t) => t.to === 'master').length ?? 0;
    }
    return counts;
  };
  /** Whether the director's checker has the real server up and in its table, by its own status. */
  const serving = async (director: Name, rs: string): Promise<boolean> => {
    const checker = checkerStatus(await keepaliveStatus(lab.host(director)));
    const found = checker?.virtualServers.flatMap((v) => v.realServers).find((r) => r.name.includes(lab.host(rs).ipv4()));
    return found !== undefined && found.up && found.inTable !== null;
  };
  const count = async (requests: number): Promise<Record<string, number>> => {
    const { stdout } = await lab.host('client').exec([process.execPath, `${FIXTURES}client.ts`, 'count', `http://${vip}/`, String(requests), '4'], { timeoutMs: 60_000 });
    const result = JSON.parse(stdout) as { counts: Record<string, number>; errors: Record<string, number> };
    assert.deepEqual(result.errors, {}, `failed requests: ${stdout}`);
    return result.counts;
  };

  test('Create Host x3: the runtime and a Node 24 go to each host; outputs give the version and the host facts', T, async () => {
    const started = performance.now();
    const since = await up();
    console.log(`# 3 hosts created in ${(performance.now() - started).toFixed(0)} ms; ssh: ${JSON.stringify(log.sshCosts(since))}`);
    assert.deepEqual(log.ops(since), { h1: 'create', h2: 'create', h3: 'create' });
    const state = await stateOutputs(stack);
    for (const h of HOSTS) {
      const out = state[h]!;
      assert.equal(out.runtimeVersion, '0.1.0');
      assert.match(out.runtimeHash as string, /^[0-9a-f]{64}$/);
      // The lab's own node is v20: a pinned Node 24 went beside the runtime.
      assert.match(out.node as string, /^v24\.\d+\.\d+ \(\/opt\/keepalive\/node-v24\.\d+\.\d+-linux-x64\/bin\/node, uploaded\)$/);
      assert.equal(out.running, false, 'no fragment yet, so nothing runs');
      const facts = out.facts as { arch: string; interfaces: { name: string; addresses: string[] }[] };
      assert.equal(facts.arch, 'x86_64');
      const eth0 = facts.interfaces.find((i) => i.name === 'eth0');
      assert.ok(eth0?.addresses.includes(`${lab.host(h).ipv4('front')}/24`), JSON.stringify(facts));
      assert.equal(lab.host(h).readFile('/opt/keepalive/current/keepalive').startsWith('#!/bin/sh'), true);
    }
  });

  test('Create VrrpGroup x2: the update names the master, and the VIPs come up on it', T, async () => {
    declared = { priorities: PRIORITIES, realServers: [] };
    const since = await up();
    assert.deepEqual(log.ops(since), { h1: 'same', h2: 'same', h3: 'same', web: 'create', gw: 'create' });
    assert.deepEqual(log.words('web', since), ['vrid 51: master h1 (priority 200 > 150)', `VIP ${vip}/24 comes up on h1`]);
    assert.equal(log.words('gw', since)[0], 'vrid 52: master h1 (priority 200 > 150)');
    const state = await stateOutputs(stack);
    assert.equal(state.web!.expectedMaster, 'h1');
    assert.equal(state.web!.liveMaster, 'h1');
    assert.deepEqual(await holder(vip), ['h1']);
    assert.deepEqual(await holder(gateway), ['h1']);
    const fragments = state.web!.fragments as { host: string; path: string }[];
    assert.deepEqual(fragments.map((f) => [f.host, f.path]), HOSTS.map((h) => [h, '/etc/keepalive/conf.d/vrrpgroup-web.json']));
    const onH2 = JSON.parse(lab.host('h2').readFile('/etc/keepalive/conf.d/vrrpgroup-web.json')) as { vrrpInstances: Record<string, { priority: number }> };
    assert.equal(onH2.vrrpInstances.web!.priority, 150);
    assert.deepEqual(await becameMaster('web'), { h1: 1, h2: 0, h3: 0 });
    assert.equal(state.h1!.running, false, 'the Host state is not refreshed by the group');
  });

  test('raise a backup: the preview says the master moves, the update moves it; only h2 is written and reloaded, and no other transition happens', T, async () => {
    declared = { priorities: { ...PRIORITIES, h2: 250 }, realServers: [] };
    let since = log.mark();
    const preview = await stack.preview(log.options);
    assert.deepEqual(preview.changeSummary, { same: 4, update: 2 }, log.text); // the stack and 3 hosts the same
    assert.deepEqual(log.words('web', since), ['vrid 51: master h1 -> h2 (priority 250 > 200, preempt)', `VIP ${vip}/24 moves with it`]);

    // What h1 and h3 have before: their fragments' files, and their runtimes' configuration generation.
    const files = ['vrrpgroup-web.json', 'vrrpgroup-gw.json'];
    const fileIds = (h: Name): string[] => files.map((f) => { const s = statSync(lab.host(h).path(`/etc/keepalive/conf.d/${f}`)); return `${s.ino} ${s.mtimeMs}`; });
    const generation = async (h: Name): Promise<number> => (await keepaliveStatus(lab.host(h))).configGeneration;
    const beforeIds = { h1: fileIds('h1'), h3: fileIds('h3') };
    const beforeGen = { h1: await generation('h1'), h2: await generation('h2'), h3: await generation('h3') };

    since = await up();
    assert.deepEqual(log.ops(since), { h1: 'same', h2: 'same', h3: 'same', web: 'update', gw: 'update' });
    const words = log.words('web', since);
    assert.deepEqual(words.slice(0, 2), ['vrid 51: master h1 -> h2 (priority 250 > 200, preempt)', `VIP ${vip}/24 moves with it`]);
    assert.match(words[2]!, /^vrid 51: rolling out to h2, h1, h3 \(master now: h1\)$|^vrid 51: rolling out to h2, h3, h1 \(master now: h1\)$/);
    const state = await stateOutputs(stack);
    assert.equal(state.web!.expectedMaster, 'h2');
    assert.equal(state.web!.liveMaster, 'h2');
    assert.deepEqual(await holder(vip), ['h2']);
    assert.deepEqual(await holder(gateway), ['h2']);
    // Only h2's fragments changed: each group wrote once, on h2 (the plugin's own count of its writes),
    // h1's and h3's files are the same files, untouched, and only h2's runtime reloaded (twice: one per group).
    for (const group of ['web', 'gw']) {
      const writes = writesByHost(log.sshCosts(since, group));
      assert.deepEqual({ h1: writes.h1 ?? 0, h2: writes.h2, h3: writes.h3 ?? 0 }, { h1: 0, h2: 1, h3: 0 }, `${group}: ${JSON.stringify(log.sshCosts(since, group))}`);
    }
    assert.deepEqual({ h1: fileIds('h1'), h3: fileIds('h3') }, beforeIds);
    assert.deepEqual({ h1: await generation('h1'), h2: await generation('h2'), h3: await generation('h3') }, { ...beforeGen, h2: beforeGen.h2 + 2 });
    assert.deepEqual(await becameMaster('web'), { h1: 1, h2: 1, h3: 0 });
    assert.deepEqual(await becameMaster('gw'), { h1: 1, h2: 1, h3: 0 });
    // On the wire: the master's adverts came from h1, then from h2, and from nobody else.
    await capture.catchUp(Date.now());
    const senders = capture.adverts(51).filter((f) => f.vrrp!.priority > 0).map((f) => f.from);
    assert.deepEqual(senders.filter((s, i) => s !== senders[i - 1]), ['h1', 'h2']);
  });

  test('VirtualServer and a RealServer, then a second RealServer: traffic reaches it', T, async () => {
    declared = { ...declared, site: true, realServers: ['rs1'] };
    let since = await up();
    assert.deepEqual(log.words('site', since), [`virtual server ${vip}:80 (rr, NAT) on h1, h2, h3`]);
    await waitFor('rs1 healthy on the master', async () => ((await serving('h2', 'rs1')) ? true : undefined), { timeoutMs: 15_000, intervalMs: 500 });
    assert.deepEqual(await count(20), { rs1: 20 });

    declared = { ...declared, realServers: ['rs1', 'rs2'] };
    since = await up();
    assert.equal(log.ops(since).rs2, 'create');
    assert.deepEqual(log.words('rs2', since), [`real server ${lab.host('rs2').ipv4()}:80 joins ${vip}:80`]);
    await waitFor('rs2 healthy on every director', async () => {
      for (const h of HOSTS) if (!(await serving(h, 'rs2'))) return undefined;
      return true;
    }, { timeoutMs: 15_000, intervalMs: 500 });
    assert.deepEqual(await count(40), { rs1: 20, rs2: 20 });
  });

  test('refresh: live master, runtime version, facts without the VIP, health; a hand-edited fragment is drift the next update rewrites', T, async () => {
    const path = '/etc/keepalive/conf.d/realserver-rs1.json';
    const h3 = lab.host('h3');
    const declaredFragment = h3.readFile(path);
    const recorded = ((await stateOutputs(stack)).rs1!.fragments as { host: string; sha256: string }[]).find((f) => f.host === 'h3')!.sha256;
    const edited = JSON.parse(declaredFragment) as { virtualServers: Record<string, { realServers: Record<string, { weight?: number }> }> };
    for (const vs of Object.values(edited.virtualServers)) for (const rs of Object.values(vs.realServers)) rs.weight = 5;
    h3.writeFile(path, JSON.stringify(edited));

    const sshdBefore = HOSTS.map((h) => sshdLog(lab.host(h)).length);
    let since = log.mark();
    const refresh = await stack.refresh(log.options);
    assert.equal(refresh.summary.result, 'succeeded', log.text);
    // Refresh reads every host over SSH, and each host's sshd log shows it: the measure the no-op up is judged by below.
    HOSTS.forEach((h, i) => assert.ok(sshdLog(lab.host(h)).length > sshdBefore[i]!, `${h}'s sshd logged the refresh's connection`));
    const state = await stateOutputs(stack);
    assert.equal(state.web!.liveMaster, 'h2');
    assert.equal(state.h2!.running, true);
    assert.equal(state.h2!.runtimeVersion, '0.1.0');
    const addresses = (state.h2!.facts as { interfaces: { addresses: string[] }[] }).interfaces.flatMap((i) => i.addresses);
    assert.ok(addresses.includes(`${lab.host('h2').ipv4('front')}/24`));
    assert.ok(!addresses.some((a) => a.startsWith(`${vip}/`)), 'the VIP h2 holds is not one of its own addresses');
    const site = state.site!.health as { host: string; dataplane: string; realServersUp: number }[];
    assert.deepEqual(site.map((s) => [s.host, s.dataplane, s.realServersUp]), [['h1', 'nftables', 2], ['h2', 'nftables', 2], ['h3', 'nftables', 2]]);
    const refreshed = (state.rs1!.fragments as { host: string; sha256: string }[]).find((f) => f.host === 'h3')!.sha256;
    assert.notEqual(refreshed, recorded, 'refresh shows the edit');

    since = await up();
    assert.equal(log.ops(since).rs1, 'update');
    assert.deepEqual(log.words('rs1', since), [`h3: ${path} differs from the declared fragment (edited by hand?): it is rewritten`]);
    assert.equal(h3.readFile(path), declaredFragment);
    const writes = writesByHost(log.sshCosts(since, 'rs1'));
    assert.deepEqual(writes, { h1: 0, h2: 0, h3: 1 }, JSON.stringify(log.sshCosts(since, 'rs1')));
  });

  test('a no-op up makes no SSH connection: every op is "same", no SSH cost is logged, and no sshd sees a connection', T, async () => {
    const sshdBefore = HOSTS.map((h) => sshdLog(lab.host(h)));
    const since = await up();
    const ops = log.ops(since);
    assert.deepEqual(Object.values(ops).filter((op) => op !== 'same'), [], JSON.stringify(ops));
    assert.deepEqual(Object.keys(ops).sort(), ['gw', 'h1', 'h2', 'h3', 'rs1', 'rs2', 'site', 'web']);
    assert.deepEqual(log.sshCosts(since), []);
    HOSTS.forEach((h, i) => assert.equal(sshdLog(lab.host(h)).slice(sshdBefore[i]!.length), '', `${h}'s sshd saw a connection during the no-op up`));
  });

  test('Delete everything: the last master stops with a priority-0 advert, and the hosts are clean', T, async () => {
    // The hosts alone: the engine deletes the real servers, the virtual server and the groups.
    declared = { realServers: [] };
    const stopped = Date.now();
    const since = await up();
    assert.deepEqual(log.ops(since), { h1: 'same', h2: 'same', h3: 'same', rs1: 'delete', rs2: 'delete', site: 'delete', web: 'delete', gw: 'delete' });
    const zero = await capture.waitFor('a priority-0 advert for vrid 51', (f) => f.time >= stopped && f.vrrp?.vrid === 51 && f.vrrp.priority === 0, 5_000);
    assert.equal(zero.from, 'h2', 'the master resigned with priority 0');
    for (const h of HOSTS) assert.deepEqual(await leftoversOn(lab.host(h)).then((l) => l.filter((x) => x.startsWith('process'))), [], `no runtime left on ${h}`);
    log.mark();
    const destroyed = await stack.destroy(log.options);
    assert.equal(destroyed.summary.result, 'succeeded', log.text);
    for (const h of HOSTS) assert.deepEqual(await leftoversOn(lab.host(h)), [], `${h} is clean`);
    assert.deepEqual(await stateOutputs(stack), {});
    // The engine warns on every run that the plugin came from PATH (test/lab/pulumi.ts puts it there): nothing else.
    const warnings = log.diagnostics(0, { severity: ['warning', 'error'] }).filter((d) => !/^using pulumi-resource-keepalive from \$PATH /.test(d.message));
    assert.deepEqual(warnings, [], 'no other warning or error in any operation');
  });
});
