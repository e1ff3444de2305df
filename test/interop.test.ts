// keepalive and Debian's keepalived in one VRRP group, driven by the same keepalived.conf syntax: they
// must elect the master the RFC names and fail over between each other, whichever side is which.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { keepalive, keepalived, keepaliveStatus, renderVrrpConf, type VrrpImplementation, type VrrpInstanceOptions } from './lab/implementations.ts';
import { advertisersOver, holders, lastAdvertBefore, nextAdvert, waitForSoleHolder } from './lab/vrrp.ts';
import { waitFor } from './lab/exec.ts';
import { ipToBytes } from '../runtime/src/net/ip.ts';
import { vrrpInstances } from '../runtime/src/control/status.ts';

const T = { timeout: 240_000 };
const VRID = 42;

interface Member { impl: VrrpImplementation; priority: number }

interface GroupOptions { version: 2 | 3; advertInt: number; family?: 4 | 6; unicast?: boolean; auth?: { type: 'PASS' | 'AH'; password: string } }

async function group(members: [Member, Member], options: GroupOptions) {
  const lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false });
  const hosts = [lab.host('h1'), lab.host('h2')];
  const seg = lab.segment();
  const vip = options.family === 6 ? addressIn(seg.subnets.v6, 0x100) : addressIn(seg.subnets.v4, 100);
  const capture = await lab.capture();
  /** Member k's configuration, with `over` changing what the group's options say. */
  const conf = (k: number, over: Partial<VrrpInstanceOptions> = {}): string => {
    const me = hosts[k]!;
    const peer = hosts[1 - k]!;
    const o: VrrpInstanceOptions = {
      routerId: me.name, version: options.version, vrid: VRID, interfaceName: 'eth0', priority: members[k]!.priority,
      advertInt: options.advertInt, vips: [`${vip}/${options.family === 6 ? 64 : 24}`],
      ...(options.unicast ? {
        unicast: options.family === 6 ? { source: me.ipv6(), peers: [peer.ipv6()] } : { source: me.ipv4(), peers: [peer.ipv4()] },
      } : {}),
      ...(options.auth ? { authType: options.auth.type, password: options.auth.password } : {}),
      ...over,
    };
    return renderVrrpConf(o);
  };
  const daemons = await Promise.all(members.map((m, k) => m.impl.start(hosts[k]!, conf(k))));
  return { lab, hosts, vip, capture, daemons, conf, [Symbol.asyncDispose]: async () => { await capture.stop(); lab.destroy(); } };
}

for (const [first, second] of [[keepalive, keepalived], [keepalived, keepalive]] as const) {
  test(`v3 IPv4 multicast: ${first.name} (200) and ${second.name} (100) agree; TERM, KILL and a partition hand over and back`, T, async () => {
    await using g = await group([{ impl: first, priority: 200 }, { impl: second, priority: 100 }], { version: 3, advertInt: 0.1 });
    await waitForSoleHolder(g.hosts, g.vip, 'h1');
    // Both started at once, so h2 may have been master for a moment; it dropped the VIP when it
    // stepped down, so from here on only h1 advertises, over more than h2's Master_Down_Interval.
    assert.deepEqual(await advertisersOver(g.capture, VRID, 'h1', Date.now(), 5), ['h1']);
    const advert = await nextAdvert(g.capture, VRID, 'h1', Date.now());
    assert.equal(advert.ttl, 255);
    assert.equal(advert.vrrp?.checksum, 'good');

    const termAt = g.daemons[0]!.signal('SIGTERM');
    await g.capture.waitFor('a priority-0 advert from h1', (f) => f.from === 'h1' && f.vrrp?.priority === 0 && f.time >= termAt - 1);
    await waitForSoleHolder(g.hosts, g.vip, 'h2');
    await g.daemons[0]!.exited();
    g.daemons[0] = await first.start(g.hosts[0]!, g.conf(0));
    await waitForSoleHolder(g.hosts, g.vip, 'h1');

    const killAt = g.daemons[0]!.signalGroup('SIGKILL');
    await g.daemons[0]!.exited();
    await nextAdvert(g.capture, VRID, 'h2', killAt);
    await waitFor('h2 to hold the VIP', async () => ((await holders(g.hosts, g.vip)).includes('h2') ? true : undefined));
    g.daemons[0] = await first.start(g.hosts[0]!, g.conf(0));
    await waitForSoleHolder(g.hosts, g.vip, 'h1');

    await g.lab.partition('h1');
    await waitFor('h2 to hold the VIP', async () => ((await holders(g.hosts, g.vip)).includes('h2') ? true : undefined));
    await g.lab.heal('h1');
    await waitForSoleHolder(g.hosts, g.vip, 'h1');
    assert.deepEqual(await advertisersOver(g.capture, VRID, 'h1', Date.now(), 5), ['h1'], 'exactly one master after the heal');
  });
}

