// Logging for the daemon's processes: one line per event on standard error, with a timestamp and the
// process's role, as a foreground service under a supervisor (systemd, the lab) is expected to log.

let role = 'keepalive';

export function setLogRole(name: string): void {
  role = name;
}

export type Level = 'info' | 'warn' | 'error';

export function log(level: Level, message: string): void {
  const prefix = level === 'info' ? '' : `${level.toUpperCase()}: `;
  process.stderr.write(`${new Date().toISOString()} ${role}[${process.pid}]: ${prefix}${message}\n`);
}
