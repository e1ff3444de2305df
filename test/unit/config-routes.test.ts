// virtual_routes, virtual_rules, static_ipaddress, static_routes and static_rules: keepalived's `ip
// route` and `ip rule` syntax into the model (both loaders), its errors at file:line:col, and the
// model into what the kernel is asked for (interfaces looked up, a missing one an error at its place).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import { errorsOf, instance, lines, withoutPositions } from '../fixtures/config/support.ts';
import { deletes, routingEntries, type Entry } from '../../runtime/src/vrrp/routing.ts';
import type { RouteInfo } from '../../runtime/src/net/rtnetlink-route.ts';

const routesOf = (...entries: string[]) => parseConfigText(lines(...instance('VI_1', 1, '  virtual_routes {', ...entries.map((e) => `    ${e}`), '  }')), 'r.conf');
const rulesOf = (...entries: string[]) => parseConfigText(lines(...instance('VI_1', 1, '  virtual_rules {', ...entries.map((e) => `    ${e}`), '  }')), 'r.conf');

test('virtual_routes: every option of keepalived\'s syntax, IPv4 and IPv6, into the model', () => {
  const { config, warnings } = routesOf(
    'src 198.18.0.100 to 198.18.9.0/24 via 198.18.0.254 dev eth0 table 100 metric 7 protocol static scope global onlink no_track',
    '198.18.10.0/24 dev eth0',
    'blackhole 198.18.11.1/32',
    'unreachable 2001:db8:5::/48 table main',
    'default via 198.18.0.1 dev eth0 table 200',
    '198.18.12.0/24 nexthop via 198.18.0.2 dev eth0 weight 2 nexthop via 198.18.0.3 dev eth0',
    '198.18.13.0/24 via 198.18.0.2 or 198.18.0.3',
    'inet6 default via 2001:db8::1 dev eth0 priority 1024',
  );
  const [a, b, c, d, e, f, g, h] = withoutPositions(config.vrrpInstances[0]!.virtualRoutes) as Record<string, unknown>[];
  assert.deepEqual(a, { family: 4, destination: '198.18.9.0', prefixLength: 24, type: 'unicast', table: 100, protocol: 4, onlink: true, nexthops: [], noTrack: true, src: '198.18.0.100', via: '198.18.0.254', dev: 'eth0', scope: 0, metric: 7 });
  assert.deepEqual(b, { family: 4, destination: '198.18.10.0', prefixLength: 24, type: 'unicast', table: 254, protocol: 18, onlink: false, nexthops: [], noTrack: false, dev: 'eth0' });
  assert.deepEqual([c!.type, c!.noTrack], ['blackhole', true], 'no device: not tracked, as in keepalived');
  assert.deepEqual([d!.family, d!.type, d!.destination, d!.prefixLength, d!.table], [6, 'unreachable', '2001:db8:5::', 48, 254]);
  assert.deepEqual([e!.destination, e!.prefixLength, e!.table, e!.via], ['0.0.0.0', 0, 200, '198.18.0.1']);
  assert.deepEqual(f!.nexthops, [{ via: '198.18.0.2', dev: 'eth0', weight: 2, onlink: false }, { via: '198.18.0.3', dev: 'eth0', onlink: false }]);
  assert.deepEqual([g!.nexthops, g!.via], [[{ via: '198.18.0.2', onlink: false }, { via: '198.18.0.3', onlink: false }], undefined]);
  assert.deepEqual([h!.family, h!.destination, h!.metric, h!.via], [6, '::', 1024, '2001:db8::1']);
  assert.deepEqual(warnings, [
    'r.conf:7:5: virtual_routes: 198.18.11.1/32 has no device (dev), so it is not tracked, as in keepalived',
    'r.conf:8:5: virtual_routes: 2001:db8:5::/48 has no device (dev), so it is not tracked, as in keepalived',
    'r.conf:11:5: virtual_routes: 198.18.13.0/24 has no device (dev), so it is not tracked, as in keepalived',
    'r.conf:11:35: virtual_routes: "or" is deprecated (as in keepalived): write "nexthop via A nexthop via B"',
  ]);
});

test('default takes its family from the rest of the entry, as in ip route', () => {
  const [v6, v4] = routesOf('default via 2001:db8::1 dev eth0 onlink table 1', 'default dev eth0').config.vrrpInstances[0]!.virtualRoutes;
  assert.deepEqual([v6!.family, v6!.destination, v6!.prefixLength], [6, '::', 0]);
  assert.deepEqual([v4!.family, v4!.destination, v4!.prefixLength], [4, '0.0.0.0', 0]);
});

test('a tracked route keeps keepalived\'s protocol, with a warning, as keepalived resets it', () => {
  const { config, warnings } = routesOf('198.18.9.0/24 dev eth0 proto boot');
  assert.equal(config.vrrpInstances[0]!.virtualRoutes[0]!.protocol, 18);
  assert.deepEqual(warnings, ['r.conf:5:34: virtual_routes: a tracked route has keepalived\'s protocol (18), as in keepalived; add no_track to keep protocol 3']);
});