test('v2 IPv4 at advert_int 1: keepalived (150) wins over keepalive (100), and keepalive takes over on KILL', T, async () => {
  await using g = await group([{ impl: keepalived, priority: 150 }, { impl: keepalive, priority: 100 }], { version: 2, advertInt: 1 });
  await waitForSoleHolder(g.hosts, g.vip, 'h1', 20_000);
  const killAt = g.daemons[0]!.signalGroup('SIGKILL');
  const first = await nextAdvert(g.capture, VRID, 'h2', killAt, 10_000);
  assert.equal(first.vrrp?.version, 2);
  assert.equal(first.vrrp?.priority, 100);
  await waitFor('h2 to hold the VIP', async () => ((await holders(g.hosts, g.vip)).includes('h2') ? true : undefined));
});

test('v3 IPv6: keepalive (200) and keepalived (100) elect keepalive; the VIP moves to keepalived on TERM', T, async () => {
  await using g = await group([{ impl: keepalive, priority: 200 }, { impl: keepalived, priority: 100 }], { version: 3, advertInt: 0.1, family: 6 });
  await waitForSoleHolder(g.hosts, g.vip, 'h1');
  const advert = await nextAdvert(g.capture, VRID, 'h1', Date.now());
  assert.equal(advert.ipDst, 'ff02::12');
  assert.equal(advert.ttl, 255);
  assert.equal(advert.vrrp?.checksum, 'good');
  assert.deepEqual(advert.vrrp?.addresses, [g.vip]);
  g.daemons[0]!.signal('SIGTERM');
  await waitForSoleHolder(g.hosts, g.vip, 'h2');
});

test('v3 unicast: keepalived (200) and keepalive (100) agree over unicast peers, and keepalive takes over on partition', T, async () => {
  await using g = await group([{ impl: keepalived, priority: 200 }, { impl: keepalive, priority: 100 }], { version: 3, advertInt: 0.1, unicast: true });
  await waitForSoleHolder(g.hosts, g.vip, 'h1');
  const advert = await nextAdvert(g.capture, VRID, 'h1', Date.now());
  assert.equal(advert.ipDst, g.hosts[1]!.ipv4());
  await g.lab.partition('h1');
  await waitFor('h2 to hold the VIP', async () => ((await holders(g.hosts, g.vip)).includes('h2') ? true : undefined));
  await g.lab.heal('h1');
  await waitForSoleHolder(g.hosts, g.vip, 'h1');
});

test('v3 IPv6 unicast: keepalive (200) and keepalived (100) agree between global addresses; keepalived takes over on KILL', T, async () => {
  await using g = await group([{ impl: keepalive, priority: 200 }, { impl: keepalived, priority: 100 }], { version: 3, advertInt: 0.1, family: 6, unicast: true });
  await waitForSoleHolder(g.hosts, g.vip, 'h1');
  const advert = await nextAdvert(g.capture, VRID, 'h1', Date.now());
  assert.equal(advert.ipSrc, g.hosts[0]!.ipv6());
  assert.equal(advert.ipDst, g.hosts[1]!.ipv6());
  assert.equal(advert.vrrp?.checksum, 'good');
  const killAt = g.daemons[0]!.signalGroup('SIGKILL');
  await nextAdvert(g.capture, VRID, 'h2', killAt);
  await waitFor('h2 to hold the VIP', async () => ((await holders(g.hosts, g.vip)).includes('h2') ? true : undefined));
});

test('equal priorities: when both are master at once, the higher primary address keeps it, across implementations', T, async () => {
  for (const [low, high] of [[keepalive, keepalived], [keepalived, keepalive]] as const) {
    await using g = await group([{ impl: low, priority: 100 }, { impl: high, priority: 100 }], { version: 3, advertInt: 0.1 });
    // Partitioned apart, each elects itself; healed, the two masters hear each other.
    await g.lab.partition('h1');
    await waitFor('both to be master', async () => ((await holders(g.hosts, g.vip)).length === 2 ? true : undefined));
    await g.lab.heal('h1');
    await waitForSoleHolder(g.hosts, g.vip, 'h2');
  }
});

