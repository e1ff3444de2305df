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
