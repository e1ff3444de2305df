// The plain HCL example (examples/terraform/main.tf) through OpenTofu on lab hosts, in a directory
// outside the checkout: `scripts/tofu init` offline; `plan` shows the topology words; `apply` puts the
// VIP on lb1 and a client reaches the real server through it; lb2 at 250 is planned as a master move
// and happens; a fragment edited by hand shows as drift at the next plan; `state rm` and `import` of
// the group, after which the plan has no change; `destroy` leaves the hosts clean. The private key's
// body appears in no plan or apply output. The lab, the VIP check and the client are the journey's
// (test/lab/journey.ts).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { leftoversOn, processesIn, runtimesIn, stopRuntimes } from './fixtures/provider/lab.ts';
import { waitFor } from './lab/exec.ts';
import { descendants } from './lab/processes.ts';
import { CLIENT, DIRECTORS, EXAMPLES, exampleConfig, journeyLab, REAL_SERVER, waitServed, type JourneyLab } from './lab/journey.ts';
import { answeringHost } from './lab/pulumi.ts';

const TOFU = resolve(import.meta.dirname, '../scripts/tofu');
let j: JourneyLab;
let dir: string;
const dirs: string[] = [];
/** The variables of the configuration under test, besides the lab's. */
let extra: Record<string, string> = {};
let keyBody: string;
const outputs: string[] = [];

before(async () => { j = await journeyLab(); }, { timeout: 900_000 });
after(async () => {
  if (j) await stopRuntimes(DIRECTORS.map((name) => j.lab.host(name)));
  j?.lab.destroy();
  if (!process.env['KEEPALIVE_KEEP_JOURNEYS']) for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ENCRYPTION = `key_provider "pbkdf2" "lab" { passphrase = "${'lab-state-passphrase-'.repeat(2)}" }
method "aes_gcm" "lab" { keys = key_provider.pbkdf2.lab }
state { method = method.aes_gcm.lab }
plan { method = method.aes_gcm.lab }`;

function tofu(args: string[], vars: Record<string, string> = {}, started?: (pid: number) => void): Promise<{ code: number | null; out: string; ms: number }> {
  const c = exampleConfig(j);
  const env = {
    ...process.env,
    TF_IN_AUTOMATION: '1',
    // The state holds the private key (Terraform keeps sensitive values in it): OpenTofu's state
    // encryption keeps it out of the file in the clear, as examples/terraform/README.md advises.
    TF_ENCRYPTION: ENCRYPTION,
    TF_VAR_lb1_address: c['lb1Address']!, TF_VAR_lb1_host_key: c['lb1HostKey']!,
    TF_VAR_lb2_address: c['lb2Address']!, TF_VAR_lb2_host_key: c['lb2HostKey']!,
    TF_VAR_private_key: readFileSync(j.privateKeyFile, 'utf8'),
    TF_VAR_interface: c['interface']!, TF_VAR_vip: c['virtualIp']!, TF_VAR_real_server_address: c['realServer']!,
    TF_VAR_service_manager: c['serviceManager']!,
    ...Object.fromEntries(Object.entries({ ...extra, ...vars }).map(([k, v]) => [`TF_VAR_${k}`, v])),
  };
  const since = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(TOFU, [...args, '-no-color'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) started?.(child.pid);
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b; });
    child.stderr.on('data', (b: Buffer) => { out += b; });
    child.on('error', fail);
    child.on('close', (code) => {
      outputs.push(out);
      done({ code, out, ms: performance.now() - since });
    });
  });
}

const ok = async (args: string[], vars: Record<string, string> = {}): Promise<string> => {
  const r = await tofu(args, vars);
  assert.equal(r.code, 0, `tofu ${args.join(' ')}: exit ${r.code}\n${r.out.slice(-8000)}`);
  console.log(`tofu ${args[0]}: ${(r.ms / 1000).toFixed(1)} s`);
  return r.out;
};

const cmdlineOf = (pid: number): string => {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '); } catch { return ''; }
};

