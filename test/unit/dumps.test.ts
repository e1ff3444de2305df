// keepalived's dumps, the pure part: the data, stats and JSON formatters against the layouts in
// keepalived 2.2.7's source (vrrp_data.c, vrrp_print.c, vrrp_json.c), the signal numbers of its
// --signum, the atomic write, and the layout comparison the lab test uses (test/dumps.test.ts
// compares the whole with Debian's keepalived).
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import type { InstanceStatus } from '../../runtime/src/control/status.ts';
import { addressWithPrefix, commandString, formatDataDump, formatTimestamp, type DumpInput } from '../../runtime/src/dumps/data.ts';
import { dumpDirectory, writeAtomically } from '../../runtime/src/dumps/dumper.ts';
import type { VrrpDumpFacts } from '../../runtime/src/dumps/facts.ts';
import { formatJsonDump } from '../../runtime/src/dumps/json.ts';
import { signalNumber } from '../../runtime/src/dumps/signals.ts';
import { formatStatsDump } from '../../runtime/src/dumps/stats.ts';
import { vrrpPlan } from '../../runtime/src/vrrp/from-config.ts';
import { layoutKeys, lineKey, sectionKeys } from './dump-layout.ts';

const CONFIG = `
global_defs {
  router_id lb1
}
vrrp_script chk {
  script "/usr/local/bin/check --quick"
  interval 2
  rise 2
  fall 3
  weight -20
}
vrrp_track_process daemon {
  process nginx
  weight 10
  quorum 2
  fork_delay 1
}
vrrp_sync_group G1 {
  group {
    VI_2
  }
  track_process {
    daemon
  }
  notify_master "/etc/keepalive/group master"
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  authentication {
    auth_type PASS
    auth_pass lb-pair
  }
  priority 150
  advert_int 1
  virtual_ipaddress {
    198.18.0.100/24
    198.18.0.110 dev eth1 label eth1:vip no_track
  }
  track_script {
    chk
  }
  notify_backup "/etc/keepalive/notify backup"
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  advert_int 0.5
  version 3
  unicast_src_ip 198.18.0.1
  unicast_peer {
    198.18.0.2
  }
  use_vmac vrrp.52
  virtual_ipaddress {
    198.18.0.101/24
  }
  virtual_ipaddress_excluded {
    2001:db8::1/64
  }
}
`;

const config = parseConfigText(CONFIG, '/etc/keepalive/keepalived.conf').config;
const specs = vrrpPlan(config).instances;
const NOW = Date.UTC(2026, 11, 5, 17, 2, 30, 488);

function status(name: string, over: Partial<InstanceStatus>): InstanceStatus {
  return {
    name, interface: 'eth0', vrid: 51, version: 2, family: 4, state: 'master', priority: { configured: 150, effective: 130 },
    masterAddress: undefined, faults: [], virtualAddresses: [], lastTransitionAt: new Date(NOW - 60_000).toISOString(),
    timers: { advertIntervalCs: 100, masterAdverIntervalCs: 100, skewTimeMs: 414, masterDownIntervalMs: 3414.0625, nextAdvertInMs: 250, masterDownInMs: undefined },
    counters: { advertsSent: 42, advertsReceived: 7, priorityZeroSent: 1, priorityZeroReceived: 2, becomeMaster: 3, releaseMaster: 2, rejects: { ttl: 4, 'auth-password': 3, 'auth-hmac': 2, 'auth-invalid': 1, 'auth-mismatch': 9, short: 1, 'address-count': 1, interval: 6, type: 7, 'address-list': 8, checksum: 9 } },
    transitions: [], masterPriority: 0, sourceAddress: '198.18.0.1',
    ...over,
  };
}

const instances = [
  status('VI_1', {}),
  status('VI_2', {
    vrid: 52, version: 3, state: 'backup', priority: { configured: 100, effective: 100 }, masterAddress: '198.18.0.2', masterPriority: 200,
    timers: { advertIntervalCs: 50, masterAdverIntervalCs: 100, skewTimeMs: 0, masterDownIntervalMs: 3609.375, nextAdvertInMs: undefined, masterDownInMs: 3000 },
  }),
];

