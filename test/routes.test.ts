// virtual_routes, virtual_rules and static_* against the real kernel, in a mixed VRRP group with
// Debian's keepalived (lab hosts are network namespaces): the routes and rules go where the VIP is,
// both ways; a static route deleted by hand is put back; a virtual route deleted by hand makes the
// master resign and take over again, adding it back, as keepalived does; a route through an interface that does not exist refuses
// a reload (the running configuration stays) and the start (exit 1), each with file:line:col.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { KEEPALIVE_CLI, KEEPALIVE_STATE_DIR, keepalive, keepalived, keepaliveStatus, renderVrrpConf } from './lab/implementations.ts';
import { waitForSoleHolder } from './lab/vrrp.ts';
import { waitFor } from './lab/exec.ts';
import type { Host } from './lab/host.ts';

test('routes and rules follow the VIP between keepalive and keepalived; deleted by hand, they come back', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const subnet = lab.segment().subnets.v4;
  const vip = addressIn(subnet, 100);
  const [gw1, gw2] = [addressIn(subnet, 201), addressIn(subnet, 202)];
  const gw6 = addressIn(lab.segment().subnets.v6, 201);
  // Destinations inside the lab's range, reached through gateways on the segment; nothing leaves the namespaces.
  const routes = (extra: string[] = []) => [
    '  virtual_routes {',
    `    src ${vip} to 198.19.250.0/24 via ${gw1} dev eth0 table 100`,
    `    198.19.251.0/24 nexthop via ${gw1} dev eth0 nexthop via ${gw2} dev eth0 weight 2`,
    '    blackhole 198.19.252.0/24',
    `    2001:db8:ffff::/64 via ${gw6} dev eth0 table 100`,
    ...extra,
    '  }',
    '  virtual_rules {',
    `    from ${vip}/32 table 100 priority 100`,
    '    from 2001:db8:fffe::/64 table 100 priority 100',
    '  }',
  ].join('\n');
  const statics = `static_routes {\n  198.19.253.0/24 via ${gw1} dev eth0\n}\n`;
  const base = { version: 3 as const, vrid: 52, interfaceName: 'eth0', advertInt: 0.1, vips: [`${vip}/24`] };
  const conf = (routerId: string, priority: number, extra: string[] = []) => statics + renderVrrpConf({ ...base, routerId, priority })
    .replace('  virtual_ipaddress {', `${routes(extra)}\n  virtual_ipaddress {`);

  const both = async (h: Host, command: string[]) => (await h.exec(['ip', '-4', ...command])).stdout + (await h.exec(['ip', '-6', ...command])).stdout;
  const routesOf = (h: Host) => both(h, ['route', 'show', 'table', 'all', 'proto', '18']);
  const rulesOf = (h: Host) => both(h, ['rule', 'show', 'priority', '100']);
  /** Whether the host has all of the virtual routes and rule, none, or only some (while they are being changed). */
  const virtualOn = async (h: Host): Promise<'all' | 'none' | 'some'> => {
    const [r, rules] = [await routesOf(h), await rulesOf(h)];
    const found = [/198\.19\.250\.0\/24 via \S+ dev eth0 table 100 .*src /.test(r), /198\.19\.251\.0\/24 .*\n\s+nexthop via \S+ dev eth0 weight 1 \n\s+nexthop via \S+ dev eth0 weight 2/.test(r), /blackhole 198\.19\.252\.0\/24/.test(r),
      /2001:db8:ffff::\/64 via \S+ dev eth0 table 100/.test(r), rules.includes(`from ${vip} lookup 100`), rules.includes('from 2001:db8:fffe::/64 lookup 100')];
    return found.every(Boolean) ? 'all' : found.some(Boolean) ? 'some' : 'none';
  };
  const waitVirtual = (h: Host, want: 'all' | 'none', what: string) => waitFor(what, async () => ((await virtualOn(h)) === want ? true : undefined));

  // keepalive (200) alone becomes master; keepalived (100) joins as backup.
  const ours = await keepalive.start(h1, conf('h1', 200));
  await waitForSoleHolder([h1, h2], vip, 'h1');
  const theirs = await keepalived.start(h2, conf('h2', 100));
  await waitVirtual(h1, 'all', 'keepalive\'s virtual routes and rule');
  assert.equal(await virtualOn(h2), 'none', 'keepalived, backup, has none');
  // routesOf lists only routes of keepalived's protocol (18).
  assert.match(await routesOf(h1), /198\.19\.253\.0\/24 via \S+ dev eth0/, 'the static route, with keepalived\'s protocol');

  // A static route deleted by hand is put back.
  await h1.exec(['ip', 'route', 'del', '198.19.253.0/24']);
  await waitFor('the static route to come back', async () => ((await routesOf(h1)).includes('198.19.253.0/24') ? true : undefined), { timeoutMs: 5000 });

  // A virtual route deleted by hand on the master: it resigns, comes back after Skew_Time and adds it again.
  await h1.exec(['ip', 'route', 'del', '198.19.250.0/24', 'table', '100']);
  await waitFor('keepalive to resign and take over again', async () => {
    const vrrp = (await keepaliveStatus(h1)).children['vrrp']!.status as { instances: { state: string; transitions: { from: string; to: string; reason: string }[] }[] };
    const [i] = vrrp.instances;
    const resigned = i!.transitions.findIndex((x) => x.from === 'master' && x.to === 'backup' && /^route 198\.19\.250\.0\/24 via \S+ dev eth0 table 100 was deleted$/.test(x.reason));
    return resigned >= 0 && i!.state === 'master' && i!.transitions.slice(resigned).some((x) => x.to === 'master') ? true : undefined;
  });
  await waitVirtual(h1, 'all', 'the virtual route back');
  await waitForSoleHolder([h1, h2], vip, 'h1');
  assert.equal(await virtualOn(h2), 'none');

  // A reload naming an interface the host lacks is refused at its line; the running configuration stays.
  h1.writeFile('/etc/keepalive/keepalived.conf', conf('h1', 200, ['    198.19.254.0/24 dev eth9']));
  const reload = await h1.exec([process.execPath, KEEPALIVE_CLI, 'reload', '--state-dir', KEEPALIVE_STATE_DIR], { allowFailure: true });
  assert.notEqual(reload.code, 0);
  assert.match(reload.stderr + reload.stdout, /keepalived\.conf:\d+:5: virtual_routes 198\.19\.254\.0\/24: no interface eth9 on this host/);
  assert.ok((await routesOf(h1)).includes('198.19.253.0/24'), 'the static route stays');

  // keepalive stops: keepalived takes the VIP, with its routes and rule; keepalive's static route goes too.
  await ours.stop();
  await waitForSoleHolder([h1, h2], vip, 'h2');
  await waitVirtual(h2, 'all', 'keepalived\'s virtual routes and rule');
  assert.equal(await routesOf(h1), '', 'nothing of keepalive\'s is left');
  assert.equal(await rulesOf(h1), '');

  // keepalive is back (200): it preempts keepalived, and the routes and rule move back with the VIP.
  const again = await keepalive.start(h1, conf('h1', 200));
  await waitForSoleHolder([h1, h2], vip, 'h1');
  await waitVirtual(h1, 'all', 'keepalive\'s virtual routes and rule again');
  await waitVirtual(h2, 'none', 'keepalived to remove its routes and rule');
  await again.stop();
  await theirs.stop();

  // Started with a route through a missing interface: exit 1, with the place.
  h1.writeFile('/etc/keepalive/keepalived.conf', conf('h1', 200, ['    198.19.254.0/24 dev eth9']));
  const start = await h1.exec([process.execPath, KEEPALIVE_CLI, 'run', '-f', '/etc/keepalive/keepalived.conf', '--state-dir', KEEPALIVE_STATE_DIR, '--no-syslog'], { allowFailure: true, timeoutMs: 30_000 });
  assert.equal(start.code, 1);
  assert.match(start.stderr, /keepalived\.conf:\d+:5: virtual_routes 198\.19\.254\.0\/24: no interface eth9 on this host/);
  assert.equal(await routesOf(h1), '', 'a refused start leaves nothing behind');
});
