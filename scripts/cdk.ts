#!/usr/bin/env node
// keepalive's CDK constructs: TypeScript bindings for the four resources of the Terraform provider
// (provider/terraform), generated from its schema by the CDK's own provider generators, for both CDKs:
//
//   @keepalive/cdktf   CDK for Terraform (archived by HashiCorp on 2025-12-10): @cdktf/provider-generator,
//                      runtime cdktf ^0.21, constructs ^10.4.2
//   @keepalive/cdktn   CDK Terrain, its maintained fork, which supports OpenTofu by name:
//                      @cdktn/provider-generator, runtime cdktn ^0.24, constructs >=10.6.0 <10.8.0
//
//   node scripts/cdk.ts build    dist/packages/keepalive-cdktf-<version>.tgz and keepalive-cdktn-<version>.tgz
//
// The schema is the one OpenTofu reads from the provider (`tofu providers schema -json`, through
// scripts/tofu and the checkout's provider), the format `cdktf get` feeds the generators. The bindings
// are derived artefacts, so they are not committed: every build makes them from the provider as it is.
// Each generator runs in a process of its own: both load a Go WebAssembly runtime into Node's globals,
// and the second one in a process fails ("Import #0 "go": module is not an object or function").
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './lib/run.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const PACKAGES = join(ROOT, 'dist/packages');
// Scratch space inside the checkout (dist/ is ignored), so the bindings compile against the checkout's
// cdktf, cdktn and constructs, found by walking up to its node_modules.
const SCRATCH = join(ROOT, 'dist/.cdk');

/** The two CDKs, and what each package of bindings asks of the program that uses it. */
export const FLAVOURS = {
  cdktf: { generator: '@cdktf/provider-generator', peers: { cdktf: '^0.21.0', constructs: '^10.4.2' }, title: 'CDK for Terraform' },
  cdktn: { generator: '@cdktn/provider-generator', peers: { cdktn: '^0.24.0', constructs: '>=10.6.0 <10.8.0' }, title: 'CDK Terrain' },
} as const;
export type Flavour = keyof typeof FLAVOURS;

export const packagePath = (flavour: Flavour): string => join(PACKAGES, `keepalive-${flavour}-${VERSION}.tgz`);

/** The provider's schema as `tofu providers schema -json` prints it, from a configuration that requires it. */
export function providerSchemaJson(): string {
  const dir = join(SCRATCH, 'schema');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ terraform: { required_providers: { keepalive: { source: 'keepalive/keepalive' } } } }));
  const tofu = join(ROOT, 'scripts/tofu');
  run([tofu, 'init', '-input=false', '-no-color'], { cwd: dir });
  return run([tofu, 'providers', 'schema', '-json'], { cwd: dir });
}

/** The generated TypeScript of one flavour, under `out` (providers/keepalive/...), from the schema file. */
function generate(flavour: Flavour, schemaFile: string, out: string): void {
  // The generator's own logger complains about a missing ~/.terraformrc when a terraform is on PATH: its
  // output is kept only for a failure.
  const script = `import { generateProviderBindingsFromSchema } from '${FLAVOURS[flavour].generator}';
import { readFileSync } from 'node:fs';
await generateProviderBindingsFromSchema(process.argv[1], JSON.parse(readFileSync(process.argv[2], 'utf8')));`;
  run([process.execPath, '--input-type=module', '-e', script, out, schemaFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What the package says to its user. */
function readme(flavour: Flavour): string {
  const { peers, title } = FLAVOURS[flavour];
  const [runtime] = Object.keys(peers);
  return `# @keepalive/${flavour}

keepalive for ${title}: constructs for the keepalive provider's resources, generated from its schema
by \`${FLAVOURS[flavour].generator}\`. One namespace per resource: \`host\`, \`vrrpGroup\`,
\`virtualServer\`, \`realServer\`, and \`provider\`.

\`\`\`ts
import { App, TerraformStack } from '${runtime}';
import { host, provider, vrrpGroup } from '@keepalive/${flavour}';

const app = new App();
const stack = new TerraformStack(app, 'ha-pair');
new provider.KeepaliveProvider(stack, 'keepalive');
const lb1 = new host.Host(stack, 'lb1', { address: '198.18.0.1', hostKey: 'ssh-ed25519 AAAA...', privateKey: '...' });
const lb2 = new host.Host(stack, 'lb2', { address: '198.18.0.2', hostKey: 'ssh-ed25519 AAAA...', privateKey: '...' });
new vrrpGroup.VrrpGroup(stack, 'vip', {
  vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'],
  members: [{ host: lb1.hostConnection, priority: 200 }, { host: lb2.hostConnection, priority: 150 }],
});
app.synth();   // cdktf.out/stacks/ha-pair/cdk.tf.json, for tofu init, plan and apply
\`\`\`

Peer dependencies: ${Object.entries(peers).map(([name, range]) => `\`${name}\` ${range}`).join(', ')}. The provider itself,
\`keepalive/keepalive\`, comes from a provider mirror (see the keepalive README).
`;
}

/** One flavour's bindings, compiled and packed; returns the tarball's path. */
function buildFlavour(flavour: Flavour, schemaFile: string): string {
  const work = join(SCRATCH, flavour);
  rmSync(work, { recursive: true, force: true });
  const src = join(work, 'src');
  generate(flavour, schemaFile, src);
  const { peers, title } = FLAVOURS[flavour];
  writeFileSync(join(src, 'index.ts'), `// The keepalive provider's constructs for ${title}: one namespace per resource.\nexport * from './providers/keepalive/index';\n`);
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', declaration: true, strict: true,
      skipLibCheck: true, rootDir: 'src', outDir: 'package', types: ['node'],
    },
    include: ['src'],
  }, null, 2));
  // CommonJS, as the generators write it (their index files use require): the checkout's own package.json
  // says "type": "module", so the scratch directory says otherwise for what is under it.
  writeFileSync(join(work, 'package.json'), '{ "type": "commonjs" }\n');
  run([join(ROOT, 'node_modules/.bin/tsc'), '-p', work]);
  const pkg = join(work, 'package');
  writeFileSync(join(pkg, 'package.json'), `${JSON.stringify({
    name: `@keepalive/${flavour}`,
    version: VERSION,
    description: `keepalive for ${title}: constructs for the keepalive provider's Host, VrrpGroup, VirtualServer and RealServer (VRRP failover and IPVS load balancing over SSH).`,
    license: 'Apache-2.0',
    main: 'index.js',
    types: 'index.d.ts',
    peerDependencies: peers,
    keywords: ['cdk', flavour, 'keepalived', 'vrrp', 'opentofu', 'terraform'],
  }, null, 2)}\n`);
  writeFileSync(join(pkg, 'README.md'), readme(flavour));
  mkdirSync(PACKAGES, { recursive: true });
  const packed = JSON.parse(run(['npm', 'pack', '--json', '--pack-destination', PACKAGES], { cwd: pkg })) as { filename: string }[];
  return join(PACKAGES, packed[0]!.filename);
}

export function build(): string[] {
  mkdirSync(SCRATCH, { recursive: true });
  const schemaFile = join(SCRATCH, 'schema.json');
  writeFileSync(schemaFile, providerSchemaJson());
  try {
    return (Object.keys(FLAVOURS) as Flavour[]).map((flavour) => buildFlavour(flavour, schemaFile));
  } finally {
    rmSync(SCRATCH, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  if (process.argv.length !== 3 || process.argv[2] !== 'build') {
    process.stderr.write('usage: node scripts/cdk.ts build\n');
    process.exit(1);
  }
  for (const tarball of build()) process.stdout.write(`${tarball}\n`);
}