const facts: VrrpDumpFacts = {
  specs,
  syncGroups: [{ name: 'G1', state: 'BACKUP' }],
  scripts: [{ name: 'chk', ok: true, running: false, initialized: true, streak: 1, insecure: false, uid: 65534, gid: 65534 }],
  files: [],
  processes: [{ name: 'daemon', count: 1, ok: false, delaying: 'fork' }],
  sockets: [{ fd: 21, interface: 'eth0', family: 4, protocol: 'VRRP', receiveBufferBytes: 1 << 20 }, { fd: 22, interface: 'vrrp.52', family: 4, protocol: 'VRRP', receiveBufferBytes: 1 << 20 }],
  interfaces: [
    { name: 'lo', index: 1, flags: 0x49, mtu: 65536, hardwareType: 772, mac: '00:00:00:00:00:00', broadcastMac: '00:00:00:00:00:00', ipv4: ['127.0.0.1'], ipv6: [], seenUp: true, ours: false, sysctl: { arpIgnore: 0, arpFilter: 0, promoteSecondaries: 0 } },
    { name: 'eth0', index: 2, flags: 0x1043, mtu: 1500, hardwareType: 1, mac: '02:00:00:00:00:01', broadcastMac: 'ff:ff:ff:ff:ff:ff', ipv4: ['198.18.0.1', '198.18.0.9'], ipv6: ['fe80::1'], seenUp: true, ours: false, sysctl: { arpIgnore: 1, arpFilter: 0, promoteSecondaries: 1 } },
    { name: 'vrrp.52', index: 5, flags: 0x1043, mtu: 1500, hardwareType: 1, mac: '00:00:5e:00:01:34', broadcastMac: 'ff:ff:ff:ff:ff:ff', ipv4: [], ipv6: [], seenUp: true, macvlan: { mode: 'private', parent: 'eth0', parentFlags: 0x1043 }, ours: true, sysctl: { arpIgnore: 0, arpFilter: 0, promoteSecondaries: 0 } },
  ],
  scriptUser: { uid: 65534, gid: 65534 },
};

const input: DumpInput = { config, instances, facts, hostname: 'lb1.example', umask: 0o22, now: NOW };

/** The lines of one block of the data dump: from its header to the next line indented by one space. */
function block(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(header);
  assert.ok(start >= 0, `no ${JSON.stringify(header)} in the dump`);
  const end = lines.findIndex((l, i) => i > start && (/^ \S/.test(l) || l.startsWith('------<')));
  return lines.slice(start, end < 0 ? undefined : end);
}

test('the stats dump is vrrp_print_stats\'s layout, with the reject reasons counted as keepalived\'s errors', () => {
  assert.equal(formatStatsDump([instances[0]!]), [
    'VRRP Instance: VI_1',
    '  Advertisements:', '    Received: 7', '    Sent: 42',
    '  Became master: 3', '  Released master: 2',
    '  Packet Errors:', '    Length: 2', '    TTL: 4', '    Invalid Type: 7', '    Advertisement Interval: 6', '    Address List: 8',
    '  Authentication Errors:', '    Invalid Type: 1', '    Type Mismatch: 9', '    Failure: 5',
    '  Priority Zero:', '    Received: 2', '    Sent: 1',
    '',
  ].join('\n'));
  assert.equal(formatStatsDump(instances).split('VRRP Instance: ').length, 3, 'one block per instance, nothing between');
});

