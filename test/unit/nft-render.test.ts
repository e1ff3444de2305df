// The nftables renderer: the script's shape, each scheduler's map, weights, persistence, services
// without destinations, input checking; and every rendered script checked by the real nft (-c, in a
// throwaway network namespace, so nothing is changed anywhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { InvalidServicesError, countedServices, renderRemoval, renderTable } from '../../runtime/src/lb/nftables/render.ts';
import type { Destination, Scheduler, VirtualService } from '../../runtime/src/lb/model.ts';

const dest = (address: string, weight = 1, port = 80): Destination => ({ address, port, weight });
const service = (scheduler: Scheduler, destinations: Destination[], extra: Partial<VirtualService> = {}): VirtualService => ({
  key: 'tcp/198.18.0.100:80', protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler, destinations, ...extra,
});
const three = [dest('198.18.1.1', 3), dest('198.18.1.2', 2), dest('198.18.1.3', 1)];

/** nft's own verdict on a script: checked by the kernel in a namespace that exists only for the check. */
function nftCheck(script: string): { ok: boolean; stderr: string } {
  const r = spawnSync('unshare', ['--net', 'nft', '-c', '-f', '-'], { input: script, encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, stderr: r.stderr };
}

const rules = (script: string, chain: string): string[] => {
  const body = new RegExp(`\n  chain ${chain} \\{\n([^]*?)  \\}\n`).exec(script)?.[1];
  assert.ok(body !== undefined, `no chain ${chain}`);
  return body.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('type '));
};

test('the script declares, deletes and re-creates only its own table, in one piece', () => {
  const script = renderTable([service('rr', three)]);
  const lines = script.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['table inet keepalive {}', 'delete table inet keepalive', 'table inet keepalive {']);
  assert.doesNotMatch(script, /flush|ruleset/);
  assert.equal(script.match(/^table /gm)?.length, 2);
  assert.deepEqual(rules(script, 'prerouting'), ['jump services']);
  assert.deepEqual(rules(script, 'output'), ['jump services']);
  assert.equal(renderRemoval(), 'table inet keepalive {}\ndelete table inet keepalive\n');
});

test('rr: a counter over the destinations, one slot each whatever their weights', () => {
  assert.deepEqual(rules(renderTable([service('rr', three)]), 'services'), [
    'ip daddr 198.18.0.100 tcp dport 80 dnat ip to numgen inc mod 3 map { 0 : 198.18.1.1 . 80, 1 : 198.18.1.2 . 80, 2 : 198.18.1.3 . 80 } comment "tcp 198.18.0.100 80"',
  ]);
});

