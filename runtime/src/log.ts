// Logging for the daemon's processes: one line per event on standard error, with a timestamp and the
// process's role, as a foreground service under a supervisor (systemd, the lab) is expected to log;
// and, as keepalived logs, to syslog: a datagram to /dev/log (or --syslog-socket) in the BSD format
// (RFC 3164), under keepalived's own names for its processes (Keepalived, Keepalived_vrrp,
// Keepalived_healthcheckers), facility daemon or, with -S N, localN. So keepalived users' grep
// patterns and log alerts ("Keepalived_vrrp[PID]: (VI_1) Entering MASTER STATE") keep matching.
// Syslog is best effort: with no receiver (no socket, or it refuses), the lines go to stderr only.

let role = 'keepalive';

export type Level = 'info' | 'warn' | 'error';

/** keepalived's syslog identity for each of its processes. */
const SYSLOG_IDENT: Record<string, string> = { keepalive: 'Keepalived', 'keepalive-vrrp': 'Keepalived_vrrp', 'keepalive-checker': 'Keepalived_healthcheckers' };
const SEVERITY: Record<Level, number> = { error: 3, warn: 4, info: 6 };
const FACILITY_DAEMON = 3;
const FACILITY_LOCAL0 = 16;

/** Where the processes log, passed from `keepalive run` to its children in the environment. */
export const LOG_ENV = { socket: 'KEEPALIVE_SYSLOG_SOCKET', facility: 'KEEPALIVE_LOG_FACILITY' } as const;
export const DEFAULT_SYSLOG_SOCKET = '/dev/log';

interface Syslog { fd: number; address: Uint8Array; facility: number; send: (fd: number, data: Uint8Array, address: Uint8Array) => void }
let syslog: Syslog | undefined | null;

export function setLogRole(name: string): void {
  role = name;
}

/** `-S N` (0..7): keepalived's log facility, localN; anything else is refused. */
export function parseLogFacility(text: string): number {
  if (!/^[0-7]$/.test(text)) throw new Error(`-S/--log-facility takes 0 to 7 (local0..local7), not ${JSON.stringify(text)}`);
  return FACILITY_LOCAL0 + Number(text);
}

/** A datagram socket towards the syslog socket, opened on first use; null when syslog is off or absent. */
async function openSyslog(): Promise<Syslog | null> {
  const path = process.env[LOG_ENV.socket] ?? DEFAULT_SYSLOG_SOCKET;
  const { existsSync } = await import('node:fs');
  if (path === '' || !existsSync(path)) return null;
  const { socket, sendmsg } = await import('./net/native.ts');
  const { AF_UNIX, SOCK_DGRAM } = await import('./net/linux.ts');
  // struct sockaddr_un: the family in host order, then the path, NUL-terminated.
  const address = Buffer.alloc(2 + Buffer.byteLength(path) + 1);
  address.writeUInt16LE(AF_UNIX, 0);
  address.write(path, 2);
  const facility = Number(process.env[LOG_ENV.facility] ?? FACILITY_DAEMON);
  return { fd: socket(AF_UNIX, SOCK_DGRAM, 0), address, facility, send: (fd, data, to) => { sendmsg(fd, data, to, []); } };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3164's "Mmm dd hh:mm:ss", local time, the day space-padded. */
function bsdTimestamp(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The syslog datagram of one line, as syslog(3) writes it to /dev/log. */
export function syslogLine(facility: number, level: Level, ident: string, pid: number, message: string, at = new Date()): string {
  return `<${facility * 8 + SEVERITY[level]}>${bsdTimestamp(at)} ${ident}[${pid}]: ${message}`;
}

let pending: Promise<void> | undefined;

function toSyslog(level: Level, message: string): void {
  const write = (s: Syslog | null): void => {
    if (!s) return;
    try {
      s.send(s.fd, Buffer.from(syslogLine(s.facility, level, SYSLOG_IDENT[role] ?? role, process.pid, message)), s.address);
    } catch {
      // No receiver, or a full queue: the line is on stderr all the same.
    }
  };
  if (syslog !== undefined) return write(syslog);
  // The first line opens the socket; lines logged meanwhile follow in order.
  pending = (pending ?? openSyslog().then((s) => { syslog = s; }, () => { syslog = null; })).then(() => write(syslog!));
}

export function log(level: Level, message: string): void {
  const prefix = level === 'info' ? '' : `${level.toUpperCase()}: `;
  process.stderr.write(`${new Date().toISOString()} ${role}[${process.pid}]: ${prefix}${message}\n`);
  toSyslog(level, message);
}
