// keepalived's dump signals on the watchdog (the process whose pid the pid file holds, which tools
// signal): DATA (SIGUSR1) writes keepalived.data, STATS (SIGUSR2) keepalived.stats, STATS_CLEAR the
// stats and then zeroes the counters, JSON keepalived.json. The watchdog asks the VRRP child over the
// IPC channel for its status (with the dump facts when the layout needs them) and formats it here
// with the pure formatters (data.ts, stats.ts, json.ts). Each file goes to $TMPDIR, else /tmp, as
// keepalived's do, written whole under a temporary name and renamed: a reader never sees half a dump.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KeepaliveConfig } from '../config/model.ts';
import type { InstanceStatus } from '../control/status.ts';
import { log } from '../log.ts';
import { onSignal, realtimeSignals, unpoll } from '../net/native.ts';
import type { StatusOptions } from '../watchdog/messages.ts';
import { formatDataDump, type DumpInput } from './data.ts';
import type { VrrpDumpFacts } from './facts.ts';
import { formatJsonDump } from './json.ts';
import { signalNumber, type SignalFunction } from './signals.ts';
import { formatStatsDump } from './stats.ts';

/** The VRRP child's status as a dump needs it. */
export interface VrrpStatusForDump {
  instances?: InstanceStatus[];
  dump?: VrrpDumpFacts;
}

export interface DumpSource {
  /** The VRRP child's status; undefined when it is not running or does not answer. */
  vrrpStatus(options: StatusOptions): Promise<VrrpStatusForDump | undefined>;
  /** The configuration in force. */
  config(): KeepaliveConfig;
}

/** keepalived's directory for its dumps (set_tmp_dir): $TMPDIR when it is an absolute path, else /tmp. */
export function dumpDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.TMPDIR;
  return dir?.startsWith('/') ? dir : '/tmp';
}

let temporaries = 0;

/** Writes `text` to `path` under a temporary name in the same directory, then renames it: readers see the old file or the new one. */
export function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.${++temporaries}.tmp`;
  try {
    // Only root reads them, as keepalived's (fopen_safe creates them 0600).
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

const FILES: Record<Exclude<SignalFunction, 'STOP' | 'RELOAD'>, string> = {
  DATA: 'keepalived.data', STATS: 'keepalived.stats', STATS_CLEAR: 'keepalived.stats', JSON: 'keepalived.json',
};

/** Writes the dump `kind` asks for; resolves with its path, or why there is none. */
export async function writeDump(kind: keyof typeof FILES, source: DumpSource, directory = dumpDirectory()): Promise<{ path: string } | { none: string }> {
  const withFacts = kind === 'DATA' || kind === 'JSON';
  const status = await source.vrrpStatus({ ...(withFacts ? { dump: true } : {}), ...(kind === 'STATS_CLEAR' ? { clearStats: true } : {}) });
  if (!status?.instances || (withFacts && !status.dump)) return { none: 'the VRRP child did not answer' };
  // keepalived writes no JSON without an instance.
  if (kind === 'JSON' && status.instances.length === 0) return { none: 'no VRRP instance' };
  const input = (): DumpInput => ({
    config: source.config(), instances: status.instances!, facts: status.dump!, hostname: hostname(), umask: process.umask(), now: Date.now(),
  });
  const text = kind === 'DATA' ? formatDataDump(input()) : kind === 'JSON' ? formatJsonDump(input()) : formatStatsDump(status.instances);
  const path = `${directory}/${FILES[kind]}`;
  writeAtomically(path, text);
  return { path };
}

const WORDS: Record<keyof typeof FILES, string> = { DATA: 'VRRP data', STATS: 'VRRP stats', STATS_CLEAR: 'and clearing VRRP stats', JSON: 'VRRP as json' };

/**
 * Answers keepalived's DATA, STATS, STATS_CLEAR and JSON signals with the dumps; returns the function
 * that stops answering. SIGUSR1 and SIGUSR2 through Node; the real-time ones, which Node cannot
 * name, through the addon.
 */
export function answerDumpSignals(source: DumpSource): () => void {
  const realtime = realtimeSignals();
  const handle = (kind: keyof typeof FILES) => (): void => {
    // keepalived's words, so that its users' log searches find them.
    log('info', `Printing ${WORDS[kind]} for process(${process.pid}) on signal`);
    writeDump(kind, source).then(
      (written) => { if ('none' in written) log('warn', `no ${FILES[kind]} written: ${written.none}`); },
      (error: Error) => log('error', `writing ${FILES[kind]}: ${error.message}`),
    );
  };
  const data = handle('DATA');
  const stats = handle('STATS');
  process.on('SIGUSR1', data);
  process.on('SIGUSR2', stats);
  const realtimeHandles = (['STATS_CLEAR', 'JSON'] as const).map((kind) => onSignal(signalNumber(kind, realtime)!, handle(kind)));
  return () => {
    process.off('SIGUSR1', data);
    process.off('SIGUSR2', stats);
    for (const h of realtimeHandles) unpoll(h);
  };
}

