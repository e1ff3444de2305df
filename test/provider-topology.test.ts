// The topology preview's words and elections (provider/topology/change.ts), case by case.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeGroup, describeHost, describeRealServer, describeVirtualServer, endpoint, expectedMaster, rank,
  type GroupView, type HostView, type MemberView, type RealServerView, type VirtualServerView,
} from '../provider/topology/change.ts';

const m = (name: string, priority: number, address = `198.18.0.${name.slice(1)}`): MemberView => ({ name, address, priority });
const group = (members: MemberView[], extra: Partial<GroupView> = {}): GroupView => ({
  vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'], preempt: true, preemptDelayMs: 0, members, ...extra,
});

describe('elections', () => {
  test('the highest priority wins', () => {
    assert.equal(expectedMaster(group([m('h1', 100), m('h2', 200), m('h3', 150)])), 'h2');
  });

  test('a tie goes to the highest address, compared as a number, not as text', () => {
    assert.deepEqual(rank([m('h9', 100, '198.18.0.9'), m('h10', 100, '198.18.0.10')]).map((x) => x.name), ['h10', 'h9']);
    assert.equal(expectedMaster(group([m('a', 100, '2001:db8::9'), m('b', 100, '2001:db8::10')])), 'b');
    assert.equal(expectedMaster(group([m('a', 100, 'lb-a.example'), m('b', 100, 'lb-b.example')])), 'b');
  });

  test('with preempt off the current master keeps the role while it is a member', () => {
    const calm = group([m('h1', 100), m('h2', 200)], { preempt: false });
    assert.equal(expectedMaster(calm, 'h1'), 'h1');
    assert.equal(expectedMaster(calm), 'h2');
    assert.equal(expectedMaster(calm, 'h3'), 'h2');
  });

  test('the address owner (255) takes over even with preempt off', () => {
    assert.equal(expectedMaster(group([m('h1', 100), m('h2', 255)], { preempt: false }), 'h1'), 'h2');
  });

  test('no members, no master', () => {
    assert.equal(expectedMaster(group([])), undefined);
  });
});

