// keepalived's data dump (/tmp/keepalived.data, written on SIGUSR1), in the layout of keepalived
// 2.2.7's VRRP process: dump_global_data (core/global_data.c), then dump_vrrp_data and the interfaces
// (vrrp/vrrp_data.c, vrrp/vrrp_if.c, vrrp/vrrp_track.c). Pure: the configuration, the VRRP child's
// status and dump facts in, the text out.
//
// Lines keep keepalived's words and order, with keepalive's values: where a line reports a
// keepalived mechanism keepalive does not have, its value says so in keepalived's terms (no SNMP, no
// debounce timer, no gratuitous ARPs after a lower-priority advert). Lines keepalived prints only
// for features keepalive refuses (static routes, BFD, iptables, vrrp_garp_interval groups, ...) are
// not printed, as keepalived leaves them out when they are not configured.
import type { IpRoute, IpRule, KeepaliveConfig, NotifyFifo, TrackRef, VrrpInstance } from '../config/model.ts';
import { trackWeight, vrrpSmtpAlert } from '../config/resolve.ts';
import type { InstanceStatus } from '../control/status.ts';
import { splitCommand } from '../notify/script.ts';
import { address } from '../vrrp/from-config.ts';
import type { InstanceSpec, VirtualAddress } from '../vrrp/spec.ts';
import type { InterfaceFacts, VrrpDumpFacts } from './facts.ts';

export interface DumpInput {
  config: KeepaliveConfig;
  /** The VRRP child's instances, and the facts it adds for the dumps. */
  instances: readonly InstanceStatus[];
  facts: VrrpDumpFacts;
  /** keepalived's local name: the default router_id, HELO name and sender. */
  hostname: string;
  umask: number;
  /** When the status was read (ms since the epoch); its timers count from then. */
  now: number;
}

/** keepalived's state names (get_state_str). */
export function stateName(state: InstanceStatus['state'] | 'initialize'): string {
  return { initialize: 'INIT', backup: 'BACKUP', master: 'MASTER', fault: 'FAULT' }[state];
}

/** A command line as keepalived prints one (cmd_str): each word in single quotes. */
export function commandString(command: string): string {
  let words: string[];
  try {
    words = splitCommand(command);
  } catch {
    return `'${command}'`;
  }
  // A first word that is a redirection only (a shell test for a file) goes unquoted, as in keepalived.
  return words.map((w, i) => (i === 0 && (w.startsWith('<') || w.startsWith('>')) ? w : `'${w}'`)).join(' ');
}

/** An address with its prefix length, unless that is a host's (keepalived's ipaddresstos). */
export function addressWithPrefix(address: string, prefixLength: number): string {
  return prefixLength === (address.includes(':') ? 128 : 32) ? address : `${address}/${prefixLength}`;
}

const RT_TABLE_MAIN = 254;

/** A virtual address as keepalived prints it (format_ipaddress), on `dev` (a VMAC as "vrrp.51@eth0"). */
export function formatVirtualAddress(v: VirtualAddress, dev: string, noTrack: boolean, installed: boolean): string {
  const v6 = v.address.includes(':');
  return [
    addressWithPrefix(v.address, v.prefixLength),
    !v6 && v.broadcast ? ` brd ${v.broadcast}` : '',
    ` dev ${dev}`,
    ` scope ${v.scope ?? 'global'}`,
    v.label ? ` label ${v.label}` : '',
    noTrack ? ' no_track' : '',
    v6 ? ' preferred_lft forever' : '',
    installed ? ' set' : '',
  ].join('');
}

/** A route as keepalived prints one (format_iproute), for what keepalive's routes can say. */
export function formatRoute(r: IpRoute): string {
  const destination = r.prefixLength === 0 ? 'default' : addressWithPrefix(r.destination, r.prefixLength);
  return [
    // keepalived's words for how a route goes in: "prepend" (the kernel's default) for a plain one, "add" for a typed one.
    r.type === 'unicast' ? 'prepend ' : `add ${r.type} `,
    destination,
    r.src ? ` src ${r.src}` : '',
    r.via ? ` via ${r.via.includes(':') ? 'inet6' : 'inet'} ${r.via}` : '',
    r.dev ? ` dev ${r.dev}` : '',
    r.table === RT_TABLE_MAIN ? '' : ` table ${r.table}`,
    ` proto ${r.protocol}`,
    r.scope === undefined ? '' : ` scope ${r.scope}`,
    r.metric === undefined ? '' : ` metric ${r.metric}`,
    r.family === 4 && r.onlink ? ' onlink' : '',
    ...r.nexthops.map((h) => ` nexthop${h.via ? ` via inet${h.via.includes(':') ? '6' : ''} ${h.via}` : ''}${h.dev ? ` dev ${h.dev}` : ''}`
      + `${h.weight === undefined ? '' : ` weight ${h.weight}`}${h.onlink ? ' onlink' : ''}`),
    r.noTrack ? ' no_track' : '',
  ].join('');
}

