// The status the daemon reports (`keepalive status --json` prints it as it is), and its text form.
import type { ServiceTraffic } from '../lb/model.ts';
import type { HistogramCounts } from '../metrics/histogram.ts';
import type { NotifyKind } from '../notify/notifier.ts';

/** Notify scripts run and failed, by kind, since the child started (unset from runtimes before metrics). */
export type NotifyScriptCounts = Partial<Record<NotifyKind, { runs: number; failures: number }>>;

export interface TransitionRecord {
  at: string;
  from: string;
  to: string;
  reason: string;
}

export interface InstanceStatus {
  name: string;
  interface: string;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  state: 'initialize' | 'backup' | 'master' | 'fault';
  priority: { configured: number; effective: number };
  masterAddress: string | undefined;
  faults: string[];
  /** Every address the instance holds as master: virtual_ipaddress, then the excluded ones. */
  virtualAddresses: string[];
  /** virtual_ipaddress_excluded alone (this and the next two are unset from runtimes before metrics). */
  excludedAddresses?: string[];
  /** The interface each address goes on ("ADDR/LEN" to its dev, else the instance's, or its VMAC). */
  addressDevices?: Record<string, string>;
  /** The second batch of gratuitous ARPs follows the first by this much (garp_master_delay). */
  garpDelayMs?: number;
  /** The last transition, or the instance's start. */
  lastTransitionAt?: string;
  timers: {
    advertIntervalCs: number;
    masterAdverIntervalCs: number;
    skewTimeMs: number;
    masterDownIntervalMs: number;
    /** Milliseconds until the next advert (master) or until the master is declared down (backup). */
    nextAdvertInMs: number | undefined;
    masterDownInMs: number | undefined;
  };
  counters: {
    advertsSent: number;
    advertsReceived: number;
    priorityZeroSent: number;
    priorityZeroReceived: number;
    /** Transitions to master, and from master to another state (optional: runtimes before metrics). */
    becomeMaster?: number;
    releaseMaster?: number;
    /** Dropped packets by reason: short, checksum, ttl, version, type, unknown-vrid, auth-password, auth-hmac, ... (packet.ts's RejectReason) */
    rejects: Record<string, number>;
  };
  transitions: TransitionRecord[];
  /** The priority the master advertised, as last heard (0 before any; unset from runtimes before the dumps). */
  masterPriority?: number;
  /** The address adverts leave from (unset from runtimes before the dumps). */
  sourceAddress?: string;
}

/**
 * keepalived's per-instance counters, under its field names (struct vrrp_stats): what its stats and
 * JSON dumps print and mehdy/keepalived-exporter's metrics count.
 */
export interface KeepalivedVrrpStats {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  packet_len_err: number;
  advert_interval_err: number;
  ip_ttl_err: number;
  invalid_type_rcvd: number;
  addr_list_err: number;
  invalid_authtype: number;
  authtype_mismatch: number;
  auth_failure: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
}

/** The reasons keepalive drops an advert (InstanceStatus counters.rejects) that each of keepalived's error counters counts. */
export const STATS_REJECT_REASONS = {
  packet_len_err: ['short', 'address-count'],
  advert_interval_err: ['interval'],
  ip_ttl_err: ['ttl'],
  invalid_type_rcvd: ['type'],
  addr_list_err: ['address-list'],
  invalid_authtype: ['auth-invalid'],
  authtype_mismatch: ['auth-mismatch'],
  auth_failure: ['auth-password', 'auth-hmac', 'auth-spi', 'auth-sequence'],
} as const satisfies Partial<Record<keyof KeepalivedVrrpStats, readonly string[]>>;

