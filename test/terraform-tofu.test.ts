// The provider through the real OpenTofu (scripts/opentofu builds it from the Go module proxy, once;
// scripts/tofu runs it with this checkout's provider in a filesystem mirror), in a directory outside the
// checkout, as a user's: `tofu init` offline (in a network namespace of its own, with no network), the
// schema OpenTofu reads from the provider, and `tofu validate` of good and bad configurations. Nothing
// is deployed: no resource is planned or applied here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

const repo = resolve(import.meta.dirname, '..');
const tofu = join(repo, 'scripts/tofu');

function run(command: string, args: readonly string[], cwd: string, timeout = 120_000) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } });
  if (result.error) throw result.error;
  return result;
}

const PREAMBLE = `terraform {
  required_providers {
    keepalive = { source = "keepalive/keepalive" }
  }
}
`;

/** Two hosts, a group and a virtual server with one real server; `priority` and `kind` vary. */
function configuration(dir: string, { priority = 100, kind = 'TCP_CHECK', vip = '198.18.0.100/24' } = {}): string {
  return `${PREAMBLE}
resource "keepalive_host" "lb1" {
  address     = "198.18.0.1"
  private_key = file("${join(dir, 'key')}")
  host_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
}

resource "keepalive_host" "lb2" {
  address     = "198.18.0.2"
  private_key = file("${join(dir, 'key')}")
  host_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
}

resource "keepalive_vrrp_group" "vip" {
  vrid        = 51
  interface   = "eth0"
  virtual_ips = ["${vip}"]
  members = [
    { host = keepalive_host.lb1.host_connection, priority = 200 },
    { host = keepalive_host.lb2.host_connection, priority = ${priority} },
  ]
}

resource "keepalive_virtual_server" "web" {
  address      = "198.18.0.100"
  port         = 80
  directors    = [keepalive_host.lb1.host_connection, keepalive_host.lb2.host_connection]
  health_check = { kind = "${kind}", connect_timeout_ms = 2000 }
}

resource "keepalive_real_server" "rs1" {
  virtual_server = keepalive_virtual_server.web.ref
  address        = "198.18.1.10"
  weight         = 2
}
`;
}

interface Diagnostic { severity: string; summary: string; detail: string }

describe('OpenTofu with the keepalive provider', () => {
  let dir = '';

  before(() => {
    // Built (minutes) or found in the cache (a second), with the network, before anything runs without it.
    const built = run(join(repo, 'scripts/opentofu'), [], repo, 30 * 60_000);
    assert.equal(built.status, 0, built.stderr);
    dir = mkdtempSync(join(tmpdir(), 'keepalive-tofu-'));
    const keygen = run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')], dir);
    assert.equal(keygen.status, 0, keygen.stderr);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function validate(config: string): { status: number | null; valid: boolean; diagnostics: Diagnostic[] } {
    writeFileSync(join(dir, 'main.tf'), config);
    const result = run(tofu, ['validate', '-json'], dir);
    const report = JSON.parse(result.stdout) as { valid: boolean; diagnostics: Diagnostic[] };
    return { status: result.status, valid: report.valid, diagnostics: report.diagnostics };
  }

  test('init installs the provider from the mirror with no network at all', () => {
    writeFileSync(join(dir, 'main.tf'), PREAMBLE);
    // A network namespace of its own: only a loopback, down. Nothing could be downloaded.
    const result = run('unshare', ['--net', tofu, 'init', '-input=false', '-no-color'], dir);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /Installing keepalive\/keepalive v0\.1\.0/);
    assert.match(result.stdout, /OpenTofu has been successfully initialized/);
    const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8');
    assert.match(lock, /provider "registry\.opentofu\.org\/keepalive\/keepalive" \{\n\s+version = "0\.1\.0"/);
    assert.ok(existsSync(join(dir, '.terraform/providers/registry.opentofu.org/keepalive/keepalive/0.1.0/linux_amd64')));
  });

  test('providers schema -json: the four resources, the private key sensitive', () => {
    const result = run(tofu, ['providers', 'schema', '-json'], dir);
    assert.equal(result.status, 0, result.stderr);
    const schema = JSON.parse(result.stdout).provider_schemas['registry.opentofu.org/keepalive/keepalive'];
    assert.deepEqual(Object.keys(schema.resource_schemas).sort(), ['keepalive_host', 'keepalive_real_server', 'keepalive_virtual_server', 'keepalive_vrrp_group']);
    const host = schema.resource_schemas.keepalive_host.block.attributes;
    assert.equal(host.private_key.sensitive, true);
    assert.equal(host.private_key.required, true);
    assert.equal(host.host_connection.nested_type.attributes.private_key.sensitive, true);
    assert.equal(host.host_connection.computed, true);
    const members = schema.resource_schemas.keepalive_vrrp_group.block.attributes.members;
    assert.equal(members.nested_type.nesting_mode, 'list');
    assert.equal(members.nested_type.attributes.host.nested_type.attributes.private_key.sensitive, true);
    assert.match(members.nested_type.attributes.priority.description, /^The VRRP priority, 1 to 255/);
  });

  test('validate: a valid configuration', () => {
    const result = validate(configuration(dir));
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.valid, true);
    assert.equal(result.status, 0);
  });

  test('validate: a priority of 300 fails, naming the attribute path', () => {
    const result = validate(configuration(dir, { priority: 300 }));
    assert.equal(result.status, 1);
    assert.equal(result.valid, false);
    assert.deepEqual(result.diagnostics.map((d) => [d.severity, d.summary]), [['error', 'members[1].priority: priority 300 is out of range 1..255']]);
  });

  test('validate: an unknown health-check kind fails, naming the attribute path', () => {
    const result = validate(configuration(dir, { kind: 'FOO_CHECK' }));
    assert.equal(result.status, 1);
    assert.equal(result.diagnostics.length, 1, JSON.stringify(result.diagnostics));
    assert.equal(result.diagnostics[0]!.severity, 'error');
    assert.match(result.diagnostics[0]!.summary, /^health_check\.kind: .*kind must be one of TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK, SMTP_CHECK/);
  });

  test('validate: a VIP that is not an address fails, naming the attribute path', () => {
    const result = validate(configuration(dir, { vip: 'not-an-ip' }));
    assert.equal(result.status, 1);
    assert.deepEqual(result.diagnostics.map((d) => d.summary), ['virtual_ips[0]: "not-an-ip" is not an IP address']);
  });
});