test('virtual_rules and static_*: keepalived\'s syntax; rules without a priority get keepalived\'s, counting down per family', () => {
  const { config, warnings } = parseConfigText(lines(
    'static_ipaddress {', '  198.18.0.50/24 dev eth0 scope link', '}',
    'static_routes {', '  198.18.20.0/24 via 198.18.0.254 dev eth0', '}',
    'static_rules {', '  from 198.18.0.0/24 table 1', '}',
    ...instance('VI_1', 1, '  virtual_rules {',
      '    from 198.18.5.0/24 to 198.18.6.0/24 table 100 priority 200 iif eth0 oif eth1 fwmark 0x10/0xff',
      '    to 198.18.7.0/24 lookup 101',
      '    inet6 from all table 102 pref 300 no_track',
      '    from 2001:db8:1::/64 table 103',
      '  }'),
  ), 'r.conf');
  assert.deepEqual(withoutPositions(config.staticIpaddress), [{ address: '198.18.0.50', prefixLength: 24, noTrack: false, dev: 'eth0', scope: 253 }]);
  assert.deepEqual(config.staticRoutes.map((r) => [r.destination, r.via, r.dev, r.noTrack]), [['198.18.20.0', '198.18.0.254', 'eth0', false]]);
  assert.deepEqual(withoutPositions(config.staticRules), [{ family: 4, table: 1, priority: 16384, noTrack: false, from: { address: '198.18.0.0', prefixLength: 24 } }]);
  assert.deepEqual(withoutPositions(config.vrrpInstances[0]!.virtualRules), [
    { family: 4, table: 100, priority: 200, noTrack: false, from: { address: '198.18.5.0', prefixLength: 24 }, to: { address: '198.18.6.0', prefixLength: 24 }, iif: 'eth0', oif: 'eth1', fwmark: 16, fwmask: 255 },
    { family: 4, table: 101, priority: 16383, noTrack: false, to: { address: '198.18.7.0', prefixLength: 24 } },
    { family: 6, table: 102, priority: 300, noTrack: true },
    { family: 6, table: 103, priority: 16384, noTrack: false, from: { address: '2001:db8:1::', prefixLength: 64 } },
  ]);
  assert.equal(warnings.filter((w) => w.includes('has no priority')).length, 3);
});

test('JSON/YAML: the same entries as strings, into the same model', () => {
  const conf = lines(
    'static_routes {', '  198.18.20.0/24 via 198.18.0.254 dev eth0 table 7', '}',
    'static_rules {', '  from 198.18.0.0/24 table 7 priority 10', '}',
    ...instance('VI_1', 1, '  virtual_routes {', '    blackhole 198.18.30.0/24', '  }', '  virtual_rules {', '    to 198.18.30.0/24 table 7 priority 11', '  }'),
  );
  const yaml = lines(
    'staticRoutes:', '  - 198.18.20.0/24 via 198.18.0.254 dev eth0 table 7',
    'staticRules:', '  - "from 198.18.0.0/24 table 7 priority 10"',
    'vrrpInstances:', '  VI_1:', '    interface: eth0', '    virtualRouterId: 1',
    '    virtualRoutes: [blackhole 198.18.30.0/24]', '    virtualRules: ["to 198.18.30.0/24 table 7 priority 11"]',
  );
  const a = parseConfigText(conf, 'r.conf').config;
  const b = parseConfigText(yaml, 'r.yaml').config;
  assert.deepEqual(withoutPositions([b.staticRoutes, b.staticRules, b.vrrpInstances[0]!.virtualRoutes, b.vrrpInstances[0]!.virtualRules]),
    withoutPositions([a.staticRoutes, a.staticRules, a.vrrpInstances[0]!.virtualRoutes, a.vrrpInstances[0]!.virtualRules]));
  assert.deepEqual(errorsOf(lines('staticRoutes:', '  - "198.18.20.0/24 dev eth0 table nosuch"'), 'r.yaml'),
    ['r.yaml:2:36: staticRoutes: unknown table "nosuch": expected 1..4294967295 or a name in rt_tables']);
});

