// Load balancing by the runtime, end to end with real traffic: `keepalive run` on a NAT director with a
// keepalived.conf of virtual servers, TCP checks against real HTTP backends, and a client counting
// which backend answers. This kernel has no IPVS, so the runtime picks nftables by itself (the IPVS
// side runs in the user-mode-linux lane, test/ipvs.test.ts).
// The lab is the NAT director of lab/nat-director.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { createNatDirectorLab, REAL_SERVERS, renderVirtualServerConf, type RealServerName } from './lab/nat-director.ts';
import { waitFor } from './lab/exec.ts';
import type { Daemon, Host } from './lab/host.ts';
import { KEEPALIVE_CLI, KEEPALIVE_STATE_DIR, keepalive, keepaliveStatus } from './lab/implementations.ts';
import { checkerStatus, type CheckerStatus } from '../runtime/src/control/status.ts';

const FIXTURES = new URL('fixtures/lb/', import.meta.url).pathname;
const BACKEND = `${FIXTURES}backend.ts`;
const CLIENT = `${FIXTURES}client.ts`;
const T = { timeout: 120_000 };
const CONF = '/etc/keepalive/keepalived.conf';

interface Counted { counts: Record<string, number>; errors: Record<string, number>; ms: number; firstAt: number; lastAt: number }

let lab: Lab;
let client: Host;
let lb: Host;
let vip: string;
const backends = new Map<string, Daemon>();
let backendsStarted = 0;

/** Starts an HTTP backend answering with `name`; each start gets a log of its own, so "listening" is this start's. */
async function startBackend(host: string, name = host, port = 80): Promise<void> {
  const h = lab.host(host);
  const daemon = await h.startDaemon(`backend-${name}-${port}-${++backendsStarted}`, [process.execPath, BACKEND, name, h.ipv4(), String(port)]);
  await waitFor(`${name}'s HTTP server on port ${port}`, () => (daemon.log().includes('listening') ? true : undefined));
  backends.set(`${name}:${port}`, daemon);
}

before(async () => {
  ({ lab, client, lb, vip } = await createNatDirectorLab());
  for (const name of REAL_SERVERS) await startBackend(name);
  await startBackend('rs3', 'sorry', 8080);
});

after(() => lab?.destroy());

async function kill(backend: string): Promise<void> {
  const daemon = backends.get(backend)!;
  daemon.signal('SIGKILL');
  await daemon.exited();
}

interface RealServerOptions { weight?: number; extra?: string }

/** The configuration of the virtual server on the VIP, with these of rs1..rs3 as its real servers. */
function conf(settings: string, realServers: Partial<Record<RealServerName, RealServerOptions>>, globalDefs = ''): string {
  const list = Object.entries(realServers).map(([name, o]) => ({ address: lab.host(name).ipv4(), ...o }));
  return renderVirtualServerConf(vip, settings, list, globalDefs);
}

const ALL = { rs1: {}, rs2: {}, rs3: {} };

async function count(requests: number, { concurrency = 10, reuse = false } = {}): Promise<Counted> {
  const argv = [process.execPath, CLIENT, reuse ? 'count-reusing' : 'count', `http://${vip}/`, String(requests), String(concurrency)];
  return JSON.parse((await client.exec(argv, { timeoutMs: 60_000 })).stdout) as Counted;
}

