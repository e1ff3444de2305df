#!/usr/bin/env node
// The main job on the local lab, in three parts:
//   1. HA topology as code: the example program (examples/ha-pair.ts) taken by the real Pulumi engine
//      through this provider onto lab hosts: preview in words, up, the live topology, a priority
//      change previewed and carried out, destroy;
//   2. a VRRP group on lab hosts, its master killed, the takeover measured;
//   3. keepalive load balancing a virtual service over three real servers, one of which is killed.
//   npm run demo -- [--impl keepalive|keepalived] [--version 2|3] [--advert-int SECONDS]
import { parseArgs } from 'node:util';
import { implementation, keepalive, KEEPALIVE_CLI } from './implementations.ts';
import { run, sleep, waitFor } from './exec.ts';
import { writeFileSync } from 'node:fs';
import { FailoverRig } from './failover.ts';
import { currentAdvertisers, holders } from './vrrp.ts';
import { Lab, leftovers } from './lab.ts';
import { addressIn } from './addressing.ts';
import { answeringHost, exampleProgram, exampleStack, type ExampleTopology } from './pulumi.ts';
import { createNatDirectorLab, REAL_SERVERS, renderVirtualServerConf } from './nat-director.ts';
import { checkerStatus } from '../../runtime/src/control/status.ts';
import { keepaliveStatus } from './implementations.ts';

const { values } = parseArgs({
  options: {
    impl: { type: 'string', default: 'keepalive' },
    version: { type: 'string', default: '3' },
    'advert-int': { type: 'string', default: '0.1' },
  },
});
const impl = implementation(values.impl);
const version = values.version === '2' ? 2 : values.version === '3' ? 3 : undefined;
if (!version) throw new Error('--version is 2 or 3');
const advertInt = Number(values['advert-int']);
const say = (text: string): void => console.log(text);

const indent = (text: string): string => text.trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
/** The provider's words in an engine's output: the lines about masters, VIPs and real servers, once each. */
const topologyWords = (output: string): string => [...new Set(output.split('\n')
  .filter((l) => /^ {4}keepalive:index:\w+ \S+ {2}/.test(l)).map((l) => l.trim()))].join('\n');

say('keepalive demo, part 1: HA topology as code. The example program (examples/ha-pair.ts), run by the real Pulumi engine, deploys keepalive over SSH to two lab directors');
{
  await using lab = await Lab.create({ hosts: ['lb1', 'lb2', 'rs1', 'rs2', 'rs3', 'client'] });
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const topology: ExampleTopology = { directors: ['lb1', 'lb2'], backends: ['rs1', 'rs2', 'rs3'], vip: `${vip}/24` };
  say(lab.describe());
  for (const name of topology.backends) {
    const rs = lab.host(name);
    const backend = await rs.startDaemon('backend', [process.execPath, new URL('../fixtures/lb/backend.ts', import.meta.url).pathname, name, rs.ipv4(), '80']);
    await waitFor(`${name}'s HTTP server`, () => (backend.log().includes('listening') ? true : undefined));
  }
  say('\npreparing the Pulumi CLI (scripts/pulumi-engine)...');
  const stack = await exampleStack(lab, topology, [200, 150]);
  let output = '';
  const collect = { onOutput: (text: string) => { output += text; } };
  const preview = await stack.preview(collect);
  say(`\npulumi preview (${JSON.stringify(preview.changeSummary)}), in the provider's words:\n${indent(topologyWords(output))}`);
  say('\npulumi up...');
  const started = performance.now();
  const up = await stack.up(collect);
  say(`up: ${up.summary.result} in ${((performance.now() - started) / 1000).toFixed(1)} s; expected master ${String(up.outputs['expectedMaster']?.value)}, runtime ${JSON.stringify(up.outputs['runtimeVersions']?.value)}`);
  const answering = (): Promise<string | undefined> => answeringHost(lab, 'client', vip, topology.directors);
  say(`the client pings ${vip}: answered by ${await waitFor('the VIP to answer', answering, { timeoutMs: 15_000 })}`);
  // keepalive topology reads the stack's state (exported with its secrets: the SSH key, hence a file
  // only root may read) and, with --live, asks every host over SSH who is master and who is healthy.
  const state = `${lab.dir}/stack-state.json`;
  writeFileSync(state, JSON.stringify(await stack.exportStack()), { mode: 0o600 });
  const topologyCommand = [process.execPath, KEEPALIVE_CLI, 'topology', '--state', state, '--live', '--svg', `${lab.dir}/topology.svg`];
  const shown = await run(topologyCommand, { allowFailure: true });
  say(`\nthe live topology (npx keepalive topology --state STATE --live --svg topology.svg):\n${indent(shown.stdout || shown.stderr)}`);

  stack.workspace.program = exampleProgram(lab, topology, [200, 250]);
  output = '';
  await stack.preview(collect);
  say(`\nlb2's priority raised to 250; pulumi preview says:\n${indent(topologyWords(output))}`);
  await stack.up(collect);
  say(`pulumi up: the client's ping is now answered by ${await waitFor('the VIP on lb2', async () => ((await answering()) === 'lb2' ? 'lb2' : undefined), { timeoutMs: 15_000 })}`);
  say('\npulumi destroy...');
  const destroyed = await stack.destroy(collect);
  say(`destroy: ${destroyed.summary.result}; nobody answers for ${vip} any more: ${(await answering()) === undefined}`);
}

