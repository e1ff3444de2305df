// What the VRRP child needs to know about one instance, fully resolved (defaults and global settings
// applied), whatever the configuration's source was. The configuration model maps into this.
import type { GarpTiming } from '../config/resolve.ts';
import type { ProcessMatch } from './processes.ts';
import type { ScriptUser } from '../notify/script.ts';
import type { IpRoute, IpRule } from '../config/model.ts';

export interface VirtualAddress {
  address: string;
  prefixLength: number;
  /** The interface to put it on, when not the instance's own (`dev`). */
  device?: string;
  label?: string;
  scope?: string;
  broadcast?: string;
}

export interface TrackedInterface { name: string; weight: number; reverse: boolean }
export interface TrackedScript {
  name: string;
  script: string;
  user?: ScriptUser;
  intervalMs: number;
  timeoutMs: number;
  /** The weight of the script (or of its use in the instance, which overrides it). 0 means failure is a fault. */
  weight: number;
  reverse: boolean;
  rise: number;
  fall: number;
  initFail: boolean;
}
export interface TrackedProcess {
  name: string;
  /** What matches and how many must run (see runtime/src/vrrp/processes.ts). */
  match: ProcessMatch;
  quorum: number;
  quorumMax?: number;
  forkDelayMs: number;
  terminateDelayMs: number;
  weight: number;
  reverse: boolean;
}

export interface TrackedFile {
  name: string;
  path: string;
  weight: number;
  reverse: boolean;
  /** init_file: the value written at start when the file is missing (or always, with overwrite). */
  init?: { value: number; overwrite: boolean };
}

export interface NotifyScripts {
  master?: string;
  backup?: string;
  fault?: string;
  stop?: string;
  /** The generic notify script: called with INSTANCE|GROUP, name, state, priority. */
  any?: string;
}

export interface InstanceSpec {
  name: string;
  interface: string;
  family: 4 | 6;
  version: 2 | 3;
  vrid: number;
  priority: number;
  intervalCs: number;
  /** `state MASTER` in keepalived.conf: claim mastership at startup instead of waiting. */
  startAsMaster: boolean;
  preempt: boolean;
  preemptDelayMs: number;
  /** v2 authentication, if configured: a simple password, or IPsec AH keyed by it (IPv4), at most 8 bytes. */
  authentication?: { type: 'PASS' | 'AH'; password: string };
  virtualAddresses: VirtualAddress[];
  /** Added and removed with the others but not carried in adverts. */
  excludedAddresses: VirtualAddress[];
  /** The multicast group for this family, or unicast peers with our source address. */
  multicastGroup: string;
  unicast?: { source?: string; peers: { address: string; minTtl?: number; maxTtl?: number }[] };
  /** Source address for multicast adverts, instead of the interface's primary address. */
  multicastSource?: string;
  trackInterfaces: TrackedInterface[];
  trackScripts: TrackedScript[];
  trackFiles: TrackedFile[];
  trackProcesses: TrackedProcess[];
  notify: NotifyScripts;
  smtpAlert: boolean;
  garp: GarpTiming;
  /** A macvlan with the virtual MAC 00:00:5e:00:01:VRID (v4) or 00:00:5e:00:02:VRID (v6), and its name. */
  vmac?: string;
  /** The sync group the instance belongs to, if any. */
  syncGroup?: string;
  /** Whether its own interface going down puts it in Fault (keepalived's dont_track_primary unsets it). */
  trackPrimary: boolean;
  /** Accept_Mode: false when, as a master that is not the address owner, it must drop packets to its addresses. */
  acceptMode: boolean;
  /** vrrp_skip_check_adv_addr: adverts from the current master skip the address-list check. */
  skipCheckAdvertAddresses: boolean;
  /** virtual_routes and virtual_rules: in the kernel while the instance is MASTER (see routing.ts). */
  virtualRoutes: readonly IpRoute[];
  virtualRules: readonly IpRule[];
}

/** A vrrp_sync_group: its members move together; it has notify scripts and alerts of its own. */
export interface SyncGroupSpec {
  name: string;
  members: string[];
  notify: NotifyScripts;
  smtpAlert: boolean;
}
