// What keepalived.conf sets in the kernel beside the virtual addresses: an instance's virtual_routes
// and virtual_rules, added when it becomes MASTER (after its addresses, which a route's src may
// name) and removed when it leaves MASTER (before them); and static_ipaddress, static_routes and
// static_rules, set at start and kept until keepalive stops.
//
// Deleted by hand, a tracked one (not no_track) is dealt with as keepalived deals with it
// (keepalived_netlink.c): a static one is put back; a virtual one makes its instance resign and
// take over again after Skew_Time, adding it back, unless a peer has taken over by then.
// Deletions are seen through rtnetlink events.
import { ifNameToIndex } from '../net/native.ts';
import { Rtnetlink, type AddressSpec, type AddressInfo, type RtnetlinkEvents } from '../net/rtnetlink.ts';
import { routeMatches, ruleMatches, type RouteInfo, type RouteSpec, type RuleInfo, type RuleSpec } from '../net/rtnetlink-route.ts';
import type { IpRoute, IpRule, SourcePos, VirtualAddress as ModelAddress } from '../config/model.ts';
import { log } from '../log.ts';

/** One route, rule or address as the kernel is asked for it, with what is needed to tell of it. */
export type Entry =
  | { kind: 'route'; spec: RouteSpec; label: string; tracked: boolean }
  | { kind: 'rule'; spec: RuleSpec; label: string; tracked: boolean }
  | { kind: 'address'; spec: AddressSpec; label: string; tracked: boolean };

/** A configuration position as messages give it. */
const where = (at: SourcePos): string => `${at.file}:${at.line}:${at.col}`;

/** Looks up an interface's index; undefined when there is none. */
export type IndexOf = (name: string) => number | undefined;

export const kernelIndexOf: IndexOf = (name) => {
  try { return ifNameToIndex(name); } catch { return undefined; }
};

function device(name: string, at: SourcePos, what: string, indexOf: IndexOf): number {
  const index = indexOf(name);
  if (index === undefined) throw new Error(`${where(at)}: ${what}: no interface ${name} on this host`);
  return index;
}

const prefix = (p: { address: string; prefixLength: number }): string => `${p.address}/${p.prefixLength}`;

/** A configured route as the kernel is asked for it; an interface that does not exist is an error at its place. */
export function routeEntry(r: IpRoute, keyword: string, indexOf: IndexOf): Entry {
  const what = `${keyword} ${prefix({ address: r.destination, prefixLength: r.prefixLength })}`;
  const spec: RouteSpec = {
    family: r.family, destination: r.destination, prefixLength: r.prefixLength, table: r.table, protocol: r.protocol, type: r.type,
    ...(r.onlink && { onlink: true }),
    ...(r.via !== undefined && { gateway: r.via }),
    ...(r.dev !== undefined && { ifindex: device(r.dev, r.at, what, indexOf) }),
    ...(r.src !== undefined && { preferredSource: r.src }),
    ...(r.scope !== undefined && { scope: r.scope }),
    ...(r.metric !== undefined && { metric: r.metric }),
    ...(r.nexthops.length > 0 && {
      nexthops: r.nexthops.map((h) => ({
        ...(h.via !== undefined && { gateway: h.via }),
        ...(h.dev !== undefined && { ifindex: device(h.dev, r.at, what, indexOf) }),
        ...(h.weight !== undefined && { weight: h.weight }),
        ...(h.onlink && { onlink: true }),
      })),
    }),
  };
  const label = `${r.type === 'unicast' ? '' : `${r.type} `}${prefix({ address: r.destination, prefixLength: r.prefixLength })}`
    + `${r.via === undefined ? '' : ` via ${r.via}`}${r.dev === undefined ? '' : ` dev ${r.dev}`}${r.table === 254 ? '' : ` table ${r.table}`}`;
  return { kind: 'route', spec, label: `route ${label}`, tracked: !r.noTrack };
}

export function ruleEntry(r: IpRule): Entry {
  const spec: RuleSpec = {
    family: r.family, table: r.table, priority: r.priority,
    ...(r.from && { from: r.from }), ...(r.to && { to: r.to }), ...(r.iif !== undefined && { iif: r.iif }), ...(r.oif !== undefined && { oif: r.oif }),
    ...(r.fwmark !== undefined && { fwmark: r.fwmark }), ...(r.fwmask !== undefined && { fwmask: r.fwmask }),
  };
  const label = `rule ${r.priority}${r.from ? ` from ${prefix(r.from)}` : ''}${r.to ? ` to ${prefix(r.to)}` : ''}${r.iif ? ` iif ${r.iif}` : ''}`
    + `${r.oif ? ` oif ${r.oif}` : ''}${r.fwmark !== undefined ? ` fwmark ${r.fwmark}` : ''} table ${r.table}`;
  return { kind: 'rule', spec, label, tracked: !r.noTrack };
}

