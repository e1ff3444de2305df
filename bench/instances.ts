#!/usr/bin/env node
// Many VRRP instances on one host: 1,000 VRRPv3 instances at advert_int 1, VRIDs 1 to 250 on each of
// four interfaces, each with one virtual address, run by a master (priority 200) and a backup (100) on
// two lab hosts. For each implementation, in the same run:
//   - CPU (utime + stime of all its processes) of the master and of the backup over the window;
//   - RSS and PSS of the master's processes at the end of the window;
//   - the master's advert interval, p50/p99/max over every instance, from the wire;
//   - false transitions over the window: state changes either host logged ("Entering … STATE", which
//     both write), and adverts from the backup, which sends none while it hears the master;
//   - then a KILL of the master's whole process tree, and for each instance the time from the master's
//     last advert to the backup's first, against RFC 5798's Master_Down_Interval (3 x interval + skew).
//   npm run bench:instances -- [--impl keepalived,keepalive-bundle] [--instances 1000] [--seconds 60] [--settle 10] [--json FILE]
//
// The four interfaces are four lab segments, so four broadcast domains on which the same VRID can run,
// as four VLANs of a trunk are. They cannot be VLANs or macvlans of one segment here: this kernel has
// no 802.1Q (8021q) and no VLAN filtering in its bridges, and keepalived takes a macvlan for its parent
// interface when it checks that VRIDs are unique ("VI_1 and VI_2 both use VRID 7 ... on interface eth0").
import { statSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Lab } from '../test/lab/lab.ts';
import { addressIn } from '../test/lab/addressing.ts';
import type { Frame, SegmentCapture } from '../test/lab/capture.ts';
import type { Daemon, Host } from '../test/lab/host.ts';
import { implementation, renderVrrpInstances, type VrrpInstanceBlock } from '../test/lab/implementations.ts';
import { cpuSeconds, processGroup, processMemory } from '../test/lab/processes.ts';
import { sleep, waitFor } from '../test/lab/exec.ts';
import { masterDownIntervalMs } from '../runtime/src/vrrp/timers.ts';

const { values } = parseArgs({
  options: {
    impl: { type: 'string', default: 'keepalived,keepalive-bundle' },
    instances: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    settle: { type: 'string', default: '10' },
    json: { type: 'string' },
  },
});
const INTERFACES = 4;
const VRIDS_PER_INTERFACE = 250;
const count = Number(values.instances);
const seconds = Number(values.seconds);
const settle = Number(values.settle);
if (!(Number.isInteger(count) && count >= 1 && count <= INTERFACES * VRIDS_PER_INTERFACE)) throw new Error(`--instances takes a whole number from 1 to ${INTERFACES * VRIDS_PER_INTERFACE}`);
if (!(seconds >= 5 && seconds <= 600)) throw new Error('--seconds takes a number from 5 to 600');
if (!(settle >= 0 && settle <= 120)) throw new Error('--settle takes a number from 0 to 120');
const impls = values.impl.split(',').map(implementation);

const MASTER = { name: 'h1', priority: 200 };
const BACKUP = { name: 'h2', priority: 100 };
const ADVERT_INT_CS = 100;
const FORMULA_MS = masterDownIntervalMs(BACKUP.priority, ADVERT_INT_CS);
/** How far past the formula a takeover still counts as on time. */
const ON_TIME_MS = 5;
const SEGMENTS = Array.from({ length: INTERFACES }, (_, k) => `if${k + 1}`);
/** Host numbers 1 and 2 are the routers' own addresses in each segment's /24; the VIPs come after. */
const FIRST_VIP_NUMBER = 3;

interface Instance { name: string; segment: string; interfaceName: string; vrid: number; vip: string }

/** Instance i runs on interface i mod 4 with VRID i div 4 + 1: VRIDs 1..250 on each interface at 1,000. */
function instances(lab: Lab): Instance[] {
  return Array.from({ length: count }, (_, i) => {
    const k = i % INTERFACES;
    const vrid = Math.floor(i / INTERFACES) + 1;
    const segment = SEGMENTS[k]!;
    return { name: `VI_${k + 1}_${vrid}`, segment, interfaceName: `eth${k}`, vrid, vip: addressIn(lab.segment(segment).subnets.v4, FIRST_VIP_NUMBER - 1 + vrid) };
  });
}

