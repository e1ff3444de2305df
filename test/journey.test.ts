// A user's journey outside the checkout (issue 13, section 3), in each language: the plugin installed
// from its release tarball into a temporary PULUMI_HOME, the SDK installed as a user installs it, the
// example of that language (examples/<language>) deployed to lab directors, the VIP checked on the
// expected master (lb1, priority 200 > 150) and a client answered by the real server through the VIP,
// then destroyed and the hosts checked clean. Every command of the user's runs with this checkout
// hidden (an empty tmpfs over it, in a mount namespace of its own), the engine and plugin with it.
// One lab for all, the journeys in sequence. See
// test/lab/journey.ts for what a journey's directory and environment hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answeringHost } from './lab/pulumi.ts';
import { leftoversOn, stopRuntimes } from './fixtures/provider/lab.ts';
import {
  artefacts, CACHE, DIRECTORS, EXAMPLES, exampleConfig, exampleEnv, CLIENT, journeyLab, lastJson, REAL_SERVER,
  show, startJourney, throughVip, userNode, VERSION, waitServed, type Artefacts, type Journey, type JourneyLab, type Result,
} from './lab/journey.ts';

const T = { timeout: 240_000 };
const TOPOLOGY = /vrid 51: master lb1 \(priority 200 > 150\)/;
/** The Python SDK's pulumi from PyPI: the newest release there at or below the CLI's v3.274.1. */
const PYPI_PULUMI = '3.272.0';
/** The Node SDK's @pulumi/pulumi: the checkout's own version, so npm's cache has it. */
const checkoutVersion = (name: string): string => (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
const NPM_PULUMI = checkoutVersion('@pulumi/pulumi');

let a: Artefacts;
let j: JourneyLab;
const journeys: Journey[] = [];

before(async () => {
  a = await artefacts();
  j = await journeyLab();
}, { timeout: 900_000 });

after(async () => {
  if (j) await stopRuntimes(DIRECTORS.map((name) => j.lab.host(name)));
  j?.lab.destroy();
  if (!process.env['KEEPALIVE_KEEP_JOURNEYS']) for (const journey of journeys) journey.remove();
});

const began = async (language: string, path: readonly string[] = []): Promise<Journey> => {
  const journey = await startJourney(language, a, path);
  journeys.push(journey);
  return journey;
};

/** Every step's time, for the report at the end of each journey. */
function timer(): { step<R>(name: string, f: () => Promise<R>): Promise<R>; text(): string } {
  const times: string[] = [];
  return {
    async step(name, f) {
      const started = performance.now();
      try { return await f(); } finally { times.push(`${name} ${((performance.now() - started) / 1000).toFixed(1)} s`); }
    },
    text: () => times.join(', '),
  };
}

/** The example's files, copied into the user's project. */
const copyExample = (journey: Journey, language: string, files: readonly string[]): void => {
  for (const file of files) copyFileSync(join(EXAMPLES, language, file), join(journey.project, file));
};

/** A user's command in the project, timed; it must succeed. */
async function userStep(journey: Journey, time: ReturnType<typeof timer>, name: string, argv: readonly string[], env = journey.env): Promise<Result> {
  const result = await time.step(name, () => journey.run(argv, { env }));
  assert.equal(result.code, 0, show(argv.join(' '), result));
  return result;
}

/** The example's deploy program (argv, then the command), with the lab's configuration in its environment. */
const deployWith = (journey: Journey, argv: readonly string[]) => {
  const env = { ...journey.env, ...exampleEnv(j) };
  return (command: string): Promise<Result> => journey.run([...argv, command], { env });
};

/**
 * The journey's checks, the same in every language: `deploy(command)` runs the user's preview, up or
 * destroy (refresh too, where the language's runner has it) and returns its output.
 */
async function deployAndCheck(deploy: (command: 'preview' | 'up' | 'refresh' | 'destroy') => Promise<Result>, time: ReturnType<typeof timer>, { json = true } = {}): Promise<void> {
  const preview = await time.step('preview', () => deploy('preview'));
  assert.equal(preview.code, 0, show('preview', preview));
  assert.match(preview.stdout, TOPOLOGY, show('preview', preview));
  if (json) assert.deepEqual(lastJson(preview)['changes'], { create: 6 }, show('preview', preview));

  const up = await time.step('up', () => deploy('up'));
  assert.equal(up.code, 0, show('up', up));
  if (json) {
    const result = lastJson(up);
    assert.equal(result['result'], 'succeeded', show('up', up));
    assert.equal((result['outputs'] as Record<string, unknown>)['expectedMaster'], 'lb1', show('up', up));
  }
  // The VIP answers from lb1, and the client gets the real server through it.
  const master = await time.step('VIP on lb1', () => answeringHost(j.lab, CLIENT, j.vip, DIRECTORS));
  assert.equal(master, 'lb1', 'the director answering for the VIP');
  const served = await time.step('served', () => waitServed(j));
  assert.deepEqual(served, { counts: { [REAL_SERVER]: 3 }, errors: {} }, 'requests to the VIP, by who answered');

  const refresh = await time.step('refresh', () => deploy('refresh'));
  assert.equal(refresh.code, 0, show('refresh', refresh));

  const destroy = await time.step('destroy', () => deploy('destroy'));
  assert.equal(destroy.code, 0, show('destroy', destroy));
  if (json) assert.equal(lastJson(destroy)['result'], 'succeeded', show('destroy', destroy));
  for (const name of DIRECTORS) assert.deepEqual(await leftoversOn(j.lab.host(name)), [], `${name} is clean`);
  assert.equal(await answeringHost(j.lab, CLIENT, j.vip, DIRECTORS), undefined, 'nobody answers for the VIP');
  assert.deepEqual((await throughVip(j, 1)).counts, {}, 'nothing is served through the VIP');
}

describe('a user deploys the HA pair from outside the checkout', () => {
  test('TypeScript: npm install of the packed SDK and @pulumi/pulumi, an Automation API inline program', T, async () => {
    const time = timer();
    const journey = await began('typescript');
    journey.env['PATH'] = `${userNode(journey)}:${journey.env['PATH']}`;
    copyExample(journey, 'typescript', ['package.json', 'tsconfig.json', 'Pulumi.yaml', 'program.ts', 'index.ts', 'deploy.ts']);
    await userStep(journey, time, 'npm install', ['npm', 'install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error',
      `../downloads/keepalive-pulumi-${VERSION}.tgz`, `@pulumi/pulumi@${NPM_PULUMI}`]);
    // The example type-checks against the packed SDK, with the user's own TypeScript (its devDependencies).
    await userStep(journey, time, 'tsc', ['npm', 'run', '--silent', 'typecheck']);
    await deployAndCheck(deployWith(journey, ['node', 'deploy.ts']), time);
    console.log(`typescript: ${time.text()}`);
  });

  test('Python: a venv, pip install of the wheel and pulumi, an Automation API inline program', T, async () => {
    const time = timer();
    const journey = await began('python');
    copyExample(journey, 'python', ['Pulumi.yaml', 'requirements.txt', 'ha_pair.py', '__main__.py', 'deploy.py']);
    await userStep(journey, time, 'venv', ['python3', '-m', 'venv', 'venv']);
    await userStep(journey, time, 'pip install', ['venv/bin/pip', 'install', '--quiet', '--disable-pip-version-check', '--cache-dir', join(CACHE, 'pip'),
      `../downloads/pulumi_keepalive-${VERSION}-py3-none-any.whl`, `pulumi==${PYPI_PULUMI}`]);
    await deployAndCheck(deployWith(journey, ['venv/bin/python', 'deploy.py']), time);
    console.log(`python: ${time.text()}`);
  });

  test('Go: the generated module through a replace, auto.UpsertStackInlineSource', T, async () => {
    const time = timer();
    const journey = await began('go', ['/usr/local/go/bin']);
    copyExample(journey, 'go', ['go.mod', 'Pulumi.yaml', 'hapair.go', 'main.go']);
    appendFileSync(join(journey.project, 'go.mod'), '\nreplace github.com/keepalive/keepalive/sdk/go => ../downloads/keepalive-sdk-go\n');
    await userStep(journey, time, 'go build', ['nice', '-n', '19', 'go', 'build', '-o', 'ha-pair', '.'], { ...journey.env, GOFLAGS: '-mod=mod' });
    await deployAndCheck(deployWith(journey, ['./ha-pair']), time);
    console.log(`go: ${time.text()}`);
  });

  test('YAML: pulumi preview, up, refresh and destroy on the command line, in the directory holding Pulumi.yaml', T, async () => {
    const time = timer();
    const journey = await began('yaml');
    copyExample(journey, 'yaml', ['Pulumi.yaml']);
    const pulumi = (args: readonly string[], input?: string): Promise<Result> => journey.run(['pulumi', ...args], { ...(input !== undefined && { input }) });
    const init = await pulumi(['stack', 'init', 'dev']);
    assert.equal(init.code, 0, show('pulumi stack init', init));
    for (const [key, value] of Object.entries(exampleConfig(j))) {
      const set = await pulumi(['config', 'set', key, '--', value]);
      assert.equal(set.code, 0, show(`pulumi config set ${key}`, set));
    }
    const secret = await pulumi(['config', 'set', '--secret', 'privateKey'], readFileSync(j.privateKeyFile, 'utf8'));
    assert.equal(secret.code, 0, show('pulumi config set --secret privateKey', secret));
    await deployAndCheck((command) => pulumi(command === 'preview' ? ['preview'] : [command, '--yes']), time, { json: false });
    // The key stayed a secret all the way (the example passes the connections on whole, and the provider
    // puts back the key pulumi-yaml drops from them): not in the state in plain text.
    const keyBody = readFileSync(j.privateKeyFile, 'utf8').split('\n')[1]!;
    const state = readdirSync(join(journey.dir, 'state'), { recursive: true }).map(String).filter((f) => f.endsWith('.json'));
    assert.ok(state.length > 0, 'the stack has a state file');
    for (const file of state) assert.ok(!readFileSync(join(journey.dir, 'state', file), 'utf8').includes(keyBody), `${file} holds the private key in plain text`);
    console.log(`yaml: ${time.text()}`);
  });
});

describe('bad input', () => {
  // The engine runs exactly the version a program asks for. Its error names the version asked for
  // (MissingError in the CLI's sdk/go/common/workspace/plugins.go has no room for what is installed);
  // `pulumi plugin ls`, in the same PULUMI_HOME, names the installed one.
  test('a program asking for another version of the plugin than the one installed: refused before anything is created, naming the version', T, async () => {
    const journey = await began('yaml-version');
    writeFileSync(join(journey.project, 'Pulumi.yaml'), `name: wrong-version
runtime: yaml
resources:
  lb1:
    type: keepalive:Host
    properties:
      address: 198.18.255.1
      insecureAcceptUnknownHostKey: true
      privateKey: not-a-key
    options:
      version: 0.0.9
`);
    const pulumi = (args: readonly string[]): Promise<Result> => journey.run(['pulumi', ...args]);
    assert.equal((await pulumi(['stack', 'init', 'dev'])).code, 0);
    const preview = await pulumi(['preview']);
    assert.notEqual(preview.code, 0, show('preview', preview));
    assert.match(preview.stdout, /no resource plugin 'pulumi-resource-keepalive' found in the workspace at version v0\.0\.9/, show('preview', preview));
    assert.doesNotMatch(preview.stdout, /keepalive:index:Host lb1 create/, show('preview', preview));
    const listed = await pulumi(['plugin', 'ls']);
    assert.match(listed.stdout, new RegExp(`keepalive\\s+resource\\s+${VERSION.replaceAll('.', '\\.')}`), show('pulumi plugin ls', listed));
    assert.doesNotMatch(listed.stdout, /0\.0\.9/, show('pulumi plugin ls', listed));
  });
});