describe('VRRP group words', () => {
  const pair = group([m('h1', 200), m('h2', 150)]);

  test('a new group: its master and where its VIPs come up', () => {
    assert.deepEqual(describeGroup(undefined, pair), ['vrid 51: master h1 (priority 200 > 150)', 'VIP 198.18.0.100/24 comes up on h1']);
    assert.deepEqual(describeGroup(undefined, group([m('h1', 100)], { virtualIps: [] })), ['vrid 51: master h1 (only member)']);
    assert.deepEqual(describeGroup(undefined, group([m('h1', 100), m('h2', 100)], { virtualIps: [] })), ['vrid 51: master h2 (priority 100 = 100, address 198.18.0.2 > 198.18.0.1)']);
    assert.deepEqual(describeGroup(undefined, group([])), ['vrid 51 on eth0: no members, so no master']);
  });

  test('no change, no words', () => {
    assert.deepEqual(describeGroup(pair, pair), []);
  });

  test('a backup raised above the master preempts, and the VIP moves with it', () => {
    assert.deepEqual(describeGroup(pair, group([m('h1', 150), m('h2', 200)])), [
      'vrid 51: master h1 -> h2 (priority 200 > 150, preempt)',
      'VIP 198.18.0.100/24 moves with it',
    ]);
  });

  test('the master lowered below a backup: the backup preempts', () => {
    assert.deepEqual(describeGroup(pair, group([m('h1', 100), m('h2', 150)])), [
      'vrid 51: master h1 -> h2 (priority 150 > 100, preempt)',
      'VIP 198.18.0.100/24 moves with it',
    ]);
  });

  test('a preempt delay is said', () => {
    assert.deepEqual(describeGroup(group([m('h1', 200), m('h2', 150)], { preemptDelayMs: 5000 }), group([m('h1', 150), m('h2', 200)], { preemptDelayMs: 5000 }))[0],
      'vrid 51: master h1 -> h2 (priority 200 > 150, preempt after 5000 ms)');
  });

  test('a tie broken by address is said', () => {
    assert.deepEqual(describeGroup(pair, group([m('h1', 150), m('h2', 150)]))[0], 'vrid 51: master h1 -> h2 (priority 150 = 150, address 198.18.0.2 > 198.18.0.1, preempt)');
  });

  test('preempt off: the master stays, and the words say why', () => {
    const calmPair = group([m('h1', 200), m('h2', 150)], { preempt: false });
    assert.deepEqual(describeGroup(calmPair, group([m('h1', 200), m('h2', 250)], { preempt: false })), [
      'vrid 51: master stays h1 (h2 has priority 250 > 200, but preempt is off)',
    ]);
    assert.deepEqual(describeGroup(calmPair, group([m('h1', 200), m('h2', 255)], { preempt: false })), [
      'vrid 51: master h1 -> h2 (priority 255 > 200, address owner)',
      'VIP 198.18.0.100/24 moves with it',
    ]);
  });

  test('the recorded master counts: a group whose master stayed under preempt off is described from it', () => {
    const stayed = group([m('h1', 150), m('h2', 200)], { preempt: false, master: 'h1' });
    assert.deepEqual(describeGroup(stayed, group([m('h1', 150), m('h2', 200)], { preempt: true })), [
      'vrid 51: master h1 -> h2 (priority 200 > 150, preempt)',
      'VIP 198.18.0.100/24 moves with it',
      'vrid 51: preempt off -> on',
    ]);
  });

  test('the master leaving the group hands over to the best of the rest', () => {
    assert.deepEqual(describeGroup(group([m('h1', 200), m('h2', 150), m('h3', 100)]), group([m('h2', 150), m('h3', 100)])), [
      'vrid 51: master h1 -> h2 (h1 leaves the group)',
      'vrid 51: h1 leaves',
      'VIP 198.18.0.100/24 moves with it',
    ]);
    assert.deepEqual(describeGroup(group([m('h1', 200)]), group([])), ['vrid 51: master h1 -> none (no members left)', 'vrid 51: h1 leaves']);
  });

  test('members joining and leaving as backups, and priority changes that move nothing', () => {
    assert.deepEqual(describeGroup(pair, group([m('h1', 200), m('h2', 150), m('h3', 100)])), ['vrid 51: h3 joins as backup (priority 100)']);
    assert.deepEqual(describeGroup(group([m('h1', 200), m('h2', 150), m('h3', 100)]), pair), ['vrid 51: h3 leaves']);
    assert.deepEqual(describeGroup(pair, group([m('h1', 200), m('h2', 120)])), ['vrid 51: h2 priority 150 -> 120, stays backup']);
    assert.deepEqual(describeGroup(pair, group([m('h1', 180), m('h2', 150)])), ['vrid 51: h1 priority 200 -> 180, stays master']);
    assert.deepEqual(describeGroup(pair, group([m('h1', 200), m('h2', 150), m('h3', 250)])), [
      'vrid 51: master h1 -> h3 (priority 250 > 200, preempt)',
      'vrid 51: h3 joins as master (priority 250)',
      'VIP 198.18.0.100/24 moves with it',
    ]);
  });

  test('VIPs added and removed, with and without a new master', () => {
    assert.deepEqual(describeGroup(pair, group([m('h1', 200), m('h2', 150)], { virtualIps: ['198.18.0.100/24', '198.18.0.101/24'] })), ['VIP 198.18.0.101/24 comes up on h1']);
    assert.deepEqual(describeGroup(pair, group([m('h1', 200), m('h2', 150)], { virtualIps: [] })), ['VIP 198.18.0.100/24 goes away from h1']);
    assert.deepEqual(describeGroup(pair, group([m('h1', 100), m('h2', 150)], { virtualIps: ['198.18.0.101/24'] })), [
      'vrid 51: master h1 -> h2 (priority 150 > 100, preempt)',
      'VIP 198.18.0.101/24 comes up on h2',
      'VIP 198.18.0.100/24 goes away from h1',
    ]);
  });

  test('another vrid or interface is a replacement, described as a new group', () => {
    assert.deepEqual(describeGroup(pair, group([m('h1', 200), m('h2', 150)], { vrid: 52 })), [
      'vrid 51 on eth0 is replaced by vrid 52 on eth0: its VIPs are down in between',
      'vrid 52: master h1 (priority 200 > 150)',
      'VIP 198.18.0.100/24 comes up on h1',
    ]);
    assert.equal(describeGroup(pair, group([m('h1', 200), m('h2', 150)], { interface: 'eth1' }))[0], 'vrid 51 on eth0 is replaced by vrid 51 on eth1: its VIPs are down in between');
  });

  test('the advert interval and preempt are said when they change', () => {
    assert.deepEqual(describeGroup(pair, group([m('h1', 200), m('h2', 150)], { advertIntervalMs: 100 })), ['vrid 51: advert interval default -> 100 ms']);
    assert.deepEqual(describeGroup(pair, group([m('h1', 200), m('h2', 150)], { preempt: false })), ['vrid 51: preempt on -> off']);
  });
});