/** A rule as keepalived prints one (format_iprule), for what keepalive's rules can say. */
export function formatRule(r: IpRule): string {
  const hex = (n: number): string => `0x${n.toString(16)}`;
  return [
    !r.from && !r.to && r.family === 6 ? 'inet6 ' : '',
    r.from ? `from ${addressWithPrefix(r.from.address, r.from.prefixLength)}` : 'from all',
    r.to ? ` to ${addressWithPrefix(r.to.address, r.to.prefixLength)}` : '',
    ` priority ${r.priority}`,
    ' tos 0x0',
    r.fwmark !== undefined || r.fwmask !== undefined ? ` fwmark ${hex(r.fwmark ?? 0)}${r.fwmask !== undefined && r.fwmask !== 0xffffffff ? `/${hex(r.fwmask)}` : ''}` : '',
    r.iif ? ` iif ${r.iif}` : '',
    r.oif ? ` oif ${r.oif}` : '',
    ` lookup ${r.table}`,
    r.noTrack ? ' no_track' : '',
  ].join('');
}

/** "seconds.microseconds (Sat Dec  5 17:02:30.488229 2026)", keepalived's time with ctime_us_r. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const usec = String(Math.round((ms % 1000) * 1000)).padStart(6, '0');
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()]!;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()]!;
  const two = (n: number): string => String(n).padStart(2, '0');
  const clock = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${Math.floor(ms / 1000)}.${usec} (${day} ${month} ${String(d.getDate()).padStart(2, ' ')} ${clock}.${usec} ${d.getFullYear()})`;
}

const onOff = (v: boolean | undefined, set: boolean): string => (!set || v === undefined ? 'unset' : v ? 'on' : 'off');
const yesNo = (v: boolean): string => (v ? 'yes' : 'no');
const trueFalse = (v: boolean): string => (v ? 'true' : 'false');
const seconds = (ms: number): number => Math.floor(ms / 1000);
/** keepalived's C %f and %g. */
const fixed6 = (n: number): string => n.toFixed(6);
const general = (n: number): string => String(Number(n.toPrecision(6)));

/** keepalive's reload runs the whole check first, and refuses a bad configuration; its errors go to the log. */
const RELOAD_CHECK = ' Test config before reload, log to the daemon\'s log';

function fifoLines(label: string, fifo: NotifyFifo | undefined, scriptUser: { uid: number; gid: number }): string[] {
  if (!fifo?.path) return [];
  const owner = fifo.owner ? `${fifo.owner.user}${fifo.owner.group ? `:${fifo.owner.group}` : ''}` : '0:0';
  return [
    ` ${label} = ${fifo.path}, uid:gid ${owner}`,
    ...(fifo.script ? [` ${label} script = ${commandString(fifo.script)}, uid:gid ${scriptUser.uid}:${scriptUser.gid}`] : []),
  ];
}