function config(host: { name: string; priority: number }, list: readonly Instance[]): string {
  const blocks: VrrpInstanceBlock[] = list.map((i) => ({ name: i.name, interfaceName: i.interfaceName, vrid: i.vrid, priority: host.priority, advertInt: ADVERT_INT_CS / 100, vips: [`${i.vip}/24`] }));
  return renderVrrpInstances(host.name, 3, blocks);
}

/** How many of the VIPs the host holds right now. */
async function vipsHeld(host: Host, vips: ReadonlySet<string>): Promise<number> {
  let held = 0;
  for (const list of (await host.addresses()).values()) for (const a of list) if (vips.has(a.split('/')[0]!)) held++;
  return held;
}

/** Each instance's adverts (non-zero priority) from one host, in the order sent, by the instance's segment and VRID. */
function advertsByInstance(captures: ReadonlyMap<string, SegmentCapture>, host: string): Map<string, Frame[]> {
  const by = new Map<string, Frame[]>();
  for (const [segment, capture] of captures) {
    for (const f of capture.records) {
      if (f.from !== host || !f.vrrp || f.vrrp.priority === 0) continue;
      const key = `${segment}/${f.vrrp.vrid}`;
      let list = by.get(key);
      if (!list) by.set(key, list = []);
      list.push(f);
    }
  }
  return by;
}

const percentile = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const STATE_CHANGE = /\) Entering [A-Z]+ STATE/g;
/** The state changes a daemon logged between two sizes of its log (bytes). */
const stateChangesLogged = (daemon: Daemon, from: number, to?: number): number => (readFileSync(daemon.logPath).subarray(from, to).toString().match(STATE_CHANGE) ?? []).length;

interface InstancesResult {
  impl: string;
  instances: number;
  windowS: number;
  cpu: { masterS: number; backupS: number };
  memory: { rssKiB: number; pssKiB: number; processes: string[] };
  interval: { p50: number; p99: number; max: number; intervals: number; silentInstances: number };
  /** State changes the master logged while it started (each instance: to BACKUP, then to MASTER), which shows that the log is read right. */
  startTransitions: number;
  falseTransitions: { logged: number; backupAdverts: number };
  takeover: { formulaMs: number; moved: number; onTime: number; overMedianMs: number; overBestMs: number; overWorstMs: number; allMovedAfterKillMs: number; vipsOnBackup: number };
}

