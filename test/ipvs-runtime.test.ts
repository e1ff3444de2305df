// Load balancing by the runtime on a kernel with IPVS: `keepalive run` from this checkout, inside the
// user-mode-linux guest (lab/uml.ts), with a keepalived.conf of virtual servers. The guest is the
// director on a lab segment whose hosts run the HTTP backend of test/lb.test.ts; ipvsadm, a separate
// implementation, reads back what the runtime programmed; a client in the guest counts which backend
// answers over NAT, and a client on a lab host sends its connections through the guest to backends
// that answer it directly (direct routing). The nftables side of the same runtime is test/lb.test.ts.
// The same run has a VRRP instance alone on the segment with lvs_sync_daemon following it: ipvsadm
// --list --daemon shows the kernel's sync daemon's role as the instance goes MASTER, FAULT and back.
//
// One boot runs the whole scenario (node in the guest is slow to start: every process costs seconds)
// and prints each step's output under a "=== name" line; the tests below each check some of them.
import { after, before, test } from 'node:test';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import { runInUml, type UmlResult } from './lab/uml.ts';
import { addressIn } from './lab/addressing.ts';
import { waitFor } from './lab/exec.ts';
import { checkerStatus, type DaemonStatus } from '../runtime/src/control/status.ts';

const BACKEND = fileURLToPath(new URL('./fixtures/lb/backend.ts', import.meta.url));
const CLIENT = fileURLToPath(new URL('./fixtures/lb/client.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../runtime/src/cli.ts', import.meta.url));
const T = { timeout: 240_000 };
/**
 * The fwmark service's mark. It carries no traffic here: the guest kernel has neither nftables for
 * IPv4 nor the iptables command to mark any with. The direct-routing traffic goes to the DR VIP.
 */
const FWMARK = 7;
const GUEST_HOST_NUMBER = 10;
/** Where the guest's runtime serves its metrics (on the guest's lo). */
const METRICS_PORT = 9650;
/** A service someone else adds with ipvsadm (never answered: only the table is looked at). */
const FOREIGN_VIP = '198.18.255.200';

let lab: Lab;
let vip: string;
/** The direct-routing service's address: the guest answers ARP for it, rs1 and rs2 hold it on lo. */
let drVip: string;
let guest: string;
/** The address the sync daemon's VRRP instance holds while master. */
let syncVip: string;
/** What the lab client got from the DR VIP, while the guest waited for it. */
let drTraffic: string;
let result: UmlResult;
/** The guest's output by step. */
let steps: Map<string, string>;

const ip = (name: string): string => lab.host(name).ipv4();

interface RealServerOptions { port?: number; weight: number; extra?: string }

function realServer(name: string, { port, weight, extra = '' }: RealServerOptions): string {
  // Direct routing keeps the client's destination port, so a fwmark service's real servers have none
  // and their check names the port.
  return `
  real_server ${ip(name)} ${port ?? ''} {
    weight ${weight}
    ${extra}
    TCP_CHECK {
      connect_timeout 1
      ${port === undefined ? 'connect_port 80' : ''}
    }
  }`;
}

interface ConfOptions { rs2Weight?: number; fwmarkScheduler?: string; extraService?: boolean; syncDaemon?: boolean }

/** The connection sync daemon's id and port: not the kernel's defaults, so that ipvsadm shows they were sent. */
const SYNC_ID = 7;
const SYNC_PORT = 8850;
/** The VRRP instance the sync daemon follows faults while this file holds a non-zero number. */
const SYNC_FAULT_FILE = '/tmp/ka/sync-fault';

/**
 * lvs_sync_daemon on the guest's lab interface, following a VRRP instance alone on the segment (so it
 * becomes master by itself), which a track_file can put in fault.
 */
function syncDaemonConf(): string {
  return `track_file sync_fault {
  file ${SYNC_FAULT_FILE}
  weight 0
}
vrrp_instance VI_SYNC {
  interface vec0
  virtual_router_id 77
  priority 150
  advert_int 1
  track_file {
    sync_fault
  }
  virtual_ipaddress {
    ${syncVip}/32
  }
}
`;
}

