// FILE_CHECK: keepalived's rule for a tracked file's number (the result for each case, exactly), then
// in `keepalive run` on a lab host with the nftables dataplane: the file's number moves the real
// server's weight in the table, a fault takes it out, and 0 with a weight-0 check brings it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { waitFor } from './lab/exec.ts';
import { keepalive, keepaliveStatus } from './lab/implementations.ts';
import { checkerStatus } from '../runtime/src/control/status.ts';
import { fileCheckResult } from '../runtime/src/checker/file.ts';

test('the tracked number: weight 0 makes non-zero a fault (reverse: zero); otherwise number x weight is added to the server\'s weight', () => {
  const r = (weight: number, reverse: boolean, value: number) => {
    const { ok, weight: w } = fileCheckResult({ weight, reverse, baseWeight: 10 }, value, 0);
    return [ok, w];
  };
  assert.deepEqual(r(0, false, 0), [true, 10]);
  assert.deepEqual(r(0, false, 3), [false, undefined]);
  assert.deepEqual(r(0, true, 0), [false, undefined]);
  assert.deepEqual(r(0, true, 3), [true, 10]);
  assert.deepEqual(r(2, false, 5), [true, 20]);
  assert.deepEqual(r(2, true, 3), [true, 4]);
  assert.deepEqual(r(1, false, -50), [true, 0], 'the weight does not go below 0');
  assert.deepEqual(r(1, false, 70_000), [true, 65_535], 'nor above the IPVS maximum');
  assert.deepEqual(r(65_535, false, -2), [false, undefined], 'IPVS_WEIGHT_FAULT and below take it down');
});

test('FILE_CHECK in keepalive run: the file moves the real server\'s weight in the table, takes it out, and brings it back', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['lb', 'rs'], ssh: false, management: false });
  const [lb, rs] = [lab.host('lb'), lab.host('rs')];
  const vip = addressIn(lab.segment().subnets.v4, 100);
  const file = '/run/keepalive-weight';
  lb.writeFile(file, '0\n');
  await keepalive.start(lb, [
    'track_file weight_file {', `  file ${file}`, '  weight 2', '}',
    `virtual_server ${vip} 80 {`, '  delay_loop 0.2', '  lb_algo wrr', '  lb_kind NAT', '  protocol TCP',
    `  real_server ${rs.ipv4()} 80 {`, '    weight 10', '    FILE_CHECK {', '      track_file weight_file', '    }', '  }', '}',
  ].join('\n'));
  // Undefined until the checker child has applied the configuration.
  const server = async () => checkerStatus(await keepaliveStatus(lb))?.virtualServers[0]?.realServers[0];
  const expect = (what: string, up: boolean, inTable: number | null) => waitFor(what, async () => {
    const s = await server();
    return s?.up === up && s.inTable === inTable ? s : undefined;
  }, { timeoutMs: 10_000 });
  await expect('weight 10 with the file at 0', true, 10);
  lb.writeFile(file, '5\n');
  await expect('weight 10 + 5 x 2', true, 20);
  lb.writeFile(file, '-40000\n');
  const down = await expect('out of the table at -80000, a fault', false, null);
  assert.match(down.checks[0]!.last!.reason, /file holds -40000: weight -65536 is a fault/);
  lb.writeFile(file, '-2\n');
  await expect('back at 10 - 4', true, 6);
});
