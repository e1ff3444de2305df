// Deploys at scale, through the real Pulumi engine (the CLI scripts/pulumi-engine builds, an inline
// program run by the Automation API, the checkout's plugin): for each host count N, N lab hosts with
// their own sshd, paired into N/2 VRRP groups (vrid 1, 2, ...; the first of each pair master), then
//   create      every Host and group: time, and per host the bytes it received and its SSH round trips
//   no-op up    nothing changed: the engine must run no Update, and the plugin makes no SSH write
//   change      every group's backup priority raised (its master stays): one write per member
//   destroy     everything
// and how each figure grows from the smallest N to the largest, beside linear growth: the engine runs
// independent resources in parallel, so times should grow sublinearly.
//   npm run bench:provider -- --hosts 3,30
import { Lab } from '../test/lab/lab.ts';
import type { Host as LabHost } from '../test/lab/host.ts';
import { addressIn } from '../test/lab/addressing.ts';
import { EngineLog, labStack } from '../test/lab/pulumi.ts';
import { hostArgs, stopRuntimes } from '../test/fixtures/provider/lab.ts';
import { Host, VrrpGroup } from '@keepalive/pulumi';

interface Figures {
  hosts: number;
  groups: number;
  createMs: number;
  bytesPerHost: number;
  createRoundTripsPerHost: number;
  noopMs: number;
  noopRoundTripsPerHost: number;
  noopWrites: number;
  changeMs: number;
  changeWrites: number;
  destroyMs: number;
}

/** Bytes a lab host has received on its interfaces (loopback aside). */
export async function received(host: LabHost): Promise<number> {
  const links = JSON.parse((await host.exec(['ip', '-j', '-s', 'link', 'show'])).stdout) as { ifname: string; stats64: { rx: { bytes: number } } }[];
  return links.filter((l) => l.ifname !== 'lo').reduce((sum, l) => sum + l.stats64.rx.bytes, 0);
}

async function measure(count: number): Promise<Figures> {
  if (count < 2 || count % 2 !== 0 && count !== 3) throw new Error(`--hosts takes even counts (hosts are paired into groups), or 3: ${count}`);
  const names = Array.from({ length: count }, (_, i) => `h${i + 1}`);
  await using lab = await Lab.create({ hosts: names });
  // Pairs (h1,h2), (h3,h4), ...; with 3 hosts the third joins the first group.
  const pairs = Array.from({ length: Math.floor(count / 2) }, (_, g) => names.slice(2 * g, 2 * g + 2));
  if (count === 3) pairs[0]!.push('h3');
  let backupPriority = 100;
  const program = async (): Promise<Record<string, unknown>> => {
    const hosts = new Map(names.map((name) => [name, new Host(name, hostArgs(lab.host(name)))]));
    pairs.forEach((members, g) => new VrrpGroup(`g${g + 1}`, {
      vrid: g + 1,
      interface: 'eth0',
      virtualIps: [`${addressIn(lab.segment().subnets.v4, 200 + g)}/24`],
      members: members.map((name, i) => ({ host: hosts.get(name)!.connection, priority: i === 0 ? 200 : backupPriority - i })),
    }));
    return {};
  };
  const stack = await labStack(lab, program, { projectName: `keepalive-scale-${count}` });
  const log = new EngineLog();
  const hostsIn = (costs: { host: string }[]): number => new Set(costs.map((c) => c.host)).size || 1;
  const step = async (run: () => Promise<unknown>): Promise<{ ms: number; since: number }> => {
    const since = log.mark();
    const started = performance.now();
    await run();
    return { ms: performance.now() - started, since };
  };
  try {
    const before = await Promise.all(names.map((name) => received(lab.host(name))));
    const create = await step(() => stack.up(log.options));
    const after = await Promise.all(names.map((name) => received(lab.host(name))));
    const createCosts = log.sshCosts(create.since);

    const noop = await step(() => stack.up(log.options));
    const ops = Object.values(log.ops(noop.since));
    if (ops.some((op) => op !== 'same')) throw new Error(`a no-op up changed something: ${ops.join(', ')}`);
    const noopCosts = log.sshCosts(noop.since);

    backupPriority = 110;
    const change = await step(() => stack.up(log.options));
    const changeCosts = log.sshCosts(change.since);

    const destroy = await step(() => stack.destroy(log.options));
    const sum = (costs: { roundTrips: number; writes: number }[], key: 'roundTrips' | 'writes'): number => costs.reduce((n, c) => n + c[key], 0);
    return {
      hosts: count,
      groups: pairs.length,
      createMs: create.ms,
      bytesPerHost: after.reduce((n, b, i) => n + b - before[i]!, 0) / count,
      createRoundTripsPerHost: sum(createCosts, 'roundTrips') / hostsIn(createCosts),
      noopMs: noop.ms,
      noopRoundTripsPerHost: sum(noopCosts, 'roundTrips') / count,
      noopWrites: sum(noopCosts, 'writes'),
      changeMs: change.ms,
      changeWrites: sum(changeCosts, 'writes'),
      destroyMs: destroy.ms,
    };
  } finally {
    await stopRuntimes(lab.hosts.values());
  }
}

/** Runs the scale benchmark for each count and prints the figures and their growth. */
export async function scaleBenchmark(counts: readonly number[]): Promise<void> {
  const results: Figures[] = [];
  for (const count of counts) results.push(await measure(count));
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  console.log('provider deploys at scale, through the Pulumi engine (inline program, the checkout\'s plugin); hosts in pairs, one VRRP group a pair');
  for (const r of results) {
    console.log(`${String(r.hosts).padStart(3)} hosts, ${r.groups} group${r.groups === 1 ? "" : "s"}: create ${s(r.createMs)} (${(r.bytesPerHost / 1e6).toFixed(1)} MB received and ${r.createRoundTripsPerHost.toFixed(0)} SSH round trips per host)`
      + `, no-op up ${s(r.noopMs)} (${r.noopRoundTripsPerHost.toFixed(1)} round trips per host, ${r.noopWrites} writes)`
      + `, a change to every group ${s(r.changeMs)} (${r.changeWrites} writes), destroy ${s(r.destroyMs)}`);
  }
  if (results.length > 1) {
    const [first, last] = [results[0]!, results.at(-1)!];
    const grow = (key: 'createMs' | 'noopMs' | 'changeMs' | 'destroyMs'): string => `${(last[key] / first[key]).toFixed(2)}x`;
    console.log(`growth from ${first.hosts} to ${last.hosts} hosts (${(last.hosts / first.hosts).toFixed(0)}x the hosts): create ${grow('createMs')}, no-op up ${grow('noopMs')}, change ${grow('changeMs')}, destroy ${grow('destroyMs')}`);
  }
}
