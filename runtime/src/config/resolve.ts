// Effective values that depend on more than one node: what an instance inherits from global_defs or
// from the trackers it references, and what a real server or checker inherits from the virtual server
// above it. Pure functions of a (validated) model.
import type {
  Checker, CheckerTimingSettings, Family, FileCheck, GlobalDefs, HttpCheck, HttpUrl, LbMethod, MiscCheck, RealServer, SmtpCheck, TrackRef, VirtualServer, VirtualServerGroup,
  VrrpInstance, VrrpScript, VrrpVersion,
} from './model.ts';

/**
 * The address family of an instance: its first virtual address's (validation makes them agree), else
 * its unicast peers' or source address's, else IPv4. Excluded addresses do not count: they are not
 * carried in adverts and may be of either family.
 */
export function instanceFamily(instance: VrrpInstance): Family {
  const first = instance.virtualIpaddress[0]?.address ?? instance.unicastPeer[0]?.address ?? instance.unicastSrcIp ?? instance.mcastSrcIp;
  return first?.includes(':') ? 6 : 4;
}

/** `version`, else `vrrp_version`; IPv6 is always VRRPv3 unless the instance says otherwise (an error). */
export function instanceVersion(globalDefs: GlobalDefs, instance: VrrpInstance): VrrpVersion {
  if (instance.version !== undefined) return instance.version;
  return instanceFamily(instance) === 6 ? 3 : globalDefs.vrrpVersion;
}

/**
 * Whether an instance starts as master: `state MASTER`; under vrrp_strict, as keepalived does,
 * exactly when it is the address owner (priority 255), whatever `state` says. Under auth_type AH,
 * as in keepalived, only the address owner may: the others wait to hear the group's sequence numbers.
 */
export function instanceStartsAsMaster(globalDefs: GlobalDefs, instance: VrrpInstance): boolean {
  if (globalDefs.vrrpStrict) return instance.priority === 255;
  if (instanceAuthentication(globalDefs, instance)?.type === 'AH' && instance.priority !== 255) return false;
  return instance.state === 'MASTER';
}

/**
 * Whether a higher-priority instance takes over from a lower master, and after what delay. As in
 * keepalived, nopreempt and preempt_delay are ignored for an instance that starts as MASTER, and
 * nopreempt for the address owner, and vrrp_strict resets preempt_delay (validation warns of each).
 */
export function instancePreemption(globalDefs: GlobalDefs, instance: VrrpInstance): { preempt: boolean; delayMs: number } {
  if (instanceStartsAsMaster(globalDefs, instance)) return { preempt: true, delayMs: 0 };
  return { preempt: !instance.nopreempt || instance.priority === 255, delayMs: globalDefs.vrrpStrict ? 0 : instance.preemptDelayMs };
}

/** The v2 authentication adverts carry: none under vrrp_strict, which (like keepalived) ignores authentication. */
export function instanceAuthentication(globalDefs: GlobalDefs, instance: VrrpInstance): { type: 'PASS' | 'AH'; password: string } | undefined {
  const a = instance.authentication;
  return globalDefs.vrrpStrict || !a ? undefined : { type: a.authType, password: a.authPass };
}

/** The multicast group adverts go to (unused when the instance has unicast peers). */
export function instanceMulticastGroup(globalDefs: GlobalDefs, instance: VrrpInstance): string {
  return instanceFamily(instance) === 6 ? globalDefs.vrrpMcastGroup6 : globalDefs.vrrpMcastGroup4;
}

export interface GarpTiming {
  /** The second batch of announcements follows the first by this much (0: none). */
  readonly delayMs: number;
  readonly repeat: number;
  /** Announce again this often while master (0: never), refreshRepeat at a time. */
  readonly refreshMs: number;
  readonly refreshRepeat: number;
  /** Spacing between announcements on one interface: vrrp_garp_interval (IPv4) or vrrp_gna_interval (IPv6). */
  readonly intervalMs: number;
}

export function instanceGarp(globalDefs: GlobalDefs, instance: VrrpInstance): GarpTiming {
  return {
    delayMs: instance.garpMasterDelayMs ?? globalDefs.vrrpGarpMasterDelayMs,
    repeat: instance.garpMasterRepeat ?? globalDefs.vrrpGarpMasterRepeat,
    refreshMs: instance.garpMasterRefreshMs ?? globalDefs.vrrpGarpMasterRefreshMs,
    refreshRepeat: instance.garpMasterRefreshRepeat ?? globalDefs.vrrpGarpMasterRefreshRepeat,
    intervalMs: instanceFamily(instance) === 6 ? globalDefs.vrrpGnaIntervalMs : globalDefs.vrrpGarpIntervalMs,
  };
}

/** Whether transitions of this instance (or sync group) send mail: its own setting, else the global one. */
export function vrrpSmtpAlert(globalDefs: GlobalDefs, own: boolean | undefined): boolean {
  return own ?? globalDefs.smtpAlertVrrp ?? globalDefs.smtpAlert;
}

/**
 * Accept mode: always for the address owner (RFC 5798 section 6.1); else the instance's setting, else
 * on unless vrrp_strict (keepalived's default). vrrp_strict turns it off for VRRPv2, which has none
 * (RFC 3768), as keepalived does.
 */