function answered(result: Counted): Record<string, number> {
  assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result)}`);
  return result.counts;
}

async function checker(): Promise<CheckerStatus> {
  const status = checkerStatus(await keepaliveStatus(lb));
  assert.ok(status, 'the checker child answers status');
  return status;
}

/** Waits until the checker's status satisfies `ready`, returning it; fails after `timeoutMs`. */
async function checkerUntil(what: string, ready: (c: CheckerStatus) => boolean, timeoutMs = 15_000): Promise<CheckerStatus> {
  return waitFor(what, async () => {
    const c = checkerStatus(await keepaliveStatus(lb));
    return c && ready(c) ? c : undefined;
  }, { timeoutMs });
}

const realServer = (c: CheckerStatus, name: string) => c.virtualServers[0]!.realServers.find((r) => r.name === `${lab.host(name).ipv4()}:80`)!;

/** Starts keepalive with this configuration, after restarting any backend an earlier test left dead. */
async function run(config: string): Promise<Daemon> {
  for (const name of REAL_SERVERS) if (!backends.get(`${name}:80`)!.running) await startBackend(name);
  const daemon = await keepalive.start(lb, config);
  await checkerUntil('the first apply', (c) => c.lastSync?.ok === true);
  return daemon;
}

async function reload(config: string): Promise<{ code: number; stderr: string }> {
  lb.writeFile(CONF, config);
  const result = await lb.exec([process.execPath, KEEPALIVE_CLI, 'reload', '--state-dir', KEEPALIVE_STATE_DIR], { allowFailure: true });
  return { code: result.code, stderr: result.stderr };
}

test('the runtime picks nftables where the kernel has no IPVS, says why, and rr spreads exactly', T, async () => {
  const daemon = await run(conf('lb_algo rr\n  lb_kind NAT', ALL));
  try {
    const c = await checker();
    assert.equal(c.dataplane?.kind, 'nftables');
    assert.match(c.dataplane!.reason, /the kernel has no IPVS .*so nftables \(lb_dataplane auto\)/);
    const text = (await lb.exec([process.execPath, KEEPALIVE_CLI, 'status', '--state-dir', KEEPALIVE_STATE_DIR])).stdout;
    assert.match(text, /dataplane nftables: the kernel has no IPVS/);
    assert.match(text, new RegExp(`virtual server TCP ${vip.replaceAll('.', '\\.')} 80: rr, quorum up`));
    await checkerUntil('every real server checked up', (s) => s.virtualServers[0]!.realServers.every((r) => r.up && r.checks.every((ch) => ch.last?.ok)));
    assert.deepEqual(answered(await count(300)), { rs1: 100, rs2: 100, rs3: 100 });
  } finally {
    await daemon.stop();
  }
  assert.doesNotMatch((await lb.exec(['nft', 'list', 'tables'])).stdout, /keepalive/, 'a graceful stop removes the table');
});

test('a killed backend leaves the rotation within delay_loop plus its timeouts, and comes back after recovery', T, async (t) => {
  const daemon = await run(conf('lb_algo rr', ALL));
  // When the checker decided, by its own clock (the event it records), not when a status poll that
  // starts Node each time happened to see it. Lab hosts share the machine's clock.
  const decidedAt = (c: CheckerStatus, state: 'UP' | 'DOWN', after: number): number | undefined => c.events
    .filter((e) => new RegExp(`^real server ${lab.host('rs2').ipv4().replaceAll('.', '\\.')}\\S* of .* is ${state}$`).test(e.message))
    .map((e) => Date.parse(e.at)).find((at) => at >= after);
  try {
    await checkerUntil('every real server up', (s) => s.virtualServers[0]!.realServers.every((r) => r.up && r.checks[0]!.last?.ok));
    const killedAt = Date.now();
    await kill('rs2:80');
    // delay_loop 1 s, then retry 1 after 0.5 s, each connect bounded by 1 s: at most 1 + 1 + 0.5 + 1 s,
    // and a little for a loaded machine.
    const bound = 3_500 + 500;
    const down = await checkerUntil('rs2 out of the table', (s) => realServer(s, 'rs2').inTable === null, bound + 5_000);
    const leftMs = decidedAt(down, 'DOWN', killedAt)! - killedAt;
    t.diagnostic(`rs2 went DOWN ${leftMs} ms after its backend was killed (bound ${bound} ms)`);
    assert.ok(leftMs >= 0 && leftMs <= bound, `rs2 went DOWN ${leftMs} ms after the kill`);
    assert.equal(realServer(down, 'rs2').up, false);
    assert.match(realServer(down, 'rs2').checks[0]!.last!.reason, /ECONNREFUSED|refused/i);
    assert.deepEqual(answered(await count(200)), { rs1: 100, rs3: 100 });

    const back = Date.now();
    await startBackend('rs2');
    const rejoined = await checkerUntil('rs2 back in the table', (s) => realServer(s, 'rs2').inTable === 1, 10_000);
    const backMs = decidedAt(rejoined, 'UP', back)! - back;
    t.diagnostic(`rs2 came back UP ${backMs} ms after its backend was started (delay_loop 1 s)`);
    // The next check after the backend is back: within one delay_loop plus a connect, and slack.
    assert.ok(backMs >= 0 && backMs <= 1_000 + 1_000 + 500, `rs2 came back ${backMs} ms after its backend`);
    assert.deepEqual(answered(await count(300)), { rs1: 100, rs2: 100, rs3: 100 });
  } finally {
    await daemon.stop();
  }
});

test('inhibit_on_failure keeps a failed server with weight 0; the sorry server takes over when quorum is lost', T, async () => {
  const sorry = `${lab.host('rs3').ipv4()} 8080`;
  // The scripts write under /run, which only root may: they run as root here.
  const daemon = await run(conf(`lb_algo rr\n  quorum 2\n  sorry_server ${sorry}\n  quorum_down "/bin/touch /run/quorum-down"\n  quorum_up "/bin/touch /run/quorum-up"`, {
    rs1: { extra: 'inhibit_on_failure' }, rs2: {},
  }, 'script_user root'));
  try {
    await checkerUntil('both up', (s) => s.virtualServers[0]!.realServers.every((r) => r.up && r.checks[0]!.last?.ok));
    assert.deepEqual(answered(await count(100)), { rs1: 50, rs2: 50 });

    await kill('rs1:80');
    const c = await checkerUntil('rs1 down', (s) => !realServer(s, 'rs1').up);
    // rs1 is inhibited (weight 0, still in the table), and with weight 1 left of quorum 2 the sorry server serves.
    assert.equal(realServer(c, 'rs1').inTable, 0);
    assert.equal(c.virtualServers[0]!.quorum.up, false);
    assert.equal(c.virtualServers[0]!.sorryServer?.active, true);
    assert.equal(realServer(c, 'rs2').inTable, null, 'rs2 is up but leaves the pool to the sorry server');
    assert.deepEqual(answered(await count(20)), { sorry: 20 });
    await waitFor('quorum_down ran', () => (existsSync(lb.path('/run/quorum-down')) ? true : undefined));

    await startBackend('rs1');
    await checkerUntil('quorum back', (s) => s.virtualServers[0]!.quorum.up);
    assert.deepEqual(answered(await count(100)), { rs1: 50, rs2: 50 });
    await waitFor('quorum_up ran', () => (existsSync(lb.path('/run/quorum-up')) ? true : undefined));
  } finally {
    await daemon.stop();
  }
});

test('a reload that changes one weight keeps an established connection; new connections follow the new weight', T, async () => {
  const daemon = await run(conf('lb_algo wrr', ALL));
  try {
    await checkerUntil('every real server up', (s) => s.virtualServers[0]!.realServers.every((r) => r.up && r.checks[0]!.last?.ok));
    const dir = `${lab.dir}/hold`;
    mkdirSync(dir, { recursive: true });
    const held = client.exec([process.execPath, CLIENT, 'hold', `http://${vip}/`, dir], { timeoutMs: 60_000 });
    await waitFor('the first answer on the held connection', () => (existsSync(`${dir}/first`) ? true : undefined));
    const { code, stderr } = await reload(conf('lb_algo wrr', { rs1: {}, rs2: { weight: 5 }, rs3: {} }));
    assert.equal(code, 0, stderr);
    await checkerUntil('rs2 with weight 5', (s) => realServer(s, 'rs2').inTable === 5);
    writeFileSync(`${dir}/go`, '');
    const result = JSON.parse((await held).stdout) as { first: string; second: string; sameSocket: boolean };
    assert.equal(result.sameSocket, true, 'the second request went over the same TCP connection');
    assert.equal(result.second, result.first, 'and reached the same backend');
    assert.deepEqual(answered(await count(70)), { rs1: 10, rs2: 50, rs3: 10 });
  } finally {
    await daemon.stop();
  }
});

