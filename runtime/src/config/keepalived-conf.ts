// keepalived.conf into the model: what each keyword means. Every keyword is either handled here or an
// error naming it: keepalived keywords keepalive does not implement get their own message (see
// KEEPALIVED_ONLY), anything else is unknown. Semantic checks across nodes are validate.ts's.
import { finishNode, newDraft, setField, type Draft } from './build.ts';
import { Diagnostics } from './diagnostics.ts';
import { parseKeepalivedSyntax, type Statement, type Token } from './keepalived-syntax.ts';
import type { Spelling } from './validate.ts';
import { parseRoute, parseRule, RulePriorities, type Report } from './routes.ts';
import {
  DNS_CHECK_DEFAULTS, DNS_TYPES, GLOBAL_DEFAULTS, HTTP_CHECK_DEFAULTS, HTTP_URL_DEFAULTS, LB_DATAPLANES, LB_SCHEDULERS, MISC_CHECK_DEFAULTS,
  PERSISTENCE_TIMEOUT_DEFAULT_MS, REAL_SERVER_DEFAULTS, SMTP_CHECK_DEFAULTS, SMTP_DEFAULT_PORT, UDP_CHECK_DEFAULTS, PING_CHECK_DEFAULTS, FILE_CHECK_DEFAULTS, SYNC_GROUP_DEFAULTS, TCP_CHECK_DEFAULTS,
  TRACK_FILE_DEFAULTS, TRACK_PROCESS_DEFAULTS, VIRTUAL_SERVER_DEFAULTS, VIRTUAL_SERVER_GROUP_DEFAULTS, VRRP_INSTANCE_DEFAULTS, VRRP_SCRIPT_DEFAULTS,
  type Checker, type CheckerConnectSettings, type CheckerTimingSettings, type DnsCheck, type HttpCheck, type HttpUrl, type MiscCheck,
  type RealServer, type SmtpCheck, type TcpCheck, type UdpCheck, type PingCheck, type FileCheck, type VirtualServer, type VirtualServerGroup, type VirtualServerGroupEntry, type GlobalDefs, type GroupMember, type InitialState, type KeepaliveConfig, type LvsSyncDaemon, type ScriptUser, type SourcePos, type SslSettings, type TrackFile, type TrackRef,
  type IpRoute, type IpRule, type UnicastPeer, type VirtualAddress, type VrrpInstance, type VrrpScript, type VrrpSyncGroup, type VrrpTrackProcess,
} from './model.ts';
import {
  authPassword, defaultVmacName, parseAuthType, parseBooleanWord, parseDigest, parseGranularity, parseInteger, parseIp, parseIpWithPrefix,
  parseGroupEntry, parseLbMethod, parseLbProtocol, parseOneOf, parseScope, parseStatusRange, secondsToUnits, ValueError,
} from './values.ts';

/** keepalived keywords that keepalive will support but does not yet, with what to do meanwhile. */
const NOT_YET: ReadonlyMap<string, string> = new Map([
  ['lvs_flush', 'keepalive changes the IPVS table by differences and never flushes it'],
  ['lvs_flush_onstop', 'keepalive removes only the services it added'],
  ['lvs_timeouts', 'set the IPVS timeouts with ipvsadm --set'],
]);

/** keepalived keywords that keepalive does not implement. */
const KEEPALIVED_ONLY = new Set([
  // top level
  'linkbeat_interfaces', 'interface_up_down_delays', 'track_group',
  'garp_group', 'bfd_instance', 'net_namespace_ipvs', 'instance', 'child_wait_time',
  'includer', 'includem', 'includew', 'includeb', 'includea', 'include_check',
  // global_defs
  'no_email_faults', 'vrrp_garp_lower_prio_delay', 'vrrp_garp_lower_prio_repeat', 'vrrp_min_garp', 'vrrp_garp_extra_if',
  'vrrp_iptables', 'vrrp_ipsets', 'nftables', 'nftables_ipvs', 'nftables_priority', 'nftables_ifindex', 'nftables_counters',
  'startup_script', 'startup_script_timeout', 'shutdown_script', 'shutdown_script_timeout',
  'reload_check_config', 'reload_file', 'reload_time_file', 'reload_repeat', 'config_save_dir', 'config_test',
  'enable_snmp_vrrp', 'enable_snmp_keepalived', 'enable_snmp_checker', 'enable_snmp_rfc', 'enable_snmp_rfcv2', 'enable_snmp_rfcv3',
  'enable_traps', 'snmp_socket', 'enable_dbus', 'enable_dbus_instance', 'json_version', 'dynamic_interfaces', 'process_names',
  'vrrp_process_name', 'checker_process_name', 'bfd_process_name', 'vrrp_lower_prio_no_advert', 'vrrp_higher_prio_send_advert',
  'vrrp_check_unicast_src',
  'vrrp_owner_ignore_adverts', 'checker_log_all_failures', 'use_pid_dir', 'umask', 'random_seed',
  'no_checker_emails', 'default_interface', 'local_name',
  // virtual_server, real_server and checkers
  'persistence_engine', 'ops', 'sorry_server_lvs_method', 'ip_family', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback',
  'flag-1', 'flag-2', 'flag-3', 'quorum_up_all', 'ICMP_CHECK', 'BFD_CHECK',
  'log_all_failures', 'bind_if', 'source_ip', 'tls_compliant', 'regex_options', 'regex_stack', 'regex_min_offset',
  'regex_max_offset', 'host', 'dynamic', 'rs_init_notifies', 'notify_up_all', 'notify_down_all',
  // vrrp_instance and vrrp_sync_group
  'debug', 'strict_mode', 'track_bfd', 'mcast_dst_ip', 'unicast_ttl',
  'check_unicast_src', 'unicast_fault_no_peer', 'notify_master_rx_lower_pri', 'notify_priority_changes',
  'notify_deleted', 'track_src_ip', 'promote_secondaries', 'use_ipvlan', 'use_vmac_addr', 'vrf', 'down_timer_adverts',
  'timer_expired_backup', 'old_unicast_checksum', 'v3_checksum_as_v2', 'auth_hmac', 'garp_lower_prio_delay',
  'garp_lower_prio_repeat', 'lower_prio_no_advert', 'higher_prio_send_advert', 'native_ipv6',
  'linkbeat_use_polling', 'garp_extra_if', 'skip_check_adv_addr', 'sync_group_tracking_weight', 'global_tracking',
]);

/** keepalived's virtual_ipaddress options that keepalive does not implement. */
const KEEPALIVED_ONLY_ADDRESS_OPTIONS = new Set(['peer', 'home', '-nodad', 'noprefixroute', 'autojoin', 'preferred_lft', 'use_vmac', 'track_group']);

/**
 * keepalived keywords that only tune its C implementation (the scheduling, memory and socket buffers of
 * its processes; keepalived.conf(5) global_defs, kernel_rx_buf_size in vrrp_instance): accepted with a
 * warning where keepalived reads them, since what they ask for has no counterpart here; anywhere else
 * they are unknown keywords, as in keepalived.
 */
const C_TUNING: ReadonlyMap<string, { readonly block: string; readonly what: string }> = new Map([
  ...['vrrp', 'checker', 'bfd'].flatMap((p) => [
    [`${p}_priority`, 'the nice value of its process'],
    [`${p}_rt_priority`, 'the realtime priority of its process'],
    [`${p}_cpu_affinity`, 'the CPUs its process runs on'],
    [`${p}_no_swap`, 'locking its process in memory'],
    [`${p}_rlimit_rttime`, 'the CPU time its realtime process may take'],
  ] as const),
  ['min_auto_priority_delay', 'when its processes take realtime priority'],
  ['vrrp_rx_bufs_policy', 'the receive buffers of its VRRP sockets'],
  ['vrrp_rx_bufs_multiplier', 'the receive buffers of its VRRP sockets'],
  ...['vrrp', 'lvs'].flatMap((p) => ['cmd', 'monitor'].flatMap((k) => [`${p}_netlink_${k}_rcv_bufs`, `${p}_netlink_${k}_rcv_bufs_force`]))
    .map((k) => [k, 'the receive buffers of its netlink sockets'] as const),
  ['process_monitor_rcv_bufs', 'the receive buffers of its process-events socket'],
  ['process_monitor_rcv_bufs_force', 'the receive buffers of its process-events socket'],
].map(([keyword, what]): [string, { block: string; what: string }] => [keyword, { block: 'global_defs', what }]).concat([
  ['kernel_rx_buf_size', { block: 'vrrp_instance', what: 'the receive buffer of its VRRP socket' }],
]));

