// lvs_sync_daemon: the kernel's IPVS connection sync daemon (net/netfilter/ipvs/ip_vs_sync.c) runs as
// master where the named VRRP instance is MASTER, sending the connection table, and as backup
// elsewhere, receiving it, so that the director that takes over keeps the established connections.
//
// The VRRP child drives it, as keepalived's VRRP process does (vrrp.c calls ipvs_syncd_master and
// ipvs_syncd_backup on the instance's transitions): the role must change in the same step as the
// instance's state, and only the VRRP child sees that step. The checker child keeps the service
// table; the two share nothing but the kernel, where the service table and the sync threads are
// separate objects.
//
// syncDaemonSteps is the pure core: from the roles the kernel reports running to the one wanted.
// SyncDaemonDriver is the thin adapter that reads the kernel back, applies the steps, and stops the
// role it runs when the child stops.
import type { LvsSyncDaemon, SourcePos } from '../../config/model.ts';
import { log } from '../../log.ts';
import { Ipvs, IpvsUnavailableError } from './ipvs.ts';
import type { IpvsSyncDaemon, SyncState } from './codec.ts';

/** What the configuration asks of the daemon, its role aside; unset numbers are the kernel's defaults. */
export type SyncDaemonSettings = Omit<IpvsSyncDaemon, 'state'>;

export type SyncDaemonStep = { kind: 'stop'; state: SyncState } | { kind: 'start'; daemon: IpvsSyncDaemon };

/** The settings of lvs_sync_daemon; the sync id defaults to the instance's VRID, as in keepalived. */
export function syncDaemonSettings(daemon: LvsSyncDaemon, instanceVrid: number): SyncDaemonSettings {
  return {
    interface: daemon.interface,
    syncId: daemon.syncId ?? instanceVrid,
    ...(daemon.maxLen !== undefined && { maxLen: daemon.maxLen }),
    ...(daemon.port !== undefined && { port: daemon.port }),
    ...(daemon.ttl !== undefined && { ttl: daemon.ttl }),
    ...(daemon.group !== undefined && { group: daemon.group }),
  };
}

/**
 * A running role matches when the kernel reports what the settings ask; a setting left unset matches
 * whatever default the kernel chose.
 */
function matches(running: IpvsSyncDaemon, settings: SyncDaemonSettings): boolean {
  return (Object.keys(settings) as (keyof SyncDaemonSettings)[]).every((key) => running[key] === settings[key]);
}

/**
 * The steps from the running roles to `wanted` alone with `settings` (`wanted` undefined: none). Roles
 * that are not wanted, or run with other settings, stop first, as keepalived stops the other role
 * before it starts the new one; a wanted role that already runs as asked is left alone, so a reload
 * that changes nothing drops no sync message.
 */
export function syncDaemonSteps(running: readonly IpvsSyncDaemon[], wanted: SyncState | undefined, settings: SyncDaemonSettings | undefined): SyncDaemonStep[] {
  const steps: SyncDaemonStep[] = [];
  let keep = false;
  for (const r of running) {
    if (r.state === wanted && settings && matches(r, settings)) keep = true;
    else steps.push({ kind: 'stop', state: r.state });
  }
  if (wanted && settings && !keep) steps.push({ kind: 'start', daemon: { state: wanted, ...settings } });
  return steps;
}

const where = (at: SourcePos): string => `${at.file}:${at.line}:${at.col}`;

/** Opens IPVS for the sync daemon, or says at lvs_sync_daemon's position why it cannot run here. */
export async function openIpvsForSyncDaemon(daemon: LvsSyncDaemon): Promise<Ipvs> {
  try {
    return await Ipvs.open();
  } catch (error) {
    if (error instanceof IpvsUnavailableError) throw new Error(`${where(daemon.at)}: lvs_sync_daemon needs IPVS, and ${error.message}; without IPVS there is no connection sync`);
    throw error;
  }
}

/** Runs the sync daemon's role for one VRRP instance; every change goes through one queue, in order. */
export class SyncDaemonDriver {
  private ipvs: Ipvs | undefined;
  private instance: string | undefined;
  private settings: SyncDaemonSettings | undefined;
  private queue: Promise<void> = Promise.resolve();

  /**
   * Takes a new configuration (undefined: no lvs_sync_daemon, and the roles it ran stop) and the named
   * instance's state now. Rejects, before anything changes, when the kernel has no IPVS.
   */
  async configure(daemon: LvsSyncDaemon | undefined, instanceVrid: number | undefined, instanceState: string | undefined): Promise<void> {
    if (daemon && !this.ipvs) this.ipvs = await openIpvsForSyncDaemon(daemon);
    this.instance = daemon?.instance;
    this.settings = daemon && instanceVrid !== undefined ? syncDaemonSettings(daemon, instanceVrid) : undefined;
    await this.follow(instanceState);
  }

  /** An instance's transition: the role follows when it is the named instance. */
  transition(instance: string, to: string): void {
    if (instance === this.instance) void this.follow(to);
  }

  /** Stops the role it runs (keepalived stops it when its VRRP process ends) and closes the socket. */
  async stop(): Promise<void> {
    this.settings = undefined;
    await this.follow(undefined);
    this.ipvs?.close();
    this.ipvs = undefined;
  }

  /** Master while the instance is master; backup in every other state, as keepalived. */
  private follow(instanceState: string | undefined): Promise<void> {
    const ipvs = this.ipvs;
    const settings = this.settings;
    if (!ipvs) return this.queue;
    const role: SyncState | undefined = settings ? (instanceState === 'master' ? 'master' : 'backup') : undefined;
    this.queue = this.queue.then(async () => {
      const steps = syncDaemonSteps(await ipvs.listSyncDaemons(), role, settings);
      for (const step of steps) {
        if (step.kind === 'stop') await ipvs.stopSyncDaemon(step.state);
        else await ipvs.startSyncDaemon(step.daemon);
      }
      if (steps.length > 0) log('info', `IPVS sync daemon: ${settings && role ? `${role} on ${settings.interface}, sync id ${settings.syncId}` : 'stopped'}`);
    }).catch((error: Error) => log('error', `IPVS sync daemon: ${error.message}`));
    return this.queue;
  }
}
