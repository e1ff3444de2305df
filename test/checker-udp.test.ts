// UDP_CHECK against UDP servers in a lab host, planned from a keepalived.conf (so the path from the
// configuration's HEX_STRs to the datagrams is under test): an echo server answers the payload, so
// require_reply with a matching pattern (x nibbles too) passes, a different one or a reply of the wrong
// length fails; a closed port answers with ICMP port unreachable, which fails the check without
// require_reply; a server that takes datagrams and never answers passes without require_reply and
// fails with it, at the timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import { waitFor } from './lab/exec.ts';
import { parseConfigText } from '../runtime/src/config/load.ts';
import { checkerPlan } from '../runtime/src/checker/from-config.ts';
import type { CheckResult, CheckSpec } from '../runtime/src/checker/check.ts';

const RUN_CHECKS = fileURLToPath(new URL('fixtures/checker/run-checks.ts', import.meta.url));
const ECHO = 5300;
const SILENT = 5301;
const CLOSED = 5302;

test('UDP_CHECK: replies matched by length and HEX_STR pattern; ICMP port unreachable fails; silence passes only without require_reply', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['lb', 'rs'], ssh: false, management: false });
  const [lb, rs] = [lab.host('lb'), lab.host('rs')];
  const servers = await rs.startDaemon('udp', [process.execPath, '-e', `
    const dgram = require('node:dgram');
    const echo = dgram.createSocket('udp4').on('message', (m, from) => echo.send(m, from.port, from.address));
    const silent = dgram.createSocket('udp4');
    let bound = 0;
    const ready = () => { if (++bound === 2) console.log('listening'); };
    echo.bind(${ECHO}, ${JSON.stringify(rs.ipv4())}, ready);
    silent.bind(${SILENT}, ${JSON.stringify(rs.ipv4())}, ready);
  `]);
  await waitFor('the UDP servers', () => (servers.log().includes('listening') ? true : undefined));

  /** The UDP_CHECK spec keepalive plans from a keepalived.conf with these lines in the checker. */
  const planned = (port: number, lines: string[]): CheckSpec => {
    const { config } = parseConfigText([
      'virtual_server 198.18.0.100 53 {', '  protocol UDP', `  real_server ${rs.ipv4()} ${port} {`, '    UDP_CHECK {', '      connect_timeout 1',
      ...lines.map((l) => `      ${l}`), '    }', '  }', '}',
    ].join('\n'), 'udp.conf');
    return checkerPlan(config).virtualServers[0]!.realServers[0]!.checks[0]!.spec;
  };
  const cases: [string, CheckSpec, boolean, RegExp][] = [
    ['echo, pattern matches', planned(ECHO, ['payload 4b 41 1', 'require_reply 4b4x 01']), true, /reply of 3 bytes/],
    ['echo, random payload, any reply', planned(ECHO, ['require_reply']), true, /reply of 16 bytes/],
    ['echo, pattern differs', planned(ECHO, ['payload 4b4101', 'require_reply ff']), false, /reply 4b4101 does not match ff/],
    ['echo, reply too short', planned(ECHO, ['payload 4b', 'require_reply', 'min_reply_length 2']), false, /reply of 1 bytes, expected 2 to 255/],
    ['closed port', planned(CLOSED, ['payload 00']), false, /ECONNREFUSED/],
    ['silent server, no reply needed', planned(SILENT, ['payload 00']), true, /no ICMP error within 1000 ms/],
    ['silent server, reply required', planned(SILENT, ['payload 00', 'require_reply']), false, /no reply within 1000 ms/],
  ];
  const { stdout } = await lb.exec([process.execPath, RUN_CHECKS, JSON.stringify(cases.map(([, spec]) => spec))]);
  const { results } = JSON.parse(stdout) as { results: CheckResult[] };
  for (const [i, [what, , ok, reason]] of cases.entries()) {
    assert.equal(results[i]!.ok, ok, `${what}: ${JSON.stringify(results[i])}`);
    assert.match(results[i]!.reason, reason, what);
  }
});