/**
 * Two virtual servers: wrr by NAT on the VIP, with a real server nobody listens on (it must leave the
 * table) and an inhibited one (it must stay, with weight 0); and rr by direct routing on a fwmark,
 * persistent. `extraService` puts a third one before them, on port 8080.
 */
function conf({ rs2Weight = 2, fwmarkScheduler = 'rr', extraService = false, syncDaemon = true }: ConfOptions = {}): string {
  const extra = `virtual_server ${vip} 8080 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
${realServer('rs3', { port: 80, weight: 1 })}
}
`;
  return `global_defs {
  router_id director
  ${syncDaemon ? `lvs_sync_daemon vec0 VI_SYNC id ${SYNC_ID} port ${SYNC_PORT}` : ''}
}
${syncDaemon ? syncDaemonConf() : ''}${extraService ? extra : ''}virtual_server ${vip} 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
${realServer('rs1', { port: 80, weight: 3 })}
${realServer('rs2', { port: 80, weight: rs2Weight })}
${realServer('rs3', { port: 80, weight: 1 })}
${realServer('rs1', { port: 81, weight: 1 })}
${realServer('rs2', { port: 81, weight: 4, extra: 'inhibit_on_failure' })}
}
virtual_server ${drVip} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
${realServer('rs1', { port: 80, weight: 1 })}
${realServer('rs2', { port: 80, weight: 1 })}
}
virtual_server fwmark ${FWMARK} {
  delay_loop 1
  lb_algo ${fwmarkScheduler}
  lb_kind DR
  persistence_timeout 300
  protocol TCP
${realServer('rs1', { weight: 1 })}
${realServer('rs2', { weight: 1 })}
}
`;
}

