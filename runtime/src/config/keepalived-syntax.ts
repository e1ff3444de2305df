// keepalived.conf's syntax, without meaning: lines of words, "quoted strings", comments (# and !, to
// the end of the line, anywhere outside quotes), { } blocks (the brace on the same line or a later one),
// and `include GLOB` expanded in place. The result is a tree of statements: a keyword, the words that
// follow it on its line, and its block if it has one.
import { existsSync, globSync, readFileSync, realpathSync } from 'node:fs';
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

/** Tokenizes a file and, recursively, the files it includes. */
class Lexer {
  readonly tokens: Token[] = [];
  private lineCount = 0;
  private readonly diagnostics: Diagnostics;

  constructor(diagnostics: Diagnostics) {
    this.diagnostics = diagnostics;
  }

  /** `including` holds the real paths of the files being read, outermost first, to detect cycles. */
  lexText(text: string, file: string, including: readonly string[]): void {
    text.split(/\r?\n/).forEach((line, index) => {
      const words = this.lexLine(line, file, index + 1, ++this.lineCount);
      const [first, ...rest] = words;
      if (first && !first.quoted && first.text === 'include') this.include(first, rest, including);
      else this.tokens.push(...words);
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
export function parseKeepalivedSyntax(text: string, file: string, diagnostics: Diagnostics): Statement[] {
  const lexer = new Lexer(diagnostics);
  const self = existsSync(file) ? realpathSync(file) : resolve(file);
  lexer.lexText(text, file, [self]);
  return parseStatements(lexer.tokens, 0, undefined, diagnostics).statements;
}
