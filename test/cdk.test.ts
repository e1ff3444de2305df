// The CDK constructs (scripts/cdk.ts: generated from the provider's schema as OpenTofu reads it, by
// @cdktf/provider-generator and @cdktn/provider-generator, compiled and packed; scripts/setup installs
// the packs into node_modules as npm would): the HA pair example (examples/cdk, CDK Terrain) and a
// group through CDK for Terraform, each synthesized by plain Node into cdk.tf.json, in a directory
// outside the checkout, then initialized offline and validated by the real OpenTofu with this
// checkout's provider (scripts/tofu). Nothing is deployed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

const repo = resolve(import.meta.dirname, '..');
const tofu = join(repo, 'scripts/tofu');

function run(command: string, args: readonly string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  if (result.error) throw result.error;
  return result;
}

interface Diagnostic { severity: string; summary: string }

/** Synthesizes with plain Node (`node PROGRAM ARGS` in `cwd`) and returns the stack's cdk.tf.json, parsed. */
function synth(cwd: string, program: string, stack: string, args: readonly string[] = []): { file: string; json: Record<string, Record<string, Record<string, unknown>>> } {
  const result = run(process.execPath, [program, ...args], cwd);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  const outdir = args[0] ?? join(cwd, 'cdktf.out');
  const file = join(outdir, 'stacks', stack, 'cdk.tf.json');
  return { file, json: JSON.parse(readFileSync(file, 'utf8')) };
}

/** `tofu init` (with no network: a network namespace of its own) and `tofu validate -json` of one cdk.tf.json, in a directory of its own. */
function validate(file: string, dir: string): { status: number | null; valid: boolean; diagnostics: Diagnostic[] } {
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, 'cdk.tf.json'));
  const init = run('unshare', ['--net', tofu, 'init', '-input=false', '-no-color'], dir);
  assert.equal(init.status, 0, `${init.stdout}\n${init.stderr}`);
  const result = run(tofu, ['validate', '-json'], dir);
  const report = JSON.parse(result.stdout) as { valid: boolean; diagnostics: Diagnostic[] };
  return { status: result.status, valid: report.valid, diagnostics: report.diagnostics };
}

describe('CDK constructs, synthesized and validated by OpenTofu', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'keepalive-cdk-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  test('CDK Terrain: the HA pair example synthesizes under plain Node, with no key and no address in it, and validates', () => {
    const { file, json } = synth(dir, join(repo, 'examples/cdk/main.ts'), 'ha-pair');
    const resource = json['resource']!;
    assert.deepEqual(Object.keys(resource).sort(), ['keepalive_host', 'keepalive_real_server', 'keepalive_virtual_server', 'keepalive_vrrp_group']);
    assert.deepEqual(Object.keys(resource['keepalive_host']!).sort(), ['lb1', 'lb2']);
    const group = resource['keepalive_vrrp_group']!['vip'] as { members: { host: string; priority: number }[] };
    assert.deepEqual(group.members, [
      { host: '${keepalive_host.lb1.host_connection}', priority: 200 },
      { host: '${keepalive_host.lb2.host_connection}', priority: 150 },
    ]);
    assert.equal((resource['keepalive_real_server']!['app'] as { virtual_server: string }).virtual_server, '${keepalive_virtual_server.web.ref}');
    assert.equal((json['variable']!['private_key'] as { sensitive: boolean }).sensitive, true);
    assert.equal((resource['keepalive_host']!['lb1'] as { private_key: string }).private_key, '${var.private_key}');
    // No key, and no address as a value (the variables' descriptions give examples in words).
    assert.doesNotMatch(readFileSync(file, 'utf8'), /PRIVATE KEY|"198\.18\.[\d./]+"/);
    const result = validate(file, join(dir, 'cdktn'));
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.valid, true);
    assert.equal(result.status, 0);
  });

  test('CDK for Terraform: a group validates; with a priority of 300 OpenTofu refuses it, naming the attribute', () => {
    const program = join(repo, 'test/fixtures/cdk/cdktf-stack.ts');
    const good = synth(dir, program, 'group', [join(dir, 'cdktf-good'), '200']);
    assert.deepEqual(validate(good.file, join(dir, 'cdktf-good-tofu')).diagnostics, []);
    const bad = synth(dir, program, 'group', [join(dir, 'cdktf-bad'), '300']);
    const result = validate(bad.file, join(dir, 'cdktf-bad-tofu'));
    assert.equal(result.status, 1);
    assert.equal(result.valid, false);
    assert.deepEqual(result.diagnostics.map((d) => [d.severity, d.summary]), [['error', 'members[0].priority: priority 300 is out of range 1..255']]);
  });
});
