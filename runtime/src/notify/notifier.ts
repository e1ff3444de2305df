// What happens on a VRRP transition besides the protocol: notify scripts (the state's own, then the
// generic one with keepalived's arguments: INSTANCE|GROUP, name, state, priority) and SMTP alerts.
import { hostname } from 'node:os';
import { defaultScriptUser, insecureScriptPath, lookupUser, runScript, type ScriptUser } from './script.ts';
import { Mailer, type Alert, type SmtpSettings } from './smtp.ts';
import type { GlobalDefs, NotifyFifo } from '../config/model.ts';
import type { FifoSpec, NotifyFifos } from './fifo.ts';
import type { InstanceSpec, NotifyScripts, SyncGroupSpec } from '../vrrp/spec.ts';
import type { SyncGroupState } from '../vrrp/sync-group.ts';
import type { TransitionRecord } from '../control/status.ts';
import { log } from '../log.ts';

export interface NotifierSettings {
  routerId: string;
  /** The notify FIFOs of this child: notify_fifo and the child's own (vrrp_ or lvs_notify_fifo). */
  fifos: FifoSpec[];
  scriptUser: ScriptUser;
  scriptTimeoutMs: number;
  /** enable_script_security: scripts run as root only from paths nobody else can write. */
  scriptSecurity: boolean;
  smtp: SmtpSettings | undefined;
}

/** How long a notify script may run before it is killed (keepalived's default script timeout). */
const NOTIFY_TIMEOUT_MS = 15_000;

/** The notifier settings global_defs gives a child: script user and security, SMTP alerts, FIFOs. */
export function notifierSettings(g: GlobalDefs, role: 'vrrp' | 'checker'): NotifierSettings {
  const scriptUser = g.scriptUser ? lookupUser(g.scriptUser.user, g.scriptUser.group) : defaultScriptUser();
  const fifo = (f: NotifyFifo | undefined, runsScript: boolean): FifoSpec[] => (f?.path === undefined ? [] : [{
    path: f.path,
    ...(f.owner ? { owner: lookupUser(f.owner.user, f.owner.group) } : {}),
    ...(f.script && runsScript ? {
      script: { command: f.script, user: f.scriptUser ? lookupUser(f.scriptUser.user, f.scriptUser.group) : scriptUser, security: g.enableScriptSecurity },
    } : {}),
  }]);
  // As in keepalived: one reader for the shared FIFO, started by the checker child; a child's own
  // FIFO that is the shared one is not written twice.
  const own = role === 'vrrp' ? g.vrrpNotifyFifo : g.lvsNotifyFifo;
  const fifos = [...fifo(g.notifyFifo, role === 'checker'), ...(own?.path === g.notifyFifo?.path ? [] : fifo(own, true))];
  return {
    routerId: g.routerId ?? hostname(),
    fifos,
    scriptUser,
    scriptTimeoutMs: NOTIFY_TIMEOUT_MS,
    scriptSecurity: g.enableScriptSecurity,
    smtp: g.smtpServer && g.notificationEmail.length > 0 ? {
      server: g.smtpServer.host,
      port: g.smtpServer.port,
      ...(g.smtpHeloName ? { heloName: g.smtpHeloName } : {}),
      connectTimeoutMs: g.smtpConnectTimeoutMs,
      from: g.notificationEmailFrom ?? `keepalive@${hostname()}`,
      to: g.notificationEmail,
    } : undefined,
  };
}

/** Which notify a script run is, by keepalived's keyword for it. */
export type NotifyKind = 'notify_master' | 'notify_backup' | 'notify_fault' | 'notify_stop' | 'notify' | 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down';

/**
 * Notify scripts run and failed, by kind, since the child started: it outlives the notifiers (a
 * reload makes a new one), so its counts only grow. A failure is a script refused by
 * enable_script_security, one that could not start, timed out, or exited other than 0.
 */
export class NotifyTally {
  private readonly byKind = new Map<NotifyKind, { runs: number; failures: number }>();

  record(kind: NotifyKind, ok: boolean): void {
    const tally = this.byKind.get(kind) ?? { runs: 0, failures: 0 };
    tally.runs++;
    if (!ok) tally.failures++;
    this.byKind.set(kind, tally);
  }

  counts(): Partial<Record<NotifyKind, { runs: number; failures: number }>> {
    return Object.fromEntries([...this.byKind].map(([kind, t]) => [kind, { ...t }]));
  }
}

/** keepalived's names for the states, as notify scripts receive them. */
const STATE_WORD: Record<string, SyncGroupState> = {
  master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', initialize: 'STOP',
};