export function instanceAccept(globalDefs: GlobalDefs, instance: VrrpInstance): boolean {
  if (instance.priority === 255) return true;
  if (globalDefs.vrrpStrict && instanceVersion(globalDefs, instance) === 2) return false;
  return instance.accept ?? !globalDefs.vrrpStrict;
}

/** The weight a reference applies: its own, else the tracker's (a script's or file's; 0 for an interface). */
export function trackWeight(ref: TrackRef, tracker?: { readonly weight: number; readonly reverse: boolean }): { weight: number; reverse: boolean } {
  if (ref.weight !== undefined) return { weight: ref.weight, reverse: ref.reverse };
  return tracker ? { weight: tracker.weight, reverse: tracker.reverse } : { weight: 0, reverse: false };
}

export function scriptTimeoutMs(script: VrrpScript): number {
  return script.timeoutMs ?? script.intervalMs;
}

// Load balancing: what real servers and checkers inherit from the virtual server above them.

/** A virtual server's family: its address's, else its group's first address's, else its first real server's, else IPv4. */
export function virtualServerFamily(vs: VirtualServer, groups: readonly VirtualServerGroup[] = []): Family {
  const group = vs.group === undefined ? undefined : groups.find((g) => g.name === vs.group);
  const first = vs.address ?? group?.entries.find((e) => e.address !== undefined)?.address ?? vs.realServers[0]?.address;
  return first?.includes(':') ? 6 : 4;
}

/** How messages and the dataplanes name a virtual server: "TCP 198.18.0.100 80", "fwmark 1" or "TCP group web". */
export function virtualServerKey(vs: VirtualServer): string {
  if (vs.group !== undefined) return `${vs.protocol} group ${vs.group}`;
  return vs.fwmark !== undefined ? `fwmark ${vs.fwmark}` : `${vs.protocol} ${vs.address} ${vs.port}`;
}

/** The real server's port: its own, else the virtual server's, else 0 (fwmark or group: the port the client used). */
export function realServerPort(vs: VirtualServer, rs: RealServer): number {
  return rs.port ?? vs.port ?? 0;
}

export function realServerMethod(vs: VirtualServer, rs: RealServer): LbMethod {
  return rs.lvsMethod ?? vs.lvsMethod;
}

export function realServerInhibitOnFailure(vs: VirtualServer, rs: RealServer): boolean {
  return rs.inhibitOnFailure ?? vs.inhibitOnFailure;
}

export interface CheckerTiming {
  readonly delayLoopMs: number;
  readonly connectTimeoutMs: number;
  readonly retry: number;
  readonly delayBeforeRetryMs: number;
  readonly warmupMs: number;
}

/** keepalived waits longer between HTTP retries than between the others'. */
export const DELAY_BEFORE_RETRY_HTTP_MS = 3_000;
export const DELAY_BEFORE_RETRY_MS = 1_000;

/** A checker's timing: its own setting, else its real server's, else its virtual server's, else the default. */
export function checkerTiming(vs: VirtualServer, rs: RealServer, checker: Checker): CheckerTiming {
  const pick = <K extends keyof CheckerTimingSettings>(key: K): CheckerTimingSettings[K] => checker[key] ?? rs[key] ?? vs[key];
  const http = checker.kind === 'HTTP_GET' || checker.kind === 'SSL_GET';
  return {
    delayLoopMs: pick('delayLoopMs') ?? vs.delayLoopMs,
    connectTimeoutMs: pick('connectTimeoutMs') ?? vs.connectTimeoutMs,
    retry: pick('retry') ?? vs.retry,
    delayBeforeRetryMs: pick('delayBeforeRetryMs') ?? (http ? DELAY_BEFORE_RETRY_HTTP_MS : DELAY_BEFORE_RETRY_MS),
    warmupMs: pick('warmupMs') ?? 0,
  };
}

/** Where a network checker connects: connect_ip/connect_port, else the real server's (port 0: none known). */
export function checkerTarget(vs: VirtualServer, rs: RealServer, checker: Exclude<Checker, MiscCheck | FileCheck>): { address: string; port: number } {
  return { address: checker.connectIp ?? rs.address, port: checker.connectPort ?? realServerPort(vs, rs) };
}

/** MISC_CHECK's time limit: misc_timeout, else the checker's delay loop. */
export function miscTimeoutMs(vs: VirtualServer, rs: RealServer, checker: MiscCheck): number {
  return checker.miscTimeoutMs ?? checkerTiming(vs, rs, checker).delayLoopMs;
}

/** The Host header of one url: its own virtualhost, else the checker's, else the virtual server's. */
export function httpVirtualhost(vs: VirtualServer, checker: HttpCheck, url: HttpUrl): string | undefined {
  return url.virtualhost ?? checker.virtualhost ?? vs.virtualhost;
}

/** SMTP_CHECK's HELO name: its own, else the global smtp_helo_name, else the router id, else "localhost". */
export function smtpCheckHeloName(globalDefs: GlobalDefs, checker: SmtpCheck): string {
  return checker.heloName ?? globalDefs.smtpHeloName ?? globalDefs.routerId ?? 'localhost';
}

/** Whether a virtual server's checker transitions send mail: its smtp_alert, else smtp_alert_checker, else smtp_alert. */
export function checkerSmtpAlert(globalDefs: GlobalDefs, vs: VirtualServer): boolean {
  return vs.smtpAlert ?? globalDefs.smtpAlertChecker ?? globalDefs.smtpAlert;
}
