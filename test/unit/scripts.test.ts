import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

test('enable_script_security follows keepalived\'s check_security, case by case, on real files', { skip: process.getuid!() !== 0 && 'needs root to chown' }, () => {
  const root = { name: 'root', uid: 0, gid: 0 };
  const nobody = { name: 'nobody', uid: 65534, gid: 65534 };
  // A sticky, world-writable parent: the directory /tmp is, made here so the test owns its modes.
  const top = mkdtempSync(`${tmpdir()}/keepalive-sec-`);
  const at = (p: string): string => `${top}/${p}`;
  const script = (p: string, mode = 0o755, uid = 0, gid = 0): string => {
    writeFileSync(at(p), '#!/bin/sh\n');
    chownSync(at(p), uid, gid);
    chmodSync(at(p), mode);
    return at(p);
  };
  const dir = (p: string, mode: number, uid = 0, gid = 0): void => {
    mkdirSync(at(p));
    chownSync(at(p), uid, gid);
    chmodSync(at(p), mode);
  };
  try {
    chmodSync(top, 0o1777);
    // A root-owned 0755 directory under a sticky world-writable one: allowed, as keepalived allows.
    dir('safe', 0o755);
    assert.equal(insecureScriptPath(`${script('safe/ok.sh')} --flag`, root), undefined);
    // The script directly in the sticky directory: allowed too (only the file's own bits count there).
    assert.equal(insecureScriptPath(script('direct.sh'), root), undefined);
    // A world-writable parent without the sticky bit: refused.
    dir('open', 0o777);
    assert.match(insecureScriptPath(script('open/s.sh'), root) ?? '', /open is writable by everyone/);
    // A group-writable directory of a non-root group: refused; of group root: allowed.
    dir('grp', 0o775, 0, 65534);
    assert.match(insecureScriptPath(script('grp/s.sh'), root) ?? '', /grp is writable by its group \(gid 65534\)/);
    dir('grp0', 0o775, 0, 0);
    assert.equal(insecureScriptPath(script('grp0/s.sh'), root), undefined);
    // A group-writable file: refused unless its group is root; a world-writable file: refused.
    assert.match(insecureScriptPath(script('safe/gw.sh', 0o775, 0, 65534), root) ?? '', /gw\.sh is writable by its group/);
    assert.equal(insecureScriptPath(script('safe/gw0.sh', 0o775, 0, 0), root), undefined);
    assert.match(insecureScriptPath(script('safe/ww.sh', 0o757), root) ?? '', /ww\.sh is writable by everyone/);
    // Sticky does not excuse a file, nor a directory owned by someone else.
    assert.match(insecureScriptPath(script('safe/stickyfile.sh', 0o1757), root) ?? '', /writable by everyone/);
    dir('theirs', 0o1777, 65534, 65534);
    assert.match(insecureScriptPath(script('theirs/s.sh'), root) ?? '', /theirs is owned by uid 65534, not root/);
    assert.match(insecureScriptPath(script('safe/own.sh', 0o755, 65534, 0), root) ?? '', /own\.sh is owned by uid 65534/);
    // Symlinks: a symlinked directory in the written path is refused (lstat, not a directory);
    // a root-owned symlink as the last component is fine when its target passes, refused when not.
    symlinkSync(at('safe'), at('linkdir'));
    assert.match(insecureScriptPath(at('linkdir/ok.sh'), root) ?? '', /linkdir in the script's path is a symlink/);
    symlinkSync(at('safe/ok.sh'), at('safe/link.sh'));
    assert.equal(insecureScriptPath(at('safe/link.sh'), root), undefined);
    symlinkSync(at('open/s.sh'), at('safe/tobad.sh'));
    assert.match(insecureScriptPath(at('safe/tobad.sh'), root) ?? '', /open is writable by everyone/);
    // Who runs it: a non-root user and group need no protection, unless the file is setuid root;
    // gid 0 alone needs it.
    assert.equal(insecureScriptPath(script('open/user.sh'), nobody), undefined);
    assert.match(insecureScriptPath(script('open/suid.sh', 0o4755), nobody) ?? '', /open is writable by everyone/);
    assert.match(insecureScriptPath(script('open/sgid.sh', 0o2755), nobody) ?? '', /open is writable by everyone/);
    assert.match(insecureScriptPath(script('open/g0.sh'), { name: 'x', uid: 65534, gid: 0 }) ?? '', /open is writable by everyone/);
    // Paths: relative ones are taken from /, bare names are searched in the scripts' PATH.
    assert.equal(insecureScriptPath(`${at('safe/ok.sh').slice(1)}`, root), undefined);
    assert.equal(insecureScriptPath('true', root), undefined);
    assert.match(insecureScriptPath('no-such-script-here', root) ?? '', /not found in/);
    assert.equal(insecureScriptPath(at('safe/missing.sh'), root), `${at('safe/missing.sh')} does not exist`);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test('respawn backoff doubles up to a cap and starts over after a healthy run', () => {
  assert.equal(nextRespawnDelay(undefined, 10), 100);
  assert.equal(nextRespawnDelay(100, 10), 200);
  assert.equal(nextRespawnDelay(20_000, 10), 30_000);
  assert.equal(nextRespawnDelay(30_000, 10), 30_000);
  assert.equal(nextRespawnDelay(30_000, 60_000), 100);
});
