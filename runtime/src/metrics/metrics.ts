// GET /metrics: the watchdog's view (what `keepalive status` shows) in the Prometheus text format,
// rendered with prom-client. The VRRP metrics carry mehdy/keepalived-exporter's names and labels, so
// its dashboard and users' alert rules work unchanged; the load-balancing traffic counters
// gen2brain/keepalived_exporter's; what no exporter can see is under keepalive_.
//
// The server lives in the watchdog parent: it answers while a child respawns (keepalived_up 0, the
// instances left out until the VRRP child answers again).
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { checkerStatus, keepalivedStats, type DaemonStatus, type InstanceStatus, type KeepalivedVrrpStats, type NotifyScriptCounts } from '../control/status.ts';
import type { ServiceAddress, TrafficCounters } from '../lb/model.ts';
import { CHECK_DURATION_BUCKETS, cumulative, emptyHistogram, type HistogramCounts } from './histogram.ts';
import { parseListen } from './listen.ts';

export { parseListen };

/**
 * A VIP as keepalived prints it in its data dump, which the exporter's ip_address label takes: the
 * address, with its prefix length unless it is a host's (/32, /128).
 */
function vipLabel(cidr: string): string {
  return cidr.replace(cidr.includes(':') ? /\/128$/ : /\/32$/, '');
}

const STATE_VALUES: Record<InstanceStatus['state'], number> = { initialize: 0, backup: 1, master: 2, fault: 3 };

/** keepalived's per-instance error counters (its stats dump's), under the exporter's names. */
const ERROR_COUNTERS: readonly [name: string, help: string, field: keyof KeepalivedVrrpStats][] = [
  ['keepalived_packet_length_errors_total', 'Packet length errors', 'packet_len_err'],
  ['keepalived_advertisements_interval_errors_total', 'Advertisement interval errors', 'advert_interval_err'],
  ['keepalived_ip_ttl_errors_total', 'TTL errors', 'ip_ttl_err'],
  ['keepalived_invalid_type_received_total', 'Invalid type errors', 'invalid_type_rcvd'],
  ['keepalived_address_list_errors_total', 'Address list errors', 'addr_list_err'],
  ['keepalived_authentication_invalid_total', 'Authentication invalid', 'invalid_authtype'],
  ['keepalived_authentication_mismatch_total', 'Authentication mismatch', 'authtype_mismatch'],
  ['keepalived_authentication_failure_total', 'Authentication failure', 'auth_failure'],
];

/** IP protocol numbers, which gen2brain's `proto` label carries. */
const IP_PROTOCOLS = { tcp: 6, udp: 17, sctp: 132 } as const;

/**
 * A service as gen2brain's `addr`/`vip` and `proto` labels give it: "ADDR:PORT" as Go prints an
 * address (IPv6 without brackets) and the protocol's number. A fwmark service, which the exporter
 * prints as "<nil>:0" (every one the same), is "fwmark:MARK" here (":ipv6" after an IPv6 one's), proto "0".
 */
function lvsLabels(service: ServiceAddress): { addr: string; proto: string } {
  if ('fwmark' in service) return { addr: `fwmark:${service.fwmark}${service.family === 6 ? ':ipv6' : ''}`, proto: '0' };
  return { addr: `${service.address}:${service.port}`, proto: String(IP_PROTOCOLS[service.protocol]) };
}

/** gen2brain's traffic metrics: name suffix, help, and the counter it reads. */
const LVS_METRICS: readonly [suffix: string, help: string, value: keyof TrafficCounters][] = [
  ['in_packets', 'in packets', 'inPackets'],
  ['out_packets', 'out packets', 'outPackets'],
  ['in_bytes', 'in bytes', 'inBytes'],
  ['out_bytes', 'out bytes', 'outBytes'],
  ['conn', 'connections', 'connections'],
];

interface Sample { labels: Record<string, string>; value: number; metricName?: string }