export function keepalivedStats(c: InstanceStatus['counters']): KeepalivedVrrpStats {
  const rejected = (reasons: readonly string[]): number => reasons.reduce((sum, r) => sum + (c.rejects[r] ?? 0), 0);
  return {
    advert_rcvd: c.advertsReceived,
    advert_sent: c.advertsSent,
    become_master: c.becomeMaster ?? 0,
    release_master: c.releaseMaster ?? 0,
    packet_len_err: rejected(STATS_REJECT_REASONS.packet_len_err),
    advert_interval_err: rejected(STATS_REJECT_REASONS.advert_interval_err),
    ip_ttl_err: rejected(STATS_REJECT_REASONS.ip_ttl_err),
    invalid_type_rcvd: rejected(STATS_REJECT_REASONS.invalid_type_rcvd),
    addr_list_err: rejected(STATS_REJECT_REASONS.addr_list_err),
    invalid_authtype: rejected(STATS_REJECT_REASONS.invalid_authtype),
    authtype_mismatch: rejected(STATS_REJECT_REASONS.authtype_mismatch),
    auth_failure: rejected(STATS_REJECT_REASONS.auth_failure),
    pri_zero_rcvd: c.priorityZeroReceived,
    pri_zero_sent: c.priorityZeroSent,
  };
}

export interface CheckerStatus {
  /** The dataplane's traffic counters: only when the status was asked with them (the metrics endpoint). */
  traffic?: ServiceTraffic[];
  notifyScripts?: NotifyScriptCounts;
  configAppliedAt: string | undefined;
  dataplane: { kind: 'ipvs' | 'nftables'; reason: string } | undefined;
  lastSync: { at: string; ok: boolean; ms: number; error?: string } | undefined;
  repairs: { runs: number; drifted: number; last: string[] };
  /** How late check runs started, over the last 10,000 runs (ms). */
  lateness: { runs: number; p50: number; p99: number; max: number } | undefined;
  virtualServers: {
    key: string;
    services: string[];
    /** Services left out of the kernel by ha_suspend: the host does not hold their address. */
    suspended: string[];
    scheduler: string | undefined;
    quorum: { up: boolean; weight: number; quorum: number; hysteresis: number };
    sorryServer?: { address: string; port: number; active: boolean };
    realServers: {
      name: string;
      up: boolean;
      weight: number;
      configuredWeight: number;
      /** The weight the dataplane has for it; null: not in the table. */
      inTable: number | null;
      checks: {
        id: string;
        /** The checker: TCP_CHECK, HTTP_GET... (this and the runs are unset from runtimes before metrics). */
        kind?: string;
        up: boolean;
        last: { ok: boolean; reason: string; ms: number } | null;
        /** Runs since the child started, by outcome, and their durations in seconds (CHECK_DURATION_BUCKETS). */
        passed?: number;
        failed?: number;
        durations?: HistogramCounts;
      }[];
    }[];
  }[];
  events: { at: string; message: string }[];
}

export interface DaemonStatus {
  pid: number;
  uptimeMs: number;
  config: string;
  configGeneration: number;
  lastReload: { at: string; ok: boolean; errors?: string[] } | undefined;
  children: Record<string, {
    pid: number | undefined;
    running: boolean;
    restarts: number;
    lastExit: { at: string; code: number | null; signal: string | null; livedMs: number } | undefined;
    status: unknown;
  }>;
}

export function vrrpInstances(status: DaemonStatus): InstanceStatus[] {
  return ((status.children['vrrp']?.status as { instances?: InstanceStatus[] } | undefined)?.instances) ?? [];
}

export function checkerStatus(status: DaemonStatus): CheckerStatus | undefined {
  return status.children['checker']?.status as CheckerStatus | undefined;
}

