#!/usr/bin/env node
// Checker scale: N real servers (10,000 by default), each TCP-checked every second, against listeners
// on a lab host. For each implementation, measured in the same run on the same listeners:
//   - CPU share of the whole daemon (all its processes; 100% is one core), over the measured window;
//   - how often each real server really got checked, seen from the listeners (a check is a
//     connection): the interval between two checks of one server, p50/p99/max, against delay_loop;
//   - for keepalive, its own record of how late check runs started (p99).
//   npm run bench:checker -- [--impl keepalive,keepalived] [--servers 10000] [--seconds 30]
//
// keepalived runs with -C (checkers only). On a kernel without IPVS its checker cannot program the
// table; whether it keeps checking is what the figures show (connections arriving at the listeners).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Lab } from '../test/lab/lab.ts';
import { addressIn } from '../test/lab/addressing.ts';
import { waitFor } from '../test/lab/exec.ts';
import { processGroup } from '../test/lab/processes.ts';
import type { Daemon, Host } from '../test/lab/host.ts';
import { keepalive, keepaliveStatus } from '../test/lab/implementations.ts';
import { checkerStatus } from '../runtime/src/control/status.ts';

const { values } = parseArgs({ options: {
  impl: { type: 'string', default: 'keepalive,keepalived' },
  servers: { type: 'string', default: '10000' },
  seconds: { type: 'string', default: '30' },
} });
const servers = Number(values.servers);
const seconds = Number(values.seconds);
const WARMUP_S = 10;
const FIRST_PORT = 20_000;
const LISTENERS = fileURLToPath(new URL('../test/fixtures/lb/listeners.ts', import.meta.url));
if (!(servers >= 1 && servers <= 40_000) || !(seconds >= 5 && seconds <= 600)) throw new Error('--servers 1..40000, --seconds 5..600');

function conf(vip: string, rsAddress: string): string {
  const rs = Array.from({ length: servers }, (_, i) => `  real_server ${rsAddress} ${FIRST_PORT + i} {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }`);
  return `global_defs {\n  router_id lb\n}\nvirtual_server ${vip} 80 {\n  delay_loop 1\n  retry 1\n  delay_before_retry 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs.join('\n')}\n}\n`;
}

/** utime + stime of every process of the daemon, in seconds. */
function cpuSeconds(daemon: Daemon): number {
  const ticks = processGroup(daemon.pid).reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + Number(fields[11]) + Number(fields[12]);
    } catch {
      return sum; // exited meanwhile
    }
  }, 0);
  return ticks / 100; // USER_HZ
}

async function startKeepalived(host: Host, config: string): Promise<Daemon> {
  host.writeFile('/etc/keepalived/keepalived.conf', config);
  return host.startDaemon('keepalived', ['keepalived', '-n', '-l', '-G', '-C', '-f', '/etc/keepalived/keepalived.conf', '-p', '/run/keepalived.pid', '-c', '/run/keepalived_checkers.pid'], { pidFile: '/run/keepalived.pid' });
}

interface Result { impl: string; cpu: number; connections: number; checked: number; intervalMs: { p50: number; p99: number; max: number }; lateP99?: number }
const results: Result[] = [];
for (const impl of values.impl.split(',')) {
  await using lab = await Lab.create({ hosts: ['lb', 'rs'], ssh: false, management: false });
  const lb = lab.host('lb');
  const rs = lab.host('rs');
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const listeners = await rs.startDaemon('listeners', [process.execPath, LISTENERS, rs.ipv4(), String(FIRST_PORT), String(servers), String(WARMUP_S), String(seconds)]);
  await waitFor('the listeners', () => (listeners.log().includes('listening') ? true : undefined), { timeoutMs: 60_000 });
  const config = conf(vip, rs.ipv4());
  const daemon = impl === 'keepalive' ? await keepalive.start(lb, config) : await startKeepalived(lb, config);
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const cpu0 = cpuSeconds(daemon);
  const t0 = performance.now();
  const report = await waitFor('the listeners\' report', () => listeners.log().split('\n').find((l) => l.startsWith('{')), { timeoutMs: (seconds + 60) * 1000, intervalMs: 200 });
  const measured = JSON.parse(report) as { connections: number; servers: number; intervalMs: Result['intervalMs'] };
  const cpu = (cpuSeconds(daemon) - cpu0) / ((performance.now() - t0) / 1000);
  const lateP99 = impl === 'keepalive' ? checkerStatus(await keepaliveStatus(lb))?.lateness?.p99 : undefined;
  results.push({ impl, cpu, connections: measured.connections, checked: measured.servers, intervalMs: measured.intervalMs, ...(lateP99 === undefined ? {} : { lateP99 }) });
  await daemon.stop();
}
console.log(`checker scale: ${servers} real servers TCP-checked every 1 s, ${seconds} s measured after ${WARMUP_S} s of warm-up`);
for (const r of results) {
  console.log(`${r.impl}: CPU ${(r.cpu * 100).toFixed(1)}% of a core; ${r.connections} checks seen (${(r.connections / seconds).toFixed(0)}/s, ${r.checked} of ${servers} servers); `
    + `interval between checks of a server p50 ${r.intervalMs.p50.toFixed(0)} ms, p99 ${r.intervalMs.p99.toFixed(0)} ms, max ${r.intervalMs.max.toFixed(0)} ms`
    + (r.lateP99 === undefined ? '' : `; runs started late p99 ${r.lateP99.toFixed(1)} ms`));
}
const [ours, theirs] = [results.find((r) => r.impl === 'keepalive'), results.find((r) => r.impl === 'keepalived')];
if (ours && theirs && theirs.connections > 0) {
  console.log(`keepalive / keepalived: CPU ${(ours.cpu / theirs.cpu).toFixed(2)}x, checks per second ${(ours.connections / theirs.connections).toFixed(2)}x, p99 interval ${(ours.intervalMs.p99 / theirs.intervalMs.p99).toFixed(2)}x`);
}