function globalDefinitions(input: DumpInput): string[] {
  const { config, hostname, facts } = input;
  const g = config.globalDefs;
  const lines = ['------< Global definitions >------'];
  lines.push(` Network namespace = ${g.netNamespace ?? '(default)'}`);
  lines.push(' Network namespace ipvs = (main namespace)');
  lines.push(` Router ID = ${g.routerId ?? hostname}`);
  if (g.smtpServer) {
    lines.push(` Smtp server = ${g.smtpServer.host}`, ` Smtp server port = ${g.smtpServer.port}`);
    lines.push(` Smtp HELO name = ${g.smtpHeloName ?? hostname}`);
    lines.push(` Smtp server connection timeout = ${seconds(g.smtpConnectTimeoutMs)}`);
  } else if (g.smtpHeloName) {
    lines.push(` Smtp HELO name = ${g.smtpHeloName}`);
  }
  const from = g.notificationEmailFrom ?? (g.smtpServer ? `keepalived@${hostname}` : undefined);
  if (from !== undefined) {
    lines.push(` Email notification from = ${from}`, ' Email notification to:', ...g.notificationEmail.map((e) => `   ${e}`));
  }
  lines.push(` Default smtp_alert = ${onOff(g.smtpAlert, g.fieldAt.smtpAlert !== undefined)}`);
  lines.push(` Default smtp_alert_vrrp = ${onOff(g.smtpAlertVrrp, true)}`);
  lines.push(` Default smtp_alert_checker = ${onOff(g.smtpAlertChecker, true)}`);
  lines.push(' Checkers log all failures = false');
  lines.push(RELOAD_CHECK);
  lines.push(' Dynamic interfaces = false');
  lines.push(' Default interface = eth0');
  lines.push(' Disable local IGMP = no');
  const sync = g.lvsSyncDaemon;
  if (sync) {
    const vrid = facts.specs.find((s) => s.name === sync.instance)?.vrid;
    lines.push(` LVS syncd vrrp instance = ${sync.instance}`, ` LVS syncd interface = ${sync.interface}`, ` LVS syncd syncid = ${sync.syncId ?? vrid ?? 0}`);
    if (sync.maxLen !== undefined) lines.push(` LVS syncd maxlen = ${sync.maxLen}`);
    if (sync.group !== undefined) lines.push(` LVS mcast group ${sync.group}`);
    if (sync.port !== undefined) lines.push(` LVS syncd mcast port = ${sync.port}`);
    if (sync.ttl !== undefined) lines.push(` LVS syncd mcast ttl = ${sync.ttl}`);
  }
  lines.push(' LVS flush = false', ' LVS flush on stop = disabled');
  lines.push(...fifoLines('Global notify fifo', g.notifyFifo, facts.scriptUser));
  lines.push(...fifoLines('VRRP notify fifo', g.vrrpNotifyFifo, facts.scriptUser));
  lines.push(...fifoLines('LVS notify fifo', g.lvsNotifyFifo, facts.scriptUser));
  lines.push(' FIFO write vrrp states on reload = false');
  lines.push(' VRRP notify priority changes = false');
  lines.push(` VRRP IPv4 mcast group = ${g.vrrpMcastGroup4}`);
  lines.push(` VRRP IPv6 mcast group = ${g.vrrpMcastGroup6}`);
  lines.push(` Gratuitous ARP delay = ${seconds(g.vrrpGarpMasterDelayMs)}`);
  lines.push(` Gratuitous ARP repeat = ${g.vrrpGarpMasterRepeat}`);
  lines.push(` Gratuitous ARP refresh timer = ${seconds(g.vrrpGarpMasterRefreshMs)}`);
  lines.push(` Gratuitous ARP refresh repeat = ${g.vrrpGarpMasterRefreshRepeat}`);
  // keepalive sends no gratuitous ARPs when a master hears a lower priority: repeat 0.
  lines.push(` Gratuitous ARP lower priority delay = ${seconds(g.vrrpGarpMasterDelayMs)}`);
  lines.push(' Gratuitous ARP lower priority repeat = 0');
  lines.push(' Num adverts before down = 3');
  lines.push(' Gratuitous ARP for each secondary VMAC = 0s');
  // A master that hears a lower priority drops the advert (RFC 5798 6.4.3); one that hears a higher becomes backup.
  lines.push(' Send advert after receive lower priority advert = false');
  lines.push(' Send advert after receive higher priority advert = false');
  lines.push(` Gratuitous ARP interval = ${fixed6(g.vrrpGarpIntervalMs / 1000)}`);
  lines.push(` Gratuitous NA interval = ${fixed6(g.vrrpGnaIntervalMs / 1000)}`);
  lines.push(` VRRP default protocol version = ${g.vrrpVersion}`);
  // keepalive drives nftables (no_accept, and its dataplane) with the nft command, without counters.
  lines.push(' nftables without counters', ' libnftnl version (not linked: keepalive runs nft)');
  lines.push(' VRRP check unicast_src = false');
  lines.push(` VRRP skip check advert addresses = ${trueFalse(g.vrrpSkipCheckAdvAddr)}`);
  lines.push(` VRRP strict mode = ${trueFalse(g.vrrpStrict)}`);
  lines.push(` Max auto priority = ${g.maxAutoPriority === -1 ? 'Disabled' : g.maxAutoPriority ?? 0}`);
  lines.push(' Min auto priority delay = 1000000 usecs');
  // Scheduling, swapping and real-time settings tune keepalived's C processes; keepalive takes none.
  for (const process of ['VRRP', 'Checker', 'BFD']) {
    lines.push(` ${process} process priority = 0`, ` ${process} don't swap = false`, ` ${process} realtime priority = 0`, ` ${process} realtime limit = 10000`);
  }
  lines.push(' SNMP vrrp disabled', ' SNMP checker disabled', ' SNMP RFCv2 disabled', ' SNMP RFCv3 disabled', ' SNMP traps disabled');
  lines.push(' SNMP socket = default (unix:/var/agentx/master)');
  lines.push(' DBus disabled', ' DBus service name = ');
  lines.push(` Script security ${g.enableScriptSecurity ? 'enabled' : 'disabled'}`);
  lines.push(` Default script uid:gid ${facts.scriptUser.uid}:${facts.scriptUser.gid}`);
  for (const name of ['vrrp_netlink_cmd', 'vrrp_netlink_monitor', 'process_monitor', 'lvs_netlink_cmd', 'lvs_netlink_monitor']) {
    lines.push(` ${name}_rcv_bufs = 0`, ` ${name}_rcv_bufs_force = 0`);
  }
  lines.push(' rs_init_notifies = 0', ' no_checker_emails = 0');
  lines.push(' rx_bufs_multiples = 3');
  lines.push(` umask = 0${input.umask.toString(8)}`);
  if (g.vrrpStartupDelayMs > 0) lines.push(` vrrp_startup_delay = ${general(g.vrrpStartupDelayMs / 1000)}`);
  return lines;
}

