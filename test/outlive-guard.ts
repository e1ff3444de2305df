// Loaded into the process of every test file (`node --import ./test/outlive-guard.ts --test ...`, which
// passes the flag on to each file's process): a file whose process outlives its tests fails within
// OUTLIVE_LIMIT_MS, naming the file and what still holds the process open (sockets and their peers,
// child processes, timers), instead of quietly using up CI's time. `--test-timeout` cannot do this: it
// bounds each test, not the process that runs the file, and the runner waits for that process to end.
import { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { relative } from 'node:path';
import { after } from 'node:test';

/** KEEPALIVE_TEST_OUTLIVE_MS shortens it for the guard's own test. */
const OUTLIVE_LIMIT_MS = Number(process.env.KEEPALIVE_TEST_OUTLIVE_MS ?? 20_000);

/** What keeps the event loop alive, described well enough to find the code that opened it. */
function holders(): string[] {
  // Undocumented, but the only way to reach the handles themselves; getActiveResourcesInfo() gives only their types.
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  const described = handles.flatMap((handle): string[] => {
    if (handle === process.stdout || handle === process.stderr || handle === process.stdin) return [];
    if (handle instanceof Socket) {
      return [handle.remoteAddress === undefined
        ? `a socket (${handle.constructor.name})`
        : `a socket ${handle.localAddress}:${handle.localPort} -> ${handle.remoteAddress}:${handle.remotePort}`];
    }
    if (handle instanceof ChildProcess) return [`child process ${handle.pid} (${handle.spawnargs.join(' ')})`];
    return [(handle as object).constructor?.name ?? typeof handle];
  });
  const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  if (timers > 0) described.push(`${timers} timer${timers === 1 ? '' : 's'}`);
  return described;
}

// Only in a file's own process (the runner marks it so), not in the runner that waits for it.
if (process.env.NODE_TEST_CONTEXT === 'child-v8') {
  after(() => {
    const file = relative(process.cwd(), process.argv[1] ?? '(unknown file)');
    const limit = setTimeout(() => {
      const held = holders();
      process.stderr.write(`${file}: its process is still alive ${OUTLIVE_LIMIT_MS / 1000} s after its tests ended, held by ${held.length > 0 ? held.join('; ') : 'something that Node does not list'}\n`);
      process.exit(1);
    }, OUTLIVE_LIMIT_MS);
    // Not a reason to stay alive itself: a process with nothing else open exits at once.
    limit.unref();
  });
}
