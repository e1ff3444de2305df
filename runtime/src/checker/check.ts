// What the checker child checks, one spec per checker kind (keepalived's TCP_CHECK, HTTP_GET, SSL_GET,
// MISC_CHECK, DNS_CHECK and SMTP_CHECK), and what a check run reports. Every check is bounded by its
// own timeout from start to verdict, so a slow or hostile backend costs at most that much time.
import type { ScriptUser } from '../notify/script.ts';

/** Where a network check connects, and how long the whole check may take. */
export interface ConnectTarget {
  /** connect_ip: the real server's address (IPv4 or IPv6). */
  host: string;
  /** connect_port. */
  port: number;
  /** bindto: the local address to connect from. */
  bindto?: string;
  /** bind_port: the local port to connect from. */
  bindPort?: number;
  /**
   * connect_timeout, in ms. keepalived applies it to each socket operation; here it bounds the whole
   * check (connect, request and reply), so a server that trickles bytes cannot stretch a run.
   */
  timeoutMs: number;
}

/** Socket options for where a check connects from (bindto, bind_port), as node:net and node:http take them. */
export function localEndpoint(target: ConnectTarget): { localAddress?: string; localPort?: number } {
  return { ...(target.bindto === undefined ? {} : { localAddress: target.bindto }), ...(target.bindPort === undefined ? {} : { localPort: target.bindPort }) };
}

export interface TcpCheckSpec extends ConnectTarget {
  kind: 'TCP_CHECK';
}

/** An inclusive range of HTTP status codes; a single code is a range of one. */
export interface StatusRange {
  from: number;
  to: number;
}

/** keepalived's default when a url has no status_code: any 2xx. */
export const DEFAULT_STATUS_CODES: readonly StatusRange[] = [{ from: 200, to: 299 }];

/** Bodies are read only for a digest, and never past this many bytes unless a spec says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface HttpCheckSpec extends ConnectTarget {
  kind: 'HTTP_GET' | 'SSL_GET';
  /** url { path }. */
  path: string;
  /** url { status_code }; empty means DEFAULT_STATUS_CODES. */
  statusCodes: readonly StatusRange[];
  /** url { digest }: the MD5 of the body in lowercase hex, as keepalived's genhash prints it. */
  digest?: string;
  /** url { regex }: the body must match it (or must not, with regexNoMatch). */
  regex?: string;
  regexNoMatch?: boolean;
  /** virtualhost: the Host header (default: the connect address). */
  virtualhost?: string;
  /** SSL_GET: the TLS server name sent as SNI and, when verifying, checked against the certificate. */
  sni?: string;
  /** SSL_GET: verify the server's certificate chain and name. */
  verifyTls: boolean;
  /** SSL_GET: PEM CA bundle to verify against, instead of the system store. */
  caFile?: string;
  /** SSL_GET: the client certificate (PEM, its chain after it) and key presented to the server, and the key's password. */
  clientCertFile?: string;
  clientKeyFile?: string;
  keyPassword?: string;
  /** Largest body read for a digest; a longer one fails the check. Default DEFAULT_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
}

export interface MiscCheckSpec {
  kind: 'MISC_CHECK';
  /** misc_path: the script line (words split as keepalived does, never by a shell). */
  path: string;
  /** misc_timeout, in ms. */
  timeoutMs: number;
  /** misc_dynamic: the exit code sets the weight (see miscVerdict). */
  dynamic: boolean;
  /** script_user; default the notify scripts' default user. */
  user?: ScriptUser;
}

export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33 } as const;
export type DnsType = keyof typeof DNS_TYPES;

export interface DnsCheckSpec extends ConnectTarget {
  kind: 'DNS_CHECK';
  /** type; keepalived's default is SOA. */
  type: DnsType;
  /** name; keepalived's default is the root, ".". */
  name: string;
}

export interface SmtpCheckSpec extends ConnectTarget {
  kind: 'SMTP_CHECK';
  /** helo_name. */
  helo: string;
}