test('a configuration the dataplane cannot carry out is refused: DR under nftables, at start and on reload', T, async () => {
  lb.writeFile(CONF, conf('lb_algo rr\n  lb_kind DR', ALL));
  const started = await lb.exec([process.execPath, KEEPALIVE_CLI, 'run', '-f', CONF, '--state-dir', KEEPALIVE_STATE_DIR], { allowFailure: true, timeoutMs: 30_000 });
  assert.equal(started.code, 1, 'keepalive run exits 1');
  assert.match(started.stderr, /configuration refused:\nchecker: invalid virtual services:\n.*forwarding method DR needs IPVS; the nftables dataplane forwards by NAT only/);

  const daemon = await run(conf('lb_algo rr', ALL));
  try {
    const { code, stderr } = await reload(conf('lb_algo rr\n  lb_kind TUN', ALL));
    assert.equal(code, 1);
    assert.match(stderr, /reload refused; the running configuration stays in force:\nchecker: invalid virtual services:\n.*forwarding method TUN needs IPVS/);
    await checkerUntil('every real server up', (s) => s.virtualServers[0]!.realServers.every((r) => r.up && r.checks[0]!.last?.ok));
    assert.deepEqual(answered(await count(300)), { rs1: 100, rs2: 100, rs3: 100 }, 'the running configuration still forwards');
  } finally {
    await daemon.stop();
  }
});

