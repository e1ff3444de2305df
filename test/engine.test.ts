// The real Pulumi engine (the CLI that scripts/pulumi-engine builds from the Go module proxy) taking
// the example program (examples/ha-pair.ts, through the generated SDK @keepalive/pulumi) through preview, up, a priority
// change, refresh and destroy, with this repository's provider plugin, on lab hosts with their own
// sshd (see lab/pulumi.ts for how the engine runs here).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@pulumi/pulumi/automation/index.js';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { run, waitFor } from './lab/exec.ts';
import type { Host } from './lab/host.ts';
import { answeringHost, exampleProgram, exampleStack, pulumiEngine, type ExampleTopology } from './lab/pulumi.ts';
import { keepaliveStatus } from './lab/implementations.ts';
import { vrrpInstances } from '../runtime/src/control/status.ts';
import { leftoversOn, stopRuntimes } from './fixtures/provider/lab.ts';

const T = { timeout: 300_000 };
const DIRECTORS = ['lb1', 'lb2'] as const;
const BACKENDS = ['rs1', 'rs2', 'rs3'] as const;

let lab: Lab;
let stack: Stack;
let vip: string;
let topology: ExampleTopology;

const answeringDirector = (): Promise<string | undefined> => answeringHost(lab, 'client', vip, DIRECTORS);

let output = '';
const collect = { onOutput: (text: string) => { output += text; } };

before(async () => {
  lab = await Lab.create({ hosts: [...DIRECTORS, ...BACKENDS, 'client'] });
  vip = addressIn(lab.segment().subnets.v4, 100);
  topology = { directors: DIRECTORS, backends: BACKENDS, vip: `${vip}/24` };
  stack = await exampleStack(lab, topology, [200, 150]);
});

after(async () => {
  if (lab) await stopRuntimes([...DIRECTORS].map((name) => lab.host(name)));
  lab?.destroy();
});

test('preview names the topology: the master, the VIP, the backends joining', T, async () => {
  output = '';
  const preview = await stack.preview(collect);
  assert.deepEqual(preview.changeSummary, { create: 8 }, output);
  assert.match(output, /VrrpGroup vip +vrid 51: master lb1 \(priority 200 > 150\)/, output);
  assert.match(output, new RegExp(`VrrpGroup vip +VIP ${vip.replaceAll('.', '\\.')}/24 comes up on lb1`), output);
  for (const name of BACKENDS) {
    assert.match(output, new RegExp(`RealServer ${name} .*real server ${lab.host(name).ipv4().replaceAll('.', '\\.')}:80 joins ${vip.replaceAll('.', '\\.')}:80`), output);
  }
});

test('up deploys the runtime and the VIP answers on the expected master', T, async () => {
  output = '';
  const up = await stack.up(collect);
  assert.equal(up.summary.result, 'succeeded', output);
  assert.equal(up.outputs['expectedMaster']?.value, 'lb1');
  assert.equal(await waitFor('the VIP to answer', answeringDirector, { timeoutMs: 15_000 }), 'lb1');
});

test('a priority change is previewed as a master move, then happens', T, async () => {
  stack.workspace.program = exampleProgram(lab, topology, [200, 250]);
  output = '';
  const preview = await stack.preview(collect);
  assert.deepEqual(preview.changeSummary, { same: 7, update: 1 }, output);
  assert.match(output, /vrid 51: master lb1 -> lb2 \(priority 250 > 200, preempt\)/, output);
  assert.match(output, new RegExp(`VIP ${vip.replaceAll('.', '\\.')}/24 moves with it`), output);
  output = '';
  const up = await stack.up(collect);
  assert.equal(up.summary.result, 'succeeded', output);
  assert.equal(up.outputs['expectedMaster']?.value, 'lb2');
  assert.equal(await waitFor('the VIP on lb2', async () => ((await answeringDirector()) === 'lb2' ? 'lb2' : undefined), { timeoutMs: 15_000 }), 'lb2');
});

