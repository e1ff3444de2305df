// The project's own format, JSON or YAML (JSON is read as YAML, so both get line:col positions from
// the yaml package): the model itself, minus positions, with named nodes as maps keyed by name and
// defaults optional. See README.md in this folder for the schema. Unknown keys are errors.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { finishNode, newDraft, setField, type Draft } from './build.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { Spelling } from './validate.ts';
import { parseRoute, parseRule, RulePriorities, wordsOf, type Report } from './routes.ts';
import {
  DNS_CHECK_DEFAULTS, DNS_TYPES, GLOBAL_DEFAULTS, HTTP_CHECK_DEFAULTS, HTTP_URL_DEFAULTS, LB_DATAPLANES, LB_SCHEDULERS, MISC_CHECK_DEFAULTS,
  REAL_SERVER_DEFAULTS, SMTP_CHECK_DEFAULTS, SMTP_DEFAULT_PORT, UDP_CHECK_DEFAULTS, PING_CHECK_DEFAULTS, FILE_CHECK_DEFAULTS, SYNC_GROUP_DEFAULTS, TCP_CHECK_DEFAULTS, TRACK_FILE_DEFAULTS, TRACK_PROCESS_DEFAULTS,
  VIRTUAL_SERVER_DEFAULTS, VIRTUAL_SERVER_GROUP_DEFAULTS, VRRP_INSTANCE_DEFAULTS, VRRP_SCRIPT_DEFAULTS,
  type Checker, type CheckerConnectSettings, type DnsCheck, type HttpCheck, type HttpUrl, type MiscCheck, type RealServer, type SmtpCheck, type UdpCheck, type PingCheck, type FileCheck,
  type SorryServer, type StatusCodeRange, type TcpCheck, type VirtualServer, type VirtualServerGroup, type VirtualServerGroupEntry, type Authentication, type GlobalDefs, type GroupMember, type KeepaliveConfig, type LvsSyncDaemon, type NotifyFifo, type ScriptUser, type SmtpServer, type SourcePos,
  type IpRoute, type IpRule, type TrackFile, type TrackRef, type UnicastPeer, type VirtualAddress, type VrrpInstance, type VrrpScript, type VrrpSyncGroup, type VrrpTrackProcess,
} from './model.ts';
import {
  authPassword, defaultVmacName, parseAuthType, parseDigest, parseGranularity, parseGroupEntry, parseInteger, parseIp, parseIpWithPrefix, parseLbMethod,
  parseLbProtocol, parseScope, parseStatusRange, ValueError,
} from './values.ts';

/** Converts one value node; throws ValueError for a bad value. */
type Convert<V> = (node: Node) => V;

/** Where a node was parsed: its file, that file's line counter, and its document (for aliases). */
interface Origin {
  file: string;
  lines: LineCounter;
  doc: Document.Parsed;
}

/**
 * Reads the nodes of one document, or of several merged into one tree (fragments), turning offsets
 * into positions in the file each node came from.
 */
class DocumentReader {
  readonly diagnostics: Diagnostics;
  private readonly origin: Origin;
  /** For merged fragments: the origin of every node that came from a fragment other than `origin`'s. */
  private readonly origins: WeakMap<Node, Origin> | undefined;

  /** Preferences for rules that give none, counted over the whole configuration (see routes.ts). */
  readonly rulePriorities = new RulePriorities();
  readonly report: Report;

  constructor(origin: Origin, diagnostics: Diagnostics, origins?: WeakMap<Node, Origin>) {
    this.origin = origin;
    this.diagnostics = diagnostics;
    this.origins = origins;
    this.report = {
      fail: (at, message) => {
        diagnostics.error(at, message);
        throw new SilentValueError(message);
      },
      warn: (at, message) => diagnostics.warn(at, message),
    };
  }

  /** A string entry's words, placed where each is in the file (after the quote of a quoted string). */
  entryWords(node: Node): { text: string; at: SourcePos }[] {
    const text = this.string(node);
    const at = this.at(node);
    const quoted = isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
    const words = wordsOf(text, quoted ? { ...at, col: at.col + 1 } : at);
    if (words.length === 0) throw new ValueError('expected a route or rule, got an empty string');
    return words;
  }

  private originOf(node: Node): Origin {
    return this.origins?.get(node) ?? this.origin;
  }

  pos(offset: number, origin: Origin = this.origin): SourcePos {
    const { line, col } = origin.lines.linePos(offset);
    return { file: origin.file, line, col };
  }

  at(node: Node): SourcePos {
    return this.pos(node.range?.[0] ?? 0, this.originOf(node));
  }

  /** Follows a YAML alias (*name) to the node it names, in the document the alias is in. */
  resolve(node: Node): Node {
    return isAlias(node) ? (node.resolve(this.originOf(node).doc) as Node) : node;
  }

