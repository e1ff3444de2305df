import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, parseConfigText } from '../../runtime/src/config/load.ts';
import type { HttpCheck, MiscCheck, SmtpCheck, TcpCheck, UdpCheck } from '../../runtime/src/config/model.ts';
import { parseHexString } from '../../runtime/src/config/values.ts';
import { replyMatches } from '../../runtime/src/checker/udp.ts';
import {
  checkerSmtpAlert, checkerTarget, checkerTiming, httpVirtualhost, miscTimeoutMs, realServerInhibitOnFailure, realServerMethod, realServerPort,
  smtpCheckHeloName, virtualServerFamily, virtualServerKey,
} from '../../runtime/src/config/resolve.ts';
import { errorsOf, instance, lines, withoutPositions } from '../fixtures/config/support.ts';

const fixture = (name: string): string => new URL(`../fixtures/config/${name}`, import.meta.url).pathname;

test('an LB pool in keepalived.conf: HTTP_GET and TCP_CHECK, a DR fwmark service with MISC_CHECK, sorry server and quorum', () => {
  const file = fixture('lb-pool.conf');
  const { config, warnings } = loadConfig(file);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.virtualServers.map(virtualServerKey), ['TCP 198.18.0.100 80', 'fwmark 7', 'TCP 198.18.0.100 443', 'UDP 2001:db8::53 53', 'TCP 198.18.0.25 25']);
  const [web, dr, tls, dns, smtp] = config.virtualServers;

  assert.equal(web!.lvsSched, 'wrr');
  assert.equal(web!.lvsMethod, 'NAT');
  assert.equal(web!.delayLoopMs, 6000);
  assert.equal(web!.persistenceTimeoutMs, 300_000);
  assert.equal(web!.persistenceGranularity, 24);
  assert.deepEqual(web!.sorryServer, { at: { file, line: 19, col: 18 }, address: '198.18.1.250', port: 8080 });
  assert.equal(web!.quorum, 2);
  assert.equal(web!.hysteresis, 1);
  assert.equal(web!.quorumUp, '/etc/keepalived/quorum.sh up');
  assert.equal(web!.alpha, true);
  assert.equal(web!.omega, false);
  assert.equal(web!.smtpAlert, true);
  assert.deepEqual(web!.at, { file, line: 11, col: 1 });
  assert.deepEqual(web!.fieldAt.address, { file, line: 11, col: 16 });
  assert.deepEqual(web!.fieldAt.port, { file, line: 11, col: 29 });
  assert.deepEqual(web!.fieldAt.lvsSched, { file, line: 13, col: 5 }, 'lb_algo sets lvsSched');
  assert.equal(web!.fieldAt.connectTimeoutMs, undefined, 'a default has no position');

  const [web1, web2] = web!.realServers;
  assert.equal(web1!.address, '198.18.1.11');
  assert.equal(web1!.port, 8080);
  assert.equal(web1!.weight, 3);
  assert.equal(web1!.inhibitOnFailure, true);
  assert.equal(web1!.notifyDown, '/etc/keepalived/rs.sh down web1');
  const http = web1!.checkers[0] as HttpCheck;
  assert.equal(http.kind, 'HTTP_GET');
  assert.deepEqual(http.url.map(({ at: _, fieldAt: __, ...u }) => u), [
    { path: '/healthz', statusCode: [{ from: 200, to: 299 }, { from: 301, to: 301 }], regexNoMatch: false },
    { path: '/index.html', statusCode: [{ from: 200, to: 299 }], digest: '9b3a0c85a887a256d6939da88aabd8cd', regexNoMatch: false },
  ]);
  assert.deepEqual(checkerTiming(web!, web1!, http), { delayLoopMs: 6000, connectTimeoutMs: 3000, retry: 3, delayBeforeRetryMs: 2000, warmupMs: 0 });
  assert.deepEqual(checkerTarget(web!, web1!, http), { address: '198.18.1.11', port: 8080 });
  assert.equal(httpVirtualhost(web!, http, http.url[0]!), 'www.example.com');
  assert.equal(web2!.weight, 1);
  assert.deepEqual(withoutPositions(web2!.checkers), [{ kind: 'TCP_CHECK', connectPort: 8080, connectTimeoutMs: 2500 }]);
  assert.deepEqual(checkerTiming(web!, web2!, web2!.checkers[0]!), { delayLoopMs: 6000, connectTimeoutMs: 2500, retry: 1, delayBeforeRetryMs: 1000, warmupMs: 0 });
  assert.equal(realServerInhibitOnFailure(web!, web2!), false);

  assert.equal(dr!.fwmark, 7);
  assert.equal(dr!.address, undefined);
  assert.equal(dr!.persistenceTimeoutMs, 360_000, 'persistence_timeout alone is 6 minutes');
  assert.equal(virtualServerFamily(dr!), 4);
  const [rs21, rs22] = dr!.realServers;
  assert.equal(rs21!.port, undefined);
  assert.equal(realServerPort(dr!, rs21!), 0, "a fwmark service's real server without a port gets the client's port");
  assert.equal(realServerInhibitOnFailure(dr!, rs21!), true, "inherited from the virtual server");
  assert.equal(realServerMethod(dr!, rs21!), 'DR');
  assert.equal(realServerMethod(dr!, rs22!), 'TUN');
  const misc = rs21!.checkers[0] as MiscCheck;
  assert.deepEqual(withoutPositions(misc), { kind: 'MISC_CHECK', miscPath: '/usr/local/bin/check-backend 198.18.2.21', miscTimeoutMs: 5000, miscDynamic: true, user: { user: 'nobody', group: 'nogroup' } });
  assert.equal(miscTimeoutMs(dr!, rs22!, rs22!.checkers[0] as MiscCheck), 10_000, 'misc_timeout defaults to the delay loop');

  const ssl = tls!.realServers[0]!.checkers[0] as HttpCheck;
  assert.equal(ssl.kind, 'SSL_GET');
  assert.equal(ssl.enableSni, true);
  assert.equal(ssl.httpProtocol, '1.1');
  assert.equal(ssl.fastRecovery, true);
  assert.equal(httpVirtualhost(tls!, ssl, ssl.url[0]!), 'secure.example.com');
  assert.equal(checkerTiming(tls!, tls!.realServers[0]!, ssl).delayBeforeRetryMs, 3000, 'HTTP and SSL checks wait 3 s before a retry by default');

  assert.equal(dns!.protocol, 'UDP');
  assert.equal(virtualServerFamily(dns!), 6);
  assert.deepEqual(withoutPositions(dns!.realServers[0]!.checkers), [{ kind: 'DNS_CHECK', type: 'A', name: 'www.example.com', connectPort: 53, retry: 2 }]);

  const smtpCheck = smtp!.realServers[0]!.checkers[0] as SmtpCheck;
  assert.equal(smtpCheck.connectPort, 25);
  assert.equal(smtpCheck.heloName, 'lb1.example.com');
  assert.equal(smtpCheckHeloName(config.globalDefs, { ...smtpCheck, heloName: undefined }), 'LB1');
  assert.equal(checkerSmtpAlert(config.globalDefs, smtp!), false);
  assert.equal(checkerSmtpAlert(config.globalDefs, web!), true);
  assert.equal(checkerSmtpAlert({ ...config.globalDefs, smtpAlertChecker: true }, smtp!), true, 'smtp_alert_checker applies to virtual servers without smtp_alert');
  assert.equal(checkerSmtpAlert({ ...config.globalDefs, smtpAlert: true, smtpAlertChecker: false }, smtp!), false);
  assert.equal(parseConfigText(lines('global_defs {', '  smtp_alert_checker', '}'), 'g.conf').config.globalDefs.smtpAlertChecker, true);
});