/**
 * The provider killed with KILL in the middle of an apply. lb2's deploy lock is held, as another
 * deploy would hold it, so the apply's update of lb2 (priority 250 -> 240) waits in the lock with its
 * fragment sent; the provider is killed there, then the lock released. The orphaned deploy on lb2 finds
 * no one to answer and changes nothing: lb2 keeps its fragment and its runtime, and still holds the
 * VIP. The next apply converges, and the plan after it is empty. Returns the new variables.
 */
async function killedProvider(moved: Record<string, string>): Promise<Record<string, string>> {
  const lb2 = j.lab.host('lb2');
  const fragment = async (): Promise<string> => (await lb2.exec(['sh', '-c', 'cat /etc/keepalive/conf.d/vrrpgroup-*.json'])).stdout;
  const before = await fragment();
  const runtimes = runtimesIn(lb2).map((p) => p.pid).sort();
  const holder = await lb2.startDaemon('deploy-lock-holder', ['flock', '/etc/keepalive/.lock', 'sleep', '300']);
  await waitFor('the lock holder to hold lb2\'s deploy lock', async () =>
    ((await lb2.exec(['flock', '-n', '/etc/keepalive/.lock', 'true'], { allowFailure: true })).code !== 0 ? true : undefined));
  const changed = { ...moved, lb2_priority: '240' };
  let tofuPid = 0;
  const apply = tofu(['apply', '-input=false', '-auto-approve'], changed, (pid) => { tofuPid = pid; });
  const waiting = (cmdline: string): boolean => cmdline.startsWith('flock -w 120 9');
  await waitFor('the apply to wait for lb2\'s deploy lock', () => (processesIn(lb2, waiting).length > 0 ? true : undefined), { timeoutMs: 120_000 });
  const providers = descendants(tofuPid).filter((pid) => /terraform-provider-keepalive|provider\/terraform\/main\.ts/.test(cmdlineOf(pid)));
  assert.ok(providers.length > 0, 'the provider process of the apply is found');
  for (const pid of providers) process.kill(pid, 'SIGKILL');
  const killed = await apply;
  assert.notEqual(killed.code, 0, 'the apply fails when its provider is killed');
  // flock and its sleep both hold the lock: the whole group goes.
  holder.signalGroup('SIGTERM');
  await holder.exited();
  // The orphaned deploy takes the lock now, and must give up without a change.
  await waitFor('the orphaned deploy on lb2 to end', () =>
    (processesIn(lb2, (c) => waiting(c) || c.includes('keepalive-deploy:')).length === 0 ? true : undefined), { timeoutMs: 30_000 });
  assert.equal(await fragment(), before, 'lb2 keeps its previous fragment');
  assert.deepEqual(runtimesIn(lb2).map((p) => p.pid).sort(), runtimes, 'lb2\'s runtime runs on, not restarted');
  assert.equal(await answeringHost(j.lab, CLIENT, j.vip, DIRECTORS), 'lb2');
  await ok(['apply', '-input=false', '-auto-approve'], changed);
  assert.match(await fragment(), /"priority":\s*240/, 'the next apply converges');
  assert.match(await ok(['plan', '-input=false'], changed), /No changes/);
  return changed;
}

/**
 * The steps, the same for the HCL example and the synthesized CDK stack; `move` sets lb2's priority to
 * 250; `interrupt`, given, runs after the drift step and returns the variables from then on.
 */
