// vrrp_track_process: the matching rules and the quorum with its delays on a fake clock, the
// keepalived.conf and JSON forms; then in a mixed VRRP group with Debian's keepalived, on lab hosts
// (network namespaces, where keepalived's own process connector fails): keepalive (200) tracks a
// process with weight -150, so when the process dies its priority falls to 50 and keepalived (100)
// takes the VIP; when the process is back, keepalive takes it back. status says how processes are seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { keepalive, keepalived, keepaliveStatus, renderVrrpConf } from './lab/implementations.ts';
import { waitForSoleHolder } from './lab/vrrp.ts';
import { parseConfigText } from '../runtime/src/config/load.ts';
import { errorsOf, lines } from './fixtures/config/support.ts';
import { processMatches, ProcessQuorum, ProcessScanner, CONNECTOR_TRACKING, SCAN_TRACKING } from '../runtime/src/vrrp/processes.ts';
import { decodeProcessEvent, ProcessEvents, subscriptionMessage, PROC_CN_MCAST_LISTEN } from '../runtime/src/net/proc-connector.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './lab/exec.ts';

test('process matching: the name, or the command line with parameters exactly, partially or as a start', () => {
  const p = (name: string, ...argv: string[]) => ({ name, argv });
  const haproxy = p('haproxy', '/usr/sbin/haproxy', '-f', '/etc/haproxy/haproxy.cfg', '-p', '/run/haproxy.pid');
  const m = (process: string, params: string[] = [], paramMatch?: 'partial' | 'initial', fullCommand = false) => ({ process, params, ...(paramMatch && { paramMatch }), fullCommand });
  assert.equal(processMatches(m('haproxy'), haproxy), true, 'by name');
  assert.equal(processMatches(m('nginx'), haproxy), false);
  assert.equal(processMatches(m('a-very-long-process-name'), p('a-very-long-pro', 'x')), true, 'the kernel keeps 15 characters of a name');
  assert.equal(processMatches(m('/usr/sbin/haproxy', [], undefined, true), haproxy), true, 'full_command: the command itself');
  assert.equal(processMatches(m('haproxy', ['-f', '/etc/haproxy/haproxy.cfg']), haproxy), false, 'all parameters, exactly');
  assert.equal(processMatches(m('haproxy', ['-f', '/etc/haproxy/haproxy.cfg'], 'partial'), haproxy), true, 'the first ones');
  assert.equal(processMatches(m('haproxy', ['-f', '/etc/haproxy/'], 'initial'), haproxy), true, 'the last one a start');
  assert.equal(processMatches(m('haproxy', ['-f', '/etc/nginx/'], 'initial'), haproxy), false);
  assert.equal(processMatches(m('haproxy', [], 'partial'), p('haproxy')), false, 'no command line: a kernel thread');
  assert.equal(processMatches(m('haproxy', [], 'partial'), haproxy), false, 'param_match without parameters: none allowed');
  assert.equal(processMatches(m('haproxy', [], 'partial'), p('haproxy', 'haproxy')), true);
});

test('quorum: the first scan counts at once; later changes after fork_delay or terminate_delay; quorum_max bounds it', () => {
  const q = new ProcessQuorum({ quorum: 2, quorumMax: 3, forkDelayMs: 1000, terminateDelayMs: 500 });
  assert.deepEqual([q.update(2, 0), q.ok], [true, true]);
  assert.deepEqual([q.update(1, 100), q.ok], [false, true], 'lost, waiting terminate_delay');
  assert.deepEqual([q.update(2, 300), q.ok], [false, true], 'back before the delay: never counted');
  assert.deepEqual([q.update(1, 400), q.update(1, 899), q.ok], [false, false, true]);
  assert.deepEqual([q.update(1, 900), q.ok], [true, false], 'terminate_delay held');
  assert.deepEqual([q.update(4, 1000), q.update(4, 5000), q.ok], [false, false, false], 'above quorum_max is no quorum');
  assert.deepEqual([q.update(3, 5100), q.update(3, 6099), q.update(3, 6100), q.ok], [false, false, true, true], 'fork_delay held');
  const none = new ProcessQuorum({ quorum: 1, quorumMax: 0, forkDelayMs: 0, terminateDelayMs: 0 });
  assert.deepEqual([none.update(0, 0), none.ok, none.update(1, 1), none.ok], [true, true, true, false], 'quorum_max 0: ok while none runs');
});