test('the YAML version of the LB pool loads into the same model', () => {
  const conf = loadConfig(fixture('lb-pool.conf'));
  const yaml = loadConfig(fixture('lb-pool.yaml'));
  assert.deepEqual(withoutPositions(yaml.config), withoutPositions(conf.config));
  const web = yaml.config.virtualServers[0]!;
  assert.deepEqual(web.at, { file: fixture('lb-pool.yaml'), line: 8, col: 3 });
  assert.deepEqual(web.realServers[1]!.checkers[0]!.at, { file: fixture('lb-pool.yaml'), line: 40, col: 13 });
});

test('JSON, and defaults: a DR service with VRRP beside it, sorry server, quorum and an inherited timing', () => {
  const conf = parseConfigText(lines(
    ...instance('VI_1', 51, '  virtual_ipaddress {', '    198.18.0.100/24', '  }'),
    'virtual_server 198.18.0.100 443 {',
    '  lvs_sched lc',
    '  lvs_method DR',
    '  delay_before_retry 4',
    '  sorry_server 198.18.9.9 443',
    '  sorry_server_inhibit',
    '  quorum 3',
    '  ha_suspend',
    '  real_server 198.18.0.11 {',
    '    retry 5',
    '    TCP_CHECK {',
    '      nb_get_retry 2',
    '    }',
    '    TCP_CHECK {',
    '      connect_port 8443',
    '      bindto 198.18.0.1',
    '      bind_port 40000',
    '      fwmark 9',
    '      warmup 2',
    '    }',
    '  }',
    '  real_server 198.18.0.12 443 {',
    '    weight 0',
    '  }',
    '}',
  ), 'dr.conf');
  const json = parseConfigText(JSON.stringify({
    vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: 51, virtualIpaddress: ['198.18.0.100/24'] } },
    virtualServers: {
      '198.18.0.100 443': {
        lvsSched: 'lc', lvsMethod: 'DR', delayBeforeRetryMs: 4000, sorryServer: { address: '198.18.9.9', port: 443 }, sorryServerInhibit: true,
        quorum: 3, haSuspend: true,
        realServers: {
          '198.18.0.11': {
            retry: 5,
            checkers: [{ kind: 'TCP_CHECK', retry: 2 }, { kind: 'TCP_CHECK', connectPort: 8443, bindto: '198.18.0.1', bindPort: 40000, fwmark: 9, warmupMs: 2000 }],
          },
          '198.18.0.12 443': { weight: 0 },
        },
      },
    },
  }, null, 2), 'dr.json');
  assert.deepEqual(withoutPositions(json.config), withoutPositions(conf.config));
  const vs = conf.config.virtualServers[0]!;
  const [rs11, rs12] = vs.realServers;
  assert.equal(vs.protocol, 'TCP');
  assert.equal(vs.connectTimeoutMs, 5000);
  assert.equal(vs.delayLoopMs, 60_000);
  assert.equal(realServerPort(vs, rs11!), 443, "a real server without a port gets the virtual server's");
  assert.deepEqual(checkerTiming(vs, rs11!, rs11!.checkers[0]!), { delayLoopMs: 60_000, connectTimeoutMs: 5000, retry: 2, delayBeforeRetryMs: 4000, warmupMs: 0 });
  assert.deepEqual(checkerTiming(vs, rs11!, rs11!.checkers[1]!), { delayLoopMs: 60_000, connectTimeoutMs: 5000, retry: 5, delayBeforeRetryMs: 4000, warmupMs: 2000 });
  assert.deepEqual(checkerTarget(vs, rs11!, rs11!.checkers[1] as TcpCheck), { address: '198.18.0.11', port: 8443 });
  assert.equal(rs12!.weight, 0);
  assert.deepEqual(rs12!.checkers, []);
});

