// The nftables dataplane as text: virtual services rendered into one nft script that replaces the
// runtime's table in a single `nft -f` transaction. Pure.
//
// One table, `table inet keepalive`: the inet family carries IPv4 and IPv6 services in one table, so
// one transaction replaces both, and a reader (drift check, an operator) finds everything in one place.
// The script declares the table (a no-op if it exists), deletes it and creates it again; nft sends all
// of it as one batch, so the kernel switches from the old table to the new one atomically and packets
// never see a half-built table. Nothing outside this table is touched (no `flush ruleset`).
//
// Deleting the table does not touch conntrack: a connection already DNATed keeps its binding, so an
// apply that changes a weight drops no established connection.
//
// Forwarding assumption (keepalived's NAT method, lb_kind NAT): the real servers route their replies
// through the director (it is their gateway), so only the destination is rewritten; there is no
// masquerade/SNAT here. DR and TUN have no nftables equivalent and are not rendered.
//
// Chains:
//   prerouting (nat, dstnat) and output (nat, -100) both jump to `services`, so remote clients and
//   clients on the director itself are balanced alike.
//   services: per service, a persistence lookup (if persistent) then the scheduling DNAT.
//   remember (filter, postrouting): records which destination a new connection of a persistent
//   service got, after DNAT has rewritten the packet (the DNAT itself is terminal, so it cannot record).
//   unserved (filter, input): a service with no destination taking new connections rejects them (TCP
//   reset, or ICMP port unreachable for UDP) rather than leaving the VIP to whatever listens on the
//   director, so clients fail fast, as with a keepalived virtual server whose real servers are all down.
//
// Traffic counters, what IPVS counts per service and destination (ipvsadm --stats): a named counter
// each for in (the client's direction), out (the replies) and connections, found through maps keyed
// by the connection's conntrack tuples (its original destination, the VIP and port; its reply source,
// the real server and port), so a packet costs a few map lookups however many services there are.
//   traffic_forward, traffic_input, traffic_output (filter): every packet of a connection counted
//   once, whichever way it passes the director (input skips lo: a looped-back packet was counted on
//   its way out).
//   connections_postrouting, connections_input (nat): nat chains see only a connection's first
//   packet, so a connection counts once (a SYN sent again would count twice in a filter chain).
// Counters of services matched by fwmark are not kept: a reply carries no mark to tell its service.
import { canonicalIp, ipFamily, type Family } from '../../net/ip.ts';
import type { Scheduler, ServiceAddress, VirtualService } from '../model.ts';

export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'keepalive';
export const TABLE = `${TABLE_FAMILY} ${TABLE_NAME}`;

/**
 * How each IPVS scheduler is carried out without IPVS. nftables sees packets, not connection counts,
 * so the least-connection family becomes a random choice in proportion to weight (what wlc converges
 * to when connections last alike), and the locality schedulers become a hash of the address they key on.
 *   inc: a counter, so every W consecutive new connections follow the weights exactly.
 *   random: a random number per new connection.
 *   source-hash / destination-hash: jhash of the client's (or the destination) address, fixed seed so
 *     that a client keeps its destination across applies while the destination set is unchanged.
 *   highest-weight: all new connections to the destination with the highest weight (fo; ovf without overflow).
 */
type Selection = 'inc' | 'random' | 'source-hash' | 'destination-hash' | 'highest-weight';

const SCHEDULERS: Record<Scheduler, { selection: Selection; weighted: boolean }> = {
  rr: { selection: 'inc', weighted: false },
  wrr: { selection: 'inc', weighted: true },
  lc: { selection: 'random', weighted: false },
  wlc: { selection: 'random', weighted: true },
  sed: { selection: 'random', weighted: true },
  nq: { selection: 'random', weighted: true },
  sh: { selection: 'source-hash', weighted: true },
  mh: { selection: 'source-hash', weighted: true },
  dh: { selection: 'destination-hash', weighted: true },
  lblc: { selection: 'destination-hash', weighted: true },
  lblcr: { selection: 'destination-hash', weighted: true },
  fo: { selection: 'highest-weight', weighted: true },
  ovf: { selection: 'highest-weight', weighted: true },
};

