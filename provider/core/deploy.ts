// A resource's fragment on one host, over SSH, each operation one command under the host's deploy lock:
//
//   apply   the new content goes to a staging directory beside conf.d together with the host's other
//           fragments, `keepalive check -f STAGING` validates the whole configuration there, and only
//           then is the file renamed into conf.d (after an fsync) and the runtime reloaded, or started
//           if it was not running. A reload the runtime refuses puts the previous fragment back. The
//           command ends with `keepalive status --json`, which the caller verifies. A fragment whose
//           hash already matches, on a running runtime, is left alone: no write, no reload.
//   remove  the fragment goes; the last one stops the runtime (TERM: a master sends priority 0),
//           otherwise the rest is checked and reloaded.
//   read    the fragment's hash, its resource record and the runtime's status.
//
// Beside each fragment, outside conf.d where the runtime does not look, the provider keeps the
// resource's record (CONFIG/resources/<fragment file>: its type, name and checked inputs, secrets left
// out), so that a resource whose state was lost can be adopted from its ID alone (`import`). The
// record is not part of the fragment's hash: keeping it current is no change to the configuration.
import { randomBytes } from 'node:crypto';
import type { DaemonStatus } from '../../runtime/src/control/status.ts';
import { parseOutput } from './install.ts';
import type { HostConnection } from './schema.ts';
import { hostPaths, serviceShell, shellVars } from './service.ts';
import { shellQuote, type SshSession } from './ssh.ts';

export interface Fragment {
  /** The file name in conf.d: "vrrpgroup-web.json". */
  readonly file: string;
  readonly content: string;
  readonly hash: string;
  /** The resource record kept beside it (JSON), for adoption. */
  readonly record: string;
}

/** Where a fragment's resource record lives, relative to the config dir. */
const RECORDS = 'resources';

/** The configuration the host refused, with the checker's errors naming conf.d's files and lines. */
export class FragmentRefusedError extends Error {
  readonly errors: readonly string[];

  constructor(host: HostConnection, what: string, errors: readonly string[]) {
    super(`${host.name} (${host.address}) refused ${what}; nothing changed there:\n${errors.join('\n')}`);
    this.name = 'FragmentRefusedError';
    this.errors = errors;
  }
}

export type ApplyOutcome = 'unchanged' | 'reloaded' | 'started';
export type RemoveOutcome = 'absent' | 'reloaded' | 'stopped' | 'removed';

export interface HostStatus {
  readonly status?: DaemonStatus;
}

function parseStatus(text: string | undefined): DaemonStatus | undefined {
  if (!text?.trim()) return undefined;
  try {
    return JSON.parse(text) as DaemonStatus;
  } catch {
    return undefined;
  }
}

/** Exit codes of the scripts below, so the caller can tell a refusal from a broken host. */
const REFUSED_BY_CHECK = 3;
const REFUSED_BY_RELOAD = 4;
const START_FAILED = 5;

function refusal(host: HostConnection, code: number, stderr: string, staging: string, confD: string, file: string): Error {
  // The checker names the staged copies; the user knows them by their place in conf.d.
  const errors = stderr.replaceAll(`${staging}/`, `${confD}/`).trim().split('\n').filter((l) => l.trim() !== '');
  switch (code) {
    case REFUSED_BY_CHECK: return new FragmentRefusedError(host, `${confD}/${file} (keepalive check)`, errors);
    case REFUSED_BY_RELOAD: return new FragmentRefusedError(host, `${confD}/${file} at reload, and keeps running its previous configuration`, errors);
    case START_FAILED: return new Error(`keepalive did not start on ${host.name} (${host.address}) with ${confD}/${file}; the fragment was taken back:\n${errors.join('\n')}`);
    default: return new Error(`deploying ${confD}/${file} to ${host.name} (${host.address}) failed (exit ${code}):\n${errors.join('\n')}`);
  }
}

/**
 * `statusWhenUnchanged: false` skips the status of a host whose fragment was already in place (nothing
 * changed there, so nothing to verify): it saves starting the CLI on hosts a change does not touch.
 */
