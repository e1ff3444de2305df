// Semantic checks of a loaded model, the same for every format: ranges, references between nodes,
// address families, VRID clashes, and the load-balancing rules (ports, weights, duplicates, checkers). Every problem is reported, at the setting (or entry) it is
// about, named and quantified as the user's format writes them (see Spelling).
import { ipFamily } from '../net/ip.ts';
import { parseListen } from '../metrics/listen.ts';
import { parseHexString } from './values.ts';
import type { Diagnostics } from './diagnostics.ts';
import type {
  Checker, CheckerConnectSettings, FieldPositions, GlobalDefs, KeepaliveConfig, RealServer, SourcePos, TrackRef, VirtualServer, VirtualServerGroup, VrrpInstance, VrrpScript, VrrpSyncGroup,
} from './model.ts';
import { instanceFamily, instanceStartsAsMaster, instanceVersion, realServerMethod, realServerPort, virtualServerFamily, virtualServerKey } from './resolve.ts';

/** How the user's format writes a setting's name and a value of it: advert_int 0.5 s, or advertIntCs 50. */
export interface Spelling {
  setting(key: string): string;
  value(key: string, value: number): string;
}

const WEIGHT_MAX = 253;
const PREEMPT_DELAY_MAX_MS = 1000_000;
const V2_ADVERT_MAX_S = 255;
const V3_ADVERT_MAX_CS = 4095;

const where = (at: SourcePos): string => `${at.file}:${at.line}:${at.col}`;

/** Checks a setting (when written) against an inclusive range, or only a minimum. */
function checkRange<T>(
  node: { readonly fieldAt: FieldPositions<T> } & T,
  key: Exclude<keyof T, 'at' | 'fieldAt'> & string,
  min: number,
  max: number | undefined,
  spelling: Spelling,
  diagnostics: Diagnostics,
): void {
  const at = node.fieldAt[key];
  const value = node[key];
  if (!at || typeof value !== 'number') return;
  const show = (n: number): string => spelling.value(key, n);
  if (max === undefined && value < min) diagnostics.error(at, `${spelling.setting(key)} ${show(value)} must be at least ${show(min)}`);
  else if (max !== undefined && (value < min || value > max)) diagnostics.error(at, `${spelling.setting(key)} ${show(value)} is out of range ${show(min)}..${show(max)}`);
}

function isMulticast(address: string): boolean {
  return address.includes(':') ? /^ff/i.test(address) : Number(address.split('.')[0]) >> 4 === 14;
}

function checkGlobalDefs(g: GlobalDefs, spelling: Spelling, diagnostics: Diagnostics): void {
  for (const [key, family] of [['vrrpMcastGroup4', 4], ['vrrpMcastGroup6', 6]] as const) {
    const at = g.fieldAt[key];
    if (at && (ipFamily(g[key]) !== family || !isMulticast(g[key]))) diagnostics.error(at, `${spelling.setting(key)} must be an IPv${family} multicast address, not ${g[key]}`);
  }
  if (g.smtpServer && g.fieldAt.smtpServer && (g.smtpServer.port < 1 || g.smtpServer.port > 65535)) {
    diagnostics.error(g.fieldAt.smtpServer, `${spelling.setting('smtpServer')} port ${g.smtpServer.port} is out of range 1..65535`);
  }
  for (const key of ['smtpConnectTimeoutMs', 'vrrpGarpMasterDelayMs', 'vrrpGarpMasterRefreshMs', 'vrrpGarpIntervalMs', 'vrrpGnaIntervalMs', 'vrrpStartupDelayMs'] as const) {
    checkRange(g, key, 0, undefined, spelling, diagnostics);
  }
  checkRange(g, 'vrrpGarpMasterRepeat', 1, undefined, spelling, diagnostics);
  checkRange(g, 'vrrpGarpMasterRefreshRepeat', 1, undefined, spelling, diagnostics);
  checkRange(g, 'maxAutoPriority', -1, 99, spelling, diagnostics); // keepalived: 0..sched_get_priority_max(SCHED_RR), or -1 = never raise to realtime
  if (g.netNamespace !== undefined && g.fieldAt.netNamespace && (g.netNamespace === '' || g.netNamespace === '.' || g.netNamespace === '..' || g.netNamespace.includes('/'))) {
    diagnostics.error(g.fieldAt.netNamespace, `${spelling.setting('netNamespace')} ${JSON.stringify(g.netNamespace)} is not a namespace name (one of /run/netns)`);
  }
  if (g.ssl && (g.ssl.certificate === undefined) !== (g.ssl.key === undefined)) {
    diagnostics.error(g.fieldAt.ssl ?? g.at, `${spelling.setting('ssl')}: a client certificate and its key go together: ${g.ssl.certificate === undefined ? 'key has no certificate' : 'certificate has no key'}`);
  }
  if (g.metricsListen !== undefined && g.fieldAt.metricsListen) {
    try { parseListen(g.metricsListen); } catch (error) { diagnostics.error(g.fieldAt.metricsListen, `${spelling.setting('metricsListen')} ${(error as Error).message}`); }
  }
  for (const key of ['notifyFifo', 'vrrpNotifyFifo', 'lvsNotifyFifo'] as const) {
    const fifo = g[key];
    const at = g.fieldAt[key];
    if (!fifo || !at) continue;
    if (fifo.path === undefined) diagnostics.error(at, `${spelling.setting(key)}: a script needs the FIFO's path too`);
    else if (!fifo.path.startsWith('/')) diagnostics.error(at, `${spelling.setting(key)} ${fifo.path} is not an absolute path`);
  }
  // Accepted so that a keepalived.conf loads as it is, but without effect here: say so.
  if (g.fieldAt.maxAutoPriority) diagnostics.warn(g.fieldAt.maxAutoPriority, `${spelling.setting('maxAutoPriority')} has no effect: keepalive does not take realtime scheduling`);
}

