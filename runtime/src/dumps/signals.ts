// keepalived's signals, by the names `keepalived --signum=NAME` takes (lib/signals.c get_signum in
// keepalived 2.2.7): tools that drive keepalived ask it for the numbers, then signal the daemon's
// parent process. Pure: the real-time ones depend on the C library's SIGRTMIN and SIGRTMAX, passed in.
import { constants } from 'node:os';

export const SIGNAL_FUNCTIONS = ['STOP', 'RELOAD', 'DATA', 'STATS', 'STATS_CLEAR', 'JSON'] as const;
export type SignalFunction = (typeof SIGNAL_FUNCTIONS)[number];

/** The signal keepalived uses for `name`; undefined for a name it does not know. */
export function signalNumber(name: string, realtime: { min: number; max: number }): number | undefined {
  switch (name) {
    case 'STOP': return constants.signals.SIGTERM;
    case 'RELOAD': return constants.signals.SIGHUP;
    case 'DATA': return constants.signals.SIGUSR1;
    case 'STATS': return constants.signals.SIGUSR2;
    case 'STATS_CLEAR': return realtime.max - 1;
    case 'JSON': return realtime.min + 2;
    default: return undefined;
  }
}
