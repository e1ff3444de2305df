// The notifier's ordering: scripts for one subject (an instance, a real server, a quorum) run in the
// order of their events, each after the one before has ended; other subjects do not wait for them.
// Real scripts, run as this test's own user. Nothing here depends on how long a script takes: a slow
// script is one that blocks on a gate (a FIFO) until the test releases it, and "has not started" is
// judged at a moment when it would certainly have started had the notifier not held it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import { Notifier, NotifyTally } from '../../runtime/src/notify/notifier.ts';
import { lookupUser } from '../../runtime/src/notify/script.ts';
import type { InstanceSpec, SyncGroupSpec } from '../../runtime/src/vrrp/spec.ts';
import { sleep, waitFor } from '../lab/exec.ts';
import { captureLog, childrenWith, childCommands } from './notify-support.ts';
import { processGone } from '../lab/processes.ts';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import { vrrpPlan } from '../../runtime/src/vrrp/from-config.ts';
import { checkerPlan } from '../../runtime/src/checker/from-config.ts';

interface Setup {
  dir: string;
  notifier: Notifier;
  /** What the notifier counted: runs and failures by kind. */
  tally: NotifyTally;
  script: string;
  lines: () => string[];
  gate: (name: string) => string;
  release: (name: string) => Promise<void>;
  /** Whether a script run with `word` among its arguments has started: it is running now, or it wrote its line. */
  started: (word: string) => boolean;
  /** Script runs, running or done, that mention `word`: the argv of those running, the lines of those done. */
  runs: (word: string) => string[];
  [Symbol.asyncDispose]: () => Promise<void>;
}

