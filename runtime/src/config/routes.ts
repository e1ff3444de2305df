// Routes and policy rules as keepalived.conf writes them in virtual_routes, static_routes,
// virtual_rules and static_rules: `ip route` and `ip rule` syntax (keepalived.conf(5)), one entry a
// line. Both loaders read entries through here (JSON/YAML gives the same text as a string), so both
// accept exactly the same. Pure but for the names of tables and protocols, which come from
// iproute2's files as keepalived and `ip` read them.
import { readdirSync, readFileSync } from 'node:fs';
import { ipFamily, ipFromBigInt, ipToBigInt } from '../net/ip.ts';
import type { IpPrefix, IpRoute, IpRule, RouteNextHop, RouteType, SourcePos } from './model.ts';
import { parseInteger, parseIp, parseIpWithPrefix, parseScope, ValueError } from './values.ts';

/** One word of an entry and where it is. */
export interface Word {
  readonly text: string;
  readonly at: SourcePos;
}

/** Where problems go: fail() abandons the entry, warn() carries on. */
export interface Report {
  fail(at: SourcePos, message: string): never;
  warn(at: SourcePos, message: string): void;
}

/** keepalived's protocol for the routes it adds and tracks (RTPROT_KEEPALIVED). */
export const KEEPALIVED_PROTOCOL = 18;
/** The main routing table. */
export const MAIN_TABLE = 254;

/**
 * Rules without a preference get one as keepalived gives it: counting down from 16384, per family,
 * in the order of the configuration, so that rules added and removed as instances change state keep
 * one order. One per configuration read.
 */
export class RulePriorities {
  private readonly next = { 4: 16384, 6: 16384 };
  take(family: 4 | 6): number { return this.next[family]--; }
}

/** iproute2's names for route types and tables that need no file. */
const ROUTE_TYPES: readonly RouteType[] = ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'];
const BUILTIN_TABLES: Readonly<Record<string, number>> = { default: 253, main: 254, local: 255 };
const BUILTIN_PROTOCOLS: Readonly<Record<string, number>> = {
  redirect: 1, kernel: 2, boot: 3, static: 4, ra: 9, dhcp: 16, keepalived: 18, zebra: 11, bird: 12, babel: 42, bgp: 186, isis: 187, ospf: 188, rip: 189, eigrp: 192,
};

/** Where iproute2 (old and new layouts) keeps its name files; later files add to earlier ones. */
const IPROUTE2_DIRS = ['/usr/share/iproute2', '/usr/lib/iproute2', '/etc/iproute2'];

/** NUMBER NAME lines of an iproute2 name file and its NAME.d/*.conf, in every directory. */
function iproute2Names(file: 'rt_tables' | 'rt_protos'): Map<string, number> {
  const names = new Map<string, number>();
  const read = (path: string): void => {
    let text: string;
    try { text = readFileSync(path, 'utf8'); } catch { return; }
    for (const line of text.split('\n')) {
      const m = /^\s*(0x[0-9a-f]+|\d+)\s+([^\s#]+)/i.exec(line);
      if (m) names.set(m[2]!, Number(m[1]));
    }
  };
  for (const dir of IPROUTE2_DIRS) {
    read(`${dir}/${file}`);
    let extra: string[] = [];
    try { extra = readdirSync(`${dir}/${file}.d`).filter((n) => n.endsWith('.conf')).sort(); } catch { /* none */ }
    for (const name of extra) read(`${dir}/${file}.d/${name}`);
  }
  return names;
}

export function parseTable(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : BUILTIN_TABLES[text] ?? iproute2Names('rt_tables').get(text);
  if (value === undefined) throw new ValueError(`unknown table ${JSON.stringify(text)}: expected 1..4294967295 or a name in rt_tables`);
  if (!(value >= 1 && value <= 0xffff_ffff)) throw new ValueError(`bad table ${text}: expected 1..4294967295`);
  return value;
}

function parseProtocol(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : BUILTIN_PROTOCOLS[text] ?? iproute2Names('rt_protos').get(text);
  if (value === undefined) throw new ValueError(`unknown protocol ${JSON.stringify(text)}: expected 0..255 or a name in rt_protos`);
  if (!(value <= 255)) throw new ValueError(`bad protocol ${text}: expected 0..255`);
  return value;
}

function parseU32(text: string, what: string): number {
  const value = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 0xffff_ffff)) throw new ValueError(`bad ${what} ${JSON.stringify(text)}: expected 0..4294967295`);
  return value;
}

