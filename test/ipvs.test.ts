// The IPVS adapter against real kernels: this machine's, which has no IPVS, and the user-mode-linux
// guest's, which does. In the guest our runtime programs the table over generic netlink, and
// ipvsadm, a separate implementation, reads it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import { runInUml } from './lab/uml.ts';
import { NetlinkSocket } from '../runtime/src/net/netlink-socket.ts';
import { GENL_ID_CTRL, NETLINK_GENERIC, decodeFamily, getFamilyRequest } from '../runtime/src/net/genetlink.ts';
import { Ipvs, IpvsUnavailableError } from '../runtime/src/lb/ipvs/ipvs.ts';
import type { IpvsDestination, IpvsService } from '../runtime/src/lb/ipvs/codec.ts';
import type { IpvsTable, IpvsVirtualService } from '../runtime/src/lb/ipvs/diff.ts';

const T = { timeout: 240_000 };
const FIXTURE = fileURLToPath(new URL('./fixtures/ipvs/reconcile.ts', import.meta.url));

/**
 * Whether the running kernel has IPVS or can load it, from the kernel's own records rather than from
 * the code under test: its table is there (built in, or loaded), or the module is listed for this
 * release and the kernel loads modules at all (this machine's has no module support).
 */
function kernelHasIpvs(): boolean {
  if (existsSync('/proc/net/ip_vs')) return true;
  const listed = (file: string): boolean => {
    try { return /(^|\/)ip_vs\.ko/m.test(readFileSync(`/lib/modules/${release()}/${file}`, 'utf8')); } catch { return false; } // no such index
  };
  return listed('modules.builtin') || (existsSync('/proc/modules') && listed('modules.dep'));
}

// This kernel's case: no IPVS, so open() must fail, and say why. The working path is the UML
// kernel's, in the tests below (each opens IPVS in the guest; a failure there fails its script).
// On a machine whose kernel has IPVS this case cannot be judged, and the summary shows it skipped.
test('on this machine\'s kernel, which has no IPVS, open() fails with an error that says so', { skip: kernelHasIpvs() && `this kernel (${release()}) has IPVS` }, async () => {
  await assert.rejects(Ipvs.open(), (error: Error) => {
    assert.ok(error instanceof IpvsUnavailableError, String(error));
    assert.equal(error.message, 'the kernel has no IPVS (generic netlink family IPVS not found)');
    return true;
  });
  // Asking for the family makes the kernel try to load ip_vs; it is still not there.
  assert.equal(existsSync('/proc/net/ip_vs'), false);
});

test('the generic netlink codec resolves a family this kernel has: the controller itself, at its fixed id', async () => {
  const socket = new NetlinkSocket(NETLINK_GENERIC);
  try {
    const { messages } = await socket.request('resolve nlctrl', getFamilyRequest('nlctrl'));
    assert.equal(messages.length, 1);
    const family = decodeFamily(messages[0]!);
    assert.equal(family.name, 'nlctrl');
    assert.equal(family.id, GENL_ID_CTRL);
  } finally {
    socket.close();
  }
});

const svc = (over: Partial<IpvsService>): IpvsService => ({
  family: 4, protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'wrr', persistenceSeconds: 0, netmask: 32, flags: 0, ...over,
} as IpvsService);
const dst = (address: string, port: number, forward: IpvsDestination['forward'], weight: number): IpvsDestination =>
  ({ address, port, forward, weight, upperThreshold: 0, lowerThreshold: 0 });

const web = svc({});
const dns = svc({ protocol: 'udp', port: 53, scheduler: 'rr', persistenceSeconds: 300 });
const first: IpvsTable = [
  { service: web, destinations: [dst('198.18.0.11', 8080, 'masq', 3), dst('198.18.0.12', 8080, 'masq', 1), dst('198.18.0.13', 8080, 'masq', 2)] },
  // Direct routing cannot change the port: the destinations listen on the service's.
  { service: dns, destinations: [dst('198.18.0.21', 53, 'route', 1), dst('198.18.0.22', 53, 'route', 2), dst('198.18.0.23', 53, 'route', 1)] },
];
const second: IpvsTable = [
  { service: web, destinations: [dst('198.18.0.11', 8080, 'masq', 3), dst('198.18.0.13', 8080, 'masq', 5)] },
  { service: { ...dns, scheduler: 'wrr' }, destinations: first[1]!.destinations },
];