test('quorum: a change waiting out its delay says when it is due', () => {
  const q = new ProcessQuorum({ quorum: 1, forkDelayMs: 300, terminateDelayMs: 200 });
  q.update(1, 0);
  assert.equal(q.pendingUntil, undefined);
  q.update(0, 1000);
  assert.equal(q.pendingUntil, 1200, 'terminate_delay');
  q.update(1, 1100);
  assert.equal(q.pendingUntil, undefined, 'back before the delay: nothing waits');
});

test('the process connector\'s messages: the subscription, and events of whole processes only', () => {
  const sub = subscriptionMessage(77, PROC_CN_MCAST_LISTEN);
  // nlmsghdr (len 40, NLMSG_DONE, no flags, seq 0, pid 77), cn_msg (idx 1, val 1, seq 0, ack 0, len 4, flags 0), LISTEN
  assert.equal(sub.toString('hex'), '28000000' + '0300' + '0000' + '00000000' + '4d000000' + '0100000001000000000000000000000004000000' + '01000000');
  const event = (what: number, ...fields: number[]): Buffer => {
    const data = Buffer.alloc(16 + 4 * fields.length);
    data.writeUInt32LE(what, 0);
    fields.forEach((f, i) => data.writeInt32LE(f, 16 + 4 * i));
    const cn = Buffer.alloc(20);
    cn.writeUInt32LE(1, 0);
    cn.writeUInt32LE(1, 4);
    cn.writeUInt16LE(data.length, 16);
    return Buffer.concat([cn, data]);
  };
  assert.deepEqual(decodeProcessEvent(event(0x1, 10, 10, 11, 11)), { kind: 'fork', parent: 10, child: 11 });
  assert.equal(decodeProcessEvent(event(0x1, 10, 10, 12, 10)), undefined, 'a new thread is no new process');
  assert.deepEqual(decodeProcessEvent(event(0x2, 11, 11)), { kind: 'exec', pid: 11 });
  assert.deepEqual(decodeProcessEvent(event(0x200, 11, 11, 0, 0, 0, 0)), { kind: 'comm', pid: 11 });
  assert.deepEqual(decodeProcessEvent(event(0x80000000, 11, 11, 0, 9, 1, 1)), { kind: 'exit', pid: 11 });
  assert.equal(decodeProcessEvent(event(0x80000000, 12, 11, 0, 9, 1, 1)), undefined, 'a thread\'s exit');
  assert.equal(decodeProcessEvent(event(0x4, 11, 11, 0, 0)), undefined, 'uid changes do not matter');
  const other = event(0x2, 11, 11);
  other.writeUInt32LE(5, 0);
  assert.equal(decodeProcessEvent(other), undefined, 'another connector');
  assert.throws(() => decodeProcessEvent(Buffer.alloc(8)), /cn_msg: 8 bytes, need 20/);
  assert.throws(() => decodeProcessEvent(event(0x2, 11)), /proc_event 2: 20 bytes, need 24/);
});

// The test runner runs in the initial network namespace, where the connector serves (unless this
// machine is itself a container).
let connectorRefused: string | false = false;
try { new ProcessEvents(() => {}, () => {}).close(); } catch (error) { connectorRefused = `the process connector refuses here: ${(error as Error).message}`; }

