#!/usr/bin/env node
// Deploy benchmark: the provider plugin, driven over gRPC as the engine drives it, against three lab
// hosts with their own sshd. Times, and counts the SSH round trips and writes of, each step:
//   create      three Hosts (runtime and Node uploaded) and a VRRP group over them (until its master holds the VIP)
//   no-op up    Check and Diff of every resource with nothing changed: the engine calls no Update
//   reapply     an Update of the group with its inputs unchanged: every fragment found in place
//   one field   a backup's priority changed (the master stays)
//   takeover    a backup raised above the master (the update waits until it holds the VIP)
//   destroy     the group (the last fragment stops each runtime) and the hosts
// The plugin logs each operation's SSH cost to the engine ("ssh h1: 3 round trips, 1 write").
//   npm run bench:provider -- [--runs N]
import { parseArgs } from 'node:util';
import { Lab } from '../test/lab/lab.ts';
import { addressIn } from '../test/lab/addressing.ts';
import { PluginHarness, type Props } from '../test/fixtures/provider/engine.ts';
import { hostInputs, stopRuntimes } from '../test/fixtures/provider/lab.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
const HOSTS = ['h1', 'h2', 'h3'] as const;

interface Row { step: string; ms: number; roundTrips: number; writes: number; connections: number }
const rows: Row[] = [];

for (let run = 0; run < runs; run++) {
  await using lab = await Lab.create({ hosts: [...HOSTS] });
  await using harness = await PluginHarness.start();
  const d = harness.deployment;
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const group = (priorities: Record<string, number>): Props => ({
    vrid: 51, interface: 'eth0', virtualIps: [`${vip}/24`],
    members: HOSTS.map((h) => ({ host: d.outputs('Host', h).connection, priority: priorities[h] })),
  });
  /** Runs one step and records its time and the SSH cost the plugin logged for it. */
  const measure = async (step: string, body: () => Promise<unknown>): Promise<void> => {
    const since = harness.engine.logs.length;
    const started = performance.now();
    await body();
    const ms = performance.now() - started;
    const costs = harness.sshCosts(since);
    rows.push({
      step, ms, connections: costs.length,
      roundTrips: costs.reduce((n, c) => n + c.roundTrips, 0), writes: costs.reduce((n, c) => n + c.writes, 0),
    });
  };
  try {
    const base = { h1: 200, h2: 150, h3: 100 };
    await measure('create: 3 hosts (runtime + Node upload)', () => Promise.all(HOSTS.map((h) => d.up('Host', h, hostInputs(lab.host(h))))));
    await measure('create: VRRP group over 3 hosts, until the VIP is up', () => d.up('VrrpGroup', 'web', group(base)));
    await measure('no-op up: Check + Diff of 4 resources', async () => {
      const steps = await Promise.all([...HOSTS.map((h) => d.up('Host', h, hostInputs(lab.host(h)))), d.up('VrrpGroup', 'web', group(base))]);
      if (steps.some((s) => s.op !== 'same')) throw new Error(`a no-op up changed something: ${steps.map((s) => s.op).join(', ')}`);
    });
    await measure('reapply: Update of the group, inputs unchanged', () => d.reapply('VrrpGroup', 'web'));
    await measure('one field: a backup\'s priority (100 -> 110)', () => d.up('VrrpGroup', 'web', group({ ...base, h3: 110 })));
    await measure('takeover: a backup raised above the master', () => d.up('VrrpGroup', 'web', group({ ...base, h3: 110, h2: 250 })));
    await measure('destroy: group and 3 hosts', async () => {
      await d.destroy('VrrpGroup', 'web');
      await Promise.all(HOSTS.map((h) => d.destroy('Host', h)));
    });
  } finally {
    await stopRuntimes(lab.hosts.values());
  }
}

console.log(`provider deploy benchmark: 3 lab hosts over SSH, ${runs} run(s); times in ms (median), round trips and writes summed over the hosts`);
const steps = [...new Set(rows.map((r) => r.step))];
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const step of steps) {
  const of = rows.filter((r) => r.step === step);
  const r = of[0]!;
  console.log(`${step.padEnd(56)} ${median(of.map((x) => x.ms)).toFixed(0).padStart(7)} ms  ${String(r.roundTrips).padStart(4)} round trips  ${String(r.writes).padStart(3)} writes  ${r.connections} connections`);
}
