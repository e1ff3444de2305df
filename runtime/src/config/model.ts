// The runtime's one configuration model. keepalived.conf and the project's JSON/YAML both load into it;
// the VRRP child and the checkers are planned from it; the provider will write it.
//
// Conventions:
// - Every node the user wrote carries `at`, where it was written, so that errors found later (a
//   semantic check, a reload refused by the running daemon) can point at it. Nodes with several
//   settings also carry `fieldAt`: where each setting was written (absent for defaults).
// - Durations are integers, with their unit in the field name: `Ms` milliseconds, `Cs` centiseconds
//   (the VRRP advert interval, as carried on the wire by v3).
// - Addresses are stored in canonical text (`canonicalIp`), so equal addresses compare equal.
// - A node holds what the user wrote with the defaults that depend on nothing else applied (priority
//   100, advert interval 1 s...). Settings inherited from elsewhere (an instance's version from
//   `vrrp_version`, its GARP timing from the global one) stay unset here and are resolved by the
//   pure functions in resolve.ts.
// - Top-level lists are per kind; load balancing is the virtualServers list.

export interface SourcePos {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters. */
  readonly col: number;
}

/** Where each setting of a node was written; a setting left at its default has no entry. */
export type FieldPositions<T> = { readonly [K in Exclude<keyof T, 'at' | 'fieldAt'>]?: SourcePos };

export type Family = 4 | 6;
export type VrrpVersion = 2 | 3;

export interface KeepaliveConfig {
  readonly globalDefs: GlobalDefs;
  readonly vrrpScripts: readonly VrrpScript[];
  readonly trackFiles: readonly TrackFile[];
  readonly vrrpTrackProcesses: readonly VrrpTrackProcess[];
  readonly vrrpSyncGroups: readonly VrrpSyncGroup[];
  readonly vrrpInstances: readonly VrrpInstance[];
  /** Set at start and kept while keepalive runs, whatever the VRRP states (removed when it stops). */
  readonly staticIpaddress: readonly VirtualAddress[];
  readonly staticRoutes: readonly IpRoute[];
  readonly staticRules: readonly IpRule[];
  readonly virtualServerGroups: readonly VirtualServerGroup[];
  readonly virtualServers: readonly VirtualServer[];
}

/** `script_user` and a vrrp_script's `user`: USER [GROUP]. */
export interface ScriptUser {
  readonly user: string;
  readonly group?: string;
}

export interface SmtpServer {
  readonly host: string;
  readonly port: number;
}

/**
 * keepalived's `SSL` block (top level in keepalived.conf): what SSL_GET checks present and trust. A
 * client certificate (PEM, its chain after it) with its key, the key's password if it has one, and the
 * CA bundle that checks with `tlsVerify` verify servers against unless they name their own `tlsCa`.
 */
export interface SslSettings {
  readonly certificate?: string;
  readonly key?: string;
  readonly password?: string;
  readonly ca?: string;
}

