// The lab itself, against the real kernel, sshd and nftables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Lab, leftovers } from './lab/lab.ts';
import { sessionTarget } from './lab/ssh.ts';
import { HostKeyMismatchError, SshSession } from '../provider/core/ssh.ts';
import { processGone } from './lab/processes.ts';
import { waitFor } from './lab/exec.ts';

const T = { timeout: 120_000 };

test('hosts have private /etc/keepalive, /opt, /run and hostname, and their own sshd with a pinned key', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'] });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  h1.writeFile('/etc/keepalive/only-h1.conf', 'h1\n');
  await h1.exec('echo h1 > /opt/marker && echo h1 > /run/marker');
  assert.equal((await h1.exec('cat /etc/keepalive/only-h1.conf /opt/marker /run/marker; hostname')).stdout, 'h1\nh1\nh1\nh1\n');
  assert.equal((await h2.exec('ls -A /etc/keepalive | grep -c . ; test ! -e /opt/marker && test ! -e /run/marker && hostname')).stdout, '0\nh2\n');
  assert.ok(!existsSync('/etc/keepalive') && !existsSync('/opt/marker'), 'nothing leaks into the machine itself');

  await using session = await SshSession.connect(sessionTarget(h2.ssh!));
  const over = await session.exec('hostname; cat /etc/keepalive/only-h1.conf 2>&1; ip -4 -br addr show dev eth0');
  assert.equal(over.stdout.split('\n')[0], 'h2');
  assert.match(over.stdout, /No such file/);
  assert.match(over.stdout, new RegExp(`eth0\\S*\\s+UP\\s+${h2.ipv4().replaceAll('.', '\\.')}/24`));

  // The client accepts only the generated host key: h1's key does not pass for h2.
  await assert.rejects(SshSession.connect({ ...sessionTarget(h2.ssh!), hostKey: h1.ssh!.hostKey }), HostKeyMismatchError);
});

test('hosts on one segment reach each other over IPv4 and IPv6; the root reaches them only through the lab link', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  await h1.exec(['ping', '-c', '1', '-W', '2', h2.ipv4()]);
  await h1.exec(['ping', '-6', '-c', '1', '-W', '2', h2.ipv6()]);
  const route = spawnSync('ip', ['-j', 'route', 'get', h1.ipv4()], { encoding: 'utf8' });
  assert.equal((JSON.parse(route.stdout) as { dev: string }[])[0]?.dev, lab.management?.link);
  // The root namespace holds exactly one lab address, and no IPv6 one.
  const addrs = JSON.parse(spawnSync('ip', ['-j', 'addr', 'show', 'dev', lab.management!.link], { encoding: 'utf8' }).stdout) as { addr_info: { local: string }[] }[];
  assert.deepEqual(addrs[0]?.addr_info.map((a) => a.local), [lab.management!.address]);
});

test('two segments: a host wired to both routes nothing between them, hosts on one do not see the other', T, async () => {
  await using lab = await Lab.create({ hosts: ['a', 'b', 'r'], segments: ['front', 'back'], wiring: { a: ['front'], b: ['back'] }, ssh: false, management: false });
  assert.deepEqual(lab.host('r').interfaces.map((i) => i.segment), ['front', 'back']);
  await lab.host('a').exec(['ping', '-c', '1', '-W', '2', lab.host('r').ipv4('front')]);
  await lab.host('b').exec(['ping', '-c', '1', '-W', '2', lab.host('r').ipv4('back')]);
  const cross = await lab.host('a').exec(['ping', '-c', '1', '-W', '1', lab.host('b').ipv4()], { allowFailure: true });
  assert.notEqual(cross.code, 0);
});

test('partition, heal, packet loss and link down are real faults', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const ping = (count: number, interval = '0.2') => h1.exec(['ping', '-n', '-q', '-c', String(count), '-i', interval, '-W', '1', h2.ipv4()], { allowFailure: true });
  const received = (out: string) => Number(/(\d+) received/.exec(out)?.[1]);

  await lab.partition('h2');
  assert.equal(received((await ping(3)).stdout), 0);
  await lab.heal('h2');
  assert.equal(received((await ping(3)).stdout), 3);

  // 50 % each way: about a quarter of 200 round trips survive (binomial, sd ~6).
  await lab.loss('h2', 50);
  const lossy = received((await ping(200, '0.01')).stdout);
  assert.ok(lossy >= 20 && lossy <= 90, `received ${lossy} of 200 with 50% loss each way`);
  await lab.heal('h2');

  await h2.setLink('eth0', 'down');
  assert.equal(received((await ping(2)).stdout), 0);
  await h2.setLink('eth0', 'up');
  assert.equal(received((await ping(2)).stdout), 2);
});

