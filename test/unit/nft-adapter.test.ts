// The nftables adapter against the real nft and kernel, in a network namespace made for the test
// (an `unshare --net` process holds it; nft reaches it through a wrapper that enters it), so the
// machine's own ruleset is never touched.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { NftError, NftablesDataplane, runNft } from '../../runtime/src/lb/nftables/nftables.ts';
import { InvalidServicesError } from '../../runtime/src/lb/nftables/render.ts';
import type { VirtualService } from '../../runtime/src/lb/model.ts';

const holder = spawn('unshare', ['--net', 'sleep', '300'], { stdio: 'ignore' });
// Until unshare(2) has run in the holder, /proc/PID/ns/net is still this machine's namespace: nothing
// may reach nft before the holder's namespace is its own (a table once landed in the machine's ruleset).
const machineNetns = readlinkSync('/proc/self/ns/net');
for (let waited = 0; readlinkSync(`/proc/${holder.pid}/ns/net`) === machineNetns; waited += 10) {
  if (waited >= 5_000) throw new Error('unshare --net did not make its namespace within 5 s');
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const dir = mkdtempSync(`${tmpdir()}/nft-adapter-`);
const nft = `${dir}/nft`;
writeFileSync(nft, `#!/bin/sh\nexec nsenter --net=/proc/${holder.pid}/ns/net nft "$@"\n`, { mode: 0o755 });
after(() => {
  holder.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const inNamespace = (...args: string[]): string => {
  const r = spawnSync(nft, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

const web: VirtualService = {
  key: 'web', protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'wrr', persistenceSeconds: 60,
  destinations: [{ address: '198.18.1.1', port: 80, weight: 2 }, { address: '198.18.1.2', port: 80, weight: 1 }],
};

test('apply replaces the table, reads back without drift, keeps other tables, and close removes only its own', async () => {
  inNamespace('add', 'table', 'ip', 'other');
  const dataplane = new NftablesDataplane({ nft, reason: 'the kernel has no IPVS' });
  assert.deepEqual(dataplane.describe(), { kind: 'nftables', reason: 'the kernel has no IPVS' });
  assert.deepEqual(await dataplane.drift(), [], 'nothing applied, nothing to compare');
  await dataplane.apply([web]);
  assert.match(inNamespace('list', 'table', 'inet', 'keepalive'), /numgen inc mod 3 map \{ 0-1 : 198\.18\.1\.1 \. 80, 2 : 198\.18\.1\.2 \. 80 \}/);
  assert.deepEqual(await dataplane.drift(), []);

  // Clients the packet path remembered do not count as drift, and survive the next apply.
  inNamespace('add', 'element', 'inet', 'keepalive', 'persist_tcp_198_18_0_100_80', '{ 198.18.0.7 : 198.18.1.2 }');
  assert.deepEqual(await dataplane.drift(), []);
  await dataplane.apply([{ ...web, destinations: [...web.destinations, { address: '198.18.1.3', port: 80, weight: 1 }] }]);
  assert.match(inNamespace('list', 'map', 'inet', 'keepalive', 'persist_tcp_198_18_0_100_80'), /198\.18\.0\.7 expires \S+ : 198\.18\.1\.2 }/);

  inNamespace('delete', 'chain', 'inet', 'keepalive', 'unserved');
  const drift = await dataplane.drift();
  assert.deepEqual(drift.map((l) => l.slice(0, 8)), ['- chain ']);
  assert.deepEqual(await dataplane.repair(), drift);
  assert.deepEqual(await dataplane.drift(), []);

  await dataplane.close();
  assert.equal(inNamespace('list', 'tables'), 'table ip other\n');
  await dataplane.close(); // closing twice is harmless
  assert.deepEqual(await dataplane.drift(), []);
});

test('bad services are refused before nft runs; nft failures carry its stderr; nft runs are bounded', async () => {
  const never = new NftablesDataplane({ nft: `${dir}/no-such-nft` });
  await assert.rejects(never.apply([{ ...web, port: 0 }]), InvalidServicesError);
  await assert.rejects(never.apply([web]), (e: unknown) => e instanceof NftError && /cannot run .*no-such-nft/.test(e.message));

  const refused = await runNft(nft, ['-f', '-'], 'table inet keepalive {\n  chain c {\n    numgen sometimes\n  }\n}\n', 10_000).catch((e: unknown) => e);
  assert.ok(refused instanceof NftError);
  assert.match(refused.stderr, /syntax error/);
  assert.match(refused.message, /\/nft -f -: exit 1\n.*syntax error/s);

  const started = Date.now();
  await assert.rejects(runNft('sleep', ['5'], '', 200), /killed after 200 ms/);
  assert.ok(Date.now() - started < 2_000);
});

test('traffic: counted per service and destination, kept over an apply, not drift; lo traffic counts once', async () => {
  // The namespace's lo: a client and a server on it, the service's VIP DNATed to the server. Looped
  // back, each packet passes output and then input: counted on the way out only.
  spawnSync('nsenter', [`--net=/proc/${holder.pid}/ns/net`, 'ip', 'link', 'set', 'lo', 'up']);
  const local: VirtualService = {
    key: 'local', protocol: 'tcp', address: '127.0.0.100', port: 80, scheduler: 'rr',
    destinations: [{ address: '127.0.0.1', port: 8080, weight: 1 }, { address: '127.0.0.2', port: 8080, weight: 0 }],
  };
  const dataplane = new NftablesDataplane({ nft });
  assert.deepEqual(await dataplane.traffic(), [], 'nothing applied, nothing counted');
  await dataplane.apply([local, web]);
  const exchange = `${dir}/exchange.mjs`;
  // CONNECTIONS connections, each a request line and a reply, then both ends close.
  writeFileSync(exchange, `import { createServer, connect } from 'node:net';
const server = createServer((s) => { s.once('data', () => s.end('pong\\n')); }).listen(8080, '127.0.0.1', async () => {
  for (let i = 0; i < Number(process.argv[2]); i++) {
    await new Promise((resolve, reject) => {
      const c = connect(80, '127.0.0.100', () => c.write('ping\\n'));
      c.on('data', () => {}).on('end', () => { c.end(); resolve(); }).on('error', reject);
    });
  }
  server.close();
});
`);
  const exchangeIn = (connections: number): void => {
    const r = spawnSync('nsenter', [`--net=/proc/${holder.pid}/ns/net`, process.execPath, exchange, String(connections)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
  };
  exchangeIn(5);
  const [counted, untouched] = await dataplane.traffic();
  assert.deepEqual(counted!.service, { family: 4, protocol: 'tcp', address: '127.0.0.100', port: 80 });
  const c = counted!.counters;
  assert.equal(c.connections, 5);
  // A connection's packets each way: at least the handshake, the request (or reply), and the close.
  assert.ok(c.inPackets >= 5 * 4 && c.outPackets >= 5 * 3, JSON.stringify(c));
  assert.ok(c.inBytes >= c.inPackets * 52 && c.outBytes >= c.outPackets * 52, JSON.stringify(c));
  assert.deepEqual(counted!.destinations.map((d) => [d.address, d.port, d.counters]), [
    ['127.0.0.1', 8080, c],
    ['127.0.0.2', 8080, { connections: 0, inPackets: 0, outPackets: 0, inBytes: 0, outBytes: 0 }],
  ]);
  assert.equal(untouched!.counters.connections, 0);
  assert.deepEqual(await dataplane.drift(), [], 'counting is not drift');

  // An apply (a weight changes) keeps what was counted; more traffic adds to it.
  await dataplane.apply([{ ...local, destinations: [{ ...local.destinations[0]!, weight: 3 }, local.destinations[1]!] }, web]);
  assert.deepEqual((await dataplane.traffic())[0]!.counters, c);
  exchangeIn(2);
  const after = (await dataplane.traffic())[0]!.counters;
  assert.equal(after.connections, 7);
  assert.ok(after.inBytes > c.inBytes && after.outBytes > c.outBytes, JSON.stringify({ c, after }));
  await dataplane.close();
});
