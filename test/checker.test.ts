// The health checkers against real servers of their kind, run from one lab host against another:
// HTTP and HTTPS (a generated self-signed certificate), a DNS responder, Debian's aiosmtpd, scripts;
// Debian's dnsmasq for DNS_CHECK, and Debian's nginx for HTTP_GET and SSL_GET run by `keepalive run`.
// Then hostile backends (partitioned, trickling, endless bodies, TLS that must not verify, scripts
// that hang or ignore TERM): every check ends within its own bound, in little memory, and the
// scheduler keeps the other checks on time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { waitFor } from './lab/exec.ts';
import type { Host } from './lab/host.ts';
import { keepalive, keepaliveStatus } from './lab/implementations.ts';
import { labProcesses, processGroup } from './lab/processes.ts';
import { checkerStatus } from '../runtime/src/control/status.ts';
import { nginxConf, startNginx } from './fixtures/checker/nginx.ts';
import type { CheckResult, CheckSpec } from '../runtime/src/checker/check.ts';
import type { ScheduleEvent, ServerChecks } from '../runtime/src/checker/scheduler.ts';

const T = { timeout: 180_000 };
const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/checker/${name}`, import.meta.url));
const PAGE = 'hello from the real server\n';
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const PORTS = { http: 8080, https: 8443, trickle: 8081, huge: 8082, dns: 5353, smtp: 2525, closed: 9 };

/** A self-signed certificate for rs.lab.test and its key, made with openssl in the lab's directory. */
function selfSignedCert(lab: Lab): { cert: string; key: string } {
  const cert = `${lab.dir}/rs-cert.pem`;
  const key = `${lab.dir}/rs-key.pem`;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=rs.lab.test', '-addext', 'subjectAltName=DNS:rs.lab.test', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** Starts every kind of backend on `rs`: the servers fixture (certificate for rs.lab.test) and aiosmtpd. */
async function startBackends(lab: Lab, rs: Host): Promise<{ caFile: string }> {
  const { cert, key } = selfSignedCert(lab);
  await rs.startDaemon('servers', [process.execPath, fixture('servers.ts'), JSON.stringify({
    address: rs.ipv4(), address6: rs.ipv6(), ...PORTS, cert, key, page: PAGE, pidFile: '/run/servers.pid',
  })], { pidFile: '/run/servers.pid' });
  await rs.startDaemon('smtpd', ['/usr/bin/python3', '-m', 'aiosmtpd', '-n', '-l', `${rs.ipv4()}:${PORTS.smtp}`]);
  // aiosmtpd writes no pid file when ready: wait for its port.
  await rs.exec(`for i in $(seq 100); do ss -ltn | grep -q ':${PORTS.smtp} ' && exit 0; sleep 0.1; done; exit 1`);
  return { caFile: cert };
}

/**
 * The check scripts, in the checker host, runnable by the unprivileged script user, under a
 * directory named for the lab so that the machine-wide process table can be searched for them.
 */
function writeScripts(lab: Lab, checker: Host): string {
  const dir = `/opt/checks/${lab.id}`;
  const scripts: Record<string, string> = {
    up: 'exit 0',
    down: 'exit 1',
    weight5: 'exit 7',
    hang: 'sleep 60',
    stubborn: "trap '' TERM; sleep 60",
  };
  for (const [name, body] of Object.entries(scripts)) checker.writeFile(`${dir}/${name}.sh`, `#!/bin/sh\n${body}\n`, 0o755);
  return dir;
}

async function runChecks(checker: Host, specs: CheckSpec[]): Promise<{ results: CheckResult[]; maxRssMiB: number }> {
  const { stdout } = await checker.exec([process.execPath, fixture('run-checks.ts'), JSON.stringify(specs)]);
  return JSON.parse(stdout) as { results: CheckResult[]; maxRssMiB: number };
}

/** Asserts each result against [ok, reason pattern] and returns them. */
function expectResults(results: CheckResult[], expected: [boolean, RegExp][], labels: string[]): void {
  for (const [i, [ok, reason]] of expected.entries()) {
    const r = results[i]!;
    assert.equal(r.ok, ok, `${labels[i]}: ${JSON.stringify(r)}`);
    assert.match(r.reason, reason, `${labels[i]}: ${JSON.stringify(r)}`);
  }
}