/** The kernel's dev_valid_name: 1..15 bytes (IFNAMSIZ less the NUL), not . or .., no slash, colon or space. */
function isInterfaceName(name: string): boolean {
  return name !== '.' && name !== '..' && Buffer.byteLength(name) >= 1 && Buffer.byteLength(name) <= 15 && !/[/:\s]/.test(name);
}

/** lvs_sync_daemon's own settings, and that it runs only where IPVS forwards (nftables has no connection sync). */
function checkLvsSyncDaemon(config: KeepaliveConfig, instances: ReadonlyMap<string, VrrpInstance>, spelling: Spelling, diagnostics: Diagnostics): void {
  const g = config.globalDefs;
  const daemon = g.lvsSyncDaemon;
  if (!daemon) return;
  const name = spelling.setting('lvsSyncDaemon');
  const own: Spelling = { setting: (key) => `${name} ${spelling.setting(key)}`, value: spelling.value };
  if (daemon.fieldAt.interface && !isInterfaceName(daemon.interface)) {
    diagnostics.error(daemon.fieldAt.interface, `${name}: ${JSON.stringify(daemon.interface)} is not an interface name (1 to 15 bytes, no "/", ":" or spaces)`);
  }
  if (daemon.fieldAt.instance && !instances.has(daemon.instance)) diagnostics.error(daemon.fieldAt.instance, `${name}: no vrrp_instance named ${daemon.instance}`);
  checkRange(daemon, 'syncId', 0, 255, own, diagnostics);
  checkRange(daemon, 'maxLen', 1, 65535 - 20 - 8, own, diagnostics); // a UDP payload in one IPv4 datagram
  checkRange(daemon, 'port', 1, 65535, own, diagnostics);
  checkRange(daemon, 'ttl', 1, 255, own, diagnostics);
  if (daemon.group !== undefined && daemon.fieldAt.group && !isMulticast(daemon.group)) diagnostics.error(daemon.fieldAt.group, `${name}: group ${daemon.group} is not a multicast address`);
  if (g.lbDataplane === 'nftables') {
    const at = g.fieldAt.lbDataplane;
    diagnostics.error(daemon.at, `${name} needs IPVS, whose kernel sync daemon it runs; ${spelling.setting('lbDataplane')} nftables${at ? ` (${where(at)})` : ''} forwards without IPVS, and nftables has no connection sync`);
  }
}

function checkScript(script: VrrpScript, spelling: Spelling, diagnostics: Diagnostics): void {
  if (script.fieldAt.script && script.script.trim() === '') diagnostics.error(script.fieldAt.script, `${spelling.setting('script')} is empty`);
  checkRange(script, 'intervalMs', 1, undefined, spelling, diagnostics);
  checkRange(script, 'timeoutMs', 1, undefined, spelling, diagnostics);
  checkRange(script, 'weight', -WEIGHT_MAX, WEIGHT_MAX, spelling, diagnostics);
  checkRange(script, 'rise', 1, undefined, spelling, diagnostics);
  checkRange(script, 'fall', 1, undefined, spelling, diagnostics);
}

/** Reports names defined twice; returns the nodes by name (the first of each). */
function byName<T extends { readonly name: string; readonly at: SourcePos }>(nodes: readonly T[], kind: string, diagnostics: Diagnostics): Map<string, T> {
  const map = new Map<string, T>();
  for (const node of nodes) {
    const first = map.get(node.name);
    if (first) diagnostics.error(node.at, `${kind} ${node.name} is defined twice (first at ${where(first.at)})`);
    else map.set(node.name, node);
  }
  return map;
}

