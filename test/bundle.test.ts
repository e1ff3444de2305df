// The bundled runtime (dist/runtime/keepalive.mjs, what hosts run): one file of plain JavaScript with
// the socket addon beside it. It must do what the TypeScript source does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { KEEPALIVE_BUNDLE, keepaliveBundle, keepalived, keepaliveStatus, renderVrrpConf } from './lab/implementations.ts';
import { waitForSoleHolder } from './lab/vrrp.ts';

test('the bundled runtime elects itself over keepalived, reports status, and hands over on TERM', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const conf = (name: string, priority: number) => renderVrrpConf({ routerId: name, version: 3, vrid: 51, interfaceName: 'eth0', priority, advertInt: 0.1, vips: [`${vip}/24`] });
  await keepalived.start(h2, conf('h2', 100));
  const ours = await keepaliveBundle.start(h1, conf('h1', 200));
  await waitForSoleHolder([h1, h2], vip, 'h1');
  const status = await keepaliveStatus(h1, KEEPALIVE_BUNDLE);
  assert.equal(status.children['vrrp']?.running, true);
  assert.equal(status.children['checker']?.running, true);
  assert.match((await h1.exec(['cat', `/proc/${status.children['vrrp']!.pid}/cmdline`])).stdout.replaceAll('\0', ' '), /keepalive\.mjs child vrrp/);
  ours.signal('SIGTERM');
  await waitForSoleHolder([h1, h2], vip, 'h2');
});
