// The notify FIFO's reader script under enable_script_security: one that would run as root from a
// path others can write is not started; the FIFO is written all the same. Real FIFO, real script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { NotifyFifos } from '../../runtime/src/notify/fifo.ts';
import { lookupUser } from '../../runtime/src/notify/script.ts';
import { waitFor } from '../lab/exec.ts';
import { captureLog, childrenWith } from './notify-support.ts';

test('enable_script_security keeps an insecure FIFO reader from running as root; a secure setting runs it', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const dir = mkdtempSync(`${tmpdir()}/notify-fifo-`);
  const fifos = new NotifyFifos();
  const log = captureLog();
  const read = (file: string): string => { try { return readFileSync(`${dir}/${file}`, 'utf8'); } catch { return ''; } };
  try {
    chmodSync(dir, 0o777); // writable by everyone: a script here is not safe to run as root
    const script = `${dir}/reader.sh`;
    // No exec: the shell stays, so the reader keeps its argv (script, FIFO) for as long as it runs.
    writeFileSync(script, `#!/bin/sh\necho started >> ${dir}/starts\ncat "$1" >> ${dir}/lines\n`, { mode: 0o755 });
    const root = lookupUser('root');
    const events = `${dir}/events`;
    fifos.sync([{ path: events, script: { command: script, user: root, security: true } }]);
    // sync() starts a reader with spawn(), which returns only after the script is exec'd: had the
    // reader been started, it would be this process's child now, before it ran a line. No wait needed.
    assert.deepEqual(childrenWith(events), [], 'the insecure reader was started');
    // And the runtime said why, naming the FIFO and the directory anyone can write.
    assert.ok(log.lines.some((l) => l.includes(`ERROR: notify FIFO ${events}: its script is not run, enable_script_security: ${dir} is writable by everyone`)), log.lines.join('\n'));
    fifos.write('INSTANCE "VI_1" MASTER 100');

    fifos.sync([{ path: events, script: { command: script, user: root, security: false } }]);
    // The same check sees a reader that is started: it is there the moment sync() returns.
    assert.deepEqual(childrenWith(events), [['/bin/sh', script, events]], 'without enable_script_security the reader runs');
    fifos.write('INSTANCE "VI_1" BACKUP 100');
    // It reads what waited in the FIFO, then what came after.
    await waitFor('the reader to pass both lines on', () => (read('lines').split('\n').length > 2 ? true : undefined));
    assert.equal(read('lines'), 'INSTANCE "VI_1" MASTER 100\nINSTANCE "VI_1" BACKUP 100\n');
    // The reader started once in all: the insecure setting never ran it, even late.
    assert.equal(read('starts'), 'started\n');
  } finally {
    log.stop();
    fifos.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
