// Create, Read, Update and Delete of the four resources, over SSH.
//
// Host: installs the runtime (install.ts); Read returns its live version, Node, whether it runs, and
// the host's facts; Delete stops it and removes everything the install made.
//
// VrrpGroup, VirtualServer, RealServer: each writes its own fragment on each of its hosts
// (`conf.d/<type>-<name>.json`, deploy.ts), checked on the host before it is activated and reloaded.
// A group's members take a change in the order rollout.ts gives (no unplanned VRRP transition), each
// step waiting for a planned takeover to happen before the next; virtual and real servers go to all
// their directors at once. The state records each fragment's hash, so Read can tell a fragment edited
// by hand (drift) and Diff can have the next update rewrite it. An operation that fails halfway
// reports what it did deploy as the resource's state, so the next update carries on from there.
//
// Every operation logs its SSH cost to the engine (debug): "ssh h1: 3 round trips, 1 write".
import type { DaemonStatus, InstanceStatus } from '../../runtime/src/control/status.ts';
import { checkerStatus, vrrpInstances } from '../../runtime/src/control/status.ts';
import { runtimeBundle } from './bundle.ts';
import { applyFragment, holdsAddress, readFragment, removeFragment, type Fragment } from './deploy.ts';
import type { EngineLog, Severity } from './log.ts';
import { fragmentJson, groupPieces, hostPieces, realServerPieces, resourceName, resourceType, virtualServerKey, virtualServerPieces, type Piece } from './fragments.ts';
import { installRuntime, readHost, uninstallRuntime } from './install.ts';
import { planRollout, type MemberChange } from './rollout.ts';
import {
  GROUP_DEFAULTS, outputKeys, VIRTUAL_SERVER_DEFAULTS,
  type FragmentState, type HostConnection, type Inputs, type RealServerHealth, type ResourceToken, type VirtualServerHealth,
} from './schema.ts';
import { hostPaths } from './service.ts';
import { sha256, SshSession } from './ssh.ts';
import { plain } from './wire.ts';

type Props = Record<string, unknown>;

export const HOST = 'keepalive:index:Host';
export const GROUP = 'keepalive:index:VrrpGroup';
export const VIRTUAL_SERVER = 'keepalive:index:VirtualServer';
export const REAL_SERVER = 'keepalive:index:RealServer';
type FragmentToken = typeof GROUP | typeof VIRTUAL_SERVER | typeof REAL_SERVER;

/** An error the engine records with the state that was reached (Pulumi's partial-failure protocol). */
class PartialFailure extends Error {
  readonly id: string;
  readonly properties: Props;
  readonly reasons: string[];

  constructor(cause: Error, id: string, properties: Props) {
    super(cause.message);
    this.name = 'PartialFailure';
    this.id = id;
    this.properties = properties;
    this.reasons = [cause.message];
  }
}

/** The SSH connections of one operation, opened on first use, and what they cost. */
class Sessions implements AsyncDisposable {
  private readonly sessions = new Map<string, { host: HostConnection; session: Promise<SshSession> }>();
  private readonly writes = new Map<string, number>();

  private static key(host: HostConnection): string {
    return `${host.user}@${host.address}:${host.port}`;
  }

  get(host: HostConnection): Promise<SshSession> {
    const key = Sessions.key(host);
    let entry = this.sessions.get(key);
    if (!entry) {
      entry = { host, session: SshSession.connect(host) };
      entry.session.catch(() => {}); // the caller awaiting it sees the error
      this.sessions.set(key, entry);
    }
    return entry.session;
  }

  wrote(host: HostConnection, count: number): void {
    const key = Sessions.key(host);
    this.writes.set(key, (this.writes.get(key) ?? 0) + count);
  }

  /** "ssh h1: 3 round trips, 1 write; h2: ..." */
  async summary(): Promise<string | undefined> {
    const parts: string[] = [];
    for (const [key, { host, session }] of this.sessions) {
      const s = await session.catch(() => undefined);
      const writes = this.writes.get(key) ?? 0;
      parts.push(`${host.name}: ${s?.roundTrips ?? 0} round trips, ${writes} write${writes === 1 ? '' : 's'}`);
    }
    return parts.length > 0 ? `ssh ${parts.join('; ')}` : undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([...this.sessions.values()].map(async ({ session }) => (await session.catch(() => undefined))?.close()));
  }
}

