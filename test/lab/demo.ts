#!/usr/bin/env node
// The main job on the local lab: a VRRP group on lab hosts, its master killed, the takeover measured.
//   npm run demo -- [--impl keepalive|keepalived] [--version 2|3] [--advert-int SECONDS]
import { parseArgs } from 'node:util';
import { implementation, keepalive, KEEPALIVE_CLI } from './implementations.ts';
import { sleep } from './exec.ts';
import { FailoverRig } from './failover.ts';
import { currentAdvertisers, holders } from './vrrp.ts';
import { leftovers } from './lab.ts';

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
  say('\ntearing the lab down...');
}
const left = leftovers();
const count = left.netns.length + left.links.length + left.processes.length + left.labs.length;
say(count === 0 ? 'done: nothing left behind' : `left behind: ${JSON.stringify(left)}`);
process.exitCode = count === 0 ? 0 : 1;