/** ADDR[/LEN], `default` or `all`; the address must be the network's, as the kernel requires. */
function parsePrefix(text: string, family: 4 | 6 | undefined): IpPrefix & { family: 4 | 6 } {
  if (text === 'default' || text === 'all' || text === 'any') {
    const f = family ?? 4;
    return { family: f, address: f === 4 ? '0.0.0.0' : '::', prefixLength: 0 };
  }
  const { address, family: f, prefixLength } = parseIpWithPrefix(text);
  const { value } = ipToBigInt(address);
  const hostBits = BigInt((f === 4 ? 32 : 128) - prefixLength);
  const network = (value >> hostBits) << hostBits;
  if (network !== value) throw new ValueError(`${text} has host bits set: the network is ${ipFromBigInt(f, network)}/${prefixLength}`);
  return { family: f, address, prefixLength };
}

/** keepalived route options that keepalive does not carry out (refused by name, with the entry). */
const UNSUPPORTED_ROUTE_OPTIONS = new Set([
  'tos', 'dsfield', 'mtu', 'hoplimit', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'ssthresh', 'realms', 'rto_min',
  'initcwnd', 'initrwnd', 'features', 'quickack', 'congctl', 'pref', 'ttl-propagate', 'fastopen_no_cookie', 'encap', 'expires',
  'as', 'from', 'vrf', 'track_group', 'add', 'append', 'prepend', 'inet',
]);

/** keepalived rule options that keepalive does not carry out. */
const UNSUPPORTED_RULE_OPTIONS = new Set([
  'not', 'tos', 'dsfield', 'realms', 'goto', 'nop', 'blackhole', 'prohibit', 'unreachable', 'uidrange', 'l3mdev', 'protocol',
  'ip_proto', 'ipproto', 'sport', 'dport', 'suppress_prefixlength', 'suppress_ifgroup', 'track_group', 'inet',
]);

/** Reads words one at a time, converting values with the entry's kind named in messages. */
class Words {
  private i = 0;
  private readonly words: readonly Word[];
  readonly kind: string;
  readonly report: Report;
  constructor(words: readonly Word[], kind: string, report: Report) {
    this.words = words;
    this.kind = kind;
    this.report = report;
  }
  get done(): boolean { return this.i >= this.words.length; }
  peek(): Word | undefined { return this.words[this.i]; }
  next(): Word { return this.words[this.i++]!; }
  /** The value after `option`. */
  value(option: Word): Word {
    const w = this.words[this.i++];
    if (!w) this.report.fail(option.at, `${this.kind}: ${option.text} needs a value`);
    return w;
  }
  convert<V>(word: Word, convert: (text: string) => V): V {
    try {
      return convert(word.text);
    } catch (error) {
      if (error instanceof ValueError) this.report.fail(word.at, `${this.kind}: ${error.message}`);
      throw error;
    }
  }
}

function checkFamily(w: Words, word: Word, address: string, family: 4 | 6 | undefined): 4 | 6 {
  const f = ipFamily(address)!;
  if (family !== undefined && f !== family) w.report.fail(word.at, `${w.kind}: ${word.text} is not an IPv${family} address, and a route or rule has one family`);
  return f;
}

/**
 * [inet6] [src ADDR] [to] [TYPE] PREFIX [via|gw ADDR [or ADDR]] [dev IF] [scope S] [table T]
 * [metric|priority|preference N] [protocol|proto P] [onlink] [no_track] [nexthop via ADDR [dev IF]
 * [weight N] [onlink] ...]
 */
