// A Pulumi state as a topology: the keepalive resources of `pulumi stack export` (or of a file
// backend's stack file), their outputs (which hold their inputs too), turned into the model that
// view.ts and svg.ts render. Masters and health come either from what the state
// recorded at the last update or refresh, or from a live reading of the hosts (live.ts).
//
// Secrets: the state keeps them as objects tagged with Pulumi's signature, in plain text
// (`plaintext`, JSON-encoded) in an export made with --show-secrets, else encrypted (`ciphertext`).
// A Host's connection holds its private key, and the engine keeps a value that holds a secret secret
// as a whole when it flows into another resource: a group's members, a virtual server's directors and
// a real server's virtual server are then ciphertext, and the topology cannot be read without them.
import { specialSecretSig, specialSigKey } from '@pulumi/pulumi/runtime/rpc.js';
import type { DaemonStatus } from '../../runtime/src/control/status.ts';
import { describeOwner, resourceName, virtualServerKey } from '../core/fragments.ts';
import { GROUP, HOST, mastersOf, REAL_SERVER, realServerHealth, VIRTUAL_SERVER, virtualServerHealth } from '../core/lifecycle.ts';
import {
  GROUP_DEFAULTS, HOST_DEFAULTS, REAL_SERVER_DEFAULTS, VIRTUAL_SERVER_DEFAULTS,
  type HostConnection, type Inputs, type RealServerHealth, type VirtualServerHealth,
} from '../core/schema.ts';
import { expectedMaster, rank, type MemberView } from './change.ts';
import type { Topology, TopologyGroup, TopologyHost, TopologyRealServer, TopologyVirtualServer } from './view.ts';

/** A secret the state holds encrypted. */
export class Encrypted {
  readonly ciphertext: string;
  constructor(ciphertext: string) {
    this.ciphertext = ciphertext;
  }
}

const SHOW_SECRETS = 'pulumi stack export --show-secrets --file STATE.json';

/** The state lacks values the topology needs in plain text. */
export class EncryptedStateError extends Error {
  readonly places: readonly string[];

  constructor(places: readonly string[], why: string) {
    const shown = places.slice(0, 4).join(', ');
    const more = places.length > 4 ? ` and ${places.length - 4} more` : '';
    super(`encrypted in the state: ${shown}${more}; ${why}. Export the state with its secrets in plain text: ${SHOW_SECRETS} `
      + '(the file then holds the hosts\' SSH private keys: keep it private, and delete it after use)');
    this.name = 'EncryptedStateError';
    this.places = places;
  }
}

/** A state's values with plain-text secrets opened and encrypted ones as Encrypted, at any depth. */
export function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (typeof value !== 'object' || value === null) return value;
  const tagged = value as Record<string, unknown>;
  if (tagged[specialSigKey] === specialSecretSig) {
    if (typeof tagged['plaintext'] === 'string') return revealSecrets(JSON.parse(tagged['plaintext']));
    return new Encrypted(typeof tagged['ciphertext'] === 'string' ? tagged['ciphertext'] : '');
  }
  return Object.fromEntries(Object.entries(tagged).map(([key, v]) => [key, revealSecrets(v)]));
}

type Props = Record<string, unknown>;

export interface StateResource {
  readonly urn: string;
  readonly name: string;
  /** Its outputs (inputs included), secrets revealed. */
  readonly props: Props;
}

export interface StackState {
  readonly stack?: string;
  readonly hosts: readonly StateResource[];
  readonly groups: readonly StateResource[];
  readonly virtualServers: readonly StateResource[];
  readonly realServers: readonly StateResource[];
}

/**
 * The keepalive resources of a state: `pulumi stack export`'s `deployment`, or a file backend's
 * stack file (`checkpoint.latest`). Resources pending deletion are left out.
 */
export function parseState(json: unknown): StackState {
  const root = json as { deployment?: { resources?: unknown }; checkpoint?: { latest?: { resources?: unknown } } } | null;
  const resources = root?.deployment?.resources ?? root?.checkpoint?.latest?.resources ?? (root?.deployment || root?.checkpoint ? [] : undefined);
  if (!Array.isArray(resources)) {
    throw new Error('this is not a Pulumi state: it has neither deployment.resources (pulumi stack export) nor checkpoint.latest.resources (a file backend\'s stack file)');
  }
  const found: Record<string, StateResource[]> = { [HOST]: [], [GROUP]: [], [VIRTUAL_SERVER]: [], [REAL_SERVER]: [] };
  let stack: string | undefined;
  for (const r of resources as { urn?: unknown; type?: unknown; outputs?: unknown; inputs?: unknown; delete?: unknown }[]) {
    if (typeof r?.urn !== 'string') continue;
    stack ??= /^urn:pulumi:([^:]+)::/.exec(r.urn)?.[1];
    const list = typeof r.type === 'string' ? found[r.type] : undefined;
    if (!list || r.delete === true) continue;
    list.push({ urn: r.urn, name: resourceName(r.urn), props: revealSecrets(r.outputs ?? r.inputs ?? {}) as Props });
  }
  return {
    ...(stack !== undefined && { stack }),
    hosts: found[HOST]!, groups: found[GROUP]!, virtualServers: found[VIRTUAL_SERVER]!, realServers: found[REAL_SERVER]!,
  };
}