const AH_SENDER = fileURLToPath(new URL('./fixtures/vrrp-ah-sender.ts', import.meta.url));

test('v2 auth_type AH: keepalive (200) and keepalived (100) agree and hand over both ways; replayed, forged and wrongly keyed adverts are counted and elect nothing', T, async (t) => {
  await using g = await group([{ impl: keepalive, priority: 200 }, { impl: keepalived, priority: 100 }], { version: 2, advertInt: 1, auth: { type: 'AH', password: 'secret' } });
  const h1 = g.hosts[0]!;
  const h2 = g.hosts[1]!;
  await waitForSoleHolder(g.hosts, g.vip, 'h1', 20_000);
  // On the wire: IP protocol 51 whose SPI is the sender's address, one sequence number per advert,
  // and inside it a VRRPv2 advert of auth type 2 with a good checksum.
  const first = await nextAdvert(g.capture, VRID, 'h1', Date.now());
  const second = await nextAdvert(g.capture, VRID, 'h1', first.time);
  assert.deepEqual(first.ah, { spi: ipToBytes(h1.ipv4()).readUInt32BE(0), sequence: first.ah!.sequence });
  assert.equal(second.ah?.sequence, first.ah!.sequence + 1);
  assert.equal(first.ttl, 255);
  assert.equal(first.vrrp?.version, 2);
  assert.equal(first.vrrp?.authType, 2);
  assert.equal(first.vrrp?.checksum, 'good');

  // keepalive resigns: keepalived accepts its priority-0 advert and takes over after Skew_Time
  // (0.61 s at priority 100), not after Master_Down_Interval (3.61 s), which it would wait out had
  // it dropped the advert.
  const termAt = g.daemons[0]!.signal('SIGTERM');
  const resigned = await g.capture.waitFor('a priority-0 advert from h1', (f) => f.from === 'h1' && f.vrrp?.priority === 0 && f.time >= termAt - 1);
  assert.ok(resigned.ah, 'the resignation is under AH too');
  const takeover = await nextAdvert(g.capture, VRID, 'h2', resigned.time);
  t.diagnostic(`keepalived took over ${(takeover.time - resigned.time).toFixed(0)} ms after keepalive resigned`);
  assert.ok(takeover.time - resigned.time < 3_000, `keepalived took over ${takeover.time - resigned.time} ms after the resignation: it did not accept it`);
  await waitForSoleHolder(g.hosts, g.vip, 'h2');
  await g.daemons[0]!.exited();

  // keepalive comes back (from sequence number 0): it follows keepalived's numbers, preempts, and
  // keepalived accepts its adverts, which carry on above its own.
  const restartAt = Date.now();
  g.daemons[0] = await keepalive.start(h1, g.conf(0));
  await waitForSoleHolder(g.hosts, g.vip, 'h1', 15_000);
  const back = await nextAdvert(g.capture, VRID, 'h1', restartAt);
  const theirLast = await lastAdvertBefore(g.capture, VRID, 'h2', back.time);
  assert.ok(back.ah!.sequence > theirLast.ah!.sequence, `keepalive's first advert (${back.ah!.sequence}) is above keepalived's last (${theirLast.ah!.sequence})`);
  assert.deepEqual(await advertisersOver(g.capture, VRID, 'h1', Date.now(), 4), ['h1'], 'keepalived stays backup');

  // Forged adverts from h2's address: a replay under the right key, a sequence number far ahead under
  // the wrong key, and AH headers cut short. Each is counted by its reason, and none moves the master.
  const instance = async () => vrrpInstances(await keepaliveStatus(h1))[0]!;
  const daemonRejects = async () => ((await keepaliveStatus(h1)).children['vrrp']!.status as { packets: { rejects: Record<string, number> } }).packets.rejects;
  const before = { instance: await instance(), daemon: await daemonRejects() };
  const { stdout } = await h2.exec([process.execPath, AH_SENDER, JSON.stringify({
    ifname: 'eth0', source: h2.ipv4(), destination: '224.0.0.18', vrid: VRID, addresses: [g.vip], password: 'secret', count: 5,
  })], { timeoutMs: 30_000 });
  assert.deepEqual(JSON.parse(stdout), { sent: { replay: 5, 'bad-mac': 5, truncated: 5 } });
  const after = await waitFor('the forged adverts to be counted', async () => {
    const i = await instance();
    const d = await daemonRejects();
    return (i.counters.rejects['auth-sequence'] ?? 0) - (before.instance.counters.rejects['auth-sequence'] ?? 0) >= 5
      && (i.counters.rejects['auth-hmac'] ?? 0) - (before.instance.counters.rejects['auth-hmac'] ?? 0) >= 5
      && (d['short'] ?? 0) - (before.daemon['short'] ?? 0) >= 5 ? { instance: i, daemon: d } : undefined;
  }, { timeoutMs: 10_000 });
  const delta = (now: Record<string, number>, then: Record<string, number>, reason: string): number => (now[reason] ?? 0) - (then[reason] ?? 0);
  assert.equal(delta(after.instance.counters.rejects, before.instance.counters.rejects, 'auth-sequence'), 5, 'replays');
  assert.equal(delta(after.instance.counters.rejects, before.instance.counters.rejects, 'auth-hmac'), 5, 'a wrong key');
  assert.equal(delta(after.daemon, before.daemon, 'short'), 5, 'truncated');
  assert.equal(after.instance.counters.advertsReceived, before.instance.counters.advertsReceived, 'none was accepted');
  assert.equal(after.instance.state, 'master');
  assert.equal(after.instance.transitions.length, before.instance.transitions.length);

  // keepalived with another auth_pass, and a higher priority: neither accepts the other's adverts,
  // so both are master; keepalive counts keepalived's as failures, and keepalived logs ours. (Only a
  // few of keepalived's: a keepalived master re-arms its advert timer on every packet it receives,
  // valid or not, so ours, a second apart, can hold its own back.)
  g.daemons[1]!.signal('SIGTERM');
  await g.daemons[1]!.exited();
  const failuresBefore = (await instance()).counters.rejects['auth-hmac'] ?? 0;
  g.daemons[1] = await keepalived.start(h2, g.conf(1, { priority: 250, password: 'other' }));
  await waitFor('both to hold the VIP', async () => ((await holders(g.hosts, g.vip)).length === 2 ? true : undefined), { timeoutMs: 15_000 });
  const wrong = await waitFor('keepalived\'s adverts to be counted as failures', async () => {
    const i = await instance();
    return (i.counters.rejects['auth-hmac'] ?? 0) > failuresBefore ? i : undefined;
  }, { timeoutMs: 5_000 });
  assert.equal(wrong.state, 'master', 'a higher priority under the wrong key does not elect');
  assert.equal(wrong.transitions.length, before.instance.transitions.length);
  await waitFor('keepalived to log keepalive\'s adverts as failing', async () => (/IPSEC-AH : invalid IPSEC HMAC-MD5/.test(g.daemons[1]!.log()) ? true : undefined), { timeoutMs: 10_000 });
});

