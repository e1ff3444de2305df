// The package schema (provider/core/schema.ts, the one source of provider/schema.json and of the
// provider's types) and the bridge from resource inputs to the runtime's configuration model
// (provider/core/fragments.ts): what the provider writes is what the runtime's loader reads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../runtime/src/config/diagnostics.ts';
import { readJsonOrYaml } from '../runtime/src/config/json.ts';
import { LB_SCHEDULERS } from '../runtime/src/config/model.ts';
import { validateConfig } from '../runtime/src/config/validate.ts';
import {
  groupPieces, mergeHost, printTraced, providerSpelling, realServerPieces, Traced, validateHost, virtualServerPieces, virtualServerRef,
} from '../provider/core/fragments.ts';
import { packageSchema, refType, resources, types, type HostConnection, type Inputs, type PropertySpec } from '../provider/core/schema.ts';

describe('package schema', () => {
  test('provider/schema.json is what schema.ts prints', () => {
    const file = readFileSync(new URL('../provider/schema.json', import.meta.url), 'utf8');
    assert.equal(file, `${JSON.stringify(packageSchema(), null, 2)}\n`, 'regenerate it: node provider/core/schema.ts > provider/schema.json');
  });

  test('every reference resolves, every required property exists, outputs include the inputs', () => {
    const specs = (props: Readonly<Record<string, PropertySpec>>): PropertySpec[] => Object.values(props).flatMap((p) => (p.items ? [p, p.items] : [p]));
    for (const [token, type] of Object.entries(types)) {
      for (const key of type.required ?? []) assert.ok(type.properties?.[key], `${token}.${key}`);
      for (const spec of specs(type.properties ?? {})) if (spec.$ref) refType(spec.$ref);
    }
    for (const [token, resource] of Object.entries(resources)) {
      assert.match(token, /^keepalive:index:[A-Z][A-Za-z]+$/);
      for (const key of resource.requiredInputs) assert.ok(resource.inputProperties[key], `${token} input ${key}`);
      for (const key of resource.required) assert.ok(resource.properties[key], `${token} output ${key}`);
      for (const key of Object.keys(resource.inputProperties)) assert.deepEqual(resource.properties[key], resource.inputProperties[key], `${token}.${key}`);
      for (const spec of specs(resource.properties)) if (spec.$ref) refType(spec.$ref);
    }
  });

  test('the scheduler enum is the runtime\'s list, and secrets are marked', () => {
    assert.deepEqual(refType('#/types/keepalive:index:Scheduler').enum?.map((e) => e.value), [...LB_SCHEDULERS]);
    assert.equal(resources['keepalive:index:Host'].inputProperties.privateKey?.secret, true);
    assert.equal(types['keepalive:index:HostConnection']?.properties?.privateKey?.secret, true);
  });

  test('the derived types follow the schema: tsc accepts this file, and rejects it without its expected errors', () => {
    const member = { host: { name: 'h1', address: '198.18.0.1', port: 22, user: 'root', privateKey: 'k', installDir: '/opt/keepalive', configDir: '/etc/keepalive', serviceManager: 'none' } satisfies HostConnection, priority: 200 };
    const group: Inputs<'keepalive:index:VrrpGroup'> = { vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'], members: [member], version: 3 };
    // @ts-expect-error a VRRP version is 2 or 3
    const wrongVersion: Inputs<'keepalive:index:VrrpGroup'> = { ...group, version: 4 };
    // @ts-expect-error vrid is required
    const noVrid: Inputs<'keepalive:index:VrrpGroup'> = { interface: 'eth0', virtualIps: [], members: [] };
    void [wrongVersion, noVrid]; // read by the type checker, which is what this test runs
    // Node only strips types, so the directives above mean something only when tsc checks this file:
    // this file as it is must pass, and two copies must fail, which shows each directive has an error
    // to expect. Without the directives, each marked line is a type error; with `version: 3`, the
    // version directive expects an error that no longer comes (TS2578).
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const directive = '// @ts-expect-error';
    const marked = source.split('\n').flatMap((line, i) => (line.trim().startsWith(directive) ? [i + 2] : []));
    assert.equal(marked.length, 2);
    const dir = mkdtempSync(join(tmpdir(), 'keepalive-schema-tsc-'));
    try {
      // The copies live outside test/ (so a concurrent `tsc -p .` never sees them), with their
      // relative imports made absolute, as .mts (ES modules without a package.json); line numbers
      // stay those of this file.
      const repo = fileURLToPath(new URL('../', import.meta.url));
      const relocate = (text: string): string => text.replaceAll("from '../", `from '${repo}`);
      const undirected = join(dir, 'no-directives.mts');
      writeFileSync(undirected, relocate(source.split('\n').map((line) => (line.trim().startsWith(directive) ? '' : line)).join('\n')));
      const versionThree = join(dir, 'version-3.mts');
      writeFileSync(versionThree, relocate(source.replace('{ ...group, version: 4 }', '{ ...group, version: 3 }')));
      const self = fileURLToPath(import.meta.url);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        extends: join(repo, 'tsconfig.json'),
        compilerOptions: { typeRoots: [join(repo, 'node_modules/@types')] },
        files: [self, undirected, versionThree],
        include: [],
      }));
      const tsc = spawnSync(join(repo, 'node_modules/.bin/tsc'), ['-p', dir, '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
      // Each diagnostic: `file(line,col): error TSnnnn: message`, its elaboration on indented lines after it.
      const errors = new Map<string, { line: number; text: string }[]>();
      for (const m of tsc.stdout.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+: .*(?:\n .*)*)/gm)) {
        const file = resolve(dir, m[1]!);
        errors.set(file, [...(errors.get(file) ?? []), { line: Number(m[2]), text: m[3]! }]);
      }
      assert.equal(tsc.error, undefined);
      assert.deepEqual([...errors.keys()].sort(), [undirected, versionThree].sort(), `tsc said:\n${tsc.stdout}${tsc.stderr}`);
      const [versionLine, vridLine] = marked as [number, number];
      const [badVersion, missingVrid, ...more] = errors.get(undirected)!;
      assert.deepEqual(more, []);
      assert.equal(badVersion?.line, versionLine);
      assert.match(badVersion.text, /^TS2322: Type '4' is not assignable to type '2 \| 3 \| undefined'/);
      assert.equal(missingVrid?.line, vridLine);
      assert.match(missingVrid.text, /^TS2322: [^]*Property 'vrid' is missing/);
      assert.deepEqual(errors.get(versionThree), [{ line: versionLine - 1, text: "TS2578: Unused '@ts-expect-error' directive." }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const urn = (type: string, name: string): string => `urn:pulumi:lab::p::keepalive:index:${type}::${name}`;
const host = (name: string, address: string): HostConnection => ({ name, address, port: 22, user: 'root', privateKey: 'k', installDir: '/opt/keepalive', configDir: '/etc/keepalive', serviceManager: 'none' });
const h1 = host('h1', '198.18.0.1');
const h2 = host('h2', '198.18.0.2');

/** Loads a host's merged configuration with the runtime's loader and validator, as `keepalive check` would. */
function load(pieces: Parameters<typeof mergeHost>[0]) {
  const { config, collisions } = mergeHost(pieces);
  assert.deepEqual(collisions, []);
  const diagnostics = new Diagnostics();
  const model = readJsonOrYaml(printTraced(config).text, 'host.json', diagnostics);
  validateConfig(model, providerSpelling, diagnostics);
  assert.deepEqual(diagnostics.errors, []);
  return model;
}

describe('inputs in the runtime\'s model', () => {
  test('printed JSON keeps the origin of every line', () => {
    const o = (property: string) => ({ urn: 'u', property });
    const { text, origins } = printTraced({ a: new Traced({ b: new Traced(1, o('x.b')), c: [new Traced('v', o('x.c[0]'))] }, o('x')), d: [] });
    assert.equal(text, '{\n  "a": {\n    "b": 1,\n    "c": [\n      "v"\n    ]\n  },\n  "d": []\n}\n');
    assert.deepEqual(origins.map((x) => x?.property), [undefined, 'x', 'x.b', 'x', 'x.c[0]', 'x', 'x', undefined, undefined]);
  });

  test('a unicast group with trackers, notify scripts and alerts, as the runtime reads it on one member', () => {
    const group: Inputs<'keepalive:index:VrrpGroup'> = {
      vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'], unicast: true, preempt: false, advertIntervalMs: 1000,
      members: [{ host: h1, priority: 200, sourceAddress: '198.18.0.1' }, { host: h2 }],
      tracking: { interfaces: [{ name: 'eth1', weight: -50 }], scripts: [{ name: 'haproxy', script: '/usr/bin/pidof haproxy', weight: -20 }], files: [{ name: 'maint', file: '/run/maint' }] },
      notify: { master: '/usr/local/bin/became master' },
      smtpAlert: { server: '198.51.100.25', from: 'ha@example.com', to: ['ops@example.com'] },
    };
    const [onH1] = groupPieces(urn('VrrpGroup', 'web'), group);
    const model = load([onH1!]);
    const instance = model.vrrpInstances[0]!;
    assert.equal(instance.name, 'web');
    assert.equal(instance.priority, 200);
    assert.equal(instance.advertIntCs, 100);
    assert.equal(instance.nopreempt, true);
    assert.equal(instance.unicastSrcIp, '198.18.0.1');
    assert.deepEqual(instance.unicastPeer.map((p) => p.address), ['198.18.0.2']);
    assert.deepEqual(instance.trackScript.map((t) => t.name), ['web_haproxy']);
    assert.deepEqual(instance.trackInterface.map((t) => [t.name, t.weight]), [['eth1', -50]]);
    assert.equal(instance.notifyMaster, '/usr/local/bin/became master');
    assert.equal(instance.smtpAlert, true);
    assert.deepEqual(model.vrrpScripts.map((s) => [s.name, s.weight]), [['web_haproxy', -20]]);
    assert.deepEqual(model.trackFiles.map((f) => f.name), ['web_maint']);
    assert.deepEqual(model.globalDefs.smtpServer, { host: '198.51.100.25', port: 25 });
  });

  test('a virtual server and its real servers merge into one service on each director', () => {
    const vsUrn = urn('VirtualServer', 'www');
    const vs: Inputs<'keepalive:index:VirtualServer'> = { address: '198.18.0.100', port: 80, scheduler: 'rr', method: 'NAT', persistence: { timeoutMs: 300_000 }, directors: [h1, h2], healthCheck: { kind: 'TCP_CHECK' } };
    const ref = virtualServerRef(vsUrn, vs, vs.directors) as Inputs<'keepalive:index:RealServer'>['virtualServer'];
    const rs1 = realServerPieces(urn('RealServer', 'a'), { virtualServer: ref, address: '198.18.1.11', port: 8080, weight: 2 });
    const rs2 = realServerPieces(urn('RealServer', 'b'), { virtualServer: ref, address: '198.18.1.12', healthCheck: { kind: 'HTTP_GET', url: [{ path: '/healthz', statusCode: ['200-299'] }] } });
    const model = load([virtualServerPieces(vsUrn, vs, { probe: false })[0]!, rs1[0]!, rs2[0]!]);
    const service = model.virtualServers[0]!;
    assert.deepEqual([service.protocol, service.address, service.port, service.lvsSched, service.persistenceTimeoutMs], ['TCP', '198.18.0.100', 80, 'rr', 300_000]);
    assert.deepEqual(service.realServers.map((r) => [r.address, r.port, r.weight, r.checkers.map((c) => c.kind)]), [
      ['198.18.1.11', 8080, 2, ['TCP_CHECK']],
      ['198.18.1.12', undefined, 1, ['HTTP_GET']],
    ]);
  });

  test('two groups on one host must agree on the SMTP server, and a tracker weight out of range names its field', () => {
    const base: Inputs<'keepalive:index:VrrpGroup'> = { vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'], members: [{ host: h1 }], smtpAlert: { server: '198.51.100.25', from: 'a@example.com', to: ['ops@example.com'] } };
    const web = groupPieces(urn('VrrpGroup', 'web'), base);
    const db = groupPieces(urn('VrrpGroup', 'db'), { ...base, vrid: 52, smtpAlert: { server: '198.51.100.26', from: 'a@example.com', to: ['ops@example.com'] } });
    assert.deepEqual(validateHost([...web, ...db], urn('VrrpGroup', 'db')).failures, [
      { property: 'smtpAlert.server', reason: 'h1 already uses 198.51.100.25:25 (from VrrpGroup web): a host has one smtpAlert.server' },
    ]);
    const heavy = groupPieces(urn('VrrpGroup', 'heavy'), { ...base, smtpAlert: undefined, tracking: { scripts: [{ name: 'chk', script: '/bin/true', weight: 300 }] } });
    assert.deepEqual(validateHost(heavy, urn('VrrpGroup', 'heavy')).failures, [{ property: 'tracking.scripts[0].weight', reason: 'weight 300 is out of range -253..253' }]);
  });
});