test('each checker kind passes against a real server of its kind, and fails for the right reason', T, async () => {
  await using lab = await Lab.create({ hosts: ['checker', 'rs'], ssh: false, management: false });
  const [checker, rs] = [lab.host('checker'), lab.host('rs')];
  const { caFile } = await startBackends(lab, rs);
  const scripts = writeScripts(lab, checker);
  const at = { host: rs.ipv4(), timeoutMs: 3000 };
  const http = { ...at, kind: 'HTTP_GET' as const, port: PORTS.http, path: '/', statusCodes: [], verifyTls: false };
  const https = { ...http, kind: 'SSL_GET' as const, port: PORTS.https };
  const misc = (name: string, dynamic = false): CheckSpec => ({ kind: 'MISC_CHECK', path: `${scripts}/${name}.sh`, timeoutMs: 3000, dynamic });
  const cases: [string, CheckSpec, boolean, RegExp][] = [
    ['tcp open', { ...at, kind: 'TCP_CHECK', port: PORTS.http, bindto: checker.ipv4() }, true, /connected/],
    ['tcp closed', { ...at, kind: 'TCP_CHECK', port: PORTS.closed }, false, /ECONNREFUSED/],
    ['http digest', { ...http, digest: md5(PAGE) }, true, /status 200, digest matches/],
    ['http wrong digest', { ...http, digest: md5('something else') }, false, new RegExp(`digest ${md5(PAGE)}, expected`)],
    ['http 404', { ...http, path: '/nothing' }, false, /status 404/],
    ['http 404 accepted', { ...http, path: '/nothing', statusCodes: [{ from: 404, to: 404 }] }, true, /status 404/],
    ['http virtualhost', { ...http, path: '/host', virtualhost: 'www.lab.test', digest: md5('www.lab.test') }, true, /digest matches/],
    ['http default host', { ...http, path: '/host', digest: md5(`${rs.ipv4()}:${PORTS.http}`) }, true, /digest matches/],
    ['https verified', { ...https, verifyTls: true, caFile, sni: 'rs.lab.test', digest: md5(PAGE) }, true, /digest matches/],
    ['https wrong sni', { ...https, verifyTls: true, caFile, sni: 'other.lab.test' }, false, /altnames|does not match/i],
    ['https self-signed, verifying', { ...https, verifyTls: true, sni: 'rs.lab.test' }, false, /self-signed|self signed/i],
    ['https sends the SNI name', { ...https, path: '/sni', sni: 'rs.lab.test', digest: md5('rs.lab.test') }, true, /digest matches/],
    ['https sends no SNI for an address', { ...https, path: '/sni', digest: md5('false') }, true, /digest matches/],
    ['https unverified', { ...https, digest: md5(PAGE) }, true, /digest matches/],
    ['https bad CA file', { ...https, verifyTls: true, caFile: '/nonexistent.pem' }, false, /cannot read CA file/],
    ['dns A', { ...at, kind: 'DNS_CHECK', port: PORTS.dns, type: 'A', name: 'lab.test' }, true, /A lab.test answered/],
    ['dns SOA root', { ...at, kind: 'DNS_CHECK', port: PORTS.dns, type: 'SOA', name: '.' }, true, /answered/],
    ['dns AAAA missing', { ...at, kind: 'DNS_CHECK', port: PORTS.dns, type: 'AAAA', name: 'lab.test' }, false, /no 28 record/],
    ['dns nxdomain', { ...at, kind: 'DNS_CHECK', port: PORTS.dns, type: 'A', name: 'nowhere.test' }, false, /response code 3/],
    ['tcp over IPv6', { ...at, host: rs.ipv6(), kind: 'TCP_CHECK', port: PORTS.http, bindto: checker.ipv6() }, true, /connected/],
    ['http over IPv6', { ...http, host: rs.ipv6(), path: '/host', digest: md5(`[${rs.ipv6()}]:${PORTS.http}`) }, true, /digest matches/],
    ['dns over IPv6', { ...at, host: rs.ipv6(), kind: 'DNS_CHECK', port: PORTS.dns, type: 'A', name: 'lab.test' }, true, /answered/],
    ['smtp', { ...at, kind: 'SMTP_CHECK', port: PORTS.smtp, helo: 'checker.lab.test' }, true, /HELO accepted/],
    ['smtp closed', { ...at, kind: 'SMTP_CHECK', port: PORTS.closed, helo: 'checker.lab.test' }, false, /ECONNREFUSED/],
    ['misc up', misc('up'), true, /exited 0/],
    ['misc down', misc('down'), false, /exited 1/],
    ['misc plain exit 7', misc('weight5'), false, /exited 7/],
    ['misc dynamic exit 7', misc('weight5', true), true, /exited 7/],
    ['misc dynamic exit 1', misc('down', true), false, /exited 1/],
    ['misc missing', misc('absent'), false, /cannot run|ENOENT/],
  ];
  const { results } = await runChecks(checker, cases.map((c) => c[1]));
  expectResults(results, cases.map((c) => [c[2], c[3]]), cases.map((c) => c[0]));
  assert.equal(results[cases.findIndex((c) => c[0] === 'misc dynamic exit 7')]!.weight, 5);
  assert.equal(results[cases.findIndex((c) => c[0] === 'misc up')]!.weight, undefined);
  // The script ran as the unprivileged script user, not as root.
  const [whoami] = (await runChecks(checker, [{ kind: 'MISC_CHECK', path: "/bin/sh -c 'test $(id -u) -ne 0'", timeoutMs: 3000, dynamic: false }])).results;
  assert.equal(whoami!.ok, true, JSON.stringify(whoami));
});

