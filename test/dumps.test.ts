// keepalived's dumps, for the tools that signal it (issue 16, section 2): keepalive answers the same
// signals with the same files as Debian's keepalived 2.2.7, and `keepalive --signum` gives the same
// numbers as `keepalived --signum`.
//
// The lab runs keepalived (h1) and keepalive (h2) with one configuration (two instances, a sync
// group, a vrrp_script, a track_file, virtual and static routes, rules and addresses), each on a
// segment of its own with a keepalived peer (p1, p2) that wins VI_2: on both, VI_1 is master and
// VI_2 backup, so the dumps show the same states. Each is signalled (DATA, STATS, JSON, STATS_CLEAR) and the layouts of
// their dumps are compared: the sections and the keys of every line in order, the JSON's fields,
// not the values that legitimately differ (PIDs, times, descriptors, addresses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { run, waitFor } from './lab/exec.ts';
import type { Host } from './lab/host.ts';
import { KEEPALIVE_CLI, KEEPALIVE_STATE_DIR } from './lab/implementations.ts';
import { layoutKeys, sectionKeys } from './unit/dump-layout.ts';
import { signalNumber, SIGNAL_FUNCTIONS } from '../runtime/src/dumps/signals.ts';
import { realtimeSignals } from '../runtime/src/net/native.ts';

test('keepalive --signum=NAME prints the numbers keepalived --signum=NAME prints', async () => {
  for (const name of [...SIGNAL_FUNCTIONS, 'TDUMP', 'nonsense']) {
    const theirs = await run(['keepalived', `--signum=${name}`], { allowFailure: true });
    const ours = await run([process.execPath, KEEPALIVE_CLI, `--signum=${name}`], { allowFailure: true });
    assert.deepEqual({ code: ours.code, stdout: ours.stdout, stderr: ours.stderr }, { code: theirs.code, stdout: theirs.stdout, stderr: theirs.stderr }, name);
  }
  // And the space-separated form getopt takes too.
  assert.equal((await run([process.execPath, KEEPALIVE_CLI, '--signum', 'JSON'])).stdout, `${signalNumber('JSON', realtimeSignals())}\n`);
});

/** Where each host's daemon writes its dumps ($TMPDIR): in the host's private /run, as the lab's /tmp is shared. */
const DUMPS = '/run/dumps';

function config(vips: { vip1: string; vip2: string; excluded: string }, priorities: { vi1: number; vi2: number }, trackFile: string): string {
  const { vip1, vip2, excluded } = vips;
  return `global_defs {
  router_id dumps
}
static_ipaddress {
  198.19.249.1/32 dev eth0
}
static_routes {
  198.19.253.0/24 dev eth0
}
static_rules {
  from 198.19.249.1/32 table 101 priority 101
}
vrrp_script chk {
  script "/bin/true"
  interval 1
  weight -10
}
track_file maintenance {
  file ${trackFile}
  weight 1
}
vrrp_sync_group G1 {
  group {
    VI_2
  }
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority ${priorities.vi1}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    ${vip1}/24
  }
  virtual_routes {
    198.19.250.0/24 dev eth0 table 100
    blackhole 198.19.252.0/24
  }
  virtual_rules {
    from ${vip1}/32 table 100 priority 100
  }
  track_script {
    chk
  }
  track_file {
    maintenance
  }
  track_interface {
    eth0
  }
  notify_master "/bin/true master"
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority ${priorities.vi2}
  advert_int 0.1
  version 3
  nopreempt
  virtual_ipaddress {
    ${vip2}/24
  }
  virtual_ipaddress_excluded {
    ${excluded}/32
  }
}
`;
}

/** keepalived in the host, with its dumps in DUMPS. */
function startKeepalived(host: Host, text: string) {
  host.writeFile('/etc/keepalived/keepalived.conf', text);
  return host.startDaemon('keepalived', ['env', `TMPDIR=${DUMPS}`, 'keepalived', '-n', '-l', '-D', '-G', '-P', '-f', '/etc/keepalived/keepalived.conf',
    '-p', '/run/keepalived.pid', '-r', '/run/keepalived_vrrp.pid', '-c', '/run/keepalived_checkers.pid'], { pidFile: '/run/keepalived.pid' });
}

function startKeepalive(host: Host, text: string) {
  host.writeFile('/etc/keepalive/keepalived.conf', text);
  return host.startDaemon('keepalive', ['env', `TMPDIR=${DUMPS}`, process.execPath, KEEPALIVE_CLI, 'run', '-f', '/etc/keepalive/keepalived.conf',
    '--state-dir', KEEPALIVE_STATE_DIR], { pidFile: `${KEEPALIVE_STATE_DIR}/keepalive.pid` });
}

/**
 * Signals the daemon's main process (what its pid file names) and waits for the dump it writes anew:
 * a new file, renamed over the old one (both write a temporary file and rename it), so a new inode.
 */
async function signalFor(host: Host, pidFile: string, name: (typeof SIGNAL_FUNCTIONS)[number], file: string): Promise<{ text: string; ms: number }> {
  const path = host.path(`${DUMPS}/${file}`);
  const inode = (): number | undefined => { try { return statSync(path).ino; } catch { return undefined; } };
  const before = inode();
  const pid = Number(host.readFile(pidFile).trim());
  const sent = performance.now();
  process.kill(pid, signalNumber(name, realtimeSignals())!);
  await waitFor(`${file} from ${name} on ${host.name}`, () => {
    const now = inode();
    return now !== undefined && now !== before ? true : undefined;
  }, { timeoutMs: 5_000, intervalMs: 2 });
  return { text: host.readFile(`${DUMPS}/${file}`), ms: performance.now() - sent };
}

