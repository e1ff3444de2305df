#!/usr/bin/env node
// Memory benchmark: RSS and PSS of every process of each implementation (keepalived's parent and VRRP
// child; keepalive's watchdog, VRRP child and checker child), running the same one-instance VRRP
// configuration as master in a lab host, measured in the same run.
//   npm run bench:memory -- [--impl keepalived,keepalive,keepalive-bundle] [--settle SECONDS]
import { parseArgs } from 'node:util';
import { Lab } from '../test/lab/lab.ts';
import { addressIn } from '../test/lab/addressing.ts';
import { implementation, renderVrrpConf } from '../test/lab/implementations.ts';
import { waitForSoleHolder } from '../test/lab/vrrp.ts';
import { processGroup, processMemory } from '../test/lab/processes.ts';
import { sleep } from '../test/lab/exec.ts';

const { values } = parseArgs({ options: { impl: { type: 'string', default: 'keepalived,keepalive,keepalive-bundle' }, settle: { type: 'string', default: '5' } } });
const impls = values.impl.split(',').map(implementation);

const results: { impl: string; rss: number; pss: number; processes: string[] }[] = [];
for (const impl of impls) {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const daemon = await impl.start(h1, renderVrrpConf({ routerId: 'h1', version: 3, vrid: 51, interfaceName: 'eth0', priority: 200, advertInt: 0.1, vips: [`${vip}/24`] }));
  await waitForSoleHolder([h1], vip, 'h1');
  await sleep(Number(values.settle) * 1000);
  const per = processGroup(daemon.pid).map(processMemory);
  results.push({ impl: impl.name, rss: per.reduce((a, p) => a + p.rss, 0), pss: per.reduce((a, p) => a + p.pss, 0), processes: per.map((p) => `${p.name}: RSS ${(p.rss / 1024).toFixed(1)} MiB, PSS ${(p.pss / 1024).toFixed(1)} MiB`) });
  await daemon.stop();
}
console.log('memory benchmark: one VRRPv3 instance as master, all processes of the implementation');
for (const r of results) {
  console.log(`${r.impl}: RSS ${(r.rss / 1024).toFixed(1)} MiB, PSS ${(r.pss / 1024).toFixed(1)} MiB`);
  for (const p of r.processes) console.log(`  ${p}`);
}
const ref = results.find((r) => r.impl === 'keepalived');
for (const r of results.filter((x) => x.impl !== 'keepalived')) {
  if (ref) console.log(`${r.impl} / keepalived: RSS ${(r.rss / ref.rss).toFixed(2)}x, PSS ${(r.pss / ref.pss).toFixed(2)}x`);
}
