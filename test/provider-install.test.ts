// What the provider installs, checked on this machine: the bundle and its launcher laid out as on a
// host (the launcher runs the bundle on the install directory's `node` link, `keepalive check` accepts
// an empty conf.d), the systemd unit accepted by `systemd-analyze verify` (required, never skipped),
// the Node binary picked by the host's CPU (and a clear refusal for a CPU with no binary here).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { elfArch, LAUNCHER, nodeBinaryFor, runtimeBundle, unameArch } from '../provider/core/bundle.ts';
import { hostPaths, systemdUnit } from '../provider/core/service.ts';

const dir = mkdtempSync(join(tmpdir(), 'keepalive-install-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the bundle laid out as on a host: the launcher runs it on the node link, through `current`', () => {
  const bundle = runtimeBundle();
  assert.deepEqual(bundle.files.map((f) => f.name), ['keepalive', 'keepalive-nodemailer.cjs', 'keepalive-prom-client.cjs', 'keepalive-yaml.cjs', 'keepalive.mjs', 'keepalive_socket.node']);
  assert.equal(bundle.files[0]!.content.toString(), LAUNCHER);
  assert.equal(bundle.id, bundle.hash.slice(0, 16));
  const install = join(dir, 'opt');
  mkdirSync(join(install, bundle.id), { recursive: true });
  for (const f of bundle.files) {
    writeFileSync(join(install, bundle.id, f.name), f.content);
    chmodSync(join(install, bundle.id, f.name), f.mode);
  }
  writeFileSync(join(install, bundle.id, 'manifest'), bundle.manifest);
  // The manifest is what `sha256sum -c` checks on the host after an upload.
  assert.equal(execFileSync('sha256sum', ['-c', '--quiet', 'manifest'], { cwd: join(install, bundle.id) }).toString(), '');
  symlinkSync(process.execPath, join(install, 'node'));
  symlinkSync(bundle.id, join(install, 'current'));
  const bin = join(install, 'current', 'keepalive');
  assert.equal(execFileSync(bin, ['--version']).toString(), '0.1.0\n');
  mkdirSync(join(dir, 'etc', 'conf.d'), { recursive: true });
  const check = spawnSync(bin, ['check', '-f', join(dir, 'etc', 'conf.d')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});

test('the systemd unit passes systemd-analyze verify', () => {
  // The only check of the systemd path, and scripts/setup installs systemd: a missing
  // systemd-analyze is a broken set-up, which must fail here rather than pass as a skip.
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  assert.equal(analyze.status, 0, `systemd-analyze does not run (${analyze.error?.message ?? analyze.stderr}): install the Debian package systemd, as scripts/setup does`);
  const paths = hostPaths({ installDir: join(dir, 'opt'), configDir: join(dir, 'etc') });
  const unit = join(dir, 'keepalive.service');
  writeFileSync(unit, systemdUnit(paths));
  const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  // verify exits 0 on settings it ignores, but says so on stderr: both must be clean.
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr, '');
  // It does catch a broken unit: the check is not vacuous.
  writeFileSync(unit, systemdUnit(paths).replace('KillMode=mixed', 'KillMode=gently'));
  assert.match(spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' }).stderr, /kill mode/);
});

test('the Node binary for a host is picked by its CPU; a CPU with no binary here is refused, saying what to install', () => {
  assert.equal(unameArch('x86_64'), 'x64');
  assert.equal(unameArch('aarch64'), 'arm64');
  assert.equal(unameArch('riscv64'), undefined);
  assert.equal(elfArch(process.execPath), process.arch === 'x64' ? 'x64' : 'arm64');
  const local = nodeBinaryFor(process.arch as 'x64', 'h1 (198.18.0.1)');
  assert.equal(elfArch(local.path), process.arch);
  assert.match(local.version, /^24\./);
  assert.equal(local.dirName, `node-v${local.version}-linux-${process.arch}`);
  const other = process.arch === 'x64' ? 'arm64' : 'x64';
  assert.throws(() => nodeBinaryFor(other, 'h9 (198.18.0.9)'), new RegExp(`h9 \\(198\\.18\\.0\\.9\\) is linux-${other} and has no Node >= 24, and no Node binary for linux-${other} is available to upload: install the registry package node-linux-${other}`));
});
