// Deploys that go wrong, through the provider plugin against lab hosts with real sshd: the SSH
// connection dropped in the middle of a runtime upload (the old runtime keeps running; the next apply
// converges), a host presenting another key than the pinned one (nothing is deployed), and a fragment
// the host's own `keepalive check` refuses (nothing is activated; the error names conf.d's files).
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addressIn } from './lab/addressing.ts';
import { waitFor } from './lab/exec.ts';
import type { Host } from './lab/host.ts';
import { keepaliveStatus } from './lab/implementations.ts';
import { Lab } from './lab/lab.ts';
import { OperationError, PluginHarness, type Props } from './fixtures/provider/engine.ts';
import { hostInputs, leftoversOn, runtimesIn, stopRuntimes } from './fixtures/provider/lab.ts';

const T = { timeout: 180_000 };
const root = new URL('..', import.meta.url).pathname;

/** PIDs of the processes under the host's sshd listener: the sessions of the connections it serves. */
function sshSessions(host: Host): number[] {
  const listener = Number(host.readFile('/run/sshd.pid').trim());
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch { /* gone meanwhile */ }
  }
  const found: number[] = [];
  const visit = (pid: number): void => { for (const c of children.get(pid) ?? []) { found.push(c); visit(c); } };
  visit(listener);
  return found;
}