export function parseRoute(words: readonly Word[], keyword: string, report: Report): IpRoute {
  const w = new Words(words, keyword, report);
  const at = words[0]!.at;
  let family: 4 | 6 | undefined;
  let destination: (IpPrefix & { family: 4 | 6 }) | undefined;
  let defaultRoute = false;
  let type: RouteType = 'unicast';
  let src: string | undefined;
  let via: string | undefined;
  let dev: string | undefined;
  let scope: number | undefined;
  let table = MAIN_TABLE;
  let metric: number | undefined;
  let protocol: { value: number; at: SourcePos } | undefined;
  let onlink = false;
  let noTrack = false;
  const nexthops: RouteNextHop[] = [];
  const address = (word: Word): string => {
    const a = w.convert(word, parseIp).address;
    family = checkFamily(w, word, a, family);
    return a;
  };
  while (!w.done) {
    const word = w.next();
    switch (word.text) {
      case 'inet6':
        if (family === 4) report.fail(word.at, `${keyword}: inet6 for an IPv4 route`);
        family = 6;
        break;
      case 'src': src = address(w.value(word)); break;
      case 'via': case 'gw':
        if (word.text === 'gw') report.warn(word.at, `${keyword}: "gw" is deprecated (as in keepalived): write "via"`);
        via = address(w.value(word));
        break;
      case 'or': {
        report.warn(word.at, `${keyword}: "or" is deprecated (as in keepalived): write "nexthop via A nexthop via B"`);
        const other = address(w.value(word));
        if (via === undefined) report.fail(word.at, `${keyword}: "or" needs a "via" before it`);
        nexthops.push({ via, onlink: false }, { via: other, onlink: false });
        via = undefined;
        break;
      }
      case 'dev': case 'oif': dev = w.value(word).text; break;
      case 'scope': scope = w.convert(w.value(word), parseScope); break;
      case 'table': table = w.convert(w.value(word), parseTable); break;
      case 'metric': case 'priority': case 'preference': metric = w.convert(w.value(word), (t) => parseU32(t, 'metric')); break;
      case 'protocol': case 'proto': {
        const value = w.value(word);
        protocol = { value: w.convert(value, parseProtocol), at: value.at };
        break;
      }
      case 'onlink': onlink = true; break;
      case 'no_track': noTrack = true; break;
      case 'nexthop': nexthops.push(parseNextHop(w, word, address)); break;
      default: {
        if (UNSUPPORTED_ROUTE_OPTIONS.has(word.text)) report.fail(word.at, `${keyword}: route option "${word.text}" is a keepalived option that keepalive does not support`);
        let target = word;
        if (target.text === 'to') target = w.value(word);
        if ((ROUTE_TYPES as readonly string[]).includes(target.text)) {
          type = target.text as RouteType;
          target = w.value(target);
        }
        const isDefault = target.text === 'default';
        if (!isDefault && ipFamily(target.text.split('/')[0]!) === undefined) report.fail(target.at, `${keyword}: unknown route keyword "${target.text}"`);
        if (destination || defaultRoute) report.fail(target.at, `${keyword}: a second destination "${target.text}"`);
        // `default` takes its family from the rest of the entry (a gateway, src or inet6), as in ip route.
        if (isDefault) defaultRoute = true;
        else {
          destination = w.convert(target, (t) => parsePrefix(t, family));
          family = checkFamily(w, target, destination.address, family);
        }
      }
    }
  }
  if (defaultRoute) destination = parsePrefix('default', family);
  if (!destination) report.fail(at, `${keyword}: a route needs a destination`);
  if (type !== 'unicast' && (via !== undefined || dev !== undefined || nexthops.length > 0)) report.fail(at, `${keyword}: a ${type} route has neither a gateway nor a device`);
  if (nexthops.length > 0 && (via !== undefined || onlink)) report.fail(at, `${keyword}: a multipath route has its gateways in its next hops`);
  if (onlink && via === undefined) report.fail(at, `${keyword}: onlink needs a gateway (via)`);
  // As keepalived: a route is tracked by the interface its deletion names, so one without a device is not.
  const devices = nexthops.length > 0 ? nexthops.map((h) => h.dev) : [dev];
  if (!noTrack && devices.some((d) => d === undefined)) {
    report.warn(at, `${keyword}: ${destination.address}/${destination.prefixLength} has no device (dev), so it is not tracked, as in keepalived`);
    noTrack = true;
  }
  if (!noTrack && protocol !== undefined && protocol.value !== KEEPALIVED_PROTOCOL) {
    report.warn(protocol.at, `${keyword}: a tracked route has keepalived's protocol (${KEEPALIVED_PROTOCOL}), as in keepalived; add no_track to keep protocol ${protocol.value}`);
    protocol = undefined;
  }
  return {
    at, family: destination.family, destination: destination.address, prefixLength: destination.prefixLength, type, table,
    protocol: protocol?.value ?? KEEPALIVED_PROTOCOL, onlink, nexthops, noTrack,
    ...(src !== undefined && { src }), ...(via !== undefined && { via }), ...(dev !== undefined && nexthops.length === 0 && { dev }),
    ...(scope !== undefined && { scope }), ...(metric !== undefined && { metric }),
  };
}

