// 100,000 malformed and foreign VRRP packets at a running master: every one is counted by reason and
// dropped, and the instance neither crashes nor wavers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { keepalive, keepaliveStatus, renderVrrpConf } from './lab/implementations.ts';
import { waitForSoleHolder } from './lab/vrrp.ts';
import type { DaemonStatus, InstanceStatus } from '../runtime/src/control/status.ts';

const SENDER = fileURLToPath(new URL('./fixtures/vrrp-fuzz-sender.ts', import.meta.url));

test('a fuzzed master counts and drops 100,000 bad packets and stays master', { timeout: 300_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  await keepalive.start(h1, renderVrrpConf({ routerId: 'h1', version: 3, vrid: 42, interfaceName: 'eth0', priority: 200, advertInt: 0.1, vips: [`${vip}/24`] }));
  await waitForSoleHolder([h1], vip, 'h1');
  const status = (): Promise<DaemonStatus> => keepaliveStatus(h1);
  const vrrp = (s: DaemonStatus) => s.children['vrrp']!.status as { instances: InstanceStatus[]; packets: { received: number; rejects: Record<string, number> } };
  const before = await status();

  const { stdout } = await h2.exec([process.execPath, SENDER, JSON.stringify({
    ifname: 'eth0', source: h2.ipv4(), destination: '224.0.0.18', vrid: 42, addresses: [vip], count: 100_000, seed: 7, maxMs: 120_000,
  })], { timeoutMs: 180_000 });
  const report = JSON.parse(stdout) as { total: number; sent: Record<string, number> };
  assert.equal(report.total, 100_000);
  await new Promise((r) => setTimeout(r, 500));

  const after = await status();
  const v = vrrp(after);
  const instance = v.instances[0]!;
  assert.equal(instance.state, 'master');
  assert.equal(instance.transitions.length, vrrp(before).instances[0]!.transitions.length, 'no transition');
  assert.equal(after.children['vrrp']!.restarts, 0, 'no crash');
  const dropped = Object.values(v.packets.rejects).reduce((a, b) => a + b, 0) + Object.values(instance.counters.rejects).reduce((a, b) => a + b, 0);
  const received = v.packets.received - vrrp(before).packets.received;
  assert.equal(dropped, received, `every received packet was rejected: ${JSON.stringify({ daemon: v.packets.rejects, instance: instance.counters.rejects })}`);
  assert.ok(received >= 90_000, `received ${received} of 100000 (the rest lost to socket buffers)`);
  for (const reason of ['short', 'checksum', 'version', 'unknown-vrid', 'address-count']) assert.ok((v.packets.rejects[reason] ?? 0) > 0, `no ${reason} rejects`);
  for (const reason of ['ttl', 'address-list', 'version']) assert.ok((instance.counters.rejects[reason] ?? 0) > 0, `no instance ${reason} rejects`);
  console.log(`# fuzz: sent ${JSON.stringify(report.sent)}; ${received} received and dropped; by reason ${JSON.stringify(v.packets.rejects)} + ${JSON.stringify(instance.counters.rejects)}`);
});
