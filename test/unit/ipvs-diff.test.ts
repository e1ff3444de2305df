// The IPVS table difference: the fewest operations, in an order the kernel accepts, never a flush.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IpvsDestination, IpvsService } from '../../runtime/src/lb/ipvs/codec.ts';
import { describeOperation, diffTables, serviceId, type IpvsOperation, type IpvsTable } from '../../runtime/src/lb/ipvs/diff.ts';

const svc = (over: Partial<IpvsService> = {}): IpvsService => ({
  family: 4, protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'wrr', persistenceSeconds: 0, netmask: 32, flags: 0, ...over,
} as IpvsService);
const dst = (host: number, over: Partial<IpvsDestination> = {}): IpvsDestination => ({
  address: `198.18.0.${host}`, port: 8080, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over,
});
const web = svc();
const dns = svc({ protocol: 'udp', port: 53, scheduler: 'rr' });
const table: IpvsTable = [
  { service: web, destinations: [dst(11, { weight: 3 }), dst(12), dst(13, { weight: 2 })] },
  { service: dns, destinations: [dst(21, { port: 53 }), dst(22, { port: 53 })] },
];
const lines = (ops: IpvsOperation[]): string[] => ops.map(describeOperation);

test('an empty kernel: each service added, then its destinations', () => {
  assert.deepEqual(lines(diffTables(table, [])), [
    'add-service tcp 198.18.0.100:80 wrr',
    'add-destination tcp 198.18.0.100:80 198.18.0.11:8080 masq weight 3',
    'add-destination tcp 198.18.0.100:80 198.18.0.12:8080 masq weight 1',
    'add-destination tcp 198.18.0.100:80 198.18.0.13:8080 masq weight 2',
    'add-service udp 198.18.0.100:53 rr',
    'add-destination udp 198.18.0.100:53 198.18.0.21:53 masq weight 1',
    'add-destination udp 198.18.0.100:53 198.18.0.22:53 masq weight 1',
  ]);
});

test('the same table: nothing to do, whatever the order and the connection counters', () => {
  const current: IpvsTable = [
    { service: dns, destinations: [dst(22, { port: 53, activeConns: 9 }), dst(21, { port: 53, inactiveConns: 4 })] },
    { service: web, destinations: [dst(13, { weight: 2 }), dst(11, { weight: 3 }), dst(12)] },
  ];
  assert.deepEqual(diffTables(table, current), []);
});

test('a weight change is one edit of that destination, carrying what it was', () => {
  const current: IpvsTable = [{ service: web, destinations: [dst(11, { weight: 3 }), dst(12), dst(13, { weight: 5 })] }, table[1]!];
  const ops = diffTables(table, current);
  assert.deepEqual(ops, [{ kind: 'edit-destination', service: web, destination: dst(13, { weight: 2 }), current: dst(13, { weight: 5 }) }]);
  assert.deepEqual(lines(ops), ['edit-destination tcp 198.18.0.100:80 198.18.0.13:8080 masq weight 5 -> masq weight 2']);
});

test('forwarding method and thresholds are edits too', () => {
  const current: IpvsTable = [{ service: web, destinations: [dst(11, { weight: 3, forward: 'route' }), dst(12, { upperThreshold: 50 }), dst(13, { weight: 2, lowerThreshold: 1 })] }, table[1]!];
  assert.deepEqual(diffTables(table, current).map((o) => o.kind), ['edit-destination', 'edit-destination', 'edit-destination']);
});

test('a scheduler change is an edit of the service, not a delete and add; so are persistence, netmask, flags and engine', () => {
  const current: IpvsTable = [{ service: svc({ scheduler: 'rr' }), destinations: table[0]!.destinations }, table[1]!];
  assert.deepEqual(lines(diffTables(table, current)), ['edit-service tcp 198.18.0.100:80 scheduler rr -> wrr']);
  for (const drift of [{ persistenceSeconds: 300 }, { netmask: 24 }, { flags: 4 }, { peName: 'sip' }]) {
    const ops = diffTables(table, [{ service: svc(drift), destinations: table[0]!.destinations }, table[1]!]);
    assert.deepEqual(ops.map((o) => o.kind), ['edit-service'], JSON.stringify(drift));
  }
  assert.deepEqual(lines(diffTables([{ service: svc({ persistenceSeconds: 600, netmask: 24 }), destinations: [] }], [{ service: web, destinations: [] }])),
    ['edit-service tcp 198.18.0.100:80 persistence 0 -> 600, netmask 32 -> 24']);
});

