// The metrics endpoint against a real Prometheus: Debian's prometheus, started by the test in a lab
// host with a 1 s scrape interval, scrapes two keepalive runtimes (a master and a backup) in two other
// lab hosts, and the test asks its HTTP API what dashboards and alert rules would see. A NAT director
// (lab/nat-director.ts) has its traffic and health checks scraped the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { KEEPALIVE_CLI, KEEPALIVE_STATE_DIR, keepalive, keepaliveStatus, renderVrrpConf } from './lab/implementations.ts';
import { waitForSoleHolder } from './lab/vrrp.ts';
import { waitFor } from './lab/exec.ts';
import type { Host } from './lab/host.ts';
import { createNatDirectorLab, REAL_SERVERS, renderVirtualServerConf } from './lab/nat-director.ts';

const BACKEND = new URL('fixtures/lb/backend.ts', import.meta.url).pathname;
const CLIENT = new URL('fixtures/lb/client.ts', import.meta.url).pathname;
const T = { timeout: 180_000, skip: spawnSync('prometheus', ['--version']).error ? 'no prometheus (Debian package; scripts/setup installs it)' : false };
const METRICS_PORT = 9650;
const SCRAPE_S = 1;
const ADVERT_S = 1;

type Sample = { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] };

/** An instant query, asked from inside the Prometheus host (the lab has no management address). */
async function query(prom: Host, expr: string): Promise<Sample[]> {
  const url = `http://${prom.ipv4()}:9090/api/v1/query?query=${encodeURIComponent(expr)}`;
  const { stdout } = await prom.exec(['curl', '-sS', '--max-time', '5', url]);
  const body = JSON.parse(stdout) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** An instant query's values, by the value of `label` in each series. */
async function values(prom: Host, expr: string, label: string): Promise<Record<string, number>> {
  return Object.fromEntries((await query(prom, expr)).map((s) => [s.metric[label] ?? '', Number(s.value![1])]));
}

/**
 * Debian's prometheus in `prom`, scraping `targets` every SCRAPE_S, once it says it is ready.
 * Disposing of the result stops it and removes its data.
 */
async function startPrometheus(prom: Host, targets: readonly string[]): Promise<AsyncDisposable> {
  const tsdb = mkdtempSync(join(tmpdir(), 'keepalive-prometheus-'));
  try {
    prom.writeFile('/etc/prometheus-lab/prometheus.yml', [
      'global:',
      `  scrape_interval: ${SCRAPE_S}s`,
      `  scrape_timeout: ${SCRAPE_S}s`,
      'scrape_configs:',
      '  - job_name: keepalive',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'));
    const prometheus = await prom.startDaemon('prometheus', [
      'prometheus', '--config.file=/etc/prometheus-lab/prometheus.yml', `--storage.tsdb.path=${tsdb}`,
      `--web.listen-address=${prom.ipv4()}:9090`,
    ]);
    const disposable = {
      async [Symbol.asyncDispose]() {
        await prometheus.stop();
        rmSync(tsdb, { recursive: true, force: true });
      },
    };
    try {
      await waitFor('Prometheus to be ready', async () => {
        const r = await prom.exec(`curl -sf http://${prom.ipv4()}:9090/-/ready || true`);
        if (!prometheus.running) throw new Error(`prometheus exited:\n${prometheus.log()}`);
        return r.stdout.includes('Ready') ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100 });
    } catch (error) {
      await disposable[Symbol.asyncDispose]();
      throw error;
    }
    return disposable;
  } catch (error) {
    rmSync(tsdb, { recursive: true, force: true });
    throw error;
  }
}

test('Prometheus scrapes a master and a backup: keepalived_vrrp_state, a takeover within two scrapes, the advert rate', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2', 'prom'], ssh: false, management: false });
  const [h1, h2, prom] = [lab.host('h1'), lab.host('h2'), lab.host('prom')];
  const vip = addressIn(lab.segment('lan').subnets.v4, 100);
  const conf = (h: Host, priority: number): string => renderVrrpConf({
    routerId: h.name, version: 2, vrid: 51, interfaceName: h.iface().name, priority, advertInt: ADVERT_S, vips: [`${vip}/24`],
  }).replace('global_defs {\n', `global_defs {\n  metrics_listen ${h.ipv4()}:${METRICS_PORT}\n`);
  const master = await keepalive.start(h1, conf(h1, 150));
  await keepalive.start(h2, conf(h2, 100));
  await waitForSoleHolder([h1, h2], vip, 'h1');

  const target = (h: Host): string => `${h.ipv4()}:${METRICS_PORT}`;
  await using _prometheus = await startPrometheus(prom, [target(h1), target(h2)]);
  const state = async (h: Host): Promise<number | undefined> => {
    const [s] = await query(prom, `keepalived_vrrp_state{iname="VI_1",instance="${target(h)}"}`);
    return s?.value ? Number(s.value[1]) : undefined;
  };
  await waitFor('Prometheus to see h1 master and h2 backup', async () => ((await state(h1)) === 2 && (await state(h2)) === 1 ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 });
  const [withVip] = await query(prom, `keepalived_vrrp_state{iname="VI_1",instance="${target(h1)}"}`);
  assert.equal(withVip!.metric['ip_address'], `${vip}/24`);
  assert.deepEqual((await query(prom, `keepalived_up`)).map((s) => s.value![1]), ['1', '1']);

  // The master's advert rate, once the 5 s window holds at least 5 scrapes of it.
  const sent = `keepalived_advertisements_sent_total{iname="VI_1",instance="${target(h1)}"}`;
  await waitFor('5 s of scrapes of the master', async () => (Number((await query(prom, `count_over_time(${sent}[5s])`))[0]?.value?.[1] ?? 0) >= 5 ? true : undefined), { timeoutMs: 20_000, intervalMs: 250 });
  const rate = Number((await query(prom, `rate(${sent}[5s])`))[0]!.value![1]);
  // 1 advert a second; rate() over 5 one-second scrapes of a counter that steps once a second is
  // within a step of it either way, and extrapolation adds up to a few percent: 25% tolerance.
  assert.ok(Math.abs(rate - 1 / ADVERT_S) <= 0.25 / ADVERT_S, `rate(keepalived_advertisements_sent_total[5s]) = ${rate}, expected ${1 / ADVERT_S} ± 25%`);

  // KILL the master's runtime (its watchdog and children at once). The backup takes over after
  // Master_Down_Interval; Prometheus has it as master within two scrapes of that.
  master.signalGroup('SIGKILL');
  await master.exited();
  await waitForSoleHolder([h2], vip, 'h2', 15_000);
  const transition = (await keepaliveStatus(h2)).children['vrrp']!.status as { instances: { transitions: { at: string; to: string }[] }[] };
  const tookOver = Date.parse(transition.instances[0]!.transitions.filter((t) => t.to === 'master').at(-1)!.at);
  const seenAt = await waitFor('Prometheus to see h2 master', async () => {
    const [s] = await query(prom, `keepalived_vrrp_state{iname="VI_1",instance="${target(h2)}"}[30s]`);
    const first = s?.values?.find(([, v]) => v === '2');
    return first ? first[0] * 1000 : undefined;
  }, { timeoutMs: (2 * SCRAPE_S + 5) * 1000, intervalMs: 200 });
  const lagMs = seenAt - tookOver;
  // A scrape's timestamp is when it started: the first scrape that starts after the takeover
  // starts within one interval, and two intervals bound it with a scrape that was under way.
  assert.ok(lagMs >= 0 && lagMs <= 2 * SCRAPE_S * 1000, `the first scrape with h2 master came ${lagMs} ms after its takeover; expected within two scrapes (${2 * SCRAPE_S * 1000} ms)`);

  // The endpoint is the watchdog's: a KILLed VRRP child costs no scrape. Every answer while it
  // respawns is a 200, and the restart shows.
  const vrrpChild = (await keepaliveStatus(h2)).children['vrrp']!.pid!;
  process.kill(vrrpChild, 'SIGKILL');
  const answers: string[] = [];
  await waitFor('the VRRP child of h2 to be back, as its metrics say', async () => {
    const r = await prom.exec(['curl', '-sS', '--max-time', '2', '-w', '%{http_code}', `http://${target(h2)}/metrics`]);
    answers.push(r.stdout.slice(-3));
    return /^keepalive_child_restarts_total\{role="vrrp"\} 1$/m.test(r.stdout) && /^keepalived_up 1$/m.test(r.stdout) ? true : undefined;
  }, { timeoutMs: 10_000, intervalMs: 20 });
  assert.deepEqual([...new Set(answers)], ['200'], `answers while the child respawned: ${answers.join(' ')}`);
  process.stdout.write(`# advert rate ${rate.toFixed(3)}/s; takeover seen by Prometheus ${lagMs} ms after it happened; ${answers.length} scrapes of h2 while its VRRP child respawned, all 200\n`);
});

test('the nftables dataplane\'s traffic counters under gen2brain\'s names rise with traffic through the director; check runs and durations move', T, async () => {
  const director = await createNatDirectorLab();
  await using lab = director.lab;
  const { client, lb, vip } = director;
  for (const name of REAL_SERVERS) {
    const rs = lab.host(name);
    const backend = await rs.startDaemon(`backend-${name}`, [process.execPath, BACKEND, name, rs.ipv4(), '80']);
    await waitFor(`${name}'s HTTP server`, () => (backend.log().includes('listening') ? true : undefined));
  }
  const listen = `${lb.ipv4('front')}:${METRICS_PORT}`;
  await keepalive.start(lb, renderVirtualServerConf(vip, 'lb_algo rr\nlb_kind NAT', REAL_SERVERS.map((name) => ({ address: lab.host(name).ipv4() })), `metrics_listen ${listen}`));
  // Prometheus on the client, which reaches the director's front address.
  await using _prometheus = await startPrometheus(client, [listen]);
  const vipLabels = `addr="${vip}:80",proto="6"`;
  const checks = 'keepalive_real_server_checks_total{kind="TCP_CHECK",outcome="success"}';
  const checkCount = 'keepalive_real_server_check_duration_seconds_count{kind="TCP_CHECK"}';
  // The checker's TCP checks go to the real servers' own addresses, not through the VIP: before the
  // client's traffic the VIP has counted nothing.
  await waitFor('Prometheus to see the VIP\'s counters and each real server checked', async () => {
    const [conn] = await query(client, `keepalived_lvs_vip_conn{${vipLabels}}`);
    return conn && Object.keys(await values(client, `${checks} > 0`, 'real_server')).length === REAL_SERVERS.length ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  assert.deepEqual(await values(client, `keepalived_lvs_vip_in_bytes{${vipLabels}}`, 'addr'), { [`${vip}:80`]: 0 });
  const checksBefore = await values(client, checks, 'real_server');
  const countBefore = await values(client, checkCount, 'real_server');

  const requests = 60;
  const counted = JSON.parse((await client.exec([process.execPath, CLIENT, 'count', `http://${vip}/`, String(requests), '6'], { timeoutMs: 60_000 })).stdout) as { counts: Record<string, number>; errors: Record<string, number> };
  assert.deepEqual(counted.errors, {});
  assert.deepEqual(counted.counts, { rs1: 20, rs2: 20, rs3: 20 });
  await waitFor('Prometheus to see every connection', async () => ((await values(client, `keepalived_lvs_vip_conn{${vipLabels}}`, 'addr'))[`${vip}:80`] === requests ? true : undefined), { timeoutMs: 10_000, intervalMs: 250 });

  // One scrape's values, at an instant after the traffic: the director counted each connection once,
  // on the real server it went to, and its packets both ways.
  const at = (metric: string, label: string): Promise<Record<string, number>> => values(client, `${metric}{proto="6"}`, label);
  const rsBy = (metric: string): Promise<Record<string, number>> => values(client, `label_replace(${metric}{vip="${vip}:80"}, "rs", "$1", "addr", "(.*):80")`, 'rs');
  const byAddress = Object.fromEntries(REAL_SERVERS.map((name) => [lab.host(name).ipv4(), 20]));
  assert.deepEqual(await rsBy('keepalived_lvs_rs_conn'), byAddress);
  const vipIn = (await at('keepalived_lvs_vip_in_bytes', 'addr'))[`${vip}:80`]!;
  const vipOut = (await at('keepalived_lvs_vip_out_bytes', 'addr'))[`${vip}:80`]!;
  const vipInPackets = (await at('keepalived_lvs_vip_in_packets', 'addr'))[`${vip}:80`]!;
  const vipOutPackets = (await at('keepalived_lvs_vip_out_packets', 'addr'))[`${vip}:80`]!;
  // Every connection: at least SYN, ACK, request and FIN in, SYN-ACK, answer and FIN out, each at
  // least an IPv4 and TCP header (40 bytes).
  assert.ok(vipInPackets >= requests * 4 && vipOutPackets >= requests * 3, `packets in ${vipInPackets}, out ${vipOutPackets}`);
  assert.ok(vipIn >= vipInPackets * 40 && vipOut >= vipOutPackets * 40, `bytes in ${vipIn}, out ${vipOut}`);
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  assert.equal(sum(await rsBy('keepalived_lvs_rs_in_bytes')), vipIn, 'the real servers\' bytes in add up to the VIP\'s');
  assert.equal(sum(await rsBy('keepalived_lvs_rs_out_packets')), vipOutPackets, 'the real servers\' packets out add up to the VIP\'s');

  // The checks went on meanwhile (every second each): more successful runs, more durations observed.
  const checksAfter = await values(client, checks, 'real_server');
  const countAfter = await values(client, checkCount, 'real_server');
  for (const name of REAL_SERVERS) {
    const rs = `${lab.host(name).ipv4()}:80`;
    assert.ok(checksAfter[rs]! > checksBefore[rs]! && countAfter[rs]! > countBefore[rs]!, `${rs}: checks ${checksBefore[rs]} -> ${checksAfter[rs]}, durations ${countBefore[rs]} -> ${countAfter[rs]}`);
  }
  const inf = await values(client, 'keepalive_real_server_check_duration_seconds_bucket{kind="TCP_CHECK",le="+Inf"}', 'real_server');
  const count = await values(client, checkCount, 'real_server');
  assert.deepEqual(inf, count, 'the +Inf bucket holds every run');

  // The endpoint's text as a scrape gets it, traffic and histograms included, passes promtool's lint.
  const text = (await client.exec(['curl', '-sS', '--max-time', '2', `http://${listen}/metrics`])).stdout;
  assert.match(text, /^keepalive_real_server_check_duration_seconds_bucket\{/m);
  const lint = await client.exec(['promtool', 'check', 'metrics'], { input: text, allowFailure: true });
  assert.equal(lint.code, 0, `${lint.stdout}${lint.stderr}`);
  process.stdout.write(`# ${requests} connections through the director: VIP in ${vipInPackets} packets/${vipIn} bytes, out ${vipOutPackets} packets/${vipOut} bytes\n`);
});

test('metrics_listen that is taken or not here: run exits 1 naming it; a reload to it is refused and the endpoint stays; a good one moves it', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const vip = addressIn(lab.segment('lan').subnets.v4, 100);
  // With a virtual server whose one real server (an address nobody has) fails its TCP check.
  const absent = addressIn(lab.segment('lan').subnets.v4, 251);
  const conf = (listen: string): string => renderVrrpConf({
    routerId: 'h1', version: 2, vrid: 51, interfaceName: h1.iface().name, priority: 150, advertInt: ADVERT_S, vips: [`${vip}/24`],
  }).replace('global_defs {\n', `global_defs {\n  metrics_listen ${listen}\n`)
    + `virtual_server ${vip} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server ${absent} 80 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n}\n`;
  const here = `${h1.ipv4()}:${METRICS_PORT}`;
  await keepalive.start(h1, conf(here));
  const scrape = async (listen: string): Promise<string> => (await h1.exec(['curl', '-sS', '--max-time', '2', `http://${listen}/metrics`])).stdout;
  // The pid file comes first: wait for the endpoint, and for the VRRP child's first answer.
  await waitFor('the endpoint with the VRRP child up', async () => (/^keepalived_up 1$/m.test(await scrape(here).catch(() => '')) ? true : undefined), { timeoutMs: 15_000, intervalMs: 50 });

  const rsDown = new RegExp(`^keepalive_real_server_up\\{virtual_server="[^"]+",real_server="[^"]*${absent.replaceAll('.', '\\.')}[^"]*"\\} 0$`, 'm');
  await waitFor('the checker\'s real server down in the metrics', async () => (rsDown.test(await scrape(here)) ? true : undefined), { timeoutMs: 15_000, intervalMs: 200 });

  // A second runtime on the same address: exit 1, the address and the reason on stderr.
  h1.writeFile('/etc/keepalive/second.conf', conf(here));
  const second = await h1.exec([process.execPath, KEEPALIVE_CLI, 'run', '-f', '/etc/keepalive/second.conf', '--state-dir', '/run/keepalive-second'], { allowFailure: true, timeoutMs: 30_000 });
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`metrics_listen ${here.replaceAll('.', '\\.')}: .*EADDRINUSE`));

  // An address the host does not have: the reload is refused, the running endpoint still serves.
  const elsewhere = `${addressIn(lab.segment('lan').subnets.v4, 250)}:${METRICS_PORT}`;
  h1.writeFile('/etc/keepalive/keepalived.conf', conf(elsewhere));
  const refused = await h1.exec([process.execPath, KEEPALIVE_CLI, 'reload', '--state-dir', KEEPALIVE_STATE_DIR], { allowFailure: true });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`metrics_listen ${elsewhere.replaceAll('.', '\\.')}: .*EADDRNOTAVAIL`));
  assert.match(await scrape(here), /^keepalive_reloads_total\{accepted="false"\} 1$/m);

  // A good new address: the endpoint moves there, the old one is closed.
  const moved = `${h1.ipv4()}:${METRICS_PORT + 1}`;
  h1.writeFile('/etc/keepalive/keepalived.conf', conf(moved));
  await h1.exec([process.execPath, KEEPALIVE_CLI, 'reload', '--state-dir', KEEPALIVE_STATE_DIR]);
  assert.match(await scrape(moved), /^keepalive_reloads_total\{accepted="true"\} 1$/m);
  await assert.rejects(scrape(here), /Failed to connect|Couldn't connect|exit 7/);
});
