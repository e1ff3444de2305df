// The four resources, Host, VrrpGroup, VirtualServer and RealServer, whatever the engine: Check, Diff,
// Create, Read, Update and Delete, with resources known by their URN and values in Pulumi's wire form
// (wire.ts). The engines' adapters are thin layers over this: provider/pulumi/provider.ts is Pulumi's
// Provider interface as it is, and provider/terraform/ translates Terraform's plugin protocol (a type
// and name become a URN, its values the wire form) into these calls.
//
// Check validates in two steps: the shape against the package schema (shape.ts), then the values by
// the runtime's own loader and validator, over the configuration each host would end up with
// (fragments.ts). It also fills in what the resources hand each other, so that those values are known
// in a preview (an engine without provider previews shows a creation's checked inputs as its outputs):
// a Host's `connection`, a VrrpGroup's `expectedMaster`, a VirtualServer's `ref`.
//
// Cross-resource checks use what this process has seen: the engine starts one provider process per
// deployment and calls Check for every resource it registers, in program order, so a resource is
// checked against those declared before it (a VRID already used on the same host and interface, a
// virtual server already declared on a director, the virtual server a real server names). Resources
// left out of a targeted update (`--target`) are not checked, so they are not seen either.
//
// Diff names the changed inputs and the ones that force a replacement (the schema's replaceOnChanges,
// and a real server's virtual server by identity), and logs the topology change in words to the
// engine, under the resource, where `pulumi preview` shows it.
import ssh2 from 'ssh2';
import { runtimeBundle } from './bundle.ts';
import type { EngineLog, Severity } from './log.ts';
import { endpoint, Lifecycle, targets } from './lifecycle.ts';
import {
  describeOwner, groupInputFailures, groupPieces, hostPieces, realServerPieces, resourceName, resourceType, validateHost, virtualServerKey,
  virtualServerPieces, virtualServerRef, type Failure, type Piece,
} from './fragments.ts';
import {
  GROUP_DEFAULTS, HOST_DEFAULTS, REAL_SERVER_DEFAULTS, resources, VIRTUAL_SERVER_DEFAULTS,
  type FragmentState, type HostConnection, type Inputs, type ResourceToken,
} from './schema.ts';
import { checkShape } from './shape.ts';
import {
  describeGroup, describeHost, describeRealServer, describeVirtualServer, expectedMaster,
  type GroupView, type HostView, type RealServerView, type VirtualServerView,
} from '../topology/change.ts';
import { containsUnknown, isSecret, plain, samePlain, secret, UNKNOWN_ON_WIRE } from './wire.ts';

type Props = Record<string, unknown>;

// The results of the resource operations, in the shape Pulumi's Provider interface takes them.
export interface CheckResult { inputs: Props; failures?: Failure[] }
export interface DiffResult { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }
export interface CreateResult { id: string; outs: Props }
export interface ReadResult { id: string; props: Props; inputs: Props }
export interface UpdateResult { outs: Props }

const HOST = 'keepalive:index:Host';
const GROUP = 'keepalive:index:VrrpGroup';
const VIRTUAL_SERVER = 'keepalive:index:VirtualServer';
const REAL_SERVER = 'keepalive:index:RealServer';

function tokenOf(urn: string): ResourceToken {
  const token = resourceType(urn);
  if (!Object.hasOwn(resources, token)) throw new Error(`keepalive has no resource type ${token} (${urn})`);
  return token as ResourceToken;
}

// Views of the inputs for the topology words.

function hostView(urn: string, h: Inputs<typeof HOST>): HostView {
  return {
    name: resourceName(urn), address: h.address, port: h.port ?? HOST_DEFAULTS.port, user: h.user ?? HOST_DEFAULTS.user,
    installDir: h.installDir ?? HOST_DEFAULTS.installDir, serviceManager: h.serviceManager ?? HOST_DEFAULTS.serviceManager,
  };
}

/** The master a group's state says there is: the one last seen live, else the one expected. */
function stateMaster(state: Props | undefined): string | undefined {
  const live = state?.liveMaster;
  if (typeof live === 'string' && live !== '' && !live.includes(',')) return live;
  return state?.expectedMaster as string | undefined;
}

