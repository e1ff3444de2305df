// Closing an SSH session to a host that has gone away ends the process's hold on it at once: the
// plugin (or a test) exits as soon as its work is done, not when the kernel gives up retransmitting a
// FIN that nobody will acknowledge (about 15 minutes). Each case runs in a process of its own
// (fixtures/provider/ssh-close.ts), timed from the moment it tore its lab down to its exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

const FIXTURE = new URL('./fixtures/provider/ssh-close.ts', import.meta.url).pathname;
/** The bound on living on after the lab went down: nothing should be left but process exit itself. */
const EXIT_BOUND_MS = 3_000;
/** Past this the process is held by something, and is ended (it is ours, by its PID). */
const GIVE_UP_MS = 30_000;

interface Outcome { code: number | null; signal: NodeJS.Signals | null; output: string; afterLabDownMs: number | undefined }

function runCase(mode: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let labDownAt: number | undefined;
    let giveUp: NodeJS.Timeout | undefined;
    const onOutput = (b: Buffer): void => {
      output += b.toString();
      if (labDownAt === undefined && /^lab down$/m.test(output)) {
        labDownAt = performance.now();
        giveUp = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(giveUp);
      resolve({ code, signal, output, afterLabDownMs: labDownAt === undefined ? undefined : performance.now() - labDownAt });
    });
  });
}

async function assertExitsPromptly(mode: string): Promise<Outcome> {
  const outcome = await runCase(mode);
  assert.notEqual(outcome.afterLabDownMs, undefined, `the ${mode} case never tore its lab down:\n${outcome.output}`);
  assert.equal(outcome.signal, null, `the ${mode} case was still alive ${GIVE_UP_MS / 1000} s after its lab went down, and was killed:\n${outcome.output}`);
  assert.equal(outcome.code, 0, outcome.output);
  assert.ok(outcome.afterLabDownMs! < EXIT_BOUND_MS, `the ${mode} case lived ${Math.round(outcome.afterLabDownMs!)} ms after its lab went down (bound ${EXIT_BOUND_MS} ms)`);
  return outcome;
}

test('a session closed after its host was partitioned lets the process exit at once', { timeout: 120_000 }, async (t) => {
  const outcome = await assertExitsPromptly('partition');
  // The polite close cannot finish, so the session gives up on it after its grace (CLOSE_GRACE_MS).
  const closed = Number(/closed in (\d+) ms/.exec(outcome.output)?.[1]);
  assert.ok(closed >= 900 && closed < 2_500, `close took ${closed} ms`);
  t.diagnostic(`close ${closed} ms; exit ${Math.round(outcome.afterLabDownMs!)} ms after the lab went down`);
});

test('a connection refused for its host key lets the process exit at once, even if the host never finishes the close', { timeout: 120_000 }, async (t) => {
  const outcome = await assertExitsPromptly('refused-key');
  t.diagnostic(`exit ${Math.round(outcome.afterLabDownMs!)} ms after the lab went down`);
});
