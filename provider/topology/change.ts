// What a change does to the HA topology, in words: who will be master, which VIP moves, which backend
// joins or leaves. Pure functions of the declared state before and after; the provider logs their
// lines to the engine during a preview (see provider/core/resources.ts). Elections follow VRRP (RFC 5798 6.4): the
// highest priority wins, ties go to the highest primary address, a backup preempts a lower-priority
// master only with preempt on, except the address owner (priority 255), which always does.
import { ipToBigInt } from '../../runtime/src/net/ip.ts';

export interface MemberView {
  /** The Host resource's name. */
  readonly name: string;
  /** The member's VRRP source address (its own, for tie-breaks), else the host's address. */
  readonly address: string;
  readonly priority: number;
}

export interface GroupView {
  readonly vrid: number;
  readonly interface: string;
  readonly virtualIps: readonly string[];
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  readonly advertIntervalMs?: number;
  readonly members: readonly MemberView[];
  /** The master expected when this state was declared (the previous expectedMaster output). */
  readonly master?: string;
}

export interface Endpoint {
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
}

export interface VirtualServerView extends Endpoint {
  readonly scheduler: string;
  readonly method: string;
  readonly directors: readonly string[];
}

export interface RealServerView {
  readonly virtualServer: Endpoint;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  /** The health check's kind, or undefined for none. */
  readonly check?: string;
}

export interface HostView {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly installDir: string;
  readonly serviceManager: string;
}

/** "198.18.0.100:80", "[2001:db8::1]:80"; UDP services get "/udp". */
export function endpoint(e: Endpoint): string {
  const host = e.address.includes(':') ? `[${e.address}]` : e.address;
  return `${host}:${e.port}${e.protocol === 'UDP' ? '/udp' : ''}`;
}

