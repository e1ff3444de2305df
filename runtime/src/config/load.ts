// Loading a configuration file of any supported format into the model: read, tell the format apart
// by content, parse, validate. A bad configuration throws a ConfigError listing every problem.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { byPosition, ConfigError, Diagnostics, formatDiagnostic } from './diagnostics.ts';
import { jsonSpelling, readJsonOrYaml, readJsonOrYamlFragments } from './json.ts';
import { keepalivedSpelling, readKeepalivedConf } from './keepalived-conf.ts';
import type { KeepaliveConfig } from './model.ts';
import { validateConfig } from './validate.ts';

export type ConfigFormat = 'keepalived' | 'json' | 'yaml';

export interface LoadedConfig {
  readonly config: KeepaliveConfig;
  /** Each as file:line:col: message, in order of position. */
  readonly warnings: readonly string[];
}

/**
 * JSON if the first significant character is `{`; YAML if the first significant line is a `key:`
 * (keepalived.conf has no colons after its keywords) or a YAML document marker; otherwise
 * keepalived.conf. Comment lines (# or !) and blank lines are not significant.
 */
export function detectFormat(text: string): ConfigFormat {
  const first = text.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'));
  if (first === undefined) return 'keepalived';
  if (first.startsWith('{')) return 'json';
  if (first === '---' || first.startsWith('%YAML') || /^["']?[A-Za-z_][\w.-]*["']?\s*:(\s|$)/.test(first)) return 'yaml';
  return 'keepalived';
}

/**
 * Parses and validates a configuration text; includes are resolved relative to `file`. `configId`
 * selects keepalived.conf's `@ID` lines (default: defaultConfigId).
 */
export function parseConfigText(text: string, file: string, configId?: string): LoadedConfig {
  const diagnostics = new Diagnostics();
  const format = detectFormat(text);
  const config = format === 'keepalived' ? readKeepalivedConf(text, file, diagnostics, configId) : readJsonOrYaml(text, file, diagnostics);
  validateConfig(config, format === 'keepalived' ? keepalivedSpelling : jsonSpelling, diagnostics);
  diagnostics.throwIfErrors();
  return { config, warnings: [...diagnostics.warnings].sort(byPosition).map(formatDiagnostic) };
}

const cannotRead = (path: string, error: unknown): ConfigError =>
  new ConfigError([{ file: path, line: 1, col: 1, message: `cannot read the configuration: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);

/** Fragments a configuration directory holds: its *.json, *.yaml and *.yml files, not recursively. */
const FRAGMENT = /\.(json|ya?ml)$/;

/**
 * Loads a configuration file, or a directory of JSON/YAML fragments (as a deploy tool writes one per
 * resource), merged in name order into one configuration (see readJsonOrYamlFragments).
 */
export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    if (statSync(path).isDirectory()) return loadFragments(path);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw cannotRead(path, error);
  }
  return parseConfigText(text, path);
}

function loadFragments(directory: string): LoadedConfig {
  const fragments = readdirSync(directory, { withFileTypes: true })
    .filter((e) => e.isFile() && FRAGMENT.test(e.name))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const file = join(directory, name);
      try {
        return { file, text: readFileSync(file, 'utf8') };
      } catch (error) {
        throw cannotRead(file, error);
      }
    });
  const diagnostics = new Diagnostics();
  const config = readJsonOrYamlFragments(fragments, directory, diagnostics);
  validateConfig(config, jsonSpelling, diagnostics);
  diagnostics.throwIfErrors();
  return { config, warnings: [...diagnostics.warnings].sort(byPosition).map(formatDiagnostic) };
}