/** Track references with the weights they apply; an instance's own interface at weight 0 (`primary`) left out. */
export function weighted(refs: readonly TrackRef[], tracker: (name: string) => { weight: number; reverse: boolean } | undefined, primary?: string) {
  return refs.map((t) => ({ name: t.name, ...trackWeight(t, tracker(t.name)) })).filter((t) => !(t.name === primary && t.weight === 0));
}

/** An instance's virtual addresses (or its excluded ones) as keepalived prints them. */
export function instanceAddresses(i: InstanceStatus, spec: InstanceSpec, conf: VrrpInstance | undefined, list: readonly VirtualAddress[]): string[] {
  const noTrack = new Set([...conf?.virtualIpaddress ?? [], ...conf?.virtualIpaddressExcluded ?? []].filter((v) => v.noTrack).map((v) => v.address));
  return list.map((v) => formatVirtualAddress(v, v.device ?? (spec.vmac ? `${spec.vmac}@${spec.interface}` : spec.interface), noTrack.has(v.address), i.state === 'master'));
}

/** What a vrrp_instance or vrrp_sync_group tracks, as written. */
interface TrackLists {
  readonly trackInterface: readonly TrackRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
}

/**
 * "   Tracked scripts :" and the like, each tracker with the weight it applies. keepalived leaves out
 * an instance's own interface with weight 0 (`primary`): it is tracked anyway. A sync group's
 * trackers apply no weight (a failure faults every member), and it heads its processes
 * "Tracked process :", where an instance has "Tracked processes :", as keepalived does.
 */
function trackedLines(config: KeepaliveConfig, lists: TrackLists, owner: { group: true } | { primary: string }): string[] {
  const scripts = new Map(config.vrrpScripts.map((s) => [s.name, s]));
  const files = new Map(config.trackFiles.map((f) => [f.name, f]));
  const processes = new Map(config.vrrpTrackProcesses.map((p) => [p.name, p]));
  const list = (heading: string, refs: readonly TrackRef[], tracker: (name: string) => { weight: number; reverse: boolean } | undefined, comma: string): string[] => {
    const refsApplied = 'group' in owner ? refs.map((t) => ({ ...t, weight: 0, reverse: false })) : refs;
    const lines = weighted(refsApplied, tracker, 'primary' in owner ? owner.primary : undefined).map((t) => `     ${t.name}${comma} weight ${t.weight}${reverse(t)}`);
    return lines.length > 0 ? [`   ${heading} :`, ...lines] : [];
  };
  return [
    ...list('Tracked interfaces', lists.trackInterface, () => undefined, ''),
    ...list('Tracked scripts', lists.trackScript, (n) => scripts.get(n), ''),
    ...list('Tracked files', lists.trackFile, (n) => files.get(n), ','),
    ...list('group' in owner ? 'Tracked process' : 'Tracked processes', lists.trackProcess, (n) => processes.get(n), ','),
  ];
}

const reverse = (t: { reverse: boolean }): string => (t.reverse ? ' reverse' : '');

function notifyLines(notify: InstanceSpec['notify'], user: { uid: number; gid: number }): string[] {
  const kinds: [keyof InstanceSpec['notify'], string][] = [['backup', 'Backup'], ['master', 'Master'], ['fault', 'Fault'], ['stop', 'Stop'], ['any', 'Generic']];
  return kinds.filter(([k]) => notify[k]).map(([k, label]) => `   ${label} state transition script = ${commandString(notify[k]!)}, uid:gid ${user.uid}:${user.gid}`);
}

