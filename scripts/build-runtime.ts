#!/usr/bin/env node
// Bundles the runtime into one ES module, dist/runtime/keepalive.mjs, with the socket addon and the
// libraries some configurations use beside it (scripts/runtime-files.ts): what gets installed on hosts.
// Plain JavaScript, so hosts run it without type stripping (which costs each process tens of MiB); the
// watchdog forks its children from the same keepalive.mjs.
//
// Each of the three processes holds the whole source of keepalive.mjs and scans it at start, whatever
// part of it it runs: code a process never runs still costs it about twice its size in memory. So:
// - Node's own modules are required where the code that uses them first runs, not imported: an ES
//   module bundle hoists every `import` of an external module to its top, so every process would load
//   every module any role uses (http, tls, crypto, zlib, dns, ...). As CommonJS modules in the bundle
//   they are initialized with the (lazily initialized) module that imports them.
// - The libraries (nodemailer, yaml, prom-client: two thirds of the code) are files of their own,
//   required in the same way: a process that sends no mail, reads no JSON or YAML and serves no
//   metrics never reads them.
// - Every file is ASCII: V8 stores a source with one other character in it as two bytes a character.
import { build, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { libraryFile, RUNTIME_LIBRARIES } from './runtime-files.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/runtime`;
mkdirSync(out, { recursive: true });

const nodeModules = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const libraries = new Set<string>(RUNTIME_LIBRARIES);

/** What the bundle requires at run time instead of carrying: Node's own modules, and the libraries beside it. */
function requiredAtRunTime(path: string): string | undefined {
  if (nodeModules.has(path)) return path;
  if (libraries.has(path)) return `./${libraryFile(path)}`;
  return undefined;
}

const requiredWhereUsed: Plugin = {
  name: 'required-where-used',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const target = args.namespace === 'file' ? requiredAtRunTime(args.path) : undefined;
      return target === undefined ? undefined : { path: target, namespace: 'required' };
    });
    b.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    b.onResolve({ filter: /.*/, namespace: 'required' }, (args) => ({ path: args.path, external: true }));
  },
};

/** Throws, naming the place and the module it came from, if `text` has a character outside ASCII. */
function assertAscii(name: string, text: string): void {
  const at = text.search(/[^\x00-\x7f]/);
  if (at < 0) return;
  const lines = text.slice(0, at).split('\n');
  const module = [...text.slice(0, at).matchAll(/^\/\/ (\S+)$/gm)].at(-1)?.[1];
  const character = `U+${text.codePointAt(at)!.toString(16).toUpperCase().padStart(4, '0')}`;
  throw new Error(`${name}:${lines.length}:${lines.at(-1)!.length + 1}: ${character}${module === undefined ? '' : ` (from ${module})`}; V8 would keep this whole file as two bytes a character: write it in ASCII`);
}

const common = { bundle: true, platform: 'node', target: 'node24', write: false, logLevel: 'warning' } as const;
const runtime = await build({
  ...common,
  entryPoints: [`${root}runtime/src/cli.ts`],
  outfile: `${out}/keepalive.mjs`,
  format: 'esm',
  // What the bundle requires (see requiredWhereUsed) is required relative to the bundle itself.
  banner: { js: "import { createRequire as keepaliveRequire } from 'node:module'; const require = keepaliveRequire(import.meta.url);" },
  plugins: [requiredWhereUsed],
});
const libraryTexts = new Map<string, string>();
for (const library of RUNTIME_LIBRARIES) {
  const bundled = await build({
    ...common,
    stdin: { contents: `module.exports = require(${JSON.stringify(library)});`, resolveDir: root, sourcefile: libraryFile(library) },
    outfile: `${out}/${libraryFile(library)}`,
    format: 'cjs',
  });
  libraryTexts.set(libraryFile(library), bundled.outputFiles[0]!.text);
}
const runtimeText = runtime.outputFiles[0]!.text;
for (const [name, text] of [['keepalive.mjs', runtimeText], ...libraryTexts] as const) assertAscii(`dist/runtime/${name}`, text);

// The addon as socket.c is now (build.sh does nothing when it is up to date).
const addon = execFileSync(`${root}runtime/native/build.sh`, { encoding: 'utf8' }).trim();
// Each file is written beside its place and renamed into it, keepalive.mjs last: a build running while
// another process (the provider, a test) reads the bundle never shows it half a file.
const place = (name: string, content: string | Buffer, mode: number): void => {
  const temporary = `${out}/.${name}.${process.pid}`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, `${out}/${name}`);
};
place('keepalive_socket.node', readFileSync(addon), 0o755);
for (const [name, text] of libraryTexts) place(name, text, 0o644);
place('keepalive.mjs', runtimeText, 0o755);
console.log(`${out}/keepalive.mjs`);
