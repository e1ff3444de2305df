// The difference between the IPVS table we want and the one the kernel has, as the fewest kernel
// operations that turn one into the other. Never a flush: a service or destination that stays keeps
// its connections, so a reload (or a repair of drift someone made with ipvsadm) drops nothing. Pure.
//
// Order: per desired service, its add or edit, then its destinations' adds, edits and deletes (adds
// first, so a service never has fewer destinations than both the old and the new table give it);
// the deletes of services no longer wanted come last. Deleting a service deletes its destinations,
// so those get no operations of their own.
import { canonicalIp } from '../../net/ip.ts';
import { canonicalKey, describeDestination, describeService, type IpvsDestination, type IpvsService, type IpvsServiceKey } from './codec.ts';

export interface IpvsVirtualService {
  service: IpvsService;
  destinations: readonly IpvsDestination[];
}

export type IpvsTable = readonly IpvsVirtualService[];

export type IpvsOperation =
  | { kind: 'add-service'; service: IpvsService }
  | { kind: 'edit-service'; service: IpvsService; current: IpvsService }
  | { kind: 'delete-service'; service: IpvsServiceKey }
  | { kind: 'add-destination'; service: IpvsServiceKey; destination: IpvsDestination }
  | { kind: 'edit-destination'; service: IpvsServiceKey; destination: IpvsDestination; current: IpvsDestination }
  | { kind: 'delete-destination'; service: IpvsServiceKey; destination: IpvsDestination };

/** A string equal for equal service keys, whatever the spelling of the address. */
export function serviceId(key: IpvsServiceKey): string {
  const k = canonicalKey(key);
  return k.protocol === 'fwmark' ? `${k.family} fwmark ${k.fwmark}` : `${k.family} ${k.protocol} ${k.address} ${k.port}`;
}

function destinationId(d: IpvsDestination): string {
  return `${canonicalIp(d.address)} ${d.port}`;
}

function sameService(a: IpvsService, b: IpvsService): boolean {
  return a.scheduler === b.scheduler && a.persistenceSeconds === b.persistenceSeconds && a.netmask === b.netmask
    && a.flags === b.flags && (a.peName ?? '') === (b.peName ?? '');
}

function sameDestination(a: IpvsDestination, b: IpvsDestination): boolean {
  return a.forward === b.forward && a.weight === b.weight && a.upperThreshold === b.upperThreshold && a.lowerThreshold === b.lowerThreshold;
}

/** Indexes a table by service id; a service listed twice, or a destination twice in one service, throws. */
function index(table: IpvsTable, which: string): Map<string, { service: IpvsService; destinations: Map<string, IpvsDestination> }> {
  const out = new Map<string, { service: IpvsService; destinations: Map<string, IpvsDestination> }>();
  for (const { service, destinations } of table) {
    const id = serviceId(service);
    if (out.has(id)) throw new Error(`the ${which} IPVS table lists ${describeService(service)} twice`);
    const byId = new Map<string, IpvsDestination>();
    for (const d of destinations) {
      const did = destinationId(d);
      if (byId.has(did)) throw new Error(`the ${which} IPVS table lists ${describeDestination(d)} twice in ${describeService(service)}`);
      byId.set(did, d);
    }
    out.set(id, { service, destinations: byId });
  }
  return out;
}

export function diffTables(desired: IpvsTable, current: IpvsTable): IpvsOperation[] {
  const want = index(desired, 'desired');
  const have = index(current, 'current');
  const ops: IpvsOperation[] = [];
  for (const [id, { service, destinations }] of want) {
    const there = have.get(id);
    if (!there) {
      ops.push({ kind: 'add-service', service });
      for (const destination of destinations.values()) ops.push({ kind: 'add-destination', service, destination });
      continue;
    }
    if (!sameService(service, there.service)) ops.push({ kind: 'edit-service', service, current: there.service });
    const edits: IpvsOperation[] = [];
    for (const [did, destination] of destinations) {
      const old = there.destinations.get(did);
      if (!old) ops.push({ kind: 'add-destination', service, destination });
      else if (!sameDestination(destination, old)) edits.push({ kind: 'edit-destination', service, destination, current: old });
    }
    ops.push(...edits);
    for (const [did, old] of there.destinations) {
      if (!destinations.has(did)) ops.push({ kind: 'delete-destination', service, destination: old });
    }
  }
  for (const [id, { service }] of have) {
    if (!want.has(id)) ops.push({ kind: 'delete-service', service });
  }
  return ops;
}

function serviceChanges(from: IpvsService, to: IpvsService): string {
  const fields = [
    ['scheduler', from.scheduler, to.scheduler],
    ['persistence', from.persistenceSeconds, to.persistenceSeconds],
    ['netmask', from.netmask, to.netmask],
    ['flags', from.flags, to.flags],
    ['pe', from.peName ?? '', to.peName ?? ''],
  ] as const;
  return fields.filter(([, a, b]) => a !== b).map(([name, a, b]) => `${name} ${a} -> ${b}`).join(', ');
}

/** One line per operation, for logs and test messages: "edit-destination tcp 198.18.0.100:80 198.18.0.11:8080 weight 3 -> 1". */
export function describeOperation(op: IpvsOperation): string {
  const svc = describeService(op.service);
  switch (op.kind) {
    case 'add-service': return `add-service ${svc} ${op.service.scheduler}`;
    case 'edit-service': return `edit-service ${svc} ${serviceChanges(op.current, op.service)}`;
    case 'delete-service': return `delete-service ${svc}`;
    case 'add-destination': return `add-destination ${svc} ${describeDestination(op.destination)} ${op.destination.forward} weight ${op.destination.weight}`;
    case 'edit-destination': return `edit-destination ${svc} ${describeDestination(op.destination)} ${op.current.forward} weight ${op.current.weight} -> ${op.destination.forward} weight ${op.destination.weight}`;
    case 'delete-destination': return `delete-destination ${svc} ${describeDestination(op.destination)}`;
  }
}
