// keepalived.conf's syntax, without meaning: lines of words, "quoted strings", comments (# and !, to
// the end of the line, anywhere outside quotes), { } blocks (the brace on the same line or a later one),
// and `include GLOB` expanded in place. The result is a tree of statements: a keyword, the words that
// follow it on its line, and its block if it has one.
import { existsSync, globSync, readFileSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Diagnostics } from './diagnostics.ts';
import type { SourcePos } from './model.ts';

export interface Token {
  readonly text: string;
  /** Written in double quotes: never a brace, keyword or comment. */
  readonly quoted: boolean;
  readonly at: SourcePos;
  /** Identifies the physical line (across included files): a statement's words share it. */
  readonly lineId: number;
}

export interface Statement {
  readonly keyword: Token;
  readonly args: readonly Token[];
  readonly block?: readonly Statement[];
}

const isBrace = (t: Token, brace: '{' | '}'): boolean => !t.quoted && t.text === brace;
const GLOB_CHARS = /[*?[{]/;
/** `$NAME=value`: only whitespace before the `$`, nothing between the name and `=`. */
const DEFINITION = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const MAX_EXPANSION_DEPTH = 64;

/**
 * keepalived's config id: `-i ID` (keepalive run|check pass it on in KEEPALIVE_CONFIG_ID, so the
 * daemon's children read the same lines), else the node name up to its first dot, as keepalived.
 */
export function defaultConfigId(): string {
  return process.env.KEEPALIVE_CONFIG_ID ?? hostname().split('.')[0]!;
}

/** Tokenizes a file and, recursively, the files it includes. */
class Lexer {
  readonly tokens: Token[] = [];
  private lineCount = 0;
  private readonly diagnostics: Diagnostics;
  private readonly configId: string;
  /** $NAME=value definitions, as they stand at the line being read. */
  private readonly definitions = new Map<string, string>();

  constructor(diagnostics: Diagnostics, configId: string) {
    this.diagnostics = diagnostics;
    this.configId = configId;
  }

  /** `including` holds the real paths of the files being read, outermost first, to detect cycles. */
  lexText(text: string, file: string, including: readonly string[]): void {
    const lines = text.split(/\r?\n/);
    for (let index = 0; index < lines.length; index++) {
      let line = lines[index]!;
      const lineNumber = index + 1;
      // A multi-line definition: each line but the last ends in a backslash.
      if (DEFINITION.test(line) && line.trimEnd().endsWith('\\')) {
        while (line.trimEnd().endsWith('\\') && index + 1 < lines.length) line = `${line.trimEnd().slice(0, -1)}\n${lines[++index]!}`;
      }
      this.expand(line, file, lineNumber, including, 0);
    }
  }

  /**
   * keepalived's line preprocessing, in its order: an `@ID`/`@^ID` condition against the config id,
   * a `$NAME=value` definition, `~SEQ(...)` repetition, then `$NAME`/`${NAME}` substitution (a
   * substituted multi-line value is read line by line). Undefined names stay as written.
   */
  private expand(raw: string, file: string, lineNumber: number, including: readonly string[], depth: number): void {
    const at = (col: number): SourcePos => ({ file, line: lineNumber, col });
    if (depth > MAX_EXPANSION_DEPTH) {
      this.diagnostics.error(at(1), `parameter substitution nested deeper than ${MAX_EXPANSION_DEPTH}: a definition that refers to itself?`);
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    let line = raw;
    const condition = /^@(\^?)(\S*)\s*/.exec(line.trimStart());
    if (condition) {
      const matches = condition[2] === this.configId;
      if (matches === (condition[1] === '^')) return;
      line = ' '.repeat(indent + condition[0].length) + line.trimStart().slice(condition[0].length);
    }
    const definition = DEFINITION.exec(line);
    if (definition) {
      this.definitions.set(definition[1]!, definition[2]!.replace(/^[ \t]*\n?/, '').trimEnd());
      return;
    }
    const seq = /^(\s*)~SEQ(x?)\(([^)]*)\)?/.exec(line);
    if (seq) {
      const col = seq[1]!.length + 1;
      if (!seq[0].endsWith(')')) {
        this.diagnostics.error(at(col), `~SEQ${seq[2]}( is not closed with ")"`);
        return;
      }
      const args = seq[3]!.split(',').map((a) => a.trim());
      const name = args[0]!;
      const numbers = args.slice(1).map((a) => (/^-?(0x[0-9a-f]+|\d+)$/i.test(a) ? (a.startsWith('-') ? -Number(a.slice(1)) : Number(a)) : NaN));
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || numbers.length < 1 || numbers.length > 3 || numbers.some(Number.isNaN)) {
        this.diagnostics.error(at(col), `malformed ~SEQ${seq[2]}(${seq[3]}): expected ~SEQ(VAR, [[START,] [STEP,]] END) with integers`);
        return;
      }
      const end = numbers.at(-1)!;
      const start = numbers.length >= 2 ? numbers[0]! : end > 0 ? 1 : -1;
      const step = numbers.length === 3 ? numbers[1]! : end >= start ? 1 : -1;
      if (step === 0) {
        this.diagnostics.error(at(col), `malformed ~SEQ${seq[2]}(${seq[3]}): the step is 0`);
        return;
      }
      const rest = ' '.repeat(seq[0].length) + line.slice(seq[0].length); // columns stay as written
      for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
        this.definitions.set(name, seq[2] ? v.toString(16) : String(v));
        this.expand(rest, file, lineNumber, including, depth + 1);
      }
      return;
    }
    const substituted = this.substitute(line, file);
    if (substituted !== line) {
      for (const part of substituted.split('\n')) this.expand(part, file, lineNumber, including, depth + 1);
      return;
    }
    const words = this.lexLine(line, file, lineNumber, ++this.lineCount);
    const [first, ...rest] = words;
    if (first && !first.quoted && first.text === 'include') this.include(first, rest, including);
    else this.tokens.push(...words);
  }

  /**
   * One round of substitution: ${NAME} anywhere, $NAME before whitespace or the end; undefined names
   * stay. Predefined: _INSTANCE (the config id), _PWD (the directory of the file being read), and
   * keepalived 2.4's ${_ENV NAME} (the environment variable, empty when unset) and ${_RANDOM [MIN
   * [MAX]]} (an integer in MIN..MAX, by default 0..32767).
   */
  private substitute(line: string, file: string): string {
    return line.replace(/\$\{(_ENV|_RANDOM)((?:[ \t]+[^\s}]+)*)[ \t]*\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/g, (whole, predefined: string | undefined, params: string | undefined, braced: string | undefined, bare: string | undefined) => {
      if (predefined) return predefinedWithParams(predefined, params!.trim() === '' ? [] : params!.trim().split(/[ \t]+/)) ?? whole;
      const name = braced ?? bare!;
      if (name === '_INSTANCE') return this.configId;
      if (name === '_PWD') return dirname(resolve(file));
      return this.definitions.get(name) ?? whole;
    });
  }

  private lexLine(line: string, file: string, lineNumber: number, lineId: number): Token[] {
    const tokens: Token[] = [];
    const at = (index: number): SourcePos => ({ file, line: lineNumber, col: index + 1 });
    let i = 0;
    while (i < line.length) {
      const ch = line[i]!;
      if (ch === '#' || ch === '!') break;
      if (/\s/.test(ch)) {
        i++;
      } else if (ch === '{' || ch === '}') {
        tokens.push({ text: ch, quoted: false, at: at(i), lineId });
        i++;
      } else if (ch === '"') {
        const close = line.indexOf('"', i + 1);
        if (close < 0) {
          this.diagnostics.error(at(i), 'unterminated quoted string');
          tokens.push({ text: line.slice(i + 1), quoted: true, at: at(i), lineId });
          break;
        }
        tokens.push({ text: line.slice(i + 1, close), quoted: true, at: at(i), lineId });
        i = close + 1;
      } else {
        const start = i;
        while (i < line.length && !/[\s{}#!]/.test(line[i]!)) i++;
        tokens.push({ text: line.slice(start, i), quoted: false, at: at(start), lineId });
      }
    }
    return tokens;
  }

  private include(keyword: Token, args: readonly Token[], including: readonly string[]): void {
    if (args.length !== 1) {
      this.diagnostics.error(keyword.at, 'include takes exactly one file name or pattern');
      return;
    }
    const pattern = resolve(dirname(keyword.at.file), args[0]!.text);
    let files: string[];
    if (GLOB_CHARS.test(args[0]!.text)) {
      files = globSync(pattern).sort();
      if (files.length === 0) this.diagnostics.warn(keyword.at, `include ${args[0]!.text}: no file matches`);
    } else if (existsSync(pattern)) {
      files = [pattern];
    } else {
      this.diagnostics.error(args[0]!.at, `include ${args[0]!.text}: no such file (${pattern})`);
      return;
    }
    for (const file of files) {
      const real = realpathSync(file);
      if (including.includes(real)) {
        this.diagnostics.error(keyword.at, `include cycle: ${[...including.slice(including.indexOf(real)), real].join(' -> ')}`);
        continue;
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        this.diagnostics.error(args[0]!.at, `include ${file}: ${(error as Error).message}`);
        continue;
      }
      this.lexText(text, file, [...including, real]);
    }
  }
}

/** Parses tokens from `start` up to the `}` closing the block (or the end). */
function parseStatements(tokens: readonly Token[], start: number, opening: Token | undefined, diagnostics: Diagnostics): { statements: Statement[]; next: number } {
  const statements: Statement[] = [];
  let i = start;
  while (i < tokens.length) {
    const keyword = tokens[i]!;
    if (isBrace(keyword, '}')) {
      if (opening) return { statements, next: i + 1 };
      diagnostics.error(keyword.at, 'unexpected "}" with no block open');
      i++;
      continue;
    }
    if (isBrace(keyword, '{')) {
      diagnostics.error(keyword.at, 'unexpected "{": a block must follow a keyword');
      i = parseStatements(tokens, i + 1, keyword, diagnostics).next;
      continue;
    }
    i++;
    const args: Token[] = [];
    while (i < tokens.length && tokens[i]!.lineId === keyword.lineId && !isBrace(tokens[i]!, '{') && !isBrace(tokens[i]!, '}')) args.push(tokens[i++]!);
    if (i < tokens.length && isBrace(tokens[i]!, '{')) {
      const block = parseStatements(tokens, i + 1, tokens[i]!, diagnostics);
      statements.push({ keyword, args, block: block.statements });
      i = block.next;
    } else {
      statements.push({ keyword, args });
    }
  }
  if (opening) diagnostics.error(opening.at, 'this "{" is never closed');
  return { statements, next: i };
}

/** The statements of a keepalived.conf text, its includes expanded (relative to `file`'s directory). */
export function parseKeepalivedSyntax(text: string, file: string, diagnostics: Diagnostics, configId = defaultConfigId()): Statement[] {
  const lexer = new Lexer(diagnostics, configId);
  const self = existsSync(file) ? realpathSync(file) : resolve(file);
  lexer.lexText(text, file, [self]);
  return parseStatements(lexer.tokens, 0, undefined, diagnostics).statements;
}

/** ${_ENV NAME} and ${_RANDOM [MIN [MAX]]}; undefined (left as written) when the parameters do not fit. */
function predefinedWithParams(name: string, params: readonly string[]): string | undefined {
  if (name === '_ENV') return params.length === 1 ? process.env[params[0]!] ?? '' : undefined;
  if (params.length > 2 || !params.every((p) => /^\d+$/.test(p))) return undefined;
  const [min, max] = [Number(params[0] ?? 0), Number(params[1] ?? 32767)];
  return min <= max ? String(min + Math.floor(Math.random() * (max - min + 1))) : undefined;
}