test('in the initial network namespace, processes are followed through the connector: no polling, each start and end seen', { skip: connectorRefused, timeout: 30_000 }, async (t) => {
  const name = `trk${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync('/tmp/keepalive-proc-');
  const executable = `${dir}/${name}`;
  copyFileSync('/bin/sleep', executable);
  let changes = 0;
  const scanner = new ProcessScanner(() => { changes++; });
  const children: ChildProcess[] = [];
  try {
    scanner.set(new Map([[name, { match: { process: name, params: [], fullCommand: false }, quorum: 2, forkDelayMs: 0, terminateDelayMs: 0 }]]));
    await waitFor('the first scan', () => (scanner.ok(name) === false ? true : undefined));
    assert.equal(scanner.status().tracking, CONNECTOR_TRACKING);
    const started = Date.now();
    children.push(spawn(executable, ['60']), spawn(executable, ['60']));
    // With the connector there is no scan on a timer: only its events can bring the quorum up.
    await waitFor('two processes seen through exec events', () => (scanner.ok(name) === true ? true : undefined), { intervalMs: 2 });
    t.diagnostic(`quorum of 2 seen ${Date.now() - started} ms after the spawns`);
    const stopped = Date.now();
    children[0]!.kill('SIGKILL');
    await waitFor('the exit seen', () => (scanner.ok(name) === false ? true : undefined), { intervalMs: 2 });
    t.diagnostic(`loss of quorum seen ${Date.now() - stopped} ms after the kill`);
    assert.deepEqual(scanner.status().processes, [{ name, count: 1, ok: false }]);
    assert.equal(changes, 3, 'the first scan, the quorum, its loss');
  } finally {
    for (const child of children) child.kill('SIGKILL');
    scanner.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vrrp_track_process in keepalived.conf and JSON; references and settings are checked', () => {
  const conf = parseConfigText(lines(
    'vrrp_track_process proxy {', '  process "/usr/sbin/haproxy" -f "/etc/my haproxy.cfg"', '  param_match partial', '  weight -60 reverse',
    '  quorum 2', '  quorum_max 4', '  delay 1.5', '  fork_delay 0.2', '}',
    'vrrp_instance VI_1 {', '  interface eth0', '  virtual_router_id 1', '  track_process {', '    proxy weight -10', '  }', '}',
  ), 'p.conf').config;
  const p = conf.vrrpTrackProcesses[0]!;
  assert.deepEqual([p.process, p.params, p.paramMatch, p.weight, p.reverse, p.quorum, p.quorumMax, p.terminateDelayMs, p.forkDelayMs],
    ['/usr/sbin/haproxy', ['-f', '/etc/my haproxy.cfg'], 'partial', -60, true, 2, 4, 1500, 200]);
  assert.deepEqual(conf.vrrpInstances[0]!.trackProcess.map((t) => [t.name, t.weight]), [['proxy', -10]]);
  const json = parseConfigText(JSON.stringify({ vrrpTrackProcesses: { proxy: { process: 'haproxy', quorumMax: 0 } } }), 'p.json').config;
  assert.deepEqual([json.vrrpTrackProcesses[0]!.quorum, json.vrrpTrackProcesses[0]!.quorumMax, json.vrrpTrackProcesses[0]!.weight], [1, 0, 1]);
  assert.deepEqual(errorsOf(lines(
    'vrrp_track_process proxy {', '  process haproxy', '  quorum_max -1', '  flavour x', '}',
    'vrrp_instance VI_1 {', '  interface eth0', '  virtual_router_id 1', '  track_process {', '    nginx', '  }', '}',
  )), [
    'test.conf:3:3: quorum_max -1 must be at least 0',
    'test.conf:4:3: unknown keyword "flavour" in vrrp_track_process proxy',
    'test.conf:10:5: track_process: no vrrp_track_process named nginx',
  ]);
});

test('a tracked process dying hands the VIP to keepalived; back, it takes the VIP back', { timeout: 120_000 }, async (t) => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  // A name no other process on this machine has (lab hosts share the machine's process table).
  const name = `trk${randomBytes(4).toString('hex')}`;
  const executable = `${lab.dir}/${name}`;
  copyFileSync('/bin/sleep', executable);
  const startTracked = () => h1.startDaemon(name, [executable, '600']);
  let tracked = await startTracked();
  const base = { version: 3 as const, vrid: 51, interfaceName: 'eth0', advertInt: 0.1, vips: [`${vip}/24`] };
  const ours = renderVrrpConf({ ...base, routerId: 'h1', priority: 200 })
    .replace('  virtual_ipaddress {', `  track_process {\n    ${name} weight -150\n  }\n  virtual_ipaddress {`);
  await keepalive.start(h1, `vrrp_track_process ${name} {\n  process ${name}\n}\n${ours}`);
  await keepalived.start(h2, renderVrrpConf({ ...base, routerId: 'h2', priority: 100 }));
  await waitForSoleHolder([h1, h2], vip, 'h1');
  const vrrp = (await keepaliveStatus(h1)).children['vrrp']!.status as { processTracking: { tracking: string; processes: { name: string; count: number; ok: boolean }[] } };
  // A lab host is a network namespace of its own, where the connector refuses: the /proc scan, and why.
  assert.deepEqual(vrrp.processTracking, { tracking: `${SCAN_TRACKING}: ECONNREFUSED`, processes: [{ name, count: 1, ok: true }] });

  const killedAt = Date.now();
  await tracked.stop();
  await waitForSoleHolder([h1, h2], vip, 'h2');
  t.diagnostic(`keepalived took the VIP ${Date.now() - killedAt} ms after the tracked process was stopped (scan every 500 ms)`);
  tracked = await startTracked();
  await waitForSoleHolder([h1, h2], vip, 'h1');
  await tracked.stop();
});