async function measure(impl: ReturnType<typeof implementation>): Promise<InstancesResult> {
  await using lab = await Lab.create({ hosts: [MASTER.name, BACKUP.name], segments: SEGMENTS, ssh: false, management: false });
  const [master, backup] = [lab.host(MASTER.name), lab.host(BACKUP.name)];
  const list = instances(lab);
  const vips = new Set(list.map((i) => i.vip));
  const captures = new Map<string, SegmentCapture>();
  try {
    for (const [k, capture] of (await Promise.all(SEGMENTS.map((segment) => lab.capture(segment, 'vrrp')))).entries()) captures.set(SEGMENTS[k]!, capture);
    const backupDaemon = await impl.start(backup, config(BACKUP, list));
    const masterDaemon = await impl.start(master, config(MASTER, list));
    const startedAt = Date.now();
    await waitFor(`all ${count} VIPs on ${MASTER.name} and none on ${BACKUP.name}`, async () => {
      const [m, b] = [await vipsHeld(master, vips), await vipsHeld(backup, vips)];
      return m === count && b === 0 ? true : undefined;
    }, { timeoutMs: 60_000 + count * 60, intervalMs: 500 });
    process.stderr.write(`${impl.name}: ${count} instances settled ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the start\n`);
    // The takeovers' second round of gratuitous ARPs (5 s later) and start-up work are over by then.
    await sleep(settle * 1000);

    const logFrom = [statSync(masterDaemon.logPath).size, statSync(backupDaemon.logPath).size] as const;
    const masterPids = processGroup(masterDaemon.pid);
    const masterCpu0 = new Map(masterPids.map((pid) => [pid, cpuSeconds([pid])]));
    const cpu0 = [cpuSeconds(masterPids), cpuSeconds(processGroup(backupDaemon.pid))] as const;
    const t0 = Date.now();
    const w0 = performance.now();
    await sleep(seconds * 1000);
    const cpu1 = [cpuSeconds(processGroup(masterDaemon.pid)), cpuSeconds(processGroup(backupDaemon.pid))] as const;
    const windowS = (performance.now() - w0) / 1000;
    const t1 = Date.now();
    // Each of the master's processes: its share of the CPU over the window, and its memory at the end.
    const per = masterPids.map((pid) => ({ ...processMemory(pid), cpuS: cpuSeconds([pid]) - (masterCpu0.get(pid) ?? 0) }));
    const logged = stateChangesLogged(masterDaemon, logFrom[0]) + stateChangesLogged(backupDaemon, logFrom[1]);
    const startTransitions = stateChangesLogged(masterDaemon, 0, logFrom[0]);

    for (const capture of captures.values()) await capture.catchUp(t1);
    const inWindow = (f: Frame): boolean => f.time >= t0 && f.time <= t1;
    const fromMaster = advertsByInstance(captures, MASTER.name);
    const intervals: number[] = [];
    let silentInstances = 0;
    for (const i of list) {
      const sent = (fromMaster.get(`${i.segment}/${i.vrid}`) ?? []).filter(inWindow);
      if (sent.length === 0) silentInstances++;
      for (let k = 1; k < sent.length; k++) intervals.push(sent[k]!.time - sent[k - 1]!.time);
    }
    const backupAdverts = [...advertsByInstance(captures, BACKUP.name).values()].flat().filter(inWindow).length;

    // The whole master at once, as a crash of the host would take it.
    const killAt = masterDaemon.signalGroup('SIGKILL');
    const fromBackupAfterKill = (): Map<string, Frame[]> => new Map([...advertsByInstance(captures, BACKUP.name)].map(([key, frames]) => [key, frames.filter((f) => f.time > killAt)]));
    await waitFor(`the backup to advertise for all ${count} instances`, () => {
      const moved = [...fromBackupAfterKill().values()].filter((frames) => frames.length > 0).length;
      return moved === count ? true : undefined;
    }, { timeoutMs: FORMULA_MS + 30_000, intervalMs: 250 }).catch(() => undefined);
    for (const capture of captures.values()) await capture.catchUp(Date.now());
    const lastFromMaster = advertsByInstance(captures, MASTER.name);
    const firstFromBackup = fromBackupAfterKill();
    const over: number[] = [];
    let allMovedAt = killAt;
    for (const i of list) {
      const key = `${i.segment}/${i.vrid}`;
      const last = lastFromMaster.get(key)?.filter((f) => f.time < killAt).at(-1);
      const first = firstFromBackup.get(key)?.[0];
      if (!last || !first) continue;
      over.push(first.time - last.time - FORMULA_MS);
      allMovedAt = Math.max(allMovedAt, first.time);
    }
    const vipsOnBackup = await waitFor(`all ${count} VIPs on ${BACKUP.name}`, async () => {
      const held = await vipsHeld(backup, vips);
      return held === count ? held : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 }).catch(() => vipsHeld(backup, vips));
    await masterDaemon.exited();
    await backupDaemon.stop();

    return {
      impl: impl.name, instances: count, windowS,
      cpu: { masterS: cpu1[0] - cpu0[0], backupS: cpu1[1] - cpu0[1] },
      memory: { rssKiB: per.reduce((a, p) => a + p.rss, 0), pssKiB: per.reduce((a, p) => a + p.pss, 0), processes: per.map((p) => `${p.name}: CPU ${(p.cpuS / windowS * 100).toFixed(1)}%, RSS ${(p.rss / 1024).toFixed(1)} MiB, PSS ${(p.pss / 1024).toFixed(1)} MiB`) },
      interval: { p50: percentile(intervals, 0.5), p99: percentile(intervals, 0.99), max: Math.max(...intervals), intervals: intervals.length, silentInstances },
      startTransitions,
      falseTransitions: { logged, backupAdverts },
      takeover: {
        formulaMs: FORMULA_MS, moved: over.length, onTime: over.filter((o) => o <= ON_TIME_MS).length,
        overMedianMs: percentile(over, 0.5), overBestMs: Math.min(...over), overWorstMs: Math.max(...over),
        allMovedAfterKillMs: allMovedAt - killAt, vipsOnBackup,
      },
    };
  } finally {
    for (const capture of captures.values()) await capture.stop();
  }
}