test('bad routes and rules: each an error at its word, and the configuration refused', () => {
  assert.deepEqual(errorsOf(lines(...instance('VI_1', 1,
    '  virtual_routes {',
    '    198.18.9.0/24 dev eth0 table nosuch',
    '    198.18.9.1/24 dev eth0',
    '    198.18.9.0/24 dev eth0 mtu 1400',
    '    198.18.9.0/24 dev eth0 flavour x',
    '    via 198.18.0.1 dev eth0',
    '    blackhole 198.18.9.0/24 dev eth0',
    '    198.18.9.0/24 via 2001:db8::1',
    '    198.18.9.0/24 table 0',
    '    198.18.9.0/24 nexthop via 198.18.0.1 weight 300',
    '  }',
    '  virtual_rules {',
    '    from 198.18.5.0/24 table wrong',
    '    from 198.18.5.0/24 priority 5',
    '    from 198.18.5.0/24 table 5 goto 7',
    '    from 198.18.5.0/24 table 5 fwmark x',
    '  }',
  ))), [
    'test.conf:5:34: virtual_routes: unknown table "nosuch": expected 1..4294967295 or a name in rt_tables',
    'test.conf:6:5: virtual_routes: 198.18.9.1/24 has host bits set: the network is 198.18.9.0/24',
    'test.conf:7:28: virtual_routes: route option "mtu" is a keepalived option that keepalive does not support',
    'test.conf:8:28: virtual_routes: unknown route keyword "flavour"',
    'test.conf:9:5: virtual_routes: a route needs a destination',
    'test.conf:10:5: virtual_routes: a blackhole route has neither a gateway nor a device',
    'test.conf:11:23: virtual_routes: 2001:db8::1 is not an IPv4 address, and a route or rule has one family',
    'test.conf:12:25: virtual_routes: bad table 0: expected 1..4294967295',
    'test.conf:13:49: virtual_routes: bad next hop weight 300: expected 1..256',
    'test.conf:16:30: virtual_rules: unknown table "wrong": expected 1..4294967295 or a name in rt_tables',
    'test.conf:17:5: virtual_rules: a rule needs a table',
    'test.conf:18:32: virtual_rules: rule option "goto" is a keepalived option that keepalive does not support',
    'test.conf:19:39: virtual_rules: bad fwmark "x": expected 0..4294967295',
  ]);
});

test('a rule address keepalived cannot parse: the rule is skipped with a warning, as keepalived skips it', () => {
  const { config, warnings } = rulesOf('to 198.18.100./24 table 1 priority 5', 'from 198.18.0.0/24 table 1 priority 6');
  assert.deepEqual(config.vrrpInstances[0]!.virtualRules.map((r) => r.priority), [6]);
  assert.deepEqual(warnings, ['r.conf:5:8: virtual_rules: "198.18.100./24" is not an address: the rule is skipped, as keepalived skips it']);
});

test('into kernel requests: interfaces by index; every missing one an error at its place, all together', () => {
  const { config } = parseConfigText(lines(
    'static_ipaddress {', '  198.18.0.50/24 dev lab0', '}',
    'static_routes {', '  198.18.20.0/24 via 198.18.0.254 dev lab0', '  198.18.21.0/24 dev eth9', '}',
    ...instance('VI_1', 1, '  virtual_routes {', '    198.18.9.0/24 nexthop via 198.18.0.2 dev lab0 nexthop via 198.18.0.3 dev eth8', '  }'),
  ), 'r.conf');
  const indexOf = (name: string): number | undefined => ({ lab0: 7 } as Record<string, number>)[name];
  const input = { statics: { addresses: config.staticIpaddress, routes: config.staticRoutes, rules: config.staticRules }, instances: config.vrrpInstances };
  assert.throws(() => routingEntries(input, indexOf), {
    message: 'r.conf:6:3: static_routes 198.18.21.0/24: no interface eth9 on this host\nr.conf:12:5: virtual_routes 198.18.9.0/24: no interface eth8 on this host',
  });
  const ok = routingEntries(input, (name) => (name === 'eth8' || name === 'eth9' || name === 'lab0' ? 7 : undefined));
  assert.deepEqual(ok.statics.map((e) => [e.kind, e.label, e.tracked]), [
    ['address', 'address 198.18.0.50/24 dev lab0', true],
    ['route', 'route 198.18.20.0/24 via 198.18.0.254 dev lab0', true],
    ['route', 'route 198.18.21.0/24 dev eth9', true],
  ]);
  const route = ok.statics[1]! as Extract<Entry, { kind: 'route' }>;
  assert.deepEqual(route.spec, { family: 4, destination: '198.18.20.0', prefixLength: 24, table: 254, protocol: 18, type: 'unicast', gateway: '198.18.0.254', ifindex: 7 });
  assert.deepEqual((ok.instances.get('VI_1')![0] as Extract<Entry, { kind: 'route' }>).spec.nexthops, [{ gateway: '198.18.0.2', ifindex: 7 }, { gateway: '198.18.0.3', ifindex: 7 }]);

  // A deletion the kernel reports is matched by what identifies a route, and keepalived's protocol.
  const info: RouteInfo = { family: 4, destination: '198.18.20.0', prefixLength: 24, gateway: '198.18.0.254', ifindex: 7, scope: 0, table: 254, protocol: 18, onlink: false, type: 'unicast' };
  assert.equal(deletes(route, { kind: 'route', route: info }), true);
  assert.equal(deletes(route, { kind: 'route', route: { ...info, protocol: 3 } }), false, 'another protocol: not ours');
  assert.equal(deletes(route, { kind: 'route', route: { ...info, table: 100 } }), false);
  assert.equal(deletes(route, { kind: 'route', route: { ...info, destination: '198.18.21.0' } }), false);
});
