// What a load-balancing dataplane is asked to do, independent of configuration syntax: the virtual
// services with the destinations that currently take traffic. The checker decides who is healthy;
// a dataplane (IPVS or nftables) only makes the kernel forward as this says.

export type Protocol = 'tcp' | 'udp';

/** IPVS scheduler names, as keepalived's `lvs_sched`/`lb_algo` spells them. */
export type Scheduler = 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'sh' | 'dh' | 'mh' | 'sed' | 'nq' | 'fo' | 'ovf';

/** Forwarding method, as keepalived's `lvs_method` spells it: masquerading, direct routing, IP-in-IP. */
export type ForwardingMethod = 'NAT' | 'DR' | 'TUN';

export interface Destination {
  address: string;
  /** 0 keeps the client's destination port (only meaningful for fwmark services). */
  port: number;
  /** 0..65535. Weight 0 keeps the destination in the table but gives it no new connections (inhibit_on_failure). */
  weight: number;
  /** Unset: NAT. */
  method?: ForwardingMethod;
  /** Connection limits (uthreshold, lthreshold); unset or 0: none. */
  upperThreshold?: number;
  lowerThreshold?: number;
}

export interface VirtualService {
  /** How the configuration names it, e.g. "tcp/198.18.0.100:80" or "fwmark/1": used in messages and comments. */
  key: string;
  protocol: Protocol;
  /** The virtual address; for a fwmark service, it only gives the address family. */
  address: string;
  port: number;
  /** Set for a fwmark service: packets are matched by this mark instead of address and port. */
  fwmark?: number;
  scheduler: Scheduler;
  /** Set for persistent services: a client keeps its destination this long after its last new connection. */
  persistenceSeconds?: number;
  /** persistence_granularity as a prefix length; unset: one client address (32 or 128). */
  persistencePrefix?: number;
  destinations: readonly Destination[];
}

/**
 * What went through a service, or through one of its destinations, since the dataplane put it in
 * place: IPVS's own counters (ipvsadm --stats), or the nftables dataplane's. "In" is the client's
 * direction (to the real server), "out" the replies.
 */
export interface TrafficCounters {
  /** Connections scheduled. */
  connections: number;
  inPackets: number;
  outPackets: number;
  inBytes: number;
  outBytes: number;
}

/** A service as the kernel keys it: protocol, address and port, or a firewall mark. */
export type ServiceAddress =
  | { family: 4 | 6; protocol: Protocol | 'sctp'; address: string; port: number }
  | { family: 4 | 6; fwmark: number };

export interface ServiceTraffic {
  service: ServiceAddress;
  counters: TrafficCounters;
  destinations: { address: string; port: number; counters: TrafficCounters }[];
}

export interface DataplaneDescription {
  kind: 'ipvs' | 'nftables';
  /** Why this dataplane is the active one, for `keepalive status`. */
  reason: string;
}

export interface Dataplane {
  /** Makes the kernel forward exactly these services (services absent from the list are removed). */
  apply(services: readonly VirtualService[]): Promise<void>;
  /**
   * Reads the kernel's table back and, where someone changed it since the last apply, puts the last
   * applied services back. Returns what differed (empty: nothing drifted).
   */
  repair(): Promise<string[]>;
  describe(): DataplaneDescription;
  /** The traffic counters of the services it applied (those it can count), read from the kernel now. */
  traffic(): Promise<ServiceTraffic[]>;
  /** Removes what the dataplane put in the kernel and releases its resources. */
  close(): Promise<void>;
}