/** The guest's script: the scenario, step by step. It goes on after a failed step, so every step reports. */
function guestScript(): string {
  const node = process.execPath;
  const keepalive = `${node} ${CLI}`;
  const file = (name: string, text: string): string => `cat > /tmp/ka/${name} <<'EOF'\n${text}EOF`;
  return `
# The kernel would load a missing scheduler module on demand (init.sh's modprobe wrapper); without
# the helper it cannot, as on a kernel built without that scheduler. The ones used are preloaded.
echo /bin/false > /proc/sys/kernel/modprobe
# Without a cache every node process compiles the runtime's modules again, seconds each in the guest.
export NODE_COMPILE_CACHE=/tmp/node-cache
step() { echo "=== $1"; }
# Retries a command every 0.1 s, for at most 30 s.
retry() { i=0; until "$@"; do i=$((i + 1)); [ $i -lt 300 ] || return 1; sleep 0.1; done; }
# Stops the daemon with TERM and waits for it; KILL if it is still there after 20 s.
stop() { kill -TERM "$1"; ( sleep 20; kill -KILL "$1" ) 2>/dev/null & killer=$!; wait "$1"; echo "exit $?"; kill $killer 2>/dev/null; }
mkdir -p /tmp/ka
${file('a.conf', conf())}
${file('b.conf', conf({ rs2Weight: 5 }))}
${file('mh-reload.conf', conf({ rs2Weight: 5, fwmarkScheduler: 'mh', extraService: true }))}
${file('mh-start.conf', conf({ fwmarkScheduler: 'mh', syncDaemon: false }))}
echo 0 > ${SYNC_FAULT_FILE}
ip address add ${vip}/32 dev vec0
ip address add ${drVip}/32 dev vec0

cp /tmp/ka/a.conf /tmp/ka/keepalived.conf
${keepalive} run -f /tmp/ka/keepalived.conf --state-dir /run/keepalive --metrics-listen 127.0.0.1:${METRICS_PORT} > /tmp/ka/log 2>&1 &
pid=$!
# Settled: the unanswered real server is out and the inhibited one in with weight 0.
settled() {
  t=$(ipvsadm -Sn)
  case "$t" in *"${ip('rs1')}:81"*) return 1 ;; esac
  for want in "-r ${ip('rs2')}:81 -m -w 0" "-t ${drVip}:80 -r ${ip('rs1')}:80 -g" "-t ${drVip}:80 -r ${ip('rs2')}:80 -g"; do
    case "$t" in *"$want"*) ;; *) return 1 ;; esac
  done
}
retry settled || echo "the table never settled" >&2
# The sync daemon runs in exactly one role, the one given (ipvsadm -L --daemon prints a line per role).
sync_is() { d=$(ipvsadm -L --daemon); case "$d" in "$1 sync daemon"*) [ "$(echo "$d" | wc -l)" = 1 ] ;; *) return 1 ;; esac; }
retry sync_is master || echo "the sync daemon never became master" >&2
step sync-master; ipvsadm -L --daemon
# The instance faults: the daemon must turn backup; then master again once the instance is back.
t0=$(date +%s%3N); echo 1 > ${SYNC_FAULT_FILE}
retry sync_is backup || echo "the sync daemon never turned backup" >&2
step sync-backup; ipvsadm -L --daemon; echo "after $(( $(date +%s%3N) - t0 )) ms"; ${keepalive} status --state-dir /run/keepalive | grep VI_SYNC
echo 0 > ${SYNC_FAULT_FILE}
retry sync_is master || echo "the sync daemon never became master again" >&2
step sync-master-again; ipvsadm -L --daemon
step saved; ipvsadm -Sn
step listed; ipvsadm -Ln --nosort
step status-json; ${keepalive} status --json --state-dir /run/keepalive
step nat-traffic; ${node} ${CLIENT} count http://${vip}/ 60 6 ${guest}
# The lab client's turn (see before()): at most 60 s, then the kernel's count of what it forwarded.
step dr-traffic; touch /run/exchange/dr-ready
i=0; until [ -e /run/exchange/dr-done ] || [ $i -ge 600 ]; do i=$((i + 1)); sleep 0.1; done
# The kernel folds its per-CPU counters into these every 2 s: wait (at most 5 s) for all 60.
dr_stats() { ipvsadm -Ln --stats --exact -t ${drVip}:80; }
i=0; until dr_stats | grep -Eq '^TCP +[^ ]+ +60 ' || [ $i -ge 50 ]; do i=$((i + 1)); sleep 0.1; done
dr_stats
# IPVS's counters as the metrics endpoint gives them, both services' traffic counted by now. A scrape
# the slow guest cannot answer in time lacks the checker's part: retried until it has it.
scraped() { curl -sf --max-time 5 http://127.0.0.1:${METRICS_PORT}/metrics > /tmp/ka/metrics && grep -q '^keepalived_lvs_vip_conn' /tmp/ka/metrics; }
retry scraped || echo "no traffic counters in the metrics" >&2
step metrics; grep '^keepalived_lvs_' /tmp/ka/metrics

cp /tmp/ka/b.conf /tmp/ka/keepalived.conf
step reload; ${keepalive} reload --state-dir /run/keepalive 2>&1; echo "exit $?"
# No waiting: a reload answers once the checker applied it.
step saved-after-reload; ipvsadm -Sn
step sync-after-reload; ipvsadm -L --daemon
step listed-after-reload; ipvsadm -Ln --nosort
step status-after-reload; ${keepalive} status --state-dir /run/keepalive
step nat-traffic-after-reload; ${node} ${CLIENT} count http://${vip}/ 90 6 ${guest}

# Drift and a service of someone else's, as an operator with ipvsadm would make them: the runtime reads
# the table back every 10 s and puts its own services right, and leaves the other alone.
ipvsadm -A -t ${FOREIGN_VIP}:443 -s rr
ipvsadm -a -t ${FOREIGN_VIP}:443 -r ${ip('rs3')}:443 -m -w 1
ipvsadm -e -t ${vip}:80 -r ${ip('rs2')}:80 -m -w 9
step drift-made; date +%s%3N
i=0; until ipvsadm -Sn | grep -q -- "-t ${vip}:80 -r ${ip('rs2')}:80 -m -w 5" || [ $i -ge 250 ]; do i=$((i + 1)); sleep 0.1; done
step drift-repaired; date +%s%3N
step saved-after-repair; ipvsadm -Sn
ipvsadm -D -t ${FOREIGN_VIP}:443

cp /tmp/ka/mh-reload.conf /tmp/ka/keepalived.conf
step mh-reload; ${keepalive} reload --state-dir /run/keepalive 2>&1; echo "exit $?"
step saved-after-mh-reload; ipvsadm -Sn
step stop; stop $pid
step saved-after-stop; ipvsadm -Sn
step sync-after-stop; ipvsadm -L --daemon

# The refused start is judged on a table of its own.
ipvsadm -C
step mh-start; ${keepalive} run -f /tmp/ka/mh-start.conf --state-dir /run/keepalive-mh 2>&1; echo "exit $?"
step saved-after-mh-start; ipvsadm -Sn
step modules; cut -d' ' -f1 /proc/modules | grep ip_vs | sort; echo; ls /run/modules/lib/modules/*/kernel/net/netfilter/ipvs/
step log; cat /tmp/ka/log
`;
}