interface Trackers {
  readonly scripts: ReadonlyMap<string, unknown>;
  readonly files: ReadonlyMap<string, unknown>;
  readonly processes: ReadonlyMap<string, unknown>;
}

const TRACKER_KIND: Readonly<Record<string, string>> = { trackScript: 'vrrp_script', trackFile: 'track_file', trackProcess: 'vrrp_track_process' };

function checkTrackRefs(owner: VrrpInstance | VrrpSyncGroup, trackers: Trackers, weighted: boolean, spelling: Spelling, diagnostics: Diagnostics): void {
  const lists: readonly [string, readonly TrackRef[], ReadonlyMap<string, unknown> | undefined][] = [
    ['trackInterface', owner.trackInterface, undefined],
    ['trackScript', owner.trackScript, trackers.scripts],
    ['trackFile', owner.trackFile, trackers.files],
    ['trackProcess', owner.trackProcess, trackers.processes],
  ];
  for (const [key, refs, defined] of lists) {
    for (const ref of refs) {
      if (defined && !defined.has(ref.name)) {
        diagnostics.error(ref.at, `${spelling.setting(key)}: no ${TRACKER_KIND[key]} named ${ref.name}`);
      }
      if (ref.weight === undefined) continue;
      if (!weighted) diagnostics.error(ref.at, `${spelling.setting(key)} ${ref.name}: a sync group's trackers take no weight (a failure faults every member)`);
      else if (ref.weight < -WEIGHT_MAX || ref.weight > WEIGHT_MAX) diagnostics.error(ref.at, `${spelling.setting(key)} ${ref.name}: weight ${ref.weight} is out of range ${-WEIGHT_MAX}..${WEIGHT_MAX}`);
    }
  }
}

/**
 * vrrp_strict, as keepalived enforces it: what it refuses is an error; what it resets (resolve.ts
 * does the same) is a warning that says what happens instead.
 */
function checkStrict(i: VrrpInstance, version: 2 | 3, spelling: Spelling, diagnostics: Diagnostics): void {
  const strict = spelling.setting('vrrpStrict');
  if (i.virtualIpaddress.length === 0 && !i.noVirtualIpaddress) {
    diagnostics.error(i.at, `${strict}: vrrp_instance ${i.name} needs a ${spelling.setting('virtualIpaddress')} (or ${spelling.setting('noVirtualIpaddress')})`);
  }
  if (i.unicastPeer.length > 0) diagnostics.error(i.fieldAt.unicastPeer ?? i.at, `${strict}: ${spelling.setting('unicastPeer')} is not allowed (VRRP is multicast)`);
  if (i.authentication && version === 2) diagnostics.warn(i.authentication.at, `${strict}: ${spelling.setting('authentication')} is ignored; adverts carry none, as keepalived's do`);
  if (i.preemptDelayMs > 0 && i.fieldAt.preemptDelayMs) diagnostics.warn(i.fieldAt.preemptDelayMs, `${strict}: ${spelling.setting('preemptDelayMs')} is ignored`);
  if (i.fieldAt.state && (i.state === 'MASTER') !== (i.priority === 255)) {
    diagnostics.warn(i.fieldAt.state, `${strict}: ${spelling.setting('state')} ${i.state} is ignored; an instance starts as master only as the address owner (priority 255)`);
  }
  if (i.accept && i.fieldAt.accept && version === 2 && i.priority !== 255) diagnostics.warn(i.fieldAt.accept, `${strict}: accept mode is turned off for VRRPv2 (RFC 3768 has none)`);
  const first = i.virtualIpaddress[0];
  if (first && instanceFamily(i) === 6 && i.unicastPeer.length === 0 && !/^fe[89ab]/i.test(first.address)) {
    diagnostics.warn(first.at, `${strict}: the first IPv6 virtual address should be link-local (RFC 5798 section 5.2.9)`);
  }
}