export interface GlobalDefs {
  /** Where global_defs was written; the start of the main file when it was not. */
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<GlobalDefs>;
  readonly routerId?: string;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom?: string;
  readonly smtpServer?: SmtpServer;
  readonly smtpHeloName?: string;
  readonly smtpConnectTimeoutMs: number;
  /** Send alerts for every transition (VRRP and checkers), unless narrowed by smtpAlertVrrp. */
  readonly smtpAlert: boolean;
  /** Overrides smtpAlert for VRRP transitions. */
  readonly smtpAlertVrrp?: boolean;
  /** Overrides smtpAlert for checker transitions (a virtual server's own smtp_alert wins). */
  readonly smtpAlertChecker?: boolean;
  readonly enableScriptSecurity: boolean;
  readonly scriptUser?: ScriptUser;
  /** notify_fifo: every VRRP and checker event as a line in a named pipe. */
  readonly notifyFifo?: NotifyFifo;
  /** vrrp_notify_fifo: the VRRP events only. */
  readonly vrrpNotifyFifo?: NotifyFifo;
  /** lvs_notify_fifo: the checker's events only. */
  readonly lvsNotifyFifo?: NotifyFifo;
  readonly vrrpMcastGroup4: string;
  readonly vrrpMcastGroup6: string;
  readonly vrrpVersion: VrrpVersion;
  readonly vrrpGarpMasterDelayMs: number;
  readonly vrrpGarpMasterRepeat: number;
  /** 0: no periodic refresh while master. */
  readonly vrrpGarpMasterRefreshMs: number;
  readonly vrrpGarpMasterRefreshRepeat: number;
  /** Spacing between gratuitous ARPs (IPv4) on an interface. */
  readonly vrrpGarpIntervalMs: number;
  /** Spacing between unsolicited neighbour advertisements (IPv6) on an interface. */
  readonly vrrpGnaIntervalMs: number;
  /** keepalived's strict protocol compliance: validate.ts checkStrict and resolve.ts enforce it. */
  readonly vrrpStrict: boolean;
  /** How long the VRRP instances wait after the daemon starts (not after a reload) before they start. */
  readonly vrrpStartupDelayMs: number;
  readonly vrrpSkipCheckAdvAddr: boolean;
  /** Real-time scheduling priority ceiling for the daemons, -1..99 as keepalived takes it (-1: never realtime); `max_auto_priority` alone means 99. */
  readonly maxAutoPriority?: number;
  /**
   * keepalive's own setting (`lb_dataplane`): which dataplane forwards the virtual servers. auto: IPVS
   * when the kernel has it, else nftables.
   */
  readonly lbDataplane: LbDataplane;
  /**
   * keepalive's own setting (`metrics_listen ADDR:PORT`): serve Prometheus metrics (GET /metrics) there.
   * Unset: no endpoint.
   */
  readonly metricsListen?: string;
  /**
   * keepalived's `net_namespace NAME` (a top-level keyword in keepalived.conf): run in the network
   * namespace /run/netns/NAME. It cannot change on a reload.
   */
  readonly netNamespace?: string;
  /** keepalived's `SSL { certificate key password ca }` block, for SSL_GET checks. */
  readonly ssl?: SslSettings;
  /** `lvs_sync_daemon` (or an instance's older `lvs_sync_daemon_interface`): IPVS connection sync. */
  readonly lvsSyncDaemon?: LvsSyncDaemon;
}

/**
 * The kernel's IPVS connection sync daemon: master (sending the connection table) while `instance` is
 * MASTER, backup (receiving it) otherwise, so that a director that takes over keeps the connections.
 * Unset numbers are left to the kernel's defaults (keepalived sends them only when set too).
 */
export interface LvsSyncDaemon {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<LvsSyncDaemon>;
  /** The interface the sync messages leave and arrive by (the kernel's mcast_ifn). */
  readonly interface: string;
  /** The VRRP instance whose state it follows. */
  readonly instance: string;
  /** 0..255: only messages of the same id are taken; unset: the instance's virtual_router_id, as keepalived. */
  readonly syncId?: number;
  /** Largest sync message payload, bytes (1..65507). */
  readonly maxLen?: number;
  /** Base UDP port (1..65535); the kernel's default is 8848. */
  readonly port?: number;
  /** 1..255; the kernel's default is 1. */
  readonly ttl?: number;
  /** Multicast group (IPv4 or IPv6); the kernel's default is 224.0.0.81. */
  readonly group?: string;
}

export const LB_DATAPLANES = ['auto', 'ipvs', 'nftables'] as const;
export type LbDataplane = (typeof LB_DATAPLANES)[number];

export interface VrrpScript {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<VrrpScript>;
  readonly name: string;
  /** The command line, split into words only when run (see notify/script.ts splitCommand). */
  readonly script: string;
  readonly intervalMs: number;
  /** Unset: the interval (keepalived's default). */
  readonly timeoutMs?: number;
  /** 0: a failure is a fault. Positive: added while succeeding. Negative: added while failing. */
  readonly weight: number;
  /** Swaps success and failure for the weight. */
  readonly reverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly user?: ScriptUser;
  /** Start in the failed state instead of the succeeding one. */
  readonly initFail: boolean;
}

/** vrrp_track_process: whether enough processes matching a command line run. */
export interface VrrpTrackProcess {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<VrrpTrackProcess>;
  readonly name: string;
  /** The command: matched against the process name (/proc/PID/status Name:) unless params, paramMatch or fullCommand ask for the command line. */
  readonly process: string;
  readonly params: readonly string[];
  /** partial: the first params match, more may follow; initial: the same, the last one a prefix. Unset: all of them, exactly. */
  readonly paramMatch?: 'partial' | 'initial';
  readonly fullCommand: boolean;
  /** 0: a failure is a fault. Positive: added while ok. Negative: added while failing. */
  readonly weight: number;
  readonly reverse: boolean;
  /** Ok while quorum <= matching processes <= quorumMax. */
  readonly quorum: number;
  readonly quorumMax?: number;
  /** How long quorum must hold after it is gained (forkDelayMs) or lost (terminateDelayMs) before it counts. */
  readonly forkDelayMs: number;
  readonly terminateDelayMs: number;
}

