// Running commands for the lab. Everything the lab does to the kernel goes through the real tools
// (ip, nft, nsenter, tshark), so errors carry the command line and its stderr.
import { spawn, spawnSync } from 'node:child_process';

export interface CommandResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Bytes written to the command's standard input. */
  input?: string | Buffer;
  /** Upper bound on the command's run time; it is killed with KILL after that. */
  timeoutMs?: number;
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
}

export class CommandError extends Error {
  readonly result: CommandResult;
  constructor(argv: readonly string[], result: CommandResult) {
    const how = result.signal ? `signal ${result.signal}` : `exit ${result.code}`;
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-6).join('\n');
    super(`${argv.join(' ')}: ${how}${detail ? `\n${detail}` : ''}`);
    this.name = 'CommandError';
    this.result = result;
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Runs argv to completion. Throws CommandError on a non-zero exit unless allowFailure is set. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('run: empty command');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result: CommandResult = {
        code: code ?? -1,
        signal,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      };
      if (result.code !== 0 && !options.allowFailure) reject(new CommandError(argv, result));
      else resolve(result);
    });
    child.stdin.on('error', () => {}); // a command that exits without reading its input is not an error here
    child.stdin.end(options.input ?? '');
  });
}

/**
 * The synchronous twin of run(), for teardown paths that must work from a process 'exit' handler,
 * where no promise can settle any more.
 */
export function runSync(argv: readonly string[], options: RunOptions = {}): CommandResult {
  const [file, ...args] = argv;
  if (!file) throw new Error('runSync: empty command');
  const r = spawnSync(file, args, {
    input: options.input ?? '',
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const result: CommandResult = {
    code: r.status ?? -1,
    signal: r.signal,
    stdout: r.stdout.toString(),
    stderr: r.stderr.toString(),
  };
  if (result.code !== 0 && !options.allowFailure) throw new CommandError(argv, result);
  return result;
}

/** Blocks the thread; only teardown uses it, where the event loop may already be gone. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls check() every intervalMs until it returns a value other than undefined, or throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 10_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