function checkInstance(config: KeepaliveConfig, i: VrrpInstance, spelling: Spelling, diagnostics: Diagnostics): void {
  checkRange(i, 'virtualRouterId', 1, 255, spelling, diagnostics);
  checkRange(i, 'priority', 1, 255, spelling, diagnostics);
  checkRange(i, 'preemptDelayMs', 0, PREEMPT_DELAY_MAX_MS, spelling, diagnostics);
  for (const key of ['garpMasterDelayMs', 'garpMasterRefreshMs'] as const) checkRange(i, key, 0, undefined, spelling, diagnostics);
  for (const key of ['garpMasterRepeat', 'garpMasterRefreshRepeat'] as const) checkRange(i, key, 1, undefined, spelling, diagnostics);

  const family = instanceFamily(i);
  const version = instanceVersion(config.globalDefs, i);
  if (family === 6 && version === 2 && i.fieldAt.version) diagnostics.error(i.fieldAt.version, `${spelling.setting('version')} 2 cannot carry IPv6: IPv6 needs VRRPv3`);

  const advertAt = i.fieldAt.advertIntCs;
  const advert = (cs: number): string => spelling.value('advertIntCs', cs);
  if (advertAt && version === 2 && (i.advertIntCs % 100 !== 0 || i.advertIntCs < 100 || i.advertIntCs > V2_ADVERT_MAX_S * 100)) {
    diagnostics.error(advertAt, `${spelling.setting('advertIntCs')} ${advert(i.advertIntCs)}: VRRPv2 needs whole seconds, ${advert(100)}..${advert(V2_ADVERT_MAX_S * 100)}`);
  } else if (advertAt && version === 3 && (i.advertIntCs < 1 || i.advertIntCs > V3_ADVERT_MAX_CS)) {
    diagnostics.error(advertAt, `${spelling.setting('advertIntCs')} ${advert(i.advertIntCs)}: VRRPv3 needs ${advert(1)}..${advert(V3_ADVERT_MAX_CS)}`);
  }

  const auth = i.authentication;
  if (auth?.authType === 'AH' && family === 6) {
    diagnostics.error(auth.fieldAt.authType ?? auth.at, `${spelling.setting('authType')} AH is for IPv4 only: its ICV covers the IPv4 header, and keepalived refuses AH with IPv6`);
  } else if (auth && version === 3) {
    diagnostics.error(auth.at, `${spelling.setting('authentication')} exists only in VRRPv2 (RFC 5798 removed it)`);
  } else if (auth?.authType === 'PASS') {
    diagnostics.warn(auth.at, `${spelling.setting('authentication')}: a VRRPv2 password is sent in clear and is no security, only a guard against misconfiguration`);
  }
  if (auth?.authType === 'AH' && i.state === 'MASTER' && i.fieldAt.state && i.priority !== 255 && !config.globalDefs.vrrpStrict) {
    diagnostics.warn(i.fieldAt.state, `${spelling.setting('state')} MASTER is ignored with ${spelling.setting('authType')} AH but for the address owner (priority 255): the instance starts as backup, to learn the group's AH sequence numbers first, as keepalived does`);
  }

  // keepalived ignores these combinations with a warning; instancePreemption (resolve.ts) does the same.
  // (Under vrrp_strict, state MASTER itself is what is ignored: checkStrict says so.)
  const startsAsMaster = !config.globalDefs.vrrpStrict && instanceStartsAsMaster(config.globalDefs, i);
  if (i.nopreempt && i.fieldAt.nopreempt && startsAsMaster) diagnostics.warn(i.fieldAt.nopreempt, `${spelling.setting('nopreempt')} is ignored with ${spelling.setting('state')} MASTER`);
  else if (i.nopreempt && i.fieldAt.nopreempt && i.priority === 255) diagnostics.warn(i.fieldAt.nopreempt, `${spelling.setting('nopreempt')} is ignored for the address owner (priority 255)`);
  if (i.preemptDelayMs > 0 && i.fieldAt.preemptDelayMs && startsAsMaster) diagnostics.warn(i.fieldAt.preemptDelayMs, `${spelling.setting('preemptDelayMs')} is ignored with ${spelling.setting('state')} MASTER`);

  if (config.globalDefs.vrrpStrict) checkStrict(i, version, spelling, diagnostics);
  if (i.noVirtualIpaddress && i.fieldAt.noVirtualIpaddress && (i.virtualIpaddress.length > 0 || i.virtualIpaddressExcluded.length > 0)) {
    diagnostics.error(i.fieldAt.noVirtualIpaddress, `${spelling.setting('noVirtualIpaddress')} contradicts the addresses this instance lists`);
  }

  if (i.vmacXmitBase && i.fieldAt.vmacXmitBase) diagnostics.warn(i.fieldAt.vmacXmitBase, `${spelling.setting('vmacXmitBase')} has no effect: adverts leave from the VMAC interface`);

  for (const vip of i.virtualIpaddress) {
    if (ipFamily(vip.address) !== family) diagnostics.error(vip.at, `${vip.address} is IPv${ipFamily(vip.address)} but the instance is IPv${family}: one instance carries one family (use two instances and a sync group)`);
  }
  for (const peer of i.unicastPeer) {
    if (ipFamily(peer.address) !== family) diagnostics.error(peer.at, `${spelling.setting('unicastPeer')} ${peer.address} is not IPv${family} like the instance`);
    for (const ttl of [peer.minTtl, peer.maxTtl]) {
      if (ttl !== undefined && (ttl < 0 || ttl > 255)) diagnostics.error(peer.at, `${spelling.setting('unicastPeer')} ${peer.address}: TTL ${ttl} is out of range 0..255`);
    }
    if (peer.minTtl !== undefined && peer.maxTtl !== undefined && peer.minTtl > peer.maxTtl) {
      diagnostics.error(peer.at, `${spelling.setting('unicastPeer')} ${peer.address}: min_ttl ${peer.minTtl} is above max_ttl ${peer.maxTtl}`);
    }
  }
  for (const key of ['unicastSrcIp', 'mcastSrcIp'] as const) {
    const address = i[key];
    const at = i.fieldAt[key];
    if (address !== undefined && at && ipFamily(address) !== family) diagnostics.error(at, `${spelling.setting(key)} ${address} is not IPv${family} like the instance`);
  }
}

