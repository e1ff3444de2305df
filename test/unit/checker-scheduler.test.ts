// The checker schedule, driven by a fake clock: when checks run, when retries happen, when a check
// and its server go down and come back, alpha, misc_dynamic weights, and no overlapping runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckSchedule, checkKey, type CheckTiming, type ScheduleEvent } from '../../runtime/src/checker/scheduler.ts';
import type { CheckResult } from '../../runtime/src/checker/check.ts';
import { waitFor } from '../lab/exec.ts';

const timing: CheckTiming = { delayLoopMs: 1000, retry: 2, delayBeforeRetryMs: 100 };
const pass = (weight?: number): CheckResult => (weight === undefined ? { ok: true, reason: 'fine', ms: 1 } : { ok: true, reason: 'fine', weight, ms: 1 });
const fail: CheckResult = { ok: false, reason: 'refused', ms: 1 };
const K = checkKey('rs1', 'tcp');

/** Runs the due check `key` at `now` with `result`, returning the events. */
function runAt(s: CheckSchedule, key: string, now: number, result: CheckResult): ScheduleEvent[] {
  assert.ok(s.due(now).includes(key), `${key} due at ${now}`);
  s.start(key, now);
  return s.finish(key, result, now);
}

test('a passing check runs at once, then every delay_loop counted from the end of its run', () => {
  const s = new CheckSchedule([{ id: 'rs1', weight: 3, checks: [{ id: 'tcp', timing }] }], 0);
  assert.deepEqual(s.due(0), [K]);
  s.start(K, 0);
  assert.deepEqual(s.due(5000), [], 'not due while running');
  assert.equal(s.nextDueAt(), undefined);
  assert.deepEqual(s.finish(K, pass(), 40), []);
  assert.equal(s.nextDueAt(), 1040);
  assert.deepEqual(s.due(1039), []);
  assert.deepEqual(runAt(s, K, 1040, pass()), []);
  assert.deepEqual(s.server('rs1'), { up: true, weight: 3 });
});

test('a failure is retried `retry` times delay_before_retry apart, then the check and its server go down', () => {
  const s = new CheckSchedule([{ id: 'rs1', weight: 1, checks: [{ id: 'tcp', timing }] }], 0);
  assert.deepEqual(runAt(s, K, 0, fail), []);
  assert.equal(s.nextDueAt(), 100);
  assert.deepEqual(runAt(s, K, 100, fail), []);
  assert.equal(s.nextDueAt(), 200);
  assert.deepEqual(s.server('rs1').up, true, 'still up while retrying');
  assert.deepEqual(runAt(s, K, 200, fail), [
    { kind: 'check', server: 'rs1', check: 'tcp', up: false, reason: 'refused' },
    { kind: 'server', server: 'rs1', up: false, weight: 1 },
  ]);
  assert.equal(s.nextDueAt(), 1200, 'a down check is tried again after delay_loop');
  assert.deepEqual(runAt(s, K, 1200, fail), [], 'failures of a down check are not news');
  assert.equal(s.nextDueAt(), 2200, 'and are not retried');
  assert.deepEqual(runAt(s, K, 2200, pass()), [
    { kind: 'check', server: 'rs1', check: 'tcp', up: true, reason: 'fine' },
    { kind: 'server', server: 'rs1', up: true, weight: 1 },
  ], 'one success brings it back');
});

test('a success during the retries resets them', () => {
  const s = new CheckSchedule([{ id: 'rs1', weight: 1, checks: [{ id: 'tcp', timing }] }], 0);
  runAt(s, K, 0, fail);
  runAt(s, K, 100, fail);
  assert.deepEqual(runAt(s, K, 200, pass()), []);
  assert.equal(s.nextDueAt(), 1200);
  runAt(s, K, 1200, fail);
  runAt(s, K, 1300, fail);
  assert.equal(s.server('rs1').up, true, 'two failures after a success are still within retry 2');
  assert.equal(runAt(s, K, 1400, fail).length, 2);
});

