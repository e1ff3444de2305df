// Deploys that go wrong, through the real Pulumi engine (Automation API, an inline program of the
// typed SDK: test/lab/pulumi.ts) and the provider plugin against lab hosts with real sshd: a host
// presenting another key than the pinned one (nothing is deployed), the SSH connection cut in the
// middle of a runtime upload (the old runtime keeps running, the state keeps the old runtime, the next
// apply converges), a fragment the host's own `keepalive check` refuses (nothing is activated; the
// error names conf.d's files), and a fragment the check accepts but the runtime's reload refuses (the
// previous fragment is put back and the runtime keeps its running configuration).
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Stack } from '@pulumi/pulumi/automation/index.js';
import { checkerStatus } from '../runtime/src/control/status.ts';
import { RUNTIME_FILES } from '../scripts/runtime-files.ts';
import { Host, VirtualServer, VrrpGroup } from '@keepalive/pulumi';
import { addressIn } from './lab/addressing.ts';
import { waitFor } from './lab/exec.ts';
import type { Host as LabHost } from './lab/host.ts';
import { keepaliveStatus } from './lab/implementations.ts';
import { Lab } from './lab/lab.ts';
import { descendants } from './lab/processes.ts';
import { EngineLog, labRuntimeBundle, labStack, stateOutputs } from './lab/pulumi.ts';
import { hostArgs, leftoversOn, runtimesIn, stopRuntimes } from './fixtures/provider/lab.ts';

const T = { timeout: 300_000 };

/** PIDs of the processes under the host's sshd listener: the sessions of the connections it serves. */
function sshSessions(host: LabHost): number[] {
  return descendants(Number(host.readFile('/run/sshd.pid').trim()));
}

/** What the program declares; each test sets it, then ups. */
interface Declared {
  h1?: boolean;
  /** h2, pinned to this host key instead of its own. */
  h2Key?: string;
  web?: boolean;
  /** The group the host's own fragment collides with. */
  db?: boolean;
  /** The virtual server on h1, with this scheduler. */
  site?: string;
}

