// runtime/src/net against the real kernel: rtnetlink, raw IP sockets, AF_PACKET, inside lab hosts.
// Each step runs test/fixtures/net/tool.ts in a host (its own network namespace), and the test
// checks the result with `ip -j`, with tshark on the segment, or with a receiver in another host.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import type { Host } from './lab/host.ts';
import { ProcessStream } from './lab/capture.ts';
import { addressIn } from './lab/addressing.ts';
import * as native from '../runtime/src/net/native.ts';

const T = { timeout: 120_000 };
const TOOL = fileURLToPath(new URL('./fixtures/net/tool.ts', import.meta.url));
const BUILD = fileURLToPath(new URL('../runtime/native/build.sh', import.meta.url));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

before(() => { execFileSync(BUILD, { stdio: 'ignore' }); });

/** Runs the tool to completion in a host and returns its single JSON line. */
async function tool(host: Host, ...args: string[]): Promise<Json> {
  const { stdout } = await host.exec([process.execPath, TOOL, ...args]);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as Json;
}

const rtnl = (host: Host, op: string, arg: Json = {}): Promise<Json> => tool(host, 'rtnl', op, JSON.stringify(arg));

/** A long-running tool in a host (a receiver, an event listener), as a stream of its JSON lines. */
class ToolStream extends ProcessStream<Json> {
  protected parse(line: string): Json | undefined {
    try { return JSON.parse(line) as Json; } catch { return undefined; }
  }

  static async start(lab: Lab, host: Host, ...args: string[]): Promise<ToolStream> {
    const stream = new ToolStream([...host.nsExec, process.execPath, TOOL, ...args], lab.env);
    if (stream.pid !== undefined) lab.track(stream.pid);
    await stream.waitFor('the tool to be ready', (r) => r.ready === true, 10_000);
    return stream;
  }
}

interface AddrInfo { local: string; prefixlen: number; label?: string; family: string; scope: string }

async function addrInfo(host: Host, ifname = 'eth0'): Promise<AddrInfo[]> {
  const { stdout } = await host.exec(['ip', '-j', 'addr', 'show', 'dev', ifname]);
  return (JSON.parse(stdout) as { addr_info: AddrInfo[] }[])[0]?.addr_info ?? [];
}

test('the socket addon: datagrams with poll callbacks, null on EAGAIN, errors with errno names (AF_UNIX, no network)', async () => {
  // struct sockaddr_un with an abstract name (leading NUL): nothing on disk, nothing on any network.
  const unixAddress = (name: string): Buffer => {
    const b = Buffer.alloc(2 + 1 + name.length);
    b.writeUInt16LE(1, 0); // AF_UNIX, host order on x86-64/arm64
    b.write(name, 3);
    return b;
  };
  const name = `keepalive-test-${process.pid}`;
  const receiver = native.socket(1, 2, 0); // AF_UNIX, SOCK_DGRAM
  const sender = native.socket(1, 2, 0);
  try {
    native.bind(receiver, unixAddress(name));
    assert.equal(native.recvmsg(receiver, 100), null, 'nothing waiting: null, not an exception');
    const got: string[] = [];
    let wake: () => void = () => {};
    const handle = native.poll(receiver, (error) => {
      assert.equal(error, null);
      for (let r; (r = native.recvmsg(receiver, 100));) got.push(r.data.toString());
      wake();
    });
    assert.equal(native.sendto(sender, Buffer.from('one'), unixAddress(name)), 3);
    native.sendto(sender, Buffer.from('two'), unixAddress(name));
    await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 2000); });
    assert.deepEqual(got, ['one', 'two']);
    native.unpoll(handle);
    native.unpoll(handle); // twice is harmless
    native.sendto(sender, Buffer.from('three'), unixAddress(name));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(got, ['one', 'two'], 'no callbacks after unpoll');
    assert.equal(native.recvmsg(receiver, 100)?.data.toString(), 'three');
    const truncated = (native.sendto(sender, Buffer.from('four'), unixAddress(name)), native.recvmsg(receiver, 2));
    assert.deepEqual([truncated?.data.toString(), (truncated!.flags & 0x20) !== 0], ['fo', true], 'MSG_TRUNC is reported');
  } finally {
    native.close(receiver);
    native.close(sender);
  }
  assert.throws(() => native.close(receiver), (e: Error) => native.isSystemError(e, 'EBADF') && e.syscall === 'close' && e.errno === 9);
  assert.throws(() => native.socket(12345, 3, 0), (e: Error) => native.isSystemError(e, 'EAFNOSUPPORT'));
  assert.throws(() => native.ifNameToIndex('no-such-if'), (e: Error) => native.isSystemError(e, 'ENODEV'));
  assert.throws(() => native.bind(-1, Buffer.alloc(0)), (e: Error) => native.isSystemError(e, 'EBADF'));
  assert.throws(() => native.setsockopt(0, 1, 2, 'x' as unknown as Buffer), TypeError);
  assert.equal(native.ifIndexToName(native.ifNameToIndex('lo')), 'lo');
});

