#!/usr/bin/env node
// Memory benchmark: RSS and PSS of every process of each implementation (keepalived's parent and VRRP
// child; keepalive's watchdog, VRRP child and checker child), running the same one-instance VRRP
// configuration as master in a lab host, measured in the same run. With --metrics, each keepalive
// lane runs a second time serving Prometheus metrics, scraped every second from another lab host
// while it settles, and the memory that adds is printed.
//   npm run bench:memory -- [--impl keepalived,keepalive,keepalive-bundle] [--settle SECONDS] [--metrics]
import { parseArgs } from 'node:util';
import { Lab } from '../test/lab/lab.ts';
import { addressIn } from '../test/lab/addressing.ts';
import { implementation, renderVrrpConf } from '../test/lab/implementations.ts';
import { waitForSoleHolder } from '../test/lab/vrrp.ts';
import { processGroup, processMemory } from '../test/lab/processes.ts';
import { sleep } from '../test/lab/exec.ts';
import { METRICS_PORT, startScraper, withMetrics, type ScrapeReport } from '../test/lab/scraper.ts';

const { values } = parseArgs({ options: { impl: { type: 'string', default: 'keepalived,keepalive,keepalive-bundle' }, settle: { type: 'string', default: '5' }, metrics: { type: 'boolean', default: false } } });
const impls = values.impl.split(',').map(implementation);
const settleSeconds = Number(values.settle);
if (!(settleSeconds >= 1 && settleSeconds <= 600)) throw new Error('--settle takes a number of seconds from 1 to 600');
const lanes = impls.flatMap((impl) => [{ impl, metrics: false }, ...(values.metrics && impl.name !== 'keepalived' ? [{ impl, metrics: true }] : [])]);

const results: { impl: string; rss: number; pss: number; processes: string[]; scrapes?: ScrapeReport }[] = [];
for (const { impl, metrics } of lanes) {
  await using lab = await Lab.create({ hosts: ['h1', 'scraper'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const conf = renderVrrpConf({ routerId: 'h1', version: 3, vrid: 51, interfaceName: 'eth0', priority: 200, advertInt: 0.1, vips: [`${vip}/24`] });
  const daemon = await impl.start(h1, metrics ? withMetrics(conf, h1.ipv4()) : conf);
  await waitForSoleHolder([h1], vip, 'h1');
  const scraper = metrics ? await startScraper(lab.host('scraper'), [`http://${h1.ipv4()}:${METRICS_PORT}/metrics`], settleSeconds) : undefined;
  await sleep(settleSeconds * 1000);
  const scrapes = await scraper?.finish();
  const per = processGroup(daemon.pid).map(processMemory);
  results.push({
    impl: `${impl.name}${metrics ? ' with metrics' : ''}`, rss: per.reduce((a, p) => a + p.rss, 0), pss: per.reduce((a, p) => a + p.pss, 0),
    processes: per.map((p) => `${p.name}: RSS ${(p.rss / 1024).toFixed(1)} MiB, PSS ${(p.pss / 1024).toFixed(1)} MiB`), ...(scrapes && { scrapes }),
  });
  await daemon.stop();
}
console.log('memory benchmark: one VRRPv3 instance as master, all processes of the implementation');
for (const r of results) {
  console.log(`${r.impl}: RSS ${(r.rss / 1024).toFixed(1)} MiB, PSS ${(r.pss / 1024).toFixed(1)} MiB`
    + (r.scrapes ? ` (scraped every 1 s for ${settleSeconds} s: ${r.scrapes.ok} answered, ${r.scrapes.failed} not)` : ''));
  for (const p of r.processes) console.log(`  ${p}`);
}
const ref = results.find((r) => r.impl === 'keepalived');
for (const r of results.filter((x) => x.impl !== 'keepalived')) {
  if (ref) console.log(`${r.impl} / keepalived: RSS ${(r.rss / ref.rss).toFixed(2)}x, PSS ${(r.pss / ref.pss).toFixed(2)}x`);
}
for (const r of results.filter((x) => x.scrapes)) {
  const without = results.find((x) => x.impl === r.impl.replace(' with metrics', ''))!;
  console.log(`${r.impl}: metrics add RSS ${((r.rss - without.rss) / 1024).toFixed(1)} MiB, PSS ${((r.pss - without.pss) / 1024).toFixed(1)} MiB`);
}
