// Effective values that depend on more than one node: what an instance inherits from global_defs or
// from the trackers it references. Pure functions of a (validated) model.
import type { Family, GlobalDefs, TrackRef, VrrpInstance, VrrpScript, VrrpVersion } from './model.ts';

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
 * Whether a higher-priority instance takes over from a lower master, and after what delay. As in
 * keepalived, nopreempt and preempt_delay are ignored for an instance that starts as MASTER, and
 * nopreempt for the address owner (validation warns about both).
 */
export function instancePreemption(instance: VrrpInstance): { preempt: boolean; delayMs: number } {
  if (instance.state === 'MASTER') return { preempt: true, delayMs: 0 };
  return { preempt: !instance.nopreempt || instance.priority === 255, delayMs: instance.preemptDelayMs };
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

/** Accept mode: the instance's setting, else on unless vrrp_strict (keepalived's default). */
export function instanceAccept(globalDefs: GlobalDefs, instance: VrrpInstance): boolean {
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
