// The metrics endpoint: the watchdog's view rendered under mehdy/keepalived-exporter's names and
// labels (and keepalive_'s own), checked by Debian's promtool; metrics_listen in both formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import type { CheckerStatus, DaemonStatus, InstanceStatus } from '../../runtime/src/control/status.ts';
import type { TrafficCounters } from '../../runtime/src/lb/model.ts';
import { listenMetrics, parseListen, renderMetrics } from '../../runtime/src/metrics/metrics.ts';
import { cumulative, emptyHistogram, observe } from '../../runtime/src/metrics/histogram.ts';

function instance(name: string, over: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    name, interface: 'eth0', vrid: 51, version: 2, family: 4, state: 'master',
    priority: { configured: 100, effective: 80 }, masterAddress: undefined, faults: [],
    virtualAddresses: ['198.18.0.100/24', '198.18.0.101/24', '198.18.0.200/32'], excludedAddresses: ['198.18.0.200/32'],
    addressDevices: { '198.18.0.100/24': 'eth0', '198.18.0.101/24': 'eth0', '198.18.0.200/32': 'lo' },
    garpDelayMs: 5000, lastTransitionAt: '2026-01-01T00:00:00.000Z',
    timers: { advertIntervalCs: 100, masterAdverIntervalCs: 100, skewTimeMs: 0, masterDownIntervalMs: 0, nextAdvertInMs: 0, masterDownInMs: undefined },
    counters: { advertsSent: 42, advertsReceived: 7, priorityZeroSent: 1, priorityZeroReceived: 2, becomeMaster: 3, releaseMaster: 2, rejects: { ttl: 4, 'auth-hmac': 3, 'auth-password': 2, 'auth-mismatch': 6, short: 1, 'address-count': 1 } },
    transitions: [],
    ...over,
  };
}

const traffic = (connections: number, inPackets: number, outPackets: number, inBytes: number, outBytes: number): TrafficCounters =>
  ({ connections, inPackets, outPackets, inBytes, outBytes });
/** Check durations in CHECK_DURATION_BUCKETS (13 bounds, then +Inf): 3 runs at 1-2.5 ms, 1 at 5-10 ms, 1 above 10 s. */
const DURATIONS = { counts: [0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], sum: 12.0135 };

const CHECKER: CheckerStatus = {
  configAppliedAt: undefined, dataplane: { kind: 'nftables', reason: 'test' }, lastSync: undefined, repairs: { runs: 0, drifted: 0, last: [] }, lateness: undefined, events: [],
  virtualServers: [{
    key: '198.18.0.100:80/tcp', services: [], suspended: [], scheduler: 'rr', quorum: { up: true, weight: 1, quorum: 1, hysteresis: 0 },
    realServers: [
      {
        name: '198.18.1.1:80', up: true, weight: 3, configuredWeight: 3, inTable: 3,
        // Two HTTP_GET checks (two urls) count as one series: labels never carry a check's url.
        checks: [
          { id: 'HTTP_GET /a', kind: 'HTTP_GET', up: true, last: null, passed: 4, failed: 1, durations: DURATIONS },
          { id: 'HTTP_GET /b', kind: 'HTTP_GET', up: true, last: null, passed: 5, failed: 0, durations: DURATIONS },
        ],
      },
      { name: '198.18.1.2:80', up: false, weight: 0, configuredWeight: 1, inTable: null, checks: [] },
    ],
  }],
  traffic: [
    {
      service: { family: 4, protocol: 'tcp', address: '198.18.0.100', port: 80 }, counters: traffic(60, 400, 300, 24_000, 90_000),
      destinations: [{ address: '198.18.1.1', port: 80, counters: traffic(60, 400, 300, 24_000, 90_000) }, { address: '198.18.1.2', port: 8080, counters: traffic(0, 0, 0, 0, 0) }],
    },
    { service: { family: 6, protocol: 'udp', address: '2001:db8::100', port: 53 }, counters: traffic(2, 2, 2, 140, 300), destinations: [] },
    { service: { family: 6, fwmark: 7 }, counters: traffic(1, 5, 0, 400, 0), destinations: [{ address: '2001:db8::1', port: 0, counters: traffic(1, 5, 0, 400, 0) }] },
  ],
  notifyScripts: { notify_down: { runs: 3, failures: 1 } },
};

