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
// Then the same steps through OpenTofu (bench/provider-tofu.ts): create, no-op plan, one field, the
// master move, destroy, each with its time and SSH round trips, beside the Pulumi provider's.
// Then the plugin as users get it, the single executable (scripts/build-plugin.ts, built unless fresh):
//   its size and its release tarball's
//   cold start: process start until GetSchema answers (median of 5), beside the checkout's plugin
//   a fresh host: bytes the host receives (its interfaces' counters) and the Host create's time
//   npm run bench:provider -- [--runs N] [--plugin-only] [--plugin EXECUTABLE]
//   npm run bench:provider -- --hosts 3,30     deploys at scale through the Pulumi engine (bench/provider-scale.ts)
// --plugin measures the fresh host with another plugin executable (an older checkout's, say).
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Lab } from '../test/lab/lab.ts';
import { addressIn } from '../test/lab/addressing.ts';
import { Deployment, PLUGIN, PluginHarness, startEngine, type Props } from '../test/fixtures/provider/engine.ts';
import { hostInputs, stopRuntimes } from '../test/fixtures/provider/lab.ts';
import { freshPlugin, freshTarball, getSchema, providerClient, runPlugin, stopPlugin } from '../test/fixtures/sea-plugin.ts';
import { tofuBenchmark } from './provider-tofu.ts';
import { received, scaleBenchmark } from './provider-scale.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, 'plugin-only': { type: 'boolean', default: false }, plugin: { type: 'string' }, hosts: { type: 'string' } } });
if (values.hosts !== undefined) {
  // Deploys at scale through the real engine (bench/provider-scale.ts), instead of the steps below.
  const counts = values.hosts.split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 2 || n > 200)) throw new Error('--hosts takes counts of 2 to 200, comma-separated: --hosts 3,30');
  await scaleBenchmark(counts);
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
const HOSTS = ['h1', 'h2', 'h3'] as const;

interface Row { step: string; ms: number; roundTrips: number; writes: number; connections: number }
const rows: Row[] = [];