  /** Calls `read` for each key of a mapping, reporting unknown keys and bad values at their place. */
  fields(node: Node, context: string, readers: Readonly<Record<string, (value: Node, keyAt: SourcePos) => void>>): void {
    const map = this.mapping(node, context);
    for (const pair of map.items) {
      const key = pair.key as Node;
      const keyAt = this.at(key);
      const name = isScalar(key) ? String(key.value) : undefined;
      const read = name !== undefined && Object.hasOwn(readers, name) ? readers[name] : undefined;
      if (!read) {
        this.diagnostics.error(keyAt, `unknown key ${JSON.stringify(name ?? '?')} in ${context}; expected one of: ${Object.keys(readers).join(', ')}`);
        continue;
      }
      const value = pair.value ? this.resolve(pair.value as Node) : undefined;
      if (!value || (isScalar(value) && value.value === null)) {
        this.diagnostics.error(keyAt, `${context}.${name} has no value`);
        continue;
      }
      try {
        read(value, keyAt);
      } catch (error) {
        if (!(error instanceof ValueError)) throw error;
        if (!(error instanceof SilentValueError)) this.diagnostics.error(this.at(value), `${context}.${name}: ${error.message}`);
      }
    }
  }

  mapping(node: Node, context: string): YAMLMap {
    if (!isMap(node)) throw this.fail(node, `${context} must be a mapping`);
    return node as YAMLMap;
  }

  fail(node: Node, message: string): ValueError {
    this.diagnostics.error(this.at(node), message);
    return new SilentValueError(message);
  }

  /** The entries of a name -> node mapping (vrrpInstances: { VI_1: {...} }). */
  named(node: Node, context: string): { name: string; at: SourcePos; value: Node }[] {
    return this.mapping(node, context).items.map((pair) => {
      const key = pair.key as Node;
      const value = pair.value ? this.resolve(pair.value as Node) : undefined;
      // `NAME:` with nothing after it: the key stands for the missing mapping, for the message's position.
      const present = value && !(isScalar(value) && value.value === null) ? value : key;
      return { name: String(isScalar(key) ? key.value : ''), at: this.at(key), value: present };
    });
  }

  // Converters of value nodes.

  string: Convert<string> = (node) => {
    if (!isScalar(node) || typeof node.value !== 'string') throw new ValueError('expected a string');
    return node.value;
  };