/**
 * A metric whose samples are computed here rather than observed through prom-client: the
 * histograms counted in the checker child, and the untyped traffic counters. The registry renders
 * anything that answers get() with a name, help, type and samples.
 */
function precomputed(registry: Registry, name: string, help: string, type: 'untyped' | 'histogram', values: Sample[]): void {
  registry.registerMetric({ name, get: async () => ({ name, help, type, values, aggregator: 'sum' }) } as unknown as Metric);
}

/** Histograms by label set, as Prometheus exposes them: _bucket per `le`, _sum and _count. */
function histogramSamples(name: string, bounds: readonly number[], histograms: Map<string, { labels: Record<string, string>; histogram: HistogramCounts }>): Sample[] {
  return [...histograms.values()].flatMap(({ labels, histogram }) => {
    const { buckets, count } = cumulative(histogram, bounds);
    return [
      ...buckets.map(([le, value]) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value })),
      { metricName: `${name}_sum`, labels, value: histogram.sum },
      { metricName: `${name}_count`, labels, value: count },
    ];
  });
}

export interface WatchdogView {
  status: DaemonStatus;
  /** Reloads since the start, by whether they were accepted. */
  reloads: { accepted: number; refused: number };
  now?: number;
}

interface VrrpChildStatus {
  notifyScripts?: NotifyScriptCounts;
  instances?: InstanceStatus[];
  packets?: { received: number; rejects: Record<string, number> };
  scripts?: { name: string; ok: boolean; running?: boolean }[];
}

