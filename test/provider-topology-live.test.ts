// `keepalive topology` on a real stack: the example program (examples/ha-pair.ts) taken up by the real
// Pulumi engine onto two lab directors with three real servers (two of them serving, one not), its
// state exported with `pulumi stack export --show-secrets`, then shown as declared and, with --live,
// as the hosts report it: the master, each real server's health, and a master that moved when its
// runtime stopped. An export without --show-secrets is refused with the fix; the runtime installed on
// a host refuses the command, which belongs to the provider.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Stack } from '@pulumi/pulumi/automation/index.js';
import { addressIn } from './lab/addressing.ts';
import { run, waitFor } from './lab/exec.ts';
import { Lab } from './lab/lab.ts';
import { exampleStack } from './lab/pulumi.ts';
import { stopRuntimes } from './fixtures/provider/lab.ts';
import { descendants, parseXml } from './fixtures/xml.ts';

const T = { timeout: 120_000 };
const CLI = fileURLToPath(new URL('../runtime/src/cli.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('fixtures/lb/', import.meta.url));
const DIRECTORS = ['lb1', 'lb2'] as const;
const BACKENDS = ['rs1', 'rs2', 'rs3'] as const;
/** rs3 serves nothing: its health check fails. */
const SERVING = ['rs1', 'rs2'] as const;

let lab: Lab;
let stack: Stack;
let vip: string;
let state: string;

const topology = (args: readonly string[], allowFailure = false) => run([process.execPath, CLI, 'topology', ...args], { allowFailure, timeoutMs: 60_000 });
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const address = (name: string): string => lab.host(name).ipv4();

before(async () => {
  lab = await Lab.create({ hosts: [...DIRECTORS, ...BACKENDS] });
  vip = addressIn(lab.segment().subnets.v4, 100);
  for (const rs of SERVING) {
    const host = lab.host(rs);
    const backend = await host.startDaemon(`backend-${rs}`, [process.execPath, `${FIXTURES}backend.ts`, rs, host.ipv4(), '80']);
    await waitFor(`${rs}'s HTTP server`, () => (backend.log().includes('listening') ? true : undefined));
  }
  stack = await exampleStack(lab, { directors: DIRECTORS, backends: BACKENDS, vip: `${vip}/24` }, [200, 150]);
  const up = await stack.up();
  assert.equal(up.summary.result, 'succeeded');
  // The Automation API exports with --show-secrets: the file holds the SSH private key, so it is the owner's alone.
  state = join(lab.dir, 'state.json');
  writeFileSync(state, JSON.stringify(await stack.exportStack()), { mode: 0o600 });
  chmodSync(state, 0o600);
});

after(async () => {
  if (lab) await stopRuntimes(DIRECTORS.map((name) => lab.host(name)));
  lab?.destroy();
});

test('the declared topology of the stack: hosts, the group with its master, backup and VIP, the service and its real servers', T, async () => {
  const { stdout } = await topology(['--state', state]);
  assert.match(stdout, /^keepalive topology of stack lab: declared; masters and health as last recorded in the state$/m);
  for (const name of DIRECTORS) assert.match(stdout, new RegExp(`^ {2}${name} {2}root@${escaped(address(name))}:22 {2}runtime 0\\.1\\.0$`, 'm'));
  assert.match(stdout, new RegExp(`^ {2}vip {2}vrid 51 on eth0 {2}VIP ${escaped(vip)}/24 {2}master lb1 \\(200\\) {2}backups lb2 \\(150\\)$`, 'm'));
  assert.match(stdout, new RegExp(`^ {2}web {2}${escaped(vip)}:80 {2}wrr, NAT {2}directors lb1, lb2 {2}quorum`, 'm'));
  for (const name of BACKENDS) assert.match(stdout, new RegExp(`^ {4}${name} {2}${escaped(address(name))}:80 {2}weight 1 {2}`, 'm'));
});

test('--live: the master and each real server\'s health as the directors report them, and the SVG', T, async () => {
  const svg = join(lab.dir, 'topology.svg');
  // The first checks run within a delay loop (2 s) of the deploy.
  const stdout = await waitFor('rs3 to be seen down by both directors', async () => {
    const { stdout: text } = await topology(['--state', state, '--live', '--svg', svg]);
    return new RegExp(`^ {4}rs3 .* DOWN$`, 'm').test(text) ? text : undefined;
  }, { timeoutMs: 20_000, intervalMs: 500 });
  assert.match(stdout, /^keepalive topology of stack lab: live, read from the hosts at \d{4}-\d\d-\d\dT/m);
  for (const name of DIRECTORS) assert.match(stdout, new RegExp(`^ {2}${name} .* runtime 0\\.1\\.0, running$`, 'm'));
  assert.match(stdout, /^ {7}live master lb1, as expected$/m);
  for (const name of SERVING) assert.match(stdout, new RegExp(`^ {4}${name} {2}${escaped(address(name))}:80 {2}weight 1 {2}up$`, 'm'));
  assert.match(stdout, new RegExp(`^ {4}rs3 {2}${escaped(address('rs3'))}:80 {2}weight 1 {2}DOWN$`, 'm'));
  assert.match(stdout, /quorum up$/m);

  const root = parseXml(readFileSync(svg, 'utf8'));
  const health = Object.fromEntries(descendants(root).filter((e) => e.attributes['class'] === 'real-server').map((e) => [e.attributes['data-name'], e.attributes['data-health']]));
  assert.deepEqual(health, { rs1: 'up', rs2: 'up', rs3: 'down' });
  const master = descendants(root).filter((e) => e.attributes['class'] === 'edge member' && e.attributes['data-role'] === 'master').map((e) => e.attributes['data-host']);
  assert.deepEqual(master, ['lb1']);
});

test('--live shows a master that is not the declared one: lb1\'s runtime stopped, lb2 took over', T, async () => {
  await stopRuntimes([lab.host('lb1')]);
  const stdout = await waitFor('lb2 to be live master', async () => {
    const { stdout: text } = await topology(['--state', state, '--live']);
    return /live master lb2, not the expected lb1/.test(text) ? text : undefined;
  }, { timeoutMs: 20_000, intervalMs: 500 });
  assert.match(stdout, /^ {2}lb1 .* runtime 0\.1\.0, not running$/m);
  // Only lb2 reports now: its view of each real server.
  assert.match(stdout, /^ {4}rs1 .* up on lb2, unknown on lb1$/m);
});

test('an export without --show-secrets is refused, naming what is encrypted and how to export', T, async () => {
  const { command } = stack.workspace.pulumiCommand;
  const exported = await run([command, '-C', stack.workspace.workDir, 'stack', 'export', '--stack', 'lab'], { env: { ...process.env, ...stack.workspace.envVars } });
  assert.doesNotMatch(exported.stdout, /PRIVATE KEY/);
  const refused = await run([process.execPath, CLI, 'topology', '--state', '-'], { input: exported.stdout, allowFailure: true });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^keepalive topology: encrypted in the state: VrrpGroup vip members\[0\]\.host, .*pulumi stack export --show-secrets/);
});

test('the runtime installed on a host does not carry the command: it says where to run it', T, async () => {
  const lb1 = lab.host('lb1');
  const result = await lb1.exec(['/opt/keepalive/current/keepalive', 'topology', '--state', '/dev/null'], { allowFailure: true });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /topology is a command of the keepalive provider, which is not here .*: run `npx keepalive topology` in a checkout/);
  // Nor any of the provider's code.
  const bundle = await lb1.exec(['grep', '-c', 'renderSvg\\|topologyOf\\|SshSession', '/opt/keepalive/current/keepalive.mjs'], { allowFailure: true });
  assert.equal(bundle.stdout.trim(), '0');
});