function instanceLines(input: DumpInput, i: InstanceStatus, spec: InstanceSpec): string[] {
  const { config, facts } = input;
  const g = config.globalDefs;
  const conf = config.vrrpInstances.find((c) => c.name === i.name);
  const lines = [` VRRP Instance = ${i.name}`, `   VRRP Version = ${spec.version}`];
  if (spec.syncGroup) lines.push(`   Sync group = ${spec.syncGroup}`);
  if (spec.family === 6) lines.push('   Using Native IPv6');
  lines.push(`   State = ${stateName(i.state)}`);
  if (i.state === 'backup') {
    lines.push(`   Master router = ${i.masterAddress ?? (spec.family === 6 ? '::' : '0.0.0.0')}`, `   Master priority = ${i.masterPriority ?? 0}`);
    if (spec.version === 3) lines.push(`   Master advert int = ${(i.timers.masterAdverIntervalCs / 100).toFixed(2)} sec`);
  }
  const sourceFromConfig = spec.unicast?.source !== undefined || spec.multicastSource !== undefined;
  const checkUnicastSource = spec.unicast?.peers.some((p) => p.minTtl !== undefined || p.maxTtl !== undefined) ?? false;
  const otherFamilyExcluded = spec.excludedAddresses.some((v) => (v.address.includes(':') ? 6 : 4) !== spec.family);
  // keepalived's instance flags: any set prints "Flags:", with a line for unicast.
  const flagged = !spec.preempt || !spec.trackPrimary || spec.skipCheckAdvertAddresses || sourceFromConfig || spec.unicast !== undefined
    || checkUnicastSource || otherFamilyExcluded || spec.vmac !== undefined;
  lines.push(flagged ? '   Flags:' : '   Flags: none');
  if (flagged && spec.unicast) lines.push('     Using unicast');
  lines.push(`   Wantstate = ${stateName(i.state)}`);
  lines.push('   Number of config faults = 0');
  lines.push(`   Number of interface and track script faults = ${i.faults.length}`);
  const initializing = spec.trackScripts.filter((t) => !facts.scripts.find((s) => s.name === t.name)?.initialized).length;
  lines.push(`   Number of track scripts init = ${initializing}`);
  lines.push(`   Last transition = ${formatTimestamp(Date.parse(i.lastTransitionAt ?? new Date(input.now).toISOString()))}`);
  const wakeIn = i.timers.nextAdvertInMs ?? i.timers.masterDownInMs;
  lines.push(wakeIn === undefined ? '   Read timeout = DISABLED' : `   Read timeout = ${formatTimestamp(input.now + wakeIn)}`);
  lines.push(`   Master down timer = ${Math.round(i.timers.masterDownIntervalMs * 1000)} usecs`);
  if (spec.vmac) {
    const vmac = facts.interfaces.find((f) => f.name === spec.vmac);
    const up = vmac !== undefined && (vmac.flags & IFF_UP) !== 0;
    lines.push(`   Use VMAC, i/f name ${spec.vmac}, is_up = ${trueFalse(up)}, xmit_base = ${trueFalse(conf?.vmacXmitBase ?? false)}`);
    lines.push(`   Interface = ${spec.vmac}, vmac on ${spec.interface}${conf?.vmacXmitBase ? ', xmit base i/f' : ''}`);
  } else {
    lines.push(`   Interface = ${spec.interface}`);
  }
  if (!spec.trackPrimary) lines.push('   VRRP interface tracking disabled');
  if (spec.skipCheckAdvertAddresses) lines.push('   Skip checking advert IP addresses');
  if (g.vrrpStrict) lines.push('   Enforcing strict VRRP compliance');
  lines.push(`   Using src_ip = ${i.sourceAddress ?? '(none)'}${sourceFromConfig ? ' (from configuration)' : ''}`);
  if (!spec.unicast) {
    const ifindex = facts.interfaces.find((f) => f.name === (spec.vmac ?? spec.interface))?.index ?? 0;
    lines.push(spec.family === 4 ? `   Multicast address ${spec.multicastGroup}` : `   Multicast address ${spec.multicastGroup}, ifindex ${ifindex}`);
  }
  lines.push(`   Gratuitous ARP delay = ${seconds(spec.garp.delayMs)}`, `   Gratuitous ARP repeat = ${spec.garp.repeat}`);
  lines.push(`   Gratuitous ARP refresh = ${seconds(spec.garp.refreshMs)}`, `   Gratuitous ARP refresh repeat = ${spec.garp.refreshRepeat}`);
  lines.push(`   Gratuitous ARP lower priority delay = ${seconds(spec.garp.delayMs)}`, '   Gratuitous ARP lower priority repeat = 0');
  lines.push('   Down timer adverts = 3');
  lines.push('   Send advert after receive lower priority advert = false', '   Send advert after receive higher priority advert = false');
  lines.push(`   Virtual Router ID = ${spec.vrid}`, `   Priority = ${spec.priority}`);
  lines.push(`   Effective priority = ${i.priority.effective}`, `   Total priority = ${i.priority.effective}`);
  lines.push(spec.version === 2 ? `   Advert interval = ${Math.floor(spec.intervalCs / 100)} sec` : `   Advert interval = ${spec.intervalCs * 10} milli-sec`);
  if (i.state === 'backup' && spec.version === 3) lines.push(`   Master advert interval = ${i.timers.masterAdverIntervalCs * 10} milli-sec`);
  lines.push(`   Accept = ${spec.acceptMode ? 'enabled' : 'disabled'}`, `   Preempt = ${spec.preempt ? 'enabled' : 'disabled'}`);
  if (spec.preemptDelayMs > 0) lines.push(`   Preempt delay = ${general(spec.preemptDelayMs / 1000)} secs`);
  lines.push('   Promote_secondaries = disabled');
  const auth = spec.authentication;
  if (auth?.type === 'AH') lines.push('   Authentication type = IPSEC_AH');
  else if (auth) lines.push('   Authentication type = SIMPLE_PASSWORD', `   Password = ${auth.password}`);
  else if (spec.version === 2) lines.push('   Authentication type = none');
  const addresses = (list: readonly VirtualAddress[]): string[] => instanceAddresses(i, spec, conf, list).map((a) => `     ${a}`);
  if (spec.virtualAddresses.length > 0) lines.push(`   Virtual IP (${spec.virtualAddresses.length}):`, ...addresses(spec.virtualAddresses));
  if (spec.excludedAddresses.length > 0) lines.push('   Virtual IP Excluded :', ...addresses(spec.excludedAddresses));
  if (spec.unicast) {
    lines.push(`   Check unicast src : ${yesNo(checkUnicastSource)}`, '   Unicast Peer :');
    for (const p of spec.unicast.peers) lines.push(`     ${p.address} min_ttl ${p.minTtl ?? 0} max_ttl ${p.maxTtl ?? 255}`);
    lines.push('   Unicast checksum compatibility = no');
  }
  // Adverts are received on the interface and sent from the VMAC, if the instance has one.
  const protocol = auth?.type === 'AH' ? 'AH' : 'VRRP';
  const fd = (ifname: string): number | undefined => facts.sockets.find((s) => s.interface === ifname && s.family === spec.family && s.protocol === protocol)?.fd;
  const [fdIn, fdOut] = [fd(spec.interface), fd(spec.vmac && !conf?.vmacXmitBase ? spec.vmac : spec.interface)];
  lines.push(fdIn !== undefined && fdOut !== undefined ? `   fd_in ${fdIn}, fd_out ${fdOut}` : '   No sockets allocated');
  if (spec.virtualRoutes.length > 0) lines.push('   Virtual Routes :', ...spec.virtualRoutes.map((r) => `     ${formatRoute(r)}`));
  if (spec.virtualRules.length > 0) lines.push('   Virtual Rules :', ...spec.virtualRules.map((r) => `     ${formatRule(r)}`));
  if (conf) lines.push(...trackedLines(config, conf, { primary: spec.interface }));
  lines.push(`   Using smtp notification = ${yesNo(spec.smtpAlert)}`, '   Notify deleted = Fault');
  lines.push(...notifyLines(spec.notify, facts.scriptUser));
  lines.push('   Notify priority changes = false');
  return lines;
}

