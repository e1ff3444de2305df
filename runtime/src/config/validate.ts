// Semantic checks of a loaded model, the same for every format: ranges, references between nodes,
// address families and VRID clashes. Every problem is reported, at the setting (or entry) it is
// about, named and quantified as the user's format writes them (see Spelling).
import { ipFamily } from '../net/ip.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { FieldPositions, GlobalDefs, KeepaliveConfig, SourcePos, TrackRef, VrrpInstance, VrrpScript, VrrpSyncGroup } from './model.ts';
import { instanceFamily, instanceVersion } from './resolve.ts';

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
  for (const key of ['smtpConnectTimeoutMs', 'vrrpGarpMasterDelayMs', 'vrrpGarpMasterRefreshMs', 'vrrpGarpIntervalMs', 'vrrpGnaIntervalMs'] as const) {
    checkRange(g, key, 0, undefined, spelling, diagnostics);
  }
  checkRange(g, 'vrrpGarpMasterRepeat', 1, undefined, spelling, diagnostics);
  checkRange(g, 'vrrpGarpMasterRefreshRepeat', 1, undefined, spelling, diagnostics);
  checkRange(g, 'maxAutoPriority', 1, 99, spelling, diagnostics);
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
}

function checkTrackRefs(owner: VrrpInstance | VrrpSyncGroup, trackers: Trackers, weighted: boolean, spelling: Spelling, diagnostics: Diagnostics): void {
  const lists: readonly [string, readonly TrackRef[], ReadonlyMap<string, unknown> | undefined][] = [
    ['trackInterface', owner.trackInterface, undefined],
    ['trackScript', owner.trackScript, trackers.scripts],
    ['trackFile', owner.trackFile, trackers.files],
  ];
  for (const [key, refs, defined] of lists) {
    for (const ref of refs) {
      if (defined && !defined.has(ref.name)) {
        const kind = key === 'trackScript' ? 'vrrp_script' : 'track_file';
        diagnostics.error(ref.at, `${spelling.setting(key)}: no ${kind} named ${ref.name}`);
      }
      if (ref.weight === undefined) continue;
      if (!weighted) diagnostics.error(ref.at, `${spelling.setting(key)} ${ref.name}: a sync group's trackers take no weight (a failure faults every member)`);
      else if (ref.weight < -WEIGHT_MAX || ref.weight > WEIGHT_MAX) diagnostics.error(ref.at, `${spelling.setting(key)} ${ref.name}: weight ${ref.weight} is out of range ${-WEIGHT_MAX}..${WEIGHT_MAX}`);
    }
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

  if (i.authentication && version === 3) diagnostics.error(i.authentication.at, `${spelling.setting('authentication')} exists only in VRRPv2 (RFC 5798 removed it)`);
  else if (i.authentication) diagnostics.warn(i.authentication.at, `${spelling.setting('authentication')}: a VRRPv2 password is sent in clear and is no security, only a guard against misconfiguration`);

  // keepalived ignores these combinations with a warning; instancePreemption (resolve.ts) does the same.
  if (i.nopreempt && i.fieldAt.nopreempt && i.state === 'MASTER') diagnostics.warn(i.fieldAt.nopreempt, `${spelling.setting('nopreempt')} is ignored with ${spelling.setting('state')} MASTER`);
  else if (i.nopreempt && i.fieldAt.nopreempt && i.priority === 255) diagnostics.warn(i.fieldAt.nopreempt, `${spelling.setting('nopreempt')} is ignored for the address owner (priority 255)`);
  if (i.preemptDelayMs > 0 && i.fieldAt.preemptDelayMs && i.state === 'MASTER') diagnostics.warn(i.fieldAt.preemptDelayMs, `${spelling.setting('preemptDelayMs')} is ignored with ${spelling.setting('state')} MASTER`);

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
    if (g.group.length === 0) diagnostics.error(g.fieldAt.group ?? g.at, `sync group ${g.name} has no member instances`);
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
  const trackers = { scripts, files };

  for (const script of config.vrrpScripts) checkScript(script, spelling, diagnostics);
  for (const file of config.trackFiles) checkRange(file, 'weight', -WEIGHT_MAX, WEIGHT_MAX, spelling, diagnostics);
  for (const instance of config.vrrpInstances) {
    checkInstance(config, instance, spelling, diagnostics);
    checkTrackRefs(instance, trackers, true, spelling, diagnostics);
  }
  checkVridClashes(config.vrrpInstances, spelling, diagnostics);
  checkSyncGroups(config, instances, trackers, spelling, diagnostics);
}
