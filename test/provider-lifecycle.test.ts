// The full lifecycle through the provider plugin, on lab hosts with their own sshd, driven over gRPC
// as the engine drives it (test/fixtures/provider/engine.ts): three Hosts get the runtime, two VRRP
// groups (the service VIP on the front segment, the real servers' gateway VIP on the back one, so
// replies come back through the director: keepalived's NAT setup), a virtual server and its real
// servers; a raised priority moves the master as the preview said, with no other transition; a new
// real server takes traffic; refresh reads the live state and a hand-edited fragment is drift that the
// next update rewrites; deleting everything leaves the hosts clean, the last master stopping with a
// priority-0 advert.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DaemonStatus } from '../runtime/src/control/status.ts';
import { vrrpInstances } from '../runtime/src/control/status.ts';
import { addressIn } from './lab/addressing.ts';
import type { SegmentCapture } from './lab/capture.ts';
import { waitFor } from './lab/exec.ts';
import { keepaliveStatus } from './lab/implementations.ts';
import { Lab } from './lab/lab.ts';
import { PluginHarness, type Props } from './fixtures/provider/engine.ts';
import { hostInputs, leftoversOn, stopRuntimes } from './fixtures/provider/lab.ts';

const T = { timeout: 180_000 };
const FIXTURES = new URL('fixtures/lb/', import.meta.url).pathname;
const HOSTS = ['h1', 'h2', 'h3'] as const;
const PRIORITIES = { h1: 200, h2: 150, h3: 100 };
const HEALTH_CHECK = { kind: 'TCP_CHECK', delayLoopMs: 1000, connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 500 };