function groupView(g: Inputs<typeof GROUP>, master?: string): GroupView {
  return {
    vrid: g.vrid, interface: g.interface, virtualIps: g.virtualIps,
    preempt: g.preempt ?? GROUP_DEFAULTS.preempt, preemptDelayMs: g.preemptDelayMs ?? GROUP_DEFAULTS.preemptDelayMs,
    ...(g.advertIntervalMs !== undefined && { advertIntervalMs: g.advertIntervalMs }),
    // VRRP breaks priority ties by the sender's address: the source address, else (usually on the same segment) the host's.
    members: g.members.map((m) => ({ name: m.host.name, address: m.sourceAddress ?? m.host.address, priority: m.priority ?? GROUP_DEFAULTS.priority })),
    ...(master !== undefined && { master }),
  };
}

function virtualServerView(vs: Inputs<typeof VIRTUAL_SERVER>): VirtualServerView {
  return {
    protocol: vs.protocol ?? VIRTUAL_SERVER_DEFAULTS.protocol, address: vs.address, port: vs.port,
    scheduler: vs.scheduler ?? VIRTUAL_SERVER_DEFAULTS.scheduler, method: vs.method ?? VIRTUAL_SERVER_DEFAULTS.method,
    directors: vs.directors.map((d) => d.name),
  };
}

function realServerView(rs: Inputs<typeof REAL_SERVER>): RealServerView {
  const ref = rs.virtualServer;
  const check = (rs.healthCheck ?? ref.healthCheck)?.kind;
  return {
    virtualServer: { protocol: ref.protocol, address: ref.address, port: ref.port },
    address: rs.address, port: rs.port ?? ref.port, weight: rs.weight ?? REAL_SERVER_DEFAULTS.weight,
    ...(check !== undefined && { check }),
  };
}

/** The topology words for a change from `before` (undefined: a creation) to `after`, both plain and known. */
function describeChange(urn: string, token: ResourceToken, before: Props | undefined, after: Props): string[] {
  switch (token) {
    case HOST: return describeHost(before && hostView(urn, before as Inputs<typeof HOST>), hostView(urn, after as Inputs<typeof HOST>));
    case GROUP: return describeGroup(before && groupView(before as Inputs<typeof GROUP>, stateMaster(before)), groupView(after as Inputs<typeof GROUP>));
    case VIRTUAL_SERVER: return describeVirtualServer(before && virtualServerView(before as Inputs<typeof VIRTUAL_SERVER>), virtualServerView(after as Inputs<typeof VIRTUAL_SERVER>));
    case REAL_SERVER: return describeRealServer(before && realServerView(before as Inputs<typeof REAL_SERVER>), realServerView(after as Inputs<typeof REAL_SERVER>));
  }
}

const HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,2})(?: .*)?$/;

/** Why `hostKey` is not a public key line ("TYPE BASE64 [COMMENT]"), or undefined when it is one. */
function hostKeyProblem(hostKey: string): string | undefined {
  const match = HOST_KEY.exec(hostKey.trim());
  if (!match) return 'expected a public key as in known_hosts or ssh-keyscan output: "ssh-ed25519 AAAA..."';
  // The key blob starts with its own type, length-prefixed: a pasted key of one type labelled as another is refused.
  const blob = Buffer.from(match[2]!, 'base64');
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (length < 0 || blob.subarray(4, 4 + length).toString() !== match[1]) return `the key data is not a ${match[1]} key`;
  return undefined;
}

export class KeepaliveResources {
  private readonly engine: EngineLog;
  private readonly lifecycle: Lifecycle;
  /** The pieces of host configuration of each resource checked in this process, by URN. */
  private readonly pieces = new Map<string, readonly Piece[]>();
  /** The key ("TCP ADDR PORT") of each virtual server checked in this process, by URN. */
  private readonly virtualServers = new Map<string, string>();
  /** The connection of each Host checked in this process, by SSH endpoint: what an import reaches its hosts with. */
  private readonly connections = new Map<string, Props>();