test('hostile backends and scripts are bounded in time and memory', T, async (t) => {
  await using lab = await Lab.create({ hosts: ['checker', 'rs'], ssh: false, management: false });
  const [checker, rs] = [lab.host('checker'), lab.host('rs')];
  await startBackends(lab, rs);
  const scripts = writeScripts(lab, checker);
  const http = { kind: 'HTTP_GET' as const, host: rs.ipv4(), path: '/', statusCodes: [], verifyTls: false, timeoutMs: 1500 };
  const misc = (name: string): CheckSpec => ({ kind: 'MISC_CHECK', path: `${scripts}/${name}.sh`, timeoutMs: 500, dynamic: false });
  // [label, spec, reason, most ms it may take]: its timeout (or, for a body cut by size, the 1.5 s one)
  // and SLACK for a loaded 2-core machine; an unbounded check would take its backend's whole lifetime.
  const SLACK = 1000;
  const hostile: [string, CheckSpec, RegExp, number][] = [
    ['trickling reply', { ...http, port: PORTS.trickle }, /within 1500 ms/, 1500 + SLACK],
    ['trickling reply, digest', { ...http, port: PORTS.trickle, digest: md5(PAGE) }, /within 1500 ms/, 1500 + SLACK],
    ['endless body', { ...http, port: PORTS.huge, digest: md5(PAGE) }, /exceeds the 1048576 byte limit/, 1500 + SLACK],
    ['endless body, small cap', { ...http, port: PORTS.huge, digest: md5(PAGE), maxBodyBytes: 1000 }, /exceeds the 1000 byte limit/, 1500 + SLACK],
    ['declared 10 GB body', { ...http, port: PORTS.huge, path: '/declared', digest: md5(PAGE) }, /10737418240 bytes exceeds/, 1500 + SLACK],
    ['silent DNS server', { kind: 'DNS_CHECK', host: rs.ipv4(), port: PORTS.dns, type: 'A', name: 'silent.test', timeoutMs: 800 }, /no DNS reply within 800 ms/, 800 + SLACK],
    ['SMTP check at an HTTP server', { kind: 'SMTP_CHECK', host: rs.ipv4(), port: PORTS.http, helo: 'x', timeoutMs: 800 }, /within 800 ms/, 800 + SLACK],
    ['script that hangs', misc('hang'), /timed out after 500 ms/, 500 + SLACK],
    ['script that ignores TERM', misc('stubborn'), /timed out after 500 ms/, 500 + 1000 + SLACK],
  ];
  const started = performance.now();
  const { results, maxRssMiB } = await runChecks(checker, hostile.map((h) => h[1]));
  const wall = performance.now() - started;
  expectResults(results, hostile.map((h) => [false, h[2]]), hostile.map((h) => h[0]));
  for (const [i, [label, , , bound]] of hostile.entries()) assert.ok(results[i]!.ms <= bound, `${label} took ${results[i]!.ms.toFixed(0)} ms, bound ${bound}`);
  assert.ok(results[0]!.ms >= 1400, 'the trickle was really waited for, up to the timeout');
  assert.ok(results[8]!.ms >= 1400, 'the stubborn script needed KILL, a second after TERM');
  // They ran side by side: together well under what they took one after another.
  const serial = results.reduce((sum, r) => sum + r.ms, 0);
  assert.ok(wall < 0.6 * serial, `all of them together took ${wall.toFixed(0)} ms (node start included), one after another ${serial.toFixed(0)} ms`);
  t.diagnostic(`hostile checks: ${hostile.map(([label], i) => `${label} ${results[i]!.ms.toFixed(0)} ms`).join('; ')}; together ${wall.toFixed(0)} ms`);
  assert.ok(maxRssMiB < 150, `peak memory ${maxRssMiB.toFixed(0)} MiB while an endless body was offered`);
  // Nothing of the scripts is left behind (lab hosts share the machine's process table, hence the lab id).
  const left = await checker.exec(['pgrep', '-f', `${scripts}/`], { allowFailure: true });
  assert.equal(left.stdout.trim(), '', 'no script processes survive their check');

  // A partitioned backend: every network kind fails within its own timeout.
  await lab.partition('rs');
  const at = { host: rs.ipv4(), timeoutMs: 1000 };
  const dark: CheckSpec[] = [
    { ...at, kind: 'TCP_CHECK', port: PORTS.http },
    { ...http, ...at, port: PORTS.http },
    { ...http, ...at, kind: 'SSL_GET', port: PORTS.https },
    { ...at, kind: 'DNS_CHECK', port: PORTS.dns, type: 'A', name: 'lab.test' },
    { ...at, kind: 'SMTP_CHECK', port: PORTS.smtp, helo: 'x' },
  ];
  const partitioned = await runChecks(checker, dark);
  for (const [i, r] of partitioned.results.entries()) {
    assert.equal(r.ok, false, `${dark[i]!.kind} through a partition: ${JSON.stringify(r)}`);
    assert.ok(r.ms >= 950 && r.ms <= 1000 + SLACK, `${dark[i]!.kind} through a partition took ${r.ms.toFixed(0)} ms`);
  }
});

