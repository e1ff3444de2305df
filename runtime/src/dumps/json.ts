// keepalived's JSON dump (/tmp/keepalived.json, written on its JSON signal, SIGRTMIN+2), version 1
// as keepalived 2.2.7 writes it (vrrp/vrrp_json.c): a top-level array with one {data, stats} object
// per VRRP instance, under keepalived's field names and in its order. Exporters read this version
// and fail on version 2 (an object with a version field). Pure.
import { keepalivedStats, type InstanceStatus, type KeepalivedVrrpStats } from '../control/status.ts';
import { commandString, formatRoute, formatRule, instanceAddresses, weighted, type DumpInput } from './data.ts';

/** keepalived's state numbers (VRRP_STATE_*). */
const STATE_NUMBERS: Record<InstanceStatus['state'], number> = { initialize: 0, backup: 1, master: 2, fault: 3 };

export interface JsonDumpEntry {
  data: Record<string, string | number | boolean | string[]>;
  stats: KeepalivedVrrpStats;
}

export function jsonDumpEntries(input: DumpInput): JsonDumpEntry[] {
  const { config, facts } = input;
  return input.instances.flatMap((i): JsonDumpEntry[] => {
    const spec = facts.specs.find((s) => s.name === i.name);
    if (!spec) return [];
    const conf = config.vrrpInstances.find((c) => c.name === i.name);
    const scripts = new Map(config.vrrpScripts.map((s) => [s.name, s]));
    const data: JsonDumpEntry['data'] = {
      iname: i.name,
      dont_track_primary: spec.trackPrimary ? 0 : 1,
      skip_check_adv_addr: spec.skipCheckAdvertAddresses ? 1 : 0,
      strict_mode: config.globalDefs.vrrpStrict ? 1 : 0,
      vmac_ifname: spec.vmac ?? '',
      ifp_ifname: spec.vmac ?? spec.interface,
      master_priority: i.masterPriority ?? 0,
      last_transition: Date.parse(i.lastTransitionAt ?? new Date(input.now).toISOString()) / 1000,
      garp_delay: spec.garp.delayMs / 1000,
      garp_refresh: Math.floor(spec.garp.refreshMs / 1000),
      garp_rep: spec.garp.repeat,
      garp_refresh_rep: spec.garp.refreshRepeat,
      // keepalive sends no gratuitous ARPs on hearing a lower priority, and no advert back (data.ts says why).
      garp_lower_prio_delay: Math.floor(spec.garp.delayMs / 1000),
      garp_lower_prio_rep: 0,
      lower_prio_no_advert: 1,
      higher_prio_send_advert: 0,
      vrid: spec.vrid,
      base_priority: spec.priority,
      effective_priority: i.priority.effective,
      vipset: i.state === 'master',
      promote_secondaries: false,
      adver_int: spec.intervalCs / 100,
      master_adver_int: i.timers.masterAdverIntervalCs / 100,
      accept: spec.acceptMode ? 1 : 0,
      nopreempt: !spec.preempt,
      preempt_delay: Math.floor(spec.preemptDelayMs / 1000),
      state: STATE_NUMBERS[i.state],
      wantstate: STATE_NUMBERS[i.state],
      version: spec.version,
      smtp_alert: spec.smtpAlert,
      notify_deleted: false,
    };
    const notify: [keyof typeof spec.notify, string][] = [['backup', 'script_backup'], ['master', 'script_master'], ['fault', 'script_fault'], ['stop', 'script_stop'], ['any', 'script']];
    for (const [kind, field] of notify) if (spec.notify[kind]) data[field] = commandString(spec.notify[kind]!);
    // Lists are left out when empty, as keepalived does.
    const list = (field: string, values: string[]): void => { if (values.length > 0) data[field] = values; };
    list('vips', instanceAddresses(i, spec, conf, spec.virtualAddresses));
    list('evips', instanceAddresses(i, spec, conf, spec.excludedAddresses));
    list('vroutes', spec.virtualRoutes.map(formatRoute));
    list('vrules', spec.virtualRules.map(formatRule));
    list('track_ifp', weighted(conf?.trackInterface ?? [], () => undefined, spec.interface).map((t) => t.name));
    list('track_script', (conf?.trackScript ?? []).flatMap((t) => { const s = scripts.get(t.name); return s ? [commandString(s.script)] : []; }));
    // keepalived's VRRP_AUTH_PASS is 1, VRRP_AUTH_AH 2; it writes the key of either.
    const auth = spec.authentication;
    data['auth_type'] = auth === undefined ? 0 : auth.type === 'AH' ? 2 : 1;
    if (auth) data['auth_data'] = auth.password;
    return [{ data, stats: keepalivedStats(i.counters) }];
  });
}

export function formatJsonDump(input: DumpInput): string {
  return `${JSON.stringify(jsonDumpEntries(input))}\n`;
}