before(async () => {
  lab = await Lab.create({ hosts: ['rs1', 'rs2', 'rs3', 'client'], ssh: false, management: false });
  const segment = lab.segment().subnets.v4;
  vip = addressIn(segment, 100);
  drVip = addressIn(segment, 101);
  guest = addressIn(segment, GUEST_HOST_NUMBER);
  syncVip = addressIn(segment, 102);
  for (const name of ['rs1', 'rs2', 'rs3']) await startBackend(name, ip(name));
  // Direct routing: the director hands rs1 and rs2 the client's packets unchanged, to the DR VIP, which
  // they hold on lo without answering ARP for it (the guest does), and they answer the client directly.
  for (const name of ['rs1', 'rs2']) {
    await lab.host(name).exec('sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2');
    await lab.host(name).exec(['ip', 'address', 'add', `${drVip}/32`, 'dev', 'lo']);
    await startBackend(name, drVip);
  }
  const exchange = `${lab.dir}/exchange`;
  mkdirSync(exchange);
  // Node in the guest needs more than the default 256 MB: three runtime processes, then a client.
  const guestRun = runInUml(lab, guestScript(), {
    modules: ['ip_vs', 'ip_vs_wrr', 'ip_vs_rr'], attach: { hostNumber: GUEST_HOST_NUMBER }, memoryMb: 768, timeoutMs: 200_000, exchange,
  });
  let guestEnded = false;
  void guestRun.finally(() => { guestEnded = true; }).catch(() => {});
  // The lab client's connections go through the director while the guest waits at its dr-traffic step.
  try {
    await waitFor('the guest\'s dr-traffic step', () => (existsSync(`${exchange}/dr-ready`) || guestEnded ? true : undefined), { timeoutMs: 180_000, intervalMs: 100 });
    if (!guestEnded) drTraffic = (await lab.host('client').exec([process.execPath, CLIENT, 'count', `http://${drVip}/`, '60', '6'])).stdout;
  } finally {
    writeFileSync(`${exchange}/dr-done`, '');
  }
  result = await guestRun;
  steps = new Map();
  for (const part of result.stdout.split(/^=== /m).slice(1)) {
    const newline = part.indexOf('\n');
    steps.set(part.slice(0, newline), part.slice(newline + 1));
  }
  console.log(`# the guest ran the scenario in ${result.ms} ms`);
  if (result.stderr) console.log(result.stderr.trimEnd().replace(/^/gm, '# guest stderr: '));
}, T);

after(() => lab?.destroy());

async function startBackend(name: string, address: string): Promise<void> {
  const daemon = await lab.host(name).startDaemon(`backend-${name}-${address}`, [process.execPath, BACKEND, name, address, '80']);
  await waitFor(`${name}'s HTTP server on ${address}`, () => (daemon.log().includes('listening') ? true : undefined));
}