/** The view as Prometheus text (version 0.0.4). */
export async function renderMetrics(view: WatchdogView): Promise<string> {
  const registry = new Registry();
  const now = view.now ?? Date.now();
  const vrrp = view.status.children['vrrp'];
  const child = vrrp?.status as VrrpChildStatus | undefined;
  const instances = child?.instances ?? [];
  const labels = ['iname', 'intf', 'vrid'] as const;
  const instanceLabels = (i: InstanceStatus) => ({ iname: i.name, intf: i.interface, vrid: String(i.vrid) });

  new Gauge({ name: 'keepalived_up', help: 'Status of Keepalived service', registers: [registry] }).set(vrrp?.running && child ? 1 : 0);

  const state = new Gauge({ name: 'keepalived_vrrp_state', help: 'State of vrrp (0 init, 1 backup, 2 master, 3 fault)', labelNames: [...labels, 'ip_address'], registers: [registry] });
  const excluded = new Gauge({ name: 'keepalived_vrrp_excluded_state', help: 'State of vrrp with excluded VIP', labelNames: [...labels, 'ip_address'], registers: [registry] });
  for (const i of instances) {
    const value = STATE_VALUES[i.state];
    // As the exporter labels them: intf is the interface each VIP is on (its dev), the instance's for ip_address="".
    const excludedSet = new Set(i.excludedAddresses ?? []);
    const included = i.virtualAddresses.filter((a) => !excludedSet.has(a));
    if (included.length === 0) state.set({ ...instanceLabels(i), ip_address: '' }, value);
    for (const a of included) state.set({ ...instanceLabels(i), intf: i.addressDevices?.[a] ?? i.interface, ip_address: vipLabel(a) }, value);
    for (const a of i.excludedAddresses ?? []) excluded.set({ ...instanceLabels(i), intf: i.addressDevices?.[a] ?? i.interface, ip_address: vipLabel(a) }, value);
  }

  const scriptStatus = new Gauge({ name: 'keepalived_script_status', help: 'Tracker script status (0 BAD, 1 GOOD)', labelNames: ['name'], registers: [registry] });
  const scriptState = new Gauge({ name: 'keepalived_script_state', help: 'Tracker script state (0 idle, 1 running)', labelNames: ['name'], registers: [registry] });
  for (const s of child?.scripts ?? []) {
    scriptStatus.set({ name: s.name }, s.ok ? 1 : 0);
    scriptState.set({ name: s.name }, s.running ? 1 : 0);
  }

  const counter = (name: string, help: string, value: (i: InstanceStatus) => number): void => {
    const c = new Counter({ name, help, labelNames: [...labels], registers: [registry] });
    for (const i of instances) c.inc(instanceLabels(i), value(i));
  };
  counter('keepalived_advertisements_received_total', 'Advertisements received', (i) => i.counters.advertsReceived);
  counter('keepalived_advertisements_sent_total', 'Advertisements sent', (i) => i.counters.advertsSent);
  counter('keepalived_become_master_total', 'Became master', (i) => i.counters.becomeMaster ?? 0);
  counter('keepalived_release_master_total', 'Released master', (i) => i.counters.releaseMaster ?? 0);
  for (const [name, help, field] of ERROR_COUNTERS) counter(name, help, (i) => keepalivedStats(i.counters)[field]);
  counter('keepalived_priority_zero_received_total', 'Priority zero received', (i) => i.counters.priorityZeroReceived);
  counter('keepalived_priority_zero_sent_total', 'Priority zero sent', (i) => i.counters.priorityZeroSent);
  counter('keepalived_gratuitous_arp_delay_total', 'Gratuitous ARP delay (seconds)', (i) => (i.garpDelayMs ?? 0) / 1000);

  const priority = new Gauge({ name: 'keepalive_vrrp_priority', help: 'The priority an instance advertises, after tracking', labelNames: [...labels], registers: [registry] });
  const configured = new Gauge({ name: 'keepalive_vrrp_configured_priority', help: 'The priority an instance was configured with', labelNames: [...labels], registers: [registry] });
  const since = new Gauge({ name: 'keepalive_vrrp_seconds_since_transition', help: 'Seconds since the instance last changed state (or started)', labelNames: [...labels], registers: [registry] });
  for (const i of instances) {
    priority.set(instanceLabels(i), i.priority.effective);
    configured.set(instanceLabels(i), i.priority.configured);
    if (i.lastTransitionAt) since.set(instanceLabels(i), Math.max(0, (now - Date.parse(i.lastTransitionAt)) / 1000));
  }

  const restarts = new Counter({ name: 'keepalive_child_restarts_total', help: 'Times the watchdog respawned a child', labelNames: ['role'], registers: [registry] });
  for (const [role, c] of Object.entries(view.status.children)) restarts.inc({ role }, c.restarts);

  const reloads = new Counter({ name: 'keepalive_reloads_total', help: 'Configuration reloads, by whether they were accepted', labelNames: ['accepted'], registers: [registry] });
  reloads.inc({ accepted: 'true' }, view.reloads.accepted);
  reloads.inc({ accepted: 'false' }, view.reloads.refused);

  const dropped = new Counter({ name: 'keepalive_vrrp_packets_dropped_total', help: 'VRRP packets dropped, by reason', labelNames: ['reason'], registers: [registry] });
  const byReason = new Map<string, number>();
  for (const [reason, n] of Object.entries(child?.packets?.rejects ?? {})) byReason.set(reason, (byReason.get(reason) ?? 0) + n);
  for (const i of instances) for (const [reason, n] of Object.entries(i.counters.rejects)) byReason.set(reason, (byReason.get(reason) ?? 0) + n);
  for (const [reason, n] of byReason) dropped.inc({ reason }, n);

  const checker = checkerStatus(view.status);
  const rsUp = new Gauge({ name: 'keepalive_real_server_up', help: 'A real server\'s health (1 up, 0 down)', labelNames: ['virtual_server', 'real_server'], registers: [registry] });
  const rsWeight = new Gauge({ name: 'keepalive_real_server_weight', help: 'A real server\'s weight now (0 when down, or misc_dynamic\'s)', labelNames: ['virtual_server', 'real_server'], registers: [registry] });
  const quorumUp = new Gauge({ name: 'keepalive_virtual_server_quorum_up', help: 'Whether a virtual server has its quorum (1) or not (0)', labelNames: ['virtual_server'], registers: [registry] });
  for (const vs of checker?.virtualServers ?? []) {
    quorumUp.set({ virtual_server: vs.key }, vs.quorum.up ? 1 : 0);
    for (const rs of vs.realServers) {
      rsUp.set({ virtual_server: vs.key, real_server: rs.name }, rs.up ? 1 : 0);
      rsWeight.set({ virtual_server: vs.key, real_server: rs.name }, rs.weight);
    }
  }

  // gen2brain's names and labels. Untyped: the exporter calls them counters, which lint wants named
  // *_total; they only ever grow while their service stays, so rate() and increase() apply.
  const traffic = checker?.traffic ?? [];
  for (const [suffix, help, value] of LVS_METRICS) {
    precomputed(registry, `keepalived_lvs_vip_${suffix}`, `VIP ${help}`, 'untyped',
      traffic.map((t) => ({ labels: lvsLabels(t.service), value: t.counters[value] })));
    precomputed(registry, `keepalived_lvs_rs_${suffix}`, `RS ${help}`, 'untyped', traffic.flatMap((t) => {
      const { addr: vip, proto } = lvsLabels(t.service);
      return t.destinations.map((d) => ({ labels: { vip, addr: `${d.address}:${d.port}`, proto }, value: d.counters[value] }));
    }));
  }

  // Check runs per real server and checker kind (a real server's checks of one kind add up).
  const checks = new Counter({ name: 'keepalive_real_server_checks_total', help: 'Health check runs, by checker and outcome', labelNames: ['virtual_server', 'real_server', 'kind', 'outcome'], registers: [registry] });
  const durations = new Map<string, { labels: Record<string, string>; histogram: HistogramCounts }>();
  for (const vs of checker?.virtualServers ?? []) {
    for (const rs of vs.realServers) {
      for (const check of rs.checks) {
        if (check.kind === undefined || check.durations === undefined) continue;
        const labels = { virtual_server: vs.key, real_server: rs.name, kind: check.kind };
        checks.inc({ ...labels, outcome: 'success' }, check.passed ?? 0);
        checks.inc({ ...labels, outcome: 'failure' }, check.failed ?? 0);
        const key = JSON.stringify(labels);
        const sum = durations.get(key) ?? { labels, histogram: emptyHistogram(CHECK_DURATION_BUCKETS) };
        check.durations.counts.forEach((n, i) => { sum.histogram.counts[i]! += n; });
        sum.histogram.sum += check.durations.sum;
        durations.set(key, sum);
      }
    }
  }
  const durationName = 'keepalive_real_server_check_duration_seconds';
  precomputed(registry, durationName, 'How long health checks took, by checker', 'histogram', histogramSamples(durationName, CHECK_DURATION_BUCKETS, durations));

  const notifyRuns = new Counter({ name: 'keepalive_notify_scripts_total', help: 'Notify scripts run, by kind of notify', labelNames: ['kind'], registers: [registry] });
  const notifyFailures = new Counter({ name: 'keepalive_notify_script_failures_total', help: 'Notify scripts refused, unable to start, timed out or exiting other than 0, by kind of notify', labelNames: ['kind'], registers: [registry] });
  for (const counts of [child?.notifyScripts, checker?.notifyScripts]) {
    for (const [kind, { runs, failures }] of Object.entries(counts ?? {})) {
      notifyRuns.inc({ kind }, runs);
      notifyFailures.inc({ kind }, failures);
    }
  }

  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = new Registry().contentType;

/**
 * Serves GET /metrics on ADDR:PORT ("198.18.0.1:9650", "[::1]:9650"), nothing else. Rejects when the
 * address is invalid or taken.
 */
export async function listenMetrics(listen: string, view: () => Promise<WatchdogView>): Promise<Server> {
  const { host, port } = parseListen(listen);
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try GET /metrics\n');
      return;
    }
    view().then(renderMetrics).then(
      (text) => { response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text); },
      (error: Error) => { response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`); },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`metrics_listen ${listen}: ${error.message}`)));
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  return server;
}