test('the socket addon raises the open-file limit, never lowers it, and stops at the hard limit it may not move', () => {
  const limits = (): { soft: number; hard: number } => {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
    const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/).map(Number);
    return { soft: soft!, hard: hard! };
  };
  const before = limits();
  assert.equal(native.raiseFileLimit(16), before.soft, 'a smaller wish changes nothing');
  assert.deepEqual(limits(), before);
  // Beyond the kernel's ceiling (fs.nr_open) nobody may go, root included: the soft limit ends at the hard one.
  const ceiling = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8'));
  assert.equal(native.raiseFileLimit(Math.min(ceiling + 1, 2 ** 31 - 1)), before.hard);
  assert.deepEqual(limits(), { soft: before.hard, hard: before.hard });
});

test('rtnetlink adds and deletes IPv4 and IPv6 VIPs; a duplicate add is EEXIST, a missing delete EADDRNOTAVAIL', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const v4 = addressIn(lab.segment().subnets.v4, 100);
  const v6 = addressIn(lab.segment().subnets.v6, 0x100);
  const vip4 = { ifname: 'eth0', address: v4, prefixLength: 24, label: 'eth0:vip' };
  const vip6 = { ifname: 'eth0', address: v6, prefixLength: 64, noDad: true };

  assert.deepEqual(await rtnl(h1, 'addAddress', vip4), { ok: null });
  assert.deepEqual(await rtnl(h1, 'addAddress', vip6), { ok: null });
  const added = await addrInfo(h1);
  assert.deepEqual(added.find((a) => a.local === v4), { ...added.find((a) => a.local === v4), prefixlen: 24, label: 'eth0:vip' });
  assert.ok(added.some((a) => a.local === v6 && a.prefixlen === 64), JSON.stringify(added));

  const duplicate = await rtnl(h1, 'addAddress', vip4);
  assert.equal(duplicate.error?.code, 'EEXIST');
  assert.match(duplicate.error?.message, new RegExp(`^add ${v4.replaceAll('.', '\\.')}/24 on eth0: EEXIST`));

  // The dump sees what `ip` sees, with the flags the kernel keeps (IFA_F_NODAD on the IPv6 one).
  const listed = (await rtnl(h1, 'listAddresses', { ifname: 'eth0' })).ok as Json[];
  const ifindex = Number((await h1.exec(['cat', '/sys/class/net/eth0/ifindex'])).stdout);
  assert.ok(listed.some((a) => a.address === v4 && a.label === 'eth0:vip' && a.ifindex === ifindex));
  assert.ok(listed.some((a) => a.address === v6 && (a.flags & 0x02) !== 0));

  assert.deepEqual(await rtnl(h1, 'deleteAddress', vip4), { ok: null });
  assert.deepEqual(await rtnl(h1, 'deleteAddress', vip6), { ok: null });
  const after = await addrInfo(h1);
  assert.ok(!after.some((a) => a.local === v4 || a.local === v6), JSON.stringify(after));
  const missing = await rtnl(h1, 'deleteAddress', vip4);
  assert.equal(missing.error?.code, 'EADDRNOTAVAIL');
  assert.match(missing.error?.message, /^delete .* from eth0: EADDRNOTAVAIL/);
});