export interface UdpCheckSpec extends ConnectTarget {
  kind: 'UDP_CHECK';
  /** payload, as lowercase hex; unset: 16 random bytes each run. */
  payload?: string;
  /** require_reply: up only on a reply of minReplyLength..maxReplyLength bytes matching the pattern. */
  requireReply: boolean;
  /** The reply pattern as lowercase hex, x for a nibble that may be anything. */
  replyPattern?: string;
  minReplyLength: number;
  maxReplyLength: number;
}

export interface PingCheckSpec extends ConnectTarget {
  /** An echo request to `host`; `port` is not used. */
  kind: 'PING_CHECK';
}

export interface FileCheckSpec {
  kind: 'FILE_CHECK';
  /** The track_file's path. */
  path: string;
  /** The file's number times this (0: any non-zero number is a failure), negated with reverse. */
  weight: number;
  reverse: boolean;
  /** The real server's configured weight, which the product is added to. */
  baseWeight: number;
}

export type CheckSpec = TcpCheckSpec | HttpCheckSpec | MiscCheckSpec | DnsCheckSpec | SmtpCheckSpec | UdpCheckSpec | PingCheckSpec | FileCheckSpec;

export interface CheckResult {
  ok: boolean;
  /** Why it failed, or what passed ("connected", "status 200"...). */
  reason: string;
  /** misc_dynamic only: the weight the exit code asked for. */
  weight?: number;
  /** How long the run took. */
  ms: number;
}

/** Whether an HTTP status is in the spec's ranges (DEFAULT_STATUS_CODES when none are given). */
export function statusAccepted(status: number, ranges: readonly StatusRange[]): boolean {
  const effective = ranges.length > 0 ? ranges : DEFAULT_STATUS_CODES;
  return effective.some((r) => status >= r.from && status <= r.to);
}

/** Parses a status_code list: "200", "200-299", or several separated by commas or spaces. */
export function parseStatusRanges(text: string): StatusRange[] {
  const ranges: StatusRange[] = [];
  for (const word of text.split(/[\s,]+/).filter((w) => w !== '')) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(word);
    if (!m) throw new Error(`bad status code ${JSON.stringify(word)}: expected NNN or NNN-NNN`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 100 || to > 599 || from > to) throw new Error(`bad status code range ${JSON.stringify(word)}: codes are 100-599, low to high`);
    ranges.push({ from, to });
  }
  return ranges;
}

/**
 * A MISC_CHECK exit code as a verdict. Plain: 0 is up, anything else down. misc_dynamic, as
 * keepalived documents it: 0 is up with the configured weight, 1 down, 2..255 up with weight code - 2.
 */
export function miscVerdict(code: number, dynamic: boolean): { ok: boolean; weight?: number } {
  if (code === 0) return { ok: true };
  if (!dynamic || code === 1) return { ok: false };
  return { ok: true, weight: code - 2 };
}

/** A failed result of a run that started at `startedAt` (a performance.now() reading). */
export function failure(startedAt: number, reason: string): CheckResult {
  return { ok: false, reason, ms: performance.now() - startedAt };
}

/** A passed result of a run that started at `startedAt`, with the weight misc_dynamic asked for, if any. */
export function success(startedAt: number, reason: string, weight?: number): CheckResult {
  return weight === undefined ? { ok: true, reason, ms: performance.now() - startedAt } : { ok: true, reason, weight, ms: performance.now() - startedAt };
}

/**
 * A run's single result: the first call of the returned `finish` wins, clears the run's timeout and
 * closes what it opened; the timeout, `timeoutMs` after the start, finishes with `onTimeout()`.
 */
export function firstResult(resolve: (result: CheckResult) => void, close: () => void, timeoutMs: number, onTimeout: () => CheckResult): (result: CheckResult) => void {
  let settled = false;
  const finish = (result: CheckResult): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    close();
    resolve(result);
  };
  const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
  return finish;
}