  constructor(engine: EngineLog) {
    this.engine = engine;
    this.lifecycle = new Lifecycle(engine);
  }

  private async say(severity: Severity, lines: readonly string[], urn: string): Promise<void> {
    for (const line of lines) {
      try {
        await this.engine.log(severity, line, urn);
      } catch (error) {
        process.stderr.write(`${severity}: ${line} (the engine did not take the message: ${(error as Error).message})\n`);
      }
    }
  }

  async check(urn: string, olds: Props, sent: Props): Promise<CheckResult> {
    const token = tokenOf(urn);
    const news = this.restoreLostKeys(token, sent);
    const inputs = plain(news) as Props;
    const shape = checkShape(token, inputs);
    if (shape.length > 0) return { inputs: news, failures: shape };
    const before = Object.keys(olds).length === 0 ? undefined : plain(olds) as Props;
    // A preview may not know every value yet: what depends on one waits for the update, when all are known.
    const known = !containsUnknown(inputs);
    let result: { failures: Failure[]; warnings: string[]; computed: Props };
    switch (token) {
      case HOST: result = this.checkHost(urn, news, inputs as Inputs<typeof HOST>); break;
      case GROUP: result = this.checkGroup(urn, inputs as Inputs<typeof GROUP>, before, known); break;
      case VIRTUAL_SERVER: result = this.checkVirtualServer(urn, news, inputs as Inputs<typeof VIRTUAL_SERVER>, known); break;
      case REAL_SERVER: result = this.checkRealServer(urn, inputs as Inputs<typeof REAL_SERVER>, before, known); break;
    }
    await this.say('warning', result.warnings, urn);
    if (result.failures.length > 0) return { inputs: news, failures: result.failures };
    if (token === HOST && known) {
      const h = inputs as Inputs<typeof HOST>;
      this.connections.set(endpoint(h.address, h.port ?? HOST_DEFAULTS.port), result.computed.connection as Props);
    }
    // A creation has no Diff: its words are said here. Changes are described by Diff.
    if (!before && known) await this.say('info', describeChange(urn, token, undefined, inputs), urn);
    return { inputs: { ...news, ...result.computed } };
  }