const results: InstancesResult[] = [];
for (const impl of impls) results.push(await measure(impl));

const mib = (kib: number): string => (kib / 1024).toFixed(1);
const signed = (ms: number): string => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)}`;
const share = (cpuS: number, windowS: number): string => `${(cpuS / windowS * 100).toFixed(1)}%`;
console.log(`instances benchmark: ${count} VRRPv3 instances at advert_int 1 (VRIDs 1..${Math.ceil(count / INTERFACES)} on each of ${INTERFACES} interfaces, one VIP each), `
  + `master (priority ${MASTER.priority}) and backup (${BACKUP.priority}) on two lab hosts; ${seconds} s measured after ${settle} s settled`);
for (const r of results) {
  console.log(`${r.impl}: master CPU ${share(r.cpu.masterS, r.windowS)} of a core (${r.cpu.masterS.toFixed(2)} s in ${r.windowS.toFixed(1)} s), backup CPU ${share(r.cpu.backupS, r.windowS)}; `
    + `master RSS ${mib(r.memory.rssKiB)} MiB, PSS ${mib(r.memory.pssKiB)} MiB`);
  for (const p of r.memory.processes) console.log(`  ${p}`);
  console.log(`  master advert interval p50 ${r.interval.p50.toFixed(1)} ms, p99 ${r.interval.p99.toFixed(1)} ms, max ${r.interval.max.toFixed(1)} ms `
    + `(${r.interval.intervals} intervals, ${r.interval.silentInstances} instances silent)`);
  console.log(`  false transitions: ${r.falseTransitions.logged} state changes logged, ${r.falseTransitions.backupAdverts} adverts from the backup `
    + `(the master logged ${r.startTransitions} while it started)`);
  const t = r.takeover;
  console.log(`  after KILL of the master: ${t.moved} of ${r.instances} instances moved, ${t.onTime} within the formula (${t.formulaMs.toFixed(1)} ms) + ${ON_TIME_MS} ms; `
    + `over the formula median ${signed(t.overMedianMs)} ms, best ${signed(t.overBestMs)} ms, worst ${signed(t.overWorstMs)} ms; `
    + `the last moved ${(t.allMovedAfterKillMs / 1000).toFixed(2)} s after the kill; ${t.vipsOnBackup} VIPs on the backup`);
}
const reference = results.find((r) => r.impl === 'keepalived');
/** A ratio of two figures; none when the reference measured nothing (a short run can use less than a tick of CPU). */
const ratio = (ours: number, theirs: number, digits = 2): string => (theirs > 0 ? `${(ours / theirs).toFixed(digits)}x` : 'n/a');
for (const r of results.filter((x) => x !== reference)) {
  if (!reference) break;
  console.log(`${r.impl} / keepalived: master CPU ${ratio(r.cpu.masterS / r.windowS, reference.cpu.masterS / reference.windowS)}, `
    + `backup CPU ${ratio(r.cpu.backupS / r.windowS, reference.cpu.backupS / reference.windowS)}, `
    + `RSS ${ratio(r.memory.rssKiB, reference.memory.rssKiB)}, PSS ${ratio(r.memory.pssKiB, reference.memory.pssKiB)}, `
    + `advert interval p99 ${ratio(r.interval.p99, reference.interval.p99, 4)}, `
    + `worst takeover ${ratio(FORMULA_MS + r.takeover.overWorstMs, FORMULA_MS + reference.takeover.overWorstMs, 4)}`);
}
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