function refuse(keyword: Token, context: string, diagnostics: Diagnostics): void {
  const name = keyword.text;
  const tuning = C_TUNING.get(name);
  if (tuning && context.split(' ')[0] === tuning.block) {
    diagnostics.warn(keyword.at, `"${name}" is ignored: it only tunes keepalived's C implementation (${tuning.what})`);
    return;
  }
  const meanwhile = NOT_YET.get(name);
  if (meanwhile !== undefined) diagnostics.error(keyword.at, `"${name}" is not supported yet: ${meanwhile}`);
  else if (KEEPALIVED_ONLY.has(name)) diagnostics.error(keyword.at, `"${name}" is a keepalived keyword that keepalive does not support`);
  else diagnostics.error(keyword.at, `unknown keyword "${name}" in ${context}`);
}

/** The model's settings as keepalived.conf writes them, for messages: advertIntCs 50 -> advert_int 0.5 s. */
/** Settings whose keepalived keyword is not their name in snake_case. */
const KEYWORD_OF: Readonly<Record<string, string>> = { replyPattern: 'require_reply' };

export const keepalivedSpelling: Spelling = {
  setting: (key) => KEYWORD_OF[key] ?? key.replace(/(Ms|Cs)$/, '').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
  value: (key, value) => (key.endsWith('Ms') ? `${value / 1000} s` : key.endsWith('Cs') ? `${value / 100} s` : `${value}`),
};