  integer: Convert<number> = (node) => {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isSafeInteger(node.value)) throw new ValueError('expected an integer');
    return node.value;
  };

  boolean: Convert<boolean> = (node) => {
    if (!isScalar(node) || typeof node.value !== 'boolean') throw new ValueError('expected true or false');
    return node.value;
  };

  ip: Convert<string> = (node) => parseIp(this.string(node)).address;

  oneOf<V extends string | number>(...values: readonly V[]): Convert<V> {
    return (node) => {
      const value = isScalar(node) ? node.value : undefined;
      if (!values.includes(value as V)) throw new ValueError(`expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
      return value as V;
    };
  }

  list<V>(entry: Convert<V>): Convert<V[]> {
    return (node) => {
      if (!isSeq(node)) throw new ValueError('expected a list');
      const out: V[] = [];
      for (const item of node.items) {
        const resolved = this.resolve(item as Node);
        try {
          out.push(entry(resolved));
        } catch (error) {
          if (!(error instanceof ValueError)) throw error;
          if (!(error instanceof SilentValueError)) this.diagnostics.error(this.at(resolved), error.message);
        }
      }
      return out;
    };
  }

  /** A small object (no field positions): its keys, converted, with `required` ones checked. */
  object(node: Node, context: string, converters: Readonly<Record<string, Convert<unknown>>>, required: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const readers = Object.fromEntries(Object.entries(converters).map(([key, convert]) => [key, (value: Node) => { out[key] = convert(value); }]));
    this.fields(node, context, readers);
    // A key present with a bad value was reported already: only absent keys are missing.
    const present = new Set(this.mapping(node, context).items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : '')));
    const missing = required.filter((key) => !present.has(key));
    if (missing.length > 0) throw this.fail(node, `${context} has no ${missing.join(', ')}`);
    return out;
  }
}

/** A ValueError already reported where it happened. */
class SilentValueError extends ValueError {}

type Setting<T> = Exclude<keyof T, 'at' | 'fieldAt'>;
type Readers<T> = { readonly [K in Setting<T>]?: Convert<T[K]> };

/** Reads a node with field positions into a draft, then finishes it with the model's defaults. */
function readNode<T>(
  r: DocumentReader,
  node: Node,
  context: string,
  readers: Readers<T>,
  draft: Draft<T>,
  defaults: Partial<T>,
  required: readonly Setting<T>[],
  complete: (draft: Draft<T>) => void = () => {},
): T {
  const byKey = Object.fromEntries(Object.entries(readers).map(([key, convert]) => [
    key,
    (value: Node, keyAt: SourcePos) => setField(draft, key as Setting<T>, (convert as Convert<T[Setting<T>]>)(value), keyAt),
  ]));
  try {
    r.fields(node, context, byKey);
  } catch (error) {
    if (!(error instanceof ValueError)) throw error;
    // Not a mapping at all: that one error says it.
    return finishNode(draft, defaults, [], { node: context, setting: jsonSpelling.setting }, r.diagnostics);
  }
  complete(draft);
  return finishNode(draft, defaults, required, { node: context, setting: jsonSpelling.setting }, r.diagnostics);
}

function trackRef(r: DocumentReader, context: string): Convert<TrackRef> {
  return (node) => {
    if (isScalar(node)) return { at: r.at(node), name: r.string(node), reverse: false };
    const o = r.object(node, `${context} entry`, { name: r.string, weight: r.integer, reverse: r.boolean }, ['name']);
    if (o.reverse !== undefined && o.weight === undefined) throw r.fail(node, `${context} entry: reverse needs a weight`);
    return { at: r.at(node), name: o.name as string, ...(o.weight !== undefined && { weight: o.weight as number }), reverse: (o.reverse as boolean | undefined) ?? false };
  };
}

/** "ADDR[/LEN]" or { address, prefixLength?, broadcast?, dev?, scope?, label?, noTrack? } */
function virtualAddress(r: DocumentReader, context: string): Convert<VirtualAddress> {
  return (node) => {
    if (isScalar(node)) {
      const { address, prefixLength } = parseIpWithPrefix(r.string(node));
      return { at: r.at(node), address, prefixLength, noTrack: false };
    }
    const o = r.object(node, `${context} entry`, {
      address: r.string, prefixLength: r.integer, broadcast: r.ip, dev: r.string,
      scope: (n) => (isScalar(n) && typeof n.value === 'number' ? parseScope(String(n.value)) : parseScope(r.string(n))),
      label: r.string, noTrack: r.boolean,
    }, ['address']);
    const written = o.address as string;
    if (written.includes('/') && o.prefixLength !== undefined) throw r.fail(node, `${context} entry: give the prefix length in address or in prefixLength, not both`);
    const { address, prefixLength } = parseIpWithPrefix(o.prefixLength === undefined ? written : `${written}/${o.prefixLength as number}`);
    return {
      at: r.at(node), address, prefixLength,
      ...(o.broadcast !== undefined && { broadcast: o.broadcast as string }),
      ...(o.dev !== undefined && { dev: o.dev as string }),
      ...(o.scope !== undefined && { scope: o.scope as number }),
      ...(o.label !== undefined && { label: o.label as string }),
      noTrack: (o.noTrack as boolean | undefined) ?? false,
    };
  };
}

/** A route in `ip route` syntax, as keepalived.conf writes it: "198.18.5.0/24 via 198.18.0.254 dev eth0 table 100". */
function route(r: DocumentReader, context: string): Convert<IpRoute> {
  return (node) => parseRoute(r.entryWords(node), context, r.report);
}

/** A rule in `ip rule` syntax, as keepalived.conf writes it: "from 198.18.5.0/24 table 100 priority 100". */
function ruleList(r: DocumentReader, context: string): Convert<IpRule[]> {
  return (node) => r.list((n) => parseRule(r.entryWords(n), context, r.report, r.rulePriorities))(node).filter((rule) => rule !== undefined);
}

/** "ADDR" or { address, minTtl?, maxTtl? } */
function unicastPeer(r: DocumentReader): Convert<UnicastPeer> {
  return (node) => {
    if (isScalar(node)) return { at: r.at(node), address: r.ip(node) };
    const o = r.object(node, 'unicastPeer entry', { address: r.ip, minTtl: r.integer, maxTtl: r.integer }, ['address']);
    return { at: r.at(node), address: o.address as string, ...(o.minTtl !== undefined && { minTtl: o.minTtl as number }), ...(o.maxTtl !== undefined && { maxTtl: o.maxTtl as number }) };
  };
}

function scriptUser(r: DocumentReader, context: string): Convert<ScriptUser> {
  return (node) => r.object(node, context, { user: r.string, group: r.string }, ['user']) as unknown as ScriptUser;
}

function notifyFifo(r: DocumentReader, context: string): Convert<NotifyFifo> {
  return (node) => r.object(node, context, {
    path: r.string, owner: scriptUser(r, `${context}.owner`), script: r.string, scriptUser: scriptUser(r, `${context}.scriptUser`),
  }, ['path']) as unknown as NotifyFifo;
}

function notifyReaders(r: DocumentReader): Readers<VrrpInstance & VrrpSyncGroup> {
  return { notifyMaster: r.string, notifyBackup: r.string, notifyFault: r.string, notifyStop: r.string, notify: r.string, smtpAlert: r.boolean };
}

function readGlobalDefs(r: DocumentReader, node: Node | undefined, at: SourcePos): GlobalDefs {
  const draft = newDraft<GlobalDefs>(at);
  if (!node) return finishNode(draft, GLOBAL_DEFAULTS, [], { node: 'globalDefs', setting: jsonSpelling.setting }, r.diagnostics);
  return readNode<GlobalDefs>(r, node, 'globalDefs', {
    routerId: r.string,
    notificationEmail: r.list(r.string),
    notificationEmailFrom: r.string,
    smtpServer: (n) => {
      const o = r.object(n, 'globalDefs.smtpServer', { host: r.string, port: r.integer }, ['host']);
      return { host: o.host, port: o.port ?? SMTP_DEFAULT_PORT } as SmtpServer;
    },
    smtpHeloName: r.string,
    smtpConnectTimeoutMs: r.integer,
    smtpAlert: r.boolean,
    smtpAlertVrrp: r.boolean,
    smtpAlertChecker: r.boolean,
    enableScriptSecurity: r.boolean,
    scriptUser: scriptUser(r, 'globalDefs.scriptUser'),
    notifyFifo: notifyFifo(r, 'globalDefs.notifyFifo'),
    vrrpNotifyFifo: notifyFifo(r, 'globalDefs.vrrpNotifyFifo'),
    lvsNotifyFifo: notifyFifo(r, 'globalDefs.lvsNotifyFifo'),
    vrrpMcastGroup4: r.ip,
    vrrpMcastGroup6: r.ip,
    vrrpVersion: r.oneOf(2, 3),
    vrrpGarpMasterDelayMs: r.integer,
    vrrpGarpMasterRepeat: r.integer,
    vrrpGarpMasterRefreshMs: r.integer,
    vrrpGarpMasterRefreshRepeat: r.integer,
    vrrpGarpIntervalMs: r.integer,
    vrrpGnaIntervalMs: r.integer,
    vrrpStartupDelayMs: r.integer,
    vrrpStrict: r.boolean,
    vrrpSkipCheckAdvAddr: r.boolean,
    maxAutoPriority: r.integer,
    lbDataplane: r.oneOf(...LB_DATAPLANES),
    metricsListen: r.string,
    netNamespace: r.string,
    ssl: (n) => r.object(n, 'globalDefs.ssl', { certificate: r.string, key: r.string, password: r.string, ca: r.string }, []),
    lvsSyncDaemon: (n) => readNode<LvsSyncDaemon>(r, n, 'globalDefs.lvsSyncDaemon', {
      interface: r.string, instance: r.string, syncId: r.integer, maxLen: r.integer, port: r.integer, ttl: r.integer, group: r.ip,
    }, newDraft<LvsSyncDaemon>(r.at(n)), {}, ['interface', 'instance']),
  }, draft, GLOBAL_DEFAULTS, []);
}

function readVrrpScript(r: DocumentReader, name: string, at: SourcePos, node: Node): VrrpScript {
  const draft = newDraft<VrrpScript>(at);
  draft.name = name;
  return readNode<VrrpScript>(r, node, `vrrpScripts.${name}`, {
    script: r.string, intervalMs: r.integer, timeoutMs: r.integer, weight: r.integer, reverse: r.boolean,
    rise: r.integer, fall: r.integer, user: scriptUser(r, `vrrpScripts.${name}.user`), initFail: r.boolean,
  }, draft, VRRP_SCRIPT_DEFAULTS, ['script']);
}

function readTrackFile(r: DocumentReader, name: string, at: SourcePos, node: Node): TrackFile {
  const draft = newDraft<TrackFile>(at);
  draft.name = name;
  return readNode<TrackFile>(r, node, `trackFiles.${name}`, {
    file: r.string, weight: r.integer, reverse: r.boolean,
    initFile: (n) => {
      const o = r.object(n, `trackFiles.${name}.initFile`, { value: r.integer, overwrite: r.boolean }, []);
      return { value: (o.value as number | undefined) ?? 0, overwrite: (o.overwrite as boolean | undefined) ?? false };
    },
  }, draft, TRACK_FILE_DEFAULTS, ['file']);
}

function readTrackProcess(r: DocumentReader, name: string, at: SourcePos, node: Node): VrrpTrackProcess {
  const draft = newDraft<VrrpTrackProcess>(at);
  draft.name = name;
  return readNode<VrrpTrackProcess>(r, node, `vrrpTrackProcesses.${name}`, {
    process: r.string, params: r.list(r.string), paramMatch: r.oneOf('partial', 'initial'), fullCommand: r.boolean,
    weight: r.integer, reverse: r.boolean, quorum: r.integer, quorumMax: r.integer, forkDelayMs: r.integer, terminateDelayMs: r.integer,
  }, draft, TRACK_PROCESS_DEFAULTS, ['process']);
}

function readSyncGroup(r: DocumentReader, name: string, at: SourcePos, node: Node): VrrpSyncGroup {
  const draft = newDraft<VrrpSyncGroup>(at);
  draft.name = name;
  const context = `vrrpSyncGroups.${name}`;
  return readNode<VrrpSyncGroup>(r, node, context, {
    ...notifyReaders(r),
    group: r.list<GroupMember>((n) => ({ at: r.at(n), name: r.string(n) })),
    trackInterface: r.list(trackRef(r, `${context}.trackInterface`)),
    trackScript: r.list(trackRef(r, `${context}.trackScript`)),
    trackFile: r.list(trackRef(r, `${context}.trackFile`)),
    trackProcess: r.list(trackRef(r, `${context}.trackProcess`)),
  }, draft, SYNC_GROUP_DEFAULTS, []);
}

function readVrrpInstance(r: DocumentReader, name: string, at: SourcePos, node: Node): VrrpInstance {
  const draft = newDraft<VrrpInstance>(at);
  draft.name = name;
  const context = `vrrpInstances.${name}`;
  return readNode<VrrpInstance>(r, node, context, {
    ...notifyReaders(r),
    state: r.oneOf('MASTER', 'BACKUP'),
    interface: r.string,
    virtualRouterId: r.integer,
    priority: r.integer,
    advertIntCs: r.integer,
    version: r.oneOf(2, 3),
    nopreempt: r.boolean,
    preemptDelayMs: r.integer,
    authentication: (n): Authentication => {
      const fieldAt: { authType?: SourcePos; authPass?: SourcePos } = {};
      const o = r.object(n, `${context}.authentication`, {
        authType: (t) => { fieldAt.authType = r.at(t); return parseAuthType(r.string(t)); },
        authPass: (t) => { fieldAt.authPass = r.at(t); return r.string(t); },
      }, ['authType', 'authPass']);
      const { authPass, warning } = authPassword(o.authPass as string);
      if (warning) r.diagnostics.warn(r.at(n), warning);
      return { at: r.at(n), fieldAt, authType: o.authType as 'PASS' | 'AH', authPass };
    },
    virtualIpaddress: r.list(virtualAddress(r, `${context}.virtualIpaddress`)),
    virtualIpaddressExcluded: r.list(virtualAddress(r, `${context}.virtualIpaddressExcluded`)),
    virtualRoutes: r.list(route(r, `${context}.virtualRoutes`)),
    virtualRules: ruleList(r, `${context}.virtualRules`),
    unicastSrcIp: r.ip,
    unicastPeer: r.list(unicastPeer(r)),
    mcastSrcIp: r.ip,
    trackInterface: r.list(trackRef(r, `${context}.trackInterface`)),
    trackScript: r.list(trackRef(r, `${context}.trackScript`)),
    trackFile: r.list(trackRef(r, `${context}.trackFile`)),
    trackProcess: r.list(trackRef(r, `${context}.trackProcess`)),
    garpMasterDelayMs: r.integer,
    garpMasterRepeat: r.integer,
    garpMasterRefreshMs: r.integer,
    garpMasterRefreshRepeat: r.integer,
    // true: keepalived's default name, which needs the VRID (completed below).
    useVmac: (n) => (isScalar(n) && n.value === true ? '' : r.string(n)),
    vmacXmitBase: r.boolean,
    accept: r.boolean,
    dontTrackPrimary: r.boolean,
    noVirtualIpaddress: r.boolean,
  }, draft, VRRP_INSTANCE_DEFAULTS, ['interface', 'virtualRouterId'], (d) => {
    if (d.useVmac === '') d.useVmac = defaultVmacName(d.virtualRouterId);
  });
}

/** delayLoopMs ... warmupMs: on virtual servers, real servers and checkers. */
type SharedReaders = { readonly [K in keyof CheckerConnectSettings]?: Convert<NonNullable<CheckerConnectSettings[K]>> };

function timingReaders(r: DocumentReader, connect = true): SharedReaders {
  return { delayLoopMs: r.integer, ...(connect && { connectTimeoutMs: r.integer }), retry: r.integer, delayBeforeRetryMs: r.integer, warmupMs: r.integer };
}

function connectReaders(r: DocumentReader): SharedReaders {
  return { ...timingReaders(r), connectIp: r.ip, connectPort: r.integer, bindto: r.ip, bindPort: r.integer, fwmark: r.integer };
}

/** 200 or "200-299". */
function statusRange(r: DocumentReader): Convert<StatusCodeRange> {
  return (node) => (isScalar(node) && typeof node.value === 'number' ? parseStatusRange(String(r.integer(node))) : parseStatusRange(r.string(node)));
}

function readUrl(r: DocumentReader, context: string): Convert<HttpUrl> {
  return (node) => readNode<HttpUrl>(r, node, context, {
    path: r.string,
    digest: (n) => parseDigest(r.string(n)),
    statusCode: r.list(statusRange(r)),
    virtualhost: r.string,
    regex: r.string,
    regexNoMatch: r.boolean,
  }, newDraft<HttpUrl>(r.at(node)), HTTP_URL_DEFAULTS, ['path']);
}

/** keepalived's checkers that keepalive does not implement. */
const KEEPALIVED_ONLY_CHECKERS = new Set(['ICMP_CHECK', 'BFD_CHECK']);

const CHECKER_KINDS = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'DNS_CHECK', 'SMTP_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK'] as const;

/** { kind: TCP_CHECK | HTTP_GET | SSL_GET | MISC_CHECK | DNS_CHECK | SMTP_CHECK, ...its settings } */
function readChecker(r: DocumentReader, context: string): Convert<Checker> {
  return (node) => {
    const map = r.mapping(node, `${context} entry`);
    const kindPair = map.items.find((pair) => isScalar(pair.key) && pair.key.value === 'kind');
    if (!kindPair) throw r.fail(node, `${context} entry has no kind (one of ${CHECKER_KINDS.join(', ')})`);
    const kindNode = r.resolve(kindPair.value as Node);
    const kindName = isScalar(kindNode) ? String(kindNode.value) : '';
    if (KEEPALIVED_ONLY_CHECKERS.has(kindName)) throw r.fail(kindNode, `${context} entry: kind ${kindName} is a keepalived checker that keepalive does not support`);
    if (!(CHECKER_KINDS as readonly string[]).includes(kindName)) throw r.fail(kindNode, `${context} entry: kind must be one of ${CHECKER_KINDS.join(', ')}`);
    const kind = kindName as (typeof CHECKER_KINDS)[number];
    const where = `${context}.${kind}`;
    const at = r.at(node);
    switch (kind) {
      case 'TCP_CHECK':
        return readNode<TcpCheck>(r, node, where, { kind: r.oneOf(kind), ...connectReaders(r) }, newDraft<TcpCheck>(at), TCP_CHECK_DEFAULTS, []);
      case 'HTTP_GET':
      case 'SSL_GET':
        return readNode<HttpCheck>(r, node, where, {
          kind: r.oneOf(kind), ...connectReaders(r),
          url: r.list(readUrl(r, `${where}.url`)), virtualhost: r.string, enableSni: r.boolean, sniName: r.string, tlsVerify: r.boolean, tlsCa: r.string,
          httpProtocol: r.oneOf('1.0', '1.0C', '1.1'), fastRecovery: r.boolean,
        }, newDraft<HttpCheck>(at), HTTP_CHECK_DEFAULTS, []);
      case 'MISC_CHECK':
        return readNode<MiscCheck>(r, node, where, {
          kind: r.oneOf(kind), ...timingReaders(r, false),
          miscPath: r.string, miscTimeoutMs: r.integer, miscDynamic: r.boolean, user: scriptUser(r, `${where}.user`),
        }, newDraft<MiscCheck>(at), MISC_CHECK_DEFAULTS, ['miscPath']);
      case 'DNS_CHECK':
        return readNode<DnsCheck>(r, node, where, { kind: r.oneOf(kind), ...connectReaders(r), type: r.oneOf(...DNS_TYPES), name: r.string }, newDraft<DnsCheck>(at), DNS_CHECK_DEFAULTS, []);
      case 'SMTP_CHECK':
        return readNode<SmtpCheck>(r, node, where, { kind: r.oneOf(kind), ...connectReaders(r), heloName: r.string }, newDraft<SmtpCheck>(at), SMTP_CHECK_DEFAULTS, []);
      case 'FILE_CHECK':
        return readNode<FileCheck>(r, node, where, { kind: r.oneOf(kind), ...timingReaders(r), trackFile: r.string, weight: r.integer, reverse: r.boolean }, newDraft<FileCheck>(at), FILE_CHECK_DEFAULTS, ['trackFile']);
      case 'PING_CHECK':
        return readNode<PingCheck>(r, node, where, { kind: r.oneOf(kind), ...connectReaders(r) }, newDraft<PingCheck>(at), PING_CHECK_DEFAULTS, []);
      case 'UDP_CHECK':
        return readNode<UdpCheck>(r, node, where, {
          kind: r.oneOf(kind), ...connectReaders(r), payload: r.string, requireReply: r.boolean, replyPattern: r.string, minReplyLength: r.integer, maxReplyLength: r.integer,
        }, newDraft<UdpCheck>(at), UDP_CHECK_DEFAULTS, []);
    }
  };
}

/** A mapping key "ADDR PORT" (or "ADDR" when the port is optional) into its parts. */
function addressKey(name: string, portOptional: boolean): { address: string; port?: number } {
  const words = name.trim().split(/\s+/);
  if (words.length > 2 || (words.length < 2 && !portOptional) || words[0] === '') {
    throw new ValueError(`expected "ADDRESS PORT"${portOptional ? ' or "ADDRESS"' : ', "fwmark N" or "group NAME" (optionally after TCP or UDP)'}, got ${JSON.stringify(name)}`);
  }
  const { address } = parseIp(words[0]!);
  return words[1] === undefined ? { address } : { address, port: parseInteger(words[1]) };
}

function readRealServer(r: DocumentReader, name: string, at: SourcePos, node: Node, context: string): RealServer {
  const draft = newDraft<RealServer>(at);
  const where = `${context}.realServers.${name}`;
  try {
    const { address, port } = addressKey(name, true);
    setField(draft, 'address', address, at);
    if (port !== undefined) setField(draft, 'port', port, at);
  } catch (error) {
    if (!(error instanceof ValueError)) throw error;
    r.diagnostics.error(at, `${context}.realServers: ${error.message}`);
  }
  return readNode<RealServer>(r, node, where, {
    ...timingReaders(r),
    weight: r.integer, inhibitOnFailure: r.boolean, notifyUp: r.string, notifyDown: r.string, uthreshold: r.integer, lthreshold: r.integer,
    lvsMethod: (n) => parseLbMethod(r.string(n)),
    checkers: r.list(readChecker(r, `${where}.checkers`)),
  }, draft, REAL_SERVER_DEFAULTS, []);
}

/** "ADDR PORT" or { address, port } */
function sorryServer(r: DocumentReader, context: string): Convert<SorryServer> {
  return (node) => {
    if (isScalar(node)) {
      const { address, port } = addressKey(r.string(node), false);
      return { at: r.at(node), address, port: port! };
    }
    const o = r.object(node, context, { address: r.ip, port: r.integer }, ['address', 'port']);
    return { at: r.at(node), address: o.address as string, port: o.port as number };
  };
}

/** { entries: ["ADDR[-LAST] PORT" | "fwmark N", ...] } */
function readVirtualServerGroup(r: DocumentReader, name: string, at: SourcePos, node: Node): VirtualServerGroup {
  const draft = newDraft<VirtualServerGroup>(at);
  draft.name = name;
  return readNode<VirtualServerGroup>(r, node, `virtualServerGroups.${name}`, {
    entries: (n) => {
      const entries = r.list<VirtualServerGroupEntry>((e) => ({ at: r.at(e), ...parseGroupEntry(r.string(e).trim().split(/\s+/)) }))(n);
      if (isSeq(n) && n.items.length === 0) throw new ValueError('a group needs at least one address or fwmark');
      return entries;
    },
  }, draft, VIRTUAL_SERVER_GROUP_DEFAULTS, ['entries']);
}

function readVirtualServer(r: DocumentReader, name: string, at: SourcePos, node: Node): VirtualServer {
  const draft = newDraft<VirtualServer>(at);
  const context = `virtualServers.${name}`;
  let words = name.trim().split(/\s+/);
  try {
    // "UDP 198.18.0.1 53": the protocol in the key, so that one address and port can carry TCP and UDP.
    if (words.length === 3 && /^[A-Z]+$/.test(words[0]!)) {
      setField(draft, 'protocol', parseLbProtocol(words[0]!), at);
      if (isMap(node) && node.items.some((pair) => isScalar(pair.key) && pair.key.value === 'protocol')) {
        throw new ValueError(`${JSON.stringify(name)} names the protocol: give it in the key or in protocol, not both`);
      }
      words = words.slice(1);
    }
    if (words[0] === 'group' && words.length === 2) setField(draft, 'group', words[1]!, at);
    else if (words[0] === 'fwmark' && words.length === 2) setField(draft, 'fwmark', parseInteger(words[1]!), at);
    else {
      const { address, port } = addressKey(words.join(' '), false);
      setField(draft, 'address', address, at);
      setField(draft, 'port', port!, at);
    }
  } catch (error) {
    if (!(error instanceof ValueError)) throw error;
    r.diagnostics.error(at, `virtualServers: ${error.message}`);
  }
  return readNode<VirtualServer>(r, node, context, {
    ...timingReaders(r),
    protocol: (n) => parseLbProtocol(r.string(n)),
    lvsSched: r.oneOf(...LB_SCHEDULERS),
    lvsMethod: (n) => parseLbMethod(r.string(n)),
    persistenceTimeoutMs: r.integer,
    persistenceGranularity: (n) => parseGranularity(isScalar(n) && typeof n.value === 'number' ? String(r.integer(n)) : r.string(n)),
    sorryServer: sorryServer(r, `${context}.sorryServer`),
    sorryServerInhibit: r.boolean,
    quorum: r.integer,
    hysteresis: r.integer,
    quorumUp: r.string,
    quorumDown: r.string,
    inhibitOnFailure: r.boolean,
    alpha: r.boolean,
    omega: r.boolean,
    virtualhost: r.string,
    haSuspend: r.boolean,
    smtpAlert: r.boolean,
    realServers: (n) => r.named(n, `${context}.realServers`).map((entry) => readRealServer(r, entry.name, entry.at, entry.value, context)),
  }, draft, VIRTUAL_SERVER_DEFAULTS, []);
}

/** Keys are the model's setting names, values in the model's units. */
export const jsonSpelling: Spelling = { setting: (key) => key, value: (_key, value) => `${value}` };

/**
 * The model of a JSON or YAML text, before validation (see validate.ts). Errors and warnings go to
 * `diagnostics`; the returned model is only usable if no error was recorded.
 */
function parse(text: string, file: string, diagnostics: Diagnostics): Origin {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const origin = { file, lines, doc };
  const r = new DocumentReader(origin, diagnostics);
  for (const error of doc.errors) diagnostics.error(r.pos(error.pos[0]), error.message);
  return origin;
}

const isEmpty = (node: unknown): boolean => node === null || node === undefined || (isScalar(node) && node.value === null);

export function readJsonOrYaml(text: string, file: string, diagnostics: Diagnostics): KeepaliveConfig {
  const origin = parse(text, file, diagnostics);
  const contents = origin.doc.errors.length === 0 ? origin.doc.contents : null;
  return readDocument(new DocumentReader(origin, diagnostics), contents as Node | null, file);
}

/**
 * Several JSON/YAML fragments of one configuration (a conf.d directory, in name order), deep-merged:
 * mappings merge key by key, so one fragment can add a real server to a virtual server another
 * defines; a key whose values differ in two fragments, unless both are mappings, is an error at the
 * second, naming the first. Every position stays the one in the fragment the node came from.
 */
export function readJsonOrYamlFragments(fragments: readonly { text: string; file: string }[], directory: string, diagnostics: Diagnostics): KeepaliveConfig {
  const origins = new WeakMap<Node, Origin>();
  let root: YAMLMap | undefined;
  let rootOrigin: Origin | undefined;
  for (const { text, file } of fragments) {
    const origin = parse(text, file, diagnostics);
    const contents = origin.doc.contents as Node | null;
    if (origin.doc.errors.length > 0 || isEmpty(contents)) continue;
    const r = new DocumentReader(origin, diagnostics);
    if (!isMap(contents)) {
      diagnostics.error(r.at(contents!), 'a configuration fragment must be a mapping');
      continue;
    }
    if (!root) {
      root = contents as YAMLMap;
      rootOrigin = origin;
      continue;
    }
    visit(contents, (node) => origins.set(node, origin));
    mergeMaps(root, contents as YAMLMap, new DocumentReader(rootOrigin!, diagnostics, origins), r);
  }
  const fallback: Origin = rootOrigin ?? { file: directory, lines: new LineCounter(), doc: parseDocument('') };
  return readDocument(new DocumentReader(fallback, diagnostics, origins), root ?? null, directory);
}

/** Every node of a tree, aliases' targets excepted (they are nodes of the same tree). */
function visit(node: unknown, each: (node: Node) => void): void {
  if (!node || typeof node !== 'object') return;
  each(node as Node);
  if (isMap(node)) for (const pair of node.items) { visit(pair.key, each); visit(pair.value, each); }
  else if (isSeq(node)) for (const item of node.items) visit(item, each);
}

function mergeMaps(target: YAMLMap, source: YAMLMap, targetReader: DocumentReader, sourceReader: DocumentReader): void {
  for (const pair of source.items) {
    const key = pair.key as Node;
    const name = isScalar(key) ? key.value : undefined;
    const existing = target.items.find((p) => isScalar(p.key) && (p.key as { value: unknown }).value === name);
    if (!existing) {
      target.items.push(pair);
      continue;
    }
    const [a, b] = [existing.value ? targetReader.resolve(existing.value as Node) : null, pair.value ? sourceReader.resolve(pair.value as Node) : null];
    if (isMap(a) && isMap(b)) {
      mergeMaps(a as YAMLMap, b as YAMLMap, targetReader, sourceReader);
    } else if (JSON.stringify((a as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null) !== JSON.stringify((b as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null)) {
      const first = targetReader.at(existing.key as Node);
      sourceReader.diagnostics.error(sourceReader.at(key), `${String(name)} is also given, differently, at ${first.file}:${first.line}:${first.col}`);
    }
  }
}

function readDocument(r: DocumentReader, contents: Node | null, file: string): KeepaliveConfig {
  const sections: Partial<Record<'globalDefs' | 'vrrpScripts' | 'trackFiles' | 'vrrpTrackProcesses' | 'vrrpSyncGroups' | 'vrrpInstances' | 'staticIpaddress' | 'staticRoutes' | 'staticRules' | 'virtualServerGroups' | 'virtualServers', { node: Node; at: SourcePos }>> = {};
  if (!isEmpty(contents)) {
    try {
      r.fields(contents!, 'the configuration', Object.fromEntries(
        (['globalDefs', 'vrrpScripts', 'trackFiles', 'vrrpTrackProcesses', 'vrrpSyncGroups', 'vrrpInstances', 'staticIpaddress', 'staticRoutes', 'staticRules', 'virtualServerGroups', 'virtualServers'] as const).map((key) => [key, (node: Node, at: SourcePos) => { sections[key] = { node, at }; }]),
      ));
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
    }
  }
  const each = <T>(key: 'vrrpScripts' | 'trackFiles' | 'vrrpTrackProcesses' | 'vrrpSyncGroups' | 'vrrpInstances' | 'virtualServerGroups' | 'virtualServers', read: (r: DocumentReader, name: string, at: SourcePos, node: Node) => T): T[] => {
    const section = sections[key];
    if (!section) return [];
    try {
      return r.named(section.node, key).map(({ name, at, value }) => read(r, name, at, value));
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      return [];
    }
  };
  /** A top-level list: its entries, or none when it is missing or not a list (reported). */
  const list = <T>(key: 'staticIpaddress' | 'staticRoutes' | 'staticRules', read: Convert<T[]>): T[] => {
    const section = sections[key];
    if (!section) return [];
    try {
      return read(section.node);
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      if (!(error instanceof SilentValueError)) r.diagnostics.error(r.at(section.node), `${key}: ${error.message}`);
      return [];
    }
  };
  return {
    globalDefs: readGlobalDefs(r, sections.globalDefs?.node, sections.globalDefs?.at ?? { file, line: 1, col: 1 }),
    staticIpaddress: list('staticIpaddress', r.list(virtualAddress(r, 'staticIpaddress'))),
    staticRoutes: list('staticRoutes', r.list(route(r, 'staticRoutes'))),
    staticRules: list('staticRules', ruleList(r, 'staticRules')),
    vrrpScripts: each('vrrpScripts', readVrrpScript),
    trackFiles: each('trackFiles', readTrackFile),
    vrrpTrackProcesses: each('vrrpTrackProcesses', readTrackProcess),
    vrrpSyncGroups: each('vrrpSyncGroups', readSyncGroup),
    vrrpInstances: each('vrrpInstances', readVrrpInstance),
    virtualServerGroups: each('virtualServerGroups', readVirtualServerGroup),
    virtualServers: each('virtualServers', readVirtualServer),
  };
}