async function steps(move: () => Record<string, string>, interrupt?: (vars: Record<string, string>) => Promise<Record<string, string>>): Promise<void> {
  keyBody = readFileSync(j.privateKeyFile, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----')).join('');
  outputs.length = 0;
  await ok(['init', '-input=false']);

  const plan = await ok(['plan', '-input=false']);
  assert.match(plan, /vrid 51: master lb1 \(priority 200 > 150\)/);
  assert.match(plan, /Plan: 5 to add, 0 to change, 0 to destroy/);

  await ok(['apply', '-input=false', '-auto-approve']);
  // terraform.tfstate, or the CDK stack's local backend's terraform.ha-pair.tfstate.
  const stateFile = readdirSync(dir).find((f) => f.endsWith('.tfstate'))!;
  const state = readFileSync(join(dir, stateFile), 'utf8');
  assert.ok(state.includes('"encrypted_data"') && !state.includes(keyBody.slice(0, 40)), 'the state is encrypted; the key is not in it in the clear');
  assert.equal(await answeringHost(j.lab, CLIENT, j.vip, DIRECTORS), 'lb1');
  assert.deepEqual(await waitServed(j), { counts: { [REAL_SERVER]: 3 }, errors: {} });

  let moved = move();
  const plannedMove = await ok(['plan', '-input=false'], moved);
  assert.match(plannedMove, /vrid 51: master lb1 -> lb2 \(priority 250 > 200, preempt\)/);
  assert.match(plannedMove, /expected_master += "lb1" -> "lb2"/);
  await ok(['apply', '-input=false', '-auto-approve'], moved);
  assert.equal(await answeringHost(j.lab, CLIENT, j.vip, DIRECTORS), 'lb2');

  // A hand edit on lb1: the next plan shows the group changing, its fragment rewritten.
  await j.lab.host('lb1').exec(['sh', '-c', 'f=$(ls /etc/keepalive/conf.d/vrrpgroup-*.json); echo " " >> "$f"']);
  const drift = await ok(['plan', '-input=false'], moved);
  assert.match(drift, /differs from the declared fragment \(edited by hand\?\)/);
  assert.match(drift, /Plan: 0 to add, 1 to change, 0 to destroy/);
  await ok(['apply', '-input=false', '-auto-approve'], moved);
  if (interrupt) moved = await interrupt(moved);

  const stateId = (/id\s+=\s+"([^"]+)"/.exec(await ok(['state', 'show', 'keepalive_vrrp_group.vip'])) ?? [])[1]!;
  await ok(['state', 'rm', 'keepalive_vrrp_group.vip']);
  await ok(['import', '-input=false', 'keepalive_vrrp_group.vip', stateId], moved);
  const after = await ok(['plan', '-input=false'], moved);
  // Nothing to do on the hosts; the root output the state rm took comes back.
  assert.doesNotMatch(after, /Plan: /);
  assert.match(after, /No changes|without changing any real infrastructure/);

  await ok(['destroy', '-input=false', '-auto-approve'], moved);
  for (const name of DIRECTORS) assert.deepEqual(await leftoversOn(j.lab.host(name)), [], `${name} is clean`);

  for (const out of outputs) assert.ok(!out.includes(keyBody.slice(0, 40)), 'the private key is in no output');
}

describe('OpenTofu on lab hosts', () => {
  test('the HCL example: init, plan, apply, a master move, drift, a provider killed mid-apply, import, destroy', { timeout: 600_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'keepalive-tofu-'));
    dirs.push(dir);
    copyFileSync(join(EXAMPLES, 'terraform/main.tf'), join(dir, 'main.tf'));
    extra = {};
    await steps(() => ({ lb2_priority: '250' }), killedProvider);
  });

  test('the CDK example, synthesized: the same', { timeout: 600_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'keepalive-cdk-'));
    dirs.push(dir);
    const synth = spawnSync(process.execPath, [join(EXAMPLES, 'cdk/main.ts')], { cwd: dir, encoding: 'utf8' });
    assert.equal(synth.status, 0, synth.stderr);
    const file = join(dir, 'cdk.tf.json');
    copyFileSync(join(dir, 'cdktf.out/stacks/ha-pair/cdk.tf.json'), file);
    const c = exampleConfig(j);
    extra = { virtual_ip: c['virtualIp']!, virtual_address: j.vip, real_server: c['realServer']! };
    // The stack's priority is in its code: lb2 at 250 is a new synthesis, here its JSON edited the same way.
    await steps(() => {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { resource: { keepalive_vrrp_group: Record<string, { members: { priority: number }[] }> } };
      for (const group of Object.values(json.resource.keepalive_vrrp_group)) group.members[1]!.priority = 250;
      writeFileSync(file, JSON.stringify(json, null, 2));
      return {};
    });
  });
});
