// The pool core: quorum with hysteresis, inhibit_on_failure, the sorry server, and misc_dynamic
// weights, against a reference written from keepalived's rules, over every combination of health.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextQuorum, poolDestinations, poolWeight, type PoolSpec } from '../../runtime/src/checker/pool.ts';
import type { ServerHealth } from '../../runtime/src/checker/scheduler.ts';

const spec = (extra: Partial<PoolSpec> = {}): PoolSpec => ({
  key: 'TCP 198.18.0.100 80',
  services: [{ key: 'TCP 198.18.0.100 80', protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'rr' }],
  realServers: [
    { id: 'a', address: '198.18.1.1', port: 80, weight: 3, inhibitOnFailure: false, method: 'NAT' },
    { id: 'b', address: '198.18.1.2', port: 80, weight: 2, inhibitOnFailure: true, method: 'NAT' },
    { id: 'c', address: '198.18.1.3', port: 80, weight: 1, inhibitOnFailure: false, method: 'NAT' },
  ],
  quorum: 1,
  hysteresis: 0,
  ...extra,
});

test('quorum is lost below quorum - hysteresis (or at weight 0) and regained at quorum + hysteresis', () => {
  for (let quorum = 1; quorum <= 6; quorum++) {
    for (let hysteresis = 0; hysteresis < quorum; hysteresis++) {
      for (let weight = 0; weight <= 8; weight++) {
        assert.equal(nextQuorum(true, weight, quorum, hysteresis), weight > 0 && weight >= quorum - hysteresis, `up, w ${weight} q ${quorum} h ${hysteresis}`);
        assert.equal(nextQuorum(false, weight, quorum, hysteresis), weight > 0 && weight >= quorum + hysteresis, `down, w ${weight} q ${quorum} h ${hysteresis}`);
      }
    }
  }
});

test('every health combination: down servers leave or get weight 0 (inhibit), the sorry server serves without quorum', () => {
  const sorry = { address: '198.18.1.9', port: 8080, method: 'NAT' as const, inhibit: false };
  for (const withSorry of [false, true]) {
    for (const sorryInhibit of [false, true]) {
      const s = spec(withSorry ? { sorryServer: { ...sorry, inhibit: sorryInhibit }, quorum: 3 } : { quorum: 3 });
      for (let mask = 0; mask < 8; mask++) {
        for (const hasQuorum of [false, true]) {
          const health = (id: string): ServerHealth => ({ up: (mask & (1 << 'abc'.indexOf(id))) !== 0, weight: s.realServers.find((r) => r.id === id)!.weight });
          const got = poolDestinations(s, health, hasQuorum);
          const sorryActive = withSorry && !hasQuorum;
          const expected = s.realServers.flatMap((rs) => {
            const inPool = health(rs.id).up && !sorryActive;
            if (!inPool && !rs.inhibitOnFailure) return [];
            return [{ address: rs.address, port: rs.port, weight: inPool ? rs.weight : 0, method: 'NAT' }];
          });
          if (withSorry && (sorryActive || sorryInhibit)) expected.push({ address: sorry.address, port: sorry.port, weight: sorryActive ? 1 : 0, method: 'NAT' });
          assert.deepEqual(got, expected, `sorry ${withSorry} inhibit ${sorryInhibit} mask ${mask} quorum ${hasQuorum}`);
        }
      }
    }
  }
});

test('the pool weight counts up servers at their current weight (a misc_dynamic weight included)', () => {
  const s = spec();
  assert.equal(poolWeight(s, (id) => ({ up: id !== 'b', weight: id === 'a' ? 7 : 1 })), 8);
  assert.equal(poolWeight(s, () => ({ up: false, weight: 5 })), 0);
});

test('a sorry server that is also a real server is one destination, the sorry role winning while active', () => {
  const s = spec({ sorryServer: { address: '198.18.1.3', port: 80, method: 'NAT', inhibit: true } });
  const up = (): ServerHealth => ({ up: true, weight: 1 });
  assert.deepEqual(poolDestinations(s, up, true).filter((d) => d.address === '198.18.1.3'), [{ address: '198.18.1.3', port: 80, weight: 1, method: 'NAT' }]);
  assert.deepEqual(poolDestinations(s, up, false).map((d) => [d.address, d.weight]), [['198.18.1.2', 0], ['198.18.1.3', 1]]);
});