/** One socket per interface and family here, carrying every instance there (unicast or multicast). */
function socketPool(input: DumpInput): string[] {
  const lines: string[] = [];
  for (const s of input.facts.sockets) {
    const on = input.facts.specs.filter((spec) => ((spec.vmac ?? spec.interface) === s.interface || spec.interface === s.interface) && spec.family === s.family
      && (s.protocol === 'AH') === (spec.authentication?.type === 'AH'));
    const unicast = on.length > 0 && on.every((spec) => spec.unicast);
    lines.push(` fd_in ${s.fd} fd_out = ${s.fd}`, `   Interface = ${s.interface}`, `   Family = IPv${s.family}`, `   Protocol = ${s.protocol}`);
    lines.push(`   Type = ${unicast ? 'Unicast' : 'Multicast'}`);
    if (unicast) {
      const source = input.instances.find((i) => i.name === on[0]!.name)?.sourceAddress;
      if (source) lines.push(`   Address = ${source}`);
    }
    lines.push(`   Rx buf size = ${s.receiveBufferBytes}`, '   VRRP instances', ...on.map((spec) => `     ${spec.name} vrid ${spec.vrid}`));
  }
  return lines;
}

function syncGroups(input: DumpInput): string[] {
  const { config, facts } = input;
  const lines: string[] = [];
  for (const group of config.vrrpSyncGroups) {
    const state = facts.syncGroups.find((s) => s.name === group.name)?.state;
    const members = input.instances.filter((i) => group.group.some((m) => m.name === i.name));
    lines.push(` VRRP Sync Group = ${group.name}, ${state === undefined || state === 'STOP' ? 'INIT' : state}`);
    lines.push(`   Num member fault ${members.filter((m) => m.state === 'fault').length}, num member init ${members.filter((m) => m.state === 'initialize').length}`);
    if (group.group.length > 0) lines.push('   VRRP member instances :', ...group.group.map((m) => `     ${m.name}`));
    lines.push(`   Using smtp notification = ${yesNo(vrrpSmtpAlert(config.globalDefs, group.smtpAlert))}`);
    lines.push(...trackedLines(config, group, { group: true }));
    lines.push(...notifyLines({
      ...(group.notifyBackup ? { backup: group.notifyBackup } : {}), ...(group.notifyMaster ? { master: group.notifyMaster } : {}),
      ...(group.notifyFault ? { fault: group.notifyFault } : {}), ...(group.notifyStop ? { stop: group.notifyStop } : {}), ...(group.notify ? { any: group.notify } : {}),
    }, facts.scriptUser));
  }
  return lines;
}