export interface TrackFile {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<TrackFile>;
  readonly name: string;
  readonly file: string;
  /** The file's number is multiplied by this; 0 makes any non-zero number a fault. */
  readonly weight: number;
  readonly reverse: boolean;
  /** Create the file at startup holding `value`: only if absent, or always with `overwrite`. */
  readonly initFile?: { readonly value: number; readonly overwrite: boolean };
}

/** One line of a track_interface / track_script / track_file block. */
export interface TrackRef {
  readonly at: SourcePos;
  readonly name: string;
  /** Unset: the tracker's own weight (0 for interfaces). */
  readonly weight?: number;
  readonly reverse: boolean;
}

/** A notify FIFO: where it is (created if missing), its owner, and a reader keepalive starts for it. */
export interface NotifyFifo {
  /** Unset when only the script was given, which validation refuses. */
  readonly path?: string;
  readonly owner?: ScriptUser;
  /** notify_fifo_script: run for as long as the daemon runs, with the FIFO's path as its argument. */
  readonly script?: string;
  /** Who runs the script: this, else script_user. */
  readonly scriptUser?: ScriptUser;
}

export interface GroupMember {
  readonly at: SourcePos;
  readonly name: string;
}

/** The notify scripts shared by instances and sync groups; each is a command line. */
export interface NotifyScripts {
  readonly notifyMaster?: string;
  readonly notifyBackup?: string;
  readonly notifyFault?: string;
  readonly notifyStop?: string;
  /** The generic script, called with GROUP|INSTANCE, name, state and priority appended. */
  readonly notify?: string;
}

export interface VrrpSyncGroup extends NotifyScripts {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<VrrpSyncGroup>;
  readonly name: string;
  readonly group: readonly GroupMember[];
  /** Unset: the global setting (see resolve.ts). */
  readonly smtpAlert?: boolean;
  /** Unweighted: a failure puts every member into Fault. */
  readonly trackInterface: readonly TrackRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
}

export interface VirtualAddress {
  readonly at: SourcePos;
  readonly address: string;
  /** Defaults to a host prefix (32 or 128). */
  readonly prefixLength: number;
  readonly broadcast?: string;
  /** The interface to put it on, when not the instance's. */
  readonly dev?: string;
  /** rtnetlink scope: 0 global, 200 site, 253 link, 254 host, or another number. */
  readonly scope?: number;
  readonly label?: string;
  /** Its interface going down does not fault the instance. */
  readonly noTrack: boolean;
}

/** One next hop of a multipath route (`nexthop via ADDR dev IF weight N onlink`, or keepalived's older `via A or B`). */
export interface RouteNextHop {
  readonly via?: string;
  readonly dev?: string;
  /** 1..256; unset: 1. */
  readonly weight?: number;
  readonly onlink: boolean;
}

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/**
 * A route of `virtual_routes` (added while the instance is MASTER) or `static_routes` (kept while
 * keepalive runs), in `ip route`'s terms.
 */
export interface IpRoute {
  readonly at: SourcePos;
  readonly family: 4 | 6;
  readonly destination: string;
  readonly prefixLength: number;
  readonly type: RouteType;
  /** Preferred source address (src). */
  readonly src?: string;
  readonly via?: string;
  readonly dev?: string;
  /** rtnetlink scope number; unset: link for a unicast route without a gateway, global otherwise. */
  readonly scope?: number;
  /** 1..2^32-1; main is 254. */
  readonly table: number;
  readonly metric?: number;
  /** rtm_protocol; a tracked route is always keepalived's (18), so that its deletion is recognised. */
  readonly protocol: number;
  readonly onlink: boolean;
  /** Two or more: a multipath route, with no via or dev of its own. */
  readonly nexthops: readonly RouteNextHop[];
  /** Deleted by hand, it is neither put back nor makes its instance leave MASTER. */
  readonly noTrack: boolean;
}

export interface IpPrefix {
  readonly address: string;
  readonly prefixLength: number;
}

