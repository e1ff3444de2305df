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

export function parseAuthType(text: string): 'PASS' {
  if (text === 'PASS') return 'PASS';
  if (text === 'AH') throw new ValueError('auth_type AH is not supported by keepalive (RFC 3768 dropped it, and it does not interoperate); use PASS or no authentication');
  throw new ValueError(`unknown auth_type ${JSON.stringify(text)}: expected PASS`);
}