test('status_code lines add up, url settings, and several url blocks', () => {
  const { config } = parseConfigText(lines(
    'virtual_server 198.18.0.1 80 {',
    '  virtualhost vs.example.com',
    '  real_server 198.18.0.2 80 {',
    '    HTTP_GET {',
    '      virtualhost checker.example.com',
    '      url {',
    '        path /a',
    '        status_code 200',
    '        status_code 204 300-302',
    '        regex "^ok$"',
    '        regex_no_match',
    '      }',
    '      url {',
    '        path /b',
    '        virtualhost url.example.com',
    '      }',
    '    }',
    '  }',
    '}',
  ), 'url.conf');
  const vs = config.virtualServers[0]!;
  const http = vs.realServers[0]!.checkers[0] as HttpCheck;
  assert.deepEqual(http.url[0]!.statusCode, [{ from: 200, to: 200 }, { from: 204, to: 204 }, { from: 300, to: 302 }]);
  assert.equal(http.url[0]!.regex, '^ok$');
  assert.equal(http.url[0]!.regexNoMatch, true);
  assert.equal(httpVirtualhost(vs, http, http.url[0]!), 'checker.example.com');
  assert.equal(httpVirtualhost(vs, http, http.url[1]!), 'url.example.com');
});

test('keepalived.conf: unsupported and malformed load-balancing keywords are errors at their place', () => {
  assert.deepEqual(errorsOf(lines(
    'virtual_server_group web {',
    '  198.18.0.9-3 80',
    '}',
    'virtual_server group {',
    '  lb_algo rr',
    '}',
    'virtual_server 198.18.0.1 80 {',
    '  lb_algo random',
    '  lb_kind TUN type gue 6080',
    '  lvs_method DR extra',
    '  protocol SCTP',
    '  persistence_engine sip',
    '  persistence_granularity 255.0.255.0',
    '  sorry_server 198.18.0.9',
    '  real_server 198.18.0.2 80 {',
    '    UDP_CHECK { payload 12zz',
    '    }',
    '    HTTP_GET {',
    '      url {',
    '        path /',
    '        status_code 2xx',
    '        digest abc',
    '        regex_options caseless',
    '      }',
    '      http_protocol 2',
    '      tls_compliant',
    '    }',
    '    DNS_CHECK {',
    '      type ANY',
    '    }',
    '    SMTP_CHECK {',
    '      host {',
    '        connect_ip 198.18.0.300',
    '      }',
    '    }',
    '    weight heavy',
    '  }',
    '  real_server {',
    '  }',
    '  real_server 198.18.0.300 80 {',
    '  }',
    '}',
    'virtual_server 198.18.0.1 {',
    '}',
    'SSL {',
    '  ca /etc/ca.pem',
    '}',
    'global_defs {',
    '  lvs_flush',
    '  lvs_timeouts tcp 900',
    '}',
  )), [
    'test.conf:2:3: virtual_server_group: bad address range "198.18.0.9-3": the part after "-" replaces the last octet and must not go below it',
    'test.conf:4:1: virtual_server takes ADDRESS PORT, fwmark N or group NAME before its { } block',
    'test.conf:8:11: lb_algo: unknown scheduler "random": expected one of rr, wrr, lc, wlc, lblc, lblcr, sh, dh, mh, sed, nq, fo, ovf, twos',
    'test.conf:9:15: lb_kind TUN: tunnel options ("type") are not supported by keepalive; TUN is IP-in-IP',
    'test.conf:10:17: lvs_method: unexpected "extra"',
    'test.conf:11:12: protocol: protocol SCTP is not supported by keepalive: its dataplanes and checkers handle TCP and UDP',
    'test.conf:12:3: "persistence_engine" is a keepalived keyword that keepalive does not support',
    'test.conf:13:27: persistence_granularity: 255.0.255.0 is not a contiguous netmask',
    'test.conf:14:3: sorry_server takes 2 arguments, got 1',
    'test.conf:16:17: payload: "12zz" is not hex digits',
    'test.conf:21:21: status_code: expected a status code or a range like 200-299, got "2xx"',
    'test.conf:22:16: digest: expected an MD5 digest (32 hex digits), got "abc"',
    'test.conf:23:9: "regex_options" is a keepalived keyword that keepalive does not support',
    'test.conf:25:21: http_protocol: unknown HTTP protocol "2": expected one of 1.0, 1.0C, 1.1',
    'test.conf:26:7: "tls_compliant" is a keepalived keyword that keepalive does not support',
    'test.conf:29:12: type: unknown DNS type "ANY": expected one of A, AAAA, CNAME, MX, NS, PTR, SOA, TXT, SRV',
    'test.conf:33:20: connect_ip: "198.18.0.300" is not an IP address',
    'test.conf:36:12: weight: expected an integer, got "heavy"',
    'test.conf:38:3: real_server needs an address (and a port) before its { } block',
    'test.conf:40:15: real_server: "198.18.0.300" is not an IP address',
    'test.conf:43:1: virtual_server takes ADDRESS PORT, fwmark N or group NAME before its { } block',
    'test.conf:49:3: "lvs_flush" is not supported yet: keepalive changes the IPVS table by differences and never flushes it',
    'test.conf:50:3: "lvs_timeouts" is not supported yet: set the IPVS timeouts with ipvsadm --set',
  ]);
});