/** A policy routing rule of `virtual_rules` or `static_rules`, in `ip rule`'s terms. */
export interface IpRule {
  readonly at: SourcePos;
  readonly family: 4 | 6;
  readonly from?: IpPrefix;
  readonly to?: IpPrefix;
  readonly table: number;
  /** The rule's preference; when the configuration gives none, one assigned as keepalived does. */
  readonly priority: number;
  readonly iif?: string;
  readonly oif?: string;
  readonly fwmark?: number;
  readonly fwmask?: number;
  readonly noTrack: boolean;
}

export interface UnicastPeer {
  readonly at: SourcePos;
  readonly address: string;
  readonly minTtl?: number;
  readonly maxTtl?: number;
}

/**
 * VRRPv2 authentication: PASS, the password in clear in every advert; AH, an IPsec Authentication
 * Header (HMAC-MD5-96 keyed with the password) around every advert, IPv4 only.
 */
export interface Authentication {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<Authentication>;
  readonly authType: 'PASS' | 'AH';
  /** At most 8 characters: longer passwords are truncated with a warning, as keepalived does. */
  readonly authPass: string;
}

export type InitialState = 'MASTER' | 'BACKUP';

export interface VrrpInstance extends NotifyScripts {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<VrrpInstance>;
  readonly name: string;
  /** MASTER: claim mastership at startup rather than waiting as a backup. */
  readonly state: InitialState;
  readonly interface: string;
  readonly virtualRouterId: number;
  /** 1..255; 255 only for the address owner. */
  readonly priority: number;
  readonly advertIntCs: number;
  /** Unset: `vrrp_version`, or 3 for IPv6 (see resolve.ts). */
  readonly version?: VrrpVersion;
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  readonly authentication?: Authentication;
  readonly virtualIpaddress: readonly VirtualAddress[];
  /** Added and removed with the instance, not carried in adverts; any family. */
  readonly virtualIpaddressExcluded: readonly VirtualAddress[];
  readonly unicastSrcIp?: string;
  /** Non-empty: adverts go unicast to these peers instead of to the multicast group. */
  readonly unicastPeer: readonly UnicastPeer[];
  readonly mcastSrcIp?: string;
  readonly trackInterface: readonly TrackRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
  /** Unset: the global setting (see resolve.ts). */
  readonly smtpAlert?: boolean;
  /** Unset: the global vrrp_garp_* settings (see resolve.ts). */
  readonly garpMasterDelayMs?: number;
  readonly garpMasterRepeat?: number;
  readonly garpMasterRefreshMs?: number;
  readonly garpMasterRefreshRepeat?: number;
  /** The macvlan interface carrying the virtual MAC; keepalived's default name is vrrp.VRID. */
  readonly useVmac?: string;
  /** With useVmac: send adverts from the base interface rather than the macvlan. */
  readonly vmacXmitBase: boolean;
  /** Accept packets addressed to the VIPs when not their owner. Unset: !vrrpStrict (see resolve.ts). */
  readonly accept?: boolean;
  /** Do not fault the instance when its own interface goes down. */
  readonly dontTrackPrimary: boolean;
  /** Added when the instance becomes MASTER, removed when it leaves MASTER. */
  readonly virtualRoutes: readonly IpRoute[];
  readonly virtualRules: readonly IpRule[];
  /**
   * An instance that carries no address on purpose (keepalived's no_virtual_ipaddress): it elects a
   * master whose notify scripts move an address some other way, such as a cloud provider's API.
   */
  readonly noVirtualIpaddress: boolean;
}

/** Defaults that depend on nothing else; both loaders apply exactly these. */
export const GLOBAL_DEFAULTS = {
  notificationEmail: [],
  smtpConnectTimeoutMs: 30_000,
  smtpAlert: false,
  enableScriptSecurity: false,
  vrrpMcastGroup4: '224.0.0.18',
  vrrpMcastGroup6: 'ff02::12',
  vrrpVersion: 2,
  vrrpGarpMasterDelayMs: 5_000,
  vrrpGarpMasterRepeat: 5,
  vrrpGarpMasterRefreshMs: 0,
  vrrpGarpMasterRefreshRepeat: 1,
  vrrpGarpIntervalMs: 0,
  vrrpGnaIntervalMs: 0,
  vrrpStrict: false,
  vrrpStartupDelayMs: 0,
  vrrpSkipCheckAdvAddr: false,
  lbDataplane: 'auto',
} as const satisfies Partial<GlobalDefs>;

export const SMTP_DEFAULT_PORT = 25;