say(`\nkeepalive demo, part 2: failover. ${impl.name}, VRRPv${version} with advert_int ${advertInt}, on three lab routers and a client`);
{
  await using rig = await FailoverRig.create(impl, version, advertInt, { routers: 3 });
  say(rig.lab.describe());
  const routers = rig.routers;
  say(`\n${impl.name} runs on h1 (priority 200), h2 (priority 100) and h3 (priority 50); the client pings ${rig.vip}`);
  // The routers started one after another, so a lower one may have been master for a moment: let the
  // election settle before reading the wire.
  await sleep(advertInt * 5000);
  say(`master: ${(await holders(routers, rig.vip)).join(', ')} holds ${rig.vip}; adverts on the wire come from ${(await currentAdvertisers(rig.capture, 51, advertInt * 2000)).join(', ')}`);
  if (impl === keepalive) {
    const { stdout } = await rig.lab.host('h1').exec([process.execPath, KEEPALIVE_CLI, 'status', '--state-dir', '/run/keepalive']);
    say(`\nkeepalive status on h1:\n${stdout.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`);
  }

  say(`\nkilling ${impl.name} on h1 (KILL to its whole process tree, as a crash)...`);
  const m = await rig.measure('kill');
  const over = m.takeoverMs - m.formulaMs;
  say(`takeover: h2 sent its first advert ${m.takeoverMs.toFixed(1)} ms after h1's last one`);
  say(`          RFC 5798 Master_Down_Interval for priority 100: ${m.formulaMs.toFixed(1)} ms (${over >= 0 ? '+' : ''}${over.toFixed(1)} ms)`);
  say(m.clientReachMs === undefined
    ? 'client: no answer from the new master within 15 s'
    : `client: first answer from h2 ${m.clientReachMs.toFixed(1)} ms after the kill`);
  say(`\nh1 restarted and took the VIP back (higher priority, preempt): ${(await holders(routers, rig.vip)).join(', ')} holds ${rig.vip}`);
}

const LB_FIXTURES = new URL('../fixtures/lb/', import.meta.url).pathname;
say('\nkeepalive demo, part 3: load balancing. keepalive on a NAT director "lb", a virtual service on its VIP port 80, real servers rs1..rs3 behind it');
{
  const { lab, client, lb, vip } = await createNatDirectorLab();
  try {
    const backends = new Map<string, Awaited<ReturnType<typeof lb.startDaemon>>>();
    for (const name of REAL_SERVERS) {
      const rs = lab.host(name);
      const daemon = await rs.startDaemon('backend', [process.execPath, `${LB_FIXTURES}backend.ts`, name, rs.ipv4(), '80']);
      await waitFor(`${name}'s HTTP server`, () => (daemon.log().includes('listening') ? true : undefined));
      backends.set(name, daemon);
    }
    const conf = renderVirtualServerConf(vip, 'lb_algo rr\nlb_kind NAT', REAL_SERVERS.map((name) => ({ address: lab.host(name).ipv4() })));
    say(`\nkeepalived.conf on lb:\n${conf.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`);
    const daemon = await keepalive.start(lb, conf);
    const pool = async () => checkerStatus(await keepaliveStatus(lb))?.virtualServers[0]?.realServers ?? [];
    await waitFor('every real server checked', async () => (await pool()).length === 3 && (await pool()).every((r) => r.up && r.checks[0]?.last) ? true : undefined);
    const statusText = async () => (await lb.exec([process.execPath, KEEPALIVE_CLI, 'status', '--state-dir', '/run/keepalive'])).stdout;
    say(`\nkeepalive status on lb:\n${(await statusText()).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`);
    const spread = async (n: number) => {
      const { stdout } = await client.exec([process.execPath, `${LB_FIXTURES}client.ts`, 'count', `http://${vip}/`, String(n), '10']);
      const { counts, errors } = JSON.parse(stdout) as { counts: Record<string, number>; errors: Record<string, number> };
      return `${Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join(', ')}${Object.keys(errors).length ? `; failed: ${JSON.stringify(errors)}` : ''}`;
    };
    say(`\nthe client sends 300 requests to http://${vip}/, each on a new connection: ${await spread(300)}`);
    say('\nkilling the backend on rs2...');
    const killedAt = performance.now();
    backends.get('rs2')!.signal('SIGKILL');
    await waitFor('rs2 to leave the pool', async () => ((await pool()).find((r) => r.name.startsWith(lab.host('rs2').ipv4()))?.inTable === null ? true : undefined));
    say(`rs2 failed its TCP check and left the pool ${(performance.now() - killedAt).toFixed(0)} ms later (delay_loop 1 s, retry 1 after 0.5 s)`);
    say(`\nkeepalive status on lb:\n${(await statusText()).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`);
    say(`\nthe client sends 300 more requests: ${await spread(300)}`);
    await daemon.stop();
  } finally {
    lab.destroy();
  }
}
say('\ntearing the lab down...');
const left = leftovers();
const count = left.netns.length + left.links.length + left.processes.length + left.labs.length;
say(count === 0 ? 'done: nothing left behind' : `left behind: ${JSON.stringify(left)}`);
process.exitCode = count === 0 ? 0 : 1;