test('keepalived.conf: semantic checks of virtual servers, real servers and checkers', () => {
  assert.deepEqual(errorsOf(lines(
    'virtual_server 198.18.0.1 80 {',
    '  quorum 0',
    '  hysteresis 2',
    '  persistence_timeout 1.5',
    '  sorry_server 2001:db8::9 80',
    '  delay_loop 0',
    '  real_server 198.18.0.2 80 {',
    '    weight 70000',
    '    HTTP_GET {',
    '      connect_port 0',
    '    }',
    '    SSL_GET {',
    '      url {',
    '        path /x',
    '        status_code 200 99 600-700',
    '      }',
    '    }',
    '    TCP_CHECK {',
    '      bind_port 70000',
    '      bindto 2001:db8::1',
    '    }',
    '    MISC_CHECK {',
    '      misc_timeout 3',
    '    }',
    '  }',
    '  real_server 198.18.0.2 80 {',
    '  }',
    '  real_server 198.18.0.3 {',
    '  }',
    '  real_server 198.18.0.3 80 {',
    '  }',
    '  real_server 2001:db8::3 80 {',
    '    lthreshold 10',
    '    uthreshold 5',
    '  }',
    '  real_server 198.18.0.4 0 {',
    '  }',
    '}',
    'virtual_server 198.18.0.1 80 {',
    '}',
    'virtual_server 198.18.0.1 70000 {',
    '}',
    'virtual_server fwmark 3 {',
    '  lb_kind DR',
    '  real_server 198.18.0.5 80 {',
    '  }',
    '  real_server 198.18.0.6 {',
    '    TCP_CHECK {',
    '    }',
    '    HTTP_GET {',
    '      connect_port 80',
    '      url {',
    '        path /',
    '      }',
    '    }',
    '  }',
    '}',
    'virtual_server 198.18.0.2 80 {',
    '  lb_kind DR',
    '  real_server 198.18.0.7 8080 {',
    '  }',
    '  real_server 198.18.0.8 80 {',
    '    lvs_method TUN',
    '  }',
    '  real_server 198.18.0.9 8080 {',
    '    lvs_method NAT',
    '  }',
    '}',
    'virtual_server fwmark 0 {',
    '  real_server 198.18.0.5 {',
    '  }',
    '  real_server 2001:db8::5 {',
    '  }',
    '}',
  )), [
    'test.conf:2:3: quorum 0 must be at least 1',
    'test.conf:4:3: persistence_timeout 1.5 s must be whole seconds',
    'test.conf:5:16: sorry_server 2001:db8::9 is not IPv4 like its virtual server',
    'test.conf:6:3: delay_loop 0 s must be at least 0.001 s',
    'test.conf:8:5: weight 70000 is out of range 0..65535',
    'test.conf:9:5: HTTP_GET has no url: give at least one url with a path',
    'test.conf:10:7: connect_port 0 is out of range 1..65535',
    'test.conf:15:9: status_code 99 is out of range 100..599',
    'test.conf:15:9: status_code 600-700 is out of range 100..599',
    'test.conf:19:7: bind_port 70000 is out of range 1..65535',
    'test.conf:20:7: TCP_CHECK: bindto 2001:db8::1 is not IPv4 like the address it connects to',
    'test.conf:22:5: MISC_CHECK has no misc_path',
    'test.conf:26:3: real server 198.18.0.2 port 80 is listed twice in TCP 198.18.0.1 80 (first at test.conf:7:3)',
    'test.conf:30:3: real server 198.18.0.3 port 80 is listed twice in TCP 198.18.0.1 80 (first at test.conf:28:3)',
    'test.conf:32:15: real server 2001:db8::3 is not IPv4 like its virtual server TCP 198.18.0.1 80',
    'test.conf:33:5: lthreshold 10 is above uthreshold 5',
    'test.conf:36:26: port 0 is out of range 1..65535',
    'test.conf:39:1: virtual server TCP 198.18.0.1 80 is defined twice (first at test.conf:1:1)',
    'test.conf:41:27: port 70000 is out of range 1..65535',
    'test.conf:45:26: real server 198.18.0.5 port 80: with DR, a fwmark or group service forwards to the client\'s destination port; write the real server without a port',
    'test.conf:48:5: TCP_CHECK has no connect_port, and real server 198.18.0.6 has no port to check (its virtual server is a fwmark service or a group)',
    'test.conf:60:26: real server 198.18.0.7 port 8080: DR cannot change the port; it must be the virtual server\'s port 80, or omitted',
    'test.conf:69:23: fwmark 0 is out of range 1..4294967295',
    'test.conf:72:15: real server 2001:db8::5 is not IPv4 like its virtual server fwmark 0',
  ]);
  assert.deepEqual(errorsOf(lines('virtual_server 198.18.0.1 80 {', '  quorum 2', '  hysteresis 2', '}')), ['test.conf:3:3: hysteresis 2 must be below quorum 2']);
  assert.deepEqual(errorsOf(lines('virtual_server fwmark 1 {', '  persistence_granularity 64', '  real_server 198.18.0.1 {', '  }', '}')), ['test.conf:2:3: persistence_granularity /64 is longer than an IPv4 address']);
});