export const VRRP_SCRIPT_DEFAULTS = {
  intervalMs: 1_000,
  weight: 0,
  reverse: false,
  rise: 1,
  fall: 1,
  initFail: false,
} as const satisfies Partial<VrrpScript>;

export const TRACK_FILE_DEFAULTS = { weight: 1, reverse: false } as const satisfies Partial<TrackFile>;

export const TRACK_PROCESS_DEFAULTS = {
  params: [], fullCommand: false, weight: 1, reverse: false, quorum: 1, forkDelayMs: 0, terminateDelayMs: 0,
} as const satisfies Partial<VrrpTrackProcess>;

export const SYNC_GROUP_DEFAULTS = {
  group: [],
  trackInterface: [],
  trackScript: [],
  trackFile: [],
  trackProcess: [],
} as const satisfies Partial<VrrpSyncGroup>;

export const VRRP_INSTANCE_DEFAULTS = {
  state: 'BACKUP',
  priority: 100,
  advertIntCs: 100,
  nopreempt: false,
  preemptDelayMs: 0,
  virtualIpaddress: [],
  virtualIpaddressExcluded: [],
  virtualRoutes: [],
  virtualRules: [],
  unicastPeer: [],
  trackInterface: [],
  trackScript: [],
  trackFile: [],
  trackProcess: [],
  vmacXmitBase: false,
  dontTrackPrimary: false,
  noVirtualIpaddress: false,
} as const satisfies Partial<VrrpInstance>;

// Load balancing: virtual servers, their real servers and the health checkers of those.

/** IPVS schedulers by keepalived's names; which ones the kernel offers is checked by the runtime. */
export const LB_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'mh', 'sed', 'nq', 'fo', 'ovf', 'twos'] as const;
export type LbScheduler = (typeof LB_SCHEDULERS)[number];
/** Forwarding method: masquerading, direct routing, IP-in-IP tunnelling. */
export type LbMethod = 'NAT' | 'DR' | 'TUN';
export type LbProtocol = 'TCP' | 'UDP';

/** An address and port, for sorry_server. */
export interface SorryServer {
  readonly at: SourcePos;
  readonly address: string;
  readonly port: number;
}

/** One line of a virtual_server_group: ADDR[-LAST] PORT (an address range in the last octet or group), or fwmark N. */
export interface VirtualServerGroupEntry {
  readonly at: SourcePos;
  readonly address?: string;
  /** The end of an address range (inclusive), in canonical text; unset: a single address. */
  readonly lastAddress?: string;
  readonly port?: number;
  readonly fwmark?: number;
}

/** `virtual_server_group NAME { ... }`: addresses and fwmarks sharing one set of real servers. */
export interface VirtualServerGroup {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<VirtualServerGroup>;
  readonly name: string;
  readonly entries: readonly VirtualServerGroupEntry[];
}

/**
 * `virtual_server ADDR PORT` (address and port set), `virtual_server fwmark N` (fwmark set) or
 * `virtual_server group NAME` (group set): exactly one of the three.
 */
export interface VirtualServer {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<VirtualServer>;
  readonly address?: string;
  readonly port?: number;
  readonly fwmark?: number;
  /** The name of a virtual_server_group. */
  readonly group?: string;
  readonly protocol: LbProtocol;
  readonly lvsSched: LbScheduler;
  readonly lvsMethod: LbMethod;
  /** Unset: not persistent. Whole seconds (IPVS counts seconds); the keyword alone means 360 s. */
  readonly persistenceTimeoutMs?: number;
  /** The client-address prefix length persistence groups by (written as a netmask for IPv4). */
  readonly persistenceGranularity?: number;
  /** How often each checker runs; real servers and checkers may override it (see resolve.ts). */
  readonly delayLoopMs: number;
  readonly connectTimeoutMs: number;
  /** Failed attempts retried before a checker counts as failed. */
  readonly retry: number;
  /** Unset: 3 s for HTTP_GET/SSL_GET, 1 s for the others (see resolve.ts checkerTiming). */
  readonly delayBeforeRetryMs?: number;
  /** A checker's first run is delayed by a random time up to this. */
  readonly warmupMs?: number;
  readonly sorryServer?: SorryServer;
  /** Keep the sorry server in the table with weight 0 while the pool has quorum. */
  readonly sorryServerInhibit: boolean;
  /** The total weight of healthy real servers needed for the service to be up. */
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: string;
  readonly quorumDown?: string;
  /** Default for the real servers: a failed one gets weight 0 instead of leaving the table. */
  readonly inhibitOnFailure: boolean;
  /** Real servers start as failed until their first successful check. */
  readonly alpha: boolean;
  /** Run quorum_down and the real servers' notify_down when the service is removed at shutdown. */
  readonly omega: boolean;
  /** Default Host header of the HTTP checkers. */
  readonly virtualhost?: string;
  /** Leave the service out of the kernel while no VRRP instance holds its address. */
  readonly haSuspend: boolean;
  /** Unset: the global smtp_alert (see resolve.ts). */
  readonly smtpAlert?: boolean;
  readonly realServers: readonly RealServer[];
}

