// Runs one program of a build step (scripts/*.ts) and returns its stdout. Its stderr goes to ours
// unless the caller captures it (stdio), so progress and warnings show; a failure is thrown as a
// RunError naming the command and its exit, with the end of what it printed that was captured.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export class RunError extends Error {}

export function run(argv: readonly string[], options: SpawnSyncOptions = {}): string {
  const [command, ...args] = argv;
  const result = spawnSync(command!, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw new RunError(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const printed = `${String(result.stderr ?? '')}${String(result.stdout ?? '')}`.trim().split('\n').slice(-20).join('\n');
    throw new RunError(`${argv.join(' ')} exited with ${result.status ?? result.signal}${printed ? `:\n${printed}` : ''}`);
  }
  return String(result.stdout ?? '');
}