test('JSON/YAML: keys, kinds and values of virtual servers, real servers and checkers are checked at their place', () => {
  assert.deepEqual(errorsOf(lines(
    'virtualServers:',
    '  group web: {}',
    '  198.18.0.1: {}',
    '  fwmark x: {}',
    '  198.18.0.1 80:',
    '    lvsSched: random',
    '    protocol: SCTP',
    '    lvs_sched: rr',
    '    sorryServer: { address: 198.18.0.9 }',
    '    realServers:',
    '      198.18.0.2 80 90: {}',
    '      198.18.0.3 80:',
    '        weight: 70000',
    '        checkers:',
    '          - { connectPort: 80 }',
    '          - { kind: BFD_CHECK }',
    '          - { kind: TCP_CHECK, url: [] }',
    '          - { kind: HTTP_GET, url: [{ path: /, statusCode: [2xx, 700] }] }',
    '          - { kind: MISC_CHECK }',
    '          - { kind: HTTP_GET }',
    '  198.18.0.1 080:',
    '    realServers: [1]',
  ), 'lb.yaml'), [
    'lb.yaml:2:3: no virtual_server_group named web',
    'lb.yaml:3:3: virtualServers: expected "ADDRESS PORT", "fwmark N" or "group NAME" (optionally after TCP or UDP), got "198.18.0.1"',
    'lb.yaml:4:3: virtualServers: expected an integer, got "x"',
    'lb.yaml:6:15: virtualServers.198.18.0.1 80.lvsSched: expected one of "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "mh", "sed", "nq", "fo", "ovf", "twos"',
    'lb.yaml:7:15: virtualServers.198.18.0.1 80.protocol: protocol SCTP is not supported by keepalive: its dataplanes and checkers handle TCP and UDP',
    'lb.yaml:8:5: unknown key "lvs_sched" in virtualServers.198.18.0.1 80; expected one of: delayLoopMs, connectTimeoutMs, retry, delayBeforeRetryMs, warmupMs, protocol, lvsSched, lvsMethod, persistenceTimeoutMs, persistenceGranularity, sorryServer, sorryServerInhibit, quorum, hysteresis, quorumUp, quorumDown, inhibitOnFailure, alpha, omega, virtualhost, haSuspend, smtpAlert, realServers',
    'lb.yaml:9:18: virtualServers.198.18.0.1 80.sorryServer has no port',
    'lb.yaml:11:7: virtualServers.198.18.0.1 80.realServers: expected "ADDRESS PORT" or "ADDRESS", got "198.18.0.2 80 90"',
    'lb.yaml:13:9: weight 70000 is out of range 0..65535',
    'lb.yaml:15:13: virtualServers.198.18.0.1 80.realServers.198.18.0.3 80.checkers entry has no kind (one of TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK, SMTP_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK)',
    'lb.yaml:16:21: virtualServers.198.18.0.1 80.realServers.198.18.0.3 80.checkers entry: kind BFD_CHECK is a keepalived checker that keepalive does not support',
    'lb.yaml:17:32: unknown key "url" in virtualServers.198.18.0.1 80.realServers.198.18.0.3 80.checkers.TCP_CHECK; expected one of: kind, delayLoopMs, connectTimeoutMs, retry, delayBeforeRetryMs, warmupMs, connectIp, connectPort, bindto, bindPort, fwmark',
    'lb.yaml:18:48: statusCode 700 is out of range 100..599',
    'lb.yaml:18:61: expected a status code or a range like 200-299, got "2xx"',
    'lb.yaml:19:13: virtualServers.198.18.0.1 80.realServers.198.18.0.3 80.checkers.MISC_CHECK has no miscPath',
    'lb.yaml:20:13: HTTP_GET has no url: give at least one url with a path',
    'lb.yaml:21:3: virtual server TCP 198.18.0.1 80 is defined twice (first at lb.yaml:5:3)',
    'lb.yaml:22:18: virtualServers.198.18.0.1 080.realServers must be a mapping',
  ]);
});