/** A command line from a statement's words: one quoted word is the whole line, as keepalived reads it. */
function commandLine(words: readonly Token[]): string {
  if (words.length === 1) return words[0]!.text;
  return words.map((w) => (/[\s'"]/.test(w.text) ? (w.text.includes('"') ? `'${w.text}'` : `"${w.text}"`) : w.text)).join(' ');
}

type Handler<T> = (s: Statement, draft: Draft<T>) => void;

/** Reads statements into a draft: handlers by keyword, and the shared checks of words and blocks. */
class Reader {
  readonly diagnostics: Diagnostics;
  /** Preferences for rules that give none, counted over the whole configuration (see routes.ts). */
  readonly rulePriorities = new RulePriorities();
  readonly report: Report;

  constructor(diagnostics: Diagnostics) {
    this.diagnostics = diagnostics;
    this.report = { fail: (at, message) => this.fail(at, message), warn: (at, message) => diagnostics.warn(at, message) };
  }

  /** The entries of a virtual_routes or static_routes block. */
  routes(s: Statement): IpRoute[] {
    return this.entries(s, (words) => parseRoute(words, s.keyword.text, this.report));
  }

  /** The entries of a virtual_rules or static_rules block, without those keepalived skips. */
  rules(s: Statement): IpRule[] {
    return this.entries(s, (words) => parseRule(words, s.keyword.text, this.report, this.rulePriorities)).filter((rule) => rule !== undefined);
  }

  /** Runs `handlers` over a block's statements; statements with bad values are reported and skipped. */
  block<T>(statements: readonly Statement[], context: string, handlers: Readonly<Record<string, Handler<T>>>, draft: Draft<T>): void {
    for (const s of statements) {
      const handler = Object.hasOwn(handlers, s.keyword.text) && !s.keyword.quoted ? handlers[s.keyword.text] : undefined;
      if (!handler) {
        refuse(s.keyword, context, this.diagnostics);
        continue;
      }
      try {
        handler(s, draft);
      } catch (error) {
        if (!(error instanceof ValueError)) throw error;
      }
    }
  }

  /** Reports a value error at `at` and abandons the statement. */
  fail(at: SourcePos, message: string): never {
    this.diagnostics.error(at, message);
    throw new ValueError(message);
  }

  /** Converts one word, reporting a bad value at the word. */
  convert<V>(word: Token, keyword: Token, convert: (text: string) => V): V {
    try {
      return convert(word.text);
    } catch (error) {
      if (error instanceof ValueError) this.fail(word.at, `${keyword.text}: ${error.message}`);
      throw error;
    }
  }

  /** The statement's words, checking their number and that it has no block. */
  words(s: Statement, min: number, max: number): readonly Token[] {
    if (s.block) this.fail(s.keyword.at, `${s.keyword.text} does not take a { } block`);
    if (s.args.length < min || s.args.length > max) {
      const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      this.fail(s.keyword.at, `${s.keyword.text} takes ${expected} argument${max === 1 && min === 1 ? '' : 's'}, got ${s.args.length}`);
    }
    return s.args;
  }

  /** The statement's block (with no words before it). */
  blockOf(s: Statement, allowedArgs = 0): readonly Statement[] {
    if (!s.block) this.fail(s.keyword.at, `${s.keyword.text} needs a { } block`);
    if (s.args.length > allowedArgs) this.fail(s.args[allowedArgs]!.at, `unexpected "${s.args[allowedArgs]!.text}" after ${s.keyword.text}`);
    return s.block;
  }

  /** A block whose lines are entries rather than keywords (virtual_ipaddress, unicast_peer, track_*). */
  entries<E>(s: Statement, readEntry: (words: readonly Token[]) => E, allowedArgs = 0): E[] {
    const out: E[] = [];
    for (const line of this.blockOf(s, allowedArgs)) {
      if (line.block) {
        this.diagnostics.error(line.keyword.at, `unexpected { } block in ${s.keyword.text}`);
        continue;
      }
      try {
        out.push(readEntry([line.keyword, ...line.args]));
      } catch (error) {
        if (!(error instanceof ValueError)) throw error;
      }
    }
    return out;
  }

  // Handlers for the common shapes of settings.

  flag<T>(key: Exclude<keyof T, 'at' | 'fieldAt'>, value = true): Handler<T> {
    return (s, d) => {
      this.words(s, 0, 0);
      setField(d, key, value as T[typeof key], s.keyword.at);
    };
  }

  /** KEYWORD [BOOL]: on when alone. */
  optionalBoolean<T>(key: Exclude<keyof T, 'at' | 'fieldAt'>): Handler<T> {
    return (s, d) => {
      const [word] = this.words(s, 0, 1);
      setField(d, key, (word ? this.convert(word, s.keyword, parseBooleanWord) : true) as T[typeof key], s.keyword.at);
    };
  }

  string<T>(key: Exclude<keyof T, 'at' | 'fieldAt'>): Handler<T> {
    return (s, d) => setField(d, key, this.words(s, 1, 1)[0]!.text as T[typeof key], s.keyword.at);
  }

  command<T>(key: Exclude<keyof T, 'at' | 'fieldAt'>): Handler<T> {
    return (s, d) => setField(d, key, commandLine(this.words(s, 1, Infinity)) as T[typeof key], s.keyword.at);
  }

  integer<T>(key: Exclude<keyof T, 'at' | 'fieldAt'>): Handler<T> {
    return (s, d) => setField(d, key, this.convert(this.words(s, 1, 1)[0]!, s.keyword, parseInteger) as T[typeof key], s.keyword.at);
  }

  seconds<T>(key: Exclude<keyof T, 'at' | 'fieldAt'>, unitsPerSecond: 100 | 1000): Handler<T> {
    return (s, d) => {
      const value = this.convert(this.words(s, 1, 1)[0]!, s.keyword, (t) => secondsToUnits(t, unitsPerSecond));
      setField(d, key, value as T[typeof key], s.keyword.at);
    };
  }

  ip<T>(key: Exclude<keyof T, 'at' | 'fieldAt'>): Handler<T> {
    return (s, d) => setField(d, key, this.convert(this.words(s, 1, 1)[0]!, s.keyword, parseIp).address as T[typeof key], s.keyword.at);
  }

  /** NAME [weight W [reverse]] */
  trackRef(words: readonly Token[], keyword: Token): TrackRef {
    const [name, weightWord, weight, reverse, ...extra] = words;
    const at = name!.at;
    if (weightWord === undefined) return { at, name: name!.text, reverse: false };
    if (weightWord.text !== 'weight' || weight === undefined) this.fail(weightWord.at, `${keyword.text}: expected "weight W" after ${name!.text}`);
    if (reverse !== undefined && reverse.text !== 'reverse') this.fail(reverse.at, `${keyword.text}: unexpected "${reverse.text}" (only "reverse" may follow the weight)`);
    if (extra.length > 0) this.fail(extra[0]!.at, `${keyword.text}: unexpected "${extra[0]!.text}"`);
    return { at, name: name!.text, weight: this.convert(weight, keyword, parseInteger), reverse: reverse !== undefined };
  }

  trackRefs<T>(key: Exclude<keyof T, 'at' | 'fieldAt'>): Handler<T> {
    return (s, d) => {
      const refs = this.entries(s, (words) => this.trackRef(words, s.keyword));
      appendField(d, key, refs, s.keyword.at);
    };
  }

  /** USER [GROUP] */
  scriptUser(s: Statement): ScriptUser {
    const [user, group] = this.words(s, 1, 2);
    return group ? { user: user!.text, group: group.text } : { user: user!.text };
  }
}

type FifoKey = 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo';

/** `notify_fifo FILE [USER [GROUP]]`: the FIFO and its owner, beside a script given before or after. */
function fifoPath(r: Reader, key: FifoKey): (s: Statement, draft: Draft<GlobalDefs>) => void {
  return (s, draft) => {
    const [path] = r.words(s, 1, 3);
    const owner = s.args.length > 1 ? r.scriptUser({ ...s, args: s.args.slice(1) }) : undefined;
    setField(draft, key, { ...draft[key], path: path!.text, ...(owner ? { owner } : {}) }, s.keyword.at);
  };
}

/** `notify_fifo_script COMMAND [USER [GROUP]]`: the FIFO's reader and who runs it. */
function fifoScript(r: Reader, key: FifoKey): (s: Statement, draft: Draft<GlobalDefs>) => void {
  return (s, draft) => {
    const [command] = r.words(s, 1, 3);
    const scriptUser = s.args.length > 1 ? r.scriptUser({ ...s, args: s.args.slice(1) }) : undefined;
    setField(draft, key, { ...draft[key], script: command!.text, ...(scriptUser ? { scriptUser } : {}) }, s.keyword.at);
  };
}

/** Blocks that may be repeated (virtual_ipaddress twice) add to what was there, as in keepalived. */
function appendField<T, E>(draft: Draft<T>, key: Exclude<keyof T, 'at' | 'fieldAt'>, entries: readonly E[], at: SourcePos): void {
  const existing = (draft[key] as readonly E[] | undefined) ?? [];
  setField(draft, key, [...existing, ...entries] as T[typeof key], at);
}

const describe = (node: string) => ({ node, setting: keepalivedSpelling.setting });

function readGlobalDefs(r: Reader, s: Statement | undefined, at: SourcePos): GlobalDefs {
  const d = newDraft<GlobalDefs>(at);
  if (s) {
    r.block<GlobalDefs>(r.blockOf(s), 'global_defs', {
      router_id: r.string('routerId'),
      notification_email: (t, draft) => appendField(draft, 'notificationEmail', r.entries(t, (words) => words.map((w) => w.text)).flat(), t.keyword.at),
      notification_email_from: r.string('notificationEmailFrom'),
      smtp_server: (t, draft) => {
        const [host, port] = r.words(t, 1, 2);
        setField(draft, 'smtpServer', { host: host!.text, port: port ? r.convert(port, t.keyword, parseInteger) : SMTP_DEFAULT_PORT }, t.keyword.at);
      },
      smtp_helo_name: r.string('smtpHeloName'),
      smtp_connect_timeout: r.seconds('smtpConnectTimeoutMs', 1000),
      smtp_alert: r.optionalBoolean('smtpAlert'),
      smtp_alert_vrrp: r.optionalBoolean('smtpAlertVrrp'),
      smtp_alert_checker: r.optionalBoolean('smtpAlertChecker'),
      enable_script_security: r.flag('enableScriptSecurity'),
      script_user: (t, draft) => setField(draft, 'scriptUser', r.scriptUser(t), t.keyword.at),
      notify_fifo: fifoPath(r, 'notifyFifo'),
      notify_fifo_script: fifoScript(r, 'notifyFifo'),
      vrrp_notify_fifo: fifoPath(r, 'vrrpNotifyFifo'),
      vrrp_notify_fifo_script: fifoScript(r, 'vrrpNotifyFifo'),
      lvs_notify_fifo: fifoPath(r, 'lvsNotifyFifo'),
      lvs_notify_fifo_script: fifoScript(r, 'lvsNotifyFifo'),
      vrrp_mcast_group4: r.ip('vrrpMcastGroup4'),
      vrrp_mcast_group6: r.ip('vrrpMcastGroup6'),
      vrrp_version: (t, draft) => setField(draft, 'vrrpVersion', readVersion(r, t), t.keyword.at),
      vrrp_garp_master_delay: r.seconds('vrrpGarpMasterDelayMs', 1000),
      vrrp_garp_master_repeat: r.integer('vrrpGarpMasterRepeat'),
      vrrp_garp_master_refresh: r.seconds('vrrpGarpMasterRefreshMs', 1000),
      vrrp_garp_master_refresh_repeat: r.integer('vrrpGarpMasterRefreshRepeat'),
      vrrp_garp_interval: r.seconds('vrrpGarpIntervalMs', 1000),
      vrrp_gna_interval: r.seconds('vrrpGnaIntervalMs', 1000),
      vrrp_startup_delay: r.seconds('vrrpStartupDelayMs', 1000),
      vrrp_strict: r.flag('vrrpStrict'),
      vrrp_skip_check_adv_addr: r.flag('vrrpSkipCheckAdvAddr'),
      max_auto_priority: (t, draft) => {
        const [value] = r.words(t, 0, 1);
        setField(draft, 'maxAutoPriority', value ? r.convert(value, t.keyword, parseInteger) : 99, t.keyword.at);
      },
      metrics_listen: r.string('metricsListen'),
      lvs_sync_daemon: (t, draft) => {
        if (draft.lvsSyncDaemon) r.fail(t.keyword.at, `lvs_sync_daemon appears a second time (the first is at ${draft.fieldAt.lvsSyncDaemon!.file}:${draft.fieldAt.lvsSyncDaemon!.line})`);
        setField(draft, 'lvsSyncDaemon', readLvsSyncDaemon(r, t), t.keyword.at);
      },
      lb_dataplane: (t, draft) => setField(draft, 'lbDataplane', r.convert(r.words(t, 1, 1)[0]!, t.keyword, (text) => parseOneOf('dataplane', LB_DATAPLANES, text)), t.keyword.at),
    }, d);
  }
  return finishNode(d, GLOBAL_DEFAULTS, [], describe('global_defs'), r.diagnostics);
}

/** lvs_sync_daemon's options, and the model's field each sets. */
const LVS_SYNC_DAEMON_OPTIONS: ReadonlyMap<string, 'instance' | 'syncId' | 'maxLen' | 'port' | 'ttl' | 'group'> = new Map([
  ['inst', 'instance'], ['id', 'syncId'], ['maxlen', 'maxLen'], ['port', 'port'], ['ttl', 'ttl'], ['group', 'group'],
] as const);

/**
 * `lvs_sync_daemon IFACE VRRP_INSTANCE [id N] [maxlen N] [port N] [ttl N] [group ADDR]`, as keepalived's
 * global_parser.c reads it: the instance may also be given as `inst NAME`, and the word after it as a
 * bare sync id (keepalived's older form, which it reads with a warning). Ranges are validate.ts's.
 */
function readLvsSyncDaemon(r: Reader, s: Statement): LvsSyncDaemon {
  const [iface, ...rest] = r.words(s, 1, Infinity);
  const d = newDraft<LvsSyncDaemon>(s.keyword.at);
  setField(d, 'interface', iface!.text, iface!.at);
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    const key = LVS_SYNC_DAEMON_OPTIONS.get(word.text);
    if (key === undefined) {
      if (i === 0) {
        setField(d, 'instance', word.text, word.at);
        continue;
      }
      if (i === 1 && d.instance !== undefined && /^\d+$/.test(word.text)) {
        r.diagnostics.warn(word.at, `lvs_sync_daemon: a bare sync id is keepalived's older form; write "id ${word.text}"`);
        setField(d, 'syncId', r.convert(word, s.keyword, parseInteger), word.at);
        continue;
      }
      r.fail(word.at, `lvs_sync_daemon: unknown option "${word.text}" (expected ${[...LVS_SYNC_DAEMON_OPTIONS.keys()].join(', ')})`);
    }
    const value = rest[++i];
    if (!value) r.fail(word.at, `lvs_sync_daemon: ${word.text} needs a value`);
    if (d[key] !== undefined) r.fail(word.at, `lvs_sync_daemon: ${word.text} is given twice`);
    const converted = key === 'instance' ? value.text : key === 'group' ? r.convert(value, s.keyword, parseIp).address : r.convert(value, s.keyword, parseInteger);
    setField(d, key, converted as never, value.at);
  }
  if (d.instance === undefined) {
    r.fail(s.keyword.at, 'lvs_sync_daemon needs the VRRP instance whose state it follows (IFACE VRRP_INSTANCE): keepalive runs the sync daemon from its VRRP process, master where that instance is MASTER');
  }
  return finishNode(d, {}, [], describe('lvs_sync_daemon'), r.diagnostics);
}

function readVersion(r: Reader, s: Statement): 2 | 3 {
  const [word] = r.words(s, 1, 1);
  if (word!.text === '2' || word!.text === '3') return Number(word!.text) as 2 | 3;
  return r.fail(word!.at, `${s.keyword.text} must be 2 or 3, not ${word!.text}`);
}

/** NAME, the word after a top-level block keyword. */
function blockName(r: Reader, s: Statement): string {
  if (s.args.length !== 1) r.fail(s.keyword.at, `${s.keyword.text} takes exactly one name before its { } block`);
  r.blockOf(s, 1);
  return s.args[0]!.text;
}

/** `weight N [reverse]`, as vrrp_script, track_file and vrrp_track_process take it. */
function weightAndReverse<T extends { readonly weight: number; readonly reverse: boolean }>(r: Reader): Handler<T> {
  return (t, draft) => {
    const [value, reverse] = r.words(t, 1, 2);
    if (reverse && reverse.text !== 'reverse') r.fail(reverse.at, `weight: unexpected "${reverse.text}" (only "reverse" may follow the weight)`);
    setField(draft, 'weight' as Setting<T>, r.convert(value!, t.keyword, parseInteger) as T[Setting<T>], t.keyword.at);
    setField(draft, 'reverse' as Setting<T>, (reverse !== undefined) as T[Setting<T>], t.keyword.at);
  };
}

function readVrrpScript(r: Reader, s: Statement): VrrpScript {
  const d = newDraft<VrrpScript>(s.keyword.at);
  d.name = blockName(r, s);
  r.block<VrrpScript>(s.block!, `vrrp_script ${d.name}`, {
    script: r.command('script'),
    interval: r.seconds('intervalMs', 1000),
    timeout: r.seconds('timeoutMs', 1000),
    weight: weightAndReverse(r),
    rise: r.integer('rise'),
    fall: r.integer('fall'),
    user: (t, draft) => setField(draft, 'user', r.scriptUser(t), t.keyword.at),
    init_fail: r.flag('initFail'),
  }, d);
  return finishNode(d, VRRP_SCRIPT_DEFAULTS, ['script'], describe(`vrrp_script ${d.name}`), r.diagnostics);
}

function readTrackProcess(r: Reader, s: Statement): VrrpTrackProcess {
  const d = newDraft<VrrpTrackProcess>(s.keyword.at);
  d.name = blockName(r, s);
  r.block<VrrpTrackProcess>(s.block!, `vrrp_track_process ${d.name}`, {
    // process COMMAND [PARAM ...]: a quoted word stays one element.
    process: (t, draft) => {
      const [command, ...params] = r.words(t, 1, Infinity);
      setField(draft, 'process', command!.text, t.keyword.at);
      setField(draft, 'params', params.map((p) => p.text), t.keyword.at);
    },
    param_match: (t, draft) => setField(draft, 'paramMatch', r.convert(r.words(t, 1, 1)[0]!, t.keyword, (text) => parseOneOf('param_match', ['partial', 'initial'] as const, text)), t.keyword.at),
    full_command: r.flag('fullCommand'),
    weight: weightAndReverse(r),
    quorum: r.integer('quorum'),
    quorum_max: r.integer('quorumMax'),
    fork_delay: r.seconds('forkDelayMs', 1000),
    terminate_delay: r.seconds('terminateDelayMs', 1000),
    // delay: both at once.
    delay: (t, draft) => {
      r.seconds<VrrpTrackProcess>('forkDelayMs', 1000)(t, draft);
      r.seconds<VrrpTrackProcess>('terminateDelayMs', 1000)(t, draft);
    },
  }, d);
  return finishNode(d, TRACK_PROCESS_DEFAULTS, ['process'], describe(`vrrp_track_process ${d.name}`), r.diagnostics);
}

function readTrackFile(r: Reader, s: Statement): TrackFile {
  const d = newDraft<TrackFile>(s.keyword.at);
  d.name = blockName(r, s);
  r.block<TrackFile>(s.block!, `${s.keyword.text} ${d.name}`, {
    file: r.string('file'),
    weight: weightAndReverse(r),
    init_file: (t, draft) => {
      // init_file [VALUE] [overwrite]
      let words = r.words(t, 0, 2);
      const overwrite = words.at(-1)?.text === 'overwrite';
      if (overwrite) words = words.slice(0, -1);
      if (words.length > 1) r.fail(words[1]!.at, `init_file: unexpected "${words[1]!.text}"`);
      const value = words[0] ? r.convert(words[0], t.keyword, parseInteger) : 0;
      setField(draft, 'initFile', { value, overwrite }, t.keyword.at);
    },
  }, d);
  return finishNode(d, TRACK_FILE_DEFAULTS, ['file'], describe(`${s.keyword.text} ${d.name}`), r.diagnostics);
}

/** The notify_* and track_* settings instances and sync groups share. */
function sharedHandlers<T extends VrrpInstance | VrrpSyncGroup>(r: Reader): Record<string, Handler<T>> {
  // Every T here has these settings; TypeScript cannot see that through the type parameter.
  const shared = (key: keyof VrrpInstance & keyof VrrpSyncGroup) => key as Exclude<keyof T, 'at' | 'fieldAt'>;
  return {
    notify_master: r.command<T>(shared('notifyMaster')),
    notify_backup: r.command<T>(shared('notifyBackup')),
    notify_fault: r.command<T>(shared('notifyFault')),
    notify_stop: r.command<T>(shared('notifyStop')),
    notify: r.command<T>(shared('notify')),
    smtp_alert: r.optionalBoolean<T>(shared('smtpAlert')),
    track_interface: r.trackRefs<T>(shared('trackInterface')),
    track_script: r.trackRefs<T>(shared('trackScript')),
    track_file: r.trackRefs<T>(shared('trackFile')),
    track_process: r.trackRefs<T>(shared('trackProcess')),
  };
}

function readSyncGroup(r: Reader, s: Statement): VrrpSyncGroup {
  const d = newDraft<VrrpSyncGroup>(s.keyword.at);
  d.name = blockName(r, s);
  const handlers: Record<string, Handler<VrrpSyncGroup>> = {
    ...sharedHandlers<VrrpSyncGroup>(r),
    group: (t, draft) => {
      const members: GroupMember[] = r.entries(t, (words) => words.map((w) => ({ at: w.at, name: w.text }))).flat();
      appendField(draft, 'group', members, t.keyword.at);
    },
  };
  // A bare word where keywords go (an instance's name outside group { }, as one of Debian's samples
  // has it): keepalived warns of an unknown keyword and carries on without it, and so does keepalive.
  const bare = (t: Statement): boolean => !Object.hasOwn(handlers, t.keyword.text) && t.args.length === 0 && !t.block && !KEEPALIVED_ONLY.has(t.keyword.text);
  for (const t of (s.block ?? []).filter(bare)) {
    r.diagnostics.warn(t.keyword.at, `"${t.keyword.text}" is not a keyword of vrrp_sync_group: ignored, as keepalived ignores it (members are listed in group { })`);
  }
  r.block<VrrpSyncGroup>(s.block!.filter((t) => !bare(t)), `vrrp_sync_group ${d.name}`, handlers, d);
  return finishNode(d, SYNC_GROUP_DEFAULTS, [], describe(`vrrp_sync_group ${d.name}`), r.diagnostics);
}

const VIRTUAL_ADDRESS_OPTIONS = new Set(['brd', 'broadcast', 'dev', 'scope', 'label']);

/** ADDR[/LEN] [brd X] [dev IF] [scope S] [label L] [no_track] */
function readVirtualAddress(r: Reader, words: readonly Token[], keyword: Token): VirtualAddress {
  const [first, ...rest] = words;
  const { address, prefixLength } = r.convert(first!, keyword, parseIpWithPrefix);
  let vip: VirtualAddress = { at: first!.at, address, prefixLength, noTrack: false };
  for (let i = 0; i < rest.length; i++) {
    const option = rest[i]!;
    if (option.text === 'no_track') {
      vip = { ...vip, noTrack: true };
      continue;
    }
    if (!VIRTUAL_ADDRESS_OPTIONS.has(option.text)) {
      if (KEEPALIVED_ONLY_ADDRESS_OPTIONS.has(option.text)) r.fail(option.at, `${keyword.text}: option "${option.text}" is a keepalived option that keepalive does not support`);
      r.fail(option.at, `${keyword.text}: unknown option "${option.text}"`);
    }
    const value = rest[++i];
    if (!value) r.fail(option.at, `${keyword.text}: ${option.text} needs a value`);
    switch (option.text) {
      case 'brd': case 'broadcast': vip = { ...vip, broadcast: r.convert(value, keyword, parseIp).address }; break;
      case 'dev': vip = { ...vip, dev: value.text }; break;
      case 'scope': vip = { ...vip, scope: r.convert(value, keyword, parseScope) }; break;
      case 'label': vip = { ...vip, label: value.text }; break;
    }
  }
  return vip;
}

/** ADDR [min_ttl N] [max_ttl N] */
function readUnicastPeer(r: Reader, words: readonly Token[], keyword: Token): UnicastPeer {
  const [first, ...rest] = words;
  let peer: UnicastPeer = { at: first!.at, address: r.convert(first!, keyword, parseIp).address };
  for (let i = 0; i < rest.length; i += 2) {
    const option = rest[i]!;
    const value = rest[i + 1];
    if (option.text !== 'min_ttl' && option.text !== 'max_ttl') r.fail(option.at, `${keyword.text}: unknown option "${option.text}" (expected min_ttl or max_ttl)`);
    if (!value) r.fail(option.at, `${keyword.text}: ${option.text} needs a value`);
    const ttl = r.convert(value, keyword, parseInteger);
    peer = option.text === 'min_ttl' ? { ...peer, minTtl: ttl } : { ...peer, maxTtl: ttl };
  }
  return peer;
}

function readAuthentication(r: Reader, s: Statement, d: Draft<VrrpInstance>): void {
  let authType: 'PASS' | 'AH' | undefined;
  let authPass: string | undefined;
  const fieldAt: { authType?: SourcePos; authPass?: SourcePos } = {};
  for (const t of r.blockOf(s)) {
    try {
      if (t.keyword.text === 'auth_type') {
        authType = r.convert(r.words(t, 1, 1)[0]!, t.keyword, parseAuthType);
        fieldAt.authType = t.keyword.at;
      } else if (t.keyword.text === 'auth_pass') {
        const { authPass: pass, warning } = authPassword(r.words(t, 1, 1)[0]!.text);
        if (warning) r.diagnostics.warn(t.keyword.at, warning);
        authPass = pass;
        fieldAt.authPass = t.keyword.at;
      } else refuse(t.keyword, 'authentication', r.diagnostics);
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
    }
  }
  if (authType === undefined) r.fail(s.keyword.at, 'authentication has no auth_type');
  if (authPass === undefined) r.fail(s.keyword.at, 'authentication has no auth_pass');
  setField(d, 'authentication', { at: s.keyword.at, fieldAt, authType, authPass }, s.keyword.at);
}

/**
 * `onLegacySyncDaemon` takes an instance's `lvs_sync_daemon_interface IFACE`, which keepalived reads,
 * with a deprecation warning, as the global `lvs_sync_daemon IFACE <this instance>`.
 */
function readVrrpInstance(r: Reader, s: Statement, onLegacySyncDaemon: (daemon: LvsSyncDaemon) => void): VrrpInstance {
  const d = newDraft<VrrpInstance>(s.keyword.at);
  d.name = blockName(r, s);
  const instanceName = d.name;
  const addresses = (key: 'virtualIpaddress' | 'virtualIpaddressExcluded'): Handler<VrrpInstance> => (t, draft) =>
    appendField(draft, key, r.entries(t, (words) => readVirtualAddress(r, words, t.keyword)), t.keyword.at);
  r.block<VrrpInstance>(s.block!, `vrrp_instance ${d.name}`, {
    ...sharedHandlers<VrrpInstance>(r),
    lvs_sync_daemon_interface: (t) => {
      const [iface] = r.words(t, 1, 1);
      r.diagnostics.warn(t.keyword.at, `lvs_sync_daemon_interface in a vrrp_instance is deprecated (as in keepalived): read as "lvs_sync_daemon ${iface!.text} ${instanceName}" in global_defs`);
      onLegacySyncDaemon({ at: t.keyword.at, fieldAt: { interface: iface!.at, instance: t.keyword.at }, interface: iface!.text, instance: instanceName });
    },
    state: (t, draft) => {
      const [word] = r.words(t, 1, 1);
      if (word!.text !== 'MASTER' && word!.text !== 'BACKUP') r.fail(word!.at, `state must be MASTER or BACKUP, not ${word!.text}`);
      setField(draft, 'state', word!.text as InitialState, t.keyword.at);
    },
    interface: r.string('interface'),
    virtual_router_id: r.integer('virtualRouterId'),
    priority: r.integer('priority'),
    advert_int: r.seconds('advertIntCs', 100),
    version: (t, draft) => setField(draft, 'version', readVersion(r, t), t.keyword.at),
    nopreempt: r.flag('nopreempt'),
    preempt_delay: r.seconds('preemptDelayMs', 1000),
    authentication: (t, draft) => readAuthentication(r, t, draft),
    virtual_ipaddress: addresses('virtualIpaddress'),
    virtual_ipaddress_excluded: addresses('virtualIpaddressExcluded'),
    unicast_src_ip: r.ip('unicastSrcIp'),
    unicast_peer: (t, draft) => appendField(draft, 'unicastPeer', r.entries(t, (words) => readUnicastPeer(r, words, t.keyword)), t.keyword.at),
    mcast_src_ip: r.ip('mcastSrcIp'),
    garp_master_delay: r.seconds('garpMasterDelayMs', 1000),
    garp_master_repeat: r.integer('garpMasterRepeat'),
    garp_master_refresh: r.seconds('garpMasterRefreshMs', 1000),
    garp_master_refresh_repeat: r.integer('garpMasterRefreshRepeat'),
    use_vmac: (t, draft) => {
      const [name] = r.words(t, 0, 1);
      // The default name needs the VRID, which may come later in the block: see below.
      setField(draft, 'useVmac', name?.text ?? '', t.keyword.at);
    },
    vmac_xmit_base: r.flag('vmacXmitBase'),
    accept: r.flag('accept', true),
    no_accept: r.flag('accept', false),
    dont_track_primary: r.flag('dontTrackPrimary'),
    no_virtual_ipaddress: r.flag('noVirtualIpaddress'),
    virtual_routes: (t, draft) => appendField(draft, 'virtualRoutes', r.routes(t), t.keyword.at),
    virtual_rules: (t, draft) => appendField(draft, 'virtualRules', r.rules(t), t.keyword.at),
  }, d);
  if (d.useVmac === '') d.useVmac = defaultVmacName(d.virtualRouterId);
  return finishNode(d, VRRP_INSTANCE_DEFAULTS, ['interface', 'virtualRouterId'], describe(`vrrp_instance ${d.name}`), r.diagnostics);
}

type Setting<T> = Exclude<keyof T, 'at' | 'fieldAt'>;

/** delay_loop, connect_timeout, retry, delay_before_retry, warmup: on virtual servers, real servers and checkers. */
function timingHandlers<T>(r: Reader, connect = true): Record<string, Handler<T>> {
  // Every T here has these settings; TypeScript cannot see that through the type parameter.
  const k = (key: keyof CheckerTimingSettings) => key as Setting<T>;
  return {
    delay_loop: r.seconds<T>(k('delayLoopMs'), 1000),
    ...(connect && { connect_timeout: r.seconds<T>(k('connectTimeoutMs'), 1000) }),
    retry: r.integer<T>(k('retry')),
    // keepalived's older name for retry.
    nb_get_retry: r.integer<T>(k('retry')),
    delay_before_retry: r.seconds<T>(k('delayBeforeRetryMs'), 1000),
    warmup: r.seconds<T>(k('warmupMs'), 1000),
  };
}

function connectHandlers<T>(r: Reader): Record<string, Handler<T>> {
  const k = (key: keyof CheckerConnectSettings) => key as Setting<T>;
  return {
    ...timingHandlers<T>(r),
    connect_ip: r.ip<T>(k('connectIp')),
    connect_port: r.integer<T>(k('connectPort')),
    bindto: r.ip<T>(k('bindto')),
    bind_port: r.integer<T>(k('bindPort')),
    fwmark: r.integer<T>(k('fwmark')),
  };
}

function readUrl(r: Reader, s: Statement): HttpUrl {
  const d = newDraft<HttpUrl>(s.keyword.at);
  r.block<HttpUrl>(r.blockOf(s), 'url', {
    path: r.string('path'),
    digest: (t, draft) => setField(draft, 'digest', r.convert(r.words(t, 1, 1)[0]!, t.keyword, parseDigest), t.keyword.at),
    status_code: (t, draft) => {
      // Several status_code lines, or several codes on one line, all count.
      const ranges = r.words(t, 1, Infinity).map((w) => r.convert(w, t.keyword, parseStatusRange));
      appendField(draft, 'statusCode', ranges, t.keyword.at);
    },
    virtualhost: r.string('virtualhost'),
    regex: r.string('regex'),
    regex_no_match: r.flag('regexNoMatch'),
  }, d);
  return finishNode(d, HTTP_URL_DEFAULTS, ['path'], describe('url'), r.diagnostics);
}

function readChecker(r: Reader, s: Statement): Checker[] {
  const kind = s.keyword.text;
  r.blockOf(s);
  switch (kind) {
    case 'TCP_CHECK': {
      const d = newDraft<TcpCheck>(s.keyword.at);
      d.kind = kind;
      r.block<TcpCheck>(s.block!, kind, connectHandlers<TcpCheck>(r), d);
      return [finishNode(d, TCP_CHECK_DEFAULTS, [], describe(kind), r.diagnostics)];
    }
    case 'HTTP_GET':
    case 'SSL_GET': {
      const d = newDraft<HttpCheck>(s.keyword.at);
      d.kind = kind;
      r.block<HttpCheck>(s.block!, kind, {
        ...connectHandlers<HttpCheck>(r),
        url: (t, draft) => appendField(draft, 'url', [readUrl(r, t)], t.keyword.at),
        virtualhost: r.string('virtualhost'),
        enable_sni: r.optionalBoolean('enableSni'),
        sni_name: r.string('sniName'),
        tls_verify: r.optionalBoolean('tlsVerify'),
        tls_ca: r.string('tlsCa'),
        http_protocol: (t, draft) => {
          const value = r.convert(r.words(t, 1, 1)[0]!, t.keyword, (text) => parseOneOf('HTTP protocol', ['1.0', '1.0C', '1.1'] as const, text));
          setField(draft, 'httpProtocol', value, t.keyword.at);
        },
        fast_recovery: r.optionalBoolean('fastRecovery'),
      }, d);
      return [finishNode(d, HTTP_CHECK_DEFAULTS, [], describe(kind), r.diagnostics)];
    }
    case 'MISC_CHECK': {
      const d = newDraft<MiscCheck>(s.keyword.at);
      d.kind = kind;
      r.block<MiscCheck>(s.block!, kind, {
        ...timingHandlers<MiscCheck>(r, false),
        misc_path: r.command('miscPath'),
        misc_timeout: r.seconds('miscTimeoutMs', 1000),
        misc_dynamic: r.flag('miscDynamic'),
        user: (t, draft) => setField(draft, 'user', r.scriptUser(t), t.keyword.at),
      }, d);
      return [finishNode(d, MISC_CHECK_DEFAULTS, ['miscPath'], describe(kind), r.diagnostics)];
    }
    case 'DNS_CHECK': {
      const d = newDraft<DnsCheck>(s.keyword.at);
      d.kind = kind;
      r.block<DnsCheck>(s.block!, kind, {
        ...connectHandlers<DnsCheck>(r),
        type: (t, draft) => setField(draft, 'type', r.convert(r.words(t, 1, 1)[0]!, t.keyword, (text) => parseOneOf('DNS type', DNS_TYPES, text.toUpperCase())), t.keyword.at),
        name: r.string('name'),
      }, d);
      return [finishNode(d, DNS_CHECK_DEFAULTS, [], describe(kind), r.diagnostics)];
    }
    case 'SMTP_CHECK': return readSmtpCheck(r, s);
    case 'FILE_CHECK': {
      const d = newDraft<FileCheck>(s.keyword.at);
      d.kind = kind;
      r.block<FileCheck>(s.block!, kind, {
        track_file: r.string('trackFile'),
        // weight N [reverse|noreverse], as in a track_file block.
        weight: (t, draft) => {
          const [weight, option] = r.words(t, 1, 2);
          setField(draft, 'weight', r.convert(weight!, t.keyword, parseInteger), t.keyword.at);
          if (option && option.text !== 'reverse' && option.text !== 'noreverse') r.fail(option.at, `weight: expected reverse or noreverse after the weight, got "${option.text}"`);
          setField(draft, 'reverse', option?.text === 'reverse', t.keyword.at);
        },
      }, d);
      return [finishNode(d, FILE_CHECK_DEFAULTS, ['trackFile'], describe(kind), r.diagnostics)];
    }
    case 'PING_CHECK': {
      const d = newDraft<PingCheck>(s.keyword.at);
      d.kind = kind;
      r.block<PingCheck>(s.block!, kind, connectHandlers<PingCheck>(r), d);
      return [finishNode(d, PING_CHECK_DEFAULTS, [], describe(kind), r.diagnostics)];
    }
    case 'UDP_CHECK': {
      const d = newDraft<UdpCheck>(s.keyword.at);
      d.kind = kind;
      r.block<UdpCheck>(s.block!, kind, {
        ...connectHandlers<UdpCheck>(r),
        payload: (t, draft) => setField(draft, 'payload', r.words(t, 1, Infinity).map((w) => w.text).join(' '), t.keyword.at),
        // require_reply [HEX_STR]: a reply must come; with the string, it must match it.
        require_reply: (t, draft) => {
          setField(draft, 'requireReply', true, t.keyword.at);
          const words = r.words(t, 0, Infinity);
          if (words.length > 0) setField(draft, 'replyPattern', words.map((w) => w.text).join(' '), words[0]!.at);
        },
        min_reply_length: r.integer('minReplyLength'),
        max_reply_length: r.integer('maxReplyLength'),
      }, d);
      return [finishNode(d, UDP_CHECK_DEFAULTS, [], describe(kind), r.diagnostics)];
    }
  }
  throw new Error(`not a checker: ${kind}`);
}

/**
 * SMTP_CHECK, with keepalived's legacy `host { }` blocks: the servers one checker talks to in turn, the
 * real server up only while every one of them answers. keepalived deprecates them for what they
 * amount to, a checker per host, and that is what each becomes here: a copy of the SMTP_CHECK's
 * settings as they stand where the block opens (keepalived copies them there too), with the block's
 * own connection settings over them. Without host blocks, the SMTP_CHECK is one checker.
 */
function readSmtpCheck(r: Reader, s: Statement): Checker[] {
  const d = newDraft<SmtpCheck>(s.keyword.at);
  d.kind = 'SMTP_CHECK';
  const hosts: Draft<SmtpCheck>[] = [];
  r.block<SmtpCheck>(s.block!, 'SMTP_CHECK', {
    ...connectHandlers<SmtpCheck>(r),
    helo_name: r.string('heloName'),
    host: (t, draft) => {
      r.blockOf(t);
      const host: Draft<SmtpCheck> = { ...draft, at: t.keyword.at, fieldAt: { ...draft.fieldAt } };
      r.block<SmtpCheck>(t.block!, 'SMTP_CHECK host', connectHandlers<SmtpCheck>(r), host);
      hosts.push(host);
    },
  }, d);
  if (hosts.length > 0) r.diagnostics.warn(hosts[0]!.at, `SMTP_CHECK host blocks are deprecated (as in keepalived): each of the ${hosts.length} is run as an SMTP_CHECK of its own, and the real server is up while all of them pass`);
  return (hosts.length > 0 ? hosts : [d]).map((draft) => finishNode(draft, SMTP_CHECK_DEFAULTS, [], describe('SMTP_CHECK'), r.diagnostics));
}

const CHECKERS = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'DNS_CHECK', 'SMTP_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK'] as const;

/** lvs_method/lb_kind NAT|DR|TUN; TUN's encapsulation options are refused. */
function lbMethod<T>(r: Reader, key: Setting<T>): Handler<T> {
  return (s, d) => {
    const [method, ...options] = r.words(s, 1, Infinity);
    const value = r.convert(method!, s.keyword, parseLbMethod);
    if (options.length > 0 && value === 'TUN') r.fail(options[0]!.at, `${s.keyword.text} TUN: tunnel options ("${options[0]!.text}") are not supported by keepalive; TUN is IP-in-IP`);
    if (options.length > 0) r.fail(options[0]!.at, `${s.keyword.text}: unexpected "${options[0]!.text}"`);
    setField(d, key, value as T[Setting<T>], s.keyword.at);
  };
}

/** real_server ADDR [PORT] { ... } */
function readRealServer(r: Reader, s: Statement, context: string): RealServer {
  const d = newDraft<RealServer>(s.keyword.at);
  r.blockOf(s, 2);
  const [address, port] = s.args;
  if (!address) r.fail(s.keyword.at, 'real_server needs an address (and a port) before its { } block');
  setField(d, 'address', r.convert(address, s.keyword, parseIp).address, address.at);
  if (port) setField(d, 'port', r.convert(port, s.keyword, parseInteger), port.at);
  const name = `real_server ${address.text}${port ? ` ${port.text}` : ''}`;
  const checker: Handler<RealServer> = (t, draft) => {
    appendField(draft, 'checkers', readChecker(r, t), t.keyword.at);
  };
  r.block<RealServer>(s.block!, `${name} (${context})`, {
    ...timingHandlers<RealServer>(r),
    weight: r.integer('weight'),
    inhibit_on_failure: r.optionalBoolean('inhibitOnFailure'),
    notify_up: r.command('notifyUp'),
    notify_down: r.command('notifyDown'),
    uthreshold: r.integer('uthreshold'),
    lthreshold: r.integer('lthreshold'),
    lvs_method: lbMethod<RealServer>(r, 'lvsMethod'),
    lb_kind: lbMethod<RealServer>(r, 'lvsMethod'),
    ...Object.fromEntries(CHECKERS.map((kind) => [kind, checker])),
  }, d);
  return finishNode(d, REAL_SERVER_DEFAULTS, [], describe(name), r.diagnostics);
}

/** virtual_server_group NAME { ADDR[-LAST] PORT | fwmark N ... } */
function readVirtualServerGroup(r: Reader, s: Statement): VirtualServerGroup {
  const d = newDraft<VirtualServerGroup>(s.keyword.at);
  d.name = blockName(r, s);
  if (s.block!.length === 0) r.fail(s.keyword.at, `virtual_server_group ${d.name} has no addresses or fwmarks`);
  const entries = r.entries(s, (words): VirtualServerGroupEntry => ({ at: words[0]!.at, ...r.convert(words[0]!, s.keyword, () => parseGroupEntry(words.map((w) => w.text))) }), 1);
  setField(d, 'entries', entries, s.keyword.at);
  return finishNode(d, VIRTUAL_SERVER_GROUP_DEFAULTS, [], describe(`virtual_server_group ${d.name}`), r.diagnostics);
}

/** virtual_server ADDR PORT | fwmark N | group NAME { ... } */
function readVirtualServer(r: Reader, s: Statement): VirtualServer {
  const d = newDraft<VirtualServer>(s.keyword.at);
  r.blockOf(s, 2);
  const [first, second] = s.args;
  if (!first || !second) r.fail(s.keyword.at, 'virtual_server takes ADDRESS PORT, fwmark N or group NAME before its { } block');
  if (first.text === 'group' && !first.quoted) {
    setField(d, 'group', second.text, second.at);
  } else if (first.text === 'fwmark' && !first.quoted) {
    setField(d, 'fwmark', r.convert(second, s.keyword, parseInteger), second.at);
  } else {
    setField(d, 'address', r.convert(first, s.keyword, parseIp).address, first.at);
    setField(d, 'port', r.convert(second, s.keyword, parseInteger), second.at);
  }
  const name = `virtual_server ${first.text} ${second.text}`;
  const schedulers = (t: Statement, draft: Draft<VirtualServer>): void =>
    setField(draft, 'lvsSched', r.convert(r.words(t, 1, 1)[0]!, t.keyword, (text) => parseOneOf('scheduler', LB_SCHEDULERS, text)), t.keyword.at);
  const realServers: RealServer[] = [];
  r.block<VirtualServer>(s.block!, name, {
    ...timingHandlers<VirtualServer>(r),
    lvs_sched: schedulers,
    lb_algo: schedulers,
    lvs_method: lbMethod<VirtualServer>(r, 'lvsMethod'),
    lb_kind: lbMethod<VirtualServer>(r, 'lvsMethod'),
    protocol: (t, draft) => setField(draft, 'protocol', r.convert(r.words(t, 1, 1)[0]!, t.keyword, parseLbProtocol), t.keyword.at),
    persistence_timeout: (t, draft) => {
      const [value] = r.words(t, 0, 1);
      setField(draft, 'persistenceTimeoutMs', value ? r.convert(value, t.keyword, (text) => secondsToUnits(text, 1000)) : PERSISTENCE_TIMEOUT_DEFAULT_MS, t.keyword.at);
    },
    persistence_granularity: (t, draft) => setField(draft, 'persistenceGranularity', r.convert(r.words(t, 1, 1)[0]!, t.keyword, parseGranularity), t.keyword.at),
    sorry_server: (t, draft) => {
      const [address, port] = r.words(t, 2, 2);
      setField(draft, 'sorryServer', { at: address!.at, address: r.convert(address!, t.keyword, parseIp).address, port: r.convert(port!, t.keyword, parseInteger) }, t.keyword.at);
    },
    sorry_server_inhibit: r.optionalBoolean('sorryServerInhibit'),
    quorum: r.integer('quorum'),
    hysteresis: r.integer('hysteresis'),
    quorum_up: r.command('quorumUp'),
    quorum_down: r.command('quorumDown'),
    inhibit_on_failure: r.optionalBoolean('inhibitOnFailure'),
    alpha: r.flag('alpha'),
    omega: r.flag('omega'),
    virtualhost: r.string('virtualhost'),
    ha_suspend: r.flag('haSuspend'),
    smtp_alert: r.optionalBoolean('smtpAlert'),
    real_server: (t, draft) => {
      realServers.push(readRealServer(r, t, name));
      draft.fieldAt.realServers ??= t.keyword.at;
    },
  }, d);
  if (realServers.length > 0) d.realServers = realServers;
  return finishNode(d, VIRTUAL_SERVER_DEFAULTS, [], describe(name), r.diagnostics);
}

/**
 * The model of a keepalived.conf text, before validation (see validate.ts). Errors and warnings go to
 * `diagnostics`; the returned model is only usable if no error was recorded.
 */
export function readKeepalivedConf(text: string, file: string, diagnostics: Diagnostics, configId?: string): KeepaliveConfig {
  const r = new Reader(diagnostics);
  const statements = parseKeepalivedSyntax(text, file, diagnostics, configId);
  const vrrpScripts: VrrpScript[] = [];
  const vrrpTrackProcesses: VrrpTrackProcess[] = [];
  const trackFiles: TrackFile[] = [];
  const vrrpSyncGroups: VrrpSyncGroup[] = [];
  const vrrpInstances: VrrpInstance[] = [];
  const virtualServers: VirtualServer[] = [];
  const virtualServerGroups: VirtualServerGroup[] = [];
  const staticIpaddress: VirtualAddress[] = [];
  const staticRoutes: IpRoute[] = [];
  const staticRules: IpRule[] = [];
  let globalDefs: GlobalDefs | undefined;
  let netNamespace: { name: string; at: SourcePos } | undefined;
  let ssl: { settings: SslSettings; at: SourcePos } | undefined;
  const legacySyncDaemons: LvsSyncDaemon[] = [];
  const topLevel: Record<string, (s: Statement) => void> = {
    // A top-level keyword in keepalived, kept with the global settings in the model.
    net_namespace: (s) => {
      const [name] = r.words(s, 1, 1);
      if (netNamespace) diagnostics.error(s.keyword.at, `net_namespace appears a second time (the first is at ${netNamespace.at.file}:${netNamespace.at.line})`);
      else netNamespace = { name: name!.text, at: name!.at };
    },
    // keepalived's SSL block, top level too; in the model with the global settings.
    SSL: (s) => {
      if (ssl) diagnostics.error(s.keyword.at, `SSL appears a second time (the first is at ${ssl.at.file}:${ssl.at.line})`);
      const d = newDraft<SslSettings>(s.keyword.at);
      r.block<SslSettings>(r.blockOf(s), 'SSL', { certificate: r.string('certificate'), key: r.string('key'), password: r.string('password'), ca: r.string('ca') }, d);
      const { at: _at, fieldAt: _fieldAt, ...settings } = d;
      ssl ??= { settings, at: s.keyword.at };
    },
    global_defs: (s) => {
      if (globalDefs) diagnostics.error(s.keyword.at, `global_defs appears a second time (the first is at ${globalDefs.at.file}:${globalDefs.at.line})`);
      else globalDefs = readGlobalDefs(r, s, s.keyword.at);
    },
    vrrp_script: (s) => vrrpScripts.push(readVrrpScript(r, s)),
    vrrp_track_process: (s) => vrrpTrackProcesses.push(readTrackProcess(r, s)),
    track_file: (s) => trackFiles.push(readTrackFile(r, s)),
    // keepalived's older name for track_file.
    vrrp_track_file: (s) => trackFiles.push(readTrackFile(r, s)),
    vrrp_sync_group: (s) => vrrpSyncGroups.push(readSyncGroup(r, s)),
    vrrp_instance: (s) => vrrpInstances.push(readVrrpInstance(r, s, (daemon) => legacySyncDaemons.push(daemon))),
    virtual_server: (s) => virtualServers.push(readVirtualServer(r, s)),
    virtual_server_group: (s) => virtualServerGroups.push(readVirtualServerGroup(r, s)),
    static_ipaddress: (s) => staticIpaddress.push(...r.entries(s, (words) => readVirtualAddress(r, words, s.keyword))),
    static_routes: (s) => staticRoutes.push(...r.routes(s)),
    static_rules: (s) => staticRules.push(...r.rules(s)),
  };
  for (const s of statements) {
    const read = Object.hasOwn(topLevel, s.keyword.text) && !s.keyword.quoted ? topLevel[s.keyword.text] : undefined;
    if (!read) {
      refuse(s.keyword, 'the top level', diagnostics);
      continue;
    }
    try {
      read(s);
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
    }
  }
  globalDefs ??= readGlobalDefs(r, undefined, { file, line: 1, col: 1 });
  if (netNamespace) globalDefs = { ...globalDefs, netNamespace: netNamespace.name, fieldAt: { ...globalDefs.fieldAt, netNamespace: netNamespace.at } };
  if (ssl) globalDefs = { ...globalDefs, ssl: ssl.settings, fieldAt: { ...globalDefs.fieldAt, ssl: ssl.at } };
  for (const daemon of legacySyncDaemons) {
    const first = globalDefs.fieldAt.lvsSyncDaemon;
    if (first) diagnostics.error(daemon.at, `lvs_sync_daemon_interface: the sync daemon is already given at ${first.file}:${first.line}:${first.col}`);
    else globalDefs = { ...globalDefs, lvsSyncDaemon: daemon, fieldAt: { ...globalDefs.fieldAt, lvsSyncDaemon: daemon.at } };
  }
  return { globalDefs, vrrpScripts, trackFiles, vrrpTrackProcesses, vrrpSyncGroups, vrrpInstances, staticIpaddress, staticRoutes, staticRules, virtualServerGroups, virtualServers };
}