const FIRST_SAVE = [
  '-A -t 198.18.0.100:80 -s wrr',
  '-A -u 198.18.0.100:53 -s rr -p 300',
  '-a -t 198.18.0.100:80 -r 198.18.0.11:8080 -m -w 3',
  '-a -t 198.18.0.100:80 -r 198.18.0.12:8080 -m -w 1',
  '-a -t 198.18.0.100:80 -r 198.18.0.13:8080 -m -w 2',
  '-a -u 198.18.0.100:53 -r 198.18.0.21:53 -g -w 1',
  '-a -u 198.18.0.100:53 -r 198.18.0.22:53 -g -w 2',
  '-a -u 198.18.0.100:53 -r 198.18.0.23:53 -g -w 1',
].sort();
const SECOND_SAVE = [
  '-A -t 198.18.0.100:80 -s wrr',
  '-A -u 198.18.0.100:53 -s wrr -p 300',
  '-a -t 198.18.0.100:80 -r 198.18.0.11:8080 -m -w 3',
  '-a -t 198.18.0.100:80 -r 198.18.0.13:8080 -m -w 5',
  '-a -u 198.18.0.100:53 -r 198.18.0.21:53 -g -w 1',
  '-a -u 198.18.0.100:53 -r 198.18.0.22:53 -g -w 2',
  '-a -u 198.18.0.100:53 -r 198.18.0.23:53 -g -w 1',
].sort();

interface Step { operations: string[]; info: { version: string; connTableSize: number }; table: IpvsVirtualService[] }

test('our runtime programs 2 services x 3 destinations in the UML kernel, applies a second table as edits, and repairs drift', T, async () => {
  await using lab = await Lab.create({ hosts: ['client'], ssh: false, management: false });
  const reconcile = (table: IpvsTable): string => `${process.execPath} ${FIXTURE} '${JSON.stringify(table)}'`;
  const result = await runInUml(lab, [
    'set -e',
    reconcile(first), 'echo ---', 'ipvsadm -Sn', 'echo ---',
    reconcile(second), 'echo ---', 'ipvsadm -Sn', 'echo ---',
    // Drift, as an operator with ipvsadm would make it: a weight changed and a destination added.
    'ipvsadm -e -t 198.18.0.100:80 -r 198.18.0.11:8080 -m -w 9',
    'ipvsadm -a -u 198.18.0.100:53 -r 198.18.0.24:53 -g -w 1',
    reconcile(second), 'echo ---', 'ipvsadm -Sn', 'echo ---',
    reconcile(second),
  ].join('\n'), { timeoutMs: 200_000 });
  assert.equal(result.code, 0, result.stderr);
  const parts = result.stdout.split('---\n');
  assert.equal(parts.length, 7, result.stdout);
  const step = (i: number): Step => JSON.parse(parts[i]!) as Step;
  const saved = (i: number): string[] => parts[i]!.trim().split('\n').sort();

  assert.deepEqual(step(0).operations, [
    'add-service tcp 198.18.0.100:80 wrr',
    'add-destination tcp 198.18.0.100:80 198.18.0.11:8080 masq weight 3',
    'add-destination tcp 198.18.0.100:80 198.18.0.12:8080 masq weight 1',
    'add-destination tcp 198.18.0.100:80 198.18.0.13:8080 masq weight 2',
    'add-service udp 198.18.0.100:53 rr',
    'add-destination udp 198.18.0.100:53 198.18.0.21:53 route weight 1',
    'add-destination udp 198.18.0.100:53 198.18.0.22:53 route weight 2',
    'add-destination udp 198.18.0.100:53 198.18.0.23:53 route weight 1',
  ]);
  assert.deepEqual(saved(1), FIRST_SAVE);
  assert.match(step(0).info.version, /^1\.\d+\.\d+$/);
  assert.ok(step(0).info.connTableSize > 0);

  // Only the three changes: nothing flushed, nothing re-added.
  assert.deepEqual(step(2).operations, [
    'edit-destination tcp 198.18.0.100:80 198.18.0.13:8080 masq weight 2 -> masq weight 5',
    'delete-destination tcp 198.18.0.100:80 198.18.0.12:8080',
    'edit-service udp 198.18.0.100:53 scheduler rr -> wrr',
  ]);
  assert.deepEqual(saved(3), SECOND_SAVE);

  assert.deepEqual(step(4).operations, [
    'edit-destination tcp 198.18.0.100:80 198.18.0.11:8080 masq weight 9 -> masq weight 3',
    'delete-destination udp 198.18.0.100:53 198.18.0.24:53',
  ]);
  assert.deepEqual(saved(5), SECOND_SAVE);

  assert.deepEqual(step(6).operations, []);
  // What our decoder reads back is the desired table (the kernel adds connection counters).
  const readBack = step(6).table.map((v) => ({ service: v.service, destinations: v.destinations.map(({ activeConns: _a, inactiveConns: _i, ...d }) => d) }));
  const byPort = (t: readonly IpvsVirtualService[]): IpvsVirtualService[] => [...t].sort((a, b) => portOf(a) - portOf(b))
    .map((v) => ({ service: v.service, destinations: [...v.destinations].sort((a, b) => a.address.localeCompare(b.address)) }));
  assert.deepEqual(byPort(readBack), byPort(second));
});