test('virtual_server_group: addresses, ranges and fwmarks shared by one set of real servers, in both formats', () => {
  const conf = parseConfigText(lines(
    'virtual_server_group dns {',
    '  198.18.0.53 53',
    '  198.18.0.60-62 5353',
    '  fwmark 12',
    '}',
    'virtual_server_group v6 {',
    '  2001:db8::a-1f 53',
    '}',
    'virtual_server group dns {',
    '  protocol UDP',
    '  real_server 198.18.1.53 53 {',
    '    DNS_CHECK {',
    '      name example.com',
    '    }',
    '  }',
    '}',
    'virtual_server group dns {',
    '  real_server 198.18.1.53 53 {',
    '    TCP_CHECK {',
    '    }',
    '  }',
    '}',
  ), 'g.conf');
  const yaml = parseConfigText(lines(
    'virtualServerGroups:',
    '  dns: { entries: [198.18.0.53 53, 198.18.0.60-62 5353, fwmark 12] }',
    '  v6: { entries: ["2001:db8::a-1f 53"] }',
    'virtualServers:',
    '  UDP group dns:',
    '    realServers: { 198.18.1.53 53: { checkers: [{ kind: DNS_CHECK, name: example.com }] } }',
    '  # The key may name the protocol: the same group (or address and port) with TCP and with UDP is two services.',
    '  TCP group dns:',
    '    realServers: { 198.18.1.53 53: { checkers: [{ kind: TCP_CHECK }] } }',
  ), 'g.yaml');
  assert.deepEqual(withoutPositions(yaml.config), withoutPositions(conf.config));
  const [dns, v6] = conf.config.virtualServerGroups;
  assert.deepEqual(dns!.entries.map(({ at: _, ...e }) => e), [
    { address: '198.18.0.53', port: 53 },
    { address: '198.18.0.60', lastAddress: '198.18.0.62', port: 5353 },
    { fwmark: 12 },
  ]);
  assert.deepEqual(dns!.entries[1]!.at, { file: 'g.conf', line: 3, col: 3 });
  assert.deepEqual(v6!.entries.map(({ at: _, ...e }) => e), [{ address: '2001:db8::a', lastAddress: '2001:db8::1f', port: 53 }]);
  const [udp, tcp] = conf.config.virtualServers;
  assert.equal(udp!.group, 'dns');
  assert.equal(virtualServerKey(udp!), 'UDP group dns');
  assert.equal(virtualServerKey(tcp!), 'TCP group dns');
  assert.equal(virtualServerFamily(udp!, conf.config.virtualServerGroups), 4);
  assert.equal(virtualServerFamily(udp!, []), 4);
});