/** Reads values out of resources, noting each one that is encrypted instead of failing at the first. */
class Reader {
  readonly encrypted = new Set<string>();

  /** The value at `path` in the resource's props; undefined (and noted) when it or a value on the way is encrypted. */
  at(r: StateResource, ...path: readonly (string | number)[]): unknown {
    let value: unknown = r.props;
    let walked = '';
    for (const key of path) {
      if (value instanceof Encrypted) break;
      value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[key] : undefined;
      walked += typeof key === 'number' ? `[${key}]` : walked === '' ? key : `.${key}`;
    }
    if (value instanceof Encrypted) {
      this.encrypted.add(`${describeOwner(r.urn)} ${walked}`);
      return undefined;
    }
    return value;
  }

  string(r: StateResource, ...path: readonly (string | number)[]): string | undefined {
    const v = this.at(r, ...path);
    return typeof v === 'string' ? v : undefined;
  }

  number(r: StateResource, ...path: readonly (string | number)[]): number | undefined {
    const v = this.at(r, ...path);
    return typeof v === 'number' ? v : undefined;
  }

  list(r: StateResource, ...path: readonly (string | number)[]): unknown[] {
    const v = this.at(r, ...path);
    return Array.isArray(v) ? v : [];
  }
}

/** What the hosts said, for a live topology: each Host's probe and its runtime's status, or why it could not be read. */
export interface LiveReading {
  readonly readAt: string;
  readonly hosts: ReadonlyMap<string, LiveHost>;
}

export type LiveHost =
  | { readonly runtimeVersion: string; readonly running: boolean; readonly status?: DaemonStatus }
  | { readonly error: string };

const compareNames = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/**
 * The topology the state declares; with `live`, masters, health and runtimes as the hosts report
 * them, else as the state last recorded them (a Host's `running` is left out then: the state records
 * it when the Host is installed, before its resources start the runtime).
 */