test('lvs_sync_daemon on a kernel without IPVS: check and start refuse it at its file:line:col, with the reason', T, async () => {
  // global_defs' third line (router_id, then this); the instance it follows is the VRRP child's.
  lb.writeFile(CONF, `${conf('lb_algo rr', ALL, 'lvs_sync_daemon eth0 VI_1 id 5')}vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n}\n`);
  const reason = `${CONF}:3:3: lvs_sync_daemon needs IPVS, and the kernel has no IPVS (generic netlink family IPVS not found); without IPVS there is no connection sync`;
  const checked = await lb.exec([process.execPath, KEEPALIVE_CLI, 'check', '-f', CONF], { allowFailure: true, timeoutMs: 30_000 });
  assert.equal(checked.code, 1, checked.stdout);
  assert.equal(checked.stderr, `${reason}\n`);
  const started = await lb.exec([process.execPath, KEEPALIVE_CLI, 'run', '-f', CONF, '--state-dir', KEEPALIVE_STATE_DIR], { allowFailure: true, timeoutMs: 30_000 });
  assert.equal(started.code, 1, 'keepalive run exits 1');
  assert.ok(started.stderr.includes(`configuration refused:\nvrrp: ${reason}`), started.stderr);
});

test('the checker child is killed and respawned while the dataplane keeps forwarding', T, async (t) => {
  const daemon = await run(conf('lb_algo rr\n  alpha', ALL));
  try {
    await checkerUntil('every real server up', (s) => s.virtualServers[0]!.realServers.every((r) => r.up));
    const before = await keepaliveStatus(lb);
    const pid = before.children['checker']!.pid!;
    // Requests over new connections throughout the kill and the respawn: none may fail. The kill comes
    // once they are flowing: the client host holds more connections to the VIP (open, or closed and in
    // TIME-WAIT) than the earlier tests left there, by a dozen.
    const connections = async (): Promise<number> => (await client.exec(['ss', '-Htan', 'dst', vip])).stdout.split('\n').filter(Boolean).length;
    const earlier = await connections();
    const traffic = count(5000, { concurrency: 4 });
    await waitFor('requests under way', async () => ((await connections()) >= earlier + 12 ? true : undefined), { timeoutMs: 20_000, intervalMs: 20 });
    const killedAt = Date.now();
    await lb.exec(['kill', '-KILL', String(pid)]);
    const after = await waitFor('a new checker child', async () => {
      const s = await keepaliveStatus(lb);
      const c = s.children['checker']!;
      return c.running && c.pid !== pid && checkerStatus(s)?.lastSync?.ok ? s : undefined;
    });
    // When the new child had taken over, by the runtime's clock: its first apply of the configuration.
    const respawnedAt = Date.parse(checkerStatus(after)!.lastSync!.at);
    assert.equal(after.children['checker']!.restarts, 1);
    const result = await traffic;
    const counted = answered(result);
    assert.equal(Object.values(counted).reduce((a, b) => a + b, 0), 5000);
    // The requests really spanned the kill and the respawn (lab hosts share the clock): the first went
    // out before the kill, the last after the new child had applied the configuration.
    assert.ok(result.firstAt < killedAt, `the requests began ${result.firstAt - killedAt} ms after the kill`);
    assert.ok(result.lastAt > respawnedAt, `the requests ended ${respawnedAt - result.lastAt} ms before the new child had taken over`);
    t.diagnostic(`requests from ${killedAt - result.firstAt} ms before the kill to ${result.lastAt - respawnedAt} ms after the new child had taken over`);
    // alpha would start every server down; the respawned child resumed from the saved health instead.
    const c = checkerStatus(after)!;
    assert.ok(c.virtualServers[0]!.realServers.every((r) => r.inTable === 1), JSON.stringify(c.virtualServers[0]));
  } finally {
    await daemon.stop();
  }
});

