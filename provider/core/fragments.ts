// The resources' inputs in the runtime's configuration model, and the runtime's own validation of them.
//
// Each resource contributes a piece to the configuration of every host it lives on (a VRRP group to
// each member, a virtual server to each director, a real server to its virtual server's directors).
// A host's pieces merge into one configuration in the model's JSON form, which the runtime's loader
// and validator (runtime/src/config/json.ts, validate.ts) check exactly as `keepalive check` would.
// Every value is traced back to the input property it came from, so that an error the runtime
// reports at a line of that JSON names the property instead: `members[1].priority`, `virtualIps[0]`.
import { Diagnostics, type Diagnostic } from '../../runtime/src/config/diagnostics.ts';
import { readJsonOrYaml } from '../../runtime/src/config/json.ts';
import { validateConfig, type Spelling } from '../../runtime/src/config/validate.ts';
import type { HostConnection, Inputs, SchemaType, VirtualServerRef } from './schema.ts';
import { GROUP_DEFAULTS, VIRTUAL_SERVER_DEFAULTS } from './schema.ts';
import { samePlain } from './wire.ts';

/** The input property a value of the configuration came from. */
export interface Origin {
  /** The resource it belongs to. */
  readonly urn: string;
  /** Its property path, '' for the resource as a whole. */
  readonly property: string;
  /** For a key written from an address and a port ("ADDR PORT"): the property errors about the port belong to. */
  readonly portProperty?: string;
}

/** A value of the configuration's JSON form, with where it came from. */
export class Traced {
  readonly value: unknown;
  readonly origin: Origin;

  constructor(value: unknown, origin: Origin) {
    this.value = value;
    this.origin = origin;
  }
}

/** A virtual server's entry in one host's configuration. */
export interface VirtualServerPiece {
  /** Its settings, from the VirtualServer resource. */
  readonly settings?: Traced;
  /** What a real server knows of it (from its `ref`), used when the VirtualServer's own piece is not there. */
  readonly inherited?: Traced;
  readonly realServers?: Readonly<Record<string, Traced>>;
}

/** What one resource contributes to one host's configuration; maps are keyed as the JSON form keys them. */
export interface Piece {
  readonly owner: string;
  readonly host: HostConnection;
  readonly globalDefs?: Readonly<Record<string, Traced>>;
  readonly vrrpScripts?: Readonly<Record<string, Traced>>;
  readonly trackFiles?: Readonly<Record<string, Traced>>;
  readonly vrrpInstances?: Readonly<Record<string, Traced>>;
  readonly virtualServers?: Readonly<Record<string, VirtualServerPiece>>;
}

export interface Failure {
  readonly property: string;
  readonly reason: string;
}

/** The name part of a URN (urn:pulumi:STACK::PROJECT::TYPE::NAME). */
export function resourceName(urn: string): string {
  return urn.split('::').at(-1) ?? urn;
}

/** The type token of a URN, without its parents' types (TYPE may be PARENT$...$TYPE). */
export function resourceType(urn: string): string {
  return urn.split('::')[2]?.split('$').at(-1) ?? '';
}

/** "VrrpGroup db" */
export function describeOwner(urn: string): string {
  return `${resourceType(urn).split(':').at(-1)} ${resourceName(urn)}`;
}

/** Drops keys whose value is undefined, so the JSON form only holds what was set. */
function compact(o: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** A value traced at every depth: each key and list item to its own sub-property. */
function traceDeep(value: unknown, urn: string, property: string): Traced {
  if (Array.isArray(value)) return new Traced(value.map((v, i) => traceDeep(v, urn, `${property}[${i}]`)), { urn, property });
  if (typeof value === 'object' && value !== null) {
    return new Traced(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, traceDeep(v, urn, `${property}.${k}`)])), { urn, property });
  }
  return new Traced(value, { urn, property });
}

/** The address a member's peers reach it at, and the property it came from. */
function memberAddress(m: SchemaType<'keepalive:index:VrrpMember'>, i: number): { address: string; property: string } {
  return m.sourceAddress !== undefined ? { address: m.sourceAddress, property: `members[${i}].sourceAddress` } : { address: m.host.address, property: `members[${i}].host.address` };
}