export interface RealServer {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<RealServer>;
  readonly address: string;
  /** Unset: the virtual server's port, or 0 (the client's port) under fwmark (see resolve.ts). */
  readonly port?: number;
  /** 0..65535. */
  readonly weight: number;
  /** Unset: the virtual server's. */
  readonly inhibitOnFailure?: boolean;
  readonly notifyUp?: string;
  readonly notifyDown?: string;
  /** Connection limits: no new connections above uthreshold until below lthreshold (0: no limit). */
  readonly uthreshold?: number;
  readonly lthreshold?: number;
  /** Unset: the virtual server's. */
  readonly lvsMethod?: LbMethod;
  /** Unset: the virtual server's (see resolve.ts checkerTiming). */
  readonly delayLoopMs?: number;
  readonly connectTimeoutMs?: number;
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
  /** None: the real server is always up. */
  readonly checkers: readonly Checker[];
}

/** Timing every checker may override; unset: the real server's, then the virtual server's. */
export interface CheckerTimingSettings {
  readonly delayLoopMs?: number;
  readonly connectTimeoutMs?: number;
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
}

/** Where a network checker connects; unset: the real server's address and port (see resolve.ts). */
export interface CheckerConnectSettings extends CheckerTimingSettings {
  readonly connectIp?: string;
  readonly connectPort?: number;
  /** The local address to connect from. */
  readonly bindto?: string;
  readonly bindPort?: number;
  /** Mark the checker's packets with this firewall mark. */
  readonly fwmark?: number;
}

export interface TcpCheck extends CheckerConnectSettings {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<TcpCheck>;
  readonly kind: 'TCP_CHECK';
}

/** An inclusive range of HTTP status codes; a single code is a range of one. */
export interface StatusCodeRange {
  readonly from: number;
  readonly to: number;
}

export interface HttpUrl {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<HttpUrl>;
  readonly path: string;
  /** MD5 of the body, lowercase hex. */
  readonly digest?: string;
  /** Default: any 2xx. */
  readonly statusCode: readonly StatusCodeRange[];
  /** Unset: the checker's, then the virtual server's (see resolve.ts httpVirtualhost). */
  readonly virtualhost?: string;
  /** The body must match this (or must not, with regexNoMatch). */
  readonly regex?: string;
  readonly regexNoMatch: boolean;
}

export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export interface HttpCheck extends CheckerConnectSettings {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<HttpCheck>;
  readonly kind: 'HTTP_GET' | 'SSL_GET';
  /** At least one; each must pass. */
  readonly url: readonly HttpUrl[];
  readonly virtualhost?: string;
  /** SSL_GET: send SNI (sniName, else the virtualhost). */
  readonly enableSni: boolean;
  readonly sniName?: string;
  /**
   * keepalive's own (`tls_verify`): SSL_GET verifies the server's certificate chain and name (the SNI
   * name, else the virtualhost, else the address). keepalived never verifies, and neither does this
   * unless asked.
   */
  readonly tlsVerify: boolean;
  /** keepalive's own (`tls_ca FILE`): the PEM bundle to verify against instead of the system store. */
  readonly tlsCa?: string;
  /** Unset: HTTP/1.0. */
  readonly httpProtocol?: HttpProtocol;
  /** A failed server counts as up again after one success instead of after the retries. */
  readonly fastRecovery: boolean;
}

export interface MiscCheck extends CheckerTimingSettings {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<MiscCheck>;
  readonly kind: 'MISC_CHECK';
  /** The command line; exit 0 is success. */
  readonly miscPath: string;
  /** Unset: the checker's delay loop (see resolve.ts). */
  readonly miscTimeoutMs?: number;
  /** Exit codes 2..255 set the weight to the code minus 2. */
  readonly miscDynamic: boolean;
  readonly user?: ScriptUser;
}

