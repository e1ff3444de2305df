// keepalived's net_namespace: a runtime started in this machine's own namespace runs its VRRP in the
// named one (a lab host's, made by `ip netns add`), where the VIP then appears; the machine's own
// namespace never sees it. A reload that names another namespace is refused, the running one kept.
// A namespace that does not exist stops the start with the reason and the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { KEEPALIVE_CLI as CLI, renderVrrpConf } from './lab/implementations.ts';
import { waitForSoleHolder } from './lab/vrrp.ts';
import { stopProcess } from './lab/processes.ts';

test('net_namespace: the runtime enters the named namespace; the VIP is there, not here; a reload cannot move it', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const dir = mkdtempSync(`${tmpdir()}/keepalive-netns-`);
  const file = `${dir}/keepalived.conf`;
  const conf = (namespace: string): string => `net_namespace ${namespace}\n${renderVrrpConf({ routerId: 'h1', version: 3, vrid: 51, interfaceName: 'eth0', priority: 100, advertInt: 0.1, vips: [`${vip}/24`] })}`;
  writeFileSync(file, conf(h1.netns));
  // Started here, in the machine's namespace, where there is no eth0 of the lab's.
  const runtime = spawn(process.execPath, [CLI, 'run', '-f', file, '--state-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  runtime.stdout.on('data', (b: Buffer) => { log += b; });
  runtime.stderr.on('data', (b: Buffer) => { log += b; });
  try {
    await waitForSoleHolder([h1], vip, 'h1', 15_000).catch((error: Error) => { throw new Error(`${error.message}\n${log}`); });
    assert.match(log, new RegExp(`running in network namespace ${h1.netns}`));
    const here = spawnSync('ip', ['-j', 'address', 'show'], { encoding: 'utf8' });
    assert.ok(!here.stdout.includes(`"${vip}"`), 'the machine\'s own namespace does not have the VIP');

    writeFileSync(file, conf(`${h1.netns}-other`));
    const reload = spawnSync(process.execPath, [CLI, 'reload', '--state-dir', dir], { encoding: 'utf8' });
    assert.notEqual(reload.status, 0, 'the reload is refused');
    assert.match(reload.stderr + reload.stdout, /net_namespace cannot change on a reload \(running in \S+, the configuration says \S+-other\)/);
    await waitForSoleHolder([h1], vip, 'h1', 5_000);
  } finally {
    if (runtime.pid !== undefined && runtime.exitCode === null) await stopProcess(runtime.pid);
    rmSync(dir, { recursive: true, force: true });
  }

  // A namespace that is not there: the start stops, naming the path and `ip netns add`.
  const missing = mkdtempSync(`${tmpdir()}/keepalive-netns-`);
  try {
    writeFileSync(`${missing}/keepalived.conf`, conf('keepalive-no-such-namespace'));
    const r = spawnSync(process.execPath, [CLI, 'run', '-f', `${missing}/keepalived.conf`, '--state-dir', missing], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /net_namespace keepalive-no-such-namespace: \/run\/netns\/keepalive-no-such-namespace cannot be opened \(ENOENT\); create the namespace with: ip netns add keepalive-no-such-namespace/);
  } finally {
    rmSync(missing, { recursive: true, force: true });
  }
});
