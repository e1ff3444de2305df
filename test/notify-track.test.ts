// Tracking and notification, end to end: a failing track script hands mastership over, a tracked
// interface going down means Fault, notify scripts get keepalived's arguments as an unprivileged user,
// and SMTP alerts reach a real SMTP server (Debian's aiosmtpd) in another lab host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { keepalive, keepalived, renderVrrpConf } from './lab/implementations.ts';
import { waitForSoleHolder } from './lab/vrrp.ts';
import { waitFor } from './lab/exec.ts';
import type { Daemon, Host } from './lab/host.ts';

const T = { timeout: 240_000 };

/** A virtual service on port 80 with one real server, TCP-checked every second, down at the first failure. */
function checkedService(vip: string, realServer: string): string {
  return `virtual_server ${vip} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${realServer} 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;
}

test('a failing track script lowers the priority and hands over; a tracked interface going down means Fault', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], segments: ['lan', 'back'], wiring: { h2: ['lan'] }, ssh: false, management: false });
  const [h1, h2] = [lab.host('h1'), lab.host('h2')];
  const vip = addressIn(lab.segment('lan').subnets.v4, 100);
  await h1.exec('mkdir -p -m 1777 /run/flags');
  await keepalive.start(h1, `
global_defs {
  router_id h1
  vrrp_version 3
}
vrrp_script chk_service {
  script "/bin/sh -c 'test ! -e /run/flags/broken'"
  interval 0.2
  fall 1
  rise 1
  weight -150
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 200
  advert_int 0.1
  track_script {
    chk_service
  }
  track_interface {
    eth1
  }
  virtual_ipaddress {
    ${vip}/24
  }
}
`);
  await keepalived.start(h2, renderVrrpConf({ routerId: 'h2', version: 3, vrid: 51, interfaceName: 'eth0', priority: 100, advertInt: 0.1, vips: [`${vip}/24`] }));
  await waitForSoleHolder([h1, h2], vip, 'h1');

  await h1.exec('touch /run/flags/broken');
  await waitForSoleHolder([h1, h2], vip, 'h2');
  await h1.exec('rm /run/flags/broken');
  await waitForSoleHolder([h1, h2], vip, 'h1');

  await h1.setLink('eth1', 'down');
  await waitForSoleHolder([h1, h2], vip, 'h2');
  await h1.setLink('eth1', 'up');
  await waitForSoleHolder([h1, h2], vip, 'h1');
});

test('notify scripts get keepalived\'s arguments, as the script user; an SMTP alert reaches a real SMTP server', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'mail'], ssh: false, management: false });
  const [h1, mail] = [lab.host('h1'), lab.host('mail')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const smtpd = await mail.startDaemon('smtpd', ['/usr/bin/python3', '-u', '-m', 'aiosmtpd', '-n', '-l', `${mail.ipv4()}:2525`, '-c', 'aiosmtpd.handlers.Debugging']);
  await waitFor('the SMTP server to listen', async () => ((await mail.exec(['ss', '-Hltn', 'sport = :2525'])).stdout.trim() ? true : undefined));
  await h1.exec('mkdir -p -m 1777 /run/notify');
  h1.writeFile('/run/notify/record.sh', '#!/bin/sh\necho "$(id -un) $*" >> /run/notify/log\n', 0o755);
  const daemon = await keepalive.start(h1, `
global_defs {
  router_id h1
  notification_email {
    ops@example.org
  }
  notification_email_from keepalive@h1.example.org
  smtp_server ${mail.ipv4()} 2525
  smtp_connect_timeout 5
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  version 3
  notify_master "/run/notify/record.sh master-script"
  notify /run/notify/record.sh
  smtp_alert
  virtual_ipaddress {
    ${vip}/24
  }
}
`);
  await waitForSoleHolder([h1], vip, 'h1', 10_000);
  await daemon.stop();
  const log = h1.readFile('/run/notify/log').trim().split('\n');
  assert.deepEqual(log, [
    'nobody INSTANCE VI_1 BACKUP 150',
    'nobody master-script',
    'nobody INSTANCE VI_1 MASTER 150',
    'nobody INSTANCE VI_1 STOP 150',
  ]);
  await waitFor('the alert to reach the SMTP server', () => (/Subject: \[h1\] VRRP Instance VI_1 - Entering MASTER state/.test(smtpd.log()) ? true : undefined));
  assert.match(smtpd.log(), /From: keepalive@h1\.example\.org/);
  assert.match(smtpd.log(), /To: ops@example\.org/);
});

test('notify_fifo: VRRP and checker events as keepalived\'s lines, read by the notify_fifo_script keepalive runs', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'rs'], ssh: false, management: false });
  const [h1, rs] = [lab.host('h1'), lab.host('rs')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  await h1.exec('mkdir -p -m 1777 /run/notify');
  // The reader: everything the FIFO carries, appended to a file (it ends when keepalive stops it).
  h1.writeFile('/run/notify/reader.sh', '#!/bin/sh\ncat "$1" >> /run/notify/events.log\n', 0o755);
  const readers = async (): Promise<number> => Number((await h1.exec(['pgrep', '-c', '-f', '/run/notify/reader.sh'], { allowFailure: true })).stdout.trim());
  const vrrp = renderVrrpConf({ routerId: 'h1', version: 3, vrid: 51, interfaceName: 'eth0', priority: 150, advertInt: 1, vips: [`${vip}/24`] })
    .replace('global_defs {\n', 'global_defs {\n  notify_fifo /run/notify/events nobody\n  notify_fifo_script /run/notify/reader.sh\n');
  const daemon = await keepalive.start(h1, `${vrrp}\n${checkedService(vip, rs.ipv4())}`);
  const lines = (): string[] => { try { return h1.readFile('/run/notify/events.log').trim().split('\n'); } catch { return []; } };
  const rsLine = `RS [${rs.ipv4()}]:tcp:80 [${vip}]:tcp:80 DOWN`;
  const vsLine = `VS [${vip}]:tcp:80 DOWN`;
  await waitFor('the events in the FIFO', () => {
    const l = lines();
    return l.includes('INSTANCE "VI_1" MASTER 150') && l.includes(rsLine) && l.includes(vsLine) ? true : undefined;
  }, { timeoutMs: 15_000 });
  assert.equal((await h1.exec(['stat', '-c', '%F %U %a', '/run/notify/events'])).stdout.trim(), 'fifo nobody 600');
  // One reader for the FIFO both children write to (the checker child runs it, as keepalived's does).
  assert.equal(await readers(), 1);
  await daemon.stop();
  const l = lines();
  // One process writes each line whole: the VRRP child's in their order, the checker's in theirs.
  assert.deepEqual(l.filter((x) => x.startsWith('INSTANCE')), ['INSTANCE "VI_1" BACKUP 150', 'INSTANCE "VI_1" MASTER 150', 'INSTANCE "VI_1" STOP 150']);
  assert.deepEqual(l.filter((x) => !x.startsWith('INSTANCE')), [rsLine, vsLine]);
  // The reader went with the runtime.
  assert.equal(await readers(), 0);
});

test('vrrp_notify_fifo gets the VRRP child\'s lines, as keepalived writes them beside it; lvs_notify_fifo gets RS and VS lines as a real server goes down and up', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2', 'rs'], ssh: false, management: false });
  const [h1, h2, rs] = [lab.host('h1'), lab.host('h2'), lab.host('rs')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  // The readers are the test's own, one per FIFO: `cat` reads until the last writer (the child
  // that holds the FIFO) has exited, so every line written up to the daemon's stop, STOP lines
  // included, is in the file; a reader the daemon stops itself could be stopped before it read them.
  const readers = new Map<string, { log: string; daemon: Daemon }>();
  const reader = async (host: Host, name: string): Promise<void> => {
    await host.exec(`mkdir -p /run/notify && mkfifo -m 600 /run/notify/${name}`);
    const log = `/run/notify/${name}.log`;
    readers.set(`${host.name} ${name}`, { log, daemon: await host.startDaemon(`reader-${name}`, ['sh', '-c', `exec cat /run/notify/${name} >> ${log}`]) });
  };
  const lines = (host: Host, name: string): string[] => {
    try { return host.readFile(readers.get(`${host.name} ${name}`)!.log).split('\n').slice(0, -1); } catch { return []; }
  };
  const waitForLine = (host: Host, name: string, line: string): Promise<true> =>
    waitFor(`${JSON.stringify(line)} on ${host.name}'s ${name}`, () => (lines(host, name).includes(line) ? true : undefined), { timeoutMs: 20_000 });
  await reader(h1, 'vrrp-events');
  await reader(h1, 'lvs-events');
  await reader(h2, 'vrrp-events');

  // A real server: an HTTP backend in its own host, killed and started again below.
  const BACKEND = new URL('fixtures/lb/backend.ts', import.meta.url).pathname;
  let backends = 0;
  const startBackend = async (): Promise<Daemon> => {
    const d = await rs.startDaemon(`backend-${++backends}`, [process.execPath, BACKEND, 'rs', rs.ipv4(), '80']);
    await waitFor('the backend to listen', () => (d.log().includes('listening') ? true : undefined));
    return d;
  };
  let backend = await startBackend();

  const vrrp = (routerId: string, priority: number, lvs: boolean): string => renderVrrpConf({ routerId, version: 3, vrid: 51, interfaceName: 'eth0', priority, advertInt: 1, vips: [`${vip}/24`] })
    .replace('global_defs {\n', `global_defs {\n  vrrp_notify_fifo /run/notify/vrrp-events\n${lvs ? '  lvs_notify_fifo /run/notify/lvs-events\n' : ''}`);
  const h1Daemon = await keepalive.start(h1, `${vrrp('h1', 150, true)}\n${checkedService(vip, rs.ipv4())}`);
  await waitForSoleHolder([h1], vip, 'h1');
  await waitForLine(h1, 'vrrp-events', 'INSTANCE "VI_1" MASTER 150');
  // Debian's keepalived as the backup: the reference for the line format, in the same run.
  const h2Daemon = await keepalived.start(h2, vrrp('h2', 100, false));
  await waitForLine(h2, 'vrrp-events', 'INSTANCE "VI_1" BACKUP 100');

  // keepalived's format: "RS [address]:protocol:port VS-trio UP|DOWN", "VS [address]:protocol:port UP|DOWN".
  const rsLine = (state: string): string => `RS [${rs.ipv4()}]:tcp:80 [${vip}]:tcp:80 ${state}`;
  const vsLine = (state: string): string => `VS [${vip}]:tcp:80 ${state}`;
  await backend.stop();
  await waitForLine(h1, 'lvs-events', vsLine('DOWN'));
  backend = await startBackend();
  await waitForLine(h1, 'lvs-events', vsLine('UP'));

  // The master goes: its STOP line, and the backup's MASTER line.
  await h1Daemon.stop();
  await waitForSoleHolder([h1, h2], vip, 'h2');
  await waitForLine(h2, 'vrrp-events', 'INSTANCE "VI_1" MASTER 100');
  await h2Daemon.stop();
  // Each reader ends once the process that held its FIFO has gone: then its file is complete.
  for (const { daemon } of readers.values()) await daemon.exited();

  assert.deepEqual(lines(h1, 'vrrp-events'), ['INSTANCE "VI_1" BACKUP 150', 'INSTANCE "VI_1" MASTER 150', 'INSTANCE "VI_1" STOP 150']);
  assert.deepEqual(lines(h1, 'lvs-events'), [rsLine('DOWN'), vsLine('DOWN'), rsLine('UP'), vsLine('UP')]);
  assert.deepEqual(lines(h2, 'vrrp-events'), ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100', 'INSTANCE "VI_1" STOP 100']);
});
