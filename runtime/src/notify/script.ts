// Running user scripts (notify scripts now, track scripts and MISC checks too): as an unprivileged
// user by default, without a shell, bounded in time, and never left behind.
import { spawn } from 'node:child_process';
import { lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { normalize, resolve } from 'node:path';

/**
 * Splits a keepalived script line into argv: whitespace separates words; single or double quotes
 * group them (keepalived's notify "/path/script arg" form). No shell expansion.
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in ${JSON.stringify(line)}`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new Error('empty script command');
  return words;
}

export interface ScriptUser {
  name: string;
  uid: number;
  gid: number;
}

/** Looks a user (and optionally a group) up in /etc/passwd and /etc/group. */
export function lookupUser(name: string, group?: string, files = { passwd: '/etc/passwd', group: '/etc/group' }): ScriptUser {
  const entry = readFileSync(files.passwd, 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
  if (!entry) throw new Error(`script user ${JSON.stringify(name)} does not exist`);
  let gid = Number(entry[3]);
  if (group !== undefined) {
    const g = readFileSync(files.group, 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === group);
    if (!g) throw new Error(`script group ${JSON.stringify(group)} does not exist`);
    gid = Number(g[2]);
  }
  return { name, uid: Number(entry[2]), gid };
}

/** keepalived's default script user if the machine has it, else nobody: scripts never run as root unasked. */
export function defaultScriptUser(): ScriptUser {
  try {
    return lookupUser('keepalived_script');
  } catch {
    return lookupUser('nobody');
  }
}

/** The PATH scripts run with (runScript), searched for a bare script name as keepalived searches its own. */
const SCRIPT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * enable_script_security, as keepalived's notify.c means it (check_script_secure and check_security).
 * A script needs protection when it runs as uid 0 or gid 0, or its file is setuid root or setgid root
 * and executable that way. Then the path as written and the path it resolves to are each walked from
 * `/`, every component examined without following symlinks:
 * - each component but the last must be a directory (a symlinked directory in the path is refused);
 *   the last must be a regular file or a symlink;
 * - each must be owned by root;
 * - a regular file or a directory without the sticky bit must not be writable by others, nor by its
 *   group unless that group is root (gid 0). A sticky directory may be writable by anyone: others
 *   cannot replace what root owns in it.
 * Returns why a script fails that (it is then not run), or undefined when it passes or needs no
 * protection. A name without a slash is searched for in the scripts' PATH; a relative path is taken
 * from `/`, the directory scripts run in.
 */
export function insecureScriptPath(command: string, user: ScriptUser): string | undefined {
  const [word] = splitCommand(command);
  let file = word!;
  if (!file.includes('/')) {
    const found = SCRIPT_PATH.split(':').map((d) => `${d}/${file}`).find((p) => { try { return statSync(p).isFile(); } catch { return false; } });
    if (!found) return `${file} is not found in ${SCRIPT_PATH}`;
    file = found;
  }
  const written = normalize(resolve('/', file));
  let real: string;
  let st: Stats;
  try { real = realpathSync(written); st = statSync(real); } catch { return `${file} does not exist`; }
  const setRoot = (st.uid === 0 && (st.mode & 0o4100) === 0o4100) || (st.gid === 0 && (st.mode & 0o2010) === 0o2010);
  if (user.uid !== 0 && user.gid !== 0 && !setRoot) return undefined;
  return unsafeComponent(written) ?? (real === written ? undefined : unsafeComponent(real));
}

/** keepalived's check_security over one absolute path: why a component is unsafe, or undefined. */
function unsafeComponent(path: string): string | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  for (let i = 0; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    const last = i === parts.length;
    let st: Stats;
    try { st = lstatSync(p); } catch { return `${p} does not exist`; }
    if (!last && !st.isDirectory()) return `${p} in the script's path is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}`;
    if (last && !st.isFile() && !st.isSymbolicLink()) return `${p} is not a regular file`;
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}, not root`;
    const checked = st.isFile() || (st.isDirectory() && !(st.mode & 0o1000));
    if (checked && st.mode & 0o002) return `${p} is writable by everyone`;
    if (checked && st.gid !== 0 && st.mode & 0o020) return `${p} is writable by its group (gid ${st.gid})`;
  }
  return undefined;
}

export interface ScriptResult {
  /** The exit code, or undefined when the script was killed (timeout) or could not start. */
  code: number | undefined;
  signal: string | null;
  timedOut: boolean;
  error: string | undefined;
  output: string;
}

const MAX_OUTPUT = 4096;

/**
 * Runs `command` (a script line) with extra arguments as `user`. After timeoutMs (Infinity: never),
 * or when `stop` aborts, the script's whole process group gets TERM, and KILL a second later: a
 * script that hangs or ignores TERM is still ended.
 */
export function runScript(command: string, args: readonly string[], user: ScriptUser, timeoutMs: number, env: NodeJS.ProcessEnv = {}, stop?: AbortSignal): Promise<ScriptResult> {
  const [file, ...fixed] = splitCommand(command);
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(file!, [...fixed, ...args], {
      uid: user.uid,
      gid: user.gid,
      detached: true, // its own process group, so the timeout reaches its children too
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      cwd: '/',
    });
    const collect = (b: Buffer): void => { if (output.length < MAX_OUTPUT) output += b.toString().slice(0, MAX_OUTPUT - output.length); };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const killGroup = (sig: NodeJS.Signals): void => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } };
    let killTimer: NodeJS.Timeout | undefined;
    const end = (): void => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), 1000);
    };
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => { timedOut = true; end(); }, timeoutMs) : undefined;
    stop?.addEventListener('abort', end, { once: true });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: undefined, signal: null, timedOut: false, error: error.message, output });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      // Anything the script left running in its group goes with it.
      killGroup('SIGKILL');
      resolve({ code: code ?? undefined, signal, timedOut, error: undefined, output });
    });
  });
}