describe('provider lifecycle on three lab hosts', () => {
  let lab: Lab;
  let harness: PluginHarness;
  let capture: SegmentCapture;
  let vip: string;
  let gateway: string;

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
    harness = await PluginHarness.start();
  });

  after(async () => {
    await capture?.stop();
    await harness?.[Symbol.asyncDispose]();
    if (lab) await stopRuntimes(lab.hosts.values());
    lab?.destroy();
  });

  const d = () => harness.deployment;
  const connection = (h: string): Props => d().outputs('Host', h).connection as Props;
  const group = (vrid: number, iface: string, address: string, priorities: Record<string, number>): Props => ({
    vrid, interface: iface, virtualIps: [`${address}/24`],
    members: HOSTS.map((h) => ({ host: connection(h), priority: priorities[h] })),
  });
  const realServer = (name: string): Props => ({ virtualServer: d().outputs('VirtualServer', 'site').ref, address: lab.host(name).ipv4(), port: 80 });
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
  const count = async (requests: number): Promise<Record<string, number>> => {
    const { stdout } = await lab.host('client').exec([process.execPath, `${FIXTURES}client.ts`, 'count', `http://${vip}/`, String(requests), '4'], { timeoutMs: 60_000 });
    const result = JSON.parse(stdout) as { counts: Record<string, number>; errors: Record<string, number> };
    assert.deepEqual(result.errors, {}, `failed requests: ${stdout}`);
    return result.counts;
  };

  test('Create Host x3: the runtime and a Node 24 go to each host; outputs give the version and the host facts', T, async () => {
    const started = performance.now();
    const steps = await Promise.all(HOSTS.map((h) => d().up('Host', h, hostInputs(lab.host(h)))));
    console.log(`# 3 hosts created in ${(performance.now() - started).toFixed(0)} ms; ssh: ${JSON.stringify(harness.sshCosts())}`);
    assert.deepEqual(steps.map((s) => s.op), ['create', 'create', 'create']);
    for (const h of HOSTS) {
      const out = d().outputs('Host', h);
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

  test('Create VrrpGroup x2: the preview names the master, and the VIPs come up on it', T, async () => {
    const [web, gw] = await Promise.all([
      d().up('VrrpGroup', 'web', group(51, 'eth0', vip, PRIORITIES)),
      d().up('VrrpGroup', 'gw', group(52, 'eth1', gateway, PRIORITIES)),
    ]);
    assert.deepEqual(web.words, ['vrid 51: master h1 (priority 200 > 150)', `VIP ${vip}/24 comes up on h1`]);
    assert.equal(gw.words[0], 'vrid 52: master h1 (priority 200 > 150)');
    assert.equal(d().outputs('VrrpGroup', 'web').expectedMaster, 'h1');
    assert.equal(d().outputs('VrrpGroup', 'web').liveMaster, 'h1');
    assert.deepEqual(await holder(vip), ['h1']);
    assert.deepEqual(await holder(gateway), ['h1']);
    const fragments = d().outputs('VrrpGroup', 'web').fragments as { host: string; path: string }[];
    assert.deepEqual(fragments.map((f) => [f.host, f.path]), HOSTS.map((h) => [h, '/etc/keepalive/conf.d/vrrpgroup-web.json']));
    const onH2 = JSON.parse(lab.host('h2').readFile('/etc/keepalive/conf.d/vrrpgroup-web.json')) as { vrrpInstances: Record<string, { priority: number }> };
    assert.equal(onH2.vrrpInstances.web!.priority, 150);
    assert.deepEqual(await becameMaster('web'), { h1: 1, h2: 0, h3: 0 });
    assert.equal(d().outputs('Host', 'h1').running, false, 'the Host state is not refreshed by the group');
  });

  test('raise a backup: Diff says the master moves, Update moves it, and no other transition happens', T, async () => {
    const raised = { ...PRIORITIES, h2: 250 };
    const [web, gw] = await Promise.all([
      d().up('VrrpGroup', 'web', group(51, 'eth0', vip, raised)),
      d().up('VrrpGroup', 'gw', group(52, 'eth1', gateway, raised)),
    ]);
    assert.equal(web.op, 'update');
    assert.deepEqual(web.words.slice(0, 2), ['vrid 51: master h1 -> h2 (priority 250 > 200, preempt)', `VIP ${vip}/24 moves with it`]);
    assert.match(web.words[2]!, /^vrid 51: rolling out to h2, h1, h3 \(master now: h1\)$|^vrid 51: rolling out to h2, h3, h1 \(master now: h1\)$/);
    assert.equal(gw.op, 'update');
    assert.equal(d().outputs('VrrpGroup', 'web').expectedMaster, 'h2');
    assert.equal(d().outputs('VrrpGroup', 'web').liveMaster, 'h2');
    assert.deepEqual(await holder(vip), ['h2']);
    assert.deepEqual(await holder(gateway), ['h2']);
    // Only h2's fragment changed: the others were not written, and only h2 reloaded.
    const costs = harness.sshCosts();
    assert.ok(costs.some((c) => c.host === 'h2' && c.writes === 1), JSON.stringify(costs));
    assert.deepEqual(await becameMaster('web'), { h1: 1, h2: 1, h3: 0 });
    assert.deepEqual(await becameMaster('gw'), { h1: 1, h2: 1, h3: 0 });
    // On the wire: the master's adverts came from h1, then from h2, and from nobody else.
    await capture.catchUp(Date.now());
    const senders = capture.adverts(51).filter((f) => f.vrrp!.priority > 0).map((f) => f.from);
    assert.deepEqual(senders.filter((s, i) => s !== senders[i - 1]), ['h1', 'h2']);
  });

  test('VirtualServer and a RealServer, then a second RealServer: traffic reaches it', T, async () => {
    const vs = await d().up('VirtualServer', 'site', { address: vip, port: 80, scheduler: 'rr', directors: HOSTS.map(connection), healthCheck: HEALTH_CHECK });
    assert.deepEqual(vs.words, [`virtual server ${vip}:80 (rr, NAT) on h1, h2, h3`]);
    await d().up('RealServer', 'rs1', realServer('rs1'));
    await waitFor('rs1 healthy on the master', async () => {
      const health = (await d().refresh('RealServer', 'rs1')).outputs.health as { host: string; up: boolean; inTable: boolean }[];
      return health.find((h) => h.host === 'h2' && h.up && h.inTable);
    }, { timeoutMs: 15_000, intervalMs: 500 });
    assert.deepEqual(await count(20), { rs1: 20 });

    const added = await d().up('RealServer', 'rs2', realServer('rs2'));
    assert.deepEqual(added.words, [`real server ${lab.host('rs2').ipv4()}:80 joins ${vip}:80`]);
    const health = await waitFor('rs2 healthy on every director', async () => {
      const h = (await d().refresh('RealServer', 'rs2')).outputs.health as { host: string; up: boolean; inTable: boolean }[];
      return h.length === 3 && h.every((x) => x.up && x.inTable) ? h : undefined;
    }, { timeoutMs: 15_000, intervalMs: 500 });
    assert.deepEqual(health.map((h) => h.host), ['h1', 'h2', 'h3']);
    assert.deepEqual(await count(40), { rs1: 20, rs2: 20 });
    const site = (await d().refresh('VirtualServer', 'site')).outputs.health as { host: string; dataplane: string; realServersUp: number }[];
    assert.deepEqual(site.map((s) => [s.host, s.dataplane, s.realServersUp]), [['h1', 'nftables', 2], ['h2', 'nftables', 2], ['h3', 'nftables', 2]]);
  });

  test('refresh: live master, runtime version, facts without the VIP; a hand-edited fragment is drift the next update rewrites', T, async () => {
    assert.equal((await d().refresh('VrrpGroup', 'web')).outputs.liveMaster, 'h2');
    const h2 = (await d().refresh('Host', 'h2')).outputs;
    assert.equal(h2.running, true);
    assert.equal(h2.runtimeVersion, '0.1.0');
    const addresses = (h2.facts as { interfaces: { addresses: string[] }[] }).interfaces.flatMap((i) => i.addresses);
    assert.ok(addresses.includes(`${lab.host('h2').ipv4('front')}/24`));
    assert.ok(!addresses.some((a) => a.startsWith(`${vip}/`)), 'the VIP h2 holds is not one of its own addresses');

    const path = '/etc/keepalive/conf.d/realserver-rs1.json';
    const declared = lab.host('h3').readFile(path);
    const edited = JSON.parse(declared) as { virtualServers: Record<string, { realServers: Record<string, { weight?: number }> }> };
    for (const vs of Object.values(edited.virtualServers)) for (const rs of Object.values(vs.realServers)) rs.weight = 5;
    lab.host('h3').writeFile(path, JSON.stringify(edited));
    const recorded = (d().outputs('RealServer', 'rs1').fragments as { host: string; sha256: string }[]).find((f) => f.host === 'h3')!.sha256;
    const refreshed = (await d().refresh('RealServer', 'rs1')).outputs.fragments as { host: string; sha256: string }[];
    assert.notEqual(refreshed.find((f) => f.host === 'h3')!.sha256, recorded, 'refresh shows the edit');
    const step = await d().up('RealServer', 'rs1', realServer('rs1'));
    assert.equal(step.op, 'update');
    assert.deepEqual(step.words, [`h3: ${path} differs from the declared fragment (edited by hand?): it is rewritten`]);
    assert.equal(lab.host('h3').readFile(path), declared);
    const costs = harness.sshCosts().slice(-3);
    assert.deepEqual(costs.map((c) => [c.host, c.writes]).sort(), [['h1', 0], ['h2', 0], ['h3', 1]]);
    // Inputs unchanged and nothing drifted: no update at all.
    assert.equal((await d().up('RealServer', 'rs1', realServer('rs1'))).op, 'same');
  });

  test('Delete everything: the last master stops with a priority-0 advert, and the hosts are clean', T, async () => {
    for (const rs of ['rs2', 'rs1']) await d().destroy('RealServer', rs);
    await d().destroy('VirtualServer', 'site');
    const stopped = Date.now();
    await Promise.all([d().destroy('VrrpGroup', 'web'), d().destroy('VrrpGroup', 'gw')]);
    const zero = await capture.waitFor('a priority-0 advert for vrid 51', (f) => f.time >= stopped && f.vrrp?.vrid === 51 && f.vrrp.priority === 0, 5_000);
    assert.equal(zero.from, 'h2', 'the master resigned with priority 0');
    for (const h of HOSTS) assert.deepEqual(await leftoversOn(lab.host(h)).then((l) => l.filter((x) => x.startsWith('process'))), [], `no runtime left on ${h}`);
    await Promise.all(HOSTS.map((h) => d().destroy('Host', h)));
    for (const h of HOSTS) assert.deepEqual(await leftoversOn(lab.host(h)), [], `${h} is clean`);
    assert.equal(harness.deployment.state.size, 0);
    assert.equal(harness.plugin.stderr().replace(/.*ExperimentalWarning.*\n?/g, ''), '');
  });
});