/** Orders addresses as VRRP compares them: numerically within a family; names (not yet resolved) as text. */
function compareAddresses(a: string, b: string): number {
  try {
    const x = ipToBigInt(a);
    const y = ipToBigInt(b);
    if (x.family === y.family) return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
  } catch {
    // a host name: fall through to text order
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Members in the order an election ranks them: the first one wins. */
export function rank(members: readonly MemberView[]): MemberView[] {
  return [...members].sort((a, b) => b.priority - a.priority || compareAddresses(b.address, a.address));
}

/** Why `winner` beats `other`: "priority 200 > 150", or on a tie "priority 150 = 150, address 198.18.0.2 > 198.18.0.1". */
function beats(winner: MemberView, other: MemberView): string {
  if (winner.priority !== other.priority) return `priority ${winner.priority} > ${other.priority}`;
  return `priority ${winner.priority} = ${other.priority}, address ${winner.address} > ${other.address}`;
}

/**
 * The member that will be master once `group` is applied, given the master before (if any): the
 * election's winner, unless preempt is off and the current master stays a member (then it keeps the
 * role until it fails), or the winner owns the addresses (priority 255).
 */
export function expectedMaster(group: GroupView, current?: string): string | undefined {
  const [winner] = rank(group.members);
  if (!winner) return undefined;
  const incumbent = group.members.find((m) => m.name === current);
  if (incumbent && !group.preempt && winner.priority !== 255) return incumbent.name;
  return winner.name;
}

function preemptWords(group: GroupView, winner: MemberView): string {
  if (!group.preempt && winner.priority === 255) return 'address owner';
  return group.preemptDelayMs > 0 ? `preempt after ${group.preemptDelayMs} ms` : 'preempt';
}

function describeNewGroup(group: GroupView): string[] {
  const ranked = rank(group.members);
  const master = ranked[0];
  if (!master) return [`vrid ${group.vrid} on ${group.interface}: no members, so no master`];
  const why = ranked[1] ? beats(master, ranked[1]) : 'only member';
  return [
    `vrid ${group.vrid}: master ${master.name} (${why})`,
    ...group.virtualIps.map((vip) => `VIP ${vip} comes up on ${master.name}`),
  ];
}

/** The lines a change of a VRRP group prints; none when the topology does not change. */
export function describeGroup(before: GroupView | undefined, after: GroupView): string[] {
  if (!before) return describeNewGroup(after);
  if (before.vrid !== after.vrid || before.interface !== after.interface) {
    return [
      `vrid ${before.vrid} on ${before.interface} is replaced by vrid ${after.vrid} on ${after.interface}: its VIPs are down in between`,
      ...describeNewGroup(after),
    ];
  }
  const lines: string[] = [];
  const vrid = `vrid ${after.vrid}`;
  const oldMaster = before.master ?? expectedMaster(before);
  const newMaster = expectedMaster(after, oldMaster);
  const byName = new Map(after.members.map((m) => [m.name, m]));
  const oldByName = new Map(before.members.map((m) => [m.name, m]));

  // Members whose new priority a master line below already gives.
  const stated = new Set<string>();
  if (newMaster !== oldMaster && newMaster !== undefined) {
    const winner = byName.get(newMaster)!;
    const loser = oldMaster === undefined ? undefined : byName.get(oldMaster);
    const why = oldMaster === undefined ? beats(winner, rank(after.members)[1] ?? winner)
      : !loser ? `${oldMaster} leaves the group`
      : `${beats(winner, loser)}, ${preemptWords(after, winner)}`;
    lines.push(`${vrid}: master ${oldMaster ?? 'none'} -> ${newMaster} (${why})`);
    stated.add(newMaster);
    if (loser) stated.add(loser.name);
  } else if (newMaster === undefined && oldMaster !== undefined) {
    lines.push(`${vrid}: master ${oldMaster} -> none (no members left)`);
  } else if (newMaster !== undefined) {
    const [winner] = rank(after.members);
    if (winner && winner.name !== newMaster) {
      lines.push(`${vrid}: master stays ${newMaster} (${winner.name} has ${beats(winner, byName.get(newMaster)!)}, but preempt is off)`);
      stated.add(newMaster).add(winner.name);
    }
  }

  for (const m of after.members) {
    const old = oldByName.get(m.name);
    const role = m.name === newMaster ? 'master' : 'backup';
    if (!old) lines.push(`${vrid}: ${m.name} joins as ${role} (priority ${m.priority})`);
    else if (old.priority !== m.priority && !stated.has(m.name)) {
      const wasRole = m.name === oldMaster ? 'master' : 'backup';
      lines.push(`${vrid}: ${m.name} priority ${old.priority} -> ${m.priority}, ${wasRole === role ? 'stays' : 'now'} ${role}`);
    }
  }
  for (const old of before.members) {
    if (!byName.has(old.name)) lines.push(`${vrid}: ${old.name} leaves`);
  }

  const moved = newMaster !== oldMaster && newMaster !== undefined && oldMaster !== undefined;
  for (const vip of after.virtualIps) {
    if (!before.virtualIps.includes(vip)) lines.push(`VIP ${vip} comes up on ${newMaster ?? 'no host'}`);
    else if (moved) lines.push(`VIP ${vip} moves with it`);
  }
  for (const vip of before.virtualIps) {
    if (!after.virtualIps.includes(vip)) lines.push(`VIP ${vip} goes away from ${oldMaster ?? 'the group'}`);
  }
  if (before.advertIntervalMs !== after.advertIntervalMs) {
    lines.push(`${vrid}: advert interval ${before.advertIntervalMs ?? 'default'} -> ${after.advertIntervalMs ?? 'default'} ms`);
  }
  if (before.preempt !== after.preempt) lines.push(`${vrid}: preempt ${before.preempt ? 'on -> off' : 'off -> on'}`);
  return lines;
}

/** The lines a change of a real server prints. */
export function describeRealServer(before: RealServerView | undefined, after: RealServerView): string[] {
  const rs = endpoint({ protocol: 'TCP', address: after.address, port: after.port });
  const vs = endpoint(after.virtualServer);
  const joins = `real server ${rs} joins ${vs}${after.weight === 0 ? ' with weight 0 (no new connections)' : ''}`;
  if (!before) return [joins];
  const oldRs = endpoint({ protocol: 'TCP', address: before.address, port: before.port });
  const oldVs = endpoint(before.virtualServer);
  if (oldRs !== rs || oldVs !== vs) return [`real server ${oldRs} leaves ${oldVs}`, joins];
  const lines: string[] = [];
  if (before.weight !== after.weight) {
    lines.push(`real server ${rs} in ${vs}: weight ${before.weight} -> ${after.weight}${after.weight === 0 ? ' (drained: no new connections)' : ''}`);
  }
  if (before.check !== after.check) lines.push(`real server ${rs} in ${vs}: health check ${before.check ?? 'none'} -> ${after.check ?? 'none (always up)'}`);
  return lines;
}

/** The lines a change of a virtual server prints. */
export function describeVirtualServer(before: VirtualServerView | undefined, after: VirtualServerView): string[] {
  const vs = `virtual server ${endpoint(after)}`;
  const created = `${vs} (${after.scheduler}, ${after.method}) on ${after.directors.join(', ') || 'no director'}`;
  if (!before) return [created];
  if (endpoint(before) !== endpoint(after)) return [`virtual server ${endpoint(before)} is replaced by ${endpoint(after)}`, created];
  const lines: string[] = [];
  if (before.scheduler !== after.scheduler) lines.push(`${vs}: scheduler ${before.scheduler} -> ${after.scheduler}`);
  if (before.method !== after.method) lines.push(`${vs}: forwarding ${before.method} -> ${after.method}`);
  for (const d of after.directors) if (!before.directors.includes(d)) lines.push(`${vs}: ${d} starts directing it`);
  for (const d of before.directors) if (!after.directors.includes(d)) lines.push(`${vs}: ${d} stops directing it`);
  return lines;
}

/** The lines a change of a host prints. */
export function describeHost(before: HostView | undefined, after: HostView): string[] {
  const place = (h: HostView): string => `${h.installDir} on ${h.user}@${h.address}:${h.port} (${h.serviceManager === 'none' ? 'pid-file service' : 'systemd'})`;
  if (!before) return [`host ${after.name}: keepalive goes to ${place(after)}`];
  if (before.address !== after.address || before.installDir !== after.installDir || before.serviceManager !== after.serviceManager) {
    return [`host ${after.name}: keepalive moves from ${place(before)} to ${place(after)}`];
  }
  return [];
}
