// The provider's SSH client (provider/core/ssh.ts) against lab hosts with their own sshd: a pinned
// host key, a mismatch refused, atomic writes over SFTP, no write when the content is unchanged, and
// the round trips each of those costs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lab } from './lab/lab.ts';
import { sessionTarget } from './lab/ssh.ts';
import { fingerprint, HostKeyMismatchError, sha256, shellQuote, SshSession } from '../provider/core/ssh.ts';

const T = { timeout: 120_000 };

test('SSH deploy client: pinned host key, atomic writes, no write when unchanged, round trips counted', T, async () => {
  await using lab = await Lab.create({ hosts: ['h1', 'h2'] });
  const h1 = sessionTarget(lab.host('h1').ssh!);
  const h2 = sessionTarget(lab.host('h2').ssh!);

  await using session = await SshSession.connect(h1);
  assert.equal(session.presentedHostKey, h1.hostKey);
  assert.equal((await session.exec('hostname')).stdout, 'h1\n');
  assert.equal((await session.exec('cat', 'in\n')).stdout, 'in\n');
  assert.equal((await session.exec('exit 3')).code, 3);

  // Another host's key pinned: refused, naming both fingerprints, before any command runs.
  const refused = await SshSession.connect({ ...h2, hostKey: h1.hostKey }).then(() => undefined, (error: unknown) => error);
  assert.ok(refused instanceof HostKeyMismatchError, String(refused));
  const pinnedBlob = Buffer.from(h1.hostKey!.split(' ')[1]!, 'base64');
  assert.equal(refused.expected, fingerprint(pinnedBlob));
  assert.equal(refused.presented, fingerprint(Buffer.from(h2.hostKey!.split(' ')[1]!, 'base64')));
  assert.match(refused.message, /refusing to connect/);
  // Nothing pinned: refused too, unless the opt-in says to trust any key; then the key seen is known.
  await assert.rejects(SshSession.connect({ ...h2, hostKey: undefined }), /no hostKey pinned/);
  await using trusting = await SshSession.connect({ ...h2, hostKey: undefined, insecureAcceptUnknownHostKey: true });
  assert.equal(trusting.presentedHostKey, h2.hostKey);

  // A new file, in a directory that does not exist yet: one probe, SFTP start, open, write, fsync, close, rename.
  const path = "/etc/keepalive/conf.d/web's group.json";
  let before = session.roundTrips;
  assert.equal(await session.writeFile(path, '{"a":1}\n', 0o640), true);
  assert.equal(session.roundTrips - before, 7);
  const stat = async (): Promise<string> => (await session.exec(`stat -c '%a %i' -- ${shellQuote(path)}; cat -- ${shellQuote(path)}`)).stdout;
  const first = await stat();
  assert.match(first, /^640 \d+\n\{"a":1\}\n$/);

  // The same content again: one probe, no write (the inode and content are untouched).
  before = session.roundTrips;
  assert.equal(await session.writeFile(path, '{"a":1}\n', 0o640), false);
  assert.equal(session.roundTrips - before, 1);
  assert.equal(await stat(), first);

  // New content replaces the file by rename (a new inode), and leaves no temporary file behind.
  before = session.roundTrips;
  assert.equal(await session.writeFile(path, '{"a":2}\n', 0o640), true);
  assert.equal(session.roundTrips - before, 6);
  const second = await stat();
  assert.match(second, /\{"a":2\}\n$/);
  assert.notEqual(second.split(' ')[1], first.split(' ')[1]);
  assert.equal((await session.exec('ls -A /etc/keepalive/conf.d')).stdout, "web's group.json\n");

  // A bundle-sized file, and hashes of several files in one command.
  const bundle = Buffer.alloc(512 * 1024, 'keepalive');
  assert.equal(await session.writeFile('/opt/keepalive/keepalive.mjs', bundle), true);
  before = session.roundTrips;
  const hashes = await session.hashes(['/opt/keepalive/keepalive.mjs', path, '/opt/keepalive/missing']);
  assert.equal(session.roundTrips - before, 1);
  assert.deepEqual([...hashes.values()], [sha256(bundle), sha256('{"a":2}\n'), undefined]);
  // Each host has its own /etc and /opt: nothing landed on h2.
  assert.equal((await trusting.exec(`test -e ${shellQuote(path)} || test -e /opt/keepalive/keepalive.mjs; echo $?`)).stdout, '1\n');
});