test('daemons run with a pid file and stop with TERM, or with KILL after a bounded wait', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const polite = await h1.startDaemon('polite', ['sleep', '300']);
  assert.equal(Number(h1.readFile('/run/polite.pid')), polite.pid);
  assert.equal(await polite.stop(), true);

  const stubborn = await h1.startDaemon('stubborn', ['sh', '-c', 'trap "" TERM; echo started; while :; do sleep 1; done']);
  await waitFor('the trap to be set', () => (stubborn.log().includes('started') ? true : undefined));
  const started = Date.now();
  assert.equal(await stubborn.stop(300), false, 'TERM is ignored, so KILL ends it');
  assert.ok(Date.now() - started < 3000);
  assert.ok(processGone(stubborn.pid));
});

test('the address watch and the capture see changes with timestamps', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const h1 = lab.host('h1');
  await using watch = await h1.watchAddresses();
  await using capture = await lab.capture();
  const before = Date.now();
  await h1.exec(['ip', 'addr', 'add', '198.18.0.99/24', 'dev', 'eth0']);
  const added = await watch.waitFor('198.18.0.99 added', (e) => e.address.startsWith('198.18.0.99/') && e.kind === 'added');
  assert.ok(added.time >= before - 5 && added.time <= Date.now() + 5, 'timestamped when it happened');
  await h1.exec(['arping', '-c', '1', '-U', '-I', 'eth0', '198.18.0.99']);
  const garp = await capture.waitFor('the gratuitous ARP', (f) => f.arp?.senderIp === '198.18.0.99');
  assert.equal(garp.from, 'h1');
  assert.equal(garp.arp?.senderMac, h1.iface().mac);
  await h1.exec(['ip', 'addr', 'del', '198.18.0.99/24', 'dev', 'eth0']);
  await watch.waitFor('198.18.0.99 deleted', (e) => e.address.startsWith('198.18.0.99/') && e.kind === 'deleted');
});

test('a process that dies without disposing its lab still leaves nothing behind', T, async () => {
  const script = `
    import { Lab } from './test/lab/lab.ts';
    const lab = await Lab.create({ hosts: ['x1', 'x2'] });
    await lab.host('x1').startDaemon('sleeper', ['sleep', '300']);
    console.log(lab.id);
    process.exit(3);`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
  assert.equal(child.status, 3, child.stderr);
  const id = child.stdout.trim();
  assert.match(id, /^[0-9a-f]{6}$/);
  const left = leftovers();
  assert.ok(!left.labs.includes(id) && !left.netns.some((n) => n.includes(id)) && !left.links.some((l) => l.includes(id)), JSON.stringify(left));
});

test('teardown ends every process in the lab\'s namespaces, also the sshd session of a client still connected', T, async () => {
  const lab = await Lab.create({ hosts: ['h1'] });
  await using session = await SshSession.connect(sessionTarget(lab.host('h1').ssh!));
  assert.equal((await session.exec('hostname')).stdout, 'h1\n');
  // sshd gives each connection's session process an environment of its own: no lab mark to find it by.
  const inside = spawnSync('ip', ['netns', 'pids', lab.host('h1').netns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  const sessions = inside.filter((pid) => /^sshd: root/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')));
  assert.ok(sessions.length > 0, `no sshd session among ${inside.join(', ')}`);
  lab.destroy();
  for (const pid of inside) assert.ok(processGone(pid), `process ${pid} of h1 outlived the lab`);
});

test('bad lab options are refused before anything is created', async () => {
  await assert.rejects(Lab.create({ hosts: ['H1'] }), /bad lab name/);
  await assert.rejects(Lab.create({ hosts: ['h1', 'h1'] }), /unique/);
  await assert.rejects(Lab.create({ hosts: ['h1'], wiring: { h1: ['nowhere'] } }), /unknown segment/);
  await assert.rejects(Lab.create({ hosts: ['h1'], management: false, ssh: true }), /ssh needs the management/);
});