describe('load-balancing words', () => {
  const vs = { protocol: 'TCP', address: '198.18.0.100', port: 80 };
  const rs: RealServerView = { virtualServer: vs, address: '198.18.1.13', port: 80, weight: 1, check: 'TCP_CHECK' };

  test('endpoints: IPv6 in brackets, UDP marked', () => {
    assert.equal(endpoint(vs), '198.18.0.100:80');
    assert.equal(endpoint({ protocol: 'TCP', address: '2001:db8::1', port: 443 }), '[2001:db8::1]:443');
    assert.equal(endpoint({ protocol: 'UDP', address: '198.18.0.53', port: 53 }), '198.18.0.53:53/udp');
  });

  test('a real server joins, changes weight or check, moves', () => {
    assert.deepEqual(describeRealServer(undefined, rs), ['real server 198.18.1.13:80 joins 198.18.0.100:80']);
    assert.deepEqual(describeRealServer(undefined, { ...rs, weight: 0 }), ['real server 198.18.1.13:80 joins 198.18.0.100:80 with weight 0 (no new connections)']);
    assert.deepEqual(describeRealServer(rs, rs), []);
    assert.deepEqual(describeRealServer(rs, { ...rs, weight: 5 }), ['real server 198.18.1.13:80 in 198.18.0.100:80: weight 1 -> 5']);
    assert.deepEqual(describeRealServer(rs, { ...rs, weight: 0 }), ['real server 198.18.1.13:80 in 198.18.0.100:80: weight 1 -> 0 (drained: no new connections)']);
    const { check: _, ...unchecked } = rs;
    assert.deepEqual(describeRealServer(rs, unchecked), ['real server 198.18.1.13:80 in 198.18.0.100:80: health check TCP_CHECK -> none (always up)']);
    assert.deepEqual(describeRealServer(unchecked, { ...rs, check: 'HTTP_GET' }), ['real server 198.18.1.13:80 in 198.18.0.100:80: health check none -> HTTP_GET']);
    assert.deepEqual(describeRealServer(rs, { ...rs, port: 8080 }), ['real server 198.18.1.13:80 leaves 198.18.0.100:80', 'real server 198.18.1.13:8080 joins 198.18.0.100:80']);
    assert.deepEqual(describeRealServer(rs, { ...rs, virtualServer: { ...vs, protocol: 'UDP' } }), ['real server 198.18.1.13:80 leaves 198.18.0.100:80', 'real server 198.18.1.13:80 joins 198.18.0.100:80/udp']);
  });

  test('a virtual server is created, changes scheduling and directors, or is replaced', () => {
    const web: VirtualServerView = { ...vs, scheduler: 'wlc', method: 'NAT', directors: ['h1', 'h2'] };
    assert.deepEqual(describeVirtualServer(undefined, web), ['virtual server 198.18.0.100:80 (wlc, NAT) on h1, h2']);
    assert.deepEqual(describeVirtualServer(web, web), []);
    assert.deepEqual(describeVirtualServer(web, { ...web, scheduler: 'rr', method: 'DR', directors: ['h2', 'h3'] }), [
      'virtual server 198.18.0.100:80: scheduler wlc -> rr',
      'virtual server 198.18.0.100:80: forwarding NAT -> DR',
      'virtual server 198.18.0.100:80: h3 starts directing it',
      'virtual server 198.18.0.100:80: h1 stops directing it',
    ]);
    assert.deepEqual(describeVirtualServer(web, { ...web, port: 8080 }), ['virtual server 198.18.0.100:80 is replaced by 198.18.0.100:8080', 'virtual server 198.18.0.100:8080 (wlc, NAT) on h1, h2']);
  });
});

describe('host words', () => {
  const h1: HostView = { name: 'h1', address: '198.18.0.1', port: 22, user: 'root', installDir: '/opt/keepalive', serviceManager: 'systemd' };

  test('an install, a move, and no words for a connection detail', () => {
    assert.deepEqual(describeHost(undefined, h1), ['host h1: keepalive goes to /opt/keepalive on root@198.18.0.1:22 (systemd)']);
    assert.deepEqual(describeHost(undefined, { ...h1, serviceManager: 'none' }), ['host h1: keepalive goes to /opt/keepalive on root@198.18.0.1:22 (pid-file service)']);
    assert.deepEqual(describeHost(h1, { ...h1, installDir: '/srv/keepalive' }), ['host h1: keepalive moves from /opt/keepalive on root@198.18.0.1:22 (systemd) to /srv/keepalive on root@198.18.0.1:22 (systemd)']);
    assert.deepEqual(describeHost(h1, { ...h1, user: 'deploy' }), []);
  });
});