/** "   Tracking instances :" and a line per instance that uses the tracker, with the weight it applies there. */
function trackingInstances(specs: readonly InstanceSpec[], uses: (spec: InstanceSpec) => { weight: number; reverse: boolean } | undefined): string[] {
  const lines = specs.flatMap((spec) => {
    const use = uses(spec);
    return use ? [`     ${spec.name}, weight ${use.weight}${reverse(use)}`] : [];
  });
  return lines.length > 0 ? ['   Tracking instances :', ...lines] : [];
}

/** A section's blocks: one per configured tracker the VRRP child runs, in the configuration's order. */
function trackerBlocks<C extends { name: string }, R extends { name: string }>(configured: readonly C[], running: readonly R[], block: (c: C, r: R) => string[]): string[] {
  return configured.flatMap((c) => {
    const r = running.find((x) => x.name === c.name);
    return r ? block(c, r) : [];
  });
}

function scriptsSection({ config, facts }: DumpInput): string[] {
  return trackerBlocks(config.vrrpScripts, facts.scripts, (s, run) => [
    ` VRRP Script = ${s.name}`, `   Command = ${commandString(s.script)}`,
    `   Interval = ${seconds(s.intervalMs)} sec`, `   Timeout = ${seconds(s.timeoutMs ?? 0)} sec`,
    `   Weight = ${s.weight}${reverse(s)}`, `   Rise = ${s.rise}`, `   Fall = ${s.fall}`,
    // keepalived's result moves between 0 and rise+fall-1, GOOD from rise up.
    `   Result = ${run.ok ? s.rise + s.fall - 1 - run.streak : run.streak}`,
    `   Insecure = ${yesNo(run.insecure)}`, `   Init state = ${run.initialized ? 'unknown' : s.initFail ? 'INIT/FAILED' : 'INIT'}`,
    `   Status = ${run.ok ? 'GOOD' : 'BAD'}`, `   Script uid:gid = ${run.uid}:${run.gid}`, '   VRRP instances :',
    ...trackingInstances(facts.specs, (spec) => spec.trackScripts.find((t) => t.name === s.name)),
    `   State = ${run.running ? 'running' : 'idle'}`,
  ]);
}

function trackFilesSection({ config, facts }: DumpInput): string[] {
  return trackerBlocks(config.trackFiles, facts.files, (f, run) => [
    ` Track file = ${f.name}`, `   File = ${f.file}`, `   Status = ${run.value}`, `   Weight = ${f.weight}${reverse(f)}`,
    ...trackingInstances(facts.specs, (spec) => spec.trackFiles.find((t) => t.name === f.name)),
  ]);
}

function trackProcessesSection({ config, facts }: DumpInput): string[] {
  return trackerBlocks(config.vrrpTrackProcesses, facts.processes, (p, run) => [
    ` VRRP Track process = ${p.name}`, `   Process = ${p.process}`,
    ...(p.params.length > 0 ? [`   Parameters = ${p.params.join(' ')}`] : []),
    ...(p.paramMatch ? [`   Param match = ${p.paramMatch}`] : p.params.length > 0 ? ['   Param match'] : []),
    `   Min processes = ${p.quorum}`,
    ...(p.quorumMax !== undefined ? [`   Max processes = ${p.quorumMax}`] : []),
    `   Current processes = ${run.count}`, `   Have quorum = ${trueFalse(run.ok ?? false)}`, `   Weight = ${p.weight}${reverse(p)}`,
    `   Terminate delay = ${fixed6(p.terminateDelayMs / 1000)}s`, `   Fork delay = ${fixed6(p.forkDelayMs / 1000)}s`,
    `   Fork delay timer ${run.delaying === 'fork' ? '' : 'not '}running`, `   Terminate delay timer ${run.delaying === 'terminate' ? '' : 'not '}running`,
    `   Full command = ${trueFalse(p.fullCommand)}`,
    ...trackingInstances(facts.specs, (spec) => spec.trackProcesses.find((t) => t.name === p.name)),
  ]);
}

const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_POINTOPOINT = 0x10;
const IFF_RUNNING = 0x40;
const IFF_NOARP = 0x80;
const IFF_MULTICAST = 0x1000;
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;