/** Two instances with one VRID on one interface and family would answer each other's adverts. */
function checkVridClashes(instances: readonly VrrpInstance[], spelling: Spelling, diagnostics: Diagnostics): void {
  const seen = new Map<string, VrrpInstance[]>();
  for (const i of instances) {
    if (!i.fieldAt.virtualRouterId || i.interface === undefined) continue;
    const key = `${i.interface}/${instanceFamily(i)}/${i.virtualRouterId}`;
    seen.set(key, [...(seen.get(key) ?? []), i]);
  }
  for (const clash of seen.values()) {
    if (clash.length < 2) continue;
    for (const i of clash) {
      const others = clash.filter((o) => o !== i).map((o) => `${o.name} (${where(o.fieldAt.virtualRouterId!)})`);
      diagnostics.error(i.fieldAt.virtualRouterId!, `${spelling.setting('virtualRouterId')} ${i.virtualRouterId} on ${i.interface} (IPv${instanceFamily(i)}) is also used by ${others.join(', ')}`);
    }
  }
}

function checkSyncGroups(config: KeepaliveConfig, instances: ReadonlyMap<string, VrrpInstance>, trackers: Trackers, spelling: Spelling, diagnostics: Diagnostics): void {
  const membership = new Map<string, { group: VrrpSyncGroup; at: SourcePos }>();
  for (const g of config.vrrpSyncGroups) {
    // keepalived removes such a group with a warning; with no member it has no effect here either.
    if (g.group.length === 0) diagnostics.warn(g.fieldAt.group ?? g.at, `sync group ${g.name} has no member instances: it is ignored, as keepalived ignores it`);
    else if (g.group.length === 1) diagnostics.warn(g.fieldAt.group!, `sync group ${g.name} has only one member instance`);
    for (const member of g.group) {
      if (!instances.has(member.name)) {
        diagnostics.error(member.at, `sync group ${g.name}: no vrrp_instance named ${member.name}`);
        continue;
      }
      const previous = membership.get(member.name);
      if (previous) diagnostics.error(member.at, `${member.name} is already a member of sync group ${previous.group.name} (${where(previous.at)}); an instance may be in one sync group only`);
      else membership.set(member.name, { group: g, at: member.at });
    }
    checkTrackRefs(g, trackers, false, spelling, diagnostics);
  }
}

export function validateConfig(config: KeepaliveConfig, spelling: Spelling, diagnostics: Diagnostics): void {
  checkGlobalDefs(config.globalDefs, spelling, diagnostics);
  const scripts = byName(config.vrrpScripts, 'vrrp_script', diagnostics);
  const files = byName(config.trackFiles, 'track_file', diagnostics);
  byName(config.vrrpSyncGroups, 'vrrp_sync_group', diagnostics);
  const instances = byName(config.vrrpInstances, 'vrrp_instance', diagnostics);
  const processes = byName(config.vrrpTrackProcesses, 'vrrp_track_process', diagnostics);
  const trackers = { scripts, files, processes };
  for (const p of config.vrrpTrackProcesses) {
    checkRange(p, 'weight', -WEIGHT_MAX, WEIGHT_MAX, spelling, diagnostics);
    checkRange(p, 'quorum', 0, undefined, spelling, diagnostics);
    checkRange(p, 'quorumMax', 0, undefined, spelling, diagnostics);
  }
  checkLvsSyncDaemon(config, instances, spelling, diagnostics);

  for (const script of config.vrrpScripts) checkScript(script, spelling, diagnostics);
  for (const file of config.trackFiles) checkRange(file, 'weight', -WEIGHT_MAX, WEIGHT_MAX, spelling, diagnostics);
  for (const instance of config.vrrpInstances) {
    checkInstance(config, instance, spelling, diagnostics);
    checkTrackRefs(instance, trackers, true, spelling, diagnostics);
  }
  checkVridClashes(config.vrrpInstances, spelling, diagnostics);
  checkSyncGroups(config, instances, trackers, spelling, diagnostics);
  checkVirtualServers(config, spelling, diagnostics);
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) {
      for (const c of rs.checkers) {
        if (c.kind === 'FILE_CHECK' && !files.has(c.trackFile)) diagnostics.error(c.fieldAt.trackFile ?? c.at, `FILE_CHECK: no track_file named ${c.trackFile}`);
      }
    }
  }
}

