// Value conversions shared by both loaders, so keepalived.conf and JSON/YAML accept exactly the same
// values. Each throws a ValueError whose message the loader records at the value's position.
import { canonicalIp, ipFamily } from '../net/ip.ts';
import type { Family } from './model.ts';

export class ValueError extends Error {}

/** "1", "0.5", "40.95" seconds as an integer count of 1/unitsPerSecond; finer values are refused. */
export function secondsToUnits(text: string, unitsPerSecond: 100 | 1000): number {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new ValueError(`expected a number of seconds, got ${JSON.stringify(text)}`);
  const digits = unitsPerSecond === 100 ? 2 : 3;
  const fraction = (match[2] ?? '').padEnd(digits, '0');
  if (/[1-9]/.test(fraction.slice(digits))) {
    throw new ValueError(`${text} s is finer than ${unitsPerSecond === 100 ? '0.01' : '0.001'} s`);
  }
  return Number(match[1]) * unitsPerSecond + Number(fraction.slice(0, digits));
}

export function parseInteger(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new ValueError(`expected an integer, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new ValueError(`${text} is too large`);
  return value;
}

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, on: true, yes: true, false: false, off: false, no: false };

export function parseBooleanWord(text: string): boolean {
  const value = BOOLEAN_WORDS[text];
  if (value === undefined) throw new ValueError(`expected true or false, got ${JSON.stringify(text)}`);
  return value;
}

/** An IP address in canonical text. */
export function parseIp(text: string): { address: string; family: Family } {
  const family = ipFamily(text);
  if (family === undefined) throw new ValueError(`${JSON.stringify(text)} is not an IP address`);
  return { address: canonicalIp(text), family };
}

/** ADDR or ADDR/LEN; without a length, the host prefix of the address's family. */
export function parseIpWithPrefix(text: string): { address: string; family: Family; prefixLength: number } {
  const slash = text.indexOf('/');
  const { address, family } = parseIp(slash < 0 ? text : text.slice(0, slash));
  const maxLength = family === 4 ? 32 : 128;
  if (slash < 0) return { address, family, prefixLength: maxLength };
  const lengthText = text.slice(slash + 1);
  const prefixLength = /^\d+$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!(prefixLength <= maxLength)) throw new ValueError(`bad prefix length in ${JSON.stringify(text)}: expected 0..${maxLength}`);
  return { address, family, prefixLength };
}

/** rtnetlink scope numbers by name (iproute2's names). */
const SCOPES: Readonly<Record<string, number>> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

export function parseScope(text: string): number {
  const named = SCOPES[text];
  if (named !== undefined) return named;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value <= 255)) throw new ValueError(`unknown scope ${JSON.stringify(text)}: expected global, site, link, host, nowhere or 0..255`);
  return value;
}

/** A VRRPv2 password carries 8 bytes; keepalived truncates longer ones with a warning, and so do we. */
const AUTH_PASS_MAX = 8;

export function authPassword(pass: string): { authPass: string; warning?: string } {
  if (pass.length <= AUTH_PASS_MAX) return { authPass: pass };
  return {
    authPass: pass.slice(0, AUTH_PASS_MAX),
    warning: `auth_pass is longer than ${AUTH_PASS_MAX} characters: only its first ${AUTH_PASS_MAX} are used, as keepalived does`,
  };
}

/** keepalived's name for the macvlan of `use_vmac` without a name. */
export function defaultVmacName(vrid: number | undefined): string {
  return `vrrp.${vrid ?? ''}`;
}

export function parseAuthType(text: string): 'PASS' | 'AH' {
  if (text === 'PASS' || text === 'AH') return text;
  throw new ValueError(`unknown auth_type ${JSON.stringify(text)}: expected PASS or AH`);
}

/** A status_code entry: "200" or the inclusive range "200-299" (range limits are validate.ts's). */
export function parseStatusRange(text: string): { from: number; to: number } {
  const match = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(text);
  if (!match) throw new ValueError(`expected a status code or a range like 200-299, got ${JSON.stringify(text)}`);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (to < from) throw new ValueError(`status code range ${text} ends before it starts`);
  return { from, to };
}

/** persistence_granularity: an IPv4 netmask (255.255.255.0) or a prefix length, as a prefix length. */
export function parseGranularity(text: string): number {
  if (/^\d+$/.test(text)) {
    const length = Number(text);
    if (length < 1 || length > 128) throw new ValueError(`prefix length ${text} is out of range 1..128`);
    return length;
  }
  if (ipFamily(text) !== 4) throw new ValueError(`expected an IPv4 netmask or a prefix length, got ${JSON.stringify(text)}`);
  const bits = text.split('.').map((part) => Number(part).toString(2).padStart(8, '0')).join('');
  if (!/^1+0*$/.test(bits)) throw new ValueError(`${text} is not a contiguous netmask`);
  return bits.indexOf('0') < 0 ? 32 : bits.indexOf('0');
}

/** An MD5 digest in hex, lowercased. */
export function parseDigest(text: string): string {
  if (!/^[0-9a-fA-F]{32}$/.test(text)) throw new ValueError(`expected an MD5 digest (32 hex digits), got ${JSON.stringify(text)}`);
  return text.toLowerCase();
}

/** A word from a fixed list, with a message naming them all. */
export function parseOneOf<V extends string>(what: string, values: readonly V[], text: string): V {
  if ((values as readonly string[]).includes(text)) return text as V;
  throw new ValueError(`unknown ${what} ${JSON.stringify(text)}: expected one of ${values.join(', ')}`);
}

/** lvs_method/lb_kind; TUN's encapsulation options are refused by the loaders. */
export function parseLbMethod(text: string): 'NAT' | 'DR' | 'TUN' {
  return parseOneOf('forwarding method', ['NAT', 'DR', 'TUN'] as const, text);
}

export function parseLbProtocol(text: string): 'TCP' | 'UDP' {
  if (text === 'SCTP') throw new ValueError('protocol SCTP is not supported by keepalive: its dataplanes and checkers handle TCP and UDP');
  return parseOneOf('protocol', ['TCP', 'UDP'] as const, text);
}

/** A virtual_server_group line: ["ADDR[-LAST]", "PORT"] or ["fwmark", "N"]; LAST replaces the last octet (IPv4) or group (IPv6). */
export function parseGroupEntry(words: readonly string[]): { address?: string; lastAddress?: string; port?: number; fwmark?: number } {
  if (words[0] === 'fwmark') {
    if (words.length !== 2) throw new ValueError('expected "fwmark N"');
    return { fwmark: parseInteger(words[1]!) };
  }
  if (words.length !== 2) throw new ValueError(`expected "ADDRESS PORT", "ADDRESS-LAST PORT" or "fwmark N", got ${JSON.stringify(words.join(' '))}`);
  const [range, portText] = words as [string, string];
  const port = parseInteger(portText);
  const dash = range.lastIndexOf('-');
  if (dash < 0) return { address: parseIp(range).address, port };
  const { address, family } = parseIp(range.slice(0, dash));
  const endText = range.slice(dash + 1);
  const first = range.slice(0, dash);
  const cut = family === 4 ? first.lastIndexOf('.') : first.lastIndexOf(':');
  const [start, end] = family === 4 ? [Number(first.slice(cut + 1)), /^\d{1,3}$/.test(endText) ? Number(endText) : NaN] : [parseInt(first.slice(cut + 1) || '0', 16), /^[0-9a-f]{1,4}$/i.test(endText) ? parseInt(endText, 16) : NaN];
  if (!(end <= (family === 4 ? 255 : 0xffff)) || end < start) throw new ValueError(`bad address range ${JSON.stringify(range)}: the part after "-" replaces the last ${family === 4 ? 'octet' : 'group'} and must not go below it`);
  return { address, lastAddress: parseIp(`${first.slice(0, cut + 1)}${endText}`).address, port };
}

/**
 * keepalived's HEX_STR (UDP_CHECK payload and require_reply): whitespace-separated groups of hex
 * digits, each read two digits at a time from its start, a last odd digit standing for 0X ("Ab12f 3"
 * is AB 12 0F 03). With `wildcards`, an x or X stands for a nibble the comparison ignores. The bytes as
 * lowercase hex, two digits each ("ab120f03", wildcards kept as "x").
 */
export function parseHexString(text: string, wildcards = false): string {
  const digit = wildcards ? /^[0-9a-fA-FxX]+$/ : /^[0-9a-fA-F]+$/;
  const groups = text.trim().split(/\s+/).filter((g) => g !== '');
  if (groups.length === 0) throw new Error('expected hex digits');
  return groups.map((group) => {
    if (!digit.test(group)) throw new Error(`"${group}" is not hex digits${wildcards ? ' (or x for any)' : ''}`);
    const pairs = group.match(/.{1,2}/g)!;
    return pairs.map((p) => (p.length === 1 ? `0${p}` : p)).join('').toLowerCase();
  }).join('');
}
