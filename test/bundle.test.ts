// The bundled runtime (dist/runtime/keepalive.mjs, what hosts run): plain JavaScript with the socket
// addon and the libraries some configurations use beside it. It must do what the TypeScript source does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { waitFor } from './lab/exec.ts';
import type { Host } from './lab/host.ts';
import { buildKeepaliveBundle, KEEPALIVE_BUNDLE, keepaliveBundle, keepalived, keepaliveStatus, renderVrrpConf, startKeepalive } from './lab/implementations.ts';
import { waitForSoleHolder } from './lab/vrrp.ts';
import { libraryFile, RUNTIME_FILES } from '../scripts/runtime-files.ts';

test('the bundled runtime elects itself over keepalived, reports status, and hands over on TERM', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const conf = (name: string, priority: number) => renderVrrpConf({ routerId: name, version: 3, vrid: 51, interfaceName: 'eth0', priority, advertInt: 0.1, vips: [`${vip}/24`] });
  await keepalived.start(h2, conf('h2', 100));
  const ours = await keepaliveBundle.start(h1, conf('h1', 200));
  await waitForSoleHolder([h1, h2], vip, 'h1');
  const status = await keepaliveStatus(h1, KEEPALIVE_BUNDLE);
  assert.equal(status.children['vrrp']?.running, true);
  assert.equal(status.children['checker']?.running, true);
  assert.match((await h1.exec(['cat', `/proc/${status.children['vrrp']!.pid}/cmdline`])).stdout.replaceAll('\0', ' '), /keepalive\.mjs child vrrp/);
  ours.signal('SIGTERM');
  await waitForSoleHolder([h1, h2], vip, 'h2');
});

/** Installs the built runtime's files into the host's /opt/keepalive, leaving out `without`; returns the program. */
function install(host: Host, without: readonly string[] = []): string {
  for (const name of RUNTIME_FILES.filter((f) => !without.includes(f))) {
    host.writeFile(`/opt/keepalive/${name}`, readFileSync(join(dirname(KEEPALIVE_BUNDLE), name)), name.endsWith('.cjs') ? 0o644 : 0o755);
  }
  return '/opt/keepalive/keepalive.mjs';
}

test('a process reads a library only to use it: without nodemailer and prom-client, the bundle runs a configuration that sends no mail and serves no metrics', { timeout: 120_000 }, async () => {
  await buildKeepaliveBundle();
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const program = install(h1, [libraryFile('nodemailer'), libraryFile('prom-client')]);
  const daemon = await startKeepalive(h1, renderVrrpConf({ routerId: 'h1', version: 3, vrid: 51, interfaceName: 'eth0', priority: 200, advertInt: 0.1, vips: [`${vip}/24`] }), program);
  await waitForSoleHolder([h1], vip, 'h1');
  const status = await keepaliveStatus(h1, program);
  for (const role of ['vrrp', 'checker']) assert.deepEqual([status.children[role]?.running, status.children[role]?.restarts], [true, 0], role);
  assert.equal(await daemon.stop(), true);
});

test('with its libraries beside it, the bundle reads a YAML configuration, sends an SMTP alert and serves metrics', { timeout: 120_000 }, async () => {
  await buildKeepaliveBundle();
  await using lab = await Lab.create({ hosts: ['h1', 'mail'], ssh: false, management: false });
  const [h1, mail] = [lab.host('h1'), lab.host('mail')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const smtpd = await mail.startDaemon('smtpd', ['/usr/bin/python3', '-u', '-m', 'aiosmtpd', '-n', '-l', `${mail.ipv4()}:2525`, '-c', 'aiosmtpd.handlers.Debugging']);
  await waitFor('the SMTP server to listen', async () => ((await mail.exec(['ss', '-Hltn', 'sport = :2525'])).stdout.trim() ? true : undefined));
  const program = install(h1);
  const metrics = `${h1.ipv4()}:9650`;
  const daemon = await startKeepalive(h1, `globalDefs:
  routerId: h1
  notificationEmail: [ops@example.org]
  notificationEmailFrom: keepalive@h1.example.org
  smtpServer: { host: ${mail.ipv4()}, port: 2525 }
  smtpConnectTimeoutMs: 5000
  metricsListen: ${metrics}
vrrpInstances:
  VI_1:
    interface: eth0
    virtualRouterId: 51
    priority: 200
    advertIntCs: 10
    version: 3
    smtpAlert: true
    virtualIpaddress: [${vip}/24]
`, program);
  await waitForSoleHolder([h1], vip, 'h1');
  await waitFor('the alert to reach the SMTP server', () => (/Subject: \[h1\] VRRP Instance VI_1 - Entering MASTER state/.test(smtpd.log()) ? true : undefined));
  const scrape = (await h1.exec(['curl', '-sS', '--max-time', '5', `http://${metrics}/metrics`])).stdout;
  assert.match(scrape, /^keepalived_vrrp_state\{[^}]*iname="VI_1"[^}]*\} 2$/m);
  assert.equal(await daemon.stop(), true);
});
