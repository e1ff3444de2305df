// The harness every child runs in: it takes configurations, status requests and stops from the
// watchdog, and stops by itself when the watchdog goes away (the IPC channel closes), so that a child
// never outlives its parent, whatever killed the parent.
import { log, setLogRole } from '../log.ts';
import { signalNumber } from '../dumps/signals.ts';
import { onSignal, realtimeSignals, releaseFreedMemory } from '../net/native.ts';
import type { ChildRoleName, FromChild, StatusOptions, ToChild } from './messages.ts';

/** What a child role implements. */
export interface ChildRole {
  /** Applies a (new) configuration: the first one starts the role, later ones are reloads. */
  apply(config: unknown): Promise<void>;
  /** What `keepalive status`, the metrics and the dumps show (StatusOptions: what beyond the status). */
  status(request: StatusOptions): unknown;
  /** Stops gracefully (a VRRP master resigns with a priority-0 advert). */
  stop(): Promise<void>;
}

export function runChild(name: ChildRoleName, role: ChildRole): void {
  setLogRole(`keepalive-${name}`);
  const send = (m: FromChild): void => { if (process.connected) process.send!(m); };
  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      log('info', `stopping (${why})`);
      try { await role.stop(); } catch (error) { log('error', `stop: ${(error as Error).message}`); }
      send({ type: 'stopped' });
      process.exit(0);
    })();
    return stopping;
  };
  // Applies run one at a time, in order: a reload never interleaves with the one before it.
  let applying = Promise.resolve();
  process.on('message', (m: ToChild) => {
    switch (m.type) {
      case 'config':
        applying = applying.then(async () => {
          try {
            await role.apply(m.config);
            releaseFreedMemory();
            send({ type: 'applied', generation: m.generation });
          } catch (error) {
            // The watchdog logs the refusal, and reports it to whoever asked for the reload.
            send({ type: 'applied', generation: m.generation, error: (error as Error).message });
          }
        });
        break;
      case 'status':
        // A role may answer later (the checker reads its dataplane's counters): answers carry their id.
        void Promise.resolve().then(() => role.status({ traffic: m.traffic === true, dump: m.dump === true, clearStats: m.clearStats === true })).then(
          (status) => send({ type: 'status', id: m.id, status }),
          (error: Error) => {
            log('error', `status: ${error.message}`);
            send({ type: 'status', id: m.id, status: undefined });
          },
        );
        break;
      case 'stop':
        void stop('asked by the watchdog');
        break;
    }
  });
  process.on('disconnect', () => { void stop('the watchdog is gone'); });
  // Signals go to the watchdog, which forwards them; a child's own TERM (from a user) stops it too.
  process.on('SIGTERM', () => { void stop('SIGTERM'); });
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  // keepalived's dump signals are the watchdog's to answer. One sent to a child by mistake is ignored
  // rather than left to its default action: a real-time signal's kills the process, and SIGUSR1's
  // would open Node's inspector.
  process.on('SIGUSR1', () => {});
  process.on('SIGUSR2', () => {});
  for (const kind of ['STATS_CLEAR', 'JSON']) onSignal(signalNumber(kind, realtimeSignals())!, () => {});
  send({ type: 'ready' });
}