function daemon(vrrp: unknown, running = true): DaemonStatus {
  return {
    pid: 1, uptimeMs: 1000, config: '/etc/keepalive/keepalived.conf', configGeneration: 2, lastReload: undefined,
    children: {
      vrrp: { pid: running ? 2 : undefined, running, restarts: 1, lastExit: undefined, status: vrrp },
      checker: { pid: 3, running: true, restarts: 0, lastExit: undefined, status: CHECKER },
    },
  };
}

const VRRP = {
  instances: [instance('VI_1'), instance('VI_2', { vrid: 52, interface: 'eth1', state: 'backup', virtualAddresses: [], excludedAddresses: [] })],
  packets: { received: 100, rejects: { 'unknown-vrid': 6, ttl: 1 } },
  scripts: [{ name: 'chk_haproxy', ok: true, running: true }, { name: 'chk_down', ok: false, running: false }],
  notifyScripts: { notify_master: { runs: 2, failures: 0 }, notify: { runs: 2, failures: 2 } },
};
const NOW = Date.parse('2026-01-01T00:01:30.000Z');

test('VRRP metrics under keepalived-exporter names: one state series per VIP, ip_address="" without VIPs', async () => {
  const text = await renderMetrics({ status: daemon(VRRP), reloads: { accepted: 3, refused: 1 }, now: NOW });
  const has = (line: string): void => assert.ok(text.split('\n').includes(line), `missing ${line} in\n${text}`);
  has('keepalived_up 1');
  has('keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="198.18.0.100/24"} 2');
  has('keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="198.18.0.101/24"} 2');
  has('keepalived_vrrp_state{iname="VI_2",intf="eth1",vrid="52",ip_address=""} 1');
  has('keepalived_vrrp_excluded_state{iname="VI_1",intf="lo",vrid="51",ip_address="198.18.0.200"} 2');
  assert.ok(!/^keepalived_vrrp_state\{[^}]*198\.18\.0\.200/m.test(text), 'an excluded VIP is not a state series');
  has('keepalived_script_status{name="chk_haproxy"} 1');
  has('keepalived_script_status{name="chk_down"} 0');
  has('keepalived_script_state{name="chk_haproxy"} 1');
  has('keepalived_script_state{name="chk_down"} 0');
  has('keepalived_advertisements_sent_total{iname="VI_1",intf="eth0",vrid="51"} 42');
  has('keepalived_advertisements_received_total{iname="VI_1",intf="eth0",vrid="51"} 7');
  has('keepalived_become_master_total{iname="VI_1",intf="eth0",vrid="51"} 3');
  has('keepalived_release_master_total{iname="VI_1",intf="eth0",vrid="51"} 2');
  has('keepalived_packet_length_errors_total{iname="VI_1",intf="eth0",vrid="51"} 2');
  has('keepalived_ip_ttl_errors_total{iname="VI_1",intf="eth0",vrid="51"} 4');
  has('keepalived_authentication_failure_total{iname="VI_1",intf="eth0",vrid="51"} 5');
  has('keepalived_authentication_invalid_total{iname="VI_1",intf="eth0",vrid="51"} 0');
  has('keepalived_authentication_mismatch_total{iname="VI_1",intf="eth0",vrid="51"} 6');
  has('keepalived_advertisements_interval_errors_total{iname="VI_2",intf="eth1",vrid="52"} 0');
  has('keepalived_priority_zero_sent_total{iname="VI_1",intf="eth0",vrid="51"} 1');
  has('keepalived_priority_zero_received_total{iname="VI_1",intf="eth0",vrid="51"} 2');
  has('keepalived_gratuitous_arp_delay_total{iname="VI_1",intf="eth0",vrid="51"} 5');
  has('keepalive_vrrp_priority{iname="VI_1",intf="eth0",vrid="51"} 80');
  has('keepalive_vrrp_configured_priority{iname="VI_1",intf="eth0",vrid="51"} 100');
  has('keepalive_vrrp_seconds_since_transition{iname="VI_1",intf="eth0",vrid="51"} 90');
  has('keepalive_child_restarts_total{role="vrrp"} 1');
  has('keepalive_child_restarts_total{role="checker"} 0');
  has('keepalive_reloads_total{accepted="true"} 3');
  has('keepalive_reloads_total{accepted="false"} 1');
  has('keepalive_vrrp_packets_dropped_total{reason="unknown-vrid"} 6');
  has('keepalive_vrrp_packets_dropped_total{reason="ttl"} 9');
  has('keepalive_real_server_up{virtual_server="198.18.0.100:80/tcp",real_server="198.18.1.1:80"} 1');
  has('keepalive_real_server_up{virtual_server="198.18.0.100:80/tcp",real_server="198.18.1.2:80"} 0');
  has('keepalive_real_server_weight{virtual_server="198.18.0.100:80/tcp",real_server="198.18.1.1:80"} 3');
  has('keepalive_virtual_server_quorum_up{virtual_server="198.18.0.100:80/tcp"} 1');
  has('# TYPE keepalived_advertisements_sent_total counter');
  has('# TYPE keepalived_vrrp_state gauge');
});