test('rtnetlink creates a macvlan with the VRRP virtual MAC, sets it up, lists links and deletes it', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const created = (await rtnl(h1, 'createMacvlan', { name: 'vrrp.51', parent: 'eth0', mac: '00:00:5e:00:01:33' })).ok as Json;
  assert.equal(created.name, 'vrrp.51');
  assert.equal(created.kind, 'macvlan');
  assert.equal(created.macvlanMode, 'private');
  assert.equal(created.up, false);
  const [shown] = JSON.parse((await h1.exec(['ip', '-j', '-d', 'link', 'show', 'dev', 'vrrp.51'])).stdout) as Json[];
  assert.equal(shown?.address, '00:00:5e:00:01:33');
  assert.equal(shown?.linkinfo?.info_kind, 'macvlan');
  assert.equal(shown?.linkinfo?.info_data?.mode, 'private');
  assert.equal(shown?.link, 'eth0');

  assert.deepEqual(await rtnl(h1, 'setLinkUp', { index: created.index }), { ok: null });
  const links = (await rtnl(h1, 'listLinks')).ok as Json[];
  const vmac = links.find((l) => l.name === 'vrrp.51');
  assert.equal(vmac?.up, true);
  assert.equal(vmac?.mac, '00:00:5e:00:01:33');
  const eth0 = links.find((l) => l.name === 'eth0');
  assert.equal(vmac?.parentIndex, eth0?.index);
  assert.deepEqual([eth0?.up, eth0?.running, eth0?.operstate, eth0?.mac], [true, true, 'up', h1.iface().mac]);

  const again = await rtnl(h1, 'createMacvlan', { name: 'vrrp.51', parent: 'eth0', mac: '00:00:5e:00:01:33' });
  assert.equal(again.error?.code, 'EEXIST');
  assert.deepEqual(await rtnl(h1, 'deleteLink', { index: created.index }), { ok: null });
  assert.equal((await h1.exec(['ip', 'link', 'show', 'dev', 'vrrp.51'], { allowFailure: true })).code, 1);
  assert.equal((await rtnl(h1, 'deleteLink', { index: created.index })).error?.code, 'ENODEV');
});

test('a gratuitous ARP from the packet socket is on the wire with the right sender MAC and IP', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const vip = addressIn(lab.segment().subnets.v4, 100);
  await using capture = await lab.capture();
  await tool(h1, 'garp', 'eth0', vip);
  const own = await capture.waitFor('the gratuitous ARP', (f) => f.arp?.senderIp === vip);
  assert.deepEqual({ from: own.from, srcMac: own.srcMac, ...own.arp }, {
    from: 'h1', srcMac: h1.iface().mac, opcode: 1, senderMac: h1.iface().mac, senderIp: vip, targetIp: vip,
  });
  // With the virtual MAC of VRID 0x33 as source and sender: what use_vmac announces.
  await tool(h1, 'garp', 'eth0', vip, '00:00:5e:00:01:33');
  const virtual = await capture.waitFor('the virtual-MAC gratuitous ARP', (f) => f.arp?.senderMac === '00:00:5e:00:01:33');
  assert.deepEqual([virtual.srcMac, virtual.arp?.senderIp, virtual.arp?.targetIp], ['00:00:5e:00:01:33', vip, vip]);
});

test('an unsolicited neighbour advertisement goes to ff02::1 with hop limit 255 and the VIP as target', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const vip = addressIn(lab.segment().subnets.v6, 0x100);
  await using capture = await lab.capture();
  await tool(h1, 'na', 'eth0', vip);
  const na = await capture.waitFor('the neighbour advertisement', (f) => f.neighbourAdvert?.target === vip);
  assert.deepEqual([na.from, na.icmpType, na.ttl, na.ipDst, na.srcMac], ['h1', 136, 255, 'ff02::1', h1.iface().mac]);
  assert.match(na.ipSrc ?? '', /^fe80::/, 'from the link-local address');
});