test('the JSON dump is version 1: an array of {data, stats} with vrrp_json.c\'s fields in its order, empty lists and unset scripts left out', () => {
  const dump = JSON.parse(formatJsonDump(input)) as { data: Record<string, unknown>; stats: Record<string, number> }[];
  assert.ok(Array.isArray(dump), 'version 1 is a bare array (version 2 is an object)');
  assert.deepEqual(dump.map((e) => Object.keys(e)), [['data', 'stats'], ['data', 'stats']]);
  // vrrp_json_data_dump, field by field (vroutes, vrules and track_ifp are unset here).
  assert.deepEqual(Object.keys(dump[0]!.data), [
    'iname', 'dont_track_primary', 'skip_check_adv_addr', 'strict_mode', 'vmac_ifname', 'ifp_ifname', 'master_priority', 'last_transition',
    'garp_delay', 'garp_refresh', 'garp_rep', 'garp_refresh_rep', 'garp_lower_prio_delay', 'garp_lower_prio_rep', 'lower_prio_no_advert',
    'higher_prio_send_advert', 'vrid', 'base_priority', 'effective_priority', 'vipset', 'promote_secondaries', 'adver_int', 'master_adver_int',
    'accept', 'nopreempt', 'preempt_delay', 'state', 'wantstate', 'version', 'smtp_alert', 'notify_deleted',
    'script_backup', 'vips', 'track_script', 'auth_type', 'auth_data',
  ]);
  assert.deepEqual(Object.keys(dump[0]!.stats), [
    'advert_rcvd', 'advert_sent', 'become_master', 'release_master', 'packet_len_err', 'advert_interval_err', 'ip_ttl_err', 'invalid_type_rcvd',
    'addr_list_err', 'invalid_authtype', 'authtype_mismatch', 'auth_failure', 'pri_zero_rcvd', 'pri_zero_sent',
  ]);
  const [vi1, vi2] = [dump[0]!.data, dump[1]!.data];
  assert.deepEqual({ state: vi1['state'], vipset: vi1['vipset'], auth: [vi1['auth_type'], vi1['auth_data']], script: vi1['script_backup'], track: vi1['track_script'] },
    { state: 2, vipset: true, auth: [1, 'lb-pair'], script: "'/etc/keepalive/notify' 'backup'", track: ["'/usr/local/bin/check' '--quick'"] });
  assert.deepEqual(vi1['vips'], ['198.18.0.100/24 dev eth0 scope global set', '198.18.0.110 dev eth1 scope global label eth1:vip no_track set']);
  assert.equal(vi1['last_transition'], (NOW - 60_000) / 1000);
  assert.deepEqual({ state: vi2['state'], master: vi2['master_priority'], vmac: vi2['vmac_ifname'], ifp: vi2['ifp_ifname'], adver: vi2['adver_int'], master_adver: vi2['master_adver_int'] },
    { state: 1, master: 200, vmac: 'vrrp.52', ifp: 'vrrp.52', adver: 0.5, master_adver: 1 });
  assert.deepEqual(vi2['evips'], ['2001:db8::1/64 dev vrrp.52@eth0 scope global preferred_lft forever']);
  assert.equal(vi2['auth_type'], 0);
  assert.ok(!('auth_data' in vi2) && !('script_backup' in vi2) && !('track_script' in vi2));
  assert.deepEqual(dump[0]!.stats, { advert_rcvd: 7, advert_sent: 42, become_master: 3, release_master: 2, packet_len_err: 2, advert_interval_err: 6, ip_ttl_err: 4, invalid_type_rcvd: 7, addr_list_err: 8, invalid_authtype: 1, authtype_mismatch: 9, auth_failure: 5, pri_zero_rcvd: 2, pri_zero_sent: 1 });
  assert.ok(formatJsonDump(input).endsWith(']\n'));
});

test('the data dump has dump_data_vrrp\'s sections in order, and an instance\'s block follows dump_vrrp', () => {
  const text = formatDataDump(input);
  assert.deepEqual([...sectionKeys(text).keys()], ['Global definitions', 'VRRP Topology', 'VRRP Sockpool', 'VRRP Sync groups', 'VRRP Scripts', 'VRRP Track processes', 'Interfaces']);
  assert.ok(text.endsWith('\n') && !text.endsWith('\n\n'));
  assert.deepEqual(block(text, ' VRRP Instance = VI_2').slice(0, 20), [
    ' VRRP Instance = VI_2',
    '   VRRP Version = 3',
    '   Sync group = G1',
    '   State = BACKUP',
    '   Master router = 198.18.0.2',
    '   Master priority = 200',
    '   Master advert int = 1.00 sec',
    '   Flags:',
    '     Using unicast',
    '   Wantstate = BACKUP',
    '   Number of config faults = 0',
    '   Number of interface and track script faults = 0',
    '   Number of track scripts init = 0',
    '   Last transition = 1796490090.488000 (Sat Dec  5 17:01:30.488000 2026)',
    '   Read timeout = 1796490153.488000 (Sat Dec  5 17:02:33.488000 2026)',
    '   Master down timer = 3609375 usecs',
    '   Use VMAC, i/f name vrrp.52, is_up = true, xmit_base = false',
    '   Interface = vrrp.52, vmac on eth0',
    '   Using src_ip = 198.18.0.1 (from configuration)',
    '   Gratuitous ARP delay = 5',
  ]);
  const vi2 = block(text, ' VRRP Instance = VI_2');
  assert.ok(vi2.includes('   Advert interval = 500 milli-sec') && vi2.includes('   Master advert interval = 1000 milli-sec'));
  assert.deepEqual(vi2.slice(vi2.indexOf('   Virtual IP (1):')), [
    '   Virtual IP (1):', '     198.18.0.101/24 dev vrrp.52@eth0 scope global',
    '   Virtual IP Excluded :', '     2001:db8::1/64 dev vrrp.52@eth0 scope global preferred_lft forever',
    '   Check unicast src : no', '   Unicast Peer :', '     198.18.0.2 min_ttl 0 max_ttl 255', '   Unicast checksum compatibility = no',
    '   fd_in 21, fd_out 22',
    '   Using smtp notification = no', '   Notify deleted = Fault', '   Notify priority changes = false',
  ]);
  const vi1 = block(text, ' VRRP Instance = VI_1');
  assert.ok(vi1.includes('   Flags: none') && vi1.includes('   Authentication type = SIMPLE_PASSWORD') && vi1.includes('   Password = lb-pair'));
  assert.ok(vi1.includes('   Multicast address 224.0.0.18') && vi1.includes('   Read timeout = 1796490150.738000 (Sat Dec  5 17:02:30.738000 2026)'));
  assert.deepEqual(vi1.slice(vi1.indexOf('   Tracked scripts :')), [
    '   Tracked scripts :', '     chk weight -20',
    '   Using smtp notification = no', '   Notify deleted = Fault',
    "   Backup state transition script = '/etc/keepalive/notify' 'backup', uid:gid 65534:65534",
    '   Notify priority changes = false',
  ]);
});