export class Notifier {
  private readonly settings: NotifierSettings;
  private readonly mailer: Mailer | undefined;
  private pending = new Set<Promise<unknown>>();
  /**
   * The last script run queued for each subject (an instance, a real server, a virtual server's
   * quorum). Runs for one subject start in the order of their events, each after the one before has
   * ended (or been killed at its timeout): two quick transitions must not reach a script, or a file it
   * writes, as MASTER after STOP. keepalived gives that order only through notify_fifo.
   */
  private readonly lastRun = new Map<string, Promise<void>>();

  private readonly fifos: NotifyFifos | undefined;
  private readonly tally: NotifyTally | undefined;

  /**
   * `fifos` and `tally` outlive the notifier (a reload makes a new notifier): the child opens and
   * closes the FIFOs, and reports the tally.
   */
  constructor(settings: NotifierSettings, fifos?: NotifyFifos, tally?: NotifyTally) {
    this.settings = settings;
    this.fifos = fifos;
    this.tally = tally;
    this.mailer = settings.smtp ? new Mailer(settings.smtp) : undefined;
  }

  instanceTransition(spec: InstanceSpec, record: TransitionRecord, priority: number): void {
    const state = STATE_WORD[record.to];
    if (!state) return;
    this.announce('INSTANCE', spec.name, spec.notify, state, priority);
    if (spec.smtpAlert) {
      this.mail({
        subject: `[${this.settings.routerId}] VRRP Instance ${spec.name} - Entering ${state} state`,
        body: `=> VRRP Instance ${spec.name} is now ${state} (priority ${priority}) on ${hostname()}: ${record.reason} <=\n`,
      });
    }
  }

  /** A sync group entering a state: its scripts get GROUP, its name, the state and priority 0, as in keepalived. */
  groupTransition(group: SyncGroupSpec, state: SyncGroupState): void {
    this.announce('GROUP', group.name, group.notify, state, 0);
    if (group.smtpAlert) {
      this.mail({
        subject: `[${this.settings.routerId}] VRRP Group ${group.name} - Entering ${state} state`,
        body: `=> All VRRP instances of group ${group.name} (${group.members.join(', ')}) are now ${state} on ${hostname()} <=\n`,
      });
    }
  }

  /** A line for the notify FIFOs, in keepalived's format (fifo.ts). */
  fifoLine(line: string): void {
    this.fifos?.write(line);
  }

  /** The FIFO line, then the state's own script, then the generic one, in order, as keepalived runs them. */
  private announce(kind: 'INSTANCE' | 'GROUP', name: string, notify: NotifyScripts, state: SyncGroupState, priority: number): void {
    this.fifoLine(`${kind} "${name}" ${state} ${priority}`);
    const own = { MASTER: notify.master, BACKUP: notify.backup, FAULT: notify.fault, STOP: notify.stop }[state];
    this.inOrder(`${kind.toLowerCase()} ${name}`, async () => {
      const ownKind = `notify_${state.toLowerCase()}` as NotifyKind;
      if (own) await this.run(ownKind, own, [], `${ownKind} of ${name}`);
      if (notify.any) await this.run('notify', notify.any, [kind, name, state, String(priority)], `notify of ${name}`);
    });
  }

  /** Runs a notify script in the background, after those queued for `subject`; `what` names it in the log. */
  script(subject: string, kind: NotifyKind, command: string, args: readonly string[], what: string): void {
    this.inOrder(subject, () => this.run(kind, command, args, what));
  }

  /** Sends an alert in the background, when SMTP alerts are configured. */
  mail(alert: Alert): void {
    if (this.mailer) this.track(this.mailer.send(alert));
  }

  get routerId(): string {
    return this.settings.routerId;
  }

  private async run(kind: NotifyKind, command: string, args: readonly string[], what: string): Promise<void> {
    const insecure = this.settings.scriptSecurity ? insecureScriptPath(command, this.settings.scriptUser) : undefined;
    if (insecure) {
      log('error', `${what}: not run, enable_script_security: ${insecure}`);
      this.tally?.record(kind, false);
      return;
    }
    const result = await runScript(command, args, this.settings.scriptUser, this.settings.scriptTimeoutMs);
    if (result.error) log('warn', `${what}: cannot run ${command}: ${result.error}`);
    else if (result.timedOut) log('warn', `${what}: ${command} timed out after ${this.settings.scriptTimeoutMs} ms and was killed`);
    else if (result.code !== 0) log('warn', `${what}: ${command} exited with ${result.code ?? result.signal}${result.output ? `: ${result.output.trim()}` : ''}`);
    this.tally?.record(kind, result.code === 0);
  }

  private inOrder(subject: string, task: () => Promise<void>): void {
    // run() logs its failures and never rejects, so one run's end is the next one's start.
    const next = (this.lastRun.get(subject) ?? Promise.resolve()).then(task);
    this.lastRun.set(subject, next);
    this.track(next);
    void next.finally(() => { if (this.lastRun.get(subject) === next) this.lastRun.delete(subject); });
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for scripts and mails under way (bounded by their own timeouts). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