test('the scheduler keeps healthy checks on time while others hang, and takes servers down and up', T, async (t) => {
  await using lab = await Lab.create({ hosts: ['checker', 'rs', 'rs2'], ssh: false, management: false });
  const [checker, rs, rs2] = [lab.host('checker'), lab.host('rs'), lab.host('rs2')];
  await startBackends(lab, rs);
  const scripts = writeScripts(lab, checker);
  await lab.partition('rs2');
  const quick = { delayLoopMs: 200, retry: 1, delayBeforeRetryMs: 100 };
  const servers: ServerChecks[] = [
    { id: 'rs', weight: 3, checks: [
      { id: 'tcp', timing: quick, spec: { kind: 'TCP_CHECK', host: rs.ipv4(), port: PORTS.http, timeoutMs: 1000 } },
      { id: 'http', timing: quick, spec: { kind: 'HTTP_GET', host: rs.ipv4(), port: PORTS.http, path: '/', statusCodes: [], verifyTls: false, digest: md5(PAGE), timeoutMs: 1000 } },
    ] },
    { id: 'trickle', weight: 1, checks: [
      { id: 'http', timing: quick, spec: { kind: 'HTTP_GET', host: rs.ipv4(), port: PORTS.trickle, path: '/', statusCodes: [], verifyTls: false, timeoutMs: 1000 } },
    ] },
    { id: 'rs2', weight: 1, checks: [
      { id: 'tcp', timing: quick, spec: { kind: 'TCP_CHECK', host: rs2.ipv4(), port: PORTS.http, timeoutMs: 1000 } },
    ] },
    { id: 'script', weight: 1, checks: [
      { id: 'stubborn', timing: quick, spec: { kind: 'MISC_CHECK', path: `${scripts}/stubborn.sh`, timeoutMs: 300, dynamic: false } },
    ] },
    { id: 'dynamic', weight: 1, checks: [
      { id: 'misc', timing: quick, spec: { kind: 'MISC_CHECK', path: `${scripts}/weight5.sh`, timeoutMs: 1000, dynamic: true } },
    ] },
  ];
  const { stdout } = await checker.exec([process.execPath, fixture('schedule.ts'), JSON.stringify({ durationMs: 5000, servers })]);
  const leftover = await checker.exec(['pgrep', '-f', `${scripts}/`], { allowFailure: true });
  assert.equal(leftover.stdout.trim(), '', 'the scheduler stopped with no script left running');
  const { runs, events } = JSON.parse(stdout) as {
    runs: { server: string; check: string; startedAt: number; ok: boolean; reason: string; ms: number }[];
    events: (ScheduleEvent & { at: number })[];
  };
  const of = (server: string, check: string) => runs.filter((r) => r.server === server && r.check === check);

  // The healthy checks ran every delay_loop (200 ms after the previous run ended) throughout: never
  // early, on schedule in the median, and never held back as long as a hostile check's 1 s timeout
  // (which is what a check queued behind another would show).
  for (const check of ['tcp', 'http']) {
    const mine = of('rs', check);
    assert.ok(mine.length >= 10, `rs ${check} ran ${mine.length} times in 5 s`);
    assert.ok(mine.every((r) => r.ok), `rs ${check}: ${JSON.stringify(mine.find((r) => !r.ok))}`);
    const gaps = mine.slice(1).map((r, i) => r.startedAt - (mine[i]!.startedAt + mine[i]!.ms)).sort((a, b) => a - b);
    const [least, median, most] = [gaps[0]!, gaps[Math.floor(gaps.length / 2)]!, gaps.at(-1)!];
    assert.ok(least >= 190, `rs ${check} started a run ${least.toFixed(0)} ms after the previous ended, before its 200 ms delay_loop`);
    assert.ok(median <= 240, `rs ${check}: median gap ${median.toFixed(0)} ms against a 200 ms delay_loop`);
    assert.ok(most < 1000, `rs ${check} waited ${most.toFixed(0)} ms between runs, as long as a hostile check's timeout`);
    t.diagnostic(`rs ${check}: ${mine.length} runs, gaps ${least.toFixed(0)}/${median.toFixed(0)}/${most.toFixed(0)} ms (least/median/most)`);
  }
  // The hostile ones never overlapped themselves and each run stayed within its bound.
  for (const [server, check, bound] of [['trickle', 'http', 1000 + 1000], ['rs2', 'tcp', 1000 + 1000], ['script', 'stubborn', 300 + 1000 + 1000]] as const) {
    const mine = of(server, check);
    assert.ok(mine.length >= 2, `${server} ${check} ran ${mine.length} times`);
    for (const [i, r] of mine.entries()) {
      assert.equal(r.ok, false, `${server} ${check}: ${r.reason}`);
      assert.ok(r.ms <= bound, `${server} ${check} run took ${r.ms.toFixed(0)} ms`);
      if (i > 0) assert.ok(r.startedAt >= mine[i - 1]!.startedAt + mine[i - 1]!.ms, `${server} ${check} runs overlap`);
    }
  }
  // Transitions: the failing servers went down once, after their retry; the healthy one never moved;
  // misc_dynamic's exit 7 set weight 5.
  const serverEvents = events.filter((e) => e.kind === 'server');
  const downs = serverEvents.filter((e) => !e.up).map((e) => e.server).sort();
  assert.deepEqual(downs, ['rs2', 'script', 'trickle']);
  assert.deepEqual(serverEvents.filter((e) => e.up).map((e) => [e.server, e.weight]), [['dynamic', 5]]);
  // rs2: a 1 s timeout, 100 ms before the retry, another 1 s: down at about 2.1 s.
  const rs2Down = serverEvents.find((e) => e.server === 'rs2')!;
  assert.ok(rs2Down.at >= 2000 && rs2Down.at <= 2100 + 1000, `rs2 went down at ${rs2Down.at.toFixed(0)} ms`);
  t.diagnostic(`rs2 down at ${rs2Down.at.toFixed(0)} ms (1 s timeout, 100 ms, 1 s timeout)`);
});