export async function applyFragment(session: SshSession, host: HostConnection, fragment: Fragment, { statusWhenUnchanged = true } = {}): Promise<HostStatus & { outcome: ApplyOutcome; wrote: boolean }> {
  const paths = hostPaths(host);
  const staging = `${paths.config}/.staging-${randomBytes(6).toString('hex')}`;
  const script = `${serviceShell(paths, host.serviceManager)}
${shellVars({ F: fragment.file, WANT: fragment.hash, T: staging, QUIET: statusWhenUnchanged ? '' : 'yes', R: Buffer.from(fragment.record).toString('base64'), RD: RECORDS })}
[ -x "$K" ] || fail "keepalive is not installed in $I (the Host resource installs it)"
lock
mkdir -p "$D" "$S" "$C/$RD" && mkdir "$T" || exit 1
trap 'rm -rf "$T"' EXIT
cat > "$T/$F" || exit 1
# The whole fragment, from a client still there: a provider killed while this waited for the lock (or
# while it sent) has left a cut-off stdin, or no one to say anything to. Either way nothing changes.
[ "$(sha256sum "$T/$F" | cut -d' ' -f1)" = "$WANT" ] || fail "the fragment arrived incomplete (the deploy was cut off): nothing changed"
say "staged=$F" || exit 1
# The record of the fragment in force, rewritten only when it differs.
keep_record() {
  printf '%s' "$R" | base64 -d > "$T/.record" || exit 1
  cmp -s "$T/.record" "$C/$RD/$F" || mv -f "$T/.record" "$C/$RD/$F" || exit 1
}
have=$(sha256sum "$D/$F" 2>/dev/null | cut -d' ' -f1)
if [ "$have" = "$WANT" ] && running; then
  say "result=unchanged"
  keep_record
  [ -n "$QUIET" ] && exit 0
else
  changed=
  if [ "$have" != "$WANT" ]; then
    for f in "$D"/*.json "$D"/*.yaml "$D"/*.yml; do [ -f "$f" ] && [ "\${f##*/}" != "$F" ] && cp -p "$f" "$T/"; done
    out=$("$K" check -f "$T" 2>&1) || { printf '%s\\n' "$out" >&2; exit ${REFUSED_BY_CHECK}; }
    [ -f "$D/$F" ] && cp -p "$D/$F" "$T/.previous"
    # On disk before it takes the fragment's name: a crash leaves the old file or the new one.
    sync "$T/$F" 2>/dev/null
    mv -f "$T/$F" "$D/$F" || exit 1
    changed=yes
    say "write=$F"
  fi
  restore() { [ -n "$changed" ] || return 0; if [ -f "$T/.previous" ]; then mv -f "$T/.previous" "$D/$F"; else rm -f "$D/$F"; fi; }
  if running; then
    out=$("$K" reload --state-dir "$S" 2>&1) || { restore; printf '%s\\n' "$out" >&2; exit ${REFUSED_BY_RELOAD}; }
    say "result=reloaded"
  else
    start || { restore; exit ${START_FAILED}; }
    say "result=started"
  fi
  keep_record
fi
say '--- status'
"$K" status --json --state-dir "$S"`;
  const result = await session.exec(script, fragment.content);
  if (result.code !== 0) throw refusal(host, result.code, result.stderr, staging, paths.confD, fragment.file);
  const { values, sections } = parseOutput(result.stdout);
  const status = parseStatus(sections.get('status'));
  const outcome = (values.get('result')?.[0] ?? 'unchanged') as ApplyOutcome;
  return { outcome, wrote: values.has('write'), ...(status && { status }) };
}

export async function removeFragment(session: SshSession, host: HostConnection, file: string): Promise<HostStatus & { outcome: RemoveOutcome; wrote: boolean; stop?: string }> {
  const paths = hostPaths(host);
  const staging = `${paths.config}/.staging-${randomBytes(6).toString('hex')}`;
  const script = `${serviceShell(paths, host.serviceManager)}
${shellVars({ F: file, T: staging, RD: RECORDS })}
[ -d "$C" ] || { say "result=absent"; exit 0; }
lock
# The client may have gone while this waited for the lock: then nothing is removed.
say "locked" || exit 1
rm -f "$C/$RD/$F"
if [ ! -f "$D/$F" ]; then
  # Gone already; still, a runtime with nothing left to run stops.
  if [ -z "$(fragments)" ] && running; then stop; say "result=stopped"; else say "result=absent"; fi
  exit 0
fi
mkdir "$T" || exit 1
trap 'rm -rf "$T"' EXIT
mv -f "$D/$F" "$T/$F" || exit 1
say "write=$F"
if [ -z "$(fragments)" ]; then
  stop
  say "result=stopped"
  exit 0
fi
running || { say "result=removed"; exit 0; }
out=$("$K" check -f "$D" 2>&1) || { mv -f "$T/$F" "$D/$F"; printf '%s\\n' "$out" >&2; exit ${REFUSED_BY_CHECK}; }
out=$("$K" reload --state-dir "$S" 2>&1) || { mv -f "$T/$F" "$D/$F"; printf '%s\\n' "$out" >&2; exit ${REFUSED_BY_RELOAD}; }
say "result=reloaded"
say '--- status'
"$K" status --json --state-dir "$S"`;
  const result = await session.exec(script);
  if (result.code !== 0) throw refusal(host, result.code, result.stderr, staging, paths.confD, file);
  const { values, sections } = parseOutput(result.stdout);
  const status = parseStatus(sections.get('status'));
  const stop = values.get('stop')?.[0];
  return { outcome: (values.get('result')?.[0] ?? 'absent') as RemoveOutcome, wrote: values.has('write'), ...(status && { status }), ...(stop !== undefined && { stop }) };
}

/** The fragment's hash on the host (undefined: no such file) and, when the runtime runs, its status. */
export async function readFragment(session: SshSession, host: HostConnection, file: string): Promise<HostStatus & { hash?: string; record?: string }> {
  const paths = hostPaths(host);
  const result = await session.exec(`${serviceShell(paths, host.serviceManager)}
${shellVars({ F: file, RD: RECORDS })}
h=$(sha256sum "$D/$F" 2>/dev/null | cut -d' ' -f1) && [ -n "$h" ] && say "hash=$h"
[ -f "$C/$RD/$F" ] && { say '--- record'; base64 -w0 "$C/$RD/$F"; echo; }
if running; then say '--- status'; "$K" status --json --state-dir "$S" 2>/dev/null; fi
true`);
  if (result.code !== 0) throw new Error(`reading ${paths.confD}/${file} on ${host.name} (${host.address}) failed: ${result.stderr.trim()}`);
  const { values, sections } = parseOutput(result.stdout);
  const hash = values.get('hash')?.[0];
  const encoded = sections.get('record')?.trim();
  const status = parseStatus(sections.get('status'));
  return {
    ...(hash !== undefined && { hash }),
    ...(encoded && { record: Buffer.from(encoded, 'base64').toString() }),
    ...(status && { status }),
  };
}

/** Whether the host holds `address` right now (the master of a group holds its VIPs): one cheap command, no runtime involved. */
export async function holdsAddress(session: SshSession, address: string): Promise<boolean> {
  const bare = address.split('/')[0]!;
  const result = await session.exec(`ip -o address show to ${shellQuote(bare.includes(':') ? `${bare}/128` : `${bare}/32`)}`);
  return result.stdout.trim() !== '';
}