/** The fragment's file name in conf.d: the resource's type and name, kept to safe characters. */
export function fragmentFile(urn: string): string {
  const name = resourceName(urn);
  const type = resourceType(urn).split(':').at(-1)!.toLowerCase();
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  // Two names that only differ in unsafe characters must not share a file.
  return `${type}-${safe === name ? safe : `${safe}-${sha256(name).slice(0, 8)}`}.json`;
}

interface Target {
  readonly host: HostConnection;
  readonly fragment: Fragment;
}

function targetsOf(urn: string, pieces: readonly Piece[], record: string): Map<string, Target> {
  const file = fragmentFile(urn);
  return new Map(pieces.map((piece) => {
    const content = fragmentJson(piece);
    return [piece.host.name, { host: piece.host, fragment: { file, content, hash: sha256(content), record } }];
  }));
}

/** Each host's fragment for these inputs (plain, known). */
export function targets(token: FragmentToken, urn: string, inputs: Props): Map<string, Target> {
  const record = resourceRecord(token, urn, inputs);
  switch (token) {
    case GROUP: return targetsOf(urn, groupPieces(urn, inputs as Inputs<typeof GROUP>), record);
    case VIRTUAL_SERVER: return targetsOf(urn, virtualServerPieces(urn, inputs as Inputs<typeof VIRTUAL_SERVER>, { probe: false }), record);
    case REAL_SERVER: return targetsOf(urn, realServerPieces(urn, inputs as Inputs<typeof REAL_SERVER>), record);
  }
}

// Adoption. A fragment resource's ID names its fragment and the hosts it was deployed to:
// "vrrpgroup-vip@198.18.0.1:22,198.18.0.2:22" (any one of the hosts suffices to import it). Each host
// keeps the resource's record beside the fragment (deploy.ts): its checked inputs, with each host
// connection's private key left out. Importing reads the record back and puts each connection's key
// back from the Host resource of the same program that connects there: the hosts are reached with the
// key and the pinned host key the program already holds, and nothing secret is ever kept on a host.

/** A host connection (a Host's `connection` output), wherever it sits in a resource's inputs. */
function isConnection(value: unknown): value is HostConnection {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    && 'address' in value && 'port' in value && 'installDir' in value && 'configDir' in value;
}

function mapConnections(value: unknown, each: (connection: HostConnection) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapConnections(v, each));
  if (typeof value !== 'object' || value === null) return value;
  if (isConnection(value)) return each(value);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, mapConnections(v, each)]));
}