test('load balancing: gen2brain\'s traffic metrics and labels; check runs and durations per real server and checker; notify scripts', async () => {
  const text = await renderMetrics({ status: daemon(VRRP), reloads: { accepted: 0, refused: 0 } });
  const has = (line: string): void => assert.ok(text.split('\n').includes(line), `missing ${line} in\n${text}`);
  has('# TYPE keepalived_lvs_vip_in_bytes untyped');
  has('keepalived_lvs_vip_in_bytes{addr="198.18.0.100:80",proto="6"} 24000');
  has('keepalived_lvs_vip_out_bytes{addr="198.18.0.100:80",proto="6"} 90000');
  has('keepalived_lvs_vip_in_packets{addr="198.18.0.100:80",proto="6"} 400');
  has('keepalived_lvs_vip_out_packets{addr="198.18.0.100:80",proto="6"} 300');
  has('keepalived_lvs_vip_conn{addr="198.18.0.100:80",proto="6"} 60');
  // As Go prints an IPv6 address: no brackets before the port.
  has('keepalived_lvs_vip_conn{addr="2001:db8::100:53",proto="17"} 2');
  has('keepalived_lvs_vip_in_bytes{addr="fwmark:7:ipv6",proto="0"} 400');
  has('keepalived_lvs_rs_conn{vip="198.18.0.100:80",addr="198.18.1.1:80",proto="6"} 60');
  has('keepalived_lvs_rs_in_bytes{vip="198.18.0.100:80",addr="198.18.1.2:8080",proto="6"} 0');
  has('keepalived_lvs_rs_in_packets{vip="fwmark:7:ipv6",addr="2001:db8::1:0",proto="0"} 5');
  has('# TYPE keepalive_real_server_checks_total counter');
  has('keepalive_real_server_checks_total{virtual_server="198.18.0.100:80/tcp",real_server="198.18.1.1:80",kind="HTTP_GET",outcome="success"} 9');
  has('keepalive_real_server_checks_total{virtual_server="198.18.0.100:80/tcp",real_server="198.18.1.1:80",kind="HTTP_GET",outcome="failure"} 1');
  has('# TYPE keepalive_real_server_check_duration_seconds histogram');
  const series = 'virtual_server="198.18.0.100:80/tcp",real_server="198.18.1.1:80",kind="HTTP_GET"';
  has(`keepalive_real_server_check_duration_seconds_bucket{${series},le="0.001"} 0`);
  has(`keepalive_real_server_check_duration_seconds_bucket{${series},le="0.0025"} 6`);
  has(`keepalive_real_server_check_duration_seconds_bucket{${series},le="0.01"} 8`);
  has(`keepalive_real_server_check_duration_seconds_bucket{${series},le="10"} 8`);
  has(`keepalive_real_server_check_duration_seconds_bucket{${series},le="+Inf"} 10`);
  has(`keepalive_real_server_check_duration_seconds_sum{${series}} 24.027`);
  has(`keepalive_real_server_check_duration_seconds_count{${series}} 10`);
  assert.ok(!/198\.18\.1\.2:80/.test(text.split('\n').filter((l) => l.startsWith('keepalive_real_server_check')).join('\n')), 'a real server without checks has no check series');
  // Both children's notify scripts.
  has('keepalive_notify_scripts_total{kind="notify_master"} 2');
  has('keepalive_notify_scripts_total{kind="notify_down"} 3');
  has('keepalive_notify_script_failures_total{kind="notify"} 2');
  has('keepalive_notify_script_failures_total{kind="notify_down"} 1');
});

