// The plugin as users get it (issue 13, section 1): one executable, a Node 24 single executable
// application, and its release tarball (scripts/package.ts; built here unless a build newer than its
// sources exists).
//   - It runs with neither Node nor this checkout: copied to a temporary directory and started with
//     `env -i PATH=/usr/bin:/bin` (no node there) and HOME elsewhere, in a mount namespace where the
//     checkout is hidden under an empty tmpfs, it prints its port, answers GetSchema at package.json's
//     version, and Check runs the runtime's validator (bundled into it).
//   - Run by hand (--help, an unknown option, a stray argument) it prints one line of usage and exits 1;
//     with the engine's own flags before the address it serves.
//   - The tarball holds the executable alone, at its root, and no PulumiPlugin.yaml.
//   - `pulumi plugin install resource keepalive <version> --file TARBALL` installs it into a temporary
//     PULUMI_HOME with no network (a network namespace with only loopback), and the installed plugin
//     answers the real CLI (`pulumi package get-schema`).
//   - What the CLI does with tarballs that are not a plugin: a file neither gzip nor executable, a
//     truncated tarball and a gzip that is no tar are refused and nothing is installed; a well-formed
//     tarball without the executable is taken by `plugin install` (the CLI does not look inside), and
//     the engine then refuses to use it, naming the executable it lacks.
//   - On a lab host with no Node, the executable's Host create uploads Node gzip-compressed (what
//     arrives is under half of the 126 MB binary) and the host unpacks it: the binary in place is the
//     one the plugin carries, byte for byte, and no .gz is left.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import providerProto from '@pulumi/pulumi/proto/provider_pb.js';
import { Lab } from './lab/lab.ts';
import { pulumiEngine } from './lab/pulumi.ts';
import { call, Deployment, startEngine, toStruct, urn } from './fixtures/provider/engine.ts';
import { hostInputs, leftoversOn, stopRuntimes } from './fixtures/provider/lab.ts';
import { freshPlugin, freshTarball, getSchema, pluginVersion, providerClient, runPlugin, stopPlugin, VERSION } from './fixtures/sea-plugin.ts';