test('virtual_server_group: references, ports, families and duplicates are checked', () => {
  assert.deepEqual(errorsOf(lines(
    'virtual_server_group web {',
    '  198.18.0.80 0',
    '  2001:db8::80 80',
    '  fwmark 0',
    '}',
    'virtual_server_group web {',
    '  198.18.0.81 80',
    '}',
    'virtual_server_group empty {',
    '}',
    'virtual_server group web {',
    '  real_server 198.18.1.80 {',
    '  }',
    '}',
    'virtual_server group nope {',
    '}',
    'virtual_server group web {',
    '}',
  )), [
    'test.conf:1:1: virtual_server_group web mixes IPv4 and IPv6 addresses: its real servers can only be of one family',
    'test.conf:2:3: port 0 is out of range 1..65535',
    'test.conf:4:3: fwmark 0 is out of range 1..4294967295',
    'test.conf:6:1: virtual_server_group web is defined twice (first at test.conf:1:1)',
    'test.conf:9:1: virtual_server_group empty has no addresses or fwmarks',
    'test.conf:12:15: real server 198.18.1.80 needs a port: virtual_server_group web has addresses, and the real server\'s port is not implied by them',
    'test.conf:15:22: no virtual_server_group named nope',
    'test.conf:17:1: virtual server TCP group web is defined twice (first at test.conf:11:1)',
  ]);
  assert.deepEqual(errorsOf(lines(
    'virtualServerGroups:',
    '  a: { entries: [] }',
    '  b: {}',
    '  c: { entries: [198.18.0.1] }',
  ), 'g.yaml'), [
    'g.yaml:2:3: virtualServerGroups.a has no entries',
    'g.yaml:2:17: virtualServerGroups.a.entries: a group needs at least one address or fwmark',
    'g.yaml:3:3: virtualServerGroups.b has no entries',
    'g.yaml:4:18: expected "ADDRESS PORT", "ADDRESS-LAST PORT" or "fwmark N", got "198.18.0.1"',
  ]);
  assert.deepEqual(errorsOf(lines(
    'virtualServers:',
    '  UDP 198.18.0.1 53: { protocol: UDP }',
    '  SCTP 198.18.0.1 53: {}',
    '  TCP 198.18.0.1 53: {}',
  ), 'p.yaml'), [
    'p.yaml:2:3: virtualServers: "UDP 198.18.0.1 53" names the protocol: give it in the key or in protocol, not both',
    'p.yaml:3:3: virtualServers: protocol SCTP is not supported by keepalive: its dataplanes and checkers handle TCP and UDP',
  ]);
});