export const DNS_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'TXT', 'SRV'] as const;
export type DnsType = (typeof DNS_TYPES)[number];

export interface DnsCheck extends CheckerConnectSettings {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<DnsCheck>;
  readonly kind: 'DNS_CHECK';
  readonly type: DnsType;
  readonly name: string;
}

/**
 * FILE_CHECK: a track_file's number drives the real server, as keepalived's does: times the weight
 * (negated with reverse), added to the real server's weight; with weight 0, any non-zero number
 * takes it down. Read at each delay_loop.
 */
export interface FileCheck extends CheckerTimingSettings {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<FileCheck>;
  readonly kind: 'FILE_CHECK';
  /** The track_file's name. */
  readonly trackFile: string;
  /** Unset: the track_file's own weight and reverse. */
  readonly weight?: number;
  readonly reverse?: boolean;
}

/** PING_CHECK: an ICMP or ICMPv6 echo request to the real server (connect_ip); up on its reply. */
export interface PingCheck extends CheckerConnectSettings {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<PingCheck>;
  readonly kind: 'PING_CHECK';
}

/** UDP_CHECK: a datagram to the real server; up unless an ICMP error comes back, or, with requireReply, when a fitting reply does. */
export interface UdpCheck extends CheckerConnectSettings {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<UdpCheck>;
  readonly kind: 'UDP_CHECK';
  /** The datagram, as keepalived's HEX_STR; unset: 16 random bytes each time. */
  readonly payload?: string;
  readonly requireReply: boolean;
  /** The reply must match it as far as both go (HEX_STR, x for a nibble that may be anything). */
  readonly replyPattern?: string;
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}

export interface SmtpCheck extends CheckerConnectSettings {
  readonly at: SourcePos;
  readonly fieldAt: FieldPositions<SmtpCheck>;
  readonly kind: 'SMTP_CHECK';
  /** Unset: the global smtp_helo_name (see resolve.ts). */
  readonly heloName?: string;
}

export type Checker = TcpCheck | HttpCheck | MiscCheck | DnsCheck | SmtpCheck | UdpCheck | PingCheck | FileCheck;
export type CheckerKind = Checker['kind'];

export const VIRTUAL_SERVER_DEFAULTS = {
  protocol: 'TCP',
  lvsSched: 'wlc',
  lvsMethod: 'NAT',
  delayLoopMs: 60_000,
  connectTimeoutMs: 5_000,
  retry: 1,
  sorryServerInhibit: false,
  quorum: 1,
  hysteresis: 0,
  inhibitOnFailure: false,
  alpha: false,
  omega: false,
  haSuspend: false,
  realServers: [],
} as const satisfies Partial<VirtualServer>;

/** persistence_timeout written without a value. */
export const PERSISTENCE_TIMEOUT_DEFAULT_MS = 360_000;

export const VIRTUAL_SERVER_GROUP_DEFAULTS = { entries: [] } as const satisfies Partial<VirtualServerGroup>;

export const REAL_SERVER_DEFAULTS = { weight: 1, checkers: [] } as const satisfies Partial<RealServer>;

export const TCP_CHECK_DEFAULTS = {} as const satisfies Partial<TcpCheck>;
export const HTTP_CHECK_DEFAULTS = { url: [], enableSni: false, fastRecovery: false, tlsVerify: false } as const satisfies Partial<HttpCheck>;
export const HTTP_URL_DEFAULTS = { statusCode: [{ from: 200, to: 299 }], regexNoMatch: false } as const satisfies Partial<HttpUrl>;
export const MISC_CHECK_DEFAULTS = { miscDynamic: false } as const satisfies Partial<MiscCheck>;
export const DNS_CHECK_DEFAULTS = { type: 'SOA', name: '.', connectPort: 53 } as const satisfies Partial<DnsCheck>;
export const SMTP_CHECK_DEFAULTS = { connectPort: 25 } as const satisfies Partial<SmtpCheck>;
export const FILE_CHECK_DEFAULTS = {} as const satisfies Partial<FileCheck>;
export const PING_CHECK_DEFAULTS = {} as const satisfies Partial<PingCheck>;
export const UDP_CHECK_DEFAULTS = { requireReply: false, minReplyLength: 0, maxReplyLength: 255 } as const satisfies Partial<UdpCheck>;