test('destinations added before any are deleted, so the service never shrinks below either table', () => {
  const desired: IpvsTable = [{ service: web, destinations: [dst(11), dst(14)] }];
  const current: IpvsTable = [{ service: web, destinations: [dst(11, { weight: 7 }), dst(12), dst(13)] }];
  assert.deepEqual(lines(diffTables(desired, current)), [
    'add-destination tcp 198.18.0.100:80 198.18.0.14:8080 masq weight 1',
    'edit-destination tcp 198.18.0.100:80 198.18.0.11:8080 masq weight 7 -> masq weight 1',
    'delete-destination tcp 198.18.0.100:80 198.18.0.12:8080',
    'delete-destination tcp 198.18.0.100:80 198.18.0.13:8080',
  ]);
});

test('a service no longer wanted is deleted last, once, without deleting its destinations one by one', () => {
  assert.deepEqual(lines(diffTables([table[0]!], table)), ['delete-service udp 198.18.0.100:53']);
  assert.deepEqual(lines(diffTables([], table)), ['delete-service tcp 198.18.0.100:80', 'delete-service udp 198.18.0.100:53']);
  const moved: IpvsTable = [{ service: svc({ port: 8443 }), destinations: [dst(11)] }];
  assert.deepEqual(lines(diffTables(moved, [table[0]!])), [
    'add-service tcp 198.18.0.100:8443 wrr',
    'add-destination tcp 198.18.0.100:8443 198.18.0.11:8080 masq weight 1',
    'delete-service tcp 198.18.0.100:80',
  ]);
});

test('drift someone made with ipvsadm is repaired by the same difference, and a second pass finds nothing', () => {
  // In the kernel: an extra service, a missing destination, a changed weight, a changed scheduler.
  const current: IpvsTable = [
    { service: svc({ scheduler: 'lc' }), destinations: [dst(11, { weight: 3 }), dst(13, { weight: 9 })] },
    { service: dns, destinations: [dst(21, { port: 53 }), dst(22, { port: 53 })] },
    { service: svc({ address: '198.18.0.200' }), destinations: [dst(31)] },
  ];
  const ops = diffTables(table, current);
  assert.deepEqual(lines(ops), [
    'edit-service tcp 198.18.0.100:80 scheduler lc -> wrr',
    'add-destination tcp 198.18.0.100:80 198.18.0.12:8080 masq weight 1',
    'edit-destination tcp 198.18.0.100:80 198.18.0.13:8080 masq weight 9 -> masq weight 2',
    'delete-service tcp 198.18.0.200:80',
  ]);
  assert.deepEqual(diffTables(table, simulate(current, ops)), []);
});

test('services are told apart by family, protocol, address, port and fwmark; addresses by value, not spelling', () => {
  const v6 = svc({ family: 6, address: '2001:db8::100' });
  const mark = svc({ protocol: 'fwmark', fwmark: 3 } as Partial<IpvsService>);
  const desired: IpvsTable = [
    { service: v6, destinations: [dst(1, { address: '2001:db8::11' })] },
    { service: mark, destinations: [] },
    { service: svc({ protocol: 'sctp' }), destinations: [] },
  ];
  const current: IpvsTable = [
    { service: svc({ family: 6, address: '2001:0db8:0:0::100' }), destinations: [dst(1, { address: '2001:db8:0::11' })] },
    { service: svc({ protocol: 'fwmark', fwmark: 3, family: 6 } as Partial<IpvsService>), destinations: [] },
    { service: svc(), destinations: [] },
  ];
  assert.equal(serviceId(v6), serviceId(current[0]!.service));
  assert.deepEqual(lines(diffTables(desired, current)), [
    'add-service fwmark 3 wrr',
    'add-service sctp 198.18.0.100:80 wrr',
    'delete-service fwmark 3 (IPv6)',
    'delete-service tcp 198.18.0.100:80',
  ]);
});