/** A static address goes on its dev, or on keepalived's default interface, eth0. */
export function addressEntry(a: ModelAddress, indexOf: IndexOf): Entry {
  const dev = a.dev ?? 'eth0';
  const spec: AddressSpec = {
    ifindex: device(dev, a.at, `static_ipaddress ${prefix(a)}`, indexOf), family: a.address.includes(':') ? 6 : 4,
    address: a.address, prefixLength: a.prefixLength,
    ...(a.broadcast !== undefined && { broadcast: a.broadcast }),
    ...(a.label !== undefined && { label: a.label }),
    ...(a.scope !== undefined && { scope: a.scope as never }),
  };
  return { kind: 'address', spec, label: `address ${prefix(a)} dev ${dev}`, tracked: !a.noTrack };
}

/** Whether a kernel deletion event is of this entry. */
export function deletes(entry: Entry, event: { kind: 'route'; route: RouteInfo } | { kind: 'rule'; rule: RuleInfo } | { kind: 'address'; address: AddressInfo }): boolean {
  if (entry.kind === 'route' && event.kind === 'route') return event.route.protocol === entry.spec.protocol && routeMatches(entry.spec, event.route);
  if (entry.kind === 'rule' && event.kind === 'rule') return ruleMatches(entry.spec, event.rule);
  if (entry.kind === 'address' && event.kind === 'address') {
    return event.address.ifindex === entry.spec.ifindex && event.address.address === entry.spec.address && event.address.prefixLength === entry.spec.prefixLength;
  }
  return false;
}

/** What routingEntries reads: a VrrpPlan, or the configuration's own lists. */
export interface RoutingConfig {
  statics: { addresses: readonly ModelAddress[]; routes: readonly IpRoute[]; rules: readonly IpRule[] };
  instances: readonly { name: string; virtualRoutes: readonly IpRoute[]; virtualRules: readonly IpRule[] }[];
}

/**
 * The static entries (addresses, rules, routes) and each instance's virtual ones (rules before
 * routes) as the kernel is asked for them. Every interface that does not exist is an error at its
 * place in the configuration; all of them are thrown together, one a line.
 */
export function routingEntries(config: RoutingConfig, indexOf: IndexOf): { statics: Entry[]; instances: Map<string, Entry[]> } {
  const errors: string[] = [];
  const each = <T>(items: readonly T[], entry: (item: T) => Entry): Entry[] => items.flatMap((item) => {
    try { return [entry(item)]; } catch (error) { errors.push((error as Error).message); return []; }
  });
  const statics = [
    ...each(config.statics.addresses, (a) => addressEntry(a, indexOf)),
    ...each(config.statics.rules, ruleEntry),
    ...each(config.statics.routes, (r) => routeEntry(r, 'static_routes', indexOf)),
  ];
  const instances = new Map(config.instances.map((i) => [i.name, [
    ...each(i.virtualRules, ruleEntry),
    ...each(i.virtualRoutes, (r) => routeEntry(r, 'virtual_routes', indexOf)),
  ]]));
  if (errors.length > 0) throw new Error(errors.join('\n'));
  return { statics, instances };
}

const keyOf = (e: Entry): string => JSON.stringify([e.kind, e.spec]);

/** Errors that mean the entry is (already) there, or (already) gone. */
const PRESENT = /EEXIST/;
const ABSENT = /ESRCH|ENOENT|EADDRNOTAVAIL|ENODEV/;

/** The kernel side: adds and deletes entries, and tells of deletions. */
export class RoutingKeeper {
  private readonly rt = Rtnetlink.open();
  private readonly events: RtnetlinkEvents;
  /** Static entries by key; a reload replaces them by difference. */
  private statics = new Map<string, Entry>();
  /** Each instance's virtual rules then routes, and whether they are meant to be in the kernel now. */
  private readonly virtual = new Map<string, { entries: Entry[]; active: boolean }>();
  private readonly onVirtualDeleted: (instance: string, entry: Entry) => void;

  constructor(onVirtualDeleted: (instance: string, entry: Entry) => void) {
    this.onVirtualDeleted = onVirtualDeleted;
    this.events = Rtnetlink.subscribe({ links: false, routes: true, rules: true });
    this.events.on('route', (e) => { if (e.action === 'delete') this.deleted({ kind: 'route', route: e.route }); });
    this.events.on('rule', (e) => { if (e.action === 'delete') this.deleted({ kind: 'rule', rule: e.rule }); });
    this.events.on('address', (e) => { if (e.action === 'delete') this.deleted({ kind: 'address', address: e.address }); });
    this.events.on('error', (error) => log('warn', `rtnetlink event: ${error.message}`));
  }

