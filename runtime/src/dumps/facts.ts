// What the VRRP child adds to its status when the watchdog asks for the dumps (keepalived's DATA,
// STATS and JSON signals): the running instances' specifications and what it knows at run time that
// keepalived's /tmp/keepalived.data shows and `keepalive status` does not. Plain data, sent over the
// IPC channel; the formatters (data.ts, json.ts) read it.
import type { InstanceSpec } from '../vrrp/spec.ts';
import type { SyncGroupState } from '../vrrp/sync-group.ts';

export interface ScriptFacts {
  name: string;
  ok: boolean;
  /** A run is under way. */
  running: boolean;
  /** At least one run has ended (keepalived's init state is over). */
  initialized: boolean;
  /** Runs in a row that disagree with `ok` (fewer than rise or fall). */
  streak: number;
  /** enable_script_security found it unsafe to run. */
  insecure: boolean;
  uid: number;
  gid: number;
}

export interface ProcessFacts {
  name: string;
  count: number;
  ok: boolean | undefined;
  /** A change of quorum waiting out fork_delay or terminate_delay. */
  delaying?: 'fork' | 'terminate';
}

/** A receiving and sending socket: one per interface and family, shared by the instances there. */
export interface SocketFacts {
  fd: number;
  interface: string;
  family: 4 | 6;
  /** VRRP, or AH for auth_type AH's adverts. */
  protocol: 'VRRP' | 'AH';
  receiveBufferBytes: number;
}

export interface InterfaceFacts {
  name: string;
  index: number;
  /** IFF_* flags. */
  flags: number;
  mtu: number | undefined;
  /** ARPHRD_*. */
  hardwareType: number;
  mac: string;
  broadcastMac: string;
  /** The interface's addresses, primary first, without the ones keepalive put there (virtual, static). */
  ipv4: string[];
  /** Link-local only, as keepalived keeps them. */
  ipv6: string[];
  /** Up at some time since the VRRP child started. */
  seenUp: boolean;
  /** A macvlan: its mode, and the interface it sits on with that one's flags. */
  macvlan?: { mode: string; parent: string; parentFlags: number };
  /** Created by keepalive (a VMAC). */
  ours: boolean;
  /** net.ipv4.conf.IF.{arp_ignore,arp_filter,promote_secondaries}; keepalive never changes them. */
  sysctl: { arpIgnore: number; arpFilter: number; promoteSecondaries: number };
}

export interface VrrpDumpFacts {
  specs: InstanceSpec[];
  /** Each sync group's state as last announced; undefined before it had one. */
  syncGroups: { name: string; state: SyncGroupState | undefined }[];
  scripts: ScriptFacts[];
  files: { name: string; value: number }[];
  processes: ProcessFacts[];
  sockets: SocketFacts[];
  interfaces: InterfaceFacts[];
  /** Who notify scripts run as: script_user, else keepalived_script, else nobody. */
  scriptUser: { uid: number; gid: number };
}
