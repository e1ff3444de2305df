// The VRRP implementations a lab test or benchmark can run on a host, all driven by the same
// keepalived.conf text, so that one scenario measures each of them the same way.
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Daemon, Host } from './host.ts';
import type { DaemonStatus } from '../../runtime/src/control/status.ts';
import { processGone } from './processes.ts';
import { run } from './exec.ts';

export interface VrrpImplementation {
  readonly name: string;
  /** Writes the configuration into the host and starts the implementation; resolves once it runs. */
  start(host: Host, config: string): Promise<Daemon>;
}

/** keepalived's pid files, by the command-line flag that names each, in the host's private /run. */
const PID_FILES = { '-p': '/run/keepalived.pid', '-r': '/run/keepalived_vrrp.pid', '-c': '/run/keepalived_checkers.pid', '-b': '/run/keepalived_bfd.pid' };

/** Debian's keepalived: the reference implementation, one instance per host. */
export const keepalived: VrrpImplementation = {
  name: 'keepalived',
  async start(host, config) {
    const file = '/etc/keepalived/keepalived.conf';
    host.writeFile(file, config);
    // After a crash, keepalived's pid files outlive it, and one whose process is a zombie not yet
    // reaped by init makes keepalived refuse to start ("daemon is already running"). A reboot or a
    // service manager would clear them; so does this.
    for (const file of Object.values(PID_FILES)) {
      const path = host.path(file);
      try {
        if (processGone(Number(readFileSync(path, 'utf8').trim()))) rmSync(path);
      } catch { /* no pid file */ }
    }
    // -n: stay in the foreground; -l -D: detailed log to the console (the daemon's log file);
    // -G: no syslog. -P: VRRP only, as the scenarios have no LVS part.
    return host.startDaemon('keepalived', [
      'keepalived', '-n', '-l', '-D', '-G', '-P', '-f', file, ...Object.entries(PID_FILES).flat(),
    ], { pidFile: PID_FILES['-p'] });
  },
};

export const KEEPALIVE_CLI = fileURLToPath(new URL('../../runtime/src/cli.ts', import.meta.url));

/** Where the lab runs keepalive's state: its pid file and control socket. */
export const KEEPALIVE_STATE_DIR = '/run/keepalive';

/** Writes the configuration into the host and runs `PROGRAM run` there (the CLI source or the bundle). */
export function startKeepalive(host: Host, config: string, program: string): Promise<Daemon> {
  const file = '/etc/keepalive/keepalived.conf';
  host.writeFile(file, config);
  return host.startDaemon('keepalive', [process.execPath, program, 'run', '-f', file, '--state-dir', KEEPALIVE_STATE_DIR], { pidFile: `${KEEPALIVE_STATE_DIR}/keepalive.pid` });
}

/** `keepalive status --json` of the runtime running in the host. */
export async function keepaliveStatus(host: Host, program = KEEPALIVE_CLI): Promise<DaemonStatus> {
  const { stdout } = await host.exec([process.execPath, program, 'status', '--json', '--state-dir', KEEPALIVE_STATE_DIR]);
  return JSON.parse(stdout) as DaemonStatus;
}

/** The project's runtime, from this checkout, run by the Node that runs the tests. */
export const keepalive: VrrpImplementation = {
  name: 'keepalive',
  start: (host, config) => startKeepalive(host, config, KEEPALIVE_CLI),
};

export const KEEPALIVE_BUNDLE = fileURLToPath(new URL('../../dist/runtime/keepalive.mjs', import.meta.url));
const BUILD_RUNTIME = fileURLToPath(new URL('../../scripts/build-runtime.ts', import.meta.url));

/** Builds the bundled runtime from this checkout into dist/runtime (KEEPALIVE_BUNDLE and the files beside it). */
export async function buildKeepaliveBundle(): Promise<void> {
  await run([process.execPath, BUILD_RUNTIME]);
}

/** The bundled runtime (plain JavaScript, as installed on hosts), built from this checkout first. */
export const keepaliveBundle: VrrpImplementation = {
  name: 'keepalive-bundle',
  async start(host, config) {
    await buildKeepaliveBundle();
    return startKeepalive(host, config, KEEPALIVE_BUNDLE);
  },
};

export const implementations: ReadonlyMap<string, VrrpImplementation> = new Map([keepalived, keepalive, keepaliveBundle].map((i) => [i.name, i]));

export function implementation(name: string): VrrpImplementation {
  const impl = implementations.get(name);
  if (!impl) throw new Error(`unknown implementation ${JSON.stringify(name)}; available: ${[...implementations.keys()].join(', ')}`);
  return impl;
}

export interface VrrpInstanceOptions {
  routerId: string;
  version: 2 | 3;
  vrid: number;
  interfaceName: string;
  priority: number;
  /** advert_int in seconds: whole seconds for v2, down to 0.01 for v3. */
  advertInt: number;
  /** "ADDR/LEN" */
  vips: readonly string[];
  unicast?: { source: string; peers: readonly string[] };
  nopreempt?: boolean;
  preemptDelay?: number;
  /** v2 authentication with this password: a simple password, or under `authType` AH an IPsec AH key. */
  password?: string;
  authType?: 'PASS' | 'AH';
}

/** Renders a keepalived.conf with one VRRP instance, VI_1, in the syntax both implementations read. */
export function renderVrrpConf(o: VrrpInstanceOptions): string {
  return renderVrrpInstances(o.routerId, o.version, [{ ...o, name: 'VI_1' }]);
}

/** One vrrp_instance block of renderVrrpInstances. */
export type VrrpInstanceBlock = Omit<VrrpInstanceOptions, 'routerId' | 'version'> & { name: string };

/** Renders a keepalived.conf with these VRRP instances, in the syntax both implementations read. */
export function renderVrrpInstances(routerId: string, version: 2 | 3, instances: readonly VrrpInstanceBlock[]): string {
  const lines = ['global_defs {', `  router_id ${routerId}`, `  vrrp_version ${version}`, '}'];
  for (const o of instances) {
    lines.push(
      '',
      `vrrp_instance ${o.name} {`,
      // Every host starts as BACKUP, so the election is the RFC's and not a configured outcome.
      '  state BACKUP',
      `  interface ${o.interfaceName}`,
      `  virtual_router_id ${o.vrid}`,
      `  priority ${o.priority}`,
      `  advert_int ${o.advertInt}`,
    );
    if (o.nopreempt) lines.push('  nopreempt');
    if (o.password !== undefined) lines.push('  authentication {', `    auth_type ${o.authType ?? 'PASS'}`, `    auth_pass ${o.password}`, '  }');
    if (o.preemptDelay !== undefined) lines.push(`  preempt_delay ${o.preemptDelay}`);
    if (o.unicast) {
      lines.push(`  unicast_src_ip ${o.unicast.source}`, '  unicast_peer {', ...o.unicast.peers.map((p) => `    ${p}`), '  }');
    }
    lines.push('  virtual_ipaddress {', ...o.vips.map((v) => `    ${v}`), '  }', '}');
  }
  return `${lines.join('\n')}\n`;
}
