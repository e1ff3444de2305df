// FRR's vrrpd: a second, independent VRRPv3 implementation in the same group as keepalive.
// FRR keeps the VIP on a macvlan with the virtual MAC and takes that link down (protodown) while it is
// backup, so here who is master is judged on the wire: who advertises, and who holds the VIP on a live link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { keepalive, keepaliveStatus, renderVrrpConf } from './lab/implementations.ts';
import { vrrpInstances } from '../runtime/src/control/status.ts';
import { advertisersOver, nextAdvert } from './lab/vrrp.ts';
import { waitFor } from './lab/exec.ts';
import type { Daemon, Host } from './lab/host.ts';

const VRID = 5;

/** zebra and vrrpd in a host, with the macvlan FRR expects (vrrp4-IFINDEX-VRID) and the VIP on it. */
async function startFrr(host: Host, priority: number, vip: string): Promise<Daemon[]> {
  const ifindex = JSON.parse((await host.exec(['ip', '-j', 'link', 'show', 'dev', 'eth0'])).stdout)[0].ifindex as number;
  const vmac = `vrrp4-${ifindex}-${VRID}`;
  await host.exec(`ip link add ${vmac} link eth0 type macvlan mode bridge && ip link set dev ${vmac} address 00:00:5e:00:01:0${VRID} && ip addr add ${vip}/24 dev ${vmac} && ip link set ${vmac} up`);
  host.writeFile('/etc/frr/frr.conf', `interface eth0\n vrrp ${VRID} version 3\n vrrp ${VRID} priority ${priority}\n vrrp ${VRID} advertisement-interval 100\n vrrp ${VRID} ip ${vip}\n!\n`);
  await host.exec('mkdir -p /run/frr && chown frr:frr /run/frr');
  const common = ['-f', '/etc/frr/frr.conf', '--vty_socket', '/run/frr', '-u', 'frr', '-g', 'frr'];
  const zebra = await host.startDaemon('zebra', ['/usr/lib/frr/zebra', '-i', '/run/frr/zebra.pid', ...common]);
  await waitFor('zebra to listen', async () => ((await host.exec('test -S /run/frr/zserv.api', { allowFailure: true })).code === 0 ? true : undefined));
  const vrrpd = await host.startDaemon('vrrpd', ['/usr/lib/frr/vrrpd', '-i', '/run/frr/vrrpd.pid', ...common]);
  return [zebra, vrrpd];
}

test('FRR vrrpd (200) and keepalive (100) agree; keepalive takes over when vrrpd dies, and yields when it is back', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  await using capture = await lab.capture();
  const [, vrrpd] = await startFrr(h1, 200, vip);
  await keepalive.start(h2, renderVrrpConf({ routerId: 'h2', version: 3, vrid: VRID, interfaceName: 'eth0', priority: 100, advertInt: 0.1, vips: [`${vip}/24`] }));
  const frrAdvert = await nextAdvert(capture, VRID, 'h1', Date.now());
  assert.equal(frrAdvert.srcMac, `00:00:5e:00:01:0${VRID}`, 'FRR sends from its virtual MAC');
  // keepalive hears FRR and is backup (it may have been master before FRR was up); from then on
  // only FRR advertises, over more than keepalive's Master_Down_Interval.
  await waitFor('keepalive to be backup, hearing FRR', async () => {
    const i = vrrpInstances(await keepaliveStatus(h2))[0];
    return i?.state === 'backup' && i.counters.advertsReceived > 0 ? true : undefined;
  });
  assert.deepEqual(await advertisersOver(capture, VRID, 'h1', Date.now(), 5), ['h1']);
  assert.equal(await h2.hasAddress(vip), false, 'keepalive stays backup');

  const killedAt = vrrpd!.signalGroup('SIGKILL');
  await nextAdvert(capture, VRID, 'h2', killedAt);
  await waitFor('keepalive to hold the VIP', async () => ((await h2.hasAddress(vip)) ? true : undefined));

  await h1.startDaemon('vrrpd', ['/usr/lib/frr/vrrpd', '-i', '/run/frr/vrrpd.pid', '-f', '/etc/frr/frr.conf', '--vty_socket', '/run/frr', '-u', 'frr', '-g', 'frr']);
  await waitFor('keepalive to yield to FRR', async () => ((await h2.hasAddress(vip)) ? undefined : true), { timeoutMs: 15_000 });
  assert.deepEqual(await advertisersOver(capture, VRID, 'h1', Date.now(), 5), ['h1']);
});