/** "ADDR:PORT", with an IPv6 address in brackets: how IDs and the provider name a host's SSH endpoint. */
export function endpoint(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** What a host keeps of a resource, so that it can be imported: type, name and inputs, without private keys. */
function resourceRecord(token: FragmentToken, urn: string, inputs: Props): string {
  const kept = mapConnections(inputsOf(token, inputs), ({ privateKey: _, ...connection }) => connection);
  return `${JSON.stringify({ type: token, name: resourceName(urn), inputs: kept }, null, 2)}\n`;
}

/** The ID of a fragment resource: its fragment's name and its hosts. */
function fragmentId(urn: string, hosts: Iterable<Target>): string {
  return `${fragmentFile(urn).replace(/\.json$/, '')}@${[...hosts].map((t) => endpoint(t.host.address, t.host.port)).join(',')}`;
}

function fragmentState(target: Target, hash = target.fragment.hash): FragmentState {
  return { host: target.host.name, path: `${hostPaths(target.host).confD}/${target.fragment.file}`, sha256: hash };
}

/** The inputs of a resource's state: everything but its outputs. */
function inputsOf(token: ResourceToken, props: Props): Props {
  const outputs = new Set(outputKeys(token));
  // Check's computed values (connection, expectedMaster, ref) are part of the checked inputs.
  for (const kept of ['connection', 'expectedMaster', 'ref']) outputs.delete(kept);
  return Object.fromEntries(Object.entries(props).filter(([key]) => !outputs.has(key)));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Lifecycle {
  private readonly engine: EngineLog;

  constructor(engine: EngineLog) {
    this.engine = engine;
  }

  private async say(severity: Severity, message: string, urn: string): Promise<void> {
    try {
      await this.engine.log(severity, message, urn);
    } catch {
      process.stderr.write(`${severity}: ${message}\n`);
    }
  }

  /** Runs an operation with its SSH connections, and logs what they cost. */
  private async withSessions<T>(urn: string, run: (sessions: Sessions) => Promise<T>): Promise<T> {
    await using sessions = new Sessions();
    try {
      return await run(sessions);
    } finally {
      const summary = await sessions.summary();
      if (summary) await this.say('debug', summary, urn);
    }
  }

  // Host

  async createHost(urn: string, news: Props): Promise<{ id: string; outs: Props }> {
    const outs = await this.installHost(urn, undefined, news);
    const host = plain(news.connection) as HostConnection;
    return { id: `${host.address}:${host.port}`, outs };
  }

  async updateHost(urn: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    return { outs: await this.installHost(urn, olds, news) };
  }

  /**
   * Installs the runtime, then the Host's own fragment: written (and the runtime reloaded, or started)
   * while `metricsListen` is set, removed when an update leaves it out (the last fragment stops the
   * runtime). Deleting the Host removes conf.d whole.
   */
  private installHost(urn: string, olds: Props | undefined, news: Props): Promise<Props> {
    const host = plain(news.connection) as HostConnection;
    const bundle = runtimeBundle();
    const metricsListen = news.metricsListen as string | undefined;
    return this.withSessions(urn, async (sessions) => {
      const session = await sessions.get(host);
      const result = await installRuntime(session, host, bundle);
      sessions.wrote(host, result.writes);
      if (result.restarted) await this.say('info', `host ${host.name}: the runtime restarted on ${bundle.id}`, urn);
      let running = result.running;
      const [own] = targetsOf(urn, hostPieces(urn, host, metricsListen), JSON.stringify({ type: HOST, name: resourceName(urn) })).values();
      if (own) {
        const applied = await applyFragment(session, host, own.fragment);
        if (applied.wrote) sessions.wrote(host, 1);
        running = true;
      } else if (olds?.metricsListen !== undefined) {
        const removed = await removeFragment(session, host, fragmentFile(urn));
        if (removed.wrote) sessions.wrote(host, 1);
        if (removed.outcome === 'stopped') running = false;
      }
      return { ...news, runtimeVersion: result.runtimeVersion, runtimeHash: result.runtimeHash, node: result.node, running, facts: result.facts };
    });
  }

  async readHost(id: string, urn: string, props: Props): Promise<{ id: string; props: Props; inputs: Props }> {
    if (props.connection === undefined) {
      // Reaching a host takes its key, which only the Host's own inputs carry, and there are none in an import.
      throw new Error(`a Host is not imported but declared: its create on ${id}, where this runtime already runs, uploads nothing that is there and restarts nothing; import only VrrpGroup, VirtualServer and RealServer resources`);
    }
    const host = plain(props.connection) as HostConnection;
    return this.withSessions(urn, async (sessions) => {
      const { probe, node } = await readHost(await sessions.get(host), host, runtimeBundle().id);
      const live = {
        runtimeVersion: probe.version ?? '',
        runtimeHash: probe.runtimeHash ?? '',
        node,
        running: probe.pid !== undefined,
        facts: { arch: probe.machine, kernel: probe.kernel, interfaces: probe.interfaces },
      };
      return { id, props: { ...props, ...live }, inputs: inputsOf(HOST, props) };
    });
  }

  async deleteHost(urn: string, props: Props): Promise<void> {
    const host = plain(props.connection) as HostConnection;
    await this.withSessions(urn, async (sessions) => {
      const { stop } = await uninstallRuntime(await sessions.get(host), host);
      if (stop === 'killed') await this.say('warning', `host ${host.name}: the runtime did not stop within 15 s of TERM and was killed`, urn);
    });
  }

  // The fragment resources

  async create(token: FragmentToken, urn: string, news: Props): Promise<{ id: string; outs: Props }> {
    const id = fragmentId(urn, targets(token, urn, plain(news) as Props).values());
    const outs = await this.deploy(token, urn, id, undefined, news);
    return { id, outs };
  }

  async update(token: FragmentToken, id: string, urn: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    return { outs: await this.deploy(token, urn, id, olds, news) };
  }

  async delete(token: FragmentToken, id: string, urn: string, props: Props): Promise<void> {
    await this.deploy(token, urn, id, props, undefined);
  }

  /** Moves the resource's fragments from the `olds` state to the `news` inputs (either may be absent). */
  private deploy(token: FragmentToken, urn: string, id: string, olds: Props | undefined, news: Props | undefined): Promise<Props> {
    const before = olds && targets(token, urn, plain(olds) as Props);
    const after = news && targets(token, urn, plain(news) as Props);
    // What is on the hosts, host by host: the old state's record, updated as each host is done.
    const deployed = new Map<string, FragmentState>(((olds?.fragments ?? []) as FragmentState[]).map((f) => [f.host, f]));
    const state = (extra: Props = {}): Props => ({ ...(news ?? olds), ...extra, fragments: [...deployed.values()] });
    return this.withSessions(urn, async (sessions) => {
      try {
        const statuses = token === GROUP
          ? await this.rolloutGroup(urn, sessions, olds && plain(olds) as Inputs<typeof GROUP>, news && plain(news) as Inputs<typeof GROUP>, before, after, deployed)
          : await this.deployAll(sessions, before, after, deployed, (status, target) => verifyService(token, plain(news ?? olds) as Props, status, target.host));
        if (!news) return {};
        const live = token === GROUP ? { liveMaster: statuses.liveMaster ?? '' }
          : token === VIRTUAL_SERVER ? { health: virtualServerHealth(plain(news) as Inputs<typeof VIRTUAL_SERVER>, statuses.byHost) }
          : { health: realServerHealth(plain(news) as Inputs<typeof REAL_SERVER>, statuses.byHost) };
        return state(live);
      } catch (error) {
        if (!news) throw error;
        throw new PartialFailure(error as Error, id, state());
      }
    });
  }

  /** Virtual and real servers: every director at once; hosts that are no longer directors lose the fragment. */
  private async deployAll(
    sessions: Sessions, before: Map<string, Target> | undefined, after: Map<string, Target> | undefined, deployed: Map<string, FragmentState>,
    verify: (status: DaemonStatus, target: Target) => void,
  ): Promise<{ byHost: Map<string, DaemonStatus>; liveMaster?: string }> {
    const byHost = new Map<string, DaemonStatus>();
    const failures: Error[] = [];
    const work = [
      ...[...(after?.values() ?? [])].map(async (target) => {
        const result = await applyFragment(await sessions.get(target.host), target.host, target.fragment);
        if (result.wrote) sessions.wrote(target.host, 1);
        deployed.set(target.host.name, fragmentState(target));
        if (result.status) {
          verify(result.status, target);
          byHost.set(target.host.name, result.status);
        }
      }),
      ...[...(before?.values() ?? [])].filter((t) => !after?.has(t.host.name)).map(async (target) => {
        const result = await removeFragment(await sessions.get(target.host), target.host, target.fragment.file);
        if (result.wrote) sessions.wrote(target.host, 1);
        deployed.delete(target.host.name);
      }),
    ];
    for (const outcome of await Promise.allSettled(work)) if (outcome.status === 'rejected') failures.push(outcome.reason as Error);
    if (failures.length > 0) throw failures.length === 1 ? failures[0]! : new Error(failures.map((f) => f.message).join('\n'));
    return { byHost };
  }

  /**
   * A group, member by member in the order that makes no unplanned transition; when a step is planned
   * to move the master, the next waits until the new master holds the VIPs.
   */
  private async rolloutGroup(
    urn: string, sessions: Sessions, olds: Inputs<typeof GROUP> | undefined, news: Inputs<typeof GROUP> | undefined,
    before: Map<string, Target> | undefined, after: Map<string, Target> | undefined, deployed: Map<string, FragmentState>,
  ): Promise<{ byHost: Map<string, DaemonStatus>; liveMaster?: string }> {
    const group = (news ?? olds)!;
    const name = resourceName(urn);
    const members = new Map<string, { host: HostConnection; address: string; before?: number; after?: number }>();
    for (const [when, g] of [['before', olds], ['after', news]] as const) {
      for (const m of g?.members ?? []) {
        const entry = members.get(m.host.name) ?? { host: m.host, address: m.sourceAddress ?? m.host.address };
        entry[when] = m.priority ?? GROUP_DEFAULTS.priority;
        members.set(m.host.name, entry);
      }
    }
    const vips = group.virtualIps;
    const advertMs = group.advertIntervalMs ?? 1000;
    // A takeover happens within the master-down interval (3 adverts and a skew under one more); the rest is margin for a loaded host.
    const takeoverMs = 4 * advertMs + 3_000;
    const current = olds ? await this.liveMaster(sessions, [...members.values()].filter((m) => m.before !== undefined).map((m) => m.host), vips, name) : undefined;
    const changes: MemberChange[] = [...members].map(([memberName, m]) => ({
      name: memberName, address: m.address,
      ...(m.before !== undefined && { before: m.before }),
      ...(m.after !== undefined && { after: m.after }),
    }));
    const plan = planRollout(changes, group.preempt ?? GROUP_DEFAULTS.preempt, current);
    if (!plan.clean) await this.say('warning', `vrid ${group.vrid}: no order of the members avoids an extra master change; applying ${plan.order.join(', ')}`, urn);
    else if (news && olds && plan.order.length > 1) await this.say('info', `vrid ${group.vrid}: rolling out to ${plan.order.join(', ')}${current ? ` (master now: ${current})` : ''}`, urn);

    const byHost = new Map<string, DaemonStatus>();
    for (const [i, memberName] of plan.order.entries()) {
      const member = members.get(memberName)!;
      const target = after?.get(memberName);
      if (target) {
        const result = await applyFragment(await sessions.get(target.host), target.host, target.fragment, { statusWhenUnchanged: false });
        if (result.wrote) sessions.wrote(target.host, 1);
        deployed.set(memberName, fragmentState(target));
        if (result.status) {
          verifyInstance(result.status, name, member.after!, target.host);
          byHost.set(memberName, result.status);
        }
      } else {
        const old = before?.get(memberName);
        if (old) {
          const result = await removeFragment(await sessions.get(old.host), old.host, old.fragment.file);
          if (result.wrote) sessions.wrote(old.host, 1);
          if (result.stop === 'killed') await this.say('warning', `${old.host.name}: the runtime did not stop within 15 s of TERM and was killed`, urn);
        }
        deployed.delete(memberName);
      }
      const was = i === 0 ? current : plan.masters[i - 1];
      const next = plan.masters[i];
      if (next !== undefined && next !== was && i < plan.order.length - 1 && vips.length > 0) {
        const live = await this.waitForMaster(sessions, members.get(next)!.host, [...members.values()].map((m) => m.host), vips[0]!, takeoverMs);
        if (live !== next) await this.say('warning', `vrid ${group.vrid}: ${next} was to take over after ${memberName}'s change, but ${live || 'no member'} holds ${vips[0]} after ${takeoverMs} ms; carrying on`, urn);
      }
    }
    if (!news || vips.length === 0) return { byHost };
    const expected = plan.masters.at(-1);
    const hosts = [...members.values()].filter((m) => m.after !== undefined).map((m) => m.host);
    const liveMaster = expected === undefined ? undefined : await this.waitForMaster(sessions, members.get(expected)!.host, hosts, vips[0]!, takeoverMs);
    if (expected !== undefined && liveMaster !== expected) {
      await this.say('warning', `vrid ${group.vrid}: expected ${expected} to be master, but ${liveMaster || 'no member'} holds ${vips[0]}`, urn);
    }
    return { byHost, ...(liveMaster !== undefined && { liveMaster }) };
  }

  /** Which of the hosts holds the VIP now (the group's master); with no VIP, what the runtimes say. */
  private async liveMaster(sessions: Sessions, hosts: readonly HostConnection[], vips: readonly string[], group: string): Promise<string | undefined> {
    const holders = await Promise.all(hosts.map(async (host) => {
      const session = await sessions.get(host);
      if (vips.length > 0) return (await holdsAddress(session, vips[0]!)) ? host.name : undefined;
      const { status } = await readFragment(session, host, '');
      return status && vrrpInstances(status).some((i) => i.name === group && i.state === 'master') ? host.name : undefined;
    }));
    return holders.find((h) => h !== undefined);
  }

  /** Polls until `expected` holds the VIP, or the time is up; returns who holds it then (names joined when several). */
  private async waitForMaster(sessions: Sessions, expected: HostConnection, hosts: readonly HostConnection[], vip: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const session = await sessions.get(expected);
    while (Date.now() < deadline) {
      if (await holdsAddress(session, vip)) return expected.name;
      await sleep(200);
    }
    const holders = await Promise.all(hosts.map(async (h) => ((await holdsAddress(await sessions.get(h), vip)) ? h.name : undefined)));
    return holders.filter((h) => h !== undefined).join(', ');
  }

  /**
   * Reads a resource from its ID alone (an import): its record from the first of the ID's hosts that
   * has it, each host connection in it completed from `connections` (ENDPOINT -> the connection of the
   * program's Host there, its key a secret), then the resource as a refresh reads it.
   */
  async adopt(token: FragmentToken, id: string, urn: string, connections: ReadonlyMap<string, Props>): Promise<{ id: string; props: Props; inputs: Props }> {
    const kind = token.split(':').at(-1)!;
    const file = fragmentFile(urn);
    const base = file.replace(/\.json$/, '');
    const match = /^([^@]+)@(.+)$/.exec(id);
    if (!match) throw new Error(`cannot import ${kind} ${resourceName(urn)} from ID ${JSON.stringify(id)}: a ${kind} ID is FRAGMENT@HOST:PORT[,HOST:PORT...], here ${base}@ADDRESS:22 with the address of any host it was deployed to`);
    if (match[1] !== base) throw new Error(`cannot import ${kind} ${resourceName(urn)} from ID ${JSON.stringify(id)}: the ID names fragment ${match[1]}, but a ${kind} of this name keeps ${base}; import it under the name it was deployed with`);
    const known = (address: string, port: number): HostConnection => {
      const connection = connections.get(endpoint(address, port));
      if (!connection) throw new Error(`cannot import ${kind} ${resourceName(urn)}: no Host resource in this program connects to ${endpoint(address, port)}; declare the Host resources it lives on (they carry the SSH key and the pinned host key), then import`);
      return connection as unknown as HostConnection;
    };
    const listed = match[2]!.split(',').map((e) => {
      const parsed = /^\[([^\]]+)\]:(\d+)$/.exec(e) ?? /^([^:]+):(\d+)$/.exec(e);
      if (!parsed) throw new Error(`cannot import ${kind} ${resourceName(urn)}: ${JSON.stringify(e)} in its ID is not ADDRESS:PORT`);
      return known(parsed[1]!, Number(parsed[2]));
    });
    const record = await this.withSessions(urn, async (sessions) => {
      const misses: string[] = [];
      for (const connection of listed) {
        const host = plain(connection) as HostConnection;
        try {
          const found = await readFragment(await sessions.get(host), host, file);
          if (found.record !== undefined) return found.record;
          misses.push(`${endpoint(host.address, host.port)}: no record of ${file} in ${hostPaths(host).config}/resources (${found.hash === undefined ? 'no such fragment' : 'deployed by a provider from before import support, which kept none; declare the resource without import: its create writes the same fragment, with no VRRP transition'})`);
        } catch (error) {
          misses.push(`${endpoint(host.address, host.port)}: ${(error as Error).message}`);
        }
      }
      throw new Error(`cannot import ${kind} ${resourceName(urn)}:\n${misses.join('\n')}`);
    });
    const parsed = JSON.parse(record) as { type: string; name: string; inputs: Props };
    if (parsed.type !== token) throw new Error(`cannot import ${kind} ${resourceName(urn)}: ${file} on its hosts was written for a ${parsed.type}`);
    const inputs = mapConnections(parsed.inputs, (c) => known(c.address, c.port)) as Props;
    return this.read(token, id, urn, inputs);
  }

  async read(token: FragmentToken, id: string, urn: string, props: Props): Promise<{ id: string; props: Props; inputs: Props }> {
    const inputs = plain(props) as Props;
    const wanted = targets(token, urn, inputs);
    return this.withSessions(urn, async (sessions) => {
      const found = await Promise.all([...wanted.values()].map(async (target) => {
        const { hash, status } = await readFragment(await sessions.get(target.host), target.host, target.fragment.file);
        return { target, hash: hash ?? '', status };
      }));
      const fragments = found.map(({ target, hash }) => fragmentState(target, hash));
      const byHost = new Map(found.flatMap(({ target, status }) => (status ? [[target.host.name, status] as const] : [])));
      const live = token === GROUP ? { liveMaster: masterOf(byHost, resourceName(urn)) }
        : token === VIRTUAL_SERVER ? { health: virtualServerHealth(inputs as Inputs<typeof VIRTUAL_SERVER>, byHost) }
        : { health: realServerHealth(inputs as Inputs<typeof REAL_SERVER>, byHost) };
      return { id, props: { ...props, fragments, ...live }, inputs: inputsOf(token, props) };
    });
  }
}

/** The group's instance must run with the declared priority once the host has reloaded. */
function verifyInstance(status: DaemonStatus, group: string, priority: number, host: HostConnection): InstanceStatus {
  const instance = vrrpInstances(status).find((i) => i.name === group);
  if (!instance) throw new Error(`${host.name} (${host.address}) reloaded, but its runtime does not run vrrp instance ${group}`);
  if (instance.priority.configured !== priority) {
    throw new Error(`${host.name} (${host.address}) reloaded, but its runtime runs ${group} with priority ${instance.priority.configured}, not ${priority}`);
  }
  return instance;
}

/** A virtual server, or a real server in its virtual server, must be in the checker's status once the host has reloaded. */
function verifyService(token: FragmentToken, inputs: Props, status: DaemonStatus, host: HostConnection): void {
  const checker = checkerStatus(status);
  if (token === VIRTUAL_SERVER) {
    const vs = inputs as Inputs<typeof VIRTUAL_SERVER>;
    const key = virtualServerKey(vs.protocol ?? VIRTUAL_SERVER_DEFAULTS.protocol, vs.address, vs.port);
    if (!checker?.virtualServers.some((v) => v.key === key)) throw new Error(`${host.name} (${host.address}) reloaded, but its runtime does not carry virtual server ${key}`);
  } else if (token === REAL_SERVER) {
    const rs = inputs as Inputs<typeof REAL_SERVER>;
    if (realServerHealth(rs, new Map([[host.name, status]])).length === 0) {
      throw new Error(`${host.name} (${host.address}) reloaded, but its runtime does not carry real server ${rs.address} in ${virtualServerKey(rs.virtualServer.protocol, rs.virtualServer.address, rs.virtualServer.port)}`);
    }
  }
}

/** The members whose runtime says they are master of the group. */
export function mastersOf(byHost: ReadonlyMap<string, DaemonStatus>, group: string): string[] {
  return [...byHost].filter(([, status]) => vrrpInstances(status).some((i) => i.name === group && i.state === 'master')).map(([host]) => host);
}

/** The members whose runtime says they are master of the group, comma-separated (the liveMaster output). */
function masterOf(byHost: ReadonlyMap<string, DaemonStatus>, group: string): string {
  return mastersOf(byHost, group).join(', ');
}

export function virtualServerHealth(vs: Inputs<typeof VIRTUAL_SERVER>, byHost: ReadonlyMap<string, DaemonStatus>): VirtualServerHealth[] {
  const key = virtualServerKey(vs.protocol ?? VIRTUAL_SERVER_DEFAULTS.protocol, vs.address, vs.port);
  return [...byHost].flatMap(([host, status]) => {
    const checker = checkerStatus(status);
    const service = checker?.virtualServers.find((v) => v.key === key);
    if (!checker || !service) return [];
    return [{
      host, dataplane: checker.dataplane?.kind ?? '', quorumUp: service.quorum.up,
      realServersUp: service.realServers.filter((r) => r.up).length, realServers: service.realServers.length,
    }];
  });
}

export function realServerHealth(rs: Inputs<typeof REAL_SERVER>, byHost: ReadonlyMap<string, DaemonStatus>): RealServerHealth[] {
  const ref = rs.virtualServer;
  const key = virtualServerKey(ref.protocol, ref.address, ref.port);
  const port = rs.port ?? ref.port;
  const name = rs.address.includes(':') ? `[${rs.address}]:${port}` : `${rs.address}:${port}`;
  return [...byHost].flatMap(([host, status]) => {
    const real = checkerStatus(status)?.virtualServers.find((v) => v.key === key)?.realServers.find((r) => r.name === name);
    return real ? [{ host, up: real.up, weight: real.weight, inTable: real.inTable !== null }] : [];
  });
}