/** jhash seed: fixed, so that source hashing maps a client the same way after every apply. */
const HASH_SEED = '0x6b656570';

const MAX_WEIGHT = 65_535;
/** nft timeouts are kept in milliseconds in 32 bits. */
const MAX_PERSISTENCE_SECONDS = Math.floor(0xffff_ffff / 1000);

export class InvalidServicesError extends Error {
  override name = 'InvalidServicesError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid virtual services:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

interface CheckedDestination { address: string; port: number; weight: number }

interface CheckedService {
  key: string;
  /** Spelled from canonical values only, so it is unique per service and safe in names and comments. */
  id: string;
  family: Family;
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
  fwmark: number | undefined;
  scheduler: Scheduler;
  persistenceSeconds: number | undefined;
  destinations: CheckedDestination[];
  /** Destination ports are all 0: DNAT rewrites the address only and keeps the client's port. */
  keepPort: boolean;
  /** The persistence map remembers the destination address only: the port needs no rewriting, or is the service's. */
  persistAddressOnly: boolean;
}

/** The address's family and canonical text, or undefined for anything nft should not be given. */
function checkAddress(address: unknown): { family: Family; text: string } | undefined {
  const family = typeof address === 'string' ? ipFamily(address) : undefined;
  if (!family || (address as string).includes('%')) return undefined;
  try {
    return { family, text: canonicalIp(address as string) };
  } catch {
    return undefined; // forms the project does not handle, such as IPv4-embedded IPv6
  }
}

const isInteger = (n: unknown, min: number, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

function checkService(s: VirtualService, problems: string[]): CheckedService | undefined {
  const where = `service ${JSON.stringify(s.key)}`;
  const before = problems.length;
  const vip = checkAddress(s.address);
  const family = vip?.family;
  if (!vip) problems.push(`${where}: address ${JSON.stringify(s.address)} is not an IP address`);
  if (s.protocol !== 'tcp' && s.protocol !== 'udp') problems.push(`${where}: protocol ${JSON.stringify(s.protocol)} is neither tcp nor udp`);
  if (!Object.hasOwn(SCHEDULERS, s.scheduler)) {
    problems.push(`${where}: scheduler ${JSON.stringify(s.scheduler)} is not one of ${Object.keys(SCHEDULERS).join(', ')}`);
  }
  const fwmark = s.fwmark;
  if (fwmark !== undefined && !isInteger(fwmark, 1, 0xffff_ffff)) problems.push(`${where}: fwmark ${fwmark} is not an integer in 1..4294967295`);
  if (fwmark === undefined && !isInteger(s.port, 1, 65_535)) problems.push(`${where}: port ${s.port} is not an integer in 1..65535`);
  if (s.persistencePrefix !== undefined && s.persistencePrefix !== (family === 6 ? 128 : 32)) {
    problems.push(`${where}: persistence_granularity /${s.persistencePrefix} needs IPVS; nftables remembers whole client addresses`);
  }
  if (s.persistenceSeconds !== undefined && !isInteger(s.persistenceSeconds, 1, MAX_PERSISTENCE_SECONDS)) {
    problems.push(`${where}: persistence ${s.persistenceSeconds} s is not an integer in 1..${MAX_PERSISTENCE_SECONDS}`);
  }
  const destinations: CheckedDestination[] = [];
  const seen = new Set<string>();
  for (const d of s.destinations ?? []) {
    const at = `${where}: destination ${JSON.stringify(d.address)} port ${d.port}`;
    const checked = checkAddress(d.address);
    if (!checked) { problems.push(`${at}: not an IP address`); continue; }
    if (family && checked.family !== family) problems.push(`${at}: IPv${checked.family} destination for an IPv${family} service`);
    if (!isInteger(d.port, fwmark === undefined ? 1 : 0, 65_535)) {
      problems.push(`${at}: port is not an integer in ${fwmark === undefined ? '1' : '0'}..65535${fwmark === undefined ? '' : ' (0 keeps the client\'s port)'}`);
    }
    if (!isInteger(d.weight, 0, MAX_WEIGHT)) problems.push(`${at}: weight ${d.weight} is not an integer in 0..${MAX_WEIGHT}`);
    if (d.method !== undefined && d.method !== 'NAT') {
      problems.push(`${at}: forwarding method ${d.method} needs IPVS; the nftables dataplane forwards by NAT only (lvs_method NAT)`);
    }
    if (d.upperThreshold || d.lowerThreshold) problems.push(`${at}: connection thresholds (uthreshold, lthreshold) need IPVS; nftables does not count connections per destination`);
    const address = checked.text;
    const id = `${address} ${d.port}`;
    if (seen.has(id)) problems.push(`${at}: listed twice`);
    seen.add(id);
    destinations.push({ address, port: d.port, weight: d.weight });
  }
  const keepPort = destinations.length > 0 && destinations.every((d) => d.port === 0);
  if (!keepPort && destinations.some((d) => d.port === 0)) {
    problems.push(`${where}: destinations mix port 0 (keep the client's port) with explicit ports`);
  }
  // nft 1.0.6 cannot compile an IPv6 map update whose value is address . port (it runs out of
  // registers), so an IPv6 persistent service must keep its port: its destinations listen on it.
  const persistAddressOnly = keepPort || (fwmark === undefined && destinations.every((d) => d.port === s.port));
  if (family === 6 && s.persistenceSeconds !== undefined && !persistAddressOnly) {
    problems.push(`${where}: persistence for an IPv6 service needs every destination on the service's port (nftables cannot remember address and port together for IPv6)`);
  }
  if (problems.length > before || !vip) return undefined;
  const { family: vipFamily, text: address } = vip;
  const id = fwmark === undefined ? `${s.protocol} ${address} ${s.port}` : `fwmark ${fwmark} ipv${vipFamily} ${s.protocol}`;
  return {
    key: s.key, id, family: vipFamily, protocol: s.protocol, address, port: s.port, fwmark, scheduler: s.scheduler,
    persistenceSeconds: s.persistenceSeconds, destinations, keepPort, persistAddressOnly,
  };
}

/** Checks every service; throws InvalidServicesError listing every problem found. */
export function checkServices(services: readonly VirtualService[]): CheckedService[] {
  const problems: string[] = [];
  const checked: CheckedService[] = [];
  const ids = new Map<string, string>();
  for (const s of services) {
    const c = checkService(s, problems);
    if (!c) continue;
    const other = ids.get(c.id);
    if (other !== undefined) problems.push(`service ${JSON.stringify(c.key)}: the same service as ${JSON.stringify(other)}`);
    ids.set(c.id, c.key);
    checked.push(c);
  }
  if (problems.length > 0) throw new InvalidServicesError(problems);
  return checked;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const ipKeyword = (f: Family): string => (f === 4 ? 'ip' : 'ip6');

/** Text made an nft identifier. Service ids and addresses are canonical, so distinct ones stay distinct. */
const identifier = (text: string): string => text.replace(/[^a-z0-9]/gi, '_');

/** The name of a persistent service's client -> destination map. */
export function persistenceMapName(serviceId: string): string {
  return `persist_${identifier(serviceId)}`;
}

function target(s: CheckedService, d: CheckedDestination, inMap: boolean): string {
  if (s.keepPort) return d.address;
  if (inMap) return `${d.address} . ${d.port}`;
  return s.family === 4 ? `${d.address}:${d.port}` : `[${d.address}]:${d.port}`;
}

/** The match that selects a service's packets. */
function serviceMatch(s: CheckedService): string {
  if (s.fwmark !== undefined) return `meta mark ${s.fwmark} meta nfproto ipv${s.family} meta l4proto ${s.protocol}`;
  return `${ipKeyword(s.family)} daddr ${s.address} ${s.protocol} dport ${s.port}`;
}

/**
 * What a new connection is DNATed to: one destination directly, or a map from a number (counter,
 * random or hash) to destinations, with ranges as wide as each destination's weight.
 */
function schedule(s: CheckedService, usable: readonly CheckedDestination[]): string {
  const { selection, weighted } = SCHEDULERS[s.scheduler];
  let chosen = usable;
  if (selection === 'highest-weight') {
    const top = Math.max(...usable.map((d) => d.weight));
    chosen = [usable.find((d) => d.weight === top) as CheckedDestination];
  }
  if (chosen.length === 1) return target(s, chosen[0] as CheckedDestination, false);
  const divisor = weighted ? chosen.reduce((g, d) => gcd(g, d.weight), 0) : 1;
  const slots = chosen.map((d) => (weighted ? d.weight / divisor : 1));
  const total = slots.reduce((a, b) => a + b, 0);
  let next = 0;
  const elements = chosen.map((d, i) => {
    const from = next;
    next += slots[i] as number;
    const range = next - 1 === from ? `${from}` : `${from}-${next - 1}`;
    return `${range} : ${target(s, d, true)}`;
  });
  const ip = ipKeyword(s.family);
  const number = selection === 'inc' ? `numgen inc mod ${total}`
    : selection === 'random' ? `numgen random mod ${total}`
    : selection === 'source-hash' ? `jhash ${ip} saddr mod ${total} seed ${HASH_SEED}`
    : `jhash ${ip} daddr mod ${total} seed ${HASH_SEED}`;
  return `${number} map { ${elements.join(', ')} }`;
}

/** What a traffic counter counts: packets and bytes each way, or connections (its packets). */
export type TrafficDirection = 'in' | 'out' | 'conn';
const DIRECTIONS: readonly TrafficDirection[] = ['in', 'out', 'conn'];

/** A service's traffic counters and its destinations', by direction: the names in the table. */
export interface CountedService {
  service: Extract<ServiceAddress, { address: string }>;
  names: Record<TrafficDirection, string>;
  destinations: { address: string; port: number; names: Record<TrafficDirection, string> }[];
}

const counterNames = (base: string): Record<TrafficDirection, string> =>
  ({ in: `${base}_in`, out: `${base}_out`, conn: `${base}_conn` });

function counted(s: CheckedService): CountedService {
  const base = `traffic_${identifier(s.id)}`;
  return {
    service: { family: s.family, protocol: s.protocol, address: s.address, port: s.port },
    names: counterNames(base),
    destinations: s.destinations.map((d) => ({ address: d.address, port: d.port, names: counterNames(`${base}_rs_${identifier(d.address)}_${d.port}`) })),
  };
}

/**
 * The traffic counters the table has for these services: every service matched by address and port,
 * and each of its destinations (weight 0 too: its established connections still flow). Pure.
 */
export function countedServices(services: readonly VirtualService[]): CountedService[] {
  return checkServices(services).filter((s) => s.fwmark === undefined).map(counted);
}

/** A counter's values, as read back before an apply and carried into the new table. */
export interface CounterValues { packets: number; bytes: number }

/**
 * The counters, their maps, and the rules that count through them, for services grouped by family and
 * protocol (a map's key types, and the protocol nft needs to read the ports, differ between groups).
 */
function renderTraffic(services: readonly CountedService[], carried: ReadonlyMap<string, CounterValues>): { objects: string[]; traffic: string[]; connections: string[] } {
  const objects: string[] = [];
  const traffic: string[] = [];
  const connections: string[] = [];
  for (const s of services) {
    for (const name of [...DIRECTIONS.map((d) => s.names[d]), ...s.destinations.flatMap((d) => DIRECTIONS.map((dir) => d.names[dir]))]) {
      const value = carried.get(name);
      objects.push(`  counter ${name} { packets ${value?.packets ?? 0} bytes ${value?.bytes ?? 0} }`);
    }
  }
  const groups = new Map<string, CountedService[]>();
  for (const s of services) {
    const group = `ip${s.service.family}_${s.service.protocol}`;
    groups.set(group, [...(groups.get(group) ?? []), s]);
  }
  for (const [group, members] of groups) {
    const { family, protocol } = members[0]!.service;
    const ip = ipKeyword(family);
    const address = family === 4 ? 'ipv4_addr' : 'ipv6_addr';
    const vipKey = `ct original ${ip} daddr . ct original proto-dst`;
    const rsKey = `${vipKey} . ct reply ${ip} saddr . ct reply proto-src`;
    const match = `meta nfproto ipv${family} meta l4proto ${protocol} ct status dnat`;
    for (const direction of DIRECTIONS) {
      const vipMap = `traffic_vip_${direction}_${group}`;
      const rsMap = `traffic_rs_${direction}_${group}`;
      objects.push(
        [`  map ${vipMap} {`, `    type ${address} . inet_service : counter`,
          ...elementsLine(members.map((m) => `${m.service.address} . ${m.service.port} : ${quote(m.names[direction])}`)), '  }'].join('\n'),
        [`  map ${rsMap} {`, `    type ${address} . inet_service . ${address} . inet_service : counter`,
          ...elementsLine(members.flatMap((m) => m.destinations.map((d) => `${m.service.address} . ${m.service.port} . ${d.address} . ${d.port} : ${quote(d.names[direction])}`))), '  }'].join('\n'),
      );
      if (direction === 'conn') {
        connections.push(`${match} counter name ${vipKey} map @${vipMap}`, `${match} counter name ${rsKey} map @${rsMap}`);
      } else {
        const ct = `ct direction ${direction === 'in' ? 'original' : 'reply'}`;
        traffic.push(`${match} ${ct} counter name ${vipKey} map @${vipMap}`, `${match} ${ct} counter name ${rsKey} map @${rsMap}`);
      }
    }
  }
  return { objects, traffic, connections };
}

function elementsLine(elements: readonly string[]): string[] {
  return elements.length === 0 ? [] : [`    elements = { ${elements.join(', ')} }`];
}

function quote(text: string): string {
  return `"${text}"`;
}

/** A client a persistence map remembered, as read back from the kernel before an apply. */
export interface RememberedClient {
  client: string;
  address: string;
  /** Absent when the map remembers the address only. */
  port?: number;
  /** Seconds left before the kernel would forget the client. */
  expiresSeconds: number;
}

/**
 * The remembered clients worth carrying into the new table: those whose destination still takes new
 * connections in the service, with at most the service's (possibly shortened) persistence left.
 */
function carried(s: CheckedService, usable: readonly CheckedDestination[], remembered: readonly RememberedClient[]): string[] {
  const elements: string[] = [];
  for (const r of remembered) {
    const client = checkAddress(r.client);
    const address = checkAddress(r.address)?.text;
    if (client?.family !== s.family || !address || !isInteger(r.expiresSeconds, 1, MAX_PERSISTENCE_SECONDS)) continue;
    const destination = usable.find((d) => d.address === address && (s.persistAddressOnly ? r.port === undefined : d.port === r.port));
    if (!destination) continue;
    const expires = Math.min(r.expiresSeconds, s.persistenceSeconds as number);
    elements.push(`${client.text} expires ${expires}s : ${s.persistAddressOnly ? address : `${address} . ${destination.port}`}`);
  }
  return elements;
}

/**
 * The nft script that replaces the runtime's table with one forwarding exactly these services.
 * `remembered` (by persistence map name) carries the persistence maps' clients over the replacement,
 * so an apply (a health change, a reload) does not make persistent clients start afresh; `counters`
 * (by name) carries the traffic counters' values, so that they only ever grow while their service
 * and destination stay.
 */
export function renderTable(services: readonly VirtualService[], remembered: ReadonlyMap<string, readonly RememberedClient[]> = new Map(),
  counters: ReadonlyMap<string, CounterValues> = new Map()): string {
  const checked = checkServices(services);
  const maps: string[] = [];
  const serviceRules: string[] = [];
  const rememberRules: string[] = [];
  const unservedRules: string[] = [];
  for (const s of checked) {
    const match = serviceMatch(s);
    const comment = `comment ${quote(s.id)}`;
    const ip = ipKeyword(s.family);
    // Weight 0 (inhibited) destinations stay in the model but get no new connections.
    const usable = s.destinations.filter((d) => d.weight > 0);
    if (usable.length === 0) {
      const reject = s.protocol === 'tcp' ? 'reject with tcp reset' : 'reject';
      unservedRules.push(`${match} ${reject} ${comment}`);
      continue;
    }
    if (s.persistenceSeconds !== undefined) {
      const name = persistenceMapName(s.id);
      const addressType = s.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
      const value = s.persistAddressOnly ? addressType : `${addressType} . inet_service`;
      maps.push([
        `  map ${name} {`,
        `    type ${addressType} : ${value}`,
        '    flags dynamic, timeout',
        `    timeout ${s.persistenceSeconds}s`,
        ...elementsLine(carried(s, usable, remembered.get(name) ?? [])),
        '  }',
      ].join('\n'));
      // A client the map knows goes where it went before; a lookup that misses does not match, and
      // the scheduling rule below decides.
      serviceRules.push(`${match} dnat ${ip} to ${ip} saddr map @${name} ${comment}`);
      const original = s.fwmark !== undefined ? match
        : `ct original ${ip} daddr ${s.address} meta l4proto ${s.protocol} ct original proto-dst ${s.port}`;
      const recorded = s.persistAddressOnly ? `${ip} daddr` : `${ip} daddr . ${s.protocol} dport`;
      // Every new connection refreshes the client's entry, so it lasts persistenceSeconds after the last one.
      rememberRules.push(`ct state new ct status dnat ${original} update @${name} { ${ip} saddr : ${recorded} } ${comment}`);
    }
    serviceRules.push(`${match} dnat ${ip} to ${schedule(s, usable)} ${comment}`);
  }
  const chain = (name: string, head: string | undefined, rules: readonly string[]): string =>
    [`  chain ${name} {`, ...(head ? [`    ${head}`] : []), ...rules.map((r) => `    ${r}`), '  }'].join('\n');
  const traffic = renderTraffic(checked.filter((s) => s.fwmark === undefined).map(counted), counters);
  const counting = traffic.traffic.length === 0 ? [] : [
    chain('traffic', undefined, traffic.traffic),
    chain('traffic_forward', 'type filter hook forward priority filter; policy accept;', ['jump traffic']),
    chain('traffic_input', 'type filter hook input priority filter; policy accept;', ['iifname != "lo" jump traffic']),
    chain('traffic_output', 'type filter hook output priority filter; policy accept;', ['jump traffic']),
    chain('connections', undefined, traffic.connections),
    chain('connections_postrouting', 'type nat hook postrouting priority srcnat; policy accept;', ['jump connections']),
    chain('connections_input', 'type nat hook input priority 100; policy accept;', ['jump connections']),
  ];
  return [
    `table ${TABLE} {}`,
    `delete table ${TABLE}`,
    `table ${TABLE} {`,
    ...maps,
    ...traffic.objects,
    chain('services', undefined, serviceRules),
    chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', ['jump services']),
    chain('output', 'type nat hook output priority -100; policy accept;', ['jump services']),
    chain('remember', 'type filter hook postrouting priority srcnat; policy accept;', rememberRules),
    chain('unserved', 'type filter hook input priority filter; policy accept;', unservedRules),
    ...counting,
    '}',
    '',
  ].join('\n');
}

/** The nft script that removes the runtime's table, whether or not it exists. */
export function renderRemoval(): string {
  return `table ${TABLE} {}\ndelete table ${TABLE}\n`;
}