test('the data dump\'s other sections: sockets, sync groups (their own trackers), scripts, processes and interfaces', () => {
  const text = formatDataDump(input);
  assert.deepEqual(block(text, ' fd_in 22 fd_out = 22'), [
    ' fd_in 22 fd_out = 22', '   Interface = vrrp.52', '   Family = IPv4', '   Protocol = VRRP', '   Type = Unicast', '   Address = 198.18.0.1',
    '   Rx buf size = 1048576', '   VRRP instances', '     VI_2 vrid 52',
  ]);
  assert.deepEqual(block(text, ' VRRP Sync Group = G1, BACKUP'), [
    ' VRRP Sync Group = G1, BACKUP', '   Num member fault 0, num member init 0', '   VRRP member instances :', '     VI_2',
    '   Using smtp notification = no', '   Tracked process :', '     daemon, weight 0',
    "   Master state transition script = '/etc/keepalive/group' 'master', uid:gid 65534:65534",
  ]);
  assert.deepEqual(block(text, ' VRRP Script = chk'), [
    ' VRRP Script = chk', "   Command = '/usr/local/bin/check' '--quick'", '   Interval = 2 sec', '   Timeout = 0 sec', '   Weight = -20',
    '   Rise = 2', '   Fall = 3', '   Result = 3', '   Insecure = no', '   Init state = unknown', '   Status = GOOD', '   Script uid:gid = 65534:65534',
    '   VRRP instances :', '   Tracking instances :', '     VI_1, weight -20', '   State = idle',
  ]);
  assert.deepEqual(block(text, ' VRRP Track process = daemon'), [
    ' VRRP Track process = daemon', '   Process = nginx', '   Min processes = 2', '   Current processes = 1', '   Have quorum = false', '   Weight = 10',
    '   Terminate delay = 0.000000s', '   Fork delay = 1.000000s', '   Fork delay timer running', '   Terminate delay timer not running', '   Full command = false',
    '   Tracking instances :', '     VI_2, weight 0',
  ]);
  assert.deepEqual(block(text, ' Name = eth0'), [
    ' Name = eth0', '   index = 2', '   IPv4 address = 198.18.0.1', '   Additional IPv4 addresses :', '     198.18.0.9', '   IPv6 address = fe80::1',
    '   MAC = 02:00:00:00:00:01', '   MAC broadcast = ff:ff:ff:ff:ff:ff', '   State = UP, RUNNING', '   Seen up = 1', '   Delayed state change running = false',
    '   Up debounce timer = 0us', '   Down debounce timer = 0us', '   MTU = 1500', '   HW Type = ETHERNET', '   NIC netlink status update',
    '   Reset ARP config counter 0', '   Original arp_ignore 1', '   Original arp_filter 0', '   Original promote_secondaries 1', '   Reset promote_secondaries counter 0',
    '   Tracking VRRP instances :', '     VI_1, weight 0', '     VI_2, weight 0',
  ]);
  const lo = block(text, ' Name = lo');
  assert.ok(lo.includes('   State = UP, RUNNING, no broadcast, loopback, no multicast') && lo.includes('   HW Type = LOOPBACK') && !lo.some((l) => l.startsWith('   MAC')));
  const vmac = block(text, ' Name = vrrp.52');
  assert.ok(vmac.includes('   VMAC type private, underlying interface = eth0, state = UP, RUNNING') && vmac.includes('   I/f created by keepalived'));
  const globals = text.slice(0, text.indexOf('------< VRRP Topology >------')).split('\n');
  assert.ok(globals.includes(' Router ID = lb1') && globals.includes(' Default script uid:gid 65534:65534') && globals.includes(' umask = 022'));
});