test('SMTP_CHECK host blocks: a checker each, with the settings written before the block, its own over them, and a warning', () => {
  const { config, warnings } = parseConfigText(lines(
    'virtual_server 198.18.0.100 25 {',
    '  real_server 198.18.0.11 25 {',
    '    SMTP_CHECK {',
    '      connect_timeout 10',
    '      helo_name mx.lab.test',
    '      host {',
    '        connect_ip 198.18.0.11',
    '      }',
    '      retry 4',
    '      host {',
    '        connect_ip 198.18.0.12',
    '        connect_port 587',
    '        bindto 198.18.0.1',
    '      }',
    '    }',
    '    SMTP_CHECK {',
    '      connect_port 2525',
    '    }',
    '  }',
    '}',
  ), 'smtp.conf');
  const checkers = config.virtualServers[0]!.realServers[0]!.checkers as SmtpCheck[];
  assert.deepEqual(checkers.map((c) => [c.kind, c.connectIp, c.connectPort, c.bindto, c.heloName, c.connectTimeoutMs, c.retry]), [
    ['SMTP_CHECK', '198.18.0.11', 25, undefined, 'mx.lab.test', 10_000, checkers[2]!.retry],
    ['SMTP_CHECK', '198.18.0.12', 587, '198.18.0.1', 'mx.lab.test', 10_000, 4],
    ['SMTP_CHECK', undefined, 2525, undefined, checkers[2]!.heloName, checkers[2]!.connectTimeoutMs, checkers[2]!.retry],
  ]);
  assert.notEqual(checkers[0]!.retry, 4, 'retry came after the first host block');
  assert.deepEqual(checkers.map((c) => c.at.line), [6, 10, 16]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^smtp\.conf:6:7: SMTP_CHECK host blocks are deprecated.*each of the 2 is run as an SMTP_CHECK of its own/);
});

test('the SSL block: certificate, key, password and ca, in keepalived.conf and in JSON; a key without its certificate is an error', () => {
  const conf = parseConfigText(lines('SSL {', '  password secret', '  ca /etc/keepalived/ca.pem', '  certificate /etc/keepalived/client.pem', '  key /etc/keepalived/client-key.pem', '}'), 'ssl.conf').config;
  const expected = { password: 'secret', ca: '/etc/keepalived/ca.pem', certificate: '/etc/keepalived/client.pem', key: '/etc/keepalived/client-key.pem' };
  assert.deepEqual(conf.globalDefs.ssl, expected);
  assert.deepEqual(parseConfigText(JSON.stringify({ globalDefs: { ssl: expected } }), 'ssl.json').config.globalDefs.ssl, expected);
  assert.deepEqual(errorsOf(lines('SSL {', '  key /etc/keepalived/client-key.pem', '  frobnicate x', '}')), [
    'test.conf:1:1: ssl: a client certificate and its key go together: key has no certificate',
    'test.conf:3:3: unknown keyword "frobnicate" in SSL',
  ]);
});

test('UDP_CHECK: keepalived\'s free-format HEX_STR, require_reply with or without a pattern, reply lengths; in both formats', () => {
  assert.equal(parseHexString('Ab12f 3 456 546443123'), 'ab120f03450654644312' + '03');
  assert.equal(parseHexString('4B4x 0X', true), '4b4x0x');
  assert.throws(() => parseHexString('4b4x'), /"4b4x" is not hex digits/);
  const conf = parseConfigText(lines('virtual_server 198.18.0.1 53 {', '  protocol UDP', '  real_server 198.18.0.2 53 {', '    UDP_CHECK {',
    '      payload Ab12f 3', '      require_reply 4bxx', '      max_reply_length 512', '    }', '  }', '}'), 'udp.conf').config;
  const udp = conf.virtualServers[0]!.realServers[0]!.checkers[0] as UdpCheck;
  assert.deepEqual([udp.kind, udp.payload, udp.requireReply, udp.replyPattern, udp.minReplyLength, udp.maxReplyLength], ['UDP_CHECK', 'Ab12f 3', true, '4bxx', 0, 512]);
  const json = parseConfigText(JSON.stringify({ virtualServers: { '198.18.0.1 53': { protocol: 'UDP', realServers: { '198.18.0.2 53': { checkers: [{ kind: 'UDP_CHECK', payload: 'ab', requireReply: true, minReplyLength: 1 }] } } } } }), 'udp.json').config;
  const fromJson = json.virtualServers[0]!.realServers[0]!.checkers[0] as UdpCheck;
  assert.deepEqual([fromJson.payload, fromJson.requireReply, fromJson.minReplyLength, fromJson.maxReplyLength], ['ab', true, 1, 255]);
  assert.deepEqual(errorsOf(lines('virtual_server 198.18.0.1 53 {', '  protocol UDP', '  real_server 198.18.0.2 53 {', '    UDP_CHECK {',
    '      require_reply 4g', '      min_reply_length 300', '    }', '  }', '}')), [
    'test.conf:5:21: require_reply: "4g" is not hex digits (or x for any)',
    'test.conf:6:7: min_reply_length 300 is out of range 0..255',
  ]);
  assert.equal(replyMatches(Buffer.from('4b4101', 'hex'), '4b4x'), true);
  assert.equal(replyMatches(Buffer.from('4b4101', 'hex'), '4b5x'), false);
  assert.equal(replyMatches(Buffer.from('4b', 'hex'), '4b41ff'), true, 'only as far as both go');
});