test('a histogram counted where it is observed: a value on a bound is in that bound\'s bucket (le), one above the last in +Inf', () => {
  const bounds = [0.01, 0.1, 1];
  const h = emptyHistogram(bounds);
  for (const v of [0.002, 0.01, 0.0100001, 0.5, 1, 7]) observe(h, bounds, v);
  assert.deepEqual(h.counts, [2, 1, 2, 1]);
  assert.ok(Math.abs(h.sum - 8.5220001) < 1e-9, String(h.sum));
  assert.deepEqual(cumulative(h, bounds), { buckets: [['0.01', 2], ['0.1', 3], ['1', 5], ['+Inf', 6]], count: 6 });
});

test('a VRRP child that respawns: keepalived_up 0, no instance series, the watchdog still answers', async () => {
  const text = await renderMetrics({ status: daemon(undefined, false), reloads: { accepted: 0, refused: 0 } });
  assert.ok(text.split('\n').includes('keepalived_up 0'));
  assert.ok(!/^keepalived_vrrp_state\{/m.test(text));
  assert.ok(text.split('\n').includes('keepalive_child_restarts_total{role="vrrp"} 1'));
});

test('promtool check metrics passes on the output', { skip: spawnSync('promtool', ['--version']).error ? 'no promtool (Debian package prometheus; scripts/setup installs it)' : false }, async () => {
  for (const status of [daemon(VRRP), daemon(undefined, false)]) {
    const text = await renderMetrics({ status, reloads: { accepted: 1, refused: 0 } });
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'promtool has no complaint (lint included)');
  }
});

test('metrics_listen: global_defs keyword, JSON/YAML key, validated; off when unset', () => {
  const conf = (g: string): string => `global_defs {\n${g}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n 198.18.0.100/24\n }\n}\n`;
  assert.equal(parseConfigText(conf('  metrics_listen 198.18.0.1:9650'), 'k.conf').config.globalDefs.metricsListen, '198.18.0.1:9650');
  assert.equal(parseConfigText(conf('  metrics_listen [fd00::1]:9650'), 'k.conf').config.globalDefs.metricsListen, '[fd00::1]:9650');
  assert.equal(parseConfigText(conf('  router_id lb1'), 'k.conf').config.globalDefs.metricsListen, undefined);
  assert.throws(() => parseConfigText(conf('  metrics_listen 0.0.0.0'), 'k.conf'), /k\.conf:2:\d+: metrics_listen "0\.0\.0\.0": expected ADDR:PORT/);
  assert.throws(() => parseConfigText(conf('  metrics_listen lb1:9650'), 'k.conf'), /k\.conf:2:\d+: metrics_listen/);
  const yaml = 'globalDefs:\n  metricsListen: "198.18.0.1:9650"\nvrrpInstances:\n  VI_1:\n    interface: eth0\n    virtualRouterId: 51\n    virtualIpaddress: [198.18.0.100/24]\n';
  assert.equal(parseConfigText(yaml, 'k.yaml').config.globalDefs.metricsListen, '198.18.0.1:9650');
  assert.throws(() => parseConfigText(yaml.replace('9650', '70000'), 'k.yaml'), /k\.yaml:2:\d+: metricsListen "198\.18\.0\.1:70000"/);
  assert.deepEqual(parseListen('[::1]:9650'), { host: '::1', port: 9650 });
  assert.throws(() => parseListen(':9650'));
  assert.throws(() => parseListen('[198.18.0.1]:9650'));
});

test('GET /metrics on the address given, 404 elsewhere; a taken address is named', async () => {
  // A free loopback port: bound, read and released (the server binds only where it is told).
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const server = await listenMetrics(`127.0.0.1:${port}`, async () => ({ status: daemon(VRRP), reloads: { accepted: 0, refused: 0 } }));
  try {
    assert.deepEqual(server.address(), { address: '127.0.0.1', family: 'IPv4', port });
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await r.text(), /^keepalived_up 1$/m);
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
    await assert.rejects(listenMetrics(`127.0.0.1:${port}`, async () => { throw new Error('unused'); }), new RegExp(`metrics_listen 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
