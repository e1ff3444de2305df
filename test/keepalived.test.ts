// The anchor: Debian's keepalived, two instances in two lab hosts, elects and fails over in the lab
// exactly as the RFC says. Everything the runtime will be measured against rests on this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { keepalived, renderVrrpConf } from './lab/implementations.ts';
import { currentAdvertisers, holders, nextAdvert, waitForSoleHolder } from './lab/vrrp.ts';
import { sleep, waitFor } from './lab/exec.ts';

for (const { version, advertInt } of [{ version: 3, advertInt: 0.1 }, { version: 2, advertInt: 1 }] as const) {
  test(`keepalived VRRPv${version} at advert_int ${advertInt}: election, TERM, KILL, partition and heal`, { timeout: 180_000 }, async () => {
    await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false });
    const [h1, h2] = [lab.host('h1'), lab.host('h2')];
    const hosts = [h1, h2];
    const vrid = 51;
    const vip = addressIn(lab.segment().subnets.v4, 100);
    const intervalMs = advertInt * 1000;
    const conf = (routerId: string, priority: number) =>
      renderVrrpConf({ routerId, version, vrid, interfaceName: 'eth0', priority, advertInt, vips: [`${vip}/24`] });
    await using capture = await lab.capture();

    let k1 = await keepalived.start(h1, conf('h1', 200));
    await keepalived.start(h2, conf('h2', 100));

    // Election: the higher priority holds the VIP and is the only one advertising.
    await waitForSoleHolder(hosts, vip, 'h1');
    const advert = await nextAdvert(capture, vrid, 'h1', Date.now());
    assert.deepEqual(advert.vrrp, {
      version, type: 1, vrid, priority: 200, addressCount: 1, intervalCs: advertInt * 100,
      authType: version === 2 ? 0 : undefined, addresses: [vip], checksum: 'good',
    });
    assert.equal(advert.ttl, 255);
    assert.equal(advert.ipDst, '224.0.0.18');
    await sleep(3 * intervalMs);
    assert.deepEqual(await currentAdvertisers(capture, vrid, 2 * intervalMs), ['h1']);

    // TERM: h1 resigns with a priority-0 advert and h2 takes over.
    const termAt = k1.signal('SIGTERM');
    await capture.waitFor('the priority-0 advert', (f) => f.from === 'h1' && f.vrrp?.priority === 0 && f.time >= termAt - 1);
    await waitForSoleHolder(hosts, vip, 'h2');
    await k1.exited();

    // h1 comes back with the higher priority and preempts.
    k1 = await keepalived.start(h1, conf('h1', 200));
    await waitForSoleHolder(hosts, vip, 'h1');

    // KILL of the whole process tree, as in a crash: h2 takes over once the master is silent.
    const killAt = k1.signalGroup('SIGKILL');
    await k1.exited();
    await nextAdvert(capture, vrid, 'h2', killAt);
    await waitFor('h2 to hold the VIP', async () => ((await holders(hosts, vip)).includes('h2') ? true : undefined));

    // Restarted, h1 preempts again and removes the address its killed predecessor left.
    k1 = await keepalived.start(h1, conf('h1', 200));
    await waitForSoleHolder(hosts, vip, 'h1');

    // Partition h1: h2 no longer hears it and takes the VIP.
    const cutAt = await lab.partition('h1');
    await nextAdvert(capture, vrid, 'h2', cutAt);
    await waitFor('h2 to hold the VIP', async () => ((await holders(hosts, vip)).includes('h2') ? true : undefined));

    // Heal: the two masters hear each other; the lower priority steps down. Exactly one remains.
    await lab.heal('h1');
    await waitForSoleHolder(hosts, vip, 'h1');
    await sleep(4 * intervalMs);
    assert.deepEqual(await currentAdvertisers(capture, vrid, 3 * intervalMs), ['h1']);
    assert.deepEqual(await holders(hosts, vip), ['h1']);
  });
}