test('a table that lists a service or destination twice is refused, naming it', () => {
  assert.throws(() => diffTables([table[0]!, { service: svc(), destinations: [] }], []), /the desired IPVS table lists tcp 198.18.0.100:80 twice/);
  assert.throws(() => diffTables([{ service: web, destinations: [dst(11), dst(11, { weight: 2 })] }], []),
    /the desired IPVS table lists 198.18.0.11:8080 twice in tcp 198.18.0.100:80/);
  assert.throws(() => diffTables([], [{ service: web, destinations: [dst(11), dst(11, { weight: 4 })] }]), /the current IPVS table lists/);
});

test('random tables: applying the difference always reaches the desired table, and never deletes what it then adds', () => {
  let seed = 12345;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const randomTable = (): IpvsTable => {
    const out: IpvsTable[number][] = [];
    const ports = new Set<number>();
    for (let i = rand(5); i > 0; i--) {
      const port = 80 + rand(4);
      if (ports.has(port)) continue;
      ports.add(port);
      const hosts = new Set<number>();
      const destinations: IpvsDestination[] = [];
      for (let j = rand(5); j > 0; j--) {
        const h = 10 + rand(6);
        if (hosts.has(h)) continue;
        hosts.add(h);
        destinations.push(dst(h, { weight: rand(3), forward: (['masq', 'route', 'tunnel'] as const)[rand(3)]! }));
      }
      out.push({ service: svc({ port, scheduler: ['rr', 'wrr', 'lc'][rand(3)]!, persistenceSeconds: rand(2) * 300 }), destinations });
    }
    return out;
  };
  for (let round = 0; round < 500; round++) {
    const desired = randomTable();
    const current = randomTable();
    const ops = diffTables(desired, current);
    assert.deepEqual(diffTables(desired, simulate(current, ops)), [], `round ${round}`);
    const deleted = new Set(ops.filter((o) => o.kind === 'delete-service').map((o) => serviceId(o.service)));
    assert.ok(ops.every((o) => o.kind === 'delete-service' || !deleted.has(serviceId(o.service))), `round ${round}: touches a service it deletes`);
    assert.ok(ops.every((o) => o.kind === 'delete-service' || o.kind === 'delete-destination' || desired.some((v) => serviceId(v.service) === serviceId(o.service))));
  }
});

/** What the kernel would hold after the operations; throws where the kernel would refuse one. */
function simulate(start: IpvsTable, ops: readonly IpvsOperation[]): IpvsTable {
  const services = new Map(start.map((v) => [serviceId(v.service), { service: v.service, destinations: new Map(v.destinations.map((d) => [`${d.address} ${d.port}`, d])) }]));
  const get = (key: IpvsOperation['service']) => {
    const s = services.get(serviceId(key));
    if (!s) throw new Error(`ESRCH: ${serviceId(key)}`);
    return s;
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'add-service':
        if (services.has(serviceId(op.service))) throw new Error(`EEXIST: ${serviceId(op.service)}`);
        services.set(serviceId(op.service), { service: op.service, destinations: new Map() });
        break;
      case 'edit-service': get(op.service).service = op.service; break;
      case 'delete-service': get(op.service); services.delete(serviceId(op.service)); break;
      case 'add-destination': case 'edit-destination': case 'delete-destination': {
        const s = get(op.service);
        const id = `${op.destination.address} ${op.destination.port}`;
        if (op.kind === 'add-destination' && s.destinations.has(id)) throw new Error(`EEXIST: ${id}`);
        if (op.kind !== 'add-destination' && !s.destinations.has(id)) throw new Error(`ENOENT: ${id}`);
        if (op.kind === 'delete-destination') s.destinations.delete(id);
        else s.destinations.set(id, op.destination);
      }
    }
  }
  return [...services.values()].map((s) => ({ service: s.service, destinations: [...s.destinations.values()] }));
}
