// The HA topology of a stack as one picture: hosts, VRRP groups with their master and backups, VIPs,
// and virtual servers with their real servers and health. The model is filled from a Pulumi state
// (state.ts), optionally with what the hosts say now (live.ts); this file renders it
// as text (svg.ts draws it). Pure: the same model always gives the same text.
import type { RealServerHealth, VirtualServerHealth } from '../core/schema.ts';
import { endpoint } from './change.ts';

export interface TopologyHost {
  /** The Host resource's name. */
  readonly name: string;
  readonly user: string;
  readonly address: string;
  readonly port: number;
  /** '' or undefined: not known (never installed, or not read). */
  readonly runtimeVersion?: string;
  readonly running?: boolean;
  /** Why the host could not be read, when the live state was asked for. */
  readonly unreachable?: string;
}

export interface TopologyMember {
  readonly host: string;
  readonly priority: number;
}

export interface TopologyGroup {
  /** The VrrpGroup resource's name, which is also its vrrp_instance name on the hosts. */
  readonly name: string;
  readonly vrid: number;
  readonly interface: string;
  readonly virtualIps: readonly string[];
  readonly preempt: boolean;
  /** In the order an election ranks them: the first wins. */
  readonly members: readonly TopologyMember[];
  /** The master the declared priorities give. */
  readonly expectedMaster?: string;
  /** Who is master on the hosts: undefined when not known, empty when none is, several in a split brain. */
  readonly liveMasters?: readonly string[];
}

export interface TopologyRealServer {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  /** Per director; empty when not known. */
  readonly health: readonly RealServerHealth[];
}

export interface TopologyVirtualServer {
  /** The VirtualServer resource's name; undefined for one its real servers name but the state lacks. */
  readonly name?: string;
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
  readonly scheduler: string;
  readonly method: string;
  readonly directors: readonly string[];
  /** Per director; empty when not known. */
  readonly health: readonly VirtualServerHealth[];
  readonly realServers: readonly TopologyRealServer[];
}

export interface Topology {
  /** The stack's name, when the state tells it. */
  readonly stack?: string;
  /**
   * declared: as the state holds it, with masters and health as the last update or refresh recorded
   * them; live: masters, health and runtimes read from the hosts at `readAt`.
   */
  readonly source: 'declared' | 'live';
  readonly readAt?: string;
  readonly hosts: readonly TopologyHost[];
  readonly groups: readonly TopologyGroup[];
  readonly virtualServers: readonly TopologyVirtualServer[];
}

/** The name a virtual server goes by: its resource's, or a mark that the state has no such resource. */
export function virtualServerLabel(vs: TopologyVirtualServer): string {
  return vs.name ?? '(not in the state)';
}

export function hostLabel(h: TopologyHost): string {
  return `${h.user}@${h.address.includes(':') ? `[${h.address}]` : h.address}:${h.port}`;
}

/** "runtime 0.1.0, running", or why it is not known. */
export function hostStateWords(h: TopologyHost): string {
  if (h.unreachable !== undefined) return `unreachable: ${h.unreachable}`;
  const version = h.runtimeVersion ? `runtime ${h.runtimeVersion}` : 'no runtime';
  const running = h.running === undefined ? '' : h.running ? ', running' : ', not running';
  return `${version}${running}`;
}

export function vipWords(g: TopologyGroup): string {
  if (g.virtualIps.length === 0) return 'no VIP';
  return `${g.virtualIps.length === 1 ? 'VIP' : 'VIPs'} ${g.virtualIps.join(', ')}`;
}

/** The expected master, or undefined when the group has none (no members). */
export function expectedMasterOf(g: TopologyGroup): TopologyMember | undefined {
  return g.members.find((m) => m.host === g.expectedMaster);
}

export function backupsOf(g: TopologyGroup): TopologyMember[] {
  return g.members.filter((m) => m.host !== g.expectedMaster);
}

export type LiveMasterState = 'unknown' | 'as-expected' | 'other' | 'none' | 'split';

/** How the live master compares with the expected one, and the words for it. */
export function liveMasterWords(g: TopologyGroup): { state: LiveMasterState; words: string } {
  const live = g.liveMasters;
  if (live === undefined) return { state: 'unknown', words: 'live master unknown' };
  if (live.length === 0) return { state: 'none', words: 'no live master: no member is master' };
  if (live.length > 1) return { state: 'split', words: `live masters ${live.join(', ')}: split brain` };
  if (live[0] === g.expectedMaster) return { state: 'as-expected', words: `live master ${live[0]}, as expected` };
  return { state: 'other', words: `live master ${live[0]}, not the expected ${g.expectedMaster ?? 'none'}` };
}

/** "vrid 51 on eth0  VIP 198.18.0.100/24  master h1 (200)  backups h2 (150), h3 (100)" */
export function groupLine(g: TopologyGroup): string {
  const master = expectedMasterOf(g);
  const backups = backupsOf(g);
  const parts = [
    `vrid ${g.vrid} on ${g.interface}`,
    vipWords(g),
    g.members.length === 0 ? 'no members' : master ? `master ${master.host} (${master.priority})` : 'no expected master',
    ...(g.members.length === 0 ? [] : [backups.length === 0 ? 'no backups' : `backups ${backups.map((m) => `${m.host} (${m.priority})`).join(', ')}`]),
    ...(g.preempt ? [] : ['preempt off']),
  ];
  return parts.join('  ');
}

