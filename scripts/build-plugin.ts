#!/usr/bin/env node
// Builds keepalive's provider plugins as single executables, in dist/plugin/: Node 24 single executable
// applications (Node's SEA) that run on Linux x86-64 with neither Node nor this checkout:
//
//   pulumi-resource-keepalive             the Pulumi plugin (provider/pulumi/main.ts)
//   terraform-provider-keepalive_v<ver>   the OpenTofu/Terraform plugin (provider/terraform/main.ts), named
//                                         as the registry's packages name it
//
//   1. the runtime bundle (scripts/build-runtime.ts): dist/runtime/keepalive.mjs, keepalive_socket.node
//      and the libraries beside them (scripts/runtime-files.ts);
//   2. the plugin's main as one CommonJS file, bundled by esbuild with everything it loads (gRPC, the
//      schema, package.json's version, the runtime's configuration loader and validator that Check runs);
//   3. a SEA blob (`node --experimental-sea-config`) holding that script, its V8 code cache, and the
//      assets: what the provider installs on hosts (the runtime's files, and the Node
//      binary for linux-x64 gzip-compressed, node-linux-x64.gz, described by node.json), which
//      provider/core/bundle.ts reads with `node:sea`'s getAsset; and for the Terraform plugin, its
//      protocol's .proto (provider/terraform/plugin.ts);
//   4. this project's Node 24 binary (the `node` package), its symbols stripped when `strip` is there
//      (126 MB -> 108 MB; the Node uploaded to hosts is the unmodified binary), with the blob injected
//      by postject under Node's sentinel fuse.
//
// Only linux-x64 hosts are carried: the runtime's socket addon is built here with the machine's cc,
// for this machine's CPU, and an arm64 host would need an arm64 addon too, which needs a cross compiler.
//
//   node scripts/build-plugin.ts [--kind pulumi|terraform] [--out DIR]      prints the executable's path
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { PROTO_FILE } from '../provider/terraform/plugin.ts';
import { run } from './lib/run.ts';
import { RUNTIME_FILES } from './runtime-files.ts';

export const PLUGIN_NAME = 'pulumi-resource-keepalive';
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The two plugins: their entry, executable name, extra assets, and how a build is checked to run. */
export const PLUGINS = {
  pulumi: {
    main: 'provider/pulumi/main.ts', name: PLUGIN_NAME, assets: {} as Record<string, string>,
    // Run by hand with --help: one line of usage.
    check: { args: ['--help'], stderr: /^usage: pulumi-resource-keepalive / },
  },
  terraform: {
    main: 'provider/terraform/main.ts', name: `terraform-provider-keepalive_v${VERSION}`, assets: { [PROTO_FILE]: `provider/terraform/${PROTO_FILE}` },
    // Run by hand, without OpenTofu's handshake: it says what it is.
    check: { args: [], stderr: /^terraform-provider-keepalive: This is the keepalive provider plugin for OpenTofu and Terraform/ },
  },
} as const;
export type PluginKind = keyof typeof PLUGINS;
/** Node's SEA sentinel fuse: the string postject flips to tell the binary it carries a blob. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds a plugin's executable into `outDir` and returns its path. */
export async function buildPlugin(kind: PluginKind = 'pulumi', outDir = `${root}dist/plugin`): Promise<string> {
  const plugin = PLUGINS[kind];
  const node = `${root}node_modules/node/bin/node`;
  const nodeVersion = (JSON.parse(readFileSync(`${root}node_modules/node/package.json`, 'utf8')) as { version: string }).version;
  const work = `${outDir}/.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    // 1. The runtime bundle, on this project's Node.
    run([node, `${root}scripts/build-runtime.ts`]);

    // 2. The provider as one CommonJS script. import.meta.url has no meaning in it: modules that compute
    //    a path from it at load time get the executable's own path instead, and none of them is used
    //    for a path inside the executable (bundle.ts reads assets there).
    await build({
      entryPoints: [`${root}${plugin.main}`],
      outfile: `${work}/main.cjs`,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      define: { 'import.meta.url': 'keepaliveImportMetaUrl', 'import.meta.main': 'false' },
      banner: { js: "var keepaliveImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      // ssh2's optional native parts, each required inside a try: unbuilt here (package.json's
      // allowScripts), and the executable's require knows only Node's own modules anyway.
      external: ['cpu-features', '*.node'],
      logLevel: 'error',
      legalComments: 'none',
    });

    // 3. The assets and the blob.
    writeFileSync(`${work}/node-linux-x64.gz`, gzipSync(readFileSync(node), { level: 9 }));
    writeFileSync(`${work}/node.json`, `${JSON.stringify([{ arch: 'x64', version: nodeVersion, asset: 'node-linux-x64.gz', size: readFileSync(node).length }])}\n`);
    const seaConfig = {
      main: `${work}/main.cjs`,
      output: `${work}/sea.blob`,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      useSnapshot: false,
      assets: {
        ...Object.fromEntries(RUNTIME_FILES.map((name) => [name, `${root}dist/runtime/${name}`])),
        'node-linux-x64.gz': `${work}/node-linux-x64.gz`,
        'node.json': `${work}/node.json`,
        ...Object.fromEntries(Object.entries(plugin.assets).map(([asset, path]) => [asset, `${root}${path}`])),
      },
    };
    writeFileSync(`${work}/sea-config.json`, JSON.stringify(seaConfig, null, 2));
    run([node, '--experimental-sea-config', `${work}/sea-config.json`]);

    // 4. The executable: Node with the blob injected.
    const exe = `${work}/${plugin.name}`;
    if (spawnSync('strip', ['-o', exe, node]).status !== 0) copyFileSync(node, exe);
    chmodSync(exe, 0o755);
    const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
    run([node, postject, exe, 'NODE_SEA_BLOB', `${work}/sea.blob`, '--sentinel-fuse', SEA_FUSE]);
    const check = spawnSync(exe, plugin.check.args, { encoding: 'utf8', env: {}, cwd: '/' });
    if (!plugin.check.stderr.test(check.stderr)) {
      throw new Error(`the built ${plugin.name}, run as \`${[plugin.name, ...plugin.check.args].join(' ')}\`, does not say what it is: ${check.stderr || check.stdout || check.error?.message}`);
    }
    const out = `${outDir}/${plugin.name}`;
    renameSync(exe, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { kind: { type: 'string', default: 'pulumi' }, out: { type: 'string' } } });
  if (!Object.hasOwn(PLUGINS, values.kind)) throw new Error(`--kind is pulumi or terraform, not ${values.kind}`);
  console.log(await buildPlugin(values.kind as PluginKind, values.out));
}
