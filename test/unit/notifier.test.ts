// The notifier's ordering: scripts for one subject (an instance, a real server, a quorum) run in the
// order of their events, each after the one before has ended; other subjects do not wait for them.
// Real scripts, run as this test's own user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { Notifier } from '../../runtime/src/notify/notifier.ts';
import { lookupUser } from '../../runtime/src/notify/script.ts';
import type { InstanceSpec } from '../../runtime/src/vrrp/spec.ts';

function setUp(): { dir: string; notifier: Notifier; script: string; lines: () => string[] } {
  const dir = mkdtempSync(`${tmpdir()}/notifier-`);
  const script = `${dir}/notify.sh`;
  // Its first argument says how long to take before it writes its arguments down.
  writeFileSync(script, `#!/bin/sh\nsleep "$1"\nshift\necho "$*" >> ${dir}/log\n`);
  chmodSync(script, 0o755);
  const notifier = new Notifier({ routerId: 'r1', fifos: [], scriptUser: lookupUser(userInfo().username), scriptTimeoutMs: 5_000, scriptSecurity: false, smtp: undefined });
  const lines = (): string[] => readFileSync(`${dir}/log`, 'utf8').trim().split('\n');
  return { dir, notifier, script, lines };
}

test('notify scripts of one subject run one after another, in the order of their events', async () => {
  const { dir, notifier, script, lines } = setUp();
  try {
    notifier.script('real server rs1', script, ['0.4', 'rs1 DOWN'], 'notify_down');
    notifier.script('real server rs1', script, ['0', 'rs1 UP'], 'notify_up');
    // Another subject's script is not held up by rs1's slow one.
    notifier.script('real server rs2', script, ['0.1', 'rs2 DOWN'], 'notify_down');
    await notifier.drain();
    assert.deepEqual(lines(), ['rs2 DOWN', 'rs1 DOWN', 'rs1 UP']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an instance\'s transitions reach its scripts in order, the state\'s own script before the generic one', async () => {
  const { dir, notifier, script, lines } = setUp();
  try {
    // A slow notify_master must not let the STOP that follows at once overtake it.
    const spec = { name: 'VI_1', smtpAlert: false, notify: { master: `${script} 0.4 own-master`, stop: `${script} 0 own-stop`, any: `${script} 0` } } as unknown as InstanceSpec;
    notifier.instanceTransition(spec, { at: '', from: 'backup', to: 'master', reason: 'test' }, 150);
    notifier.instanceTransition(spec, { at: '', from: 'master', to: 'initialize', reason: 'test' }, 150);
    await notifier.drain();
    assert.deepEqual(lines(), ['own-master', 'INSTANCE VI_1 MASTER 150', 'own-stop', 'INSTANCE VI_1 STOP 150']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sync group\'s scripts get GROUP, its name, the state and priority 0', async () => {
  const { dir, notifier, script, lines } = setUp();
  try {
    const group = { name: 'G1', members: ['VI_1', 'VI_2'], smtpAlert: false, notify: { master: `${script} 0.2 own-group-master`, any: `${script} 0` } };
    notifier.groupTransition(group, 'MASTER');
    notifier.groupTransition(group, 'FAULT');
    await notifier.drain();
    assert.deepEqual(lines(), ['own-group-master', 'GROUP G1 MASTER 0', 'GROUP G1 FAULT 0']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