test('retry 0 means down on the first failure', () => {
  const s = new CheckSchedule([{ id: 'rs1', weight: 1, checks: [{ id: 'tcp', timing: { ...timing, retry: 0 } }] }], 0);
  assert.equal(runAt(s, K, 0, fail).length, 2);
  assert.equal(s.server('rs1').up, false);
});

test('with alpha, checks start down and a server joins only after all its checks pass', () => {
  const s = new CheckSchedule([{ id: 'rs1', weight: 2, checks: [{ id: 'tcp', timing, startUp: false }, { id: 'http', timing, startUp: false }] }], 0);
  assert.deepEqual(s.server('rs1'), { up: false, weight: 2 });
  assert.deepEqual(runAt(s, K, 0, pass()).map((e) => e.kind), ['check']);
  assert.deepEqual(runAt(s, checkKey('rs1', 'http'), 0, pass()), [
    { kind: 'check', server: 'rs1', check: 'http', up: true, reason: 'fine' },
    { kind: 'server', server: 'rs1', up: true, weight: 2 },
  ]);
  // An alpha check that fails is already down: no retries, straight to delay_loop.
  const t = new CheckSchedule([{ id: 'rs1', weight: 2, checks: [{ id: 'tcp', timing, startUp: false }] }], 0);
  assert.deepEqual(runAt(t, K, 0, fail), []);
  assert.equal(t.nextDueAt(), 1000);
});

test('a check with a first-run delay (warmup) is not due before it', () => {
  const s = new CheckSchedule([{ id: 'rs1', weight: 1, checks: [{ id: 'tcp', timing, firstRunInMs: 250 }, { id: 'http', timing }] }], 0);
  assert.deepEqual(s.startDue(0), [checkKey('rs1', 'http')]);
  assert.equal(s.nextDueAt(), 250);
  assert.deepEqual(s.startDue(249), []);
  assert.deepEqual(s.startDue(250), [K]);
});

test('a server is down while any of its checks is down; a server without checks is always up', () => {
  const s = new CheckSchedule([
    { id: 'rs1', weight: 1, checks: [{ id: 'tcp', timing: { ...timing, retry: 0 } }, { id: 'http', timing: { ...timing, retry: 0 } }] },
    { id: 'rs2', weight: 5, checks: [] },
  ], 0);
  assert.deepEqual(s.server('rs2'), { up: true, weight: 5 });
  assert.equal(runAt(s, K, 0, fail).length, 2);
  assert.deepEqual(runAt(s, checkKey('rs1', 'http'), 0, fail).map((e) => e.kind), ['check'], 'the server was already down');
  assert.deepEqual(runAt(s, K, 1000, pass()).map((e) => e.kind), ['check'], 'http is still down');
  assert.deepEqual(runAt(s, checkKey('rs1', 'http'), 1000, pass()).map((e) => e.kind), ['check', 'server']);
  assert.deepEqual(s.due(1e9).sort(), [K, checkKey('rs1', 'http')].sort(), 'rs2 has nothing to run');
});

test('misc_dynamic weights set the server weight; a plain success restores the configured one', () => {
  const M = checkKey('rs1', 'misc');
  const s = new CheckSchedule([{ id: 'rs1', weight: 10, checks: [{ id: 'misc', timing }] }], 0);
  assert.deepEqual(runAt(s, M, 0, pass(3)), [{ kind: 'server', server: 'rs1', up: true, weight: 3 }]);
  assert.deepEqual(runAt(s, M, 1000, pass(3)), [], 'the same weight again is no change');
  assert.deepEqual(runAt(s, M, 2000, pass()), [{ kind: 'server', server: 'rs1', up: true, weight: 10 }]);
  assert.deepEqual(runAt(s, M, 3000, pass(0)), [{ kind: 'server', server: 'rs1', up: true, weight: 0 }]);
});