function step(name: string): string {
  const out = steps.get(name);
  assert.ok(out !== undefined, `the guest never reached step ${name}; exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return out;
}

const lines = (text: string): string[] => text.trim().split('\n').filter((l) => l !== '');
/** ipvsadm -Sn output, in a fixed order. */
const saved = (name: string): string[] => lines(step(name)).sort();

/** The real servers of `ipvsadm -Ln --nosort`, in the kernel's order, as "service > address:port forward weight". */
function listed(name: string): string[] {
  let service = '';
  const out: string[] = [];
  for (const line of lines(step(name)).slice(3)) {
    const rs = /^\s+-> (\S+)\s+(\S+)\s+(\d+)/.exec(line);
    if (rs) out.push(`${service} > ${rs[1]} ${rs[2]} ${rs[3]}`);
    else service = line.trim();
  }
  return out;
}

function tableWith(rs2Weight: number): string[] {
  return [
    `-A -t ${vip}:80 -s wrr`,
    `-a -t ${vip}:80 -r ${ip('rs1')}:80 -m -w 3`,
    `-a -t ${vip}:80 -r ${ip('rs2')}:80 -m -w ${rs2Weight}`,
    `-a -t ${vip}:80 -r ${ip('rs3')}:80 -m -w 1`,
    // Nothing listens on port 81: rs1's leaves the table, rs2's is inhibited (weight 0) instead.
    `-a -t ${vip}:80 -r ${ip('rs2')}:81 -m -w 0`,
    `-A -t ${drVip}:80 -s rr`,
    `-a -t ${drVip}:80 -r ${ip('rs1')}:80 -g -w 1`,
    `-a -t ${drVip}:80 -r ${ip('rs2')}:80 -g -w 1`,
    `-A -f ${FWMARK} -s rr -p 300`,
    // ipvsadm shows port 0 for a fwmark service's direct-routing destinations.
    `-a -f ${FWMARK} -r ${ip('rs1')}:0 -g -w 1`,
    `-a -f ${FWMARK} -r ${ip('rs2')}:0 -g -w 1`,
  ].sort();
}

/** A client's answers by backend; no request may have failed. */
function counts(output: string): Record<string, number> {
  const counted = JSON.parse(output) as { counts: Record<string, number>; errors: Record<string, number> };
  assert.deepEqual(counted.errors, {}, `failed requests: ${output}`);
  return counted.counts;
}

test('the runtime picks IPVS by itself in a kernel that has it, and says which version', T, () => {
  const status = JSON.parse(step('status-json')) as DaemonStatus;
  const checker = checkerStatus(status);
  assert.ok(checker, `the checker child answers status: ${step('status-json')}`);
  assert.equal(checker.dataplane?.kind, 'ipvs');
  // The version as ipvsadm reads it from the kernel.
  const version = /^IP Virtual Server version (\d+\.\d+\.\d+)/.exec(step('listed'))?.[1];
  assert.ok(version, step('listed'));
  assert.equal(checker.dataplane.reason, `the kernel has IPVS ${version} (lb_dataplane auto)`);
  assert.equal(checker.lastSync?.ok, true, JSON.stringify(checker.lastSync));
});

test('ipvsadm shows exactly the configured services, schedulers, forwarding methods and weights; a failed server is out, an inhibited one at weight 0', T, () => {
  assert.deepEqual(saved('saved'), tableWith(2));
  assert.deepEqual(listed('listed').sort(), [
    `FWM  ${FWMARK} rr persistent 300 > ${ip('rs1')}:0 Route 1`,
    `FWM  ${FWMARK} rr persistent 300 > ${ip('rs2')}:0 Route 1`,
    `TCP  ${vip}:80 wrr > ${ip('rs1')}:80 Masq 3`,
    `TCP  ${vip}:80 wrr > ${ip('rs2')}:80 Masq 2`,
    `TCP  ${vip}:80 wrr > ${ip('rs2')}:81 Masq 0`,
    `TCP  ${vip}:80 wrr > ${ip('rs3')}:80 Masq 1`,
    `TCP  ${drVip}:80 rr > ${ip('rs1')}:80 Route 1`,
    `TCP  ${drVip}:80 rr > ${ip('rs2')}:80 Route 1`,
  ].sort());
  const checker = checkerStatus(JSON.parse(step('status-json')) as DaemonStatus)!;
  const nat = checker.virtualServers.find((v) => v.key === `TCP ${vip} 80`)!;
  const server = (name: string) => nat.realServers.find((r) => r.name === name)!;
  assert.deepEqual([server(`${ip('rs1')}:81`).up, server(`${ip('rs1')}:81`).inTable], [false, null]);
  assert.deepEqual([server(`${ip('rs2')}:81`).up, server(`${ip('rs2')}:81`).inTable], [false, 0]);
  assert.match(server(`${ip('rs1')}:81`).checks[0]!.last!.reason, /ECONNREFUSED/);
});

test('traffic from the guest to the VIP reaches the backends exactly by wrr weight, over NAT', T, () => {
  // IPVS schedules locally sent connections too. wrr's cycle is 3 + 2 + 1 connections; the inhibited
  // server's weight 0 gets none.
  assert.deepEqual(counts(step('nat-traffic')), { rs1: 30, rs2: 20, rs3: 10 });
});

test('a client on a lab host goes through the guest to the backends by direct routing, exactly by rr, and they answer it directly', T, () => {
  assert.ok(drTraffic !== undefined, `the guest never reached its dr-traffic step; exit ${result.code}\nstderr:\n${result.stderr}`);
  assert.deepEqual(counts(drTraffic), { rs1: 30, rs2: 30 });
  // The director saw every connection's packets in, none out: the answers went around it.
  const stats = /^\s+-> \S+\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+(\d+)$/gm;
  const rows = [...step('dr-traffic').matchAll(stats)].map((m) => ({ conns: Number(m[1]), inPkts: Number(m[2]), outPkts: Number(m[3]), outBytes: Number(m[4]) }));
  assert.deepEqual(rows.map((r) => r.conns), [30, 30], step('dr-traffic'));
  for (const r of rows) assert.ok(r.inPkts >= 30 * 3 && r.outPkts === 0 && r.outBytes === 0, step('dr-traffic'));
});

test('the metrics endpoint gives IPVS\'s own counters under gen2brain\'s names: connections per real server, bytes both ways over NAT, none back over DR', T, () => {
  const text = step('metrics');
  const value = (metric: string, labels: string): number => {
    const m = new RegExp(`^${metric}\\{${labels.replaceAll('.', '\\.')}\\} (\\S+)$`, 'm').exec(text);
    assert.ok(m, `no ${metric}{${labels}} in\n${text}`);
    return Number(m[1]);
  };
  // The nat-traffic step's 60 connections, by wrr weight; the checks go to the real servers directly.
  const nat = `addr="${vip}:80",proto="6"`;
  assert.equal(value('keepalived_lvs_vip_conn', nat), 60);
  assert.deepEqual(['rs1', 'rs2', 'rs3'].map((name) => value('keepalived_lvs_rs_conn', `vip="${vip}:80",addr="${ip(name)}:80",proto="6"`)), [30, 20, 10]);
  assert.ok(value('keepalived_lvs_vip_in_bytes', nat) >= 60 * 4 * 40 && value('keepalived_lvs_vip_out_bytes', nat) >= 60 * 3 * 40, text);
  // Direct routing: the answers go around the director.
  const dr = `addr="${drVip}:80",proto="6"`;
  assert.equal(value('keepalived_lvs_vip_conn', dr), 60);
  assert.ok(value('keepalived_lvs_vip_in_bytes', dr) > 0, text);
  assert.equal(value('keepalived_lvs_vip_out_bytes', dr), 0);
  assert.equal(value('keepalived_lvs_vip_conn', `addr="fwmark:${FWMARK}",proto="0"`), 0);
});

test('a reload that changes one weight edits that destination in place; the status says dataplane ipvs', T, () => {
  assert.match(step('reload'), /^reloaded\nexit 0\n$/);
  assert.deepEqual(saved('saved-after-reload'), tableWith(5));
  // The kernel puts a destination it adds at the head of its service's list: a delete and re-add would
  // have moved rs2:80; an edit leaves every entry where it was.
  const rs2 = `TCP  ${vip}:80 wrr > ${ip('rs2')}:80 Masq`;
  const before = listed('listed');
  const position = before.filter((l) => l.startsWith(`TCP  ${vip}:80 `)).indexOf(`${rs2} 2`);
  assert.ok(position > 0, `rs2:80 must not be at the head before the reload, or the order cannot tell: ${before.join('; ')}`);
  assert.deepEqual(listed('listed-after-reload'), before.map((l) => (l === `${rs2} 2` ? `${rs2} 5` : l)));
  const text = step('status-after-reload');
  assert.match(text, /^dataplane ipvs: the kernel has IPVS \d+\.\d+\.\d+ \(lb_dataplane auto\); last apply ok/m);
  assert.match(text, new RegExp(`^  ${ip('rs2').replaceAll('.', '\\.')}:80 UP, weight 5, in the table with weight 5;`, 'm'));
  // The edit restarts wrr's cycle, now 3 + 5 + 1.
  assert.deepEqual(counts(step('nat-traffic-after-reload')), { rs1: 30, rs2: 50, rs3: 10 });
});

test('drift made with ipvsadm is repaired within the 10 s read-back, and a service someone else added is left alone', T, (t) => {
  const repairMs = Number(lines(step('drift-repaired'))[0]) - Number(lines(step('drift-made'))[0]);
  t.diagnostic(`drift repaired ${repairMs} ms after it was made (read back every 10 s)`);
  // One read-back period, and slack for Node in the guest's one slow CPU.
  assert.ok(repairMs <= 10_000 + 3_000, `drift repaired ${repairMs} ms after it was made`);
  const after = saved('saved-after-repair');
  assert.deepEqual(after.filter((l) => !l.includes(FOREIGN_VIP)), tableWith(5), 'the runtime\'s services are as configured again');
  assert.deepEqual(after.filter((l) => l.includes(FOREIGN_VIP)), [
    `-A -t ${FOREIGN_VIP}:443 -s rr`,
    `-a -t ${FOREIGN_VIP}:443 -r ${ip('rs3')}:443 -m -w 1`,
  ], 'the foreign service is untouched');
});

test('a scheduler the kernel lacks is refused by name: a reload keeps the running configuration, a start exits 1', T, () => {
  assert.equal(step('mh-reload'), [
    'reload refused; the running configuration stays in force:',
    'checker: edit fwmark 7: ENOENT (the kernel has no scheduler "mh")',
    'exit 1',
    '',
  ].join('\n'));
  // keepalive run logs to standard error, and says why it stops before it does.
  assert.match(step('mh-start'), /ERROR: configuration refused:\nchecker: add fwmark 7: ENOENT \(the kernel has no scheduler "mh"\)\n/);
  assert.match(step('mh-start'), /\nexit 1\n$/);
  // The module is there; it was not loaded, and the kernel could not load it.
  const [loaded = '', available = ''] = step('modules').split('\n\n');
  assert.deepEqual(lines(loaded), ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr']);
  assert.ok(lines(available).includes('ip_vs_mh.ko'), available);
});

test('lvs_sync_daemon: the kernel\'s sync daemon is master while the instance is MASTER, backup while it is not, switched on every transition', T, (t) => {
  const role = (state: string): RegExp => new RegExp(`^${state} sync daemon \\(mcast=vec0, syncid=${SYNC_ID}, .*port=${SYNC_PORT}, .*\\)$`);
  assert.match(lines(step('sync-master')).join('\n'), role('master'));
  const backup = lines(step('sync-backup'));
  assert.match(backup[0]!, role('backup'));
  assert.ok(backup.some((l) => /^VI_SYNC: FAULT /.test(l)), `the instance is in fault: ${step('sync-backup')}`);
  t.diagnostic(`the sync daemon turned backup ${backup.find((l) => l.startsWith('after '))} after the fault file was written`);
  assert.match(lines(step('sync-master-again')).join('\n'), role('master'));
  // A reload that leaves lvs_sync_daemon as it was leaves the master running; a stop ends it.
  assert.match(lines(step('sync-after-reload')).join('\n'), role('master'));
  assert.equal(step('sync-after-stop').trim(), '');
});

test('a graceful stop removes the services of the running configuration', T, () => {
  assert.match(step('stop'), /^exit 0\n$/);
  const left = saved('saved-after-stop').filter((l) => l.includes(`${vip}:80 `) || l.includes(`${drVip}:80 `) || l.includes(`-f ${FWMARK} `));
  assert.deepEqual(left, []);
});

// An apply the kernel refuses halfway (mh is missing) has already added services: the reload's
// rollback and a refused start must take them away again.
test('a refused configuration leaves the kernel table as it was', T, () => {
  // The refused reload added the 8080 service before the kernel refused mh; the rollback must remove it.
  assert.deepEqual(saved('saved-after-mh-reload'), tableWith(5));
  assert.deepEqual(saved('saved-after-stop'), []);
  // The refused start added the VIP's service and its destinations before the fwmark service failed.
  assert.deepEqual(saved('saved-after-mh-start'), []);
});