const instanceState = (data: string, name: string): string | undefined =>
  new RegExp(`^ VRRP Instance = ${name}\\n(?:   .*\\n)*?   State = (\\w+)`, 'm').exec(data)?.[1];

test('the data, stats and JSON dumps have keepalived\'s layout, and STATS_CLEAR clears the counters', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({
    hosts: ['h1', 'p1', 'h2', 'p2'], segments: ['one', 'two'], wiring: { h1: ['one'], p1: ['one'], h2: ['two'], p2: ['two'] }, ssh: false, management: false,
  });
  const net = lab.segment('one').subnets.v4;
  const vips = { vip1: addressIn(net, 100), vip2: addressIn(net, 101), excluded: addressIn(net, 102) };
  const trackFile = '/run/maintenance';
  const [kd, ka] = [lab.host('h1'), lab.host('h2')];
  for (const h of [kd, ka]) {
    await h.exec(['mkdir', '-p', DUMPS]);
    h.writeFile(trackFile, '0\n');
  }
  // The peers win VI_2 and leave VI_1 alone.
  for (const p of [lab.host('p1'), lab.host('p2')]) {
    p.writeFile(trackFile, '0\n');
    await startKeepalived(p, config(vips, { vi1: 50, vi2: 150 }, trackFile).replace('  state MASTER\n', ''));
  }
  const same = config(vips, { vi1: 100, vi2: 100 }, trackFile);
  const theirs = { host: kd, pidFile: '/run/keepalived.pid', daemon: await startKeepalived(kd, same) };
  const ours = { host: ka, pidFile: `${KEEPALIVE_STATE_DIR}/keepalive.pid`, daemon: await startKeepalive(ka, same) };

  // Both settled: VI_1 master, VI_2 backup to its peer, the script run.
  const settled = async (side: typeof ours): Promise<string> => waitFor(`${side.host.name} settled`, async () => {
    const { text } = await signalFor(side.host, side.pidFile, 'DATA', 'keepalived.data');
    return instanceState(text, 'VI_1') === 'MASTER' && instanceState(text, 'VI_2') === 'BACKUP' && /Status = GOOD/.test(text) ? text : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
  const [theirData, ourData] = await Promise.all([settled(theirs), settled(ours)]);

  const theirSections = sectionKeys(theirData);
  const ourSections = sectionKeys(ourData);
  assert.deepEqual([...ourSections.keys()], [...theirSections.keys()], 'the sections, in order');
  for (const [section, keys] of theirSections) assert.deepEqual(ourSections.get(section), keys, `the keys of ${section}`);

  const [theirStats, ourStats] = await Promise.all([theirs, ours].map((s) => signalFor(s.host, s.pidFile, 'STATS', 'keepalived.stats')));
  assert.deepEqual(layoutKeys(ourStats!.text), layoutKeys(theirStats!.text), 'the stats dump\'s keys');
  assert.match(ourStats!.text, /^VRRP Instance: VI_1\n  Advertisements:\n    Received: \d+\n    Sent: [1-9]\d*\n  Became master: 1\n/);

  const [theirJson, ourJson] = await Promise.all([theirs, ours].map((s) => signalFor(s.host, s.pidFile, 'JSON', 'keepalived.json')));
  const fields = (text: string) => (JSON.parse(text) as { data: object; stats: object }[]).map((e) => ({ entry: Object.keys(e), data: Object.keys(e.data), stats: Object.keys(e.stats) }));
  assert.deepEqual(fields(ourJson!.text), fields(theirJson!.text), 'version 1: an array of {data, stats} with keepalived\'s fields, in its order');

  // STATS_CLEAR writes the stats, then clears them: the next STATS counts from zero, as keepalived's does.
  const received = (stats: string, name: string): number => Number(new RegExp(`VRRP Instance: ${name}\\n  Advertisements:\\n    Received: (\\d+)`).exec(stats)![1]);
  for (const side of [theirs, ours]) {
    const cleared = await signalFor(side.host, side.pidFile, 'STATS_CLEAR', 'keepalived.stats');
    assert.match(cleared.text, /VRRP Instance: VI_1\n(?:.*\n){3}  Became master: 1\n/, `${side.host.name}: the counters as they were`);
    const after = await signalFor(side.host, side.pidFile, 'STATS', 'keepalived.stats');
    assert.match(after.text, /VRRP Instance: VI_1\n(?:.*\n){3}  Became master: 0\n/, `${side.host.name}: cleared`);
    assert.ok(received(after.text, 'VI_2') < received(cleared.text, 'VI_2'), `${side.host.name}: VI_2's adverts counted anew (${received(cleared.text, 'VI_2')}, then ${received(after.text, 'VI_2')})`);
  }

  // Written whole and renamed: nothing but the three files, readable by root alone.
  const files = readdirSync(ka.path(DUMPS)).sort();
  assert.deepEqual(files, ['keepalived.data', 'keepalived.json', 'keepalived.stats']);
  for (const f of files) assert.equal(statSync(ka.path(`${DUMPS}/${f}`)).mode & 0o777, 0o600, f);
  const { ms } = await signalFor(ka, ours.pidFile, 'DATA', 'keepalived.data');
  console.log(`keepalive wrote keepalived.data ${ms.toFixed(1)} ms after the signal`);
  await Promise.all([ours.daemon.stop(), theirs.daemon.stop()]);
});