test('ha_suspend keeps a virtual server out of the kernel while the director does not hold its address', T, async () => {
  const vip2 = addressIn(lab.segment('front').subnets.v4, 101);
  const config = renderVirtualServerConf(vip2, 'lb_algo rr\nha_suspend', REAL_SERVERS.map((name) => ({ address: lab.host(name).ipv4() })));
  const daemon = await run(config);
  const table = async (): Promise<string> => (await lb.exec(['nft', 'list', 'table', 'inet', 'keepalive'])).stdout;
  try {
    const c = await checker();
    assert.deepEqual(c.virtualServers[0]!.suspended, [`TCP ${vip2} 80`]);
    assert.doesNotMatch(await table(), new RegExp(vip2.replaceAll('.', '\\.')));

    // A VRRP instance would add the address on becoming master; adding it by hand is the same event.
    await lb.exec(['ip', 'address', 'add', `${vip2}/32`, 'dev', lb.iface('front').name]);
    await checkerUntil('the service back in the kernel', (s) => s.virtualServers[0]!.suspended.length === 0 && s.lastSync?.ok === true);
    await waitFor('the DNAT for the address', async () => (new RegExp(`ip daddr ${vip2.replaceAll('.', '\\.')} tcp dport 80 dnat`).test(await table()) ? true : undefined));
    await checkerUntil('every real server up', (s) => s.virtualServers[0]!.realServers.every((r) => r.up && r.checks[0]!.last?.ok));
    const { stdout } = await client.exec([process.execPath, CLIENT, 'count', `http://${vip2}/`, '30', '3'], { timeoutMs: 60_000 });
    assert.deepEqual(answered(JSON.parse(stdout) as Counted), { rs1: 10, rs2: 10, rs3: 10 });

    await lb.exec(['ip', 'address', 'del', `${vip2}/32`, 'dev', lb.iface('front').name]);
    await checkerUntil('suspended again', (s) => s.virtualServers[0]!.suspended.length === 1);
    await waitFor('the DNAT gone', async () => (new RegExp(vip2.replaceAll('.', '\\.')).test(await table()) ? undefined : true));
  } finally {
    await daemon.stop();
  }
});