// Load balancing.

const PORT_MAX = 65535;
const LB_WEIGHT_MAX = 65535;
const FWMARK_MAX = 2 ** 32 - 1;
const STATUS_MIN = 100;
const STATUS_MAX = 599;
/** IPVS keeps the persistence timeout in seconds, as a 32-bit number. */
const PERSISTENCE_MAX_MS = (2 ** 32 - 1) * 1000;

/** The timing settings shared by virtual servers, real servers and checkers. */
function checkTiming<T extends { readonly delayLoopMs?: number; readonly connectTimeoutMs?: number; readonly retry?: number; readonly delayBeforeRetryMs?: number; readonly warmupMs?: number }>(
  node: { readonly fieldAt: FieldPositions<T> } & T,
  spelling: Spelling,
  diagnostics: Diagnostics,
): void {
  // Every T here has these settings; TypeScript cannot see that through the type parameter.
  const key = (k: 'delayLoopMs' | 'connectTimeoutMs' | 'retry' | 'delayBeforeRetryMs' | 'warmupMs') => k as Exclude<keyof T, 'at' | 'fieldAt'> & string;
  checkRange(node, key('delayLoopMs'), 1, undefined, spelling, diagnostics);
  checkRange(node, key('connectTimeoutMs'), 1, undefined, spelling, diagnostics);
  checkRange(node, key('retry'), 0, undefined, spelling, diagnostics);
  checkRange(node, key('delayBeforeRetryMs'), 0, undefined, spelling, diagnostics);
  checkRange(node, key('warmupMs'), 0, undefined, spelling, diagnostics);
}

function checkChecker(vs: VirtualServer, rs: RealServer, c: Checker, spelling: Spelling, diagnostics: Diagnostics): void {
  // The settings every checker kind shares, seen through one type (the union has a fieldAt per kind).
  const shared = c as unknown as CheckerConnectSettings & { readonly fieldAt: FieldPositions<CheckerConnectSettings> };
  checkTiming(shared, spelling, diagnostics);
  const kind = c.kind;
  if (c.kind === 'MISC_CHECK') {
    if (c.fieldAt.miscPath && c.miscPath.trim() === '') diagnostics.error(c.fieldAt.miscPath, `${kind}: ${spelling.setting('miscPath')} is empty`);
    checkRange(c, 'miscTimeoutMs', 1, undefined, spelling, diagnostics);
    return;
  }
  if (c.kind === 'FILE_CHECK') {
    // The track_file it names is checked with the other references (validateConfig).
    checkRange(c, 'weight', -LB_WEIGHT_MAX, LB_WEIGHT_MAX, spelling, diagnostics);
    return;
  }
  checkRange(shared, 'connectPort', 1, PORT_MAX, spelling, diagnostics);
  checkRange(shared, 'bindPort', 1, PORT_MAX, spelling, diagnostics);
  checkRange(shared, 'fwmark', 1, FWMARK_MAX, spelling, diagnostics);
  if (c.connectPort === undefined && realServerPort(vs, rs) === 0) {
    diagnostics.error(c.at, `${kind} has no ${spelling.setting('connectPort')}, and real server ${rs.address} has no port to check (its virtual server is a fwmark service or a group)`);
  }
  const family = ipFamily(c.connectIp ?? rs.address);
  if (c.bindto !== undefined && c.fieldAt.bindto && ipFamily(c.bindto) !== family) {
    diagnostics.error(c.fieldAt.bindto, `${kind}: ${spelling.setting('bindto')} ${c.bindto} is not IPv${family} like the address it connects to`);
  }
  if (c.kind === 'HTTP_GET' || c.kind === 'SSL_GET') {
    if (c.url.length === 0) diagnostics.error(c.at, `${kind} has no ${spelling.setting('url')}: give at least one url with a path`);
    for (const url of c.url) {
      if (url.fieldAt.path && !url.path.startsWith('/')) diagnostics.error(url.fieldAt.path, `${spelling.setting('path')} ${url.path} must start with /`);
      for (const range of url.statusCode) {
        if (range.from < STATUS_MIN || range.to > STATUS_MAX) {
          const text = range.from === range.to ? `${range.from}` : `${range.from}-${range.to}`;
          diagnostics.error(url.fieldAt.statusCode ?? url.at, `${spelling.setting('statusCode')} ${text} is out of range ${STATUS_MIN}..${STATUS_MAX}`);
        }
      }
      if (url.regex !== undefined) {
        // keepalived uses PCRE2, the checker JavaScript's RegExp: what both read alike is what works here.
        try {
          new RegExp(url.regex);
        } catch (error) {
          diagnostics.error(url.fieldAt.regex ?? url.at, `${spelling.setting('regex')} ${url.regex} is not a valid regular expression: ${(error as Error).message}`);
        }
      }
    }
    if (c.kind === 'HTTP_GET' && (c.fieldAt.tlsVerify || c.fieldAt.tlsCa)) {
      diagnostics.warn((c.fieldAt.tlsVerify ?? c.fieldAt.tlsCa)!, `${spelling.setting('tlsVerify')} and ${spelling.setting('tlsCa')} are ignored by HTTP_GET (TLS settings: use SSL_GET)`);
    }
    if (c.tlsCa !== undefined && !c.tlsVerify) diagnostics.warn(c.fieldAt.tlsCa ?? c.at, `${spelling.setting('tlsCa')} has no effect without ${spelling.setting('tlsVerify')}`);
    if (c.httpProtocol !== undefined && c.httpProtocol !== '1.1' && c.fieldAt.httpProtocol) {
      diagnostics.warn(c.fieldAt.httpProtocol, `${spelling.setting('httpProtocol')} ${c.httpProtocol} has no effect: requests are HTTP/1.1 with Connection: close`);
    }
    if (c.kind === 'HTTP_GET' && c.enableSni && c.fieldAt.enableSni) diagnostics.warn(c.fieldAt.enableSni, `${spelling.setting('enableSni')} is ignored by HTTP_GET (SNI is TLS: use SSL_GET)`);
  }
  if (c.kind === 'UDP_CHECK') {
    for (const [key, wildcards] of [['payload', false], ['replyPattern', true]] as const) {
      const text = c[key];
      if (text === undefined) continue;
      try { parseHexString(text, wildcards); } catch (error) { diagnostics.error(c.fieldAt[key] ?? c.at, `${spelling.setting(key)}: ${(error as Error).message}`); }
    }
    // A UDP datagram carries at most 65,507 bytes over IPv4.
    checkRange(c, 'maxReplyLength', 0, 65_507, spelling, diagnostics);
    checkRange(c, 'minReplyLength', 0, c.maxReplyLength, spelling, diagnostics);
    if (c.replyPattern !== undefined && !c.requireReply) diagnostics.error(c.fieldAt.replyPattern ?? c.at, `${spelling.setting('replyPattern')} needs ${spelling.setting('requireReply')}`);
  }
}

