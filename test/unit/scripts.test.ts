import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { defaultScriptUser, insecureScriptPath, lookupUser, runScript, splitCommand } from '../../runtime/src/notify/script.ts';
import { nextRespawnDelay } from '../../runtime/src/watchdog/backoff.ts';
import { processGone } from '../lab/processes.ts';

test('script lines split like keepalived: whitespace, quotes, no shell', () => {
  assert.deepEqual(splitCommand('/usr/local/bin/notify.sh master'), ['/usr/local/bin/notify.sh', 'master']);
  assert.deepEqual(splitCommand(`"/opt/my scripts/n.sh" 'two words' x""y`), ['/opt/my scripts/n.sh', 'two words', 'xy']);
  assert.deepEqual(splitCommand('echo $HOME;rm'), ['echo', '$HOME;rm']);
  assert.throws(() => splitCommand('"unterminated'), /unterminated/);
  assert.throws(() => splitCommand('   '), /empty/);
});

test('users come from /etc/passwd and /etc/group; the default is never root', () => {
  const dir = mkdtempSync(`${tmpdir()}/keepalive-users-`);
  try {
    writeFileSync(`${dir}/passwd`, 'root:x:0:0::/root:/bin/sh\nkeepalived_script:x:998:997::/:/usr/sbin/nologin\n');
    writeFileSync(`${dir}/group`, 'root:x:0:\nstaff:x:50:\n');
    const files = { passwd: `${dir}/passwd`, group: `${dir}/group` };
    assert.deepEqual(lookupUser('keepalived_script', undefined, files), { name: 'keepalived_script', uid: 998, gid: 997 });
    assert.deepEqual(lookupUser('keepalived_script', 'staff', files), { name: 'keepalived_script', uid: 998, gid: 50 });
    assert.throws(() => lookupUser('nope', undefined, files), /does not exist/);
    assert.throws(() => lookupUser('root', 'nogroup-here', files), /group/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.notEqual(defaultScriptUser().uid, 0);
});

test('scripts run as the given user, with arguments, and are bounded in time even when they ignore TERM', async () => {
  const nobody = lookupUser('nobody');
  const ok = await runScript('/bin/sh -c "id -u; echo $0 $1"', ['first', 'second'], nobody, 5000);
  assert.equal(ok.code, 0);
  assert.equal(ok.output, `${nobody.uid}\nfirst second\n`);
  const started = Date.now();
  const stubborn = await runScript(`/bin/sh -c 'trap "" TERM; sleep 30 & echo $!; wait'`, [], nobody, 300);
  assert.equal(stubborn.timedOut, true);
  assert.ok(Date.now() - started < 3000, 'KILL follows TERM within a second');
  const orphan = Number(stubborn.output.trim());
  assert.ok(orphan > 0 && processGone(orphan), 'the script\'s own children go too');
  const missing = await runScript('/nonexistent/script', [], nobody, 1000);
  assert.match(missing.error ?? '', /ENOENT/);
});

test('enable_script_security: a root script must be root-owned and writable by nobody else, all the way up', () => {
  const root = { name: 'root', uid: 0, gid: 0 };
  assert.equal(insecureScriptPath('/bin/true --flag', root), undefined);
  assert.equal(insecureScriptPath('/bin/true', { name: 'nobody', uid: 65534, gid: 65534 }), undefined, 'only root scripts are checked');
  const dir = mkdtempSync(`${tmpdir()}/keepalive-sec-`);
  try {
    writeFileSync(`${dir}/notify.sh`, '#!/bin/sh\n', { mode: 0o755 });
    // Under /tmp, which everyone may write: anyone could swap the directory's contents.
    assert.match(insecureScriptPath(`${dir}/notify.sh`, root) ?? '', /writable by everyone/);
    assert.equal(insecureScriptPath('notify.sh', root), 'notify.sh is not an absolute path');
    assert.equal(insecureScriptPath(`${dir}/missing.sh`, root), `${dir}/missing.sh does not exist`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('respawn backoff doubles up to a cap and starts over after a healthy run', () => {
  assert.equal(nextRespawnDelay(undefined, 10), 100);
  assert.equal(nextRespawnDelay(100, 10), 200);
  assert.equal(nextRespawnDelay(20_000, 10), 30_000);
  assert.equal(nextRespawnDelay(30_000, 10), 30_000);
  assert.equal(nextRespawnDelay(30_000, 60_000), 100);
});