  /**
   * Pulumi YAML (1.25.0) loses a secret nested in an object output: a Host's `connection`, or a
   * VirtualServer's `ref`, passed on whole reaches Check with the private key inside it as an empty
   * value. The Host itself was checked earlier in this process (the engine checks a resource's
   * dependencies first), so the key is put back from the connection that Check made, matched by host
   * name and SSH endpoint. A connection no Host here made keeps the hole, and the shape check names it.
   */
  private restoreLostKeys(token: ResourceToken, news: Props): Props {
    const connection = (wire: unknown): unknown => {
      if (isSecret(wire)) return { ...(wire as Props), value: connection((wire as Props).value) };
      if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) return wire;
      const c = plain(wire) as Props;
      const lost = c.privateKey === undefined || c.privateKey === null || (typeof c.privateKey === 'object' && Object.keys(c.privateKey).length === 0);
      if (!lost || typeof c.address !== 'string') return wire;
      const made = this.connections.get(endpoint(c.address, typeof c.port === 'number' ? c.port : HOST_DEFAULTS.port));
      return made && made.name === c.name ? { ...wire, privateKey: made.privateKey } : wire;
    };
    const each = (list: unknown, f: (item: unknown) => unknown): unknown => (Array.isArray(list) ? list.map(f) : list);
    const within = (wire: unknown, f: (value: Props) => Props): unknown => {
      if (isSecret(wire)) return { ...(wire as Props), value: within((wire as Props).value, f) };
      return typeof wire === 'object' && wire !== null && !Array.isArray(wire) ? f(wire as Props) : wire;
    };
    const patch = (props: Props, key: string, f: (value: unknown) => unknown): Props => (props[key] === undefined ? props : { ...props, [key]: f(props[key]) });
    switch (token) {
      case GROUP: return patch(news, 'members', (members) => each(members, (m) => within(m, (member) => patch(member, 'host', connection))));
      case VIRTUAL_SERVER: return patch(news, 'directors', (directors) => each(directors, connection));
      case REAL_SERVER: return patch(news, 'virtualServer', (ref) => within(ref, (r) => patch(r, 'directors', (directors) => each(directors, connection))));
      case HOST: return news;
    }
  }

  private checkHost(urn: string, news: Props, h: Inputs<typeof HOST>) {
    const failures: Failure[] = [];
    const warnings: string[] = [];
    const name = resourceName(urn);
    if (typeof h.address === 'string' && !/^[^\s@/]+$/.test(h.address)) failures.push({ property: 'address', reason: `${JSON.stringify(h.address)} is not a host address or name` });
    if (h.port !== undefined && (h.port < 1 || h.port > 65535)) failures.push({ property: 'port', reason: `port ${h.port} is out of range 1..65535` });
    for (const key of ['installDir', 'configDir'] as const) {
      const dir = h[key];
      if (typeof dir === 'string' && !dir.startsWith('/')) failures.push({ property: key, reason: `${dir} must be an absolute path` });
    }
    if (typeof h.privateKey === 'string') {
      const parsed = ssh2.utils.parseKey(h.privateKey);
      if (parsed instanceof Error) failures.push({ property: 'privateKey', reason: `not a private key that SSH can use (unencrypted OpenSSH or PEM): ${parsed.message}` });
    }
    if (h.insecureAcceptUnknownHostKey === true) {
      if (h.hostKey !== undefined) failures.push({ property: 'insecureAcceptUnknownHostKey', reason: 'hostKey is pinned: leave insecureAcceptUnknownHostKey out' });
      warnings.push(`host ${name}: insecureAcceptUnknownHostKey is on: whatever host key ${h.address} presents is trusted, so anyone in between can pose as it; pin hostKey instead`);
    } else if (h.hostKey === undefined) {
      failures.push({ property: 'hostKey', reason: `required: pin the host's key (the output of \`ssh-keyscan -t ed25519 ${h.address}\`, checked out of band), or set insecureAcceptUnknownHostKey to trust any key` });
    } else if (typeof h.hostKey === 'string') {
      const problem = hostKeyProblem(h.hostKey);
      if (problem) failures.push({ property: 'hostKey', reason: problem });
    }
    const connection = {
      name,
      address: news.address,
      port: news.port ?? HOST_DEFAULTS.port,
      user: news.user ?? HOST_DEFAULTS.user,
      // The engine sends secrets wrapped; the key stays wrapped (a secret) wherever the connection goes.
      privateKey: secret(news.privateKey),
      ...(news.hostKey !== undefined && { hostKey: news.hostKey }),
      ...(news.insecureAcceptUnknownHostKey !== undefined && { insecureAcceptUnknownHostKey: news.insecureAcceptUnknownHostKey }),
      installDir: news.installDir ?? HOST_DEFAULTS.installDir,
      configDir: news.configDir ?? HOST_DEFAULTS.configDir,
      serviceManager: news.serviceManager ?? HOST_DEFAULTS.serviceManager,
    };
    // The Host's own piece (its metrics endpoint) is validated by the runtime like any other, on the host it goes to.
    const own = hostPieces(urn, plain(connection) as HostConnection, typeof h.metricsListen === 'string' ? h.metricsListen : undefined);
    if (failures.length === 0 && typeof h.address === 'string') {
      const checked = this.validatePieces(urn, own);
      failures.push(...checked.failures);
      warnings.push(...checked.warnings);
      if (checked.failures.length === 0) this.pieces.set(urn, own);
    }
    return { failures, warnings, computed: { connection } };
  }

  /** Validates a resource's pieces on each of its hosts, with what other resources put there. */
  private validatePieces(urn: string, own: readonly Piece[]): { failures: Failure[]; warnings: string[] } {
    const perHost = own.map((piece) => {
      const others = [...this.pieces].filter(([owner]) => owner !== urn).flatMap(([, pieces]) => pieces.filter((p) => p.host.address === piece.host.address));
      return { host: piece.host.name, ...validateHost([...others, piece], urn) };
    });
    // The same problem usually shows on every host; said once, with its hosts when not all of them.
    const failures = new Map<string, { failure: Failure; hosts: string[] }>();
    for (const { host, failures: list } of perHost) {
      for (const failure of list) {
        const key = `${failure.property}\n${failure.reason}`;
        const seen = failures.get(key) ?? { failure, hosts: [] };
        seen.hosts.push(host);
        failures.set(key, seen);
      }
    }
    // A member's own settings are on its host only: naming the host again says nothing.
    const onSome = (failure: Failure, hosts: readonly string[]): string =>
      hosts.length === perHost.length || failure.property.startsWith('members[') ? '' : ` (on ${hosts.join(', ')})`;
    return {
      failures: [...failures.values()].map(({ failure, hosts }) => ({ property: failure.property, reason: `${failure.reason}${onSome(failure, hosts)}` })),
      warnings: [...new Set(perHost.flatMap((h) => h.warnings))],
    };
  }

  private checkGroup(urn: string, g: Inputs<typeof GROUP>, before: Props | undefined, known: boolean) {
    if (!known) return { failures: [], warnings: [], computed: { expectedMaster: UNKNOWN_ON_WIRE } };
    const own = groupInputFailures(g);
    const pieces = groupPieces(urn, g);
    const { failures, warnings } = this.validatePieces(urn, pieces);
    failures.unshift(...own);
    if (failures.length === 0) this.pieces.set(urn, pieces);
    const master = expectedMaster(groupView(g), stateMaster(before));
    return { failures, warnings, computed: master === undefined ? {} : { expectedMaster: master } };
  }

  private checkVirtualServer(urn: string, news: Props, vs: Inputs<typeof VIRTUAL_SERVER>, known: boolean) {
    if (!known) return { failures: [], warnings: [], computed: { ref: UNKNOWN_ON_WIRE } };
    if (vs.directors.length === 0) return { failures: [{ property: 'directors', reason: 'at least one host must carry the virtual server' }], warnings: [], computed: {} };
    const { failures, warnings } = this.validatePieces(urn, virtualServerPieces(urn, vs, { probe: true }));
    if (failures.length === 0) {
      this.pieces.set(urn, virtualServerPieces(urn, vs, { probe: false }));
      this.virtualServers.set(urn, virtualServerKey(vs.protocol ?? VIRTUAL_SERVER_DEFAULTS.protocol, vs.address, vs.port));
    }
    // The directors as the engine sent them, so the keys in them stay secret.
    return { failures, warnings, computed: { ref: virtualServerRef(urn, vs, news.directors) } };
  }

  private checkRealServer(urn: string, rs: Inputs<typeof REAL_SERVER>, before: Props | undefined, known: boolean) {
    if (!known) return { failures: [], warnings: [], computed: {} };
    const ref = rs.virtualServer;
    if (resourceType(ref.urn) !== VIRTUAL_SERVER) {
      return { failures: [{ property: 'virtualServer.urn', reason: `${ref.urn} is not a keepalive VirtualServer: pass a VirtualServer's ref output` }], warnings: [], computed: {} };
    }
    const key = virtualServerKey(ref.protocol, ref.address, ref.port);
    const declared = this.virtualServers.get(ref.urn);
    const keptFromBefore = (before?.virtualServer as Props | undefined)?.urn === ref.urn;
    if (declared === undefined && !keptFromBefore) {
      return { failures: [{ property: 'virtualServer', reason: `${describeOwner(ref.urn)} (${key}) is not declared in this program: declare it before its real servers and pass its ref output` }], warnings: [], computed: {} };
    }
    if (declared !== undefined && declared !== key) {
      return { failures: [{ property: 'virtualServer', reason: `${describeOwner(ref.urn)} is ${declared} now, not ${key}: pass its ref output` }], warnings: [], computed: {} };
    }
    if (ref.directors.length === 0) return { failures: [{ property: 'virtualServer.directors', reason: 'the virtual server has no director to carry this real server' }], warnings: [], computed: {} };
    const pieces = realServerPieces(urn, rs);
    const { failures, warnings } = this.validatePieces(urn, pieces);
    if (failures.length === 0) this.pieces.set(urn, pieces);
    return { failures, warnings, computed: {} };
  }

  async diff(_id: string, urn: string, olds: Props, news: Props): Promise<DiffResult> {
    const token = tokenOf(urn);
    const before = plain(olds) as Props;
    const after = plain(news) as Props;
    const spec = resources[token];
    const changed = Object.keys(spec.inputProperties).filter((key) => !samePlain(before[key], after[key]));
    const replaces = changed.filter((key) => spec.inputProperties[key]!.replaceOnChanges === true);
    // A real server belongs to one service: another virtual server replaces it, new directors only move it.
    if (token === REAL_SERVER && changed.includes('virtualServer')) {
      const identity = (ref: unknown): unknown => {
        const r = (ref ?? {}) as Props;
        return [r.urn, r.protocol, r.address, r.port];
      };
      if (!samePlain(identity(before.virtualServer), identity(after.virtualServer))) replaces.push('virtualServer');
    }
    if (changed.length > 0 && !containsUnknown(after)) await this.say('info', describeChange(urn, token, before, after), urn);
    // With the inputs unchanged, what is on the hosts may still differ from what they give.
    const drift = changed.length === 0 && !containsUnknown(after) ? this.drift(urn, token, before, after) : [];
    if (drift.length > 0) await this.say('info', drift, urn);
    return {
      changes: changed.length > 0 || drift.length > 0,
      replaces,
      // A group's VIPs can be held by one virtual router at a time: the old one goes before the new one comes.
      deleteBeforeReplace: token === GROUP && replaces.length > 0,
    };
  }

  /**
   * Drift the state shows (after a refresh): a fragment whose recorded hash is not that of the
   * fragment the inputs give (edited by hand, or missing), or a host whose runtime is not the one this
   * provider installs. The update that follows rewrites or reinstalls it.
   */
  private drift(urn: string, token: ResourceToken, before: Props, after: Props): string[] {
    if (token === HOST) {
      const installed = before.runtimeHash;
      if (typeof installed !== 'string') return [];
      const bundle = runtimeBundle();
      if (installed === bundle.hash) return [];
      return [`host ${resourceName(urn)}: runtime ${installed ? installed.slice(0, 16) : '(none)'} -> ${bundle.id}: it is installed and restarted`];
    }
    const recorded = before.fragments as FragmentState[] | undefined;
    if (!Array.isArray(recorded)) return [];
    const wanted = targets(token, urn, after);
    const lines: string[] = [];
    for (const [host, target] of wanted) {
      const found = recorded.find((f) => f.host === host);
      if (!found || found.sha256 === '') lines.push(`${host}: fragment ${target.fragment.file} is missing: it is written again`);
      else if (found.sha256 !== target.fragment.hash) lines.push(`${host}: ${found.path} differs from the declared fragment (edited by hand?): it is rewritten`);
    }
    for (const f of recorded) if (!wanted.has(f.host)) lines.push(`${f.host}: ${f.path} is no longer declared: it is removed`);
    return lines;
  }

  async create(urn: string, news: Props): Promise<CreateResult> {
    const token = tokenOf(urn);
    return token === HOST ? this.lifecycle.createHost(urn, news) : this.lifecycle.create(token, urn, news);
  }

  async read(id: string, urn: string, props: Props = {}): Promise<ReadResult> {
    const token = tokenOf(urn);
    if (token === HOST) return this.lifecycle.readHost(id, urn, props);
    // No state: an import, from the ID alone.
    if (Object.keys(props).length === 0) return this.lifecycle.adopt(token, id, urn, this.connections);
    return this.lifecycle.read(token, id, urn, props);
  }

  async update(id: string, urn: string, olds: Props, news: Props): Promise<UpdateResult> {
    const token = tokenOf(urn);
    return token === HOST ? this.lifecycle.updateHost(urn, olds, news) : this.lifecycle.update(token, id, urn, olds, news);
  }

  async delete(id: string, urn: string, props: Props): Promise<void> {
    const token = tokenOf(urn);
    return token === HOST ? this.lifecycle.deleteHost(urn, props) : this.lifecycle.delete(token, id, urn, props);
  }
}