/** Failures the runtime cannot see, because they are about how the inputs map onto its model. */
export function groupInputFailures(g: Inputs<'keepalive:index:VrrpGroup'>): Failure[] {
  const failures: Failure[] = [];
  if (g.members.length === 0) failures.push({ property: 'members', reason: 'a group needs at least one member' });
  const seen = new Map<string, number>();
  g.members.forEach((m, i) => {
    const first = seen.get(m.host.address);
    if (first !== undefined) failures.push({ property: `members[${i}].host`, reason: `${m.host.name} (${m.host.address}) is already members[${first}]: a host takes part in a group once` });
    else seen.set(m.host.address, i);
  });
  if (g.advertIntervalMs !== undefined && g.advertIntervalMs % 10 !== 0) {
    failures.push({ property: 'advertIntervalMs', reason: `${g.advertIntervalMs} ms is not a multiple of 10 ms: VRRP carries the interval in centiseconds` });
  }
  const scriptNames = new Set<string>();
  for (const [k, s] of (g.tracking?.scripts ?? []).entries()) {
    if (scriptNames.has(s.name)) failures.push({ property: `tracking.scripts[${k}].name`, reason: `${s.name} is used twice in this group` });
    scriptNames.add(s.name);
  }
  const fileNames = new Set<string>();
  for (const [k, f] of (g.tracking?.files ?? []).entries()) {
    if (fileNames.has(f.name)) failures.push({ property: `tracking.files[${k}].name`, reason: `${f.name} is used twice in this group` });
    fileNames.add(f.name);
  }
  return failures;
}

