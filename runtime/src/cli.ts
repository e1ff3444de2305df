#!/usr/bin/env node
// The keepalive command line.
//   keepalive run -f FILE [-i ID] [--state-dir DIR] [--metrics-listen ADDR:PORT]   the daemon, in the foreground
//   keepalive check -f FILE                        validate; one file:line:col error per problem
//   keepalive status [--state-dir DIR] [--json]    state, priorities, timers and counters
//   keepalive reload [--state-dir DIR]             reload the running daemon's configuration
//   keepalive topology --state FILE [--live] [--svg OUT.svg]   a Pulumi stack's HA topology (the provider's)
//   keepalive --signum=NAME                        a signal's number, as keepalived --signum prints it
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// Each command imports what it needs when it runs: the watchdog's children start from this same file,
// and would otherwise each evaluate the configuration parser they never use.
import type { DaemonStatus } from './control/status.ts';
import { LOG_ENV, parseLogFacility } from './log.ts';

import pkg from '../../package.json' with { type: 'json' };
const DEFAULT_STATE_DIR = '/run/keepalive';

const USAGE = `keepalive ${pkg.version}: keepalived, rebuilt in TypeScript

Usage:
  keepalive run -f FILE [-i ID] [--state-dir DIR] [--metrics-listen ADDR:PORT] [-S N] [--no-syslog]
                                                run the daemon in the foreground (TERM/INT stop, HUP reloads)
  keepalive check -f FILE [-i ID]               validate a configuration: keepalived.conf, JSON or YAML
  keepalive status [--state-dir DIR] [--json]   show VRRP instances and virtual servers: state, health, dataplane
  keepalive reload [--state-dir DIR]            make the running daemon reload its configuration
  keepalive topology --state FILE [--live] [--svg OUT.svg]
                                                show a Pulumi stack's hosts, groups, masters, VIPs, virtual and
                                                real servers and health (from a checkout: the provider's command)
  keepalive --signum=NAME                       print the number of the signal keepalived uses for NAME: STOP,
                                                RELOAD, DATA, STATS, STATS_CLEAR or JSON (send it to the pid in
                                                STATE_DIR/keepalive.pid; DATA, STATS and JSON write keepalived's
                                                dumps to $TMPDIR or /tmp)

Options:
  -f, --config FILE    the configuration file (keepalived.conf syntax, or the project's JSON/YAML), or a
                       directory of JSON/YAML fragments merged in name order
  -i, --config-id ID   keepalived.conf's config id: lines starting @ID are read, @^ID are not (as
                       keepalived's --config-id; default: the host name up to its first dot)
  --state-dir DIR      where the pid file and control socket live (default ${DEFAULT_STATE_DIR})
  --metrics-listen ADDR:PORT
                       serve Prometheus metrics (GET /metrics) there; off unless this or the
                       configuration's metrics_listen says where
  -S, --log-facility N syslog facility localN (0..7) instead of daemon
  --syslog-socket PATH where syslog lines go (default /dev/log; run logs there when it exists)
  --no-syslog          standard error only
  -l, -n, -D           keepalived's --log-console, --dont-fork, --log-detail, accepted as they are
                       what run always does: it stays in the foreground and every line goes to stderr
  -h, --help           show this help
  -v, --version        print the version
`;

class UsageError extends Error {}

