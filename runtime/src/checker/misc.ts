// MISC_CHECK: a script decides. It runs like notify scripts do (as an unprivileged user, no shell),
// and on timeout its process group gets TERM and, a second later, KILL: a run lasts at most
// misc_timeout plus that second, even for a script that ignores TERM.
import { defaultScriptUser, runScript } from '../notify/script.ts';
import { failure, miscVerdict, success, type CheckResult, type MiscCheckSpec } from './check.ts';

export async function miscCheck(spec: MiscCheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  let result;
  try {
    result = await runScript(spec.path, [], spec.user ?? defaultScriptUser(), spec.timeoutMs);
  } catch (error) {
    return failure(startedAt, `cannot run ${spec.path}: ${(error as Error).message}`);
  }
  if (result.timedOut) return failure(startedAt, `script timed out after ${spec.timeoutMs} ms`);
  if (result.error !== undefined) return failure(startedAt, `cannot run ${spec.path}: ${result.error}`);
  if (result.code === undefined) return failure(startedAt, `script killed by ${result.signal}`);
  const verdict = miscVerdict(result.code, spec.dynamic);
  if (!verdict.ok) return failure(startedAt, `script exited ${result.code}`);
  return success(startedAt, `script exited ${result.code}`, verdict.weight);
}