test('DNS_CHECK against Debian\'s dnsmasq, a DNS server we did not write', T, async () => {
  await using lab = await Lab.create({ hosts: ['checker', 'rs'], ssh: false, management: false });
  const [checker, rs] = [lab.host('checker'), lab.host('rs')];
  const port = 5354;
  await rs.startDaemon('dnsmasq', [
    'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${rs.ipv4()}`,
    `--port=${port}`, '--address=/www.lab.test/198.18.0.77', '--user=root', '--pid-file=/run/dnsmasq-check.pid',
  ]);
  await waitFor('dnsmasq to listen', async () => ((await rs.exec(['ss', '-Hlun', `sport = :${port}`])).stdout.trim() ? true : undefined));
  const specs: CheckSpec[] = [
    { kind: 'DNS_CHECK', host: rs.ipv4(), port, timeoutMs: 2000, type: 'A', name: 'www.lab.test' },
    { kind: 'DNS_CHECK', host: rs.ipv4(), port, timeoutMs: 2000, type: 'AAAA', name: 'www.lab.test' },
  ];
  const { stdout } = await checker.exec([process.execPath, fixture('run-checks.ts'), JSON.stringify(specs)]);
  const { results } = JSON.parse(stdout) as { results: CheckResult[] };
  expectResults(results, [[true, /answered/], [false, /no 28 record|response code/]], ['dnsmasq A', 'dnsmasq AAAA']);
});

