// From the configuration model to what the VRRP child runs: each instance fully resolved, its sync
// groups, and the settings its notifier needs. Pure.
import type { IpRoute, IpRule, KeepaliveConfig, LvsSyncDaemon, NotifyScripts as ModelNotifyScripts, TrackRef, VirtualAddress as ModelAddress, VrrpInstance } from '../config/model.ts';
import {
  instanceAccept, instanceAuthentication, instanceFamily, instanceGarp, instanceMulticastGroup, instancePreemption, instanceStartsAsMaster,
  instanceVersion, scriptTimeoutMs, trackWeight, vrrpSmtpAlert,
} from '../config/resolve.ts';
import { lookupUser } from '../notify/script.ts';
import { notifierSettings, type NotifierSettings } from '../notify/notifier.ts';
import type { InstanceSpec, NotifyScripts, SyncGroupSpec, VirtualAddress } from './spec.ts';

export interface VrrpPlan {
  instances: InstanceSpec[];
  /** vrrp_startup_delay: how long instances wait after the daemon starts. */
  startupDelayMs: number;
  syncGroups: SyncGroupSpec[];
  notifier: NotifierSettings;
  scriptUser: NotifierSettings['scriptUser'];
  lvsSyncDaemon?: LvsSyncDaemon;
  /** static_ipaddress, static_routes, static_rules: set at start, kept while running. */
  statics: { addresses: readonly ModelAddress[]; routes: readonly IpRoute[]; rules: readonly IpRule[] };
}

const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host' };

/** A configured address as the VRRP child holds it (scope by name). */
export function address(v: ModelAddress): VirtualAddress {
  return {
    address: v.address,
    prefixLength: v.prefixLength,
    ...(v.dev ? { device: v.dev } : {}),
    ...(v.label ? { label: v.label } : {}),
    ...(v.scope !== undefined && SCOPES[v.scope] ? { scope: SCOPES[v.scope]! } : {}),
    ...(v.broadcast ? { broadcast: v.broadcast } : {}),
  };
}

function notifyScripts(n: ModelNotifyScripts): NotifyScripts {
  return {
    ...(n.notifyMaster ? { master: n.notifyMaster } : {}),
    ...(n.notifyBackup ? { backup: n.notifyBackup } : {}),
    ...(n.notifyFault ? { fault: n.notifyFault } : {}),
    ...(n.notifyStop ? { stop: n.notifyStop } : {}),
    ...(n.notify ? { any: n.notify } : {}),
  };
}

export function vrrpPlan(input: unknown): VrrpPlan {
  const config = input as KeepaliveConfig;
  const g = config.globalDefs;
  const notifier = notifierSettings(g, 'vrrp');
  const syncGroupOf = new Map(config.vrrpSyncGroups.flatMap((sg) => sg.group.map((m) => [m.name, sg] as const)));
  const scripts = new Map(config.vrrpScripts.map((s) => [s.name, s]));
  const files = new Map(config.trackFiles.map((f) => [f.name, f]));
  const processes = new Map(config.vrrpTrackProcesses.map((p) => [p.name, p]));

  const instance = (i: VrrpInstance): InstanceSpec => {
    const preemption = instancePreemption(g, i);
    const authentication = instanceAuthentication(g, i);
    // A sync group's trackers are each member's too, without weight: a failure faults the member,
    // and through it the whole group.
    const group = syncGroupOf.get(i.name);
    const unweighted = (refs: readonly TrackRef[] | undefined): TrackRef[] => (refs ?? []).map((t) => ({ ...t, weight: 0 }));
    const trackInterface = [...i.trackInterface, ...unweighted(group?.trackInterface)];
    const trackScript = [...i.trackScript, ...unweighted(group?.trackScript)];
    const trackFile = [...i.trackFile, ...unweighted(group?.trackFile)];
    const trackProcess = [...i.trackProcess, ...unweighted(group?.trackProcess)];
    return {
      name: i.name,
      interface: i.interface,
      family: instanceFamily(i),
      version: instanceVersion(g, i),
      vrid: i.virtualRouterId,
      priority: i.priority,
      intervalCs: i.advertIntCs,
      startAsMaster: instanceStartsAsMaster(g, i),
      preempt: preemption.preempt,
      preemptDelayMs: preemption.delayMs,
      ...(authentication === undefined ? {} : { authentication }),
      virtualAddresses: i.virtualIpaddress.map(address),
      excludedAddresses: i.virtualIpaddressExcluded.map(address),
      multicastGroup: instanceMulticastGroup(g, i),
      ...(i.unicastPeer.length > 0 ? {
        unicast: {
          ...(i.unicastSrcIp ? { source: i.unicastSrcIp } : {}),
          peers: i.unicastPeer.map((p) => ({ address: p.address, ...(p.minTtl !== undefined ? { minTtl: p.minTtl } : {}), ...(p.maxTtl !== undefined ? { maxTtl: p.maxTtl } : {}) })),
        },
      } : {}),
      ...(i.mcastSrcIp ? { multicastSource: i.mcastSrcIp } : {}),
      trackInterfaces: trackInterface.map((t) => ({ name: t.name, ...trackWeight(t) })),
      trackScripts: trackScript.map((t) => {
        const s = scripts.get(t.name)!;
        return {
          name: s.name, script: s.script, intervalMs: s.intervalMs, timeoutMs: scriptTimeoutMs(s),
          ...(s.user ? { user: lookupUser(s.user.user, s.user.group) } : {}),
          rise: s.rise, fall: s.fall, initFail: s.initFail, ...trackWeight(t, s),
        };
      }),
      trackFiles: trackFile.map((t) => {
        const f = files.get(t.name)!;
        return { name: f.name, path: f.file, ...trackWeight(t, f), ...(f.initFile ? { init: f.initFile } : {}) };
      }),
      trackProcesses: trackProcess.map((t) => {
        const p = processes.get(t.name)!;
        return {
          name: p.name, quorum: p.quorum, ...(p.quorumMax !== undefined ? { quorumMax: p.quorumMax } : {}),
          forkDelayMs: p.forkDelayMs, terminateDelayMs: p.terminateDelayMs, ...trackWeight(t, p),
          match: { process: p.process, params: p.params, ...(p.paramMatch ? { paramMatch: p.paramMatch } : {}), fullCommand: p.fullCommand },
        };
      }),
      notify: notifyScripts(i),
      smtpAlert: vrrpSmtpAlert(g, i.smtpAlert),
      garp: instanceGarp(g, i),
      ...(i.useVmac !== undefined ? { vmac: i.useVmac } : {}),
      ...(group ? { syncGroup: group.name } : {}),
      trackPrimary: !i.dontTrackPrimary,
      acceptMode: instanceAccept(g, i),
      skipCheckAdvertAddresses: g.vrrpSkipCheckAdvAddr,
      virtualRoutes: i.virtualRoutes,
      virtualRules: i.virtualRules,
    };
  };
  const syncGroups = config.vrrpSyncGroups.map((sg): SyncGroupSpec => ({
    name: sg.name, members: sg.group.map((m) => m.name), notify: notifyScripts(sg), smtpAlert: vrrpSmtpAlert(g, sg.smtpAlert),
  }));

  return {
    instances: config.vrrpInstances.map(instance), startupDelayMs: g.vrrpStartupDelayMs, syncGroups, scriptUser: notifier.scriptUser, notifier,
    statics: { addresses: config.staticIpaddress, routes: config.staticRoutes, rules: config.staticRules },
    ...(g.lvsSyncDaemon ? { lvsSyncDaemon: g.lvsSyncDaemon } : {}),
  };
}
