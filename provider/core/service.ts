// How the runtime runs on a host: a systemd unit, or, where the host has no systemd (the lab), a
// pid-file service: `keepalive run` detached in a session of its own (setsid, nohup), output to a log
// file, found again through the pid file the runtime writes in its state directory.
//
// Everything here is shell text for the remote POSIX sh: the deploy scripts (deploy.ts, install.ts)
// include these functions, so one SSH command can check, activate, reload or start, and report.
import type { HostConnection } from './schema.ts';
import { shellQuote } from './ssh.ts';

/** The runtime's state directory on every host: pid file, control socket, (without systemd) its log. */
export const STATE_DIR = '/run/keepalive';
export const UNIT_NAME = 'keepalive.service';
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;

export type ServiceManager = HostConnection['serviceManager'];

export interface HostPaths {
  readonly install: string;
  readonly config: string;
  /** The fragments: one configuration, read as a directory. */
  readonly confD: string;
  readonly state: string;
  /** The launcher behind the `current` link. */
  readonly bin: string;
  readonly lock: string;
}

export function hostPaths(h: Pick<HostConnection, 'installDir' | 'configDir'>): HostPaths {
  const install = h.installDir.replace(/\/+$/, '');
  const config = h.configDir.replace(/\/+$/, '');
  return { install, config, confD: `${config}/conf.d`, state: STATE_DIR, bin: `${install}/current/keepalive`, lock: `${config}/.lock` };
}

/** The systemd unit: the runtime in the foreground, reloaded with `keepalive reload`, stopped with TERM to the watchdog only. */
export function systemdUnit(paths: HostPaths): string {
  const run = `${paths.bin} run -f ${paths.confD} --state-dir ${paths.state}`;
  return `# Written by the keepalive Pulumi provider; changes are overwritten on the next deploy.
[Unit]
Description=keepalive: VRRP failover and load balancing (keepalived rebuilt in TypeScript)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStartPre=${paths.bin} check -f ${paths.confD}
ExecStart=${run}
ExecReload=${paths.bin} reload --state-dir ${paths.state}
# TERM to the watchdog alone: it stops its children in order (a master sends its priority-0 advert),
# and whatever is left after the timeout is killed.
KillMode=mixed
TimeoutStopSec=20
Restart=on-failure
RestartSec=2
RuntimeDirectory=${paths.state.replace(/^\/run\//, '')}
RuntimeDirectoryMode=0755

[Install]
WantedBy=multi-user.target
`;
}

/** `NAME='value'` lines for the top of a remote script. */
export function shellVars(vars: Readonly<Record<string, string>>): string {
  return Object.entries(vars).map(([name, value]) => `${name}=${shellQuote(value)}`).join('\n');
}

/**
 * The shell variables and functions every deploy script starts with:
 *   I C D S K  install dir, config dir, conf.d, state dir, the launcher
 *   alive PID  the process exists and is not a zombie (init here may leave orphans unreaped a while)
 *   running    the runtime runs
 *   start      starts it and waits until it has applied its configuration (or says why it did not)
 *   stop       TERM, up to 15 s for a graceful exit, then KILL
 *   lock       takes the host's deploy lock, so two resources deploying to one host take turns
 */
export function serviceShell(paths: HostPaths, manager: ServiceManager): string {
  const common = `${shellVars({ I: paths.install, C: paths.config, D: paths.confD, S: paths.state, K: paths.bin, L: paths.lock })}
say() { printf '%s\\n' "$*"; }
fail() { printf 'keepalive-deploy: %s\\n' "$*" >&2; exit 1; }
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status" 2>/dev/null; }
runtime_pid() { p=$(cat "$S/keepalive.pid" 2>/dev/null) && [ -n "$p" ] && alive "$p" && printf '%s' "$p"; }
lock() { mkdir -p "$C" && exec 9>>"$L" && flock -w 120 9 || fail "another deploy holds $L for more than 120 s"; }
fragments() { for f in "$D"/*.json "$D"/*.yaml "$D"/*.yml; do [ -f "$f" ] && printf '%s\\n' "$f"; done; }`;
  if (manager === 'systemd') {
    return `${common}
running() { systemctl is-active --quiet ${UNIT_NAME}; }
start() {
  systemctl enable --now ${UNIT_NAME} >/dev/null 2>&1 || { systemctl status --no-pager ${UNIT_NAME} >&2; return 1; }
  i=0
  until "$K" status --state-dir "$S" >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -gt 150 ] && { journalctl -u ${UNIT_NAME} -n 20 --no-pager >&2; return 1; }
    running || { journalctl -u ${UNIT_NAME} -n 20 --no-pager >&2; return 1; }
    sleep 0.1
  done
}
stop() { running || return 0; systemctl disable --now ${UNIT_NAME} >/dev/null 2>&1 || systemctl stop ${UNIT_NAME}; }`;
  }
  return `${common}
running() { runtime_pid >/dev/null; }
start() {
  mkdir -p "$S"
  # A pid file left by a killed runtime would make the new one refuse to start.
  p=$(cat "$S/keepalive.pid" 2>/dev/null) && ! alive "$p" && rm -f "$S/keepalive.pid"
  from=$(($(wc -c < "$S/keepalive.log" 2>/dev/null || echo 0) + 1))
  # 9>&-: the daemon must not inherit the deploy lock, or it would hold it for as long as it runs.
  setsid nohup "$K" run -f "$D" --state-dir "$S" >>"$S/keepalive.log" 2>&1 </dev/null 9>&- &
  pid=$!
  i=0
  # Started once it logs so: by then both children have applied the configuration.
  until tail -c +"$from" "$S/keepalive.log" 2>/dev/null | grep -q "\\[$pid\\]: started with"; do
    if ! alive "$pid" || [ "$i" -gt 300 ]; then
      printf 'keepalive did not start; %s says:\\n' "$S/keepalive.log" >&2
      tail -c +"$from" "$S/keepalive.log" | tail -n 20 >&2
      alive "$pid" && kill -KILL "$pid"
      return 1
    fi
    i=$((i + 1)); sleep 0.05
  done
}
stop() {
  p=$(runtime_pid) || return 0
  kill -TERM "$p"
  i=0
  while alive "$p"; do
    i=$((i + 1))
    if [ "$i" -gt 300 ]; then kill -KILL "$p"; say "stop=killed"; return 0; fi
    sleep 0.05
  done
  say "stop=graceful"
}`;
}
