#!/usr/bin/env node
// Checker scale: N real servers (10,000 by default), each TCP-checked every second, against listeners
// on a lab host. For each implementation, measured in the same run on the same listeners:
//   - CPU share of the whole daemon (all its processes; 100% is one core), over the measured window;
//   - how often each real server really got checked, seen from the listeners (a check is a
//     connection): the interval between two checks of one server, p50/p99/max, against delay_loop;
//   - for keepalive, its own record of how late check runs started (p99).
//   npm run bench:checker -- [--lane host|uml] [--impl keepalive,keepalived] [--servers N] [--seconds S] [--warmup S]
//
// Two lanes. host: the daemon runs in a lab host on this machine. keepalived's checker cannot run
// there: it exits at start when the kernel has no IPVS ("IPVS: Can't initialize ipvs"), so this lane
// measures keepalive alone. uml: each daemon runs in turn inside the user-mode-linux guest (a real
// IPVS kernel), wired to the lab segment where the listeners run natively; the same guest kernel for
// both makes the ratio the figure to read (everything in the guest is slower than on the host, node
// more than C).
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Lab } from '../test/lab/lab.ts';
import { addressIn } from '../test/lab/addressing.ts';
import { waitFor } from '../test/lab/exec.ts';
import { cpuSeconds, processGroup } from '../test/lab/processes.ts';
import type { Daemon, Host } from '../test/lab/host.ts';
import { KEEPALIVE_CLI, keepalive, keepaliveStatus } from '../test/lab/implementations.ts';
import { runInUml } from '../test/lab/uml.ts';
import { checkerStatus } from '../runtime/src/control/status.ts';

const { values } = parseArgs({ options: {
  lane: { type: 'string', default: 'host' },
  impl: { type: 'string' },
  servers: { type: 'string' },
  seconds: { type: 'string', default: '30' },
  warmup: { type: 'string' },
} });
const lane = values.lane;
if (lane !== 'host' && lane !== 'uml') throw new Error('--lane host|uml');
const servers = Number(values.servers ?? (lane === 'host' ? 10_000 : 1_000));
const seconds = Number(values.seconds);
const impls = (values.impl ?? (lane === 'host' ? 'keepalive' : 'keepalive,keepalived')).split(',');
if (lane === 'host' && impls.includes('keepalived')) throw new Error('keepalived\'s checker needs IPVS: use --lane uml');
// Starting a daemon (and, in the guest, node itself) takes a while before checks settle into rounds.
const WARMUP_S = Number(values.warmup ?? (lane === 'host' ? 10 : 40));
if (!(WARMUP_S >= 1 && WARMUP_S <= 600)) throw new Error('--warmup 1..600 seconds');
const FIRST_PORT = 20_000;
const LISTENERS = fileURLToPath(new URL('../test/fixtures/lb/listeners.ts', import.meta.url));
if (!(servers >= 1 && servers <= 40_000) || !(seconds >= 5 && seconds <= 600)) throw new Error('--servers 1..40000, --seconds 5..600');

function conf(vip: string, rsAddress: string): string {
  const rs = Array.from({ length: servers }, (_, i) => `  real_server ${rsAddress} ${FIRST_PORT + i} {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }`);
  return `global_defs {\n  router_id lb\n}\nvirtual_server ${vip} 80 {\n  delay_loop 1\n  retry 1\n  delay_before_retry 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs.join('\n')}\n}\n`;
}

async function startKeepalived(host: Host, config: string): Promise<Daemon> {
  host.writeFile('/etc/keepalived/keepalived.conf', config);
  return host.startDaemon('keepalived', ['keepalived', '-n', '-l', '-G', '-C', '-f', '/etc/keepalived/keepalived.conf', '-p', '/run/keepalived.pid', '-c', '/run/keepalived_checkers.pid'], { pidFile: '/run/keepalived.pid' });
}

interface Result { impl: string; cpu: number; connections: number; checked: number; intervalMs: { p50: number | null; p99: number; max: number }; lateP99?: number }

/**
 * A guest script: starts the daemon, waits out the warm-up, and prints the CPU seconds (utime +
 * stime, all its processes) used over the measured window as {"cpu": share}.
 */
function guestScript(impl: string, config: string): string {
  const start = impl === 'keepalive'
    ? `setsid ${process.execPath} ${KEEPALIVE_CLI} run -f /tmp/checkers.conf --state-dir /tmp/keepalive > /tmp/daemon.log 2>&1 &`
    : 'setsid keepalived -n -l -G -C -f /tmp/checkers.conf -p /tmp/keepalived.pid -c /tmp/checkers.pid > /tmp/daemon.log 2>&1 &';
  return [
    "cat > /tmp/checkers.conf <<'EOF'", config.trimEnd(), 'EOF',
    start, 'leader=$!',
    // The daemon's processes: its session (setsid made the leader's PID the session id).
    'cpu() { t=0; for s in /proc/[0-9]*/stat; do set -- $(cat "$s" 2>/dev/null); [ "$6" = "$leader" ] && t=$((t + ${14} + ${15})); done; echo $t; }',
    `sleep ${WARMUP_S}`,
    'c0=$(cpu); t0=$(date +%s%N)',
    `sleep ${seconds}`,
    'c1=$(cpu); t1=$(date +%s%N)',
    // USER_HZ ticks over nanoseconds, as parts per million of one core.
    `printf '{"cpu": %s}\\n' $(( (c1 - c0) * 10000000000000 / (t1 - t0) ))`,
    'kill -TERM $leader; sleep 3; tail -20 /tmp/daemon.log >&2',
  ].join('\n');
}