/** One piece per member host: the group as a vrrp_instance named after the resource, with its trackers. */
export function groupPieces(urn: string, g: Inputs<'keepalive:index:VrrpGroup'>): Piece[] {
  const name = resourceName(urn);
  const t = (value: unknown, property: string): Traced => new Traced(value, { urn, property });
  const tracking = g.tracking ?? {};
  // Trackers are global in the model: prefixed with the group's name, two groups on a host cannot clash.
  const scriptName = (s: string): string => `${name}_${s}`;
  const vrrpScripts = Object.fromEntries((tracking.scripts ?? []).map((s, k) => [scriptName(s.name), t(compact({
    script: t(s.script, `tracking.scripts[${k}].script`),
    intervalMs: s.intervalMs === undefined ? undefined : t(s.intervalMs, `tracking.scripts[${k}].intervalMs`),
    timeoutMs: s.timeoutMs === undefined ? undefined : t(s.timeoutMs, `tracking.scripts[${k}].timeoutMs`),
    weight: s.weight === undefined ? undefined : t(s.weight, `tracking.scripts[${k}].weight`),
    rise: s.rise === undefined ? undefined : t(s.rise, `tracking.scripts[${k}].rise`),
    fall: s.fall === undefined ? undefined : t(s.fall, `tracking.scripts[${k}].fall`),
    reverse: s.reverse === undefined ? undefined : t(s.reverse, `tracking.scripts[${k}].reverse`),
    user: s.user === undefined ? undefined : t(compact({ user: s.user, group: s.group }), `tracking.scripts[${k}].user`),
  }), `tracking.scripts[${k}]`)]));
  const trackFiles = Object.fromEntries((tracking.files ?? []).map((f, k) => [scriptName(f.name), t(compact({
    file: t(f.file, `tracking.files[${k}].file`),
    weight: f.weight === undefined ? undefined : t(f.weight, `tracking.files[${k}].weight`),
    reverse: f.reverse === undefined ? undefined : t(f.reverse, `tracking.files[${k}].reverse`),
  }), `tracking.files[${k}]`)]));
  const smtp = g.smtpAlert;
  const globalDefs = smtp === undefined ? undefined : {
    smtpServer: t({ host: smtp.server, port: smtp.port ?? 25 }, 'smtpAlert.server'),
    notificationEmailFrom: t(smtp.from, 'smtpAlert.from'),
    notificationEmail: t(smtp.to.map((to, k) => t(to, `smtpAlert.to[${k}]`)), 'smtpAlert.to'),
  };
  const unicast = g.unicast ?? GROUP_DEFAULTS.unicast;
  const seen = new Set<string>();
  const pieces: Piece[] = [];
  g.members.forEach((m, i) => {
    if (seen.has(m.host.address)) return; // reported by groupInputFailures
    seen.add(m.host.address);
    const instance = compact({
      interface: m.interface === undefined ? t(g.interface, 'interface') : t(m.interface, `members[${i}].interface`),
      virtualRouterId: t(g.vrid, 'vrid'),
      priority: t(m.priority ?? GROUP_DEFAULTS.priority, `members[${i}].priority`),
      advertIntCs: g.advertIntervalMs === undefined || g.advertIntervalMs % 10 !== 0 ? undefined : t(g.advertIntervalMs / 10, 'advertIntervalMs'),
      version: g.version === undefined ? undefined : t(g.version, 'version'),
      nopreempt: t(!(g.preempt ?? GROUP_DEFAULTS.preempt), 'preempt'),
      preemptDelayMs: g.preemptDelayMs === undefined ? undefined : t(g.preemptDelayMs, 'preemptDelayMs'),
      virtualIpaddress: t(g.virtualIps.map((vip, k) => t(vip, `virtualIps[${k}]`)), 'virtualIps'),
      [unicast ? 'unicastSrcIp' : 'mcastSrcIp']: m.sourceAddress === undefined ? undefined : t(m.sourceAddress, `members[${i}].sourceAddress`),
      unicastPeer: unicast ? g.members.flatMap((peer, j) => {
        if (j === i) return [];
        const { address, property } = memberAddress(peer, j);
        return [t(address, property)];
      }) : undefined,
      trackInterface: tracking.interfaces === undefined ? undefined : tracking.interfaces.map((ti, k) => traceDeep(ti, urn, `tracking.interfaces[${k}]`)),
      trackScript: tracking.scripts === undefined ? undefined : tracking.scripts.map((s, k) => t(scriptName(s.name), `tracking.scripts[${k}].name`)),
      trackFile: tracking.files === undefined ? undefined : tracking.files.map((f, k) => t(scriptName(f.name), `tracking.files[${k}].name`)),
      notifyMaster: g.notify?.master === undefined ? undefined : t(g.notify.master, 'notify.master'),
      notifyBackup: g.notify?.backup === undefined ? undefined : t(g.notify.backup, 'notify.backup'),
      notifyFault: g.notify?.fault === undefined ? undefined : t(g.notify.fault, 'notify.fault'),
      notifyStop: g.notify?.stop === undefined ? undefined : t(g.notify.stop, 'notify.stop'),
      notify: g.notify?.any === undefined ? undefined : t(g.notify.any, 'notify.any'),
      smtpAlert: smtp === undefined ? undefined : t(true, 'smtpAlert'),
    });
    pieces.push({ owner: urn, host: m.host, vrrpScripts, trackFiles, ...(globalDefs && { globalDefs }), vrrpInstances: { [name]: t(instance, '') } });
  });
  return pieces;
}

/** A Host's own piece: the runtime's global settings it asks for (its metrics endpoint), or none. */
export function hostPieces(urn: string, host: HostConnection, metricsListen: string | undefined): Piece[] {
  if (metricsListen === undefined) return [];
  return [{ owner: urn, host, globalDefs: { metricsListen: new Traced(metricsListen, { urn, property: 'metricsListen' }) } }];
}

/** The JSON form's key of a virtual server: the protocol in the key, so TCP and UDP on one port are two services. */
export function virtualServerKey(protocol: string, address: string, port: number): string {
  return `${protocol} ${address} ${port}`;
}

type VirtualServerInputs = Inputs<'keepalive:index:VirtualServer'>;