const upRunning = (flags: number): string => `${flags & IFF_UP ? '' : 'not '}UP, ${flags & IFF_RUNNING ? '' : 'not '}RUNNING`;

function interfaceLines(f: InterfaceFacts, specs: readonly InstanceSpec[]): string[] {
  const lines = [` Name = ${f.name}`, `   index = ${f.index}`, `   IPv4 address = ${f.ipv4[0] ?? '(none)'}`];
  if (f.ipv4.length > 1) lines.push('   Additional IPv4 addresses :', ...f.ipv4.slice(1).map((a) => `     ${a}`));
  lines.push(`   IPv6 address = ${f.ipv6[0] ?? '(none)'}`);
  if (f.ipv6.length > 1) lines.push('   Additional IPv6 addresses :', ...f.ipv6.slice(1).map((a) => `     ${a}`));
  if (f.hardwareType !== ARPHRD_LOOPBACK && f.mac) lines.push(`   MAC = ${f.mac}`, `   MAC broadcast = ${f.broadcastMac}`);
  lines.push(`   State = ${upRunning(f.flags)}${f.flags & IFF_BROADCAST ? '' : ', no broadcast'}${f.flags & IFF_LOOPBACK ? ', loopback' : ''}`
    + `${f.flags & IFF_POINTOPOINT ? ', point to point' : ''}${f.flags & IFF_NOARP ? ', no arp' : ''}${f.flags & IFF_MULTICAST ? '' : ', no multicast'}`
    + `${f.macvlan && !(f.macvlan.parentFlags & IFF_UP) ? ', master down' : ''}`);
  // keepalive follows links through rtnetlink events at once: no debounce, no delayed state change.
  lines.push(`   Seen up = ${f.seenUp ? 1 : 0}`, '   Delayed state change running = false', '   Up debounce timer = 0us', '   Down debounce timer = 0us');
  if (f.macvlan) lines.push(`   VMAC type ${f.macvlan.mode}, underlying interface = ${f.macvlan.parent}, state = ${upRunning(f.macvlan.parentFlags)}`);
  if (f.ours) lines.push('   I/f created by keepalived');
  if (f.mtu !== undefined) lines.push(`   MTU = ${f.mtu}`);
  lines.push(`   HW Type = ${f.hardwareType === ARPHRD_ETHER ? 'ETHERNET' : f.hardwareType === ARPHRD_LOOPBACK ? 'LOOPBACK' : `UNKNOWN (${f.hardwareType})`}`);
  lines.push('   NIC netlink status update');
  // keepalive never changes these settings: what they are is what they were.
  lines.push('   Reset ARP config counter 0', `   Original arp_ignore ${f.sysctl.arpIgnore}`, `   Original arp_filter ${f.sysctl.arpFilter}`);
  lines.push(`   Original promote_secondaries ${f.sysctl.promoteSecondaries}`, '   Reset promote_secondaries counter 0');
  const tracking = specs.flatMap((spec) => {
    const own = (spec.vmac ?? spec.interface) === f.name || spec.interface === f.name;
    const tracked = spec.trackInterfaces.find((t) => t.name === f.name);
    if (own && spec.trackPrimary) return [`     ${spec.name}, weight 0`];
    return tracked ? [`     ${spec.name}, weight ${tracked.weight}${reverse(tracked)}`] : [];
  });
  if (tracking.length > 0) lines.push('   Tracking VRRP instances :', ...tracking);
  return lines;
}

/** The data dump: keepalived's dump_data_vrrp. */
export function formatDataDump(input: DumpInput): string {
  const { facts } = input;
  const { config } = input;
  const lines = globalDefinitions(input);
  const section = (title: string, body: string[]): void => {
    if (body.length > 0) lines.push(`------< ${title} >------`, ...body);
  };
  // Static addresses are on their interfaces for as long as keepalive runs.
  section('Static Addresses', config.staticIpaddress.map((a) => `     ${formatVirtualAddress(address(a), a.dev ?? '', a.noTrack, true)}`));
  section('Static Routes', config.staticRoutes.map((r) => `     ${formatRoute(r)}`));
  section('Static Rules', config.staticRules.map((r) => `     ${formatRule(r)}`));
  section('VRRP Topology', input.instances.flatMap((i) => {
    const spec = facts.specs.find((s) => s.name === i.name);
    return spec ? instanceLines(input, i, spec) : [];
  }));
  section('VRRP Sockpool', socketPool(input));
  section('VRRP Sync groups', syncGroups(input));
  section('VRRP Scripts', scriptsSection(input));
  section('VRRP Track files', trackFilesSection(input));
  section('VRRP Track processes', trackProcessesSection(input));
  section('Interfaces', facts.interfaces.flatMap((f) => interfaceLines(f, facts.specs)));
  return `${lines.join('\n')}\n`;
}
