// Errors and warnings about a configuration, each with the place it is about. Loaders collect all of
// them rather than stopping at the first, so one `keepalive check` shows every problem.
import type { SourcePos } from './model.ts';

export interface Diagnostic extends SourcePos {
  readonly message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

/** Orders diagnostics by file, then line and column. */
export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}

/** A configuration that cannot be used; its message lists every error as file:line:col: message. */
export class ConfigError extends Error {
  readonly errors: readonly Diagnostic[];

  constructor(errors: readonly Diagnostic[]) {
    const sorted = [...errors].sort(byPosition);
    super(sorted.map(formatDiagnostic).join('\n'));
    this.name = 'ConfigError';
    this.errors = sorted;
  }
}

export class Diagnostics {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  error(at: SourcePos, message: string): void {
    this.errors.push({ file: at.file, line: at.line, col: at.col, message });
  }

  warn(at: SourcePos, message: string): void {
    this.warnings.push({ file: at.file, line: at.line, col: at.col, message });
  }

  /** Throws a ConfigError if any error was recorded. */
  throwIfErrors(): void {
    if (this.errors.length > 0) throw new ConfigError(this.errors);
  }
}