function options(args: string[], spec: Record<string, { type: 'string' | 'boolean'; short?: string }>) {
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      process.stderr.write(USAGE);
      return 2;
    case '-h': case '--help': case 'help':
      process.stdout.write(USAGE);
      return 0;
    case '-v': case '--version':
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    case '--signum': {
      // keepalived's getopt form, --signum NAME; --signum=NAME is split below.
      const name = rest[0];
      if (name === undefined) throw new UsageError('--signum needs a signal name');
      const { signalNumber } = await import('./dumps/signals.ts');
      const { realtimeSignals } = await import('./net/native.ts');
      const number = signalNumber(name, realtimeSignals());
      if (number === undefined) {
        process.stderr.write(`Unknown sigfunc ${name}\n`);
        return 1;
      }
      process.stdout.write(`${number}\n`);
      return 0;
    }
    case 'check': {
      const o = options(rest, { config: { type: 'string', short: 'f' }, 'config-id': { type: 'string', short: 'i' } });
      if (typeof o.config !== 'string') throw new UsageError('check needs -f FILE');
      if (typeof o['config-id'] === 'string') process.env.KEEPALIVE_CONFIG_ID = o['config-id'];
      const { loadConfig } = await import('./config/load.ts');
      try {
        const { config, warnings } = loadConfig(o.config);
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        // What depends on the host: check runs where the configuration will run. Interfaces of
        // routes and static addresses are warned of, as keepalived -t warns (a configuration may be
        // checked before its interfaces exist); run refuses them.
        if (config.staticIpaddress.length + config.staticRoutes.length + config.vrrpInstances.reduce((n, i) => n + i.virtualRoutes.length, 0) > 0) {
          const { kernelIndexOf, routingEntries } = await import('./vrrp/routing.ts');
          const statics = { addresses: config.staticIpaddress, routes: config.staticRoutes, rules: config.staticRules };
          try { routingEntries({ statics, instances: config.vrrpInstances }, kernelIndexOf); } catch (error) {
            for (const line of (error as Error).message.split('\n')) process.stderr.write(`warning: ${line} (keepalive run refuses it)\n`);
          }
        }
        if (config.globalDefs.lvsSyncDaemon) {
          const { openIpvsForSyncDaemon } = await import('./lb/ipvs/sync-daemon.ts');
          (await openIpvsForSyncDaemon(config.globalDefs.lvsSyncDaemon)).close();
        }
        process.stdout.write(`${o.config}: configuration OK\n`);
        return 0;
      } catch (error) {
        process.stderr.write(`${(error as Error).message}\n`);
        return 1;
      }
    }
    case 'run': {
      const o = options(rest, {
        config: { type: 'string', short: 'f' }, 'config-id': { type: 'string', short: 'i' }, 'state-dir': { type: 'string' }, 'metrics-listen': { type: 'string' },
        'log-facility': { type: 'string', short: 'S' }, 'syslog-socket': { type: 'string' }, 'no-syslog': { type: 'boolean' },
        // keepalived's, accepted so that its unit files' arguments work: run always stays in the
        // foreground (-n) and logs every line to the console (-l) with its detail (-D).
        'log-console': { type: 'boolean', short: 'l' }, 'dont-fork': { type: 'boolean', short: 'n' }, 'log-detail': { type: 'boolean', short: 'D' },
      });
      if (typeof o.config !== 'string') throw new UsageError('run needs -f FILE');
      // In the environment, so the daemon's children log to the same place.
      if (typeof o['log-facility'] === 'string') {
        try { process.env[LOG_ENV.facility] = String(parseLogFacility(o['log-facility'])); } catch (error) { throw new UsageError((error as Error).message); }
      }
      if (typeof o['syslog-socket'] === 'string') process.env[LOG_ENV.socket] = o['syslog-socket'];
      if (o['no-syslog']) process.env[LOG_ENV.socket] = '';
      // In the environment, so the daemon's children and every reload read the same @ID lines.
      if (typeof o['config-id'] === 'string') process.env.KEEPALIVE_CONFIG_ID = o['config-id'];
      const metricsListen = o['metrics-listen'] as string | undefined;
      if (metricsListen !== undefined) {
        const { parseListen } = await import('./metrics/metrics.ts');
        try { parseListen(metricsListen); } catch (error) { throw new UsageError(`--metrics-listen ${(error as Error).message}`); }
      }
      const { Watchdog } = await import('./watchdog/watchdog.ts');
      const { loadConfig } = await import('./config/load.ts');
      const watchdog = new Watchdog({
        configPath: o.config,
        stateDir: (o['state-dir'] as string | undefined) ?? DEFAULT_STATE_DIR,
        roles: ['vrrp', 'checker'],
        load: loadConfig,
        metricsListen,
      });
      try {
        await watchdog.start();
      } catch (error) {
        process.stderr.write(`${(error as Error).message}\n`);
        return 1;
      }
      return new Promise<number>(() => {}); // runs until a signal stops it
    }
    case 'status': {
      const o = options(rest, { 'state-dir': { type: 'string' }, json: { type: 'boolean' } });
      const { controlRequest } = await import('./control/client.ts');
      const { formatStatus } = await import('./control/status.ts');
      const status = await controlRequest(`${(o['state-dir'] as string | undefined) ?? DEFAULT_STATE_DIR}/control.sock`, { command: 'status' }) as DaemonStatus;
      process.stdout.write(o.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      return 0;
    }
    case 'reload': {
      const o = options(rest, { 'state-dir': { type: 'string' } });
      const { controlRequest } = await import('./control/client.ts');
      const result = await controlRequest(`${(o['state-dir'] as string | undefined) ?? DEFAULT_STATE_DIR}/control.sock`, { command: 'reload' }) as { ok: boolean; errors?: string[] };
      if (result.ok) {
        process.stdout.write('reloaded\n');
        return 0;
      }
      process.stderr.write(`reload refused; the running configuration stays in force:\n${(result.errors ?? []).join('\n')}\n`);
      return 1;
    }
    case 'topology': {
      // The provider's command (Pulumi state, SSH): loaded from the checkout by a path esbuild does not
      // follow, so the runtime bundle that hosts run does not carry the provider.
      const url = new URL('../../provider/topology/cli.ts', import.meta.url);
      if (!existsSync(fileURLToPath(url))) {
        throw new Error(`topology is a command of the keepalive provider, which is not here (${fileURLToPath(url)}): run \`npx keepalive topology\` in a checkout of keepalive`);
      }
      const { topologyMain } = await import(url.href) as typeof import('../../provider/topology/cli.ts');
      return topologyMain(rest);
    }
    case 'child': {
      // Not for users: how the watchdog starts its children (see watchdog.ts).
      if (!process.send) throw new UsageError('"child" is started by "keepalive run", not by hand');
      const { startChild } = await import('./child.ts');
      await startChild(rest[0], rest[1]);
      return new Promise<number>(() => {}); // runs until the watchdog stops it
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

const argv = process.argv.slice(2);
main(argv[0]?.startsWith('--signum=') ? ['--signum', argv[0].slice('--signum='.length), ...argv.slice(1)] : argv).then(
  (code) => { process.exitCode = code; },
  (error: Error) => {
    process.stderr.write(error instanceof UsageError ? `keepalive: ${error.message}\n\n${USAGE}` : `keepalive: ${error.message}\n`);
    process.exitCode = 2;
  },
);