test('adoption: resources whose state was lost are imported from their IDs, with no change and no VRRP transition', T, async () => {
  // The group, and with it everything that depends on it (the virtual server and its real servers),
  // dropped from the state as a lost or damaged state would have them, with `pulumi state delete`.
  const resources = ((await stack.exportStack()).deployment as { resources: { urn: string; id?: string; type: string }[] }).resources;
  const adopted = resources.filter((r) => /:(VrrpGroup|VirtualServer|RealServer)$/.test(r.type));
  assert.equal(adopted.length, 5, JSON.stringify(resources.map((r) => r.urn)));
  const ids = Object.fromEntries(adopted.map((r) => [r.urn.split('::').at(-1)!, r.id!]));
  // IDs name the fragment and the hosts it lives on.
  assert.match(ids['vip']!, /^vrrpgroup-vip@[\d.]+:22,[\d.]+:22$/);
  assert.match(ids['rs1']!, /^realserver-rs1@[\d.]+:22,[\d.]+:22$/);

  const transitions = async (): Promise<string[]> => Promise.all(DIRECTORS.map(async (name) =>
    JSON.stringify(vrrpInstances(await keepaliveStatus(lab.host(name))).find((i) => i.name === 'vip')?.transitions)));
  const fragments = (): Promise<string[]> => Promise.all(DIRECTORS.map(async (name) => (await lab.host(name).exec('stat -c "%n %i %Y" /etc/keepalive/conf.d/*.json')).stdout));
  const [transitionsBefore, fragmentsBefore] = [await transitions(), await fragments()];

  const pulumi = join(await pulumiEngine(), 'pulumi');
  const vipUrn = adopted.find((r) => r.urn.endsWith('::vip'))!.urn;
  const deleted = await run([pulumi, 'state', 'delete', vipUrn, '--target-dependents', '--yes', '--non-interactive', '--stack', 'lab', '--cwd', stack.workspace.workDir], { env: { ...process.env, ...stack.workspace.envVars }, allowFailure: true });
  assert.equal(deleted.code, 0, deleted.stderr);
  const left = ((await stack.exportStack()).deployment as { resources: { type: string }[] }).resources;
  assert.equal(left.filter((r) => /:(VrrpGroup|VirtualServer|RealServer)$/.test(r.type)).length, 0);

  // The same program, adopting them: the preview imports each and changes nothing.
  stack.workspace.program = exampleProgram(lab, topology, [200, 250], ids);
  output = '';
  const preview = await stack.preview(collect);
  assert.deepEqual(preview.changeSummary, { same: 3, import: 5 }, output);
  output = '';
  const up = await stack.up(collect);
  assert.equal(up.summary.result, 'succeeded', output);
  assert.deepEqual(up.summary.resourceChanges, { same: 3, import: 5 }, output);
  assert.equal(up.outputs['liveMaster']?.value, 'lb2');

  // Nothing moved on the hosts: no VRRP transition, no fragment rewritten; and the program, with its
  // imports dropped, now matches the state exactly.
  assert.deepEqual(await transitions(), transitionsBefore);
  assert.deepEqual(await fragments(), fragmentsBefore);
  stack.workspace.program = exampleProgram(lab, topology, [200, 250]);
  output = '';
  assert.deepEqual((await stack.preview(collect)).changeSummary, { same: 8 }, output);
});

test('a hand edit on a host shows up as drift in refresh', T, async () => {
  const lb1: Host = lab.host('lb1');
  const fragments = (await lb1.exec(['sh', '-c', 'ls /etc/keepalive/conf.d/*.json'])).stdout.trim().split('\n');
  const group = fragments.find((f) => f.endsWith('/vrrpgroup-vip.json'));
  assert.ok(group, fragments.join(', '));
  const before = (await lb1.exec(['cat', group])).stdout;
  await lb1.exec(['sed', '-i', 's/"priority": *200/"priority": 201/', group]);
  assert.notEqual((await lb1.exec(['cat', group])).stdout, before, 'the hand edit changed the fragment');
  output = '';
  const refresh = await stack.refresh(collect);
  assert.equal(refresh.summary.result, 'succeeded', output);
  assert.deepEqual(refresh.summary.resourceChanges, { same: 7, update: 1 }, output);
  // The next preview wants to put the declared fragment back.
  output = '';
  const preview = await stack.preview(collect);
  assert.equal(preview.changeSummary['update'], 1, output);
});

test('destroy leaves the hosts clean, and the SSH private key never appears in the state or the output', T, async () => {
  output = '';
  const destroyed = await stack.destroy(collect);
  assert.equal(destroyed.summary.result, 'succeeded', output);
  for (const name of DIRECTORS) assert.deepEqual(await leftoversOn(lab.host(name)), [], `${name} is clean`);
  assert.equal(await answeringDirector(), undefined, 'nobody answers for the VIP');
  const keyBody = lab.host('lb1').ssh!.privateKey.toString().split('\n')[1]!;
  const stateFiles = readdirSync(join(lab.dir, 'pulumi-state'), { recursive: true }).map(String).filter((f) => f.endsWith('.json') || f.endsWith('.bak'));
  assert.ok(stateFiles.length > 0);
  for (const file of stateFiles) {
    const text = readFileSync(join(lab.dir, 'pulumi-state', file), 'utf8');
    assert.ok(!text.includes(keyBody) && !text.includes('PRIVATE KEY'), `${file} holds the private key in plain text`);
  }
  assert.ok(!output.includes(keyBody), 'the output shows the private key');
});