test('one run at a time, only when due, and nonsense is refused', () => {
  const s = new CheckSchedule([{ id: 'rs1', weight: 1, checks: [{ id: 'tcp', timing }] }], 0);
  assert.throws(() => s.finish(K, pass(), 0), /not running/);
  s.start(K, 0);
  assert.throws(() => s.start(K, 0), /already running/);
  s.finish(K, pass(), 10);
  assert.throws(() => s.start(K, 500), /not due/);
  assert.throws(() => s.check('nope'), /no check/);
  assert.throws(() => new CheckSchedule([{ id: 'a', weight: 1, checks: [] }, { id: 'a', weight: 1, checks: [] }], 0), /twice/);
  assert.throws(() => new CheckSchedule([{ id: 'a', weight: 1, checks: [{ id: 'x', timing }, { id: 'x', timing }] }], 0), /two checks/);
  assert.throws(() => new CheckSchedule([{ id: 'a', weight: 1, checks: [{ id: 'x', timing: { ...timing, delayLoopMs: 0 } }] }], 0), /delay_loop/);
  assert.throws(() => new CheckSchedule([{ id: 'a', weight: 1, checks: [{ id: 'x', timing: { ...timing, retry: 1.5 } }] }], 0), /retry/);
});

test('a long run of one check does not hold back another: each is due on its own clock', () => {
  const fast = checkKey('rs1', 'fast');
  const slow = checkKey('rs1', 'slow');
  const s = new CheckSchedule([{ id: 'rs1', weight: 1, checks: [{ id: 'fast', timing }, { id: 'slow', timing }] }], 0);
  s.start(slow, 0); // and it hangs for a long time
  for (let now = 0; now < 10_000; now += 1000) runAt(s, fast, now, pass());
  assert.deepEqual(s.due(10_000), [fast]);
  assert.equal(s.check(slow).running, true);
});

test('simulated: a server that fails from t=5s is down by 5s + delay_loop + retry * delay_before_retry', () => {
  // A fake clock loop, as the adapter runs it, with runs taking 30 ms.
  const s = new CheckSchedule([{ id: 'rs1', weight: 1, checks: [{ id: 'tcp', timing }] }], 0);
  const events: { at: number; e: ScheduleEvent }[] = [];
  let now = 0;
  while (now < 20_000) {
    for (const key of s.due(now)) {
      s.start(key, now);
      const healthy = now < 5000 || now >= 12_000;
      for (const e of s.finish(key, healthy ? pass() : fail, now + 30)) events.push({ at: now + 30, e });
    }
    now = s.nextDueAt()!;
  }
  const serverEvents = events.filter((x) => x.e.kind === 'server');
  assert.equal(serverEvents.length, 2);
  const [down, up] = serverEvents;
  assert.ok(down!.at >= 5000 && down!.at <= 5000 + 1030 + 2 * 130, `down at ${down!.at}`);
  assert.equal((down!.e as { up: boolean }).up, false);
  assert.ok(up!.at >= 12_000 && up!.at <= 12_000 + 1030, `up at ${up!.at}`);
});