function formatChecker(c: CheckerStatus): string[] {
  if (!c.dataplane && c.virtualServers.length === 0) return [];
  const lines = [''];
  if (c.dataplane) {
    const sync = c.lastSync ? `; last apply ${c.lastSync.ok ? `ok in ${c.lastSync.ms.toFixed(0)} ms` : `FAILED: ${c.lastSync.error}`} at ${c.lastSync.at}` : '';
    lines.push(`dataplane ${c.dataplane.kind}: ${c.dataplane.reason}${sync}`);
    if (c.lateness) lines.push(`  checks: ${c.lateness.runs} runs, started late by p50 ${c.lateness.p50.toFixed(1)} ms, p99 ${c.lateness.p99.toFixed(1)} ms, max ${c.lateness.max.toFixed(1)} ms`);
    if (c.repairs.drifted > 0) lines.push(`  drift repaired ${c.repairs.drifted} time(s); last: ${c.repairs.last.join('; ')}`);
  }
  for (const vs of c.virtualServers) {
    const q = vs.quorum;
    const sorry = vs.sorryServer ? `, sorry server ${vs.sorryServer.address}:${vs.sorryServer.port}${vs.sorryServer.active ? ' ACTIVE' : ''}` : '';
    const suspended = vs.suspended.length > 0 ? `; suspended (ha_suspend, address not here): ${vs.suspended.join(', ')}` : '';
    lines.push(`virtual server ${vs.key}: ${vs.scheduler ?? ''}, quorum ${q.up ? 'up' : 'DOWN'} (weight ${q.weight}, needs ${q.quorum}, hysteresis ${q.hysteresis})${sorry}${suspended}`);
    for (const rs of vs.realServers) {
      const table = rs.inTable === null ? 'not in the table' : `in the table with weight ${rs.inTable}`;
      const checks = rs.checks.map((ch) => `${ch.id} ${ch.up ? 'up' : 'DOWN'}${ch.last ? ` (${ch.last.reason}, ${ch.last.ms} ms)` : ''}`).join(', ');
      lines.push(`  ${rs.name} ${rs.up ? 'UP' : 'DOWN'}, weight ${rs.weight}${rs.weight !== rs.configuredWeight ? ` (configured ${rs.configuredWeight})` : ''}, ${table}${checks ? `; ${checks}` : ''}`);
    }
  }
  for (const e of c.events.slice(-5)) lines.push(`  ${e.at} ${e.message}`);
  return lines;
}

export function formatStatus(status: DaemonStatus): string {
  const lines = [`keepalive pid ${status.pid}, up ${(status.uptimeMs / 1000).toFixed(0)} s, ${status.config} (configuration ${status.configGeneration})`];
  if (status.lastReload && !status.lastReload.ok) lines.push(`last reload at ${status.lastReload.at} was refused: ${status.lastReload.errors?.join('; ')}`);
  for (const [role, c] of Object.entries(status.children)) {
    lines.push(`${role} child: ${c.running ? `pid ${c.pid}` : 'not running'}, ${c.restarts} restart(s)`);
  }
  for (const i of vrrpInstances(status)) {
    lines.push('');
    lines.push(`${i.name}: ${i.state.toUpperCase()}  vrid ${i.vrid} on ${i.interface}, VRRPv${i.version} IPv${i.family}`);
    lines.push(`  priority ${i.priority.effective} (configured ${i.priority.configured})${i.masterAddress ? `, master ${i.masterAddress}` : ''}`);
    if (i.faults.length) lines.push(`  faults: ${i.faults.join(', ')}`);
    lines.push(`  virtual addresses: ${i.virtualAddresses.join(' ') || 'none'}`);
    const t = i.timers;
    lines.push(`  timers: advert ${t.advertIntervalCs * 10} ms, master advert ${t.masterAdverIntervalCs * 10} ms, skew ${t.skewTimeMs.toFixed(1)} ms, master down ${t.masterDownIntervalMs.toFixed(1)} ms`
      + (t.nextAdvertInMs !== undefined ? `, next advert in ${t.nextAdvertInMs.toFixed(0)} ms` : '')
      + (t.masterDownInMs !== undefined ? `, master down in ${t.masterDownInMs.toFixed(0)} ms` : ''));
    const c = i.counters;
    const rejects = Object.entries(c.rejects).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  adverts sent ${c.advertsSent} (priority 0: ${c.priorityZeroSent}), received ${c.advertsReceived} (priority 0: ${c.priorityZeroReceived}), rejected: ${rejects || 'none'}`);
    for (const tr of i.transitions.slice(-5)) lines.push(`  ${tr.at} ${tr.from} -> ${tr.to}: ${tr.reason}`);
  }
  const tracking = (status.children['vrrp']?.status as { processTracking?: { tracking: string; processes: { name: string; count: number; ok: boolean | undefined }[] } } | undefined)?.processTracking;
  if (tracking && tracking.processes.length > 0) {
    lines.push('', `tracked processes, seen by ${tracking.tracking}:`);
    for (const p of tracking.processes) lines.push(`  ${p.name}: ${p.count} running, ${p.ok === undefined ? 'not scanned yet' : p.ok ? 'quorum' : 'no quorum'}`);
  }
  const checker = checkerStatus(status);
  if (checker) lines.push(...formatChecker(checker));
  return `${lines.join('\n')}\n`;
}