test('v2 auth_type AH over unicast peers (the TTL left out of the ICV): keepalived (200) and keepalive (100) hand over both ways', T, async () => {
  await using g = await group([{ impl: keepalived, priority: 200 }, { impl: keepalive, priority: 100 }], { version: 2, advertInt: 1, unicast: true, auth: { type: 'AH', password: 'secret' } });
  await waitForSoleHolder(g.hosts, g.vip, 'h1', 20_000);
  // keepalive hears keepalived over more than its Master_Down_Interval (3.61 s), and stays backup.
  assert.deepEqual(await advertisersOver(g.capture, VRID, 'h1', Date.now(), 5), ['h1']);
  const advert = await nextAdvert(g.capture, VRID, 'h1', Date.now());
  assert.equal(advert.ipDst, g.hosts[1]!.ipv4());
  assert.ok(advert.ah);
  // keepalived resigns: keepalive accepts the priority-0 advert and takes over; keepalived comes back
  // as backup (under AH it may not start as master), preempts, and keepalive accepts it.
  g.daemons[0]!.signal('SIGTERM');
  await waitForSoleHolder(g.hosts, g.vip, 'h2');
  await g.daemons[0]!.exited();
  g.daemons[0] = await keepalived.start(g.hosts[0]!, g.conf(0));
  await waitForSoleHolder(g.hosts, g.vip, 'h1', 15_000);
  const rejects = vrrpInstances(await keepaliveStatus(g.hosts[1]!))[0]!.counters.rejects;
  assert.equal(rejects['auth-hmac'] ?? 0, 0, `keepalive verified every ICV: ${JSON.stringify(rejects)}`);
});
