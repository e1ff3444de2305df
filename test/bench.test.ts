// The benchmarks run end to end (one short run), so that they cannot rot between measurements.
// Their figures are not asserted here: speed is judged by reading them, not by a timed test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('the failover benchmark measures every fault and prints a row for each', { timeout: 180_000 }, () => {
  const r = spawnSync(process.execPath, ['bench/failover.ts', '--runs', '1', '--config', 'v3'], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
  assert.equal(r.status, 0, r.stderr);
  for (const fault of ['kill (MDI)', 'term (skew)', 'partition (MDI)']) {
    const row = r.stdout.split('\n').find((l) => l.startsWith('keepalived') && l.includes(fault));
    assert.ok(row, `no row for ${fault}:\n${r.stdout}`);
    // The formula column: Skew_Time after a resignation, Master_Down_Interval otherwise (priority 100, 10 cs).
    const formula = fault.startsWith('term') ? '60\\.9' : '360\\.9';
    assert.match(row, new RegExp(`\\(\\w+\\)\\s+${formula}\\s`));
  }
});

test('the failover benchmark refuses an unknown implementation or configuration', () => {
  const cwd = new URL('..', import.meta.url).pathname;
  const impl = spawnSync(process.execPath, ['bench/failover.ts', '--impl', 'nope'], { encoding: 'utf8', cwd });
  assert.notEqual(impl.status, 0);
  assert.match(impl.stderr, /unknown implementation "nope"; available: keepalived, keepalive, keepalive-bundle/);
  const config = spawnSync(process.execPath, ['bench/failover.ts', '--config', 'v4'], { encoding: 'utf8', cwd });
  assert.notEqual(config.status, 0);
  assert.match(config.stderr, /--config takes v2, v3 or both/);
});

test('the IPVS programming benchmark runs end to end in the UML kernel (a small table)', { timeout: 180_000 }, () => {
  const r = spawnSync(process.execPath, ['bench/ipvs-programming.ts', '--services', '5', '--destinations', '2'], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /keepalive \(generic netlink, 15 operations\): \d+ ms/);
  assert.match(r.stdout, /a reconcile with nothing to change: 0 operations/);
});