function checkRealServer(vs: VirtualServer, rs: RealServer, family: 4 | 6, spelling: Spelling, diagnostics: Diagnostics): void {
  if (ipFamily(rs.address) !== family) diagnostics.error(rs.fieldAt.address ?? rs.at, `real server ${rs.address} is not IPv${family} like its virtual server ${virtualServerKey(vs)}`);
  checkRange(rs, 'port', 1, PORT_MAX, spelling, diagnostics);
  checkRange(rs, 'weight', 0, LB_WEIGHT_MAX, spelling, diagnostics);
  checkRange(rs, 'uthreshold', 0, undefined, spelling, diagnostics);
  checkRange(rs, 'lthreshold', 0, undefined, spelling, diagnostics);
  if (rs.uthreshold !== undefined && rs.lthreshold !== undefined && rs.lthreshold > rs.uthreshold && rs.fieldAt.lthreshold) {
    diagnostics.error(rs.fieldAt.lthreshold, `${spelling.setting('lthreshold')} ${rs.lthreshold} is above ${spelling.setting('uthreshold')} ${rs.uthreshold}`);
  }
  checkTiming(rs, spelling, diagnostics);
  // DR and TUN deliver the packet unchanged: the real server gets the virtual server's (or, under fwmark, the client's) port.
  const method = realServerMethod(vs, rs);
  if (method !== 'NAT' && rs.port !== undefined && rs.fieldAt.port) {
    if (vs.port === undefined) {
      diagnostics.error(rs.fieldAt.port, `real server ${rs.address} port ${rs.port}: with ${method}, a fwmark or group service forwards to the client's destination port; write the real server without a port`);
    } else if (rs.port !== vs.port) {
      diagnostics.error(rs.fieldAt.port, `real server ${rs.address} port ${rs.port}: ${method} cannot change the port; it must be the virtual server's port ${vs.port}, or omitted`);
    }
  }
  for (const checker of rs.checkers) checkChecker(vs, rs, checker, spelling, diagnostics);
}