export function topologyOf(state: StackState, live?: LiveReading): Topology {
  const read = new Reader();
  const statuses = new Map<string, DaemonStatus>();
  for (const [name, h] of live?.hosts ?? []) if ('status' in h && h.status) statuses.set(name, h.status);
  const readable = (name: string): boolean => live !== undefined && live.hosts.has(name) && !('error' in live.hosts.get(name)!);
  const only = (names: readonly string[]): Map<string, DaemonStatus> => new Map([...statuses].filter(([name]) => names.includes(name)));

  const hosts: TopologyHost[] = state.hosts.map((r) => {
    const reading = live?.hosts.get(r.name);
    return {
      name: r.name,
      user: read.string(r, 'user') ?? HOST_DEFAULTS.user,
      address: read.string(r, 'address') ?? '',
      port: read.number(r, 'port') ?? HOST_DEFAULTS.port,
      ...(live === undefined ? { runtimeVersion: read.string(r, 'runtimeVersion') ?? '' }
        : !reading ? { unreachable: 'not read' }
        : 'error' in reading ? { unreachable: reading.error }
        : { runtimeVersion: reading.runtimeVersion, running: reading.running }),
    };
  });

  const groups: TopologyGroup[] = state.groups.map((r) => {
    const members: MemberView[] = read.list(r, 'members').map((_, i) => {
      const name = read.string(r, 'members', i, 'host', 'name') ?? '';
      const address = read.string(r, 'members', i, 'sourceAddress') ?? read.string(r, 'members', i, 'host', 'address') ?? '';
      return { name, address, priority: read.number(r, 'members', i, 'priority') ?? GROUP_DEFAULTS.priority };
    });
    const preempt = read.at(r, 'preempt') !== false;
    const view = { vrid: read.number(r, 'vrid') ?? 0, interface: read.string(r, 'interface') ?? '', virtualIps: read.list(r, 'virtualIps').map(String), preempt, preemptDelayMs: 0, members };
    const names = members.map((m) => m.name);
    let liveMasters: readonly string[] | undefined;
    if (live) {
      const masters = mastersOf(only(names), r.name);
      // With a member unread, "nobody is master" cannot be told; a master that was seen can.
      liveMasters = masters.length > 0 || names.every(readable) ? masters : undefined;
    } else {
      const recorded = read.string(r, 'liveMaster');
      liveMasters = recorded === undefined ? undefined : recorded === '' ? [] : recorded.split(', ');
    }
    const expected = read.string(r, 'expectedMaster') || expectedMaster(view);
    return {
      name: r.name, vrid: view.vrid, interface: view.interface, virtualIps: view.virtualIps, preempt,
      members: rank(members).map((m) => ({ host: m.name, priority: m.priority })),
      ...(expected !== undefined && { expectedMaster: expected }),
      ...(liveMasters !== undefined && { liveMasters }),
    };
  });

  const services = new Map<string, { vs: Omit<TopologyVirtualServer, 'realServers'>; realServers: TopologyRealServer[] }>();
  for (const r of state.virtualServers) {
    const protocol = read.string(r, 'protocol') ?? VIRTUAL_SERVER_DEFAULTS.protocol;
    const address = read.string(r, 'address') ?? '';
    const port = read.number(r, 'port') ?? 0;
    const directors = read.list(r, 'directors').map((_, i) => read.string(r, 'directors', i, 'name') ?? '');
    const health = live ? virtualServerHealth(r.props as unknown as Inputs<typeof VIRTUAL_SERVER>, only(directors)) : read.list(r, 'health') as VirtualServerHealth[];
    services.set(virtualServerKey(protocol, address, port), {
      vs: {
        name: r.name, protocol, address, port, directors, health,
        scheduler: read.string(r, 'scheduler') ?? VIRTUAL_SERVER_DEFAULTS.scheduler,
        method: read.string(r, 'method') ?? VIRTUAL_SERVER_DEFAULTS.method,
      },
      realServers: [],
    });
  }
  for (const r of state.realServers) {
    const protocol = read.string(r, 'virtualServer', 'protocol') ?? VIRTUAL_SERVER_DEFAULTS.protocol;
    const address = read.string(r, 'virtualServer', 'address') ?? '';
    const port = read.number(r, 'virtualServer', 'port') ?? 0;
    const key = virtualServerKey(protocol, address, port);
    let service = services.get(key);
    if (!service) {
      // A real server whose virtual server is not in the state (deleted outside Pulumi, or a targeted update): shown under its address.
      const directors = read.list(r, 'virtualServer', 'directors').map((_, i) => read.string(r, 'virtualServer', 'directors', i, 'name') ?? '');
      service = { vs: { protocol, address, port, directors, health: [], scheduler: 'scheduler unknown', method: read.string(r, 'virtualServer', 'method') ?? VIRTUAL_SERVER_DEFAULTS.method }, realServers: [] };
      services.set(key, service);
    }
    const health = live ? realServerHealth(r.props as unknown as Inputs<typeof REAL_SERVER>, only(service.vs.directors)) : read.list(r, 'health') as RealServerHealth[];
    service.realServers.push({
      name: r.name,
      address: read.string(r, 'address') ?? '',
      port: read.number(r, 'port') ?? port,
      weight: read.number(r, 'weight') ?? REAL_SERVER_DEFAULTS.weight,
      health,
    });
  }

  if (read.encrypted.size > 0) throw new EncryptedStateError([...read.encrypted], 'the topology needs them to tell which hosts each group and service is on');
  const byName = <T extends { name?: string }>(a: T, b: T): number => compareNames(a.name ?? '', b.name ?? '');
  return {
    ...(state.stack !== undefined && { stack: state.stack }),
    source: live ? 'live' : 'declared',
    ...(live && { readAt: live.readAt }),
    hosts: hosts.sort(byName),
    groups: groups.sort((a, b) => a.vrid - b.vrid || byName(a, b)),
    virtualServers: [...services.values()].map(({ vs, realServers }) => ({ ...vs, realServers: realServers.sort(byName) })).sort(byName),
  };
}

/** Each Host's connection, private key included, to read the hosts live. */
export function connectionsOf(state: StackState): HostConnection[] {
  const read = new Reader();
  const missing: string[] = [];
  const connections = state.hosts.flatMap((r) => {
    const noted = read.encrypted.size;
    if (read.string(r, 'connection', 'privateKey') === undefined) {
      if (read.encrypted.size === noted) missing.push(r.name);
      return [];
    }
    return [read.at(r, 'connection') as HostConnection];
  });
  if (read.encrypted.size > 0) throw new EncryptedStateError([...read.encrypted], '--live needs the SSH private keys to reach the hosts');
  if (missing.length > 0) throw new Error(`Host ${missing.join(', ')}: the state has no connection.privateKey to reach it with`);
  return connections;
}
