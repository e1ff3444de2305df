// The nftables dataplane with real traffic, through the NAT director lab (lab/nat-director.ts). The
// client can also reach a backend directly, for the throughput comparison.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { createNatDirectorLab, REAL_SERVERS } from './lab/nat-director.ts';
import { waitFor } from './lab/exec.ts';
import type { Host } from './lab/host.ts';
import type { Destination, Scheduler, VirtualService } from '../runtime/src/lb/model.ts';

const FIXTURES = new URL('fixtures/lb/', import.meta.url).pathname;
const BACKEND = `${FIXTURES}backend.ts`;
const DATAPLANE = `${FIXTURES}dataplane.ts`;
const CLIENT = `${FIXTURES}client.ts`;
const T = { timeout: 120_000 };

interface Counted { counts: Record<string, number>; errors: Record<string, number>; ms: number }

let lab: Lab;
let client: Host;
let lb: Host;
let vip: string;
let vip6: string;

before(async () => {
  ({ lab, client, lb, vip, vip6 } = await createNatDirectorLab());
  for (const name of REAL_SERVERS) {
    const rs = lab.host(name);
    for (const [daemonName, address] of [['backend', rs.ipv4()], ['backend6', rs.ipv6()]] as const) {
      const daemon = await rs.startDaemon(daemonName, [process.execPath, BACKEND, name, address, '80']);
      await waitFor(`${name}'s HTTP server on ${address}`, () => (daemon.log().includes('listening') ? true : undefined));
    }
  }
});

after(() => lab?.destroy());

const rs = (name: string, weight = 1): Destination => ({ address: lab.host(name).ipv4(), port: 80, weight });
const web = (scheduler: Scheduler, destinations: Destination[], extra: Partial<VirtualService> = {}): VirtualService => ({
  key: `tcp/${vip}:80`, protocol: 'tcp', address: vip, port: 80, scheduler, destinations, ...extra,
});

async function apply(services: VirtualService[]): Promise<void> {
  const { stdout } = await lb.exec([process.execPath, DATAPLANE, 'apply', JSON.stringify(services)], { timeoutMs: 20_000 });
  assert.deepEqual((JSON.parse(stdout) as { drift: string[] }).drift, [], 'the table reads back as applied');
}

async function count(requests: number, { concurrency = 10, to = vip, from, reuse = false }: { concurrency?: number; to?: string; from?: string; reuse?: boolean } = {}): Promise<Counted> {
  const argv = [process.execPath, CLIENT, reuse ? 'count-reusing' : 'count', `http://${to.includes(':') ? `[${to}]` : to}/`, String(requests), String(concurrency), ...(from ? [from] : [])];
  return JSON.parse((await client.exec(argv, { timeoutMs: 60_000 })).stdout) as Counted;
}

