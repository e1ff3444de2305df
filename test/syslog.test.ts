// Logs where keepalived users look: `keepalive run` sends every line to syslog as well as to stderr, in
// the BSD format syslog(3) writes to /dev/log, under keepalived's names for its processes, so that
// their grep patterns keep matching: a local receiver (a unix datagram socket, as /dev/log is) gets
// the VRRP transitions ("Keepalived_vrrp[PID]: (VI_1) Entering MASTER STATE"), the script results
// ("VRRP_Script(chk) failed (exited with status 1)") and the real servers leaving the pool
// ("Removing service [ADDR]:tcp:PORT from VS ..."), at facility local3 with -S 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { waitFor } from './lab/exec.ts';
import { KEEPALIVE_CLI, KEEPALIVE_STATE_DIR } from './lab/implementations.ts';
import { stopProcess } from './lab/processes.ts';
import { parseLogFacility, syslogLine } from '../runtime/src/log.ts';

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], 'a', buffering=1) as out:
    while True:
        out.write(s.recv(65536).decode() + '\\n')
`;

test('the syslog line is what syslog(3) sends: <PRI>, the BSD timestamp, IDENT[PID]: message', () => {
  assert.equal(syslogLine(3, 'info', 'Keepalived_vrrp', 42, '(VI_1) Entering MASTER STATE', new Date(2026, 11, 5, 9, 7, 3)), '<30>Dec  5 09:07:03 Keepalived_vrrp[42]: (VI_1) Entering MASTER STATE');
  assert.equal(syslogLine(parseLogFacility('3'), 'error', 'Keepalived', 1, 'x', new Date(2026, 0, 15, 23, 59, 59)), '<155>Jan 15 23:59:59 Keepalived[1]: x');
  assert.throws(() => parseLogFacility('8'), /0 to 7/);
});

test('a local syslog receiver gets the transitions, script results and real servers leaving, under keepalived\'s names', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const socketPath = `${lab.dir}/log.sock`;
  const received = `${lab.dir}/syslog.txt`;
  const receiver = spawn('python3', ['-c', RECEIVER, socketPath, received], { stdio: 'ignore' });
  try {
    await waitFor('the receiver\'s socket', () => (existsSync(socketPath) ? true : undefined));
    const vip = addressIn(lab.segment().subnets.v4, 100);
    h1.writeFile('/etc/keepalive/keepalived.conf', [
      'vrrp_script chk {', '  script "/bin/false"', '  interval 1', '  fall 1', '}',
      'vrrp_instance VI_1 {', '  interface eth0', '  virtual_router_id 51', '  priority 100', '  advert_int 0.1', '  version 3',
      `  virtual_ipaddress {`, `    ${vip}/24`, '  }', '  track_script {', '    chk weight -10', '  }', '}',
      `virtual_server ${vip} 80 {`, '  delay_loop 1', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP',
      `  real_server ${h1.ipv4()} 9 {`, '    TCP_CHECK {', '      connect_timeout 1', '      retry 0', '    }', '  }', '}',
    ].join('\n'));
    const daemon = await h1.startDaemon('keepalive', [process.execPath, KEEPALIVE_CLI, 'run', '-f', '/etc/keepalive/keepalived.conf',
      '--state-dir', KEEPALIVE_STATE_DIR, '-S', '3', '--syslog-socket', socketPath, '-l', '-D'], { pidFile: `${KEEPALIVE_STATE_DIR}/keepalive.pid` });
    const local3Info = `<${(16 + 3) * 8 + 6}>`;
    const lines = await waitFor('the transition, the script and the real server in syslog', () => {
      const text = existsSync(received) ? readFileSync(received, 'utf8') : '';
      const want = [
        /^<15\d>\w{3} [ \d]\d \d\d:\d\d:\d\d Keepalived\[\d+\]: started with /m,
        /Keepalived_vrrp\[\d+\]: \(VI_1\) Entering MASTER STATE/,
        /Keepalived_vrrp\[\d+\]: VRRP_Script\(chk\) failed \(exited with status 1\)/,
        new RegExp(`Keepalived_healthcheckers\\[\\d+\\]: Removing service \\[${h1.ipv4().replaceAll('.', '\\.')}\\]:tcp:9 from VS \\[${vip.replaceAll('.', '\\.')}\\]:tcp:80`),
      ];
      return want.every((re) => re.test(text)) ? text.split('\n') : undefined;
    }, { timeoutMs: 20_000 });
    const master = lines.find((l) => l.includes('Entering MASTER STATE'))!;
    assert.ok(master.startsWith(local3Info), master);
    const pids = new Set(lines.map((l) => /^<\d+>.{15} (\w+)\[(\d+)\]/.exec(l)).filter((m) => m).map((m) => `${m![1]} ${m![2]}`));
    assert.equal(new Set([...pids].map((p) => p.split(' ')[0])).size, 3, `three processes under keepalived's three names: ${[...pids].join(', ')}`);
    // And stderr still has every line.
    assert.match(readFileSync(daemon.logPath, 'utf8'), /\(VI_1\) Entering MASTER STATE/);
    await daemon.stop();
  } finally {
    if (receiver.pid !== undefined) await stopProcess(receiver.pid);
  }
});
