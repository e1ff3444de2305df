// A Host's install and uninstall on lab hosts with real sshd, through provider/core/install.ts as the
// provider's Host create and delete call it: a host whose own Node is 24 or newer gets no Node upload
// and its runtime runs on that Node; uninstall removes the install directory only where it carries
// keepalive's marker, and refuses, naming the directory, where it does not.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { runtimeBundle } from '../provider/core/bundle.ts';
import { installRuntime, uninstallRuntime } from '../provider/core/install.ts';
import type { HostConnection } from '../provider/core/schema.ts';
import { hostPaths, serviceShell } from '../provider/core/service.ts';
import { SshSession } from '../provider/core/ssh.ts';
import type { Host } from './lab/host.ts';
import { Lab } from './lab/lab.ts';
import { sessionTarget } from './lab/ssh.ts';
import { leftoversOn, runtimesIn, stopRuntimes } from './fixtures/provider/lab.ts';

const T = { timeout: 120_000 };
/** The project's own Node 24 (node_modules/.bin/node is a link to the binary the `node` package installed). */
const NODE24 = realpathSync(new URL('../node_modules/.bin/node', import.meta.url));
/** Where the tests install a host's own Node, as an operator would install one by hand. */
const OWN_NODE = '/opt/node24/bin/node';

function connection(host: Host, installDir = '/opt/keepalive'): HostConnection {
  return { name: host.name, ...sessionTarget(host.ssh!), installDir, configDir: '/etc/keepalive', serviceManager: 'none' };
}

/**
 * Gives a lab host its own Node 24, on the PATH of the commands the provider runs over SSH. sshd runs
 * them with root's shell, bash, which on Debian reads /etc/bash.bashrc for a command from sshd; the
 * line goes before that file's `return` for non-interactive shells. Each host has its own /etc and
 * /opt (overlays), so the machine and the other hosts keep the machine's Node (v20 here).
 */
async function giveOwnNode(host: Host): Promise<string> {
  await host.exec(['install', '-D', '-m', '0755', NODE24, OWN_NODE]);
  host.writeFile('/etc/bash.bashrc', `PATH=${OWN_NODE.replace(/\/node$/, '')}:$PATH\n${host.readFile('/etc/bash.bashrc')}`);
  return (await host.exec([OWN_NODE, '--version'])).stdout.trim();
}

describe('provider install on lab hosts', () => {
  let lab: Lab;
  before(async () => { lab = await Lab.create({ hosts: ['h1', 'h2'] }); });
  after(async () => {
    // Only a failed test leaves a runtime; the lab's teardown would stop it too (sshd gives it the lab's mark).
    if (lab) await stopRuntimes(lab.hosts.values());
    await lab?.[Symbol.asyncDispose]();
  });

  test('a host whose own Node is 24 or newer: no Node is uploaded, and the runtime runs on that Node', T, async () => {
    const h1 = lab.host('h1');
    const version = await giveOwnNode(h1);
    assert.match(version, /^v(2[4-9]|[3-9]\d)\./);
    const host = connection(h1);
    await using session = await SshSession.connect(sessionTarget(h1.ssh!));
    // The precondition, as the provider's probe sees it: that Node comes first on the SSH command's PATH.
    assert.equal((await session.exec('command -v node && node --version')).stdout, `${OWN_NODE}\n${version}\n`);

    const bundle = runtimeBundle();
    const result = await installRuntime(session, host, bundle);
    assert.equal(result.node, `${version} (${OWN_NODE})`);
    // Written: the bundle's files and its manifest, then the `node` and `current` links; a Node upload
    // would be one write more.
    assert.equal(result.writes, bundle.files.length + 1 + 2);
    assert.equal((await h1.exec('readlink /opt/keepalive/node')).stdout, `${OWN_NODE}\n`);
    assert.equal((await h1.exec('ls -A /opt/keepalive | LC_ALL=C sort')).stdout, `${['.keepalive-install', bundle.id, 'current', 'node'].sort().join('\n')}\n`);

    // The runtime, started as the provider starts it (an empty conf.d is a valid configuration), runs on that Node.
    const paths = hostPaths(host);
    const started = await session.exec(`${serviceShell(paths, 'none')}\nmkdir -p "$D" && start && runtime_pid`);
    assert.equal(started.code, 0, started.stderr);
    const pid = Number(started.stdout.trim());
    assert.deepEqual(runtimesIn(h1).map((p) => p.pid).filter((p) => p === pid), [pid]);
    assert.equal((await h1.exec(['readlink', `/proc/${pid}/exe`])).stdout, `${OWN_NODE}\n`);

    // Uninstall stops it gracefully and removes what the install made, but not the host's own Node.
    assert.deepEqual(await uninstallRuntime(session, host), { stop: 'graceful' });
    assert.deepEqual(await leftoversOn(h1), []);
    assert.equal((await h1.exec([OWN_NODE, '--version'])).stdout, `${version}\n`);
  });

  test('uninstall removes installDir only where it carries keepalive\'s marker', T, async () => {
    const h2 = lab.host('h2');
    // Its own Node spares the test a 126 MB upload; the install is otherwise the same.
    await giveOwnNode(h2);
    await using session = await SshSession.connect(sessionTarget(h2.ssh!));

    // A directory keepalive did not make, named as installDir: refused, and left as it was.
    await h2.exec('mkdir -p /opt/vendor/bin && echo tool > /opt/vendor/bin/tool');
    const vendor = connection(h2, '/opt/vendor');
    await assert.rejects(uninstallRuntime(session, vendor), {
      message: `removing keepalive from h2 (${vendor.address}) failed: keepalive-deploy: not removing /opt/vendor: keepalive did not make it (no /opt/vendor/.keepalive-install)`,
    });
    assert.equal(h2.readFile('/opt/vendor/bin/tool'), 'tool\n');

    // A real install carries the marker. Without it, the same install directory is refused too, before
    // anything is stopped: the runtime running from it keeps running.
    const host = connection(h2);
    await installRuntime(session, host, runtimeBundle());
    const started = await session.exec(`${serviceShell(hostPaths(host), 'none')}\nmkdir -p "$D" && start && runtime_pid`);
    assert.equal(started.code, 0, started.stderr);
    const pid = Number(started.stdout.trim());
    await h2.exec('rm /opt/keepalive/.keepalive-install');
    await assert.rejects(uninstallRuntime(session, host), /not removing \/opt\/keepalive: keepalive did not make it/);
    assert.equal((await h2.exec('test -x /opt/keepalive/current/keepalive', { allowFailure: true })).code, 0, 'the refused directory is intact');
    assert.deepEqual(runtimesIn(h2).map((p) => p.pid).filter((p) => p === pid), [pid], 'the refused uninstall stopped nothing');

    // Installing again puts the marker back (the activation always does), and then uninstall removes it.
    await installRuntime(session, host, runtimeBundle());
    assert.equal((await h2.exec('test -f /opt/keepalive/.keepalive-install', { allowFailure: true })).code, 0);
    assert.deepEqual(await uninstallRuntime(session, host), { stop: 'graceful' });
    assert.deepEqual(await leftoversOn(h2), []);
    assert.equal(h2.readFile('/opt/vendor/bin/tool'), 'tool\n');
  });
});