test('keepalived\'s formats: commands, addresses, times', () => {
  assert.equal(commandString('/bin/notify "two words" x'), "'/bin/notify' 'two words' 'x'");
  assert.equal(commandString('</etc/ready'), '</etc/ready');
  assert.equal(addressWithPrefix('198.18.0.1', 32), '198.18.0.1');
  assert.equal(addressWithPrefix('2001:db8::1', 64), '2001:db8::1/64');
  assert.equal(formatTimestamp(Date.UTC(2026, 0, 5, 3, 4, 5, 6)), '1767582245.006000 (Mon Jan  5 03:04:05.006000 2026)');
});

test('the signal numbers: keepalived\'s for the names its --signum takes, SIGRTMIN+2 and SIGRTMAX-1 from the C library\'s', () => {
  const glibc = { min: 34, max: 64 };
  assert.deepEqual(['STOP', 'RELOAD', 'DATA', 'STATS', 'STATS_CLEAR', 'JSON'].map((n) => signalNumber(n, glibc)), [15, 1, 10, 12, 63, 36]);
  assert.equal(signalNumber('TDUMP', glibc), undefined);
  assert.equal(signalNumber('json', glibc), undefined, 'names are case-sensitive, as keepalived\'s');
});

test('the dumps go to $TMPDIR when it is an absolute path, else /tmp, each written whole and renamed into place', () => {
  assert.equal(dumpDirectory({ TMPDIR: '/run/dumps' }), '/run/dumps');
  assert.equal(dumpDirectory({ TMPDIR: 'relative' }), '/tmp');
  assert.equal(dumpDirectory({}), '/tmp');
  const dir = mkdtempSync(`${tmpdir()}/dumps-`);
  try {
    writeAtomically(`${dir}/keepalived.stats`, 'one\n');
    const first = statSync(`${dir}/keepalived.stats`).ino;
    writeAtomically(`${dir}/keepalived.stats`, 'two\n');
    assert.equal(readFileSync(`${dir}/keepalived.stats`, 'utf8'), 'two\n');
    assert.notEqual(statSync(`${dir}/keepalived.stats`).ino, first, 'a new file renamed over the old one, not the old one rewritten');
    assert.equal(statSync(`${dir}/keepalived.stats`).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['keepalived.stats'], 'no temporary file left behind');
    assert.throws(() => writeAtomically(`${dir}/missing/keepalived.data`, 'x'), /ENOENT/);
    assert.deepEqual(readdirSync(dir), ['keepalived.stats']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the layout comparison: values do not count, a missing or renamed line does', () => {
  assert.equal(lineKey(' No test config before reload'), lineKey(' Test config before reload, log to /var/log/x'));
  assert.equal(lineKey(' nftables without counters'), lineKey(' nftables with counters'));
  assert.equal(lineKey(' libnftnl version 1.2.3'), lineKey(' libnftnl version (not linked: keepalive runs nft)'));
  assert.equal(lineKey('   Virtual IP (1):'), lineKey('   Virtual IP (12):'));
  assert.equal(lineKey(' fd_in 13 fd_out = 14'), 'fd_in fd_out');
  assert.equal(lineKey(' DBus service name = '), 'dbus service name');
  assert.notEqual(lineKey('   IPv4 address = 198.18.0.1'), lineKey('   IPv6 address = fe80::1'));
  const text = formatDataDump(input);
  const without = (line: string): string => text.split('\n').filter((l) => l !== line).join('\n');
  assert.notDeepEqual(layoutKeys(without('   Notify deleted = Fault')), layoutKeys(text));
  assert.notDeepEqual([...sectionKeys(without('------< VRRP Sockpool >------')).keys()], [...sectionKeys(text).keys()]);
  // List items are one key per list: a second VIP changes nothing, an emptied list does.
  assert.deepEqual(layoutKeys(text.replace('     198.18.0.101/24', '     198.18.0.101/24\n     198.18.0.102/24')), layoutKeys(text));
});

test('routes, rules, static addresses and AH, as keepalived prints them', () => {
  const routed = parseConfigText(`
static_ipaddress {
  198.19.249.1/32 dev eth0
}
static_routes {
  198.19.253.0/24 via 198.18.0.254 dev eth0 metric 5
}
static_rules {
  from 198.19.249.1/32 table 101 priority 101
}
vrrp_instance VI_3 {
  interface eth0
  virtual_router_id 53
  authentication {
    auth_type AH
    auth_pass k3y
  }
  virtual_ipaddress {
    198.18.0.103/24
  }
  virtual_routes {
    198.19.250.0/24 dev eth0 table 100
    blackhole 198.19.252.0/24
    198.19.251.0/24 nexthop via 198.18.0.2 dev eth0 nexthop via 198.18.0.3 dev eth0 weight 2
  }
  virtual_rules {
    from 198.18.0.103/32 table 100 priority 100
    to 198.19.0.0/16 fwmark 7 table 100 priority 110
  }
}
`, '/etc/keepalive/keepalived.conf').config;
  const routedSpecs = vrrpPlan(routed).instances;
  const routedInput: DumpInput = {
    ...input, config: routed, instances: [status('VI_3', { vrid: 53 })],
    facts: { ...facts, specs: routedSpecs, syncGroups: [], scripts: [], processes: [], sockets: [{ fd: 30, interface: 'eth0', family: 4, protocol: 'AH', receiveBufferBytes: 1 << 20 }] },
  };
  const text = formatDataDump(routedInput);
  assert.deepEqual([...sectionKeys(text).keys()], ['Global definitions', 'Static Addresses', 'Static Routes', 'Static Rules', 'VRRP Topology', 'VRRP Sockpool', 'Interfaces']);
  const lines = text.split('\n');
  const after = (heading: string): string => lines[lines.indexOf(heading) + 1]!;
  assert.equal(after('------< Static Addresses >------'), '     198.19.249.1 dev eth0 scope global set');
  assert.equal(after('------< Static Routes >------'), '     prepend 198.19.253.0/24 via inet 198.18.0.254 dev eth0 proto 18 metric 5');
  assert.equal(after('------< Static Rules >------'), '     from 198.19.249.1 priority 101 tos 0x0 lookup 101');
  const vi3 = block(text, ' VRRP Instance = VI_3');
  assert.ok(vi3.includes('   Authentication type = IPSEC_AH') && !vi3.some((l) => l.startsWith('   Password')), 'AH: its key is not printed');
  assert.ok(vi3.includes('   fd_in 30, fd_out 30'), 'the AH socket is the instance\'s');
  assert.deepEqual(vi3.slice(vi3.indexOf('   Virtual Routes :'), vi3.indexOf('   Virtual Rules :') + 3), [
    '   Virtual Routes :',
    '     prepend 198.19.250.0/24 dev eth0 table 100 proto 18',
    '     add blackhole 198.19.252.0/24 proto 18 no_track',
    '     prepend 198.19.251.0/24 proto 18 nexthop via inet 198.18.0.2 dev eth0 nexthop via inet 198.18.0.3 dev eth0 weight 2',
    '   Virtual Rules :',
    '     from 198.18.0.103 priority 100 tos 0x0 lookup 100',
    '     from all to 198.19.0.0/16 priority 110 tos 0x0 fwmark 0x7 lookup 100',
  ]);
  assert.ok(block(text, ' fd_in 30 fd_out = 30').includes('   Protocol = AH'));
  const [json] = JSON.parse(formatJsonDump(routedInput)) as { data: Record<string, unknown> }[];
  assert.deepEqual({ auth_type: json!.data['auth_type'], auth_data: json!.data['auth_data'], vrules: json!.data['vrules'] },
    { auth_type: 2, auth_data: 'k3y', vrules: ['from 198.18.0.103 priority 100 tos 0x0 lookup 100', 'from all to 198.19.0.0/16 priority 110 tos 0x0 fwmark 0x7 lookup 100'] });
  assert.deepEqual(Object.keys(json!.data).slice(Object.keys(json!.data).indexOf('vips')), ['vips', 'vroutes', 'vrules', 'auth_type', 'auth_data']);
});
