#!/usr/bin/env node
// Bundles the runtime into one ES module, dist/runtime/keepalive.mjs, with the socket addon beside it:
// what gets installed on hosts. Plain JavaScript, so hosts run it without type stripping (which costs
// each process tens of MiB), and one file, so the watchdog forks its children from the same bundle.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/runtime`;
mkdirSync(out, { recursive: true });
// Each file is written beside its place and renamed into it: a build running while another process
// (the provider, a test) reads the bundle never shows it half a file.
const temporary = (name: string): string => `${out}/.${name}.${process.pid}`;
await build({
  entryPoints: [`${root}runtime/src/cli.ts`],
  outfile: temporary('keepalive.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // CommonJS dependencies (nodemailer, yaml) call require(); an ES module bundle has to provide it.
  banner: { js: "import { createRequire as keepaliveRequire } from 'node:module'; const require = keepaliveRequire(import.meta.url);" },
  logLevel: 'warning',
});
copyFileSync(`${root}runtime/native/build/keepalive_socket.node`, temporary('keepalive_socket.node'));
renameSync(temporary('keepalive_socket.node'), `${out}/keepalive_socket.node`);
renameSync(temporary('keepalive.mjs'), `${out}/keepalive.mjs`);
console.log(`${out}/keepalive.mjs`);
