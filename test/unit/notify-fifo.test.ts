// The notify FIFO's reader script under enable_script_security: one that would run as root from a
// path others can write is not started; the FIFO is written all the same. Real FIFO, real script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotifyFifos } from '../../runtime/src/notify/fifo.ts';
import { lookupUser } from '../../runtime/src/notify/script.ts';

test('enable_script_security keeps an insecure FIFO reader from running as root; a secure setting runs it', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const dir = mkdtempSync(`${tmpdir()}/notify-fifo-`);
  const fifos = new NotifyFifos();
  try {
    chmodSync(dir, 0o777); // writable by everyone: a script here is not safe to run as root
    const script = `${dir}/reader.sh`;
    writeFileSync(script, `#!/bin/sh\ntouch ${dir}/started\nexec cat "$1" >> ${dir}/lines\n`, { mode: 0o755 });
    const root = lookupUser('root');
    fifos.sync([{ path: `${dir}/events`, script: { command: script, user: root, security: true } }]);
    fifos.write('INSTANCE "VI_1" MASTER 100');
    await sleep(500);
    assert.equal(existsSync(`${dir}/started`), false, 'the insecure reader ran');
    fifos.sync([{ path: `${dir}/events`, script: { command: script, user: root, security: false } }]);
    await sleep(500);
    fifos.write('INSTANCE "VI_1" BACKUP 100');
    await sleep(500);
    assert.equal(existsSync(`${dir}/started`), true, 'without enable_script_security the reader runs');
    // It reads what waited in the FIFO, then what came after.
    assert.equal(readFileSync(`${dir}/lines`, 'utf8'), 'INSTANCE "VI_1" MASTER 100\nINSTANCE "VI_1" BACKUP 100\n');
  } finally {
    fifos.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