for (const family of [4, 6] as const) {
  test(`protocol 112 over IPv${family}: multicast and unicast arrive with TTL 255, the source, and the destination from ancillary data`, T, async () => {
    await using lab = await Lab.create({ hosts: ['h1', 'h2'], ssh: false, management: false });
    const [h1, h2] = [lab.host('h1'), lab.host('h2')];
    const group = family === 4 ? '224.0.0.18' : 'ff02::12';
    const unicast = family === 4 ? h2.ipv4() : h2.ipv6();
    await using rx = await ToolStream.start(lab, h2, 'recv', String(family), 'eth0', group, '4');
    const ifindex = rx.records[0]?.ifindex as number;
    // A listener on the sender's own host: multicast loop is off, so it must hear nothing of h1's.
    await using echo = await ToolStream.start(lab, h1, 'recv', String(family), 'eth0', group, '1');
    // A socket in h2 that joined no group, while another socket of h2's did: over IPv4 it gets unicast
    // only; over IPv6 the kernel gives an unbound raw socket the group's packets too (see raw-socket.ts).
    await using unicastOnly = await ToolStream.start(lab, h2, 'recv', String(family), 'eth0', '', '10');

    await tool(h1, 'send', String(family), 'eth0', group, '31016401');
    await tool(h1, 'send', String(family), 'eth0', unicast, '31026402');
    // An explicit source (unicast_src_ip): a second address of h1's, through IP_PKTINFO / IPV6_PKTINFO.
    const second = family === 4 ? addressIn(lab.segment().subnets.v4, 200) : addressIn(lab.segment().subnets.v6, 0x200);
    await h1.exec(['ip', 'addr', 'add', `${second}/${family === 4 ? 24 : 64}`, 'dev', 'eth0', ...(family === 6 ? ['nodad'] : [])]);
    await tool(h1, 'send', String(family), 'eth0', unicast, '31036403', second);
    // TTL and hop limit are read from each packet, not assumed: one sent with 64 arrives with 64.
    await tool(h1, 'send', String(family), 'eth0', group, '31046404', '-', '64');

    const got = (hex: string): Promise<Json> => rx.waitFor(`the packet ${hex}`, (r) => r.data === hex, 10_000);
    const [multi, uni, sourced] = [await got('31016401'), await got('31026402'), await got('31036403')];
    const linkLocal = (await addrInfo(h1)).find((a) => a.family === 'inet6' && a.scope === 'link')?.local;
    assert.deepEqual([multi.source, multi.destination, multi.ttl, multi.ifindex], [family === 4 ? h1.ipv4() : linkLocal, group, 255, ifindex]);
    assert.deepEqual([uni.source, uni.destination, uni.ttl, uni.ifindex], [family === 4 ? h1.ipv4() : h1.ipv6(), unicast, 255, ifindex]);
    assert.deepEqual([sourced.source, sourced.destination, sourced.ttl], [second, unicast, 255]);
    assert.equal((await got('31046404')).ttl, 64);
    assert.deepEqual(echo.records.filter((r) => r.data !== undefined), [], 'no looped-back multicast');
    const expected = family === 4 ? ['31026402', '31036403'] : ['31016401', '31026402', '31036403', '31046404'];
    await unicastOnly.waitFor('the last expected packet', (r) => r.data === expected.at(-1), 5_000);
    assert.deepEqual(unicastOnly.records.flatMap((r) => r.data ?? []), expected);
    if (family === 4) {
      // The IPv4 header is exposed as received: version 4, protocol 112, TTL 255.
      const header = Buffer.from(multi.ipHeader as string, 'hex');
      assert.deepEqual([header[0]! >> 4, header[9], header[8]], [4, 112, 255]);
    } else {
      assert.equal(multi.ipHeader, undefined);
    }
  });
}