describe('provider faults', () => {
  let lab: Lab;
  let harness: PluginHarness;
  let vip: string;
  let bundleDir: string;

  before(async () => {
    lab = await Lab.create({ hosts: ['h1', 'h2'] });
    vip = addressIn(lab.segment().subnets.v4, 100);
    harness = await PluginHarness.start();
    bundleDir = mkdtempSync(join(tmpdir(), 'keepalive-bundle-'));
  });

  after(async () => {
    await harness?.[Symbol.asyncDispose]();
    if (lab) await stopRuntimes(lab.hosts.values());
    lab?.destroy();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  const d = () => harness.deployment;
  const h1Group = (): Props => ({ vrid: 51, interface: 'eth0', virtualIps: [`${vip}/24`], members: [{ host: d().outputs('Host', 'h1').connection, priority: 200 }] });

  test('a host presenting another key than the pinned one is refused before anything is deployed', T, async () => {
    const h1Key = lab.host('h1').ssh!.hostKey;
    const refused = await d().up('Host', 'h2', hostInputs(lab.host('h2'), { hostKey: h1Key })).then(() => undefined, (e: unknown) => e);
    assert.ok(refused instanceof OperationError, String(refused));
    assert.match(refused.message, /198\.18\.\d+\.2:22 presented host key SHA256:\S+, but hostKey pins SHA256:\S+: refusing to connect/);
    assert.equal(refused.state, undefined, 'no state: nothing was created');
    assert.equal(d().state.size, 0);
    assert.deepEqual(await leftoversOn(lab.host('h2')), []);
  });

  test('the SSH connection dropped mid-upload leaves the old runtime running, and the next apply converges', T, async () => {
    const h1 = lab.host('h1');
    await d().up('Host', 'h1', hostInputs(h1));
    await d().up('VrrpGroup', 'web', h1Group());
    await waitFor('h1 to hold the VIP', async () => ((await h1.hasAddress(vip)) ? true : undefined), { timeoutMs: 10_000, intervalMs: 200 });
    const oldId = readlinkSync(h1.path('/opt/keepalive/current'));
    const [watchdog] = runtimesIn(h1).sort((a, b) => a.pid - b.pid);
    assert.ok(watchdog?.cmdline.includes(`/opt/keepalive/${oldId}/keepalive.mjs`), watchdog?.cmdline);

    // A new release of the runtime: the same program, another build (another content hash).
    for (const file of ['keepalive.mjs', 'keepalive_socket.node']) copyFileSync(join(root, 'dist/runtime', file), join(bundleDir, file));
    writeFileSync(join(bundleDir, 'keepalive.mjs'), `${readFileSync(join(bundleDir, 'keepalive.mjs'), 'utf8')}\n// a later build\n`);
    await harness.restartPlugin({ ...process.env, KEEPALIVE_RUNTIME_BUNDLE: bundleDir });

    // Cut the connection as soon as the upload's staging directory appears.
    let dropped = false;
    const dropper = (async () => {
      const deadline = Date.now() + 60_000;
      while (!dropped && Date.now() < deadline) {
        if (readdirSync(h1.path('/opt/keepalive')).some((e) => e.startsWith('.partial-'))) {
          for (const pid of sshSessions(h1)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
          dropped = true;
        } else {
          await new Promise((r) => setImmediate(r));
        }
      }
    })();
    const failed = await d().up('Host', 'h1', hostInputs(h1)).then(() => undefined, (e: unknown) => e);
    await dropper;
    assert.ok(dropped, 'the upload started');
    assert.ok(failed instanceof OperationError, `the update failed: ${String(failed)}`);
    assert.match(failed.message, /connection .*lost|no exit status/);
    const drift = harness.engine.logs.find((l) => l.message.startsWith('host h1: runtime '));
    assert.match(drift!.message, new RegExp(`^host h1: runtime ${oldId} -> [0-9a-f]{16}: it is installed and restarted$`));

    // The old runtime is untouched: same link, same process, still master.
    assert.equal(readlinkSync(h1.path('/opt/keepalive/current')), oldId);
    assert.ok(runtimesIn(h1).some((p) => p.pid === watchdog.pid), 'the old runtime still runs');
    assert.equal(await h1.hasAddress(vip), true);
    assert.equal(d().outputs('Host', 'h1').runtimeHash !== undefined, true);

    // The next apply: the partial upload is cleared, the new bundle installed, the runtime restarted on it.
    const step = await d().up('Host', 'h1', hostInputs(h1));
    assert.equal(step.op, 'update');
    const newId = readlinkSync(h1.path('/opt/keepalive/current'));
    assert.notEqual(newId, oldId);
    assert.equal((d().outputs('Host', 'h1').runtimeHash as string).slice(0, 16), newId);
    assert.ok(!readdirSync(h1.path('/opt/keepalive')).some((e) => e.startsWith('.partial-')), 'no staging directory left');
    const [restarted] = runtimesIn(h1).sort((a, b) => a.pid - b.pid);
    assert.ok(restarted?.cmdline.includes(`/opt/keepalive/${newId}/keepalive.mjs`), restarted?.cmdline);
    assert.ok(harness.engine.logs.some((l) => l.message === `host h1: the runtime restarted on ${newId}`));
    await waitFor('h1 to hold the VIP again', async () => ((await h1.hasAddress(vip)) ? true : undefined), { timeoutMs: 10_000, intervalMs: 200 });
    // Converged: nothing more to do.
    assert.equal((await d().up('Host', 'h1', hostInputs(h1))).op, 'same');
  });

  test('a fragment the host refuses is not activated, and the error names conf.d\'s files and lines', T, async () => {
    const h1 = lab.host('h1');
    // Someone's own fragment on the host, using VRID 52 on eth0.
    h1.writeFile('/etc/keepalive/conf.d/zz-manual.json', JSON.stringify({ vrrpInstances: { manual: { interface: 'eth0', virtualRouterId: 52, virtualIpaddress: [`${addressIn(lab.segment().subnets.v4, 102)}/24`] } } }, null, 2));
    const generation = (await keepaliveStatus(h1)).configGeneration;
    const db = { vrid: 52, interface: 'eth0', virtualIps: [`${addressIn(lab.segment().subnets.v4, 101)}/24`], members: [{ host: d().outputs('Host', 'h1').connection, priority: 100 }] };
    const refused = await d().up('VrrpGroup', 'db', db).then(() => undefined, (e: unknown) => e);
    assert.ok(refused instanceof OperationError, String(refused));
    assert.match(refused.message, /h1 \(198\.18\.\d+\.1\) refused \/etc\/keepalive\/conf\.d\/vrrpgroup-db\.json \(keepalive check\); nothing changed there:/);
    assert.match(refused.message, /\/etc\/keepalive\/conf\.d\/(vrrpgroup-db|zz-manual)\.json:\d+:\d+: virtualRouterId 52 on eth0 \(IPv4\) is also used by/);
    assert.doesNotMatch(refused.message, /\.staging-/);
    // Recorded as created with nothing deployed, so the next update tries again.
    assert.deepEqual(refused.state?.outputs.fragments, []);
    assert.equal((await h1.exec(['ls', '/etc/keepalive/conf.d'])).stdout, 'vrrpgroup-web.json\nzz-manual.json\n');
    assert.equal((await keepaliveStatus(h1)).configGeneration, generation, 'no reload happened');

    // The host's own fragment goes; the next apply writes the group.
    await h1.exec(['rm', '/etc/keepalive/conf.d/zz-manual.json']);
    const step = await d().up('VrrpGroup', 'db', db);
    assert.equal(step.op, 'update');
    assert.deepEqual(step.words, ['h1: fragment vrrpgroup-db.json is missing: it is written again']);
    assert.deepEqual((d().outputs('VrrpGroup', 'db').fragments as { host: string }[]).map((f) => f.host), ['h1']);

    await d().destroy('VrrpGroup', 'db');
    await d().destroy('VrrpGroup', 'web');
    assert.equal(runtimesIn(h1).length, 0, 'the last fragment stopped the runtime');
    await d().destroy('Host', 'h1');
    assert.deepEqual(await leftoversOn(h1), []);
  });
});