describe('provider faults, through the real engine', () => {
  let lab: Lab;
  let stack: Stack;
  let vip: string;
  let bundleDir: string;
  let declared: Declared = {};
  const log = new EngineLog();

  before(async () => {
    lab = await Lab.create({ hosts: ['h1', 'h2'] });
    vip = addressIn(lab.segment().subnets.v4, 100);
    bundleDir = mkdtempSync(join(tmpdir(), 'keepalive-bundle-'));
    stack = await labStack(lab, async () => {
      if (declared.h2Key) new Host('h2', hostArgs(lab.host('h2'), { hostKey: declared.h2Key }));
      if (!declared.h1) return {};
      const h1 = new Host('h1', hostArgs(lab.host('h1')));
      if (declared.web) new VrrpGroup('web', { vrid: 51, interface: 'eth0', virtualIps: [`${vip}/24`], members: [{ host: h1.connection, priority: 200 }] });
      if (declared.db) new VrrpGroup('db', { vrid: 52, interface: 'eth0', virtualIps: [`${addressIn(lab.segment().subnets.v4, 101)}/24`], members: [{ host: h1.connection, priority: 100 }] });
      if (declared.site) new VirtualServer('site', { address: vip, port: 80, scheduler: declared.site as 'rr', directors: [h1.connection] });
      return {};
    }, { projectName: 'keepalive-faults' });
  });

  after(async () => {
    if (lab) await stopRuntimes(lab.hosts.values());
    lab?.destroy();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  /** `pulumi up` of what is declared now: its result ('succeeded' or the failure) and where its events begin. */
  const up = async (): Promise<{ since: number; error?: Error }> => {
    const since = log.mark();
    try {
      const result = await stack.up(log.options);
      assert.equal(result.summary.result, 'succeeded', log.text);
      return { since };
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      return { since, error: error as Error };
    }
  };
  const errorsOf = (name: string, since: number): string => log.diagnostics(since, { name, severity: ['error'] }).map((d) => d.message).join('\n');

  test('a host presenting another key than the pinned one is refused before anything is deployed', T, async () => {
    declared = { h2Key: lab.host('h1').ssh!.hostKey };
    const { since, error } = await up();
    assert.ok(error, 'the up failed');
    assert.match(errorsOf('h2', since), /198\.18\.\d+\.2:22 presented host key SHA256:\S+, but hostKey pins SHA256:\S+: refusing to connect/);
    assert.deepEqual(await stateOutputs(stack), {}, 'no state: nothing was created');
    assert.deepEqual(await leftoversOn(lab.host('h2')), []);
  });

  test('the SSH connection cut mid-upload leaves the old runtime running and recorded, and the next apply converges', T, async () => {
    const h1 = lab.host('h1');
    declared = { h1: true, web: true };
    assert.equal((await up()).error, undefined);
    await waitFor('h1 to hold the VIP', async () => ((await h1.hasAddress(vip)) ? true : undefined), { timeoutMs: 10_000, intervalMs: 200 });
    const oldId = readlinkSync(h1.path('/opt/keepalive/current'));
    const oldHash = (await stateOutputs(stack)).h1!.runtimeHash as string;
    assert.equal(oldHash.slice(0, 16), oldId);
    const [watchdog] = runtimesIn(h1).sort((a, b) => a.pid - b.pid);
    assert.ok(watchdog?.cmdline.includes(`/opt/keepalive/${oldId}/keepalive.mjs`), watchdog?.cmdline);

    // A new release of the runtime: the same program, another build (another content hash).
    const release = await labRuntimeBundle(lab);
    for (const file of RUNTIME_FILES) copyFileSync(join(release, file), join(bundleDir, file));
    writeFileSync(join(bundleDir, 'keepalive.mjs'), `${readFileSync(join(bundleDir, 'keepalive.mjs'), 'utf8')}\n// a later build\n`);
    stack.workspace.envVars['KEEPALIVE_RUNTIME_BUNDLE'] = bundleDir;

    // The cut, at a point the test controls: once 300 kB have come in over SSH (the runtime's files
    // are over 1 MB together, the commands before them a few kB), h1 drops the rest, so the upload cannot complete;
    // the rule's counter says when that point is reached, and then the sessions are killed.
    const CUT = 300_000;
    await h1.exec(['nft', '-f', '-'], { input: `table inet upload_cut {\n chain input {\n  type filter hook input priority -10\n  tcp dport 22 quota over ${CUT} bytes counter drop\n }\n}\n` });
    let partialAtCut: string[] = [];
    let upEnded = false;
    const cutter = waitFor('the upload to pass the cut point', async () => {
      const { stdout } = await h1.exec(['nft', 'list', 'table', 'inet', 'upload_cut']);
      if (/counter packets 0 /.test(stdout)) return upEnded ? false : undefined;
      partialAtCut = readdirSync(h1.path('/opt/keepalive')).filter((e) => e.startsWith('.partial-'));
      for (const pid of sshSessions(h1)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      return true;
    }, { timeoutMs: 120_000, intervalMs: 50 });
    const { since, error } = await up();
    upEnded = true;
    assert.equal(await cutter, true, 'the upload reached the cut point');
    await h1.exec(['nft', 'delete', 'table', 'inet', 'upload_cut']);
    assert.ok(error, 'the update failed');
    assert.equal(partialAtCut.length, 1, `the upload was under way in a .partial- directory at the cut: ${partialAtCut.join(', ')}`);
    assert.match(errorsOf('h1', since), /connection .*lost|no exit status/);
    assert.match(log.words('h1', since)[0]!, new RegExp(`^host h1: runtime ${oldId} -> [0-9a-f]{16}: it is installed and restarted$`));

    // What the failure left behind. On the host: the old runtime untouched (same link, same process,
    // still master), and the partial upload, which the next apply clears.
    assert.equal(readlinkSync(h1.path('/opt/keepalive/current')), oldId);
    assert.ok(runtimesIn(h1).some((p) => p.pid === watchdog.pid), 'the old runtime still runs');
    assert.equal(await h1.hasAddress(vip), true);
    assert.deepEqual(readdirSync(h1.path('/opt/keepalive')).filter((e) => e.startsWith('.partial-')), partialAtCut);
    // In the engine's state: still the old runtime, so the next preview wants the upgrade again.
    const failedState = (await stateOutputs(stack)).h1!;
    assert.equal(failedState.runtimeHash, oldHash, 'the state records the runtime that is installed, not the one that failed to go');
    const preview = await stack.preview();
    assert.equal(preview.changeSummary.update, 1, 'the next preview still wants the upgrade');

    // The next apply: the partial upload is cleared, the new bundle installed, the runtime restarted on it.
    const next = await up();
    assert.equal(next.error, undefined);
    assert.equal(log.ops(next.since).h1, 'update');
    const newId = readlinkSync(h1.path('/opt/keepalive/current'));
    assert.notEqual(newId, oldId);
    assert.equal(((await stateOutputs(stack)).h1!.runtimeHash as string).slice(0, 16), newId);
    assert.ok(!readdirSync(h1.path('/opt/keepalive')).some((e) => e.startsWith('.partial-')), 'no staging directory left');
    const [restarted] = runtimesIn(h1).sort((a, b) => a.pid - b.pid);
    assert.ok(restarted?.cmdline.includes(`/opt/keepalive/${newId}/keepalive.mjs`), restarted?.cmdline);
    assert.ok(log.words('h1', next.since).includes(`host h1: the runtime restarted on ${newId}`), JSON.stringify(log.words('h1', next.since)));
    await waitFor('h1 to hold the VIP again', async () => ((await h1.hasAddress(vip)) ? true : undefined), { timeoutMs: 10_000, intervalMs: 200 });
    // Converged: nothing more to do.
    const again = await up();
    assert.deepEqual(Object.values(log.ops(again.since)).filter((op) => op !== 'same'), []);
  });

  test('a fragment the host refuses is not activated, and the error names conf.d\'s files and lines', T, async () => {
    const h1 = lab.host('h1');
    // Someone's own fragment on the host, using VRID 52 on eth0.
    h1.writeFile('/etc/keepalive/conf.d/zz-manual.json', JSON.stringify({ vrrpInstances: { manual: { interface: 'eth0', virtualRouterId: 52, virtualIpaddress: [`${addressIn(lab.segment().subnets.v4, 102)}/24`] } } }, null, 2));
    const generation = (await keepaliveStatus(h1)).configGeneration;
    declared = { h1: true, web: true, db: true };
    const refused = await up();
    assert.ok(refused.error, 'the up failed');
    const message = errorsOf('db', refused.since);
    assert.match(message, /h1 \(198\.18\.\d+\.1\) refused \/etc\/keepalive\/conf\.d\/vrrpgroup-db\.json \(keepalive check\); nothing changed there:/);
    assert.match(message, /\/etc\/keepalive\/conf\.d\/(vrrpgroup-db|zz-manual)\.json:\d+:\d+: virtualRouterId 52 on eth0 \(IPv4\) is also used by/);
    assert.doesNotMatch(message, /\.staging-/);
    // Recorded as created with nothing deployed (the partial failure's state), so the next update tries again.
    assert.deepEqual((await stateOutputs(stack)).db?.fragments, []);
    assert.equal((await h1.exec(['ls', '/etc/keepalive/conf.d'])).stdout, 'vrrpgroup-web.json\nzz-manual.json\n');
    assert.equal((await keepaliveStatus(h1)).configGeneration, generation, 'no reload happened');

    // The host's own fragment goes; the next apply writes the group.
    await h1.exec(['rm', '/etc/keepalive/conf.d/zz-manual.json']);
    const step = await up();
    assert.equal(step.error, undefined);
    assert.equal(log.ops(step.since).db, 'update');
    assert.deepEqual(log.words('db', step.since), ['h1: fragment vrrpgroup-db.json is missing: it is written again']);
    assert.deepEqual(((await stateOutputs(stack)).db!.fragments as { host: string }[]).map((f) => f.host), ['h1']);
  });

  test('a fragment the check accepts but the reload refuses: the previous fragment is put back and the runtime keeps its configuration', T, async () => {
    const h1 = lab.host('h1');
    const path = '/etc/keepalive/conf.d/virtualserver-site.json';
    declared = { h1: true, web: true, site: 'rr' };
    assert.equal((await up()).error, undefined);
    const previous = h1.readFile(path);
    const recorded = (await stateOutputs(stack)).site!.fragments;
    const schedulerOnHost = async (): Promise<string | undefined> => checkerStatus(await keepaliveStatus(h1))?.virtualServers[0]?.scheduler;
    assert.equal(await schedulerOnHost(), 'rr');
    const runtime = runtimesIn(h1).sort((a, b) => a.pid - b.pid)[0]!.pid;

    // twos is a scheduler keepalive's configuration knows (so `keepalive check` passes), but the
    // nftables dataplane these hosts run has no such scheduler: only the reload finds that out.
    declared = { ...declared, site: 'twos' };
    const refused = await up();
    assert.ok(refused.error, 'the up failed');
    const message = errorsOf('site', refused.since);
    assert.match(message, /h1 \(198\.18\.\d+\.1\) refused \/etc\/keepalive\/conf\.d\/virtualserver-site\.json at reload, and keeps running its previous configuration/);
    assert.match(message, /scheduler "twos" is not one of/);
    // The previous fragment is back, byte for byte, and the runtime (the same process) runs it.
    assert.equal(h1.readFile(path), previous);
    assert.equal(await schedulerOnHost(), 'rr');
    const status = await keepaliveStatus(h1);
    assert.equal(status.lastReload?.ok, false);
    assert.equal(status.pid, runtime);
    // The state still has what is on the host, so the next up tries the change again.
    assert.deepEqual((await stateOutputs(stack)).site!.fragments, recorded);

    // Back to a scheduler the dataplane has: converged, and everything goes.
    declared = { ...declared, site: 'rr' };
    assert.equal((await up()).error, undefined);
    log.mark();
    const destroyed = await stack.destroy(log.options);
    assert.equal(destroyed.summary.result, 'succeeded', log.text);
    assert.equal(runtimesIn(h1).length, 0, 'the last fragment stopped the runtime');
    assert.deepEqual(await leftoversOn(h1), []);
  });
});