function checkVirtualServer(vs: VirtualServer, groups: ReadonlyMap<string, VirtualServerGroup>, spelling: Spelling, diagnostics: Diagnostics): void {
  checkRange(vs, 'port', 1, PORT_MAX, spelling, diagnostics);
  checkRange(vs, 'fwmark', 1, FWMARK_MAX, spelling, diagnostics);
  checkRange(vs, 'quorum', 1, undefined, spelling, diagnostics);
  checkRange(vs, 'hysteresis', 0, undefined, spelling, diagnostics);
  checkRange(vs, 'persistenceTimeoutMs', 1000, PERSISTENCE_MAX_MS, spelling, diagnostics);
  checkTiming(vs, spelling, diagnostics);
  const group = vs.group === undefined ? undefined : groups.get(vs.group);
  if (vs.group !== undefined && !group) diagnostics.error(vs.fieldAt.group ?? vs.at, `no virtual_server_group named ${vs.group}`);
  const family = virtualServerFamily(vs, group ? [group] : []);
  if (vs.persistenceTimeoutMs !== undefined && vs.persistenceTimeoutMs % 1000 !== 0 && vs.fieldAt.persistenceTimeoutMs) {
    diagnostics.error(vs.fieldAt.persistenceTimeoutMs, `${spelling.setting('persistenceTimeoutMs')} ${spelling.value('persistenceTimeoutMs', vs.persistenceTimeoutMs)} must be whole seconds`);
  }
  if (vs.persistenceGranularity !== undefined && vs.fieldAt.persistenceGranularity && vs.persistenceGranularity > (family === 4 ? 32 : 128)) {
    diagnostics.error(vs.fieldAt.persistenceGranularity, `${spelling.setting('persistenceGranularity')} /${vs.persistenceGranularity} is longer than an IPv${family} address`);
  }
  if (vs.sorryServer) {
    if (ipFamily(vs.sorryServer.address) !== family) diagnostics.error(vs.sorryServer.at, `${spelling.setting('sorryServer')} ${vs.sorryServer.address} is not IPv${family} like its virtual server`);
    if (vs.sorryServer.port < 0 || vs.sorryServer.port > PORT_MAX) diagnostics.error(vs.sorryServer.at, `${spelling.setting('sorryServer')} port ${vs.sorryServer.port} is out of range 0..${PORT_MAX}`);
  }
  const seen = new Map<string, RealServer>();
  for (const rs of vs.realServers) {
    if (rs.address === undefined) continue;
    checkRealServer(vs, rs, family, spelling, diagnostics);
    if (group && rs.port === undefined && group.entries.some((e) => e.address !== undefined)) {
      diagnostics.error(rs.fieldAt.address ?? rs.at, `real server ${rs.address} needs a port: virtual_server_group ${group.name} has addresses, and the real server's port is not implied by them`);
    }
    const key = `${rs.address} ${realServerPort(vs, rs)}`;
    const first = seen.get(key);
    if (first) diagnostics.error(rs.at, `real server ${rs.address} port ${realServerPort(vs, rs)} is listed twice in ${virtualServerKey(vs)} (first at ${where(first.at)})`);
    else seen.set(key, rs);
  }
  if (vs.quorum > 0 && vs.hysteresis >= vs.quorum && vs.fieldAt.hysteresis) {
    diagnostics.error(vs.fieldAt.hysteresis, `${spelling.setting('hysteresis')} ${vs.hysteresis} must be below ${spelling.setting('quorum')} ${vs.quorum}`);
  }
}

function checkGroup(group: VirtualServerGroup, spelling: Spelling, diagnostics: Diagnostics): void {
  const family = new Set<number>();
  for (const e of group.entries) {
    if (e.port !== undefined && (e.port < 1 || e.port > PORT_MAX)) diagnostics.error(e.at, `${spelling.setting('port')} ${e.port} is out of range 1..${PORT_MAX}`);
    if (e.fwmark !== undefined && (e.fwmark < 1 || e.fwmark > FWMARK_MAX)) diagnostics.error(e.at, `${spelling.setting('fwmark')} ${e.fwmark} is out of range 1..${FWMARK_MAX}`);
    if (e.address !== undefined) family.add(ipFamily(e.address) ?? 4);
  }
  if (family.size > 1) diagnostics.error(group.at, `virtual_server_group ${group.name} mixes IPv4 and IPv6 addresses: its real servers can only be of one family`);
}

function checkVirtualServers(config: KeepaliveConfig, spelling: Spelling, diagnostics: Diagnostics): void {
  const groups = byName(config.virtualServerGroups, 'virtual_server_group', diagnostics);
  for (const group of config.virtualServerGroups) checkGroup(group, spelling, diagnostics);
  const seen = new Map<string, VirtualServer>();
  for (const vs of config.virtualServers) {
    // A virtual server or real server whose address could not be read was reported by its loader.
    if (vs.address === undefined && vs.fwmark === undefined && vs.group === undefined) continue;
    checkVirtualServer(vs, groups, spelling, diagnostics);
    const key = virtualServerKey(vs);
    const first = seen.get(key);
    if (first) diagnostics.error(vs.at, `virtual server ${key} is defined twice (first at ${where(first.at)})`);
    else seen.set(key, vs);
  }
}