for (let run = 0; run < (values['plugin-only'] ? 0 : runs); run++) {
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

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (!values['plugin-only']) {
  console.log(`provider deploy benchmark: 3 lab hosts over SSH, ${runs} run(s); times in ms (median), round trips and writes summed over the hosts`);
  const steps = [...new Set(rows.map((r) => r.step))];
  for (const step of steps) {
    const of = rows.filter((r) => r.step === step);
    const r = of[0]!;
    console.log(`${step.padEnd(56)} ${median(of.map((x) => x.ms)).toFixed(0).padStart(7)} ms  ${String(r.roundTrips).padStart(4)} round trips  ${String(r.writes).padStart(3)} writes  ${r.connections} connections`);
  }

  // The same steps through OpenTofu, beside the Pulumi provider's: OpenTofu's figures are whole
  // commands (its start, the plugin's, the refresh), the Pulumi ones the provider's calls alone.
  const tofuRows = await tofuBenchmark(runs);
  const pulumiSteps: Record<string, (step: string) => boolean> = {
    'create': (step) => step.startsWith('create: '),
    'no-op plan': (step) => step.startsWith('no-op up'),
    'one field': (step) => step.startsWith('one field'),
    'master move': (step) => step.startsWith('takeover'),
    'destroy': (step) => step.startsWith('destroy'),
  };
  console.log(`\nthrough OpenTofu (scripts/tofu, whole commands), beside the Pulumi provider's calls above; ${runs} run(s), median`);
  for (const [step, isPulumi] of Object.entries(pulumiSteps)) {
    const tofu = tofuRows.filter((r) => r.step === step);
    // The Pulumi figure of a step that is several rows above (create: the hosts, then the group) is their sum, per run.
    const pulumiMs = median(Array.from({ length: runs }, (_, run) => steps.filter(isPulumi).reduce((sum, name) => sum + rows.filter((r) => r.step === name)[run]!.ms, 0)));
    const pulumiTrips = steps.filter(isPulumi).reduce((sum, name) => sum + rows.find((r) => r.step === name)!.roundTrips, 0);
    const ms = median(tofu.map((r) => r.ms));
    console.log(`${`opentofu ${step}`.padEnd(56)} ${ms.toFixed(0).padStart(7)} ms  ${String(tofu[0]!.roundTrips).padStart(4)} round trips  ${String(tofu[0]!.writes).padStart(3)} writes  (pulumi provider: ${pulumiMs.toFixed(0)} ms, ${pulumiTrips} round trips; ratio ${(ms / pulumiMs).toFixed(2)}x)`);
  }
}

// The single executable.
const tarball = await freshTarball();
const sea = values.plugin ?? await freshPlugin();
const MB = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Process start until GetSchema answers, `times` times: the median and the time to the port alone. */
async function coldStart(executable: string, times: number): Promise<{ ms: number; portMs: number }> {
  const engine = await startEngine();
  const samples: { ms: number; portMs: number }[] = [];
  try {
    for (let i = 0; i < times; i++) {
      const started = performance.now();
      const plugin = await runPlugin(executable, [engine.address], { cwd: '/tmp' });
      const client = providerClient(plugin.port);
      try {
        await getSchema(client);
        samples.push({ ms: performance.now() - started, portMs: plugin.startMs });
      } finally {
        client.close();
        await stopPlugin(plugin);
      }
    }
  } finally {
    engine.server.forceShutdown();
  }
  return { ms: median(samples.map((s) => s.ms)), portMs: median(samples.map((s) => s.portMs)) };
}

/** A Host create on a fresh lab host (no Node 24 there) by `executable`: its time and the bytes the host received. */
async function freshHost(executable: string): Promise<{ ms: number; bytes: number; node: string }> {
  await using lab = await Lab.create({ hosts: ['h1'] });
  const engine = await startEngine();
  const plugin = await runPlugin(executable, [engine.address], { cwd: lab.dir });
  const client = providerClient(plugin.port);
  try {
    const d = new Deployment(client, engine.logs);
    const host = lab.host('h1');
    const before = await received(host);
    const started = performance.now();
    await d.up('Host', 'h1', hostInputs(host));
    const ms = performance.now() - started;
    const bytes = (await received(host)) - before;
    const node = String(d.outputs('Host', 'h1').node);
    await d.destroy('Host', 'h1');
    return { ms, bytes, node };
  } finally {
    client.close();
    await stopPlugin(plugin);
    engine.server.forceShutdown();
    await stopRuntimes(lab.hosts.values());
  }
}

const seaCold = await coldStart(sea, 5);
const checkoutCold = values.plugin === undefined ? await coldStart(PLUGIN, 5) : undefined;
const fresh: { ms: number; bytes: number; node: string }[] = [];
for (let run = 0; run < runs; run++) fresh.push(await freshHost(sea));
const freshMs = median(fresh.map((f) => f.ms));
console.log(`\nthe plugin as one executable${values.plugin === undefined ? '' : ` (${sea})`}`);
console.log(`${'plugin executable'.padEnd(56)} ${MB(statSync(sea).size).padStart(10)}`);
if (values.plugin === undefined) console.log(`${'release tarball'.padEnd(56)} ${MB(statSync(tarball).size).padStart(10)}`);
console.log(`${'cold start: process start until GetSchema answers'.padEnd(56)} ${seaCold.ms.toFixed(0).padStart(7)} ms  (port printed after ${seaCold.portMs.toFixed(0)} ms; median of 5)`);
if (checkoutCold) console.log(`${'  the checkout\'s plugin (provider/bin, type stripping)'.padEnd(56)} ${checkoutCold.ms.toFixed(0).padStart(7)} ms  (port printed after ${checkoutCold.portMs.toFixed(0)} ms)`);
console.log(`${'fresh host: bytes received for the install'.padEnd(56)} ${MB(median(fresh.map((f) => f.bytes))).padStart(10)}  (Node: ${fresh[0]!.node})`);
console.log(`${'fresh host: Host create'.padEnd(56)} ${freshMs.toFixed(0).padStart(7)} ms  (median of ${runs})`);
