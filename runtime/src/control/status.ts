// The status the daemon reports (`keepalive status --json` prints it as it is), and its text form.

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
  virtualAddresses: string[];
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
    /** Dropped packets by reason: short, checksum, ttl, version, type, unknown-vrid, auth, ... */
    rejects: Record<string, number>;
  };
  transitions: TransitionRecord[];
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
  return `${lines.join('\n')}\n`;
}