/** Spread of new connections: every request must be answered, and the answers are counted by backend. */
function answered(result: Counted): Record<string, number> {
  assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result)}`);
  return result.counts;
}

test('rr spreads new connections exactly evenly, whatever the weights', T, async () => {
  await apply([web('rr', [rs('rs1'), rs('rs2', 5), rs('rs3')])]);
  assert.deepEqual(answered(await count(300)), { rs1: 100, rs2: 100, rs3: 100 });
});

test('wrr 3:2:1 follows the weights exactly (a counter); wlc 3:2:1 within 5 standard deviations (random)', T, async () => {
  await apply([web('wrr', [rs('rs1', 3), rs('rs2', 2), rs('rs3', 1)])]);
  assert.deepEqual(answered(await count(600)), { rs1: 300, rs2: 200, rs3: 100 });

  await apply([web('wlc', [rs('rs1', 3), rs('rs2', 2), rs('rs3', 1)])]);
  const n = 600;
  const counts = answered(await count(n));
  for (const [name, share] of [['rs1', 3 / 6], ['rs2', 2 / 6], ['rs3', 1 / 6]] as const) {
    const expected = n * share;
    const tolerance = 5 * Math.sqrt(n * share * (1 - share));
    const got = counts[name] ?? 0;
    assert.ok(Math.abs(got - expected) <= tolerance, `${name}: ${got} of ${n}, expected ${expected} ± ${tolerance.toFixed(0)}`);
  }
});

test('sh keeps each client on one backend, and different clients reach different backends', T, async () => {
  await apply([web('sh', [rs('rs1'), rs('rs2'), rs('rs3')])]);
  const front = lab.segment('front').subnets.v4;
  const clients = Array.from({ length: 12 }, (_, i) => addressIn(front, 150 + i));
  for (const address of clients) await client.exec(['ip', 'address', 'add', `${address}/32`, 'dev', client.iface().name]);
  const chosen = new Set<string>();
  for (const from of clients) {
    const counts = answered(await count(10, { from, concurrency: 2 }));
    assert.equal(Object.keys(counts).length, 1, `client ${from} was spread: ${JSON.stringify(counts)}`);
    chosen.add(Object.keys(counts)[0] as string);
  }
  assert.ok(chosen.size >= 2, `12 clients all hashed to ${[...chosen].join()}`);
});

test('persistence keeps a client on the backend its first connection got', T, async () => {
  await apply([web('rr', [rs('rs1'), rs('rs2'), rs('rs3')], { persistenceSeconds: 60 })]);
  const front = lab.segment('front').subnets.v4;
  const [a, b] = [addressIn(front, 170), addressIn(front, 171)];
  for (const address of [a, b]) await client.exec(['ip', 'address', 'add', `${address}/32`, 'dev', client.iface().name]);
  // rr alone would spread these 30 connections over all three; persistence keeps each client on its first.
  assert.deepEqual(answered(await count(30, { from: a, concurrency: 1 })), { rs1: 30 });
  assert.deepEqual(answered(await count(30, { from: b, concurrency: 1 })), { rs2: 30 });
  const { stdout } = await lb.exec(['nft', 'list', 'map', 'inet', 'keepalive', `persist_tcp_${vip.replaceAll('.', '_')}_80`]);
  assert.match(stdout, new RegExp(`${a.replaceAll('.', '\\.')} (timeout \\S+ )?expires \\S+ : ${lab.host('rs1').ipv4().replaceAll('.', '\\.')}`));

  // A reapply (rs3's weight changed) carries the remembered clients over. b asks first: scheduled
  // afresh by the new table's counter it would get rs1, and a rs2.
  await apply([web('rr', [rs('rs1'), rs('rs2'), rs('rs3', 4)], { persistenceSeconds: 60 })]);
  assert.deepEqual(answered(await count(10, { from: b, concurrency: 1 })), { rs2: 10 });
  assert.deepEqual(answered(await count(10, { from: a, concurrency: 1 })), { rs1: 10 });
  // rs1 inhibited: its client is scheduled afresh (the counter restarts with the new table: rs2 first).
  await apply([web('rr', [rs('rs1', 0), rs('rs2'), rs('rs3')], { persistenceSeconds: 60 })]);
  assert.deepEqual(answered(await count(10, { from: a, concurrency: 1 })), { rs2: 10 });
  assert.deepEqual(answered(await count(10, { from: b, concurrency: 1 })), { rs2: 10 });
});

test('weight 0 takes no new connections; with no usable backend, connections are refused at once', T, async () => {
  await apply([web('rr', [rs('rs1'), rs('rs2', 0), rs('rs3')])]);
  assert.deepEqual(answered(await count(300)), { rs1: 150, rs3: 150 });

  await apply([web('rr', [rs('rs1', 0), rs('rs2', 0), rs('rs3', 0)])]);
  const refused = await count(5, { concurrency: 1 });
  assert.deepEqual(refused.errors, { ECONNREFUSED: 5 });
  assert.ok(refused.ms < 2_000, `refusals took ${refused.ms} ms`);
});

test('a reapply with one weight changed keeps an established connection, and new ones follow the new weights', T, async () => {
  await apply([web('wrr', [rs('rs1'), rs('rs2'), rs('rs3')])]);
  const dir = `${lab.dir}/hold`;
  mkdirSync(dir);
  const held = client.exec([process.execPath, CLIENT, 'hold', `http://${vip}/`, dir], { timeoutMs: 60_000 });
  await waitFor('the first answer on the held connection', () => (existsSync(`${dir}/first`) ? true : undefined));
  await apply([web('wrr', [rs('rs1'), rs('rs2', 5), rs('rs3')])]);
  writeFileSync(`${dir}/go`, '');
  const result = JSON.parse((await held).stdout) as { first: string; second: string; sameSocket: boolean };
  assert.equal(result.sameSocket, true, 'the second request went over the same TCP connection');
  assert.equal(result.second, result.first, 'and reached the same backend');
  assert.deepEqual(answered(await count(70)), { rs1: 10, rs2: 50, rs3: 10 });
});

test('IPv6: rr spreads exactly, and persistence keeps a client', T, async () => {
  const rs6 = (name: string): Destination => ({ address: lab.host(name).ipv6(), port: 80, weight: 1 });
  const web6 = (extra: Partial<VirtualService> = {}): VirtualService => ({
    key: `tcp/[${vip6}]:80`, protocol: 'tcp', address: vip6, port: 80, scheduler: 'rr', destinations: REAL_SERVERS.map(rs6), ...extra,
  });
  await apply([web6()]);
  assert.deepEqual(answered(await count(300, { to: vip6 })), { rs1: 100, rs2: 100, rs3: 100 });
  await apply([web6({ persistenceSeconds: 60 })]);
  assert.deepEqual(answered(await count(30, { to: vip6, concurrency: 1 })), { rs1: 30 });
});

test('drift is found and repaired; tables the runtime does not own are left alone', T, async () => {
  await lb.exec(['nft', '-f', '-'], { input: 'table inet other {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport 22 accept\n  }\n}\n' });
  const other = (await lb.exec(['nft', 'list', 'table', 'inet', 'other'])).stdout;
  const services = [web('rr', [rs('rs1'), rs('rs2')])];
  const tamper = 'add rule inet keepalive services ip daddr 198.18.255.1 drop\n';
  const { stdout } = await lb.exec([process.execPath, DATAPLANE, 'tamper', JSON.stringify(services), tamper]);
  const report = JSON.parse(stdout) as { found: string[]; repaired: string[]; left: string[] };
  assert.equal(report.found.length, 1, stdout);
  assert.match(report.found[0]!, /^\+ rule .*198\.18\.255\.1.*drop/);
  assert.deepEqual(report.repaired, report.found);
  assert.deepEqual(report.left, []);
  assert.doesNotMatch((await lb.exec(['nft', 'list', 'table', 'inet', 'keepalive'])).stdout, /198\.18\.255\.1/);

  await lb.exec([process.execPath, DATAPLANE, 'close']);
  const tables = (await lb.exec(['nft', 'list', 'tables'])).stdout;
  assert.doesNotMatch(tables, /keepalive/);
  assert.equal((await lb.exec(['nft', 'list', 'table', 'inet', 'other'])).stdout, other, 'apply, repair and close leave other tables as they were');
  await lb.exec(['nft', 'delete', 'table', 'inet', 'other']);
});
