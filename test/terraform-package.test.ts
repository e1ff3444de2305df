// The OpenTofu/Terraform provider as users get it: terraform-provider-keepalive_<version>_linux_amd64.zip
// (npm run package: scripts/build-plugin.ts --kind terraform, a Node 24 single executable), installed by
// the real OpenTofu from a provider mirror in the packed layout, the way a user's mirror serves it, and
// run with no Node on PATH, this checkout hidden and no network: init, the schema, and validation by
// the runtime's own validator, which the executable carries.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { withoutCheckout } from './lab/journey.ts';

const repo = resolve(import.meta.dirname, '..');
const VERSION = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const ZIP = join(repo, `dist/packages/terraform-provider-keepalive_${VERSION}_linux_amd64.zip`);
const EXECUTABLE = `terraform-provider-keepalive_v${VERSION}`;
const SOURCE = 'registry.opentofu.org/keepalive/keepalive';
const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

function run(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv = { PATH: SYSTEM_PATH }) {
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8', timeout: 120_000, env });
  if (result.error) throw result.error;
  return result;
}

describe('the OpenTofu provider as a zip, installed from a mirror', () => {
  let dir = '';
  let tofu = '';
  /** tofu in `dir`: no network, the checkout hidden, PATH naming nothing (no node), its own CLI configuration. */
  const tofuRun = (args: readonly string[]) => run(withoutCheckout(['unshare', '--net', 'env', '-i', 'PATH=/nonexistent', `HOME=${dir}`,
    `TF_CLI_CONFIG_FILE=${join(dir, 'tofurc')}`, 'CHECKPOINT_DISABLE=1', 'NO_COLOR=1', tofu, ...args]), join(dir, 'project'));

  before(() => {
    // npm run package (scripts/setup runs it) made the zip; OpenTofu is built or cached.
    assert.ok(existsSync(ZIP), `${ZIP} is missing: run npm run package`);
    const built = run([join(repo, 'scripts/opentofu')], repo, process.env);
    assert.equal(built.status, 0, built.stderr);
    tofu = join(built.stdout.trim().split('\n').at(-1)!, 'tofu');
    dir = mkdtempSync(join(tmpdir(), 'keepalive-tofu-zip-'));
    const mirror = join(dir, 'mirror', SOURCE);
    mkdirSync(mirror, { recursive: true });
    run(['cp', ZIP, mirror], dir);
    writeFileSync(join(dir, 'tofurc'), `provider_installation {
  filesystem_mirror {
    path    = "${join(dir, 'mirror')}"
    include = ["${SOURCE}"]
  }
  direct {
    exclude = ["${SOURCE}"]
  }
}
`);
    mkdirSync(join(dir, 'project'));
    const keygen = run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')], dir);
    assert.equal(keygen.status, 0, keygen.stderr);
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  test('the zip holds the executable alone, named as the registries name it, executable', () => {
    const listed = run(['python3', '-c', 'import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16), i.compress_type)', ZIP], dir);
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.stdout, `${EXECUTABLE} 0o100755 8\n`);
    assert.ok(statSync(ZIP).size < 100e6, `the zip is ${statSync(ZIP).size} bytes`);
  });

  test('init installs it from the packed mirror; the schema and the validator work with no Node, no checkout and no network', () => {
    const config = (priority: number): string => `terraform {
  required_providers {
    keepalive = { source = "keepalive/keepalive", version = "${VERSION}" }
  }
}

variable "private_key" {
  type      = string
  sensitive = true
}

resource "keepalive_host" "lb1" {
  address     = "198.18.0.1"
  private_key = var.private_key
  host_key    = "${readFileSync(join(dir, 'key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}"
}

resource "keepalive_vrrp_group" "vip" {
  vrid        = 51
  interface   = "eth0"
  virtual_ips = ["198.18.0.100/24"]
  members     = [{ host = keepalive_host.lb1.host_connection, priority = ${priority} }]
}
`;
    writeFileSync(join(dir, 'project/main.tf'), config(200));
    const init = tofuRun(['init', '-input=false']);
    assert.equal(init.status, 0, `${init.stdout}\n${init.stderr}`);
    assert.match(init.stdout, new RegExp(`Installing keepalive/keepalive v${VERSION.replaceAll('.', '\\.')}`));
    assert.match(readFileSync(join(dir, 'project/.terraform.lock.hcl'), 'utf8'), new RegExp(`provider "${SOURCE}" \\{\\n\\s+version\\s+= "${VERSION}"`));
    // What it installed is the zip's executable, unpacked, byte for byte.
    const installed = join(dir, 'project/.terraform/providers', SOURCE, VERSION, 'linux_amd64', EXECUTABLE);
    const zipped = run(['python3', '-c', 'import hashlib, sys, zipfile\nprint(hashlib.sha256(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])).hexdigest())', ZIP, EXECUTABLE], dir);
    assert.equal(zipped.stdout.trim(), createHash('sha256').update(readFileSync(installed)).digest('hex'));

    const schema = tofuRun(['providers', 'schema', '-json']);
    assert.equal(schema.status, 0, schema.stderr);
    const resources = JSON.parse(schema.stdout).provider_schemas[SOURCE].resource_schemas;
    assert.deepEqual(Object.keys(resources).sort(), ['keepalive_host', 'keepalive_real_server', 'keepalive_virtual_server', 'keepalive_vrrp_group']);

    const valid = tofuRun(['validate', '-json']);
    assert.equal(valid.status, 0, valid.stdout);
    writeFileSync(join(dir, 'project/main.tf'), config(300));
    const invalid = tofuRun(['validate', '-json']);
    assert.equal(invalid.status, 1, invalid.stdout);
    const diagnostics = (JSON.parse(invalid.stdout) as { diagnostics: { severity: string; summary: string }[] }).diagnostics;
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.summary]), [['error', 'members[0].priority: priority 300 is out of range 1..255']]);
  });
});
