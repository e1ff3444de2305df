#!/usr/bin/env node
// keepalive's SDKs, generated from the package schema by Pulumi's own code generators (tools/sdkgen,
// built by scripts/pulumi-engine):
//
//   node scripts/sdk.ts generate   rewrite provider/schema.json and sdk/nodejs, sdk/python, sdk/go from provider/core/schema.ts
//   node scripts/sdk.ts check      regenerate into a temporary directory; exit 1 listing every file that differs
//   node scripts/sdk.ts build      the artefacts, in dist/packages/ (refused when the SDKs have drifted):
//                                    keepalive-pulumi-<version>.tgz            the Node SDK, compiled, from `npm pack`
//                                    pulumi_keepalive-<version>-py3-none-any.whl   the Python SDK
//                                    go/                                       the Go SDK's module (go.mod at its root)
//
// The schema is taken from schema.ts itself (packageSchema()), so an edit there shows as drift at once,
// whether or not provider/schema.json was printed again; `generate` prints that too. Every SDK names the
// plugin's version, which is package.json's (the schema's `version`), and the engine runs exactly that
// version of the plugin for it. Prints the artefacts' paths (build) or the files written (generate).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageSchema, VERSION } from '../provider/core/schema.ts';
import { run, RunError } from './lib/run.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LANGUAGES = ['nodejs', 'python', 'go'] as const;
const SDK = join(ROOT, 'sdk');
const SCHEMA_JSON = join(ROOT, 'provider/schema.json');
const PACKAGES = join(ROOT, 'dist/packages');
// Scratch space inside the checkout (dist/ is ignored): the Node SDK compiles against the checkout's
// own @pulumi/pulumi and @types/node, found by walking up to its node_modules.
const SCRATCH = join(ROOT, 'dist/.sdk');
const CACHE = process.env.KEEPALIVE_CACHE_DIR ?? join(homedir(), '.cache/keepalive');

/** An error to report in one line; thrown (not exiting at once) so that scratch directories are removed. */
class SdkError extends Error {}

function fail(message: string): never {
  throw new SdkError(message);
}

/** A schema as provider/schema.json holds it. */
function schemaText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** keepalive-sdkgen, from the directory scripts/pulumi-engine prints as its last line. */
function sdkgen(): string {
  const bin = run(['bash', join(ROOT, 'scripts/pulumi-engine')]).trim().split('\n').at(-1) ?? '';
  const tool = join(bin, 'keepalive-sdkgen');
  if (!existsSync(tool)) fail(`scripts/pulumi-engine printed ${JSON.stringify(bin)}, which holds no keepalive-sdkgen`);
  return tool;
}

/** Generates the three SDKs into `out`/<language> from a schema. */
function generateInto(out: string, schema: object): void {
  mkdirSync(out, { recursive: true });
  const path = join(out, 'schema.json');
  writeFileSync(path, schemaText(schema));
  run([sdkgen(), '-schema', path, '-out', out, '-languages', LANGUAGES.join(',')]);
}

/** Every file under `dir`, as paths relative to it. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function scratch(name: string): string {
  mkdirSync(SCRATCH, { recursive: true });
  return mkdtempSync(join(SCRATCH, `${name}-`));
}

/**
 * The differences between the committed SDKs (and provider/schema.json) and those generated from
 * `schema` (by default schema.ts's, as it is now), one line each; none when they match.
 */