/** One piece per director. `probe`: a real server at the service's own address carrying the default health check, so that the check is validated before any real server exists. */
export function virtualServerPieces(urn: string, vs: VirtualServerInputs, options: { probe: boolean }): Piece[] {
  const t = (value: unknown, property: string): Traced => new Traced(value, { urn, property });
  const settings = new Traced(compact({
    lvsSched: vs.scheduler === undefined ? undefined : t(vs.scheduler, 'scheduler'),
    lvsMethod: vs.method === undefined ? undefined : t(vs.method, 'method'),
    persistenceTimeoutMs: vs.persistence === undefined ? undefined : t(vs.persistence.timeoutMs, 'persistence.timeoutMs'),
    persistenceGranularity: vs.persistence?.granularity === undefined ? undefined : t(vs.persistence.granularity, 'persistence.granularity'),
    sorryServer: vs.sorryServer === undefined ? undefined : traceDeep(vs.sorryServer, urn, 'sorryServer'),
    quorum: vs.quorum === undefined ? undefined : t(vs.quorum.weight, 'quorum.weight'),
    hysteresis: vs.quorum?.hysteresis === undefined ? undefined : t(vs.quorum.hysteresis, 'quorum.hysteresis'),
    quorumUp: vs.quorum?.up === undefined ? undefined : t(vs.quorum.up, 'quorum.up'),
    quorumDown: vs.quorum?.down === undefined ? undefined : t(vs.quorum.down, 'quorum.down'),
  }), { urn, property: 'address', portProperty: 'port' });
  const key = virtualServerKey(vs.protocol ?? VIRTUAL_SERVER_DEFAULTS.protocol, vs.address, vs.port);
  const probe = options.probe && vs.healthCheck !== undefined
    ? { [`${vs.address} ${vs.port}`]: t({ checkers: [traceDeep(vs.healthCheck, urn, 'healthCheck')] }, 'healthCheck') }
    : undefined;
  return vs.directors.map((host) => ({ owner: urn, host, virtualServers: { [key]: { settings, ...(probe && { realServers: probe }) } } }));
}

/** The `ref` output of a VirtualServer: what its real servers need of it. */
export function virtualServerRef(urn: string, vs: VirtualServerInputs, directors: unknown): Record<string, unknown> {
  return compact({
    urn,
    protocol: vs.protocol ?? VIRTUAL_SERVER_DEFAULTS.protocol,
    address: vs.address,
    port: vs.port,
    method: vs.method ?? VIRTUAL_SERVER_DEFAULTS.method,
    healthCheck: vs.healthCheck,
    directors,
  });
}

/** One piece per director of the real server's virtual server. */
export function realServerPieces(urn: string, rs: Inputs<'keepalive:index:RealServer'>): Piece[] {
  const ref: VirtualServerRef = rs.virtualServer;
  const t = (value: unknown, property: string): Traced => new Traced(value, { urn, property });
  const check = rs.healthCheck !== undefined ? traceDeep(rs.healthCheck, urn, 'healthCheck')
    : ref.healthCheck !== undefined ? traceDeep(ref.healthCheck, urn, 'virtualServer.healthCheck')
    : undefined;
  const entry = new Traced(compact({
    weight: rs.weight === undefined ? undefined : t(rs.weight, 'weight'),
    checkers: check === undefined ? undefined : [check],
  }), { urn, property: 'address', portProperty: 'port' });
  const key = rs.port === undefined ? rs.address : `${rs.address} ${rs.port}`;
  const inherited = t({ lvsMethod: t(ref.method, 'virtualServer.method') }, 'virtualServer');
  return ref.directors.map((host) => ({
    owner: urn, host,
    virtualServers: { [virtualServerKey(ref.protocol, ref.address, ref.port)]: { inherited, realServers: { [key]: entry } } },
  }));
}

// Merging a host's pieces.

interface Collision {
  readonly origin: Origin;
  readonly message: string;
}

function mergeNamed(into: Record<string, Traced>, from: Readonly<Record<string, Traced>> | undefined, what: string, host: string, collisions: Collision[]): void {
  for (const [key, value] of Object.entries(from ?? {})) {
    const first = into[key];
    if (!first) into[key] = value;
    else if (first.origin.urn !== value.origin.urn) collisions.push({ origin: value.origin, message: `${what} ${key} on ${host} is already declared by ${describeOwner(first.origin.urn)}` });
  }
}

/** Strips the tracing, for comparing values. */
function untraced(value: unknown): unknown {
  if (value instanceof Traced) return untraced(value.value);
  if (Array.isArray(value)) return value.map(untraced);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, untraced(v)]));
  return value;
}

/** A setting's value in a message: "198.51.100.25:25" for a server, lists joined. */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(describeValue).join(', ');
  if (typeof value === 'object' && value !== null) return Object.values(value).map(describeValue).join(':');
  return String(value);
}

