#!/usr/bin/env node
// Memory benchmark: RSS and PSS of every process of each implementation (keepalived's parent and VRRP
// child; keepalive's watchdog, VRRP child and checker child), running the same one-instance VRRP
// configuration as master in a lab host, measured in the same run; and Node's own floor, three idle
// Node processes (bench/idle-node.mjs: a parent and the two children it forks, as keepalive's watchdog
// does), measured first. With --metrics, each keepalive lane runs a second time serving Prometheus
// metrics, scraped every second from another lab host while it settles, and the memory that adds is
// printed.
//
// PSS is counted within each group of processes, as on a host where the group runs alone: a page its
// processes share is divided among them only (from the physical pages each maps, /proc/PID/pagemap).
// The kernel's PSS, shown for each process, divides such a page among every process of the machine
// that maps it, so Node's own code, which every Node process here maps, costs a group less the more
// other Node processes run: the kernel's figures for one build moved by a quarter between two runs.
//   npm run bench:memory -- [--impl keepalived,keepalive,keepalive-bundle] [--settle SECONDS] [--metrics]
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

const KIB_PER_PAGE = 4;
/** A pagemap entry: bit 63 says the page is present, bits 0-54 are its frame number. */
const PRESENT = 1n << 63n;
const FRAME = (1n << 55n) - 1n;

/** The physical pages (frame numbers) a process maps, read from its pagemap for each mapping with pages. */
function physicalPages(pid: number): Set<number> {
  const pages = new Set<number>();
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  try {
    let range: [number, number] | undefined;
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
      if (head) {
        range = [parseInt(head[1]!, 16), parseInt(head[2]!, 16)];
      } else if (range && line.startsWith('KernelPageSize:') && !/\s4 kB$/.test(line)) {
        throw new Error(`process ${pid} maps pages of ${line.slice(15).trim()}: only 4 kB pages are counted`);
      } else if (range && /^Rss:\s+[1-9]/.test(line)) {
        const entries = Buffer.alloc(((range[1] - range[0]) / (KIB_PER_PAGE * 1024)) * 8);
        readSync(fd, entries, 0, entries.length, (range[0] / (KIB_PER_PAGE * 1024)) * 8);
        for (let i = 0; i < entries.length; i += 8) {
          const entry = entries.readBigUInt64LE(i);
          if (entry & PRESENT) pages.add(Number(entry & FRAME));
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return pages;
}

const mib = (kib: number): string => (kib / 1024).toFixed(1);

interface GroupMemory { rss: number; pss: number; processes: string[] }

/**
 * The memory of a process group, in KiB: RSS summed, and PSS within the group (each page it maps
 * counted once, shared among the processes of the group that map it); each process's as a line.
 */
function groupMemory(pgid: number): GroupMemory {
  const pids = processGroup(pgid);
  const pages = pids.map(physicalPages);
  const sharers = new Map<number, number>();
  for (const set of pages) for (const page of set) sharers.set(page, (sharers.get(page) ?? 0) + 1);
  let rss = 0;
  const processes = pids.map((pid, i) => {
    const kernel = processMemory(pid);
    rss += kernel.rss;
    let pss = 0;
    for (const page of pages[i]!) pss += KIB_PER_PAGE / sharers.get(page)!;
    return `${kernel.name}: RSS ${mib(kernel.rss)} MiB, PSS ${mib(pss)} MiB (the kernel's ${mib(kernel.pss)} MiB)`;
  });
  return { rss, pss: sharers.size * KIB_PER_PAGE, processes };
}

/** Starts the floor (a process group of its own, bounded in time) and waits for its three processes. */
async function startFloor(): Promise<number> {
  const script = fileURLToPath(new URL('idle-node.mjs', import.meta.url));
  const parent = spawn(process.execPath, [script, String(Math.ceil(settleSeconds) + 120)], { detached: true, stdio: 'ignore' });
  const pid = parent.pid;
  if (pid === undefined) throw new Error('cannot start the node floor');
  for (let i = 0; i < 100 && processGroup(pid).length < 3; i++) await sleep(50);
  if (processGroup(pid).length !== 3) throw new Error('the node floor did not start its two children');
  return pid;
}

const floorPid = await startFloor();
let floor: GroupMemory;
try {
  await sleep(settleSeconds * 1000);
  floor = groupMemory(floorPid);
} finally {
  process.kill(floorPid, 'SIGTERM'); // its children stop when their channel to it closes
}
for (let i = 0; i < 100 && processGroup(floorPid).length > 0; i++) await sleep(50);

const results: (GroupMemory & { impl: string; scrapes?: ScrapeReport })[] = [];
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
  results.push({ impl: `${impl.name}${metrics ? ' with metrics' : ''}`, ...groupMemory(daemon.pid), ...(scrapes && { scrapes }) });
  await daemon.stop();
}
console.log('memory benchmark: one VRRPv3 instance as master, all processes of the implementation; PSS within each group');
for (const r of results) {
  console.log(`${r.impl}: RSS ${mib(r.rss)} MiB, PSS ${mib(r.pss)} MiB`
    + (r.scrapes ? ` (scraped every 1 s for ${settleSeconds} s: ${r.scrapes.ok} answered, ${r.scrapes.failed} not)` : ''));
  for (const p of r.processes) console.log(`  ${p}`);
}
console.log(`node floor: RSS ${mib(floor.rss)} MiB, PSS ${mib(floor.pss)} MiB`);
for (const p of floor.processes) console.log(`  ${p}`);
const ref = results.find((r) => r.impl === 'keepalived');
for (const r of results.filter((x) => x.impl !== 'keepalived')) {
  if (ref) console.log(`${r.impl} / keepalived: RSS ${(r.rss / ref.rss).toFixed(2)}x, PSS ${(r.pss / ref.pss).toFixed(2)}x`);
  console.log(`${r.impl} / node floor: PSS ${(r.pss / floor.pss).toFixed(2)}x`);
}
for (const r of results.filter((x) => x.scrapes)) {
  const without = results.find((x) => x.impl === r.impl.replace(' with metrics', ''))!;
  console.log(`${r.impl}: metrics add RSS ${mib(r.rss - without.rss)} MiB, PSS ${mib(r.pss - without.pss)} MiB`);
}