test('bindto and bind_port: TCP and HTTP checks connect from the configured address and port, across lab hosts', T, async () => {
  await using lab = await Lab.create({ hosts: ['checker', 'rs'], ssh: false, management: false });
  const [checker, rs] = [lab.host('checker'), lab.host('rs')];
  // The director has a second address on its link; only an explicit bindto makes it the source.
  const second = addressIn(lab.segment().subnets.v4, 50);
  await checker.exec(['ip', 'address', 'add', `${second}/24`, 'dev', 'eth0']);
  // The real server's kernel records the source of each SYN to the port in a set, so that a check
  // that closes at once is seen all the same (a server that asks getpeername() after accept can lose
  // that race to the client's close, and then has no address to log).
  const port = 8080;
  await rs.exec(['nft', '-f', '-'], { input: `table inet peers {
    set sources { type ipv4_addr . inet_service; size 16; flags dynamic; }
    chain input { type filter hook input priority 0; tcp dport ${port} tcp flags syn add @sources { ip saddr . tcp sport }; }
  }` });
  const server = await rs.startDaemon('http', [process.execPath, '-e', `
    require('node:http').createServer((req, res) => res.end('ok'))
      .listen(${port}, ${JSON.stringify(rs.ipv4())}, () => console.log('listening'));
  `]);
  await waitFor('the HTTP server', () => (server.log().includes('listening') ? true : undefined));
  const at = { host: rs.ipv4(), port, timeoutMs: 2_000 };
  const bind = { bindto: second };
  const { results } = await runChecks(checker, [
    { kind: 'TCP_CHECK', ...at, ...bind, bindPort: 40_123 },
    { kind: 'HTTP_GET', ...at, path: '/', statusCodes: [], verifyTls: false, ...bind, bindPort: 40_124 },
    { kind: 'TCP_CHECK', ...at },
  ]);
  assert.deepEqual(results.map((r) => r.ok), [true, true, true], JSON.stringify(results));
  const { stdout } = await rs.exec(['nft', '--json', 'list', 'set', 'inet', 'peers', 'sources']);
  const set = (JSON.parse(stdout) as { nftables: { set?: { elem?: { concat: [string, number] }[] } }[] })
    .nftables.find((o) => o.set)!.set!;
  const peers = (set.elem ?? []).map((e) => `${e.concat[0]}:${e.concat[1]}`).sort();
  assert.equal(peers.length, 3, `one SYN source per check: ${peers.join(', ')}`);
  const unbound = peers.find((p) => p.startsWith(`${checker.ipv4()}:`));
  assert.ok(unbound, `the check without bindto comes from the primary address ${checker.ipv4()}: ${peers.join(', ')}`);
  assert.deepEqual(peers, [`${second}:40123`, `${second}:40124`, unbound].sort(), 'bindto and bind_port set the source; without them it is the primary address');
});

/**
 * Debian's nginx as the real server (test/fixtures/checker/nginx.ts), in the `rs` host, with a
 * configuration the test writes. It serves PAGE at /index.html over HTTP on port 80 and over TLS on
 * 443 (the given certificate), and 204 at /health, or 503 while the file `maintenance` is in the
 * document root.
 */
function rsNginxConf(dir: string, address: string, tls: { cert: string; key: string }): string {
  return nginxConf(dir, `  server {
    listen ${address}:80;
    listen ${address}:443 ssl;
    server_name rs.lab.test;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    root ${dir}/www;
    location = /health {
      if (-f ${dir}/www/maintenance) { return 503; }
      return 204;
    }
  }`);
}