  private deleted(event: Parameters<typeof deletes>[1]): void {
    for (const entry of this.statics.values()) {
      if (!entry.tracked || !deletes(entry, event)) continue;
      log('warn', `static ${entry.label} was deleted: putting it back`);
      void this.add(entry).catch((error: Error) => log('error', `cannot put static ${entry.label} back: ${error.message}`));
    }
    for (const [instance, v] of this.virtual) {
      if (!v.active) continue;
      const entry = v.entries.find((e) => e.tracked && deletes(e, event));
      if (entry) this.onVirtualDeleted(instance, entry);
    }
  }

  private async add(entry: Entry): Promise<void> {
    try {
      if (entry.kind === 'route') await this.rt.addRoute(entry.spec);
      else if (entry.kind === 'rule') await this.rt.addRule(entry.spec);
      else await this.rt.addAddress({ ...entry.spec, noDad: entry.spec.family === 6 });
    } catch (error) {
      if (!PRESENT.test((error as Error).message)) throw error;
    }
  }

  private async remove(entry: Entry): Promise<void> {
    try {
      if (entry.kind === 'route') await this.rt.deleteRoute(entry.spec);
      else if (entry.kind === 'rule') await this.rt.deleteRule(entry.spec);
      else await this.rt.deleteAddress(entry.spec);
    } catch (error) {
      if (!ABSENT.test((error as Error).message)) throw error;
    }
  }

  /** Adds each entry in order, logging the ones the kernel refuses (the others still go in). */
  private async addAll(entries: readonly Entry[], owner: string): Promise<void> {
    for (const e of entries) await this.add(e).catch((error: Error) => log('error', `${owner}: cannot add ${e.label}: ${error.message}`));
  }

  private async removeAll(entries: readonly Entry[], owner: string): Promise<void> {
    for (const e of entries) await this.remove(e).catch((error: Error) => log('error', `${owner}: cannot remove ${e.label}: ${error.message}`));
  }

  /** Sets the static entries: those no longer configured go (unwatched first), new ones are added. */
  async setStatic(entries: readonly Entry[]): Promise<void> {
    const next = new Map(entries.map((e) => [keyOf(e), e]));
    const gone = [...this.statics].filter(([key]) => !next.has(key)).map(([, e]) => e);
    this.statics = next;
    await this.removeAll([...gone].reverse(), 'static');
    await this.addAll(entries, 'static');
  }

  /**
   * An instance's virtual entries (rules before routes). For an instance that is MASTER, those no
   * longer configured go and new ones are added.
   */
  async configure(instance: string, entries: readonly Entry[]): Promise<void> {
    const before = this.virtual.get(instance);
    this.virtual.set(instance, { entries: [...entries], active: before?.active ?? false });
    if (!before?.active) return;
    const wanted = new Set(entries.map(keyOf));
    await this.removeAll(before.entries.filter((e) => !wanted.has(keyOf(e))).reverse(), `(${instance})`);
    await this.addAll(entries, `(${instance})`);
  }

  /** The instance became MASTER: its rules, then its routes. */
  async activate(instance: string): Promise<void> {
    const v = this.virtual.get(instance);
    if (!v || v.entries.length === 0) return;
    v.active = true;
    await this.addAll(v.entries, `(${instance})`);
  }

  /** The instance left MASTER, or starts (a crash may have left them): its routes, then its rules, go. */
  async deactivate(instance: string): Promise<void> {
    const v = this.virtual.get(instance);
    if (!v || v.entries.length === 0) return;
    v.active = false;
    await this.removeAll([...v.entries].reverse(), `(${instance})`);
  }

  /** An instance no longer configured. */
  async forget(instance: string): Promise<void> {
    await this.deactivate(instance);
    this.virtual.delete(instance);
  }

  status(): { static: string[]; virtual: Record<string, { active: boolean; entries: string[] }> } {
    return {
      static: [...this.statics.values()].map((e) => e.label),
      virtual: Object.fromEntries([...this.virtual].filter(([, v]) => v.entries.length > 0).map(([name, v]) => [name, { active: v.active, entries: v.entries.map((e) => e.label) }])),
    };
  }

  /** keepalive stops: the static entries go too. */
  async close(): Promise<void> {
    this.events.close();
    await this.setStatic([]);
    this.rt.close();
  }
}