test('rtnetlink events report a link going down and up, and addresses added and removed', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  await using events = await ToolStream.start(lab, h1, 'events', '1000');
  await h1.setLink('eth0', 'down');
  const down = await events.waitFor('eth0 down', (e) => e.kind === 'link' && e.link.name === 'eth0' && !e.link.up);
  assert.equal(down.action, 'new');
  assert.equal(down.link.running, false);
  await h1.setLink('eth0', 'up');
  const up = await events.waitFor('eth0 up and running', (e) => e.kind === 'link' && e.link.name === 'eth0' && e.link.up && e.link.running);
  assert.equal(up.link.operstate, 'up');

  const vip = addressIn(lab.segment().subnets.v4, 100);
  await h1.exec(['ip', 'addr', 'add', `${vip}/24`, 'dev', 'eth0']);
  await events.waitFor('the VIP added', (e) => e.kind === 'address' && e.action === 'add' && e.address.address === vip && e.address.prefixLength === 24);
  await h1.exec(['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
  await events.waitFor('the VIP removed', (e) => e.kind === 'address' && e.action === 'delete' && e.address.address === vip);
  assert.ok(!events.records.some((e) => e.overrun), 'no events were lost');
});

test('rtnetlink adds, lists and deletes IPv4/IPv6 routes (gateway, table, metric, blackhole) and rules, and reports hand deletions', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1'], ssh: false, management: false });
  const h1 = lab.host('h1');
  const gw4 = addressIn(lab.segment().subnets.v4, 254);
  const gw6 = addressIn(lab.segment().subnets.v6, 0xfe);
  const ifindex = Number((await h1.exec(['cat', '/sys/class/net/eth0/ifindex'])).stdout);
  const via4 = { destination: '198.19.200.0', prefixLength: 24, gateway: gw4, ifindex, table: 100, metric: 7 };
  const hole4 = { destination: '198.19.201.0', prefixLength: 24, type: 'blackhole' };
  const via6 = { destination: '2001:db8:ff::', prefixLength: 48, gateway: gw6, ifindex };
  const rule4 = { family: 4, from: { address: '198.19.202.0', prefixLength: 24 }, table: 100, priority: 1000, fwmark: 5 };
  for (const r of [via4, hole4, via6]) assert.deepEqual(await rtnl(h1, 'addRoute', r), { ok: null }, JSON.stringify(r));
  assert.deepEqual(await rtnl(h1, 'addRule', rule4), { ok: null });

  // `ip` sees what we added, with keepalived's protocol number.
  const shown = JSON.parse((await h1.exec(['ip', '-j', 'route', 'show', 'table', '100'])).stdout) as Json[];
  assert.deepEqual(shown.map((r) => [r.dst, r.gateway, r.metric, r.protocol]), [['198.19.200.0/24', gw4, 7, 'keepalived']]);
  assert.match((await h1.exec(['ip', 'route', 'show', '198.19.201.0/24'])).stdout, /^blackhole 198\.19\.201\.0\/24 proto keepalived/);
  assert.match((await h1.exec(['ip', '-6', 'route', 'show', '2001:db8:ff::/48'])).stdout, new RegExp(`via ${gw6} dev eth0 proto keepalived`));
  assert.match((await h1.exec(['ip', 'rule', 'show', 'pref', '1000'])).stdout, /^1000:\s+from 198\.19\.202\.0\/24 fwmark 0x5 lookup 100/);

  // The dumps decode the same routes and rules.
  const routes4 = (await rtnl(h1, 'listRoutes', { family: 4 })).ok as Json[];
  assert.ok(routes4.some((r) => r.destination === '198.19.200.0' && r.table === 100 && r.metric === 7 && r.gateway === gw4 && r.protocol === 18));
  assert.ok(routes4.some((r) => r.destination === '198.19.201.0' && r.type === 'blackhole'));
  const rules4 = (await rtnl(h1, 'listRules', { family: 4 })).ok as Json[];
  assert.ok(rules4.some((r) => r.priority === 1000 && r.table === 100 && r.fwmark === 5 && r.from?.address === '198.19.202.0'));

  const duplicate = await rtnl(h1, 'addRoute', via4);
  assert.equal(duplicate.error?.code, 'EEXIST');
  assert.match(duplicate.error?.message, /^add route 198\.19\.200\.0\/24 via .* dev eth0 table 100: EEXIST/);

  // A deletion by hand arrives as an event, as the VRRP child needs it to put a route or rule back.
  await using events = await ToolStream.start(lab, h1, 'route-events', '1000');
  await h1.exec(['ip', 'route', 'del', '198.19.200.0/24', 'table', '100']);
  await events.waitFor('the route deleted', (e) => e.kind === 'route' && e.action === 'delete' && e.route.destination === '198.19.200.0' && e.route.table === 100);
  await h1.exec(['ip', 'rule', 'del', 'pref', '1000']);
  await events.waitFor('the rule deleted', (e) => e.kind === 'rule' && e.action === 'delete' && e.rule.priority === 1000);

  for (const r of [hole4, via6]) assert.deepEqual(await rtnl(h1, 'deleteRoute', r), { ok: null });
  assert.equal((await rtnl(h1, 'deleteRoute', hole4)).error?.code, 'ESRCH');
  assert.equal((await rtnl(h1, 'deleteRule', rule4)).error?.code, 'ENOENT');
  assert.equal((await h1.exec(['ip', 'route', 'show', '198.19.201.0/24'])).stdout.trim(), '');
});