function portOf(v: IpvsVirtualService): number {
  return v.service.protocol === 'fwmark' ? 0 : v.service.port;
}

test('IPv6, fwmark and SCTP services, netmasks, thresholds and every forwarding method round-trip through the UML kernel; refusals name their cause', T, async () => {
  await using lab = await Lab.create({ hosts: ['client'], ssh: false, management: false });
  const table: IpvsTable = [
    {
      service: svc({ family: 6, address: '2001:db8::100', port: 443, scheduler: 'sh', persistenceSeconds: 600, netmask: 64 }),
      destinations: [{ ...dst('2001:db8::11', 8443, 'masq', 1), upperThreshold: 100, lowerThreshold: 10 }],
    },
    {
      service: { family: 4, protocol: 'fwmark', fwmark: 7, scheduler: 'rr', persistenceSeconds: 120, netmask: 24, flags: 0 },
      destinations: [dst('198.18.0.31', 0, 'route', 1), dst('198.18.0.32', 0, 'tunnel', 4)],
    },
    { service: svc({ protocol: 'sctp', port: 3868, scheduler: 'lc' }), destinations: [dst('198.18.0.41', 3868, 'local', 0)] },
  ];
  const result = await runInUml(lab, [
    'set -e',
    `${process.execPath} ${FIXTURE} '${JSON.stringify(table)}'`, 'echo ---', 'ipvsadm -Sn', 'echo ---',
    'ipvsadm -C',
    `${process.execPath} ${fileURLToPath(new URL('./fixtures/ipvs/refusals.ts', import.meta.url))}`,
  ].join('\n'), { timeoutMs: 200_000 });
  assert.equal(result.code, 0, result.stderr);
  const [programmed = '', saved = '', refusals = ''] = result.stdout.split('---\n');
  assert.deepEqual(saved.trim().split('\n').sort(), [
    // ipvsadm saves no thresholds, and has no option for the local method: it writes -g.
    '-A --sctp-service 198.18.0.100:3868 -s lc',
    '-A -f 7 -s rr -p 120 -M 255.255.255.0',
    '-A -t [2001:db8::100]:443 -s sh -p 600 -M 64',
    '-a --sctp-service 198.18.0.100:3868 -r 198.18.0.41:3868 -g -w 0',
    '-a -f 7 -r 198.18.0.31:0 -g -w 1',
    '-a -f 7 -r 198.18.0.32:0 -i -w 4 --tun-type ipip',
    '-a -t [2001:db8::100]:443 -r [2001:db8::11]:8443 -m -w 1',
  ]);
  // Our own read-back has what ipvsadm leaves out, and is exactly what was asked for.
  const step = JSON.parse(programmed) as Step;
  const sorted = (t: readonly IpvsVirtualService[]): IpvsVirtualService[] => [...t].sort((a, b) => a.service.scheduler.localeCompare(b.service.scheduler))
    .map((v) => ({ service: v.service, destinations: v.destinations.map(({ activeConns: _a, inactiveConns: _i, ...d }) => d).sort((a, b) => a.address.localeCompare(b.address)) }));
  assert.deepEqual(sorted(step.table), sorted(table));

  assert.deepEqual(refusals.trim().split('\n'), [
    'unknown scheduler: add tcp 198.18.0.100:80: ENOENT (the kernel has no scheduler "no-such-sched")',
    'edit a missing service: edit tcp 198.18.0.100:80: ESRCH',
    // The kernel's destination dump ends quietly when the service is not there.
    'list a missing service: accepted',
    'add to a missing service: add 198.18.0.11:80 to tcp 198.18.0.100:80: ESRCH',
    'add it twice: add tcp 198.18.0.100:80: EEXIST',
    'edit a missing destination: edit 198.18.0.11:80 in tcp 198.18.0.100:80: ENOENT',
    'delete a missing destination: delete 198.18.0.11:80 from tcp 198.18.0.100:80: ENOENT',
  ]);
});
