#!/usr/bin/env node
// The main job on the local lab: a VRRP group on lab hosts, its master killed, the takeover measured;
// then keepalive load balancing a virtual service over three real servers, one of which is killed.
//   npm run demo -- [--impl keepalive|keepalived] [--version 2|3] [--advert-int SECONDS]
import { parseArgs } from 'node:util';
import { implementation, keepalive, KEEPALIVE_CLI } from './implementations.ts';
import { sleep, waitFor } from './exec.ts';
import { FailoverRig } from './failover.ts';
import { currentAdvertisers, holders } from './vrrp.ts';
import { leftovers } from './lab.ts';
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

say(`keepalive demo: ${impl.name}, VRRPv${version} with advert_int ${advertInt}, on three lab routers and a client`);
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
say('\nload balancing: keepalive on a NAT director "lb", a virtual service on its VIP port 80, real servers rs1..rs3 behind it');
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