export type HealthState = 'up' | 'down' | 'mixed' | 'unknown';

/**
 * One verdict over the directors: "up" when every director reports it up, "DOWN" when every one
 * reports it down; otherwise each director's view ("up on lb1, DOWN on lb2, unknown on lb3").
 */
export function healthWords(reports: readonly { host: string; up: boolean }[], directors: readonly string[]): { state: HealthState; words: string } {
  if (reports.length === 0) return { state: 'unknown', words: 'unknown' };
  const byHost = new Map(reports.map((r) => [r.host, r.up]));
  const hosts = [...new Set([...directors, ...byHost.keys()])];
  const ups = hosts.filter((h) => byHost.get(h) === true);
  const downs = hosts.filter((h) => byHost.get(h) === false);
  const unknown = hosts.filter((h) => !byHost.has(h));
  if (unknown.length === 0 && downs.length === 0) return { state: 'up', words: 'up' };
  if (unknown.length === 0 && ups.length === 0) return { state: 'down', words: 'DOWN' };
  const words = [
    ...(ups.length > 0 ? [`up on ${ups.join(', ')}`] : []),
    ...(downs.length > 0 ? [`DOWN on ${downs.join(', ')}`] : []),
    ...(unknown.length > 0 ? [`unknown on ${unknown.join(', ')}`] : []),
  ].join(', ');
  return { state: ups.length > 0 && downs.length === 0 ? 'up' : ups.length === 0 && downs.length > 0 ? 'down' : 'mixed', words };
}

export function realServerHealthWords(rs: TopologyRealServer, vs: TopologyVirtualServer): { state: HealthState; words: string } {
  return healthWords(rs.health, vs.directors);
}

export function quorumWords(vs: TopologyVirtualServer): { state: HealthState; words: string } {
  const { state, words } = healthWords(vs.health.map((h) => ({ host: h.host, up: h.quorumUp })), vs.directors);
  return { state, words: `quorum ${words}` };
}

/** "198.18.0.100:80  wrr, NAT  directors h1, h2  quorum up" */
export function virtualServerLine(vs: TopologyVirtualServer): string {
  return [
    endpoint(vs),
    `${vs.scheduler}, ${vs.method}`,
    vs.directors.length === 0 ? 'no directors' : `directors ${vs.directors.join(', ')}`,
    quorumWords(vs).words,
  ].join('  ');
}

/** "198.18.1.11:80  weight 1  up" */
export function realServerLine(rs: TopologyRealServer, vs: TopologyVirtualServer): string {
  const address = endpoint({ protocol: 'TCP', address: rs.address, port: rs.port });
  return `${address}  weight ${rs.weight}  ${realServerHealthWords(rs, vs).words}`;
}

export function title(t: Topology): string {
  const stack = t.stack === undefined ? 'keepalive topology' : `keepalive topology of stack ${t.stack}`;
  return t.source === 'live'
    ? `${stack}: live, read from the hosts${t.readAt ? ` at ${t.readAt}` : ''}`
    : `${stack}: declared; masters and health as last recorded in the state`;
}

/** Names in columns: each one padded to the longest of its list. */
function pad(names: readonly string[]): (name: string) => string {
  const width = Math.max(0, ...names.map((n) => n.length));
  return (name) => name.padEnd(width);
}

/** The topology as a compact tree of text, one line per host, group, virtual and real server. */
export function renderText(t: Topology): string {
  const lines = [title(t), '', 'hosts'];
  const hostName = pad(t.hosts.map((h) => h.name));
  for (const h of t.hosts) lines.push(`  ${hostName(h.name)}  ${hostLabel(h)}  ${hostStateWords(h)}`);
  if (t.hosts.length === 0) lines.push('  none');

  lines.push('', 'vrrp groups');
  const groupName = pad(t.groups.map((g) => g.name));
  for (const g of t.groups) {
    lines.push(`  ${groupName(g.name)}  ${groupLine(g)}`);
    lines.push(`  ${' '.repeat(groupName('').length)}  ${liveMasterWords(g).words}`);
  }
  if (t.groups.length === 0) lines.push('  none');

  lines.push('', 'virtual servers');
  for (const vs of t.virtualServers) {
    lines.push(`  ${virtualServerLabel(vs)}  ${virtualServerLine(vs)}`);
    const rsName = pad(vs.realServers.map((rs) => rs.name));
    for (const rs of vs.realServers) lines.push(`    ${rsName(rs.name)}  ${realServerLine(rs, vs)}`);
    if (vs.realServers.length === 0) lines.push('    no real servers');
  }
  if (t.virtualServers.length === 0) lines.push('  none');
  return `${lines.join('\n')}\n`;
}
