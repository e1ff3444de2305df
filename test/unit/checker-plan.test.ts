// From a keepalived.conf to what the checker child runs: services (a group expanded), pools, and each
// checker resolved into check specs with inherited timing, targets, Host headers and TLS settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import { checkerPlan } from '../../runtime/src/checker/from-config.ts';
import { lines } from '../fixtures/config/support.ts';

const CONF = lines(
  'global_defs {',
  '  router_id lb1',
  '  lb_dataplane nftables',
  '}',
  'virtual_server_group web {',
  '  198.18.0.100-101 443',
  '  fwmark 7',
  '}',
  'virtual_server group web {',
  '  delay_loop 3',
  '  lb_algo wrr',
  '  persistence_timeout 60',
  '  quorum 2',
  '  hysteresis 1',
  '  sorry_server 198.18.1.99 8443',
  '  sorry_server_inhibit',
  '  alpha',
  '  virtualhost www.example.com',
  '  real_server 198.18.1.11 443 {',
  '    weight 3',
  '    inhibit_on_failure',
  '    notify_down "/usr/local/bin/down rs1"',
  '    SSL_GET {',
  '      url {',
  '        path /health',
  '        status_code 200-204',
  '      }',
  '      url {',
  '        path /ready',
  '        regex ^ok',
  '      }',
  '      enable_sni',
  '      tls_verify',
  '      tls_ca /etc/keepalive/ca.pem',
  '      connect_timeout 2',
  '      retry 2',
  '    }',
  '    MISC_CHECK {',
  '      misc_path "/usr/local/bin/weight 198.18.1.11"',
  '      misc_dynamic',
  '      warmup 5',
  '    }',
  '  }',
  '}',
);

test('a virtual server over a group becomes one service per address and fwmark, sharing one pool', () => {
  const plan = checkerPlan(parseConfigText(CONF, 'lb.conf').config);
  assert.equal(plan.dataplane, 'nftables');
  assert.equal(plan.notifier.routerId, 'lb1');
  const [vs] = plan.virtualServers;
  assert.ok(vs);
  assert.deepEqual(vs.pool.services.map((s) => [s.key, s.address, s.port, s.fwmark, s.scheduler, s.persistenceSeconds]), [
    ['TCP 198.18.0.100 443', '198.18.0.100', 443, undefined, 'wrr', 60],
    ['TCP 198.18.0.101 443', '198.18.0.101', 443, undefined, 'wrr', 60],
    ['fwmark 7', '0.0.0.0', 0, 7, 'wrr', 60],
  ]);
  assert.deepEqual([vs.pool.quorum, vs.pool.hysteresis, vs.alpha], [2, 1, true]);
  assert.deepEqual(vs.pool.sorryServer, { address: '198.18.1.99', port: 8443, method: 'NAT', inhibit: true });
  assert.deepEqual(vs.pool.realServers, [{ id: 'TCP group web 198.18.1.11 443', address: '198.18.1.11', port: 443, weight: 3, inhibitOnFailure: true, method: 'NAT' }]);
  assert.equal(vs.realServers[0]!.notifyDown, '/usr/local/bin/down rs1');
});

test('checkers resolve into specs: one per url, inherited timing, Host header and SNI, TLS verification, misc_dynamic', () => {
  const [rs] = checkerPlan(parseConfigText(CONF, 'lb.conf').config).virtualServers[0]!.realServers;
  assert.ok(rs);
  assert.deepEqual(rs.checks.map((c) => c.id), ['SSL_GET#1 /health', 'SSL_GET#1 /ready', 'MISC_CHECK#2']);
  const [health, ready, misc] = rs.checks;
  assert.deepEqual(health!.timing, { delayLoopMs: 3000, retry: 2, delayBeforeRetryMs: 3000 });
  assert.deepEqual(health!.spec, {
    kind: 'SSL_GET', host: '198.18.1.11', port: 443, timeoutMs: 2000, path: '/health', statusCodes: [{ from: 200, to: 204 }],
    virtualhost: 'www.example.com', sni: 'www.example.com', verifyTls: true, caFile: '/etc/keepalive/ca.pem',
  });
  assert.equal(ready!.spec.kind === 'SSL_GET' && ready!.spec.regex, '^ok');
  assert.deepEqual(misc!.spec, { kind: 'MISC_CHECK', path: '/usr/local/bin/weight 198.18.1.11', timeoutMs: 3000, dynamic: true });
  assert.equal(misc!.warmupMs, 5000);
});

test('tls_verify on HTTP_GET, and tls_ca without tls_verify, are warned about', () => {
  const { warnings } = parseConfigText(lines(
    'virtual_server 198.18.0.100 80 {',
    '  real_server 198.18.1.11 80 {',
    '    HTTP_GET {',
    '      url {',
    '        path /',
    '      }',
    '      tls_ca /etc/ca.pem',
    '    }',
    '  }',
    '}',
  ), 'w.conf');
  assert.deepEqual(warnings, [
    'w.conf:7:7: tls_verify and tls_ca are ignored by HTTP_GET (TLS settings: use SSL_GET)',
    'w.conf:7:7: tls_ca has no effect without tls_verify',
  ]);
});
