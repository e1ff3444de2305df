// keepalive and Debian's keepalived in one VRRP group, driven by the same keepalived.conf syntax: they
// must elect the master the RFC names and fail over between each other, whichever side is which.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { keepalive, keepalived, renderVrrpConf, type VrrpImplementation, type VrrpInstanceOptions } from './lab/implementations.ts';
import { advertisersOver, holders, nextAdvert, waitForSoleHolder } from './lab/vrrp.ts';
import { waitFor } from './lab/exec.ts';

const T = { timeout: 240_000 };
const VRID = 42;

interface Member { impl: VrrpImplementation; priority: number }

async function group(members: [Member, Member], options: { version: 2 | 3; advertInt: number; family?: 4 | 6; unicast?: boolean }) {
  const lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false });
  const hosts = [lab.host('h1'), lab.host('h2')];
  const seg = lab.segment();
  const vip = options.family === 6 ? addressIn(seg.subnets.v6, 0x100) : addressIn(seg.subnets.v4, 100);
  const capture = await lab.capture();
  const conf = (k: number): string => {
    const me = hosts[k]!;
    const peer = hosts[1 - k]!;
    const o: VrrpInstanceOptions = {
      routerId: me.name, version: options.version, vrid: VRID, interfaceName: 'eth0', priority: members[k]!.priority,
      advertInt: options.advertInt, vips: [`${vip}/${options.family === 6 ? 64 : 24}`],
      ...(options.unicast ? {
        unicast: options.family === 6 ? { source: me.ipv6(), peers: [peer.ipv6()] } : { source: me.ipv4(), peers: [peer.ipv4()] },
      } : {}),
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
