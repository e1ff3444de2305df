#!/usr/bin/env node
// Fast mode: VRRPv3 at advert_int 0.01 (10 ms) for a while with the other core kept busy. A backup
// that misses three adverts and a skew takes over (Master_Down_Interval ~ 36 ms), so any scheduling
// stall shows up as a false transition. Reports false transitions and the master's advert interval
// jitter (p50, p99, max), for each implementation in the same run. With --metrics, keepalive's
// lanes serve Prometheus metrics and a third host scrapes both of them every second meanwhile, so
// that what a scrape costs shows as jitter or false takeovers (keepalived has no endpoint of its own).
//   npm run bench:fast -- [--impl keepalived,keepalive] [--seconds 60] [--metrics]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Lab } from '../test/lab/lab.ts';
import { addressIn } from '../test/lab/addressing.ts';
import { implementation, renderVrrpConf } from '../test/lab/implementations.ts';
import { advertsFrom, waitForSoleHolder } from '../test/lab/vrrp.ts';
import { sleep } from '../test/lab/exec.ts';
import { METRICS_PORT, startScraper, withMetrics } from '../test/lab/scraper.ts';

const { values } = parseArgs({ options: { impl: { type: 'string', default: 'keepalived,keepalive' }, seconds: { type: 'string', default: '60' }, metrics: { type: 'boolean', default: false } } });
const seconds = Number(values.seconds);
if (!(seconds > 0 && seconds <= 600)) throw new Error('--seconds takes a number from 1 to 600');
const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

for (const impl of values.impl.split(',').map(implementation)) {
  const scraped = values.metrics && impl.name !== 'keepalived';
  await using lab = await Lab.create({ hosts: ['h1', 'h2', 'scraper'], ssh: false, management: false });
  const [h1, h2, scraper] = [lab.host('h1'), lab.host('h2'), lab.host('scraper')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const conf = (name: string, priority: number) => {
    const text = renderVrrpConf({ routerId: name, version: 3, vrid: 51, interfaceName: 'eth0', priority, advertInt: 0.01, vips: [`${vip}/24`] });
    return scraped ? withMetrics(text, lab.host(name).ipv4()) : text;
  };
  await using capture = await lab.capture('lan', 'vrrp or ip6 proto 112');
  await impl.start(h1, conf('h1', 200));
  await impl.start(h2, conf('h2', 100));
  await waitForSoleHolder([h1, h2], vip, 'h1');
  // From here h1 is master and h2 a backup that has dropped the VIP (no longer in a startup
  // election): any advert h2 sends from now on is a false takeover.
  const start = Date.now();
  // The other core: a busy loop that ends by itself when the measurement does.
  const busy = spawn(process.execPath, ['-e', `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`], { stdio: 'ignore' });
  // The scrapes: both hosts once a second, for as many seconds as the measurement, each bounded in time.
  const scrapes = scraped ? await startScraper(scraper, [h1, h2].map((h) => `http://${h.ipv4()}:${METRICS_PORT}/metrics`), seconds) : undefined;
  await sleep(seconds * 1000);
  busy.kill('SIGKILL');
  await capture.catchUp(Date.now());
  const window = (host: string) => advertsFrom(capture, 51, host).filter((f) => f.time >= start && f.time <= start + seconds * 1000);
  const master = window('h1');
  const falseTakeovers = window('h2').length;
  const gaps = master.slice(1).map((f, i) => f.time - master[i]!.time);
  let scrapeNote = '';
  if (scrapes) {
    const r = await scrapes.finish();
    scrapeNote = `, metrics scraped every 1 s on both hosts (${r.ok} scrapes answered, ${r.failed} not, ${Math.round(r.bytes / Math.max(1, r.ok))} bytes each)`;
  }
  console.log(`${impl.name}${scrapeNote ? ' with metrics' : ''}: ${seconds} s at 10 ms, other core busy${scrapeNote}: ${master.length} adverts from the master, `
    + `${falseTakeovers} from the backup (false takeovers), interval p50 ${percentile(gaps, 0.5).toFixed(2)} ms, `
    + `p99 ${percentile(gaps, 0.99).toFixed(2)} ms, max ${Math.max(...gaps).toFixed(2)} ms`);
}