const results: Result[] = [];
for (const impl of impls) {
  await using lab = await Lab.create({ hosts: ['lb', 'rs'], ssh: false, management: false });
  const lb = lab.host('lb');
  const rs = lab.host('rs');
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const listeners = await rs.startDaemon('listeners', [process.execPath, LISTENERS, rs.ipv4(), String(FIRST_PORT), String(servers), String(WARMUP_S), String(seconds)]);
  await waitFor('the listeners', () => (listeners.log().includes('listening') ? true : undefined), { timeoutMs: 60_000 });
  const config = conf(vip, rs.ipv4());
  const report = () => waitFor('the listeners\' report', () => listeners.log().split('\n').find((l) => l.startsWith('{')), { timeoutMs: (WARMUP_S + seconds + 60) * 1000, intervalMs: 200 });
  let cpu: number;
  let lateP99: number | undefined;
  let daemonLog = '';
  if (lane === 'uml') {
    const guest = await runInUml(lab, guestScript(impl, config), { memoryMb: 1024, timeoutMs: (WARMUP_S + seconds + 120) * 1000, attach: { hostNumber: 200 } });
    if (guest.code !== 0) throw new Error(`the guest run failed (${guest.code}): ${guest.stderr}`);
    daemonLog = guest.stderr;
    const line = guest.stdout.trim().split('\n').at(-1) ?? '';
    if (!line.startsWith('{')) throw new Error(`the guest printed no figure:\n${guest.stdout}\n${guest.stderr}`);
    cpu = (JSON.parse(line) as { cpu: number }).cpu / 1e6;
  } else {
    const daemon = impl === 'keepalive' ? await keepalive.start(lb, config) : await startKeepalived(lb, config);
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const cpu0 = cpuSeconds(processGroup(daemon.pid));
    const t0 = performance.now();
    await report();
    cpu = (cpuSeconds(processGroup(daemon.pid)) - cpu0) / ((performance.now() - t0) / 1000);
    lateP99 = impl === 'keepalive' ? checkerStatus(await keepaliveStatus(lb))?.lateness?.p99 : undefined;
    daemonLog = daemon.log().split('\n').slice(-20).join('\n');
    await daemon.stop();
  }
  const measured = JSON.parse(await report()) as { connections: number; servers: number; intervalMs: Result['intervalMs'] };
  if (measured.connections === 0) console.log(`${impl}: no check reached the listeners; the daemon's last words:\n${daemonLog}`);
  results.push({ impl, cpu, connections: measured.connections, checked: measured.servers, intervalMs: measured.intervalMs, ...(lateP99 === undefined ? {} : { lateP99 }) });
}
console.log(`checker scale (${lane} lane): ${servers} real servers TCP-checked every 1 s, ${seconds} s measured after ${WARMUP_S} s of warm-up`);
for (const r of results) {
  console.log(`${r.impl}: CPU ${(r.cpu * 100).toFixed(1)}% of a core; ${r.connections} checks seen (${(r.connections / seconds).toFixed(0)}/s, ${r.checked} of ${servers} servers); `
    // No server checked twice in the window leaves no interval to report (JSON turns the NaN into null).
    + (r.intervalMs.p50 === null ? 'no server was checked twice in the window'
      : `interval between checks of a server p50 ${r.intervalMs.p50.toFixed(0)} ms, p99 ${r.intervalMs.p99.toFixed(0)} ms, max ${r.intervalMs.max.toFixed(0)} ms`)
    + (r.lateP99 === undefined ? '' : `; runs started late p99 ${r.lateP99.toFixed(1)} ms`));
}
const [ours, theirs] = [results.find((r) => r.impl === 'keepalive'), results.find((r) => r.impl === 'keepalived')];
if (ours && theirs && theirs.connections > 0) {
  // CPU per check as well: a daemon that checks less often (delay_loop counts from a run's end) also spends less.
  console.log(`keepalive / keepalived: CPU ${(ours.cpu / theirs.cpu).toFixed(2)}x, checks per second ${(ours.connections / theirs.connections).toFixed(2)}x, `
    + `CPU per check ${((ours.cpu / ours.connections) / (theirs.cpu / theirs.connections)).toFixed(2)}x`
    + (ours.intervalMs.p50 !== null && theirs.intervalMs.p50 !== null ? `, p99 interval ${(ours.intervalMs.p99 / theirs.intervalMs.p99).toFixed(2)}x` : ''));
}
