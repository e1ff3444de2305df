// FILE_CHECK: a track_file's number drives the real server, by keepalived's rule (track_file.c): with
// weight 0, any non-zero number (zero, with reverse) takes it down; otherwise the number times the
// weight (negated with reverse) is added to the real server's weight, and a sum at or below -65536,
// IPVS_WEIGHT_FAULT, takes it down too. keepalived watches the file with inotify; here it is read at
// each delay_loop, the checker's schedule.
import { readTrackFileValue } from '../track-file.ts';
import { failure, success, type CheckResult, type FileCheckSpec } from './check.ts';

const IPVS_WEIGHT_MAX = 65535;
const IPVS_WEIGHT_FAULT = -IPVS_WEIGHT_MAX - 1;

/** The result for a file holding `value`: down, or up with the weight the server then has (0..65535). */
export function fileCheckResult(spec: Omit<FileCheckSpec, 'kind' | 'path'>, value: number, startedAt: number): CheckResult {
  const multiplier = spec.reverse ? -1 : 1;
  if (spec.weight === 0) {
    const down = (value !== 0) === (multiplier === 1);
    return down ? failure(startedAt, `file holds ${value}`) : success(startedAt, `file holds ${value}`, spec.baseWeight);
  }
  const adjustment = Math.max(IPVS_WEIGHT_FAULT, Math.min(IPVS_WEIGHT_MAX, value * spec.weight * multiplier));
  if (adjustment === IPVS_WEIGHT_FAULT) return failure(startedAt, `file holds ${value}: weight ${adjustment} is a fault`);
  const weight = Math.max(0, Math.min(IPVS_WEIGHT_MAX, spec.baseWeight + adjustment));
  return success(startedAt, `file holds ${value}: weight ${spec.baseWeight} ${adjustment < 0 ? '-' : '+'} ${Math.abs(adjustment)}`, weight);
}

export async function fileCheck(spec: FileCheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  return fileCheckResult(spec, await readTrackFileValue(spec.path), startedAt);
}