/** nexthop [via ADDR] [dev IF] [weight N] [onlink], up to the next nexthop. */
function parseNextHop(w: Words, keyword: Word, address: (word: Word) => string): RouteNextHop {
  let hop: { via?: string; dev?: string; weight?: number; onlink: boolean } = { onlink: false };
  while (!w.done && w.peek()!.text !== 'nexthop') {
    const word = w.next();
    switch (word.text) {
      case 'via': hop = { ...hop, via: address(w.value(word)) }; break;
      case 'dev': hop = { ...hop, dev: w.value(word).text }; break;
      case 'weight': {
        const value = w.value(word);
        const weight = w.convert(value, parseInteger);
        if (weight < 1 || weight > 256) w.report.fail(value.at, `${w.kind}: bad next hop weight ${weight}: expected 1..256`);
        hop = { ...hop, weight };
        break;
      }
      case 'onlink': hop = { ...hop, onlink: true }; break;
      default: w.report.fail(word.at, `${w.kind}: unexpected "${word.text}" in a nexthop (expected via, dev, weight or onlink)`);
    }
  }
  if (hop.via === undefined && hop.dev === undefined) w.report.fail(keyword.at, `${w.kind}: a nexthop needs via or dev`);
  if (hop.onlink && hop.via === undefined) w.report.fail(keyword.at, `${w.kind}: onlink needs a gateway (via)`);
  return hop;
}

/**
 * [inet6] [from PREFIX|all] [to PREFIX|all] [iif IF] [oif IF] [fwmark N[/MASK]] table|lookup T
 * [priority|preference|pref|order N] [no_track]. Undefined for a rule keepalived skips (an address
 * that does not parse: keepalived warns and carries on without the rule, and so does keepalive).
 */
export function parseRule(words: readonly Word[], keyword: string, report: Report, priorities: RulePriorities): IpRule | undefined {
  const w = new Words(words, keyword, report);
  const at = words[0]!.at;
  let family: 4 | 6 | undefined;
  let from: IpPrefix | undefined;
  let to: IpPrefix | undefined;
  let table: number | undefined;
  let priority: number | undefined;
  let iif: string | undefined;
  let oif: string | undefined;
  let fwmark: number | undefined;
  let fwmask: number | undefined;
  let noTrack = false;
  let skipped = false;
  const prefix = (word: Word): IpPrefix | undefined => {
    if (word.text !== 'all' && word.text !== 'default' && ipFamily(word.text.split('/')[0]!) === undefined) {
      report.warn(word.at, `${keyword}: ${JSON.stringify(word.text)} is not an address: the rule is skipped, as keepalived skips it`);
      skipped = true;
      return undefined;
    }
    const p = w.convert(word, (t) => parsePrefix(t, family));
    if (p.prefixLength === 0 && (word.text === 'all' || word.text === 'default')) return undefined;
    family = checkFamily(w, word, p.address, family);
    return { address: p.address, prefixLength: p.prefixLength };
  };
  while (!w.done) {
    const word = w.next();
    switch (word.text) {
      case 'inet6':
        if (family === 4) report.fail(word.at, `${keyword}: inet6 for an IPv4 rule`);
        family = 6;
        break;
      case 'from': from = prefix(w.value(word)); break;
      case 'to': to = prefix(w.value(word)); break;
      case 'table': case 'lookup': table = w.convert(w.value(word), parseTable); break;
      case 'priority': case 'preference': case 'pref': case 'order': priority = w.convert(w.value(word), (t) => parseU32(t, 'priority')); break;
      case 'iif': case 'iifname': case 'dev': iif = w.value(word).text; break;
      case 'oif': case 'oifname': oif = w.value(word).text; break;
      case 'fwmark': {
        const value = w.value(word);
        const [mark, mask] = value.text.split('/');
        fwmark = w.convert({ ...value, text: mark! }, (t) => parseU32(t, 'fwmark'));
        if (mask !== undefined) fwmask = w.convert({ ...value, text: mask }, (t) => parseU32(t, 'fwmark mask'));
        break;
      }
      case 'no_track': noTrack = true; break;
      default:
        if (UNSUPPORTED_RULE_OPTIONS.has(word.text)) report.fail(word.at, `${keyword}: rule option "${word.text}" is a keepalived option that keepalive does not support`);
        report.fail(word.at, `${keyword}: unknown rule keyword "${word.text}"`);
    }
  }
  if (skipped) return undefined;
  if (table === undefined) report.fail(at, `${keyword}: a rule needs a table`);
  const f = family ?? 4;
  if (priority === undefined) {
    priority = priorities.take(f);
    report.warn(at, `${keyword}: the rule has no priority: it gets ${priority}, as keepalived gives it; give each rule a priority to choose their order`);
  }
  return {
    at, family: f, table, priority, noTrack,
    ...(from && { from }), ...(to && { to }), ...(iif !== undefined && { iif }), ...(oif !== undefined && { oif }),
    ...(fwmark !== undefined && { fwmark }), ...(fwmask !== undefined && { fwmask }),
  };
}

/** The words of one entry given as a string (JSON/YAML), with the column of each after `at`. */
export function wordsOf(text: string, at: SourcePos): Word[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: { ...at, col: at.col + m.index } }));
}