export function drift(schema: object = packageSchema()): string[] {
  const fresh = scratch('check');
  try {
    generateInto(fresh, schema);
    const lines: string[] = [];
    if (!existsSync(SCHEMA_JSON) || readFileSync(SCHEMA_JSON, 'utf8') !== schemaText(schema)) lines.push('provider/schema.json: differs from provider/core/schema.ts');
    for (const language of LANGUAGES) {
      const committed = join(SDK, language);
      const generated = join(fresh, language);
      const have = new Set(files(committed));
      const want = new Set(files(generated));
      for (const file of want) {
        const path = `sdk/${language}/${file}`;
        if (!have.has(file)) lines.push(`${path}: missing`);
        else if (!readFileSync(join(committed, file)).equals(readFileSync(join(generated, file)))) lines.push(`${path}: differs`);
      }
      for (const file of have) if (!want.has(file)) lines.push(`sdk/${language}/${file}: not generated (stale)`);
    }
    return lines;
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

function generate(): void {
  const fresh = scratch('generate');
  try {
    const schema = packageSchema();
    generateInto(fresh, schema);
    writeFileSync(SCHEMA_JSON, schemaText(schema));
    mkdirSync(SDK, { recursive: true });
    for (const language of LANGUAGES) {
      // Each language's directory is replaced whole, so a file the generators no longer write goes.
      rmSync(join(SDK, language), { recursive: true, force: true });
      renameSync(join(fresh, language), join(SDK, language));
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
  for (const language of LANGUAGES) process.stdout.write(`sdk/${language}: ${files(join(SDK, language)).length} files\n`);
}

function check(): void {
  const lines = drift();
  if (lines.length > 0) fail(`the SDKs have drifted from provider/core/schema.ts:\n${lines.join('\n')}\nregenerate them with: node scripts/sdk.ts generate`);
  process.stdout.write(`sdk: ${LANGUAGES.map((l) => `sdk/${l}`).join(', ')} and provider/schema.json match provider/core/schema.ts (version ${VERSION})\n`);
}

/** The Node SDK compiled to JavaScript and packed as npm publishes Pulumi SDKs: from its bin/, with package.json beside the code. */
function buildNode(): string {
  const work = scratch('nodejs');
  try {
    cpSync(join(SDK, 'nodejs'), work, { recursive: true });
    // The generated tsconfig (ES2022, nodenext, strict) compiles with the checkout's TypeScript 7.
    run([join(ROOT, 'node_modules/.bin/tsc'), '-p', work]);
    // The compiled utilities read the package's version from ./package.json, beside them in bin/.
    for (const file of ['package.json', 'README.md']) cpSync(join(work, file), join(work, 'bin', file));
    const packed = JSON.parse(run(['npm', 'pack', '--json', '--pack-destination', PACKAGES], { cwd: join(work, 'bin') })) as { filename: string }[];
    return join(PACKAGES, packed[0]!.filename);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A virtual environment of our own for building wheels (pip builds them with setuptools from PyPI, in isolation). */
function pythonVenv(): string {
  const venv = join(CACHE, 'sdk/python-venv');
  const python = join(venv, 'bin/python');
  if (spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status !== 0) {
    rmSync(venv, { recursive: true, force: true });
    mkdirSync(dirname(venv), { recursive: true });
    // Debian's python3 needs python3-venv for this (scripts/setup installs it).
    run(['python3', '-m', 'venv', venv]);
  }
  return python;
}

function buildPython(): string {
  const python = pythonVenv();
  // setuptools writes build/ and *.egg-info into the source, so it builds a copy.
  const work = scratch('python');
  const out = scratch('wheel');
  try {
    cpSync(join(SDK, 'python'), work, { recursive: true });
    run([python, '-m', 'pip', 'wheel', '--quiet', '--disable-pip-version-check', '--no-deps', '--wheel-dir', out, work]);
    const [wheel] = readdirSync(out).filter((name) => name.endsWith('.whl'));
    if (!wheel) fail('pip wrote no wheel');
    renameSync(join(out, wheel), join(PACKAGES, wheel));
    return join(PACKAGES, wheel);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

/** The Go module as generated; it is first compiled (in a copy, which gets a go.sum) to show it builds. */
function buildGo(): string {
  const work = scratch('go');
  try {
    cpSync(join(SDK, 'go'), work, { recursive: true });
    const env = { ...process.env, GOFLAGS: '-mod=mod' };
    run(['nice', '-n', '19', 'go', 'mod', 'tidy'], { cwd: work, env });
    run(['nice', '-n', '19', 'go', 'build', './...'], { cwd: work, env });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const out = join(PACKAGES, 'go');
  rmSync(out, { recursive: true, force: true });
  cpSync(join(SDK, 'go'), out, { recursive: true });
  return out;
}

function build(): void {
  const lines = drift();
  if (lines.length > 0) fail(`the SDKs have drifted from provider/core/schema.ts:\n${lines.join('\n')}\nregenerate them first: node scripts/sdk.ts generate`);
  mkdirSync(PACKAGES, { recursive: true });
  for (const artefact of [buildNode(), buildPython(), buildGo()]) {
    const stat = statSync(artefact);
    const size = stat.isDirectory() ? files(artefact).reduce((sum, file) => sum + statSync(join(artefact, file)).size, 0) : stat.size;
    process.stderr.write(`sdk: ${relative(ROOT, artefact)} (${(size / 1024).toFixed(0)} KiB)\n`);
    process.stdout.write(`${artefact}\n`);
  }
}

if (import.meta.main) {
  const command = process.argv[2];
  if (process.argv.length !== 3 || !['generate', 'check', 'build'].includes(command!)) {
    process.stderr.write('usage: node scripts/sdk.ts generate|check|build\n');
    process.exit(1);
  }
  try {
    ({ generate, check, build } as Record<string, () => void>)[command!]!();
  } catch (error) {
    if (!(error instanceof SdkError || error instanceof RunError)) throw error;
    process.stderr.write(`sdk: ${error.message}\n`);
    process.exitCode = 1;
  }
}