/** One host's configuration, in the JSON form, from its pieces; clashes between pieces are collisions. */
export function mergeHost(pieces: readonly Piece[]): { config: Record<string, unknown>; collisions: Collision[] } {
  const collisions: Collision[] = [];
  const host = pieces[0]?.host.name ?? '';
  const globalDefs: Record<string, Traced> = {};
  const vrrpScripts: Record<string, Traced> = {};
  const trackFiles: Record<string, Traced> = {};
  const vrrpInstances: Record<string, Traced> = {};
  const services = new Map<string, { settings?: Traced; inherited?: Traced; realServers: Record<string, Traced> }>();
  for (const piece of pieces) {
    for (const [key, value] of Object.entries(piece.globalDefs ?? {})) {
      const first = globalDefs[key];
      if (!first) globalDefs[key] = value;
      else if (!samePlain(untraced(first), untraced(value))) {
        collisions.push({ origin: value.origin, message: `${host} already uses ${describeValue(untraced(first))} (from ${describeOwner(first.origin.urn)}): a host has one ${providerSpelling.setting(key)}` });
      }
    }
    mergeNamed(vrrpScripts, piece.vrrpScripts, 'vrrp_script', host, collisions);
    mergeNamed(trackFiles, piece.trackFiles, 'track_file', host, collisions);
    mergeNamed(vrrpInstances, piece.vrrpInstances, 'vrrp_instance', host, collisions);
    for (const [key, vs] of Object.entries(piece.virtualServers ?? {})) {
      const service = services.get(key) ?? { realServers: {} };
      services.set(key, service);
      if (vs.settings && service.settings && service.settings.origin.urn !== vs.settings.origin.urn) {
        collisions.push({ origin: vs.settings.origin, message: `virtual server ${key} on ${host} is already declared by ${describeOwner(service.settings.origin.urn)}` });
      } else if (vs.settings) {
        service.settings = vs.settings;
      }
      service.inherited ??= vs.inherited;
      mergeNamed(service.realServers, vs.realServers, 'real server', host, collisions);
    }
  }
  const virtualServers = Object.fromEntries([...services].map(([key, s]) => {
    const base = s.settings ?? s.inherited!;
    return [key, new Traced({ ...(base.value as Record<string, unknown>), realServers: s.realServers }, base.origin)];
  }));
  return { config: compact({ globalDefs: Object.keys(globalDefs).length > 0 ? globalDefs : undefined, vrrpScripts, trackFiles, vrrpInstances, virtualServers }), collisions };
}

/** A map with entries, or undefined, so empty sections stay out of a fragment. */
function nonEmpty<T>(map: Readonly<Record<string, T>> | undefined): Readonly<Record<string, T>> | undefined {
  return map !== undefined && Object.keys(map).length > 0 ? map : undefined;
}

/**
 * The fragment file a resource writes on one host: its piece in the JSON form, without the tracing.
 * The runtime merges a host's fragments key by key, so a real server's fragment names its virtual
 * server by key and adds only itself: what the virtual server says (method, scheduler) stays in the
 * virtual server's own fragment, and a change there never conflicts with a stale copy here.
 */
export function fragmentJson(piece: Piece): string {
  const services = nonEmpty(piece.virtualServers);
  const config = compact({
    globalDefs: nonEmpty(piece.globalDefs),
    vrrpScripts: nonEmpty(piece.vrrpScripts),
    trackFiles: nonEmpty(piece.trackFiles),
    vrrpInstances: nonEmpty(piece.vrrpInstances),
    virtualServers: services && Object.fromEntries(Object.entries(services).map(([key, vs]) => [key, compact({
      ...(vs.settings && (untraced(vs.settings) as Record<string, unknown>)),
      realServers: nonEmpty(vs.realServers),
    })])),
  });
  return `${JSON.stringify(untraced(config), null, 2)}\n`;
}

// Printing the JSON form with the origin of each line.