test('HTTP_GET and SSL_GET in keepalive run against Debian\'s nginx: down when the page, the status or the server goes, up again after', T, async (t) => {
  await using lab = await Lab.create({ hosts: ['lb', 'rs'], ssh: false, management: false });
  const [lb, rs] = [lab.host('lb'), lab.host('rs')];
  const tls = selfSignedCert(lab);
  const dir = '/run/nginx-check';
  const www = `${dir}/www`;
  rs.writeFile(`${www}/index.html`, PAGE);
  rs.writeFile(`${dir}/nginx.conf`, rsNginxConf(dir, rs.ipv4(), tls));
  // nginx writes its pid file once it listens.
  let nginx = await startNginx(rs, dir);
  assert.match(readFileSync(`/proc/${nginx.pid}/cmdline`, 'utf8'), /^nginx\0/);
  assert.deepEqual(processGroup(nginx.pid), [nginx.pid], 'nginx is one process');
  assert.ok(labProcesses(lab.id).has(nginx.pid), 'the lab finds nginx by its mark, to end it even if the test fails');

  // keepalived's own genhash, over HTTP and over TLS, makes of the page nginx serves the digest the test expects.
  for (const ssl of [false, true]) {
    const { stdout } = await lb.exec(['genhash', ...(ssl ? ['-S'] : []), '-s', rs.ipv4(), '-p', ssl ? '443' : '80', '-u', '/index.html']);
    assert.equal(stdout.trim(), md5(PAGE), `genhash${ssl ? ' -S' : ''}`);
  }

  // Two virtual servers, one with nginx's HTTP port as its real server, one with its HTTPS port (the
  // certificate verified, by SNI name). Each real server has two checks, one per url: the page's digest,
  // /health's status. alpha: each starts down and comes up on passing.
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const virtualServer = (port: number, checker: string, settings: string[] = []): string[] => [
    `virtual_server ${vip} ${port} {`, '  delay_loop 1', '  retry 1', '  delay_before_retry 0.5', '  alpha', '  protocol TCP',
    `  real_server ${rs.ipv4()} ${port} {`, `    ${checker} {`, '      connect_timeout 1', ...settings.map((l) => `      ${l}`),
    '      url {', '        path /index.html', `        digest ${md5(PAGE)}`, '      }',
    '      url {', '        path /health', '        status_code 204', '      }',
    '    }', '  }', '}',
  ];
  const config = [
    'global_defs {', '  router_id lb', '}',
    ...virtualServer(80, 'HTTP_GET'),
    ...virtualServer(443, 'SSL_GET', ['enable_sni', 'sni_name rs.lab.test', 'tls_verify', `tls_ca ${tls.cert}`]),
  ].join('\n');

  // The checker's recorded events, gathered across status polls (each shows the latest few).
  const seen = new Map<string, { at: number; message: string }>();
  const poll = async (): Promise<void> => {
    for (const e of checkerStatus(await keepaliveStatus(lb))?.events ?? []) seen.set(`${e.at} ${e.message}`, { at: Date.parse(e.at), message: e.message });
  };
  const since = (from: number): { at: number; message: string }[] => [...seen.values()].filter((e) => e.at >= from).sort((a, b) => a.at - b.at);
  const servers = [['HTTP_GET', 80], ['SSL_GET', 443]] as const;
  const serverEvent = (port: number, state: 'UP' | 'DOWN'): string => `real server ${rs.ipv4()}:${port} of TCP ${vip} ${port} is ${state}`;
  /** When each real server was recorded `state` at or after `from`; on a timeout, what the checker recorded instead. */
  const both = (state: 'UP' | 'DOWN', from: number): Promise<number[]> => waitFor(`both real servers ${state}`, async () => {
    await poll();
    const at = servers.map(([, port]) => since(from).find((e) => e.message === serverEvent(port, state))?.at);
    return at.every((a) => a !== undefined) ? at as number[] : undefined;
  }, { timeoutMs: 20_000 }).catch((error: Error) => {
    throw new Error(`${error.message}; the checker recorded since:\n${since(from).map((e) => `  ${e.message}`).join('\n')}`);
  });
  /** The check events since `from` of one url, as "passed: REASON" / "failed: REASON", for each real server. */
  const checkEvents = (from: number, path: string): string[][] => servers.map(([kind, port]) => {
    const prefix = `TCP ${vip} ${port} ${rs.ipv4()} ${port}: ${kind}#1 ${path} `;
    return since(from).filter((e) => e.message.startsWith(prefix)).map((e) => e.message.slice(prefix.length));
  });

  // delay_loop 1 s; a failing check is retried once after 0.5 s, each run bounded by connect_timeout
  // 1 s: down within 1 + 1 + 0.5 + 1 s of the change, up within 1 + 1 s; and slack for a loaded machine.
  const SLACK = 2_000;
  const DOWN_WITHIN = 3_500 + SLACK;
  const UP_WITHIN = 2_000 + SLACK;
  const delays: string[] = [];
  const expectBoth = async (what: string, state: 'UP' | 'DOWN', from: number): Promise<void> => {
    const at = await both(state, from);
    const ms = Math.max(...at) - from;
    delays.push(`${what} ${ms} ms`);
    assert.ok(ms <= (state === 'UP' ? UP_WITHIN : DOWN_WITHIN), `${what}: ${state} ${ms} ms after the change`);
  };

  const started = Date.now();
  const daemon = await keepalive.start(lb, config);
  try {
    await expectBoth('nginx serving', 'UP', started);
    assert.deepEqual(checkEvents(started, '/index.html'), [['passed: status 200, digest matches'], ['passed: status 200, digest matches']]);
    assert.deepEqual(checkEvents(started, '/health'), [['passed: status 204'], ['passed: status 204']]);

    // The page changes: its digest no longer matches; /health never fails meanwhile.
    const changed = 'hello from a page that changed\n';
    const changedAt = Date.now();
    rs.writeFile(`${www}/index.html`, changed);
    await expectBoth('page changed', 'DOWN', changedAt);
    const mismatch = `failed: digest ${md5(changed)}, expected ${md5(PAGE)}`;
    assert.deepEqual(checkEvents(changedAt, '/index.html'), [[mismatch], [mismatch]]);
    const restoredAt = Date.now();
    rs.writeFile(`${www}/index.html`, PAGE);
    await expectBoth('page restored', 'UP', restoredAt);
    assert.deepEqual(checkEvents(changedAt, '/index.html'), [[mismatch, 'passed: status 200, digest matches'], [mismatch, 'passed: status 200, digest matches']]);
    assert.deepEqual(checkEvents(changedAt, '/health'), [[], []], 'the status check never failed while the page was changed');

    // /health answers 503: the status_code check fails; the page's never does meanwhile.
    const maintenanceAt = Date.now();
    rs.writeFile(`${www}/maintenance`, '');
    await expectBoth('status 503', 'DOWN', maintenanceAt);
    assert.deepEqual(checkEvents(maintenanceAt, '/health'), [['failed: status 503'], ['failed: status 503']]);
    const backAt = Date.now();
    rmSync(rs.path(`${www}/maintenance`));
    await expectBoth('status 204 again', 'UP', backAt);
    assert.deepEqual(checkEvents(maintenanceAt, '/health'), [['failed: status 503', 'passed: status 204'], ['failed: status 503', 'passed: status 204']]);
    assert.deepEqual(checkEvents(maintenanceAt, '/index.html'), [[], []], 'the digest check never failed while /health answered 503');

    // nginx stops (TERM, by its PID): every check is refused.
    const stoppedAt = Date.now();
    assert.equal(await nginx.stop(), true, 'nginx stopped on TERM');
    await nginx.exited();
    await expectBoth('nginx stopped', 'DOWN', stoppedAt);
    // A server goes down with its first failing check; the other check's failure may come a run later.
    const refused = await waitFor('every check refused', async () => {
      await poll();
      const failures = ['/index.html', '/health'].flatMap((path) => checkEvents(stoppedAt, path));
      return failures.every((events) => events.length > 0) ? failures : undefined;
    }, { timeoutMs: 20_000 });
    const connectionRefused = servers.map(([, port]) => [`failed: connect ECONNREFUSED ${rs.ipv4()}:${port}`]);
    assert.deepEqual(refused, [...connectionRefused, ...connectionRefused]);
    const restartedAt = Date.now();
    nginx = await startNginx(rs, dir);
    await expectBoth('nginx started again', 'UP', restartedAt);
    t.diagnostic(`transitions after each change (bounds: down ${DOWN_WITHIN} ms, up ${UP_WITHIN} ms): ${delays.join('; ')}`);
    // The full record of each real server: up, then down and up again three times.
    const transitions = servers.map(([, port]) => since(started).flatMap((e) => (['UP', 'DOWN'] as const).filter((state) => e.message === serverEvent(port, state))));
    for (const record of transitions) assert.deepEqual(record, ['UP', 'DOWN', 'UP', 'DOWN', 'UP', 'DOWN', 'UP']);
  } finally {
    await daemon.stop();
  }
  assert.ok(nginx.running, 'nginx is left running for the lab to end, by its PID');
});