test('wrr: a counter over ranges as wide as the weights, reduced by their common divisor', () => {
  const doubled = three.map((d) => ({ ...d, weight: d.weight * 2 }));
  assert.match(renderTable([service('wrr', doubled)]), /numgen inc mod 6 map \{ 0-2 : 198\.18\.1\.1 \. 80, 3-4 : 198\.18\.1\.2 \. 80, 5 : 198\.18\.1\.3 \. 80 \}/);
  assert.match(renderTable([service('wlc', three)]), /numgen random mod 6 map \{ 0-2 : .*, 3-4 : .*, 5 : /);
  assert.match(renderTable([service('lc', three)]), /numgen random mod 3 map \{ 0 : .*, 1 : .*, 2 : /);
});

test('sh: a seeded hash of the client address, so a client keeps its destination across applies', () => {
  const script = renderTable([service('sh', three)]);
  assert.match(script, /dnat ip to jhash ip saddr mod 6 seed 0x6b656570 map \{ 0-2 : 198\.18\.1\.1 \. 80, 3-4 : 198\.18\.1\.2 \. 80, 5 : 198\.18\.1\.3 \. 80 \}/);
  assert.equal(renderTable([service('sh', three)]), script);
  assert.match(renderTable([service('dh', three)]), /jhash ip daddr mod 6/);
});

test('weight 0 takes no new connections; with no usable destination the service rejects', () => {
  const inhibited = renderTable([service('rr', [dest('198.18.1.1', 0), dest('198.18.1.2', 5), dest('198.18.1.3', 1)])]);
  assert.match(inhibited, /numgen inc mod 2 map \{ 0 : 198\.18\.1\.2 \. 80, 1 : 198\.18\.1\.3 \. 80 \}/);
  assert.doesNotMatch(rules(inhibited, 'services').join('\n'), /198\.18\.1\.1/);
  const single = renderTable([service('wrr', [dest('198.18.1.1', 0), dest('198.18.1.2', 5)])]);
  assert.match(single, /dnat ip to 198\.18\.1\.2:80 /);

  for (const destinations of [[], [dest('198.18.1.1', 0)]]) {
    const script = renderTable([service('rr', destinations), service('rr', [], { key: 'udp', protocol: 'udp', port: 53 })]);
    assert.deepEqual(rules(script, 'services'), []);
    assert.deepEqual(rules(script, 'unserved'), [
      'ip daddr 198.18.0.100 tcp dport 80 reject with tcp reset comment "tcp 198.18.0.100 80"',
      'ip daddr 198.18.0.100 udp dport 53 reject comment "udp 198.18.0.100 53"',
    ]);
  }
});

test('fo: every new connection to the destination with the highest weight', () => {
  assert.match(renderTable([service('fo', three)]), /dnat ip to 198\.18\.1\.1:80 /);
});

test('persistence: a timed map looked up before scheduling, filled after DNAT by new connections', () => {
  const script = renderTable([service('rr', [dest('198.18.1.1'), dest('198.18.1.2', 1, 8080)], { persistenceSeconds: 300 })]);
  assert.match(script, /map persist_tcp_198_18_0_100_80 \{\n\s+type ipv4_addr : ipv4_addr \. inet_service\n\s+flags dynamic, timeout\n\s+timeout 300s\n/);
  const services = rules(script, 'services');
  assert.match(services[0]!, /^ip daddr 198\.18\.0\.100 tcp dport 80 dnat ip to ip saddr map @persist_tcp_198_18_0_100_80 /);
  assert.match(services[1]!, /numgen inc mod 2/);
  assert.deepEqual(rules(script, 'remember'), [
    'ct state new ct status dnat ct original ip daddr 198.18.0.100 meta l4proto tcp ct original proto-dst 80 update @persist_tcp_198_18_0_100_80 { ip saddr : ip daddr . tcp dport } comment "tcp 198.18.0.100 80"',
  ]);
  // Destinations on the service's port: only the address is remembered (and IPv6 needs that).
  const v6 = renderTable([service('rr', [dest('2001:db8::1'), dest('2001:db8::2')], { address: '2001:DB8::100', persistenceSeconds: 60 })]);
  assert.match(v6, /type ipv6_addr : ipv6_addr\n/);
  assert.match(v6, /update @persist_tcp_2001_db8__100_80 \{ ip6 saddr : ip6 daddr \}/);
});

test('remembered clients are carried over an apply, unless their destination no longer takes new connections', () => {
  const services = [service('rr', [dest('198.18.1.1'), dest('198.18.1.2', 1, 8080), dest('198.18.1.3', 0)], { persistenceSeconds: 300 })];
  const remembered = new Map([['persist_tcp_198_18_0_100_80', [
    { client: '198.18.0.7', address: '198.18.1.2', port: 8080, expiresSeconds: 100 },
    { client: '198.18.0.8', address: '198.18.1.1', port: 80, expiresSeconds: 500 }, // the timeout was shortened to 300
    { client: '198.18.0.9', address: '198.18.1.3', port: 80, expiresSeconds: 50 }, // weight 0 now
    { client: '198.18.0.10', address: '198.18.1.1', port: 81, expiresSeconds: 50 }, // no such destination
    { client: '2001:db8::1', address: '198.18.1.1', port: 80, expiresSeconds: 50 }, // wrong family
  ]]]);
  const script = renderTable(services, remembered);
  assert.match(script, /\n    elements = \{ 198\.18\.0\.7 expires 100s : 198\.18\.1\.2 \. 8080, 198\.18\.0\.8 expires 300s : 198\.18\.1\.1 \. 80 \}\n/);
  assert.equal(script.match(/\n    elements = \{ [^\n]*expires/g)?.length, 1);
  assert.ok(nftCheck(script).ok, nftCheck(script).stderr);
  const v6 = renderTable([service('sh', [dest('2001:db8::1')], { address: '2001:db8::100', persistenceSeconds: 60 })],
    new Map([['persist_tcp_2001_db8__100_80', [{ client: '2001:db8:0:0::9', address: '2001:db8::1', expiresSeconds: 10 }]]]));
  assert.match(v6, /elements = \{ 2001:db8::9 expires 10s : 2001:db8::1 \}/);
  assert.ok(nftCheck(v6).ok, nftCheck(v6).stderr);
});

test('fwmark services match the mark, family and protocol; port 0 keeps the client\'s port', () => {
  const script = renderTable([service('rr', [dest('198.18.1.1', 1, 0), dest('198.18.1.2', 1, 0)], { key: 'fwmark/7', fwmark: 7, port: 0 })]);
  assert.match(script, /meta mark 7 meta nfproto ipv4 meta l4proto tcp dnat ip to numgen inc mod 2 map \{ 0 : 198\.18\.1\.1, 1 : 198\.18\.1\.2 \}/);
});

test('traffic counters: in, out and connections per service and destination (weight 0 too), found by conntrack tuples; values carried', () => {
  const services = [
    service('rr', [dest('198.18.1.1'), dest('198.18.1.2', 0, 8080)]),
    service('rr', [dest('2001:db8::1', 1, 53)], { key: 'dns6', address: '2001:db8::100', protocol: 'udp', port: 53 }),
    service('rr', [dest('198.18.1.1', 1, 0)], { key: 'fw', fwmark: 7, port: 0 }),
  ];
  const counted = countedServices(services);
  assert.deepEqual(counted.map((c) => c.service), [
    { family: 4, protocol: 'tcp', address: '198.18.0.100', port: 80 },
    { family: 6, protocol: 'udp', address: '2001:db8::100', port: 53 },
  ], 'a fwmark service is not counted: its replies carry no mark');
  const web = counted[0]!;
  assert.deepEqual(web.names, { in: 'traffic_tcp_198_18_0_100_80_in', out: 'traffic_tcp_198_18_0_100_80_out', conn: 'traffic_tcp_198_18_0_100_80_conn' });
  assert.deepEqual(web.destinations.map((d) => d.names.in), ['traffic_tcp_198_18_0_100_80_rs_198_18_1_1_80_in', 'traffic_tcp_198_18_0_100_80_rs_198_18_1_2_8080_in']);

  const script = renderTable(services, new Map(), new Map([['traffic_tcp_198_18_0_100_80_in', { packets: 7, bytes: 700 }]]));
  assert.match(script, /\n  counter traffic_tcp_198_18_0_100_80_in \{ packets 7 bytes 700 \}\n/);
  assert.match(script, /\n  counter traffic_tcp_198_18_0_100_80_rs_198_18_1_2_8080_conn \{ packets 0 bytes 0 \}\n/);
  assert.equal(script.match(/^  counter /gm)?.length, (3 + 2 * 3) + (3 + 3));
  assert.match(script, /map traffic_rs_out_ip4_tcp \{\n    type ipv4_addr \. inet_service \. ipv4_addr \. inet_service : counter\n    elements = \{ 198\.18\.0\.100 \. 80 \. 198\.18\.1\.1 \. 80 : "traffic_tcp_198_18_0_100_80_rs_198_18_1_1_80_out", 198\.18\.0\.100 \. 80 \. 198\.18\.1\.2 \. 8080 : /);
  assert.match(script, /map traffic_vip_in_ip6_udp \{\n    type ipv6_addr \. inet_service : counter\n    elements = \{ 2001:db8::100 \. 53 : "traffic_udp_2001_db8__100_53_in" \}/);
  assert.deepEqual(rules(script, 'traffic').slice(0, 2), [
    'meta nfproto ipv4 meta l4proto tcp ct status dnat ct direction original counter name ct original ip daddr . ct original proto-dst map @traffic_vip_in_ip4_tcp',
    'meta nfproto ipv4 meta l4proto tcp ct status dnat ct direction original counter name ct original ip daddr . ct original proto-dst . ct reply ip saddr . ct reply proto-src map @traffic_rs_in_ip4_tcp',
  ]);
  assert.equal(rules(script, 'traffic').length, 2 * 4);
  assert.equal(rules(script, 'connections').length, 2 * 2);
  assert.deepEqual(rules(script, 'traffic_input'), ['iifname != "lo" jump traffic']);
  assert.deepEqual(rules(script, 'connections_postrouting'), ['jump connections']);
  assert.ok(nftCheck(script).ok, nftCheck(script).stderr);

  const uncounted = renderTable([services[2]!]);
  assert.doesNotMatch(uncounted, /counter|traffic|connections/, 'nothing to count, nothing hooked');
});

test('bad input is refused with every problem named, and nothing is rendered', () => {
  const bad: VirtualService[] = [
    service('rr', [dest('198.18.1.300'), dest('198.18.1.2', 70_000), dest('198.18.1.3', 1, 70_000), dest('2001:db8::1'), dest('198.18.1.4', 1.5)]),
    service('rr', [dest('198.18.1.1'), dest('198.18.1.1')], { key: 'dup', address: '198.18.0.101' }),
    service('rr', [], { key: 'first', address: '198.18.0.110' }),
    service('rr', [], { key: 'again', address: '198.18.0.110' }),
    service('nope' as Scheduler, [], { key: 'sched', address: '198.18.0.102', port: 0 }),
    service('rr', [], { key: 'addr', address: 'vip' }),
    service('rr', [dest('::ffff:198.18.1.1'), dest('fe80::1%eth0')], { key: 'v6forms', address: '2001:db8::7' }),
    service('rr', [dest('2001:db8::1', 1, 80), dest('2001:db8::2', 1, 81)], { key: 'v6persist', address: '2001:db8::100', persistenceSeconds: 10 }),
    service('rr', [dest('198.18.1.1', 1, 0), dest('198.18.1.2', 1, 80)], { key: 'mixed', fwmark: 9 }),
    service('rr', [], { key: 'persist', address: '198.18.0.103', persistenceSeconds: 0 }),
  ];
  const error = (() => { try { renderTable(bad); } catch (e) { return e; } return undefined; })();
  assert.ok(error instanceof InvalidServicesError);
  const expected = [
    /"198\.18\.1\.300" port 80: not an IP address/,
    /"198\.18\.1\.2" port 80: weight 70000 is not an integer in 0\.\.65535/,
    /"198\.18\.1\.3" port 70000: port is not an integer in 1\.\.65535/,
    /"2001:db8::1" port 80: IPv6 destination for an IPv4 service/,
    /weight 1\.5 is not/,
    /service "dup": destination "198\.18\.1\.1" port 80: listed twice/,
    /service "again": the same service as "first"/,
    /service "sched": scheduler "nope" is not one of rr, wrr/,
    /service "sched": port 0 is not an integer in 1\.\.65535/,
    /service "addr": address "vip" is not an IP address/,
    /service "v6forms": destination "::ffff:198\.18\.1\.1" port 80: not an IP address/,
    /service "v6forms": destination "fe80::1%eth0" port 80: not an IP address/,
    /service "v6persist": persistence for an IPv6 service needs every destination on the service's port/,
    /service "mixed": destinations mix port 0/,
    /service "persist": persistence 0 s is not an integer/,
  ];
  for (const pattern of expected) assert.ok(error.problems.some((p) => pattern.test(p)), `no problem matches ${pattern}:\n${error.message}`);
  assert.equal(error.problems.length, expected.length, error.message);
});

test('nft itself accepts every rendered script, and rejects a broken one (the check can fail)', () => {
  const v6 = [dest('2001:db8::1', 2), dest('2001:db8::2', 1)];
  const sets: VirtualService[][] = [
    [],
    [service('rr', three)],
    (['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'sh', 'mh', 'dh', 'lblc', 'lblcr', 'fo', 'ovf'] as const).flatMap((scheduler, i) => [
      service(scheduler, three, { key: `${scheduler}4`, address: `198.18.0.${i + 1}` }),
      service(scheduler, v6, { key: `${scheduler}6`, address: `2001:db8::${i + 1}`, protocol: 'udp', port: 53 }),
    ]),
    [
      service('wrr', [dest('198.18.1.1'), dest('198.18.1.2', 4, 8080)], { persistenceSeconds: 300 }),
      service('sh', v6, { key: 'p6', address: '2001:db8::100', persistenceSeconds: 60 }),
      service('rr', [dest('198.18.1.1', 1, 0), dest('198.18.1.2', 1, 0)], { key: 'fw4', fwmark: 1, port: 0, persistenceSeconds: 30 }),
      service('rr', [dest('198.18.1.1', 1, 8080), dest('198.18.1.2', 1, 8081)], { key: 'fw4p', fwmark: 2, port: 0, persistenceSeconds: 30 }),
      service('wrr', [dest('2001:db8::1', 1, 0)], { key: 'fw6', fwmark: 3, port: 0, address: '2001:db8::1', protocol: 'udp' }),
      service('rr', [dest('198.18.1.1', 0)], { key: 'down', address: '198.18.0.200' }),
      service('rr', [], { key: 'down6', address: '2001:db8::200', protocol: 'udp' }),
      service('rr', [], { key: 'downfw', fwmark: 4, port: 0 }),
      service('wrr', Array.from({ length: 200 }, (_, i) => dest(`198.18.${2 + (i >> 8)}.${i & 255}`, 65_535 - i)), { key: 'big', address: '198.18.0.250' }),
    ],
  ];
  for (const services of sets) {
    const script = renderTable(services);
    const { ok, stderr } = nftCheck(script);
    assert.ok(ok, `nft -c refused:\n${stderr}\n${script}`);
  }
  const broken = renderTable([service('rr', three)]).replace('numgen inc', 'numgen sometimes');
  assert.equal(nftCheck(broken).ok, false);
});