const T = { timeout: 600_000 };
const ROOT = new URL('../', import.meta.url).pathname.replace(/\/$/, '');
const NODE = join(ROOT, 'node_modules/node/bin/node');
const USAGE = /^usage: pulumi-resource-keepalive ENGINE_ADDRESS .*\n$/;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('the plugin as one executable and its release tarball', () => {
  let plugin: string;
  let tarball: string;
  let work: string;
  let engine: Awaited<ReturnType<typeof startEngine>>;

  before(async () => {
    tarball = await freshTarball();
    plugin = await freshPlugin();
    work = mkdtempSync(join(tmpdir(), 'keepalive-plugin-'));
    engine = await startEngine();
  }, T);

  after(() => {
    engine?.server.forceShutdown();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('runs with no Node on PATH and the checkout hidden: prints its port, answers GetSchema, and Check runs the runtime validator', T, async () => {
    const dir = join(work, 'alone');
    mkdirSync(join(dir, 'home'), { recursive: true });
    const exe = join(dir, 'pulumi-resource-keepalive');
    copyFileSync(plugin, exe);
    const empty = join(dir, 'not-node');
    writeFileSync(empty, '', { mode: 0o644 });
    // A mount namespace of its own: the checkout (and its node_modules, the Node binary among them)
    // under an empty tmpfs, the machine's own node (Debian's, here) covered by an empty file that is
    // not executable; env -i leaves only PATH=/usr/bin:/bin and HOME.
    const isolated = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none "$1" || exit 1
for n in /usr/bin/node /bin/node /usr/local/bin/node; do [ ! -e "$n" ] || mount --bind "$2" "$n" || exit 1; done
home=$3; shift 3
exec env -i PATH=/usr/bin:/bin HOME="$home" "$@"`, 'sh', ROOT, empty, join(dir, 'home')];
    const look = spawnSync(isolated[0]!, [...isolated.slice(1), 'sh', '-c', 'command -v node; ls -A "$0" | wc -l; echo "$HOME"', ROOT], { encoding: 'utf8' });
    assert.equal(look.stdout, `0\n${join(dir, 'home')}\n`, `what the plugin would see: ${look.stdout} ${look.stderr}`);
    const running = await runPlugin(exe, [engine.address], { cwd: dir, env: {}, spawnVia: isolated });
    const client = providerClient(running.port);
    try {
      // The process is the executable itself, not a node running a script.
      const cmdline = readFileSync(`/proc/${running.child.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(cmdline[0] === exe, `the plugin process runs ${cmdline[0]}`);
      const schema = await getSchema(client);
      assert.equal(schema.name, 'keepalive');
      assert.equal(schema.version, VERSION);
      assert.deepEqual(Object.keys(schema.resources).sort(), ['keepalive:index:Host', 'keepalive:index:RealServer', 'keepalive:index:VirtualServer', 'keepalive:index:VrrpGroup']);
      assert.equal(await pluginVersion(client), VERSION);
      // Check runs the runtime's own validator: a member's priority 256 is its error.
      const check = async (type: string, name: string, news: Record<string, unknown>): Promise<{ inputs: Record<string, unknown>; failures: string[] }> => {
        const request = new providerProto.CheckRequest().setUrn(urn(type, name)).setName(name).setType(`keepalive:index:${type}`)
          .setOlds(toStruct({})).setNews(toStruct(news));
        const reply = await call<InstanceType<typeof providerProto.CheckResponse>>((done) => client.check(request, done));
        return { inputs: reply.getInputs()?.toJavaScript() ?? {}, failures: reply.getFailuresList().map((f) => `${f.getProperty()}: ${f.getReason()}`) };
      };
      assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]).status, 0);
      const host = await check('Host', 'h1', {
        address: '198.18.0.1', privateKey: readFileSync(join(dir, 'key'), 'utf8'), hostKey: readFileSync(join(dir, 'key.pub'), 'utf8').trim(), serviceManager: 'none',
      });
      assert.deepEqual(host.failures, []);
      const group = await check('VrrpGroup', 'vip', { vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'], members: [{ host: host.inputs.connection, priority: 256 }] });
      assert.deepEqual(group.failures, ['members[0].priority: priority 256 is out of range 1..255']);
      assert.equal(running.stderr(), '');
    } finally {
      client.close();
      await stopPlugin(running);
    }
  });

  test('run by hand: --help, an unknown option or a stray argument print one line of usage and exit 1; the engine\'s flags are served', T, async () => {
    for (const args of [['--help'], ['-h'], ['--frobnicate'], ['serve'], [engine.address, 'extra'], ['--tracing']]) {
      const result = spawnSync(plugin, args, { encoding: 'utf8', cwd: work, env: { PATH: '/usr/bin:/bin' }, timeout: 30_000 });
      assert.equal(result.status, 1, `${args.join(' ')}: exit ${result.status} ${result.stderr}`);
      assert.equal(result.stdout, '', `${args.join(' ')}: stdout`);
      assert.match(result.stderr, USAGE, `${args.join(' ')}: stderr`);
    }
    // How the engine starts it with --logflow and -v: its flags first, the address last.
    const running = await runPlugin(plugin, ['--logtostderr', '-v=9', '--tracing', '127.0.0.1:1', engine.address], { cwd: work, env: { PATH: '/usr/bin:/bin' } });
    const client = providerClient(running.port);
    try {
      assert.equal((await getSchema(client)).version, VERSION);
    } finally {
      client.close();
      await stopPlugin(running);
    }
  });

  test('the tarball holds the executable alone, at its root', T, () => {
    assert.equal(tarball.split('/').at(-1), `pulumi-resource-keepalive-v${VERSION}-linux-amd64.tar.gz`);
    const listing = spawnSync('tar', ['-tvzf', tarball], { encoding: 'utf8' });
    assert.equal(listing.status, 0, listing.stderr);
    const lines = listing.stdout.trim().split('\n');
    assert.equal(lines.length, 1, `entries: ${listing.stdout}`);
    assert.match(lines[0]!, /^-rwxr-xr-x \S+ +(\d+) .* pulumi-resource-keepalive$/);
    const dir = join(work, 'unpacked');
    mkdirSync(dir);
    assert.equal(spawnSync('tar', ['-xzf', tarball, '-C', dir]).status, 0);
    assert.equal(sha256(readFileSync(join(dir, 'pulumi-resource-keepalive'))), sha256(readFileSync(plugin)));
    rmSync(dir, { recursive: true });
  });

  describe('pulumi plugin install --file, offline, into a temporary PULUMI_HOME', () => {
    let bin: string;
    let home: string;
    /** The CLI in a network namespace of its own with only loopback up: nothing can come from a network. */
    const pulumi = (args: readonly string[]): { status: number | null; stdout: string; stderr: string } => {
      const result = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', join(bin, 'pulumi'), ...args], {
        encoding: 'utf8', cwd: work, timeout: 120_000, maxBuffer: 1 << 26,
        env: { PATH: `${bin}:/usr/bin:/bin`, HOME: join(work, 'cli-home'), PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: 'true', PULUMI_IGNORE_AMBIENT_PLUGINS: 'true' },
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const installed = (): { name: string; version: string }[] => {
      const ls = pulumi(['plugin', 'ls', '--json']);
      assert.equal(ls.status, 0, ls.stderr);
      return (JSON.parse(ls.stdout || '[]') as { name: string; version: string }[]).map(({ name, version }) => ({ name, version }));
    };

    before(async () => {
      bin = await pulumiEngine();
      home = join(work, 'pulumi-home');
      mkdirSync(join(work, 'cli-home'), { recursive: true });
    }, T);

    test('the release tarball installs and the installed plugin answers the CLI', T, () => {
      const install = pulumi(['plugin', 'install', 'resource', 'keepalive', VERSION, '--file', tarball]);
      assert.equal(install.status, 0, install.stderr);
      const dir = join(home, 'plugins', `resource-keepalive-v${VERSION}`);
      assert.equal(statSync(join(dir, 'pulumi-resource-keepalive')).size, statSync(plugin).size);
      assert.deepEqual(installed(), [{ name: 'keepalive', version: VERSION }]);
      // The CLI runs the installed plugin (and no other: PULUMI_IGNORE_AMBIENT_PLUGINS) for its schema.
      const schema = pulumi(['package', 'get-schema', `keepalive@${VERSION}`]);
      assert.equal(schema.status, 0, schema.stderr);
      const parsed = JSON.parse(schema.stdout) as { name: string; version: string };
      assert.equal(parsed.name, 'keepalive');
      assert.equal(parsed.version, VERSION);
    });

    test('tarballs that are not a plugin: refused, or, well-formed but without the executable, refused by the engine', T, () => {
      const junk = join(work, 'junk.tar.gz');
      writeFileSync(junk, 'this is not a plugin\n');
      let result = pulumi(['plugin', 'install', 'resource', 'keepalive', '9.0.1', '--file', junk]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /junk\.tar\.gz is not executable/);

      const truncated = join(work, 'truncated.tar.gz');
      const whole = readFileSync(tarball);
      writeFileSync(truncated, whole.subarray(0, 1 << 20));
      result = pulumi(['plugin', 'install', 'resource', 'keepalive', '9.0.2', '--file', truncated]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /unexpected EOF/);

      const notTar = join(work, 'not-tar.tar.gz');
      writeFileSync(notTar, spawnSync('gzip', ['-c'], { input: 'not a tar archive\n' }).stdout);
      result = pulumi(['plugin', 'install', 'resource', 'keepalive', '9.0.3', '--file', notTar]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /installing .*keepalive-9\.0\.3.*: /);
      assert.deepEqual(installed().map((p) => p.version).sort(), [VERSION], 'a refused install left a plugin behind');

      // A real tarball of something else: `plugin install` does not look inside, the engine does.
      const other = join(work, 'other');
      mkdirSync(other);
      writeFileSync(join(other, 'README'), 'no plugin here\n');
      const otherTarball = join(work, 'other.tar.gz');
      assert.equal(spawnSync('tar', ['-czf', otherTarball, '-C', other, 'README']).status, 0);
      result = pulumi(['plugin', 'install', 'resource', 'keepalive', '9.0.4', '--file', otherTarball]);
      assert.equal(result.status, 0, `the CLI now refuses a tarball without the executable (update this test): ${result.stderr}`);
      result = pulumi(['package', 'get-schema', 'keepalive@9.0.4']);
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /expected "keepalive" to have an executable named "pulumi-resource-keepalive"/);
    });
  });
});

describe('a fresh lab host gets its Node from the executable as gzip, unpacked there', () => {
  let lab: Lab;
  let engine: Awaited<ReturnType<typeof startEngine>>;
  let running: Awaited<ReturnType<typeof runPlugin>>;
  let client: ReturnType<typeof providerClient>;

  before(async () => {
    const plugin = await freshPlugin();
    lab = await Lab.create({ hosts: ['h1'] });
    engine = await startEngine();
    running = await runPlugin(plugin, [engine.address], { cwd: lab.dir, env: { PATH: '/usr/bin:/bin', HOME: lab.dir } });
    client = providerClient(running.port);
  }, T);

  after(async () => {
    client?.close();
    if (running) await stopPlugin(running);
    engine?.server.forceShutdown();
    if (lab) {
      await stopRuntimes(lab.hosts.values());
      await lab[Symbol.asyncDispose]();
    }
  });

  test('Host create: Node goes as .gz (< 63 MB on the wire for a 126 MB binary) and the host unpacks it', T, async () => {
    const host = lab.host('h1');
    /** Bytes the host has received on its interfaces (loopback aside). */
    const received = async (): Promise<number> => {
      const links = JSON.parse((await host.exec(['ip', '-j', '-s', 'link', 'show'])).stdout) as { ifname: string; stats64: { rx: { bytes: number } } }[];
      return links.filter((l) => l.ifname !== 'lo').reduce((sum, l) => sum + l.stats64.rx.bytes, 0);
    };
    const d = new Deployment(client, engine.logs);
    const before = await received();
    await d.up('Host', 'h1', hostInputs(host));
    const bytes = (await received()) - before;
    const nodeSize = statSync(NODE).size;
    assert.match(d.outputs('Host', 'h1').node as string, /^v24\.\d+\.\d+ \(\/opt\/keepalive\/node-v24\.\d+\.\d+-linux-x64\/bin\/node, uploaded\)$/);
    assert.ok(bytes < nodeSize / 2, `the host received ${bytes} bytes for a ${nodeSize}-byte Node: not compressed`);
    const version = (JSON.parse(readFileSync(join(ROOT, 'node_modules/node/package.json'), 'utf8')) as { version: string }).version;
    const bin = `/opt/keepalive/node-v${version}-linux-x64/bin`;
    assert.equal((await host.exec(['ls', '-A', bin])).stdout, 'node\n', 'what the unpacking left');
    assert.equal((await host.exec(['sha256sum', `${bin}/node`])).stdout.split(' ')[0], sha256(readFileSync(NODE)), 'the unpacked Node is not the binary the plugin carries');
    assert.equal((await host.exec(['/opt/keepalive/node', '--version'])).stdout.trim(), `v${version}`);
    assert.equal((await host.exec('ls -A /opt/keepalive | grep -c "^\\.partial" || true')).stdout.trim(), '0');
    process.stdout.write(`# fresh host: ${bytes} bytes received for the install (Node ${nodeSize} bytes unpacked)\n`);
    await d.destroy('Host', 'h1');
    assert.deepEqual(await leftoversOn(host), []);
  });
});
