// The guard that fails a test file whose process outlives its tests (test/outlive-guard.ts), run the
// way `npm test` runs it, over a file that leaves a connection open and over one that does not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;

function runUnderGuard(file: string): { status: number | null; output: string; ms: number } {
  // A runner of its own, not a file's process of this one's: without the mark this process carries.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', './test/outlive-guard.ts', '--test', file], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...env, KEEPALIVE_TEST_OUTLIVE_MS: '1000' },
  });
  return { status: result.status, output: result.stdout + result.stderr, ms: performance.now() - started };
}

test('a file whose process outlives its tests fails, naming the file and the open connection', { timeout: 90_000 }, () => {
  const { status, output, ms } = runUnderGuard('test/fixtures/outlive/holds-a-socket.ts');
  assert.equal(status, 1, output);
  assert.match(output, /test\/fixtures\/outlive\/holds-a-socket\.ts: its process is still alive 1 s after its tests ended, held by a socket 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+/);
  assert.match(output, /ℹ pass 1\n[^]*ℹ fail 1/);
  assert.ok(ms < 30_000, `the hang was caught after ${Math.round(ms)} ms`);
});

test('a file that leaves nothing open passes under the guard without waiting for it', { timeout: 90_000 }, () => {
  const { status, output, ms } = runUnderGuard('test/unit/faults.test.ts');
  assert.equal(status, 0, output);
  assert.doesNotMatch(output, /still alive/);
  assert.ok(ms < 30_000, `took ${Math.round(ms)} ms`);
});