test('the timer adapter: a slow check runs one at a time and the fast one stays on schedule', { timeout: 30_000 }, async (t) => {
  const { CheckScheduler } = await import('../../runtime/src/checker/scheduler.ts');
  const SLOW_RUN_MS = 400;
  const fastTiming = { delayLoopMs: 50, retry: 0, delayBeforeRetryMs: 0 };
  const fastStarts: number[] = [];
  let slowRunning = 0;
  let slowRuns = 0;
  let slowMaxConcurrent = 0;
  const events: ScheduleEvent[] = [];
  const scheduler = new CheckScheduler([{
    id: 'rs1', weight: 1,
    checks: [
      { id: 'fast', timing: fastTiming, spec: { kind: 'TCP_CHECK', host: 'fast', port: 1, timeoutMs: 10 } },
      { id: 'slow', timing: fastTiming, spec: { kind: 'TCP_CHECK', host: 'slow', port: 1, timeoutMs: 10 } },
    ],
  }], {
    onEvent: (e) => events.push(e),
    run: async (spec) => {
      if (spec.kind !== 'TCP_CHECK' || spec.host === 'fast') {
        fastStarts.push(performance.now());
        return pass();
      }
      slowRunning++;
      slowRuns++;
      slowMaxConcurrent = Math.max(slowMaxConcurrent, slowRunning);
      await new Promise((r) => setTimeout(r, SLOW_RUN_MS));
      slowRunning--;
      return fail;
    },
  });
  scheduler.start();
  // Judged by events, not by a fixed window: the slow check has finished two runs and is in its
  // third, and the fast one has run throughout.
  await waitFor('two slow runs and a third under way', () => (slowRuns >= 3 && slowRunning === 1 ? true : undefined), { timeoutMs: 20_000, intervalMs: 5 });
  const stopping = performance.now();
  const startsBeforeStop = fastStarts.length;
  await scheduler.stop();
  const stopMs = performance.now() - stopping;
  assert.equal(slowRunning, 0, 'stop() waited for the slow run under way');
  // It waits for that run (at most SLOW_RUN_MS), never for another: that would take another SLOW_RUN_MS.
  assert.ok(stopMs < 2 * SLOW_RUN_MS, `stop() took ${stopMs.toFixed(0)} ms`);
  // Nothing runs after stop(): a fast run would be due every 50 ms, so four periods would show one.
  await new Promise((r) => setTimeout(r, 4 * fastTiming.delayLoopMs));
  assert.equal(fastStarts.length, startsBeforeStop, 'nothing runs after stop()');
  assert.equal(slowMaxConcurrent, 1);
  // The fast check was never queued behind a slow run: no gap between its runs as long as one.
  const gaps = fastStarts.slice(1).map((at, i) => at - fastStarts[i]!);
  const largest = Math.max(...gaps);
  assert.ok(fastStarts.length >= 2 * SLOW_RUN_MS / fastTiming.delayLoopMs, `fast ran ${fastStarts.length} times over two slow runs`);
  assert.ok(largest < SLOW_RUN_MS, `largest gap between fast runs ${largest.toFixed(0)} ms, a slow run is ${SLOW_RUN_MS} ms`);
  gaps.sort((a, b) => a - b);
  t.diagnostic(`fast runs ${fastStarts.length}; gaps p50 ${gaps[Math.floor(gaps.length / 2)]!.toFixed(1)} ms, largest ${largest.toFixed(1)} ms; stop ${stopMs.toFixed(0)} ms`);
  assert.deepEqual(events.filter((e) => e.kind === 'server'), [{ kind: 'server', server: 'rs1', up: false, weight: 1 }]);
  assert.deepEqual(scheduler.server('rs1'), { up: false, weight: 1 });
});

test('startDue takes due checks earliest first and agrees with due() over a long random run', () => {
  const servers = Array.from({ length: 40 }, (_, i) => ({
    id: `rs${i}`, weight: 1,
    checks: [{ id: 'c', timing: { delayLoopMs: 100 + (i % 7) * 37, retry: i % 3, delayBeforeRetryMs: 10 + (i % 5) * 13 } }],
  }));
  const s = new CheckSchedule(servers, 0);
  assert.deepEqual(s.startDue(0), servers.map((x) => checkKey(x.id, 'c')), 'all at once, in configuration order');
  let seed = 1;
  const random = (): number => (seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff;
  const running = new Map<string, number>(); // key -> when its run ends
  for (const x of servers) running.set(checkKey(x.id, 'c'), random() * 50);
  let now = 0;
  let runsStarted = 0;
  while (now < 20_000) {
    // Finish the runs that end by now, then start what is due, checking against the plain scan.
    for (const [key, end] of [...running].sort((a, b) => a[1] - b[1])) {
      if (end > now) continue;
      running.delete(key);
      s.finish(key, random() < 0.3 ? fail : pass(), now);
    }
    const expected = s.due(now);
    const started = s.startDue(now);
    assert.deepEqual([...started].sort(), [...expected].sort(), `at ${now}`);
    const dueTimes = started.map((k) => s.check(k).dueAt);
    assert.deepEqual(dueTimes, [...dueTimes].sort((a, b) => a - b), 'earliest first');
    for (const key of started) running.set(key, now + random() * 50);
    runsStarted += started.length;
    now = Math.min(s.nextDueAt() ?? Infinity, ...running.values());
  }
  assert.ok(runsStarted > 2000, `${runsStarted} runs`);
});