function setUp(scriptTimeoutMs = 10_000): Setup {
  const dir = mkdtempSync(`${tmpdir()}/notifier-`);
  const script = `${dir}/notify.sh`;
  // notify.sh GATE WORDS...: with GATE "-" it writes WORDS down and ends. Otherwise it writes
  // "start WORDS", blocks opening the FIFO GATE until the test opens it to write a line, and writes
  // "end WORDS".
  writeFileSync(script, [
    '#!/bin/sh',
    'gate=$1; shift',
    `if [ "$gate" = - ]; then echo "$*" >> ${dir}/log; exit 0; fi`,
    `echo "start $*" >> ${dir}/log`,
    `read go < ${dir}/"$gate"`,
    `echo "end $*" >> ${dir}/log`,
    '',
  ].join('\n'), { mode: 0o755 });
  // By default a generous timeout: it only matters if a test fails with a script still at its gate.
  const tally = new NotifyTally();
  const notifier = new Notifier({ routerId: 'r1', fifos: [], scriptUser: lookupUser(userInfo().username), scriptTimeoutMs, scriptSecurity: false, smtp: undefined }, undefined, tally);
  const lines = (): string[] => { try { return readFileSync(`${dir}/log`, 'utf8').trim().split('\n'); } catch { return []; } };
  return {
    dir, notifier, tally, script, lines,
    gate: (name) => { execFileSync('mkfifo', [`${dir}/${name}`]); return name; },
    // Opening a FIFO to write without blocking succeeds only once a reader has it open, that is once
    // the script is waiting at its gate; until then the open fails with ENXIO and is tried again.
    release: async (name) => {
      const fd = await waitFor(`the script behind gate ${name} to wait there`, () => {
        try { return openSync(`${dir}/${name}`, constants.O_WRONLY | constants.O_NONBLOCK); } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENXIO') return undefined;
          throw e;
        }
      });
      writeSync(fd, 'go\n');
      closeSync(fd);
    },
    // Each run logs before it exits, and is this process's child from spawn() until it exits: one of
    // the two is true from the moment the notifier starts it.
    started: (word) => childrenWith(word).length > 0 || lines().some((l) => l === word || l === `start ${word}`),
    runs: (word) => [...childrenWith(word).map((argv) => argv.join(' ')), ...lines().filter((l) => l.split(' ').includes(word))],
    async [Symbol.asyncDispose]() {
      // A failed test may leave scripts at their gates, and queued ones behind them: they are ours,
      // so each is ended by pid as it starts, until none is left.
      let drained = false;
      void notifier.drain().then(() => { drained = true; });
      while (!drained) {
        // runScript makes each script the leader of its own process group: the group goes, with
        // anything the script started.
        for (const [pid, argv] of childCommands()) if (argv.some((a) => a.startsWith(dir))) process.kill(-pid, 'SIGKILL');
        await sleep(20);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('notify scripts of one subject run one after another, in the order of their events', async () => {
  await using s = setUp();
  s.notifier.script('real server rs1', 'notify_down', s.script, [s.gate('rs1-down'), 'rs1 DOWN'], 'notify_down');
  s.notifier.script('real server rs1', 'notify_up', s.script, [s.gate('rs1-up'), 'rs1 UP'], 'notify_up');
  // Another subject's script is not held up by rs1's blocked one.
  s.notifier.script('real server rs2', 'notify_down', s.script, [s.gate('rs2-down'), 'rs2 DOWN'], 'notify_down');
  await waitFor('rs1 DOWN and rs2 DOWN to start', () => (s.started('rs1 DOWN') && s.started('rs2 DOWN') ? true : undefined));
  // rs1 UP was queued before rs2 DOWN: run without waiting for rs1 DOWN, it would have been spawned
  // before rs2 DOWN was, and so would be running or done by now.
  assert.equal(s.started('rs1 UP'), false, 'rs1 UP started while rs1 DOWN was still running');
  await s.release('rs2-down');
  await waitFor('rs2 DOWN to end', () => (s.lines().includes('end rs2 DOWN') ? true : undefined));
  assert.equal(s.started('rs1 UP'), false, 'rs1 UP started while rs1 DOWN was still running');
  await s.release('rs1-down');
  // rs1 UP can reach its gate only now.
  await s.release('rs1-up');
  await s.notifier.drain();
  const lines = s.lines();
  assert.deepEqual(lines.slice(0, 2).sort(), ['start rs1 DOWN', 'start rs2 DOWN']);
  assert.deepEqual(lines.slice(2), ['end rs2 DOWN', 'end rs1 DOWN', 'start rs1 UP', 'end rs1 UP']);
});

test('an instance\'s transitions reach its scripts in order, the state\'s own script before the generic one', async () => {
  await using s = setUp();
  // A notify_master that blocks must not let the generic script, or the STOP that follows at once,
  // overtake it.
  const spec = (name: string, notify: object): InstanceSpec => ({ name, smtpAlert: false, notify } as unknown as InstanceSpec);
  const vi1 = spec('VI_1', { master: `${s.script} ${s.gate('master')} own-master`, stop: `${s.script} - own-stop`, any: `${s.script} -` });
  s.notifier.instanceTransition(vi1, { at: '', from: 'backup', to: 'master', reason: 'test' }, 150);
  s.notifier.instanceTransition(vi1, { at: '', from: 'master', to: 'initialize', reason: 'test' }, 150);
  // Another instance, after them: once its script has run, VI_1's would have too, had they not waited.
  s.notifier.instanceTransition(spec('VI_2', { any: `${s.script} -` }), { at: '', from: 'backup', to: 'master', reason: 'test' }, 100);
  await waitFor('own-master to start and VI_2\'s script to run', () => (s.started('own-master') && s.lines().includes('INSTANCE VI_2 MASTER 100') ? true : undefined));
  // The generic script gets VI_1 as an argument; the STOP one is own-stop.
  assert.deepEqual([...s.runs('VI_1'), ...s.runs('own-stop')], [], 'a script of VI_1 ran while own-master was still running');
  await s.release('master');
  await s.notifier.drain();
  const lines = s.lines();
  assert.deepEqual(lines.slice(0, 2).sort(), ['INSTANCE VI_2 MASTER 100', 'start own-master']);
  assert.deepEqual(lines.slice(2), ['end own-master', 'INSTANCE VI_1 MASTER 150', 'own-stop', 'INSTANCE VI_1 STOP 150']);
});

test('a sync group\'s scripts get GROUP, its name, the state and priority 0', async () => {
  await using s = setUp();
  const group = (name: string, notify: object): SyncGroupSpec => ({ name, members: ['VI_1', 'VI_2'], smtpAlert: false, notify } as unknown as SyncGroupSpec);
  const g1 = group('G1', { master: `${s.script} ${s.gate('master')} own-group-master`, any: `${s.script} -` });
  s.notifier.groupTransition(g1, 'MASTER');
  s.notifier.groupTransition(g1, 'FAULT');
  s.notifier.groupTransition(group('G2', { any: `${s.script} -` }), 'BACKUP');
  await waitFor('own-group-master to start and G2\'s script to run', () => (s.started('own-group-master') && s.lines().includes('GROUP G2 BACKUP 0') ? true : undefined));
  assert.deepEqual(s.runs('G1'), [], 'G1\'s generic script ran while own-group-master was still running');
  await s.release('master');
  await s.notifier.drain();
  const lines = s.lines();
  assert.deepEqual(lines.slice(0, 2).sort(), ['GROUP G2 BACKUP 0', 'start own-group-master']);
  assert.deepEqual(lines.slice(2), ['end own-group-master', 'GROUP G1 MASTER 0', 'GROUP G1 FAULT 0']);
});

test('a notify script is killed at the timeout: 15 s in both children by default, TERM then KILL for its whole process group', async (t) => {
  // The default, as the VRRP and checker children get it from a keepalived.conf that says nothing.
  const { config } = parseConfigText('vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n', 'keepalived.conf');
  assert.equal(vrrpPlan(config).notifier.scriptTimeoutMs, 15_000);
  assert.equal(checkerPlan(config).notifier.scriptTimeoutMs, 15_000);

  // The same code path at a bound this test can wait for.
  const timeoutMs = 300;
  await using s = setUp(timeoutMs);
  // A script that notes and ignores TERM, leaves behind a child that ignores TERM as well, and never
  // ends by itself; the times are the wall clock in ms, as Date.now() gives it.
  const hang = `${s.dir}/hang.sh`;
  writeFileSync(hang, [
    '#!/bin/sh',
    `trap 'echo "TERM $(date +%s%3N)" >> ${s.dir}/log' TERM`,
    `sh -c 'trap "" TERM; exec sleep 1000' &`,
    `echo "$$ $!" > ${s.dir}/pids`,
    `echo started >> ${s.dir}/log`,
    'while :; do sleep 0.05; done',
    '',
  ].join('\n'), { mode: 0o755 });
  const log = captureLog();
  try {
    const t0 = Date.now();
    s.notifier.script('instance VI_1', 'notify_master', hang, [], 'notify_master of VI_1');
    // The next script of the same subject runs once the killed one is gone.
    s.notifier.script('instance VI_1', 'notify', s.script, ['-', 'after'], 'notify of VI_1');
    await waitFor('the script to start', () => (s.lines().includes('started') ? true : undefined));
    const [pid, child] = readFileSync(`${s.dir}/pids`, 'utf8').trim().split(' ').map(Number) as [number, number];
    // Bounded, so that a script that is never killed fails the test (and is ended by the clean-up).
    await waitFor('the script and its child to be gone', () => (processGone(pid) && processGone(child) ? true : undefined), { timeoutMs: 10_000 });
    const elapsed = Date.now() - t0;
    await s.notifier.drain();
    const lines = s.lines();
    assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['started', 'TERM', 'after']);
    const termAfter = Number(lines[1]!.split(' ')[1]) - t0;
    t.diagnostic(`TERM ${termAfter} ms after the script was queued (timeout ${timeoutMs} ms); the run ended after ${elapsed} ms`);
    // Both the script and the child it left are gone (waited for above): the KILL went to the whole
    // group. TERM at the timeout, not before (Node's timers may fire up to 1 ms early by the wall clock);
    // KILL a second after TERM, since TERM was ignored.
    assert.ok(termAfter >= timeoutMs - 1, `TERM came ${termAfter} ms after the start`);
    assert.ok(elapsed >= timeoutMs + 1000 - 1, `the script was gone after ${elapsed} ms, before TERM's second of grace`);
    assert.ok(log.lines.some((l) => l.endsWith(`WARN: notify_master of VI_1: ${hang} timed out after ${timeoutMs} ms and was killed`)), log.lines.join('\n'));
    // The metrics' counts: a timed-out run is a failure; the one after it ran well.
    assert.deepEqual(s.tally.counts(), { notify_master: { runs: 1, failures: 1 }, notify: { runs: 1, failures: 0 } });
  } finally {
    log.stop();
    // Should the kill have missed anything, the script's group (its pid is the group's id) goes now:
    // the notifier waits for the script's output pipes, which a survivor would hold open.
    try { process.kill(-Number(readFileSync(`${s.dir}/pids`, 'utf8').split(' ')[0]), 'SIGKILL'); } catch { /* all gone, as it should be */ }
  }
});