/** Pretty JSON, one setting or list item per line, and for each line the origin of what it holds. */
export function printTraced(root: unknown): { text: string; origins: (Origin | undefined)[] } {
  const lines: string[] = [];
  const origins: (Origin | undefined)[] = [];
  const emit = (value: unknown, indent: string, head: string, tail: string, origin: Origin | undefined): void => {
    if (value instanceof Traced) return emit(value.value, indent, head, tail, value.origin);
    const entries = Array.isArray(value) ? value.map((v) => ['', v] as const)
      : typeof value === 'object' && value !== null ? Object.entries(value).filter(([, v]) => v !== undefined)
      : undefined;
    if (!entries || entries.length === 0) {
      lines.push(`${indent}${head}${entries ? (Array.isArray(value) ? '[]' : '{}') : JSON.stringify(value)}${tail}`);
      origins.push(origin);
      return;
    }
    const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
    lines.push(`${indent}${head}${open}`);
    origins.push(origin);
    entries.forEach(([key, v], i) => emit(v, `${indent}  `, Array.isArray(value) ? '' : `${JSON.stringify(key)}: `, i < entries.length - 1 ? ',' : '', origin));
    lines.push(`${indent}${close}${tail}`);
    origins.push(origin);
  };
  emit(root, '', '', '', undefined);
  return { text: `${lines.join('\n')}\n`, origins };
}

/** Model settings as the resources' inputs name them, and the advert interval in ms. */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  virtualRouterId: 'vrid', virtualIpaddress: 'virtualIps', advertIntCs: 'advertIntervalMs', nopreempt: 'preempt',
  unicastPeer: 'unicast peer', unicastSrcIp: 'sourceAddress', mcastSrcIp: 'sourceAddress',
  trackInterface: 'tracking.interfaces', trackScript: 'tracking.scripts', trackFile: 'tracking.files',
  lvsSched: 'scheduler', lvsMethod: 'method', persistenceTimeoutMs: 'persistence.timeoutMs', persistenceGranularity: 'persistence.granularity',
  quorum: 'quorum.weight', hysteresis: 'quorum.hysteresis', vrrpMcastGroup4: 'multicast group', smtpServer: 'smtpAlert.server',
};

export const providerSpelling: Spelling = {
  setting: (key) => PROVIDER_NAMES[key] ?? key,
  value: (key, value) => (key === 'advertIntCs' ? `${value * 10}` : `${value}`),
};

export interface HostValidation {
  /** Failures of the resource on this host (the same problem usually shows on each of its hosts). */
  readonly failures: Failure[];
  readonly warnings: string[];
}

/**
 * Validates one host's configuration, made of `pieces` (this resource's and those of the other
 * resources on the host), and returns what concerns the resource `own`: its failures, named by
 * property, and warnings. Problems of the other resources are theirs to report.
 */
export function validateHost(pieces: readonly Piece[], own: string): HostValidation {
  const host = pieces[0]?.host.name ?? '';
  const file = `keepalive configuration of ${host}`;
  const { config, collisions } = mergeHost(pieces);
  const { text, origins } = printTraced(config);
  const diagnostics = new Diagnostics();
  validateConfig(readJsonOrYaml(text, file, diagnostics), providerSpelling, diagnostics);

  const describe = (origin: Origin | undefined): string => {
    if (!origin) return 'the host\'s configuration';
    if (origin.urn === own) return origin.property || 'this resource';
    return `${describeOwner(origin.urn)}${origin.property ? `'s ${origin.property}` : ''}`;
  };
  // Positions in messages ("also used by db (file:12:5)") become the properties they point at.
  const positions = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  const reword = (message: string): string => message.replace(positions, (_, line: string) => describe(origins[Number(line) - 1]));
  const propertyOf = (origin: Origin, message: string): string =>
    origin.portProperty !== undefined && /\bport\b/.test(message) && !/is not IPv\d/.test(message) ? origin.portProperty : origin.property;

  const failures: Failure[] = collisions.filter((c) => c.origin.urn === own).map((c) => ({ property: c.origin.property, reason: c.message }));
  const mine = (d: Diagnostic): Origin | undefined => {
    const origin = origins[d.line - 1];
    return origin?.urn === own ? origin : undefined;
  };
  for (const d of diagnostics.errors) {
    const origin = mine(d);
    if (origin) failures.push({ property: propertyOf(origin, d.message), reason: reword(d.message) });
  }
  const warnings = diagnostics.warnings.flatMap((d) => {
    const origin = mine(d);
    return origin ? [`${propertyOf(origin, d.message) || 'this resource'}: ${reword(d.message)}`] : [];
  });
  return { failures, warnings };
}
