// A virtual server's pool: from its real servers' health to the destinations the dataplane gets, with
// keepalived's quorum, hysteresis, sorry server and inhibit_on_failure. Pure.
//
// As keepalived's checker does it:
// - The pool's weight is the sum of the weights of the real servers that are up.
// - Quorum is lost when that sum is 0 or falls below quorum - hysteresis, and regained when it
//   reaches quorum + hysteresis again; in between, the previous state holds.
// - A real server that is down leaves the table, or stays with weight 0 under inhibit_on_failure.
// - While quorum is lost and there is a sorry server, the sorry server takes every new connection:
//   the real servers that are still up leave the table (or get weight 0 under inhibit_on_failure).
//   Without a sorry server, losing quorum changes nothing in the table (only quorum_down runs).
// - sorry_server_inhibit keeps the sorry server in the table with weight 0 while quorum holds.
import type { Destination, ForwardingMethod, VirtualService } from '../lb/model.ts';
import type { ServerHealth } from './scheduler.ts';

export interface PoolRealServer {
  /** The scheduler's id of this real server in this virtual server. */
  id: string;
  address: string;
  port: number;
  /** The configured weight (a MISC_CHECK with misc_dynamic may report another). */
  weight: number;
  inhibitOnFailure: boolean;
  method: ForwardingMethod;
  upperThreshold?: number;
  lowerThreshold?: number;
}

export interface PoolSpec {
  /** The virtual server as messages name it: "TCP 198.18.0.100 80", "fwmark 1", "TCP group web". */
  key: string;
  /** The kernel services it stands for (one, or one per group entry), without destinations. */
  services: readonly Omit<VirtualService, 'destinations'>[];
  realServers: readonly PoolRealServer[];
  quorum: number;
  hysteresis: number;
  sorryServer?: { address: string; port: number; method: ForwardingMethod; inhibit: boolean };
}

/** The sum of the weights of the real servers that are up. */
export function poolWeight(spec: PoolSpec, health: (id: string) => ServerHealth): number {
  return spec.realServers.reduce((sum, rs) => {
    const h = health(rs.id);
    return h.up ? sum + h.weight : sum;
  }, 0);
}

/** Whether the pool has quorum, given whether it had it and its weight now. */
export function nextQuorum(hadQuorum: boolean, weight: number, quorum: number, hysteresis: number): boolean {
  if (hadQuorum) return !(weight === 0 || weight < quorum - hysteresis);
  return weight > 0 && weight >= quorum + hysteresis;
}

/** The destinations every service of the pool forwards to. */
export function poolDestinations(spec: PoolSpec, health: (id: string) => ServerHealth, hasQuorum: boolean): Destination[] {
  const sorryActive = !hasQuorum && spec.sorryServer !== undefined;
  const destinations: Destination[] = [];
  for (const rs of spec.realServers) {
    const h = health(rs.id);
    const inPool = h.up && !sorryActive;
    if (!inPool && !rs.inhibitOnFailure) continue;
    destinations.push({
      address: rs.address, port: rs.port, weight: inPool ? h.weight : 0, method: rs.method,
      ...(rs.upperThreshold ? { upperThreshold: rs.upperThreshold } : {}),
      ...(rs.lowerThreshold ? { lowerThreshold: rs.lowerThreshold } : {}),
    });
  }
  const sorry = spec.sorryServer;
  if (sorry && (sorryActive || sorry.inhibit)) {
    // A sorry server that is also a real server is one destination: the sorry role wins while active.
    const same = destinations.findIndex((d) => d.address === sorry.address && d.port === sorry.port);
    const entry: Destination = { address: sorry.address, port: sorry.port, weight: sorryActive ? 1 : 0, method: sorry.method };
    if (same === -1) destinations.push(entry);
    else if (sorryActive) destinations[same] = entry;
  }
  return destinations;
}

/** The pool's services, each with the pool's destinations. */
export function poolServices(spec: PoolSpec, destinations: readonly Destination[]): VirtualService[] {
  return spec.services.map((s) => ({ ...s, destinations }));
}
