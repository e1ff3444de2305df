// Running user scripts (notify scripts now, track scripts and MISC checks too): as an unprivileged
// user by default, without a shell, bounded in time, and never left behind.
import { spawn } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

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

/**
 * enable_script_security, as keepalived means it: a script that would run as root must not be
 * replaceable by anyone else, so its file and every directory above it must be owned by root and
 * writable by nobody else. Returns why a script fails that, or undefined when it passes (or does not
 * run as root).
 */
export function insecureScriptPath(command: string, user: ScriptUser): string | undefined {
  if (user.uid !== 0) return undefined;
  const [file] = splitCommand(command);
  if (!file!.startsWith('/')) return `${file} is not an absolute path`;
  let path: string;
  try { path = realpathSync(file!); } catch { return `${file} does not exist`; }
  for (let p = path; ; p = dirname(p)) {
    const st = statSync(p);
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}, not root`;
    if (st.mode & 0o022) return `${p} is writable by ${st.mode & 0o002 ? 'everyone' : 'its group'}`;
    if (p === '/') return undefined;
  }
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
