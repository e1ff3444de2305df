// The Terraform plugin protocol side of the provider, without OpenTofu: the schema derived from the one
// description of the resources (provider/core/schema.ts), the DynamicValue codec, the validation
// through the Pulumi provider's Check, and the go-plugin handshake's refusal when run by hand.
// test/terraform-tofu.test.ts runs the same through the real OpenTofu.
import assert from 'node:assert/strict';
import { credentials, loadPackageDefinition, makeGenericClientConstructor, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { refType, resources, type PropertySpec } from '../provider/core/schema.ts';
import { UNKNOWN } from '../provider/core/wire.ts';
import { selfSigned } from '../provider/terraform/cert.ts';
import { fromDynamic, toDynamic } from '../provider/terraform/dynamic.ts';
import { MAGIC_COOKIE } from '../provider/terraform/plugin.ts';
import { standIns, validateResource } from '../provider/terraform/provider.ts';
import { attributePath, inputsFromTerraform, NESTING, resourceAttributeName, resourceSchema, snake, TERRAFORM_TYPES, terraformWords, type Attribute } from '../provider/terraform/schema.ts';

const repo = resolve(import.meta.dirname, '..');

describe('Terraform schema, derived', () => {
  test('the four resources, by Terraform type name', () => {
    assert.deepEqual([...TERRAFORM_TYPES], [
      ['keepalive_host', 'keepalive:index:Host'],
      ['keepalive_vrrp_group', 'keepalive:index:VrrpGroup'],
      ['keepalive_virtual_server', 'keepalive:index:VirtualServer'],
      ['keepalive_real_server', 'keepalive:index:RealServer'],
    ]);
  });

  // Walks the Pulumi properties and the Terraform attributes side by side: the same names (snake_case),
  // descriptions, sensitivity, and flags from required / input / output, at every depth.
  // A resource's own attributes are named by resourceAttributeName (Terraform's reserved names moved
  // aside); those inside nested types are plain snake_case.
  function same(properties: Readonly<Record<string, PropertySpec>>, attributes: Attribute[], where: string, mode: { input: boolean; required: readonly string[] }, name = snake): void {
    assert.deepEqual(attributes.map((a) => a.name).sort(), Object.keys(properties).map(name).sort(), where);
    for (const [key, spec] of Object.entries(properties)) {
      const a = attributes.find((x) => x.name === name(key))!;
      const at = `${where}.${a.name}`;
      assert.ok(a.description.startsWith(terraformWords(spec.description ?? '')), `${at} description`);
      assert.equal(a.sensitive, spec.secret === true, `${at} sensitive`);
      assert.equal(a.required, mode.input && mode.required.includes(key), `${at} required`);
      assert.equal(a.optional, mode.input && !mode.required.includes(key), `${at} optional`);
      assert.equal(a.computed, !mode.input || (!mode.required.includes(key) && spec.default !== undefined), `${at} computed`);
      const item = spec.type === 'array' ? spec.items! : spec;
      const type = item.$ref === undefined ? undefined : refType(item.$ref);
      if (type?.properties) {
        assert.equal(a.type, undefined, at);
        assert.equal(a.nested_type?.nesting, spec.type === 'array' ? NESTING.LIST : NESTING.SINGLE, at);
        same(type.properties, a.nested_type!.attributes, at, { input: mode.input, required: type.required ?? [] });
      } else {
        const scalar = ({ string: 'string', integer: 'number', number: 'number', boolean: 'bool' } as Record<string, string>)[type?.type ?? item.type!];
        assert.deepEqual(JSON.parse(a.type!.toString()), spec.type === 'array' ? ['list', scalar] : scalar, at);
        if (type?.enum) for (const e of type.enum) assert.ok(a.description.includes(`\`${e.value}\``), `${at} names ${e.value}`);
      }
    }
  }

  for (const [name, token] of TERRAFORM_TYPES) {
    test(`${name} has every property of ${token}, as the Pulumi schema says, a name and an id`, () => {
      const schema = resourceSchema(token);
      const spec = resources[token];
      assert.equal(schema.block.description, terraformWords(spec.description));
      const [nameAttribute, id, ...attributes] = schema.block.attributes;
      assert.deepEqual([nameAttribute!.name, nameAttribute!.computed, nameAttribute!.optional], ['name', true, true]);
      assert.deepEqual([id!.name, id!.computed, id!.optional], ['id', true, false]);
      const inputs = Object.fromEntries(Object.entries(spec.properties).filter(([k]) => Object.hasOwn(spec.inputProperties, k)));
      const outputs = Object.fromEntries(Object.entries(spec.properties).filter(([k]) => !Object.hasOwn(spec.inputProperties, k)));
      same(inputs, attributes.filter((a) => Object.keys(inputs).map(resourceAttributeName).includes(a.name)), name, { input: true, required: spec.requiredInputs }, resourceAttributeName);
      same(outputs, attributes.filter((a) => Object.keys(outputs).map(resourceAttributeName).includes(a.name)), name, { input: false, required: [] }, resourceAttributeName);
    });
  }

  test('the private key is sensitive wherever it is: the host\'s, its connection\'s, a member\'s host\'s', () => {
    const find = (attributes: Attribute[], ...path: string[]): Attribute =>
      path.reduce<Attribute | undefined>((a, name) => (a ? a.nested_type!.attributes : attributes).find((x) => x.name === name), undefined)!;
    const host = resourceSchema('keepalive:index:Host').block.attributes;
    assert.equal(find(host, 'private_key').sensitive, true);
    assert.equal(find(host, 'host_connection', 'private_key').sensitive, true);
    assert.equal(find(resourceSchema('keepalive:index:VrrpGroup').block.attributes, 'members', 'host', 'private_key').sensitive, true);
    assert.equal(find(resourceSchema('keepalive:index:VirtualServer').block.attributes, 'directors', 'private_key').sensitive, true);
  });

  test('paths and words in Terraform\'s spelling', () => {
    assert.deepEqual(attributePath('members[1].host.privateKey'), [
      { attribute_name: 'members' }, { element_key_int: 1 }, { attribute_name: 'host' }, { attribute_name: 'private_key' },
    ]);
    assert.equal(terraformWords('hostKey is pinned: leave insecureAcceptUnknownHostKey out (notAProperty)'), 'host_key is pinned: leave insecure_accept_unknown_host_key out (notAProperty)');
  });

  test('a configuration in Terraform\'s form becomes the Pulumi provider\'s inputs: camelCase, nulls and outputs left out', () => {
    const config = {
      id: null, vrid: 51, interface: 'eth0', virtual_ips: ['198.18.0.100'], version: null, advert_interval_ms: 100,
      preempt: null, preempt_delay_ms: null, unicast: null, tracking: null, notify: null, smtp_alert: null, expected_master: null, live_master: null, fragments: null,
      members: [{ host: UNKNOWN, priority: 200, interface: null, source_address: null }, { host: { name: 'lb2', address: '198.18.0.2', port: 22, user: 'root', private_key: 'k', host_key: null, insecure_accept_unknown_host_key: true, install_dir: '/opt/keepalive', config_dir: '/etc/keepalive', service_manager: 'none' }, priority: null, interface: null, source_address: '198.18.0.2' }],
    };
    assert.deepEqual(inputsFromTerraform('keepalive:index:VrrpGroup', config), {
      vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100'], advertIntervalMs: 100,
      members: [{ host: UNKNOWN, priority: 200 }, { host: { name: 'lb2', address: '198.18.0.2', port: 22, user: 'root', privateKey: 'k', insecureAcceptUnknownHostKey: true, installDir: '/opt/keepalive', configDir: '/etc/keepalive', serviceManager: 'none' }, sourceAddress: '198.18.0.2' }],
    });
    const { inputs, paths } = standIns('keepalive:index:VrrpGroup', { members: [{ host: UNKNOWN }, { host: { name: 'x', address: UNKNOWN } }, { host: { name: 'y', address: '198.18.0.3' } }] });
    assert.deepEqual(paths, ['members[0].host', 'members[1].host']);
    const members = inputs.members as { host: { address: string } }[];
    assert.deepEqual(members.map((m) => m.host.address), ['203.0.113.1', '203.0.113.2', '198.18.0.3']);
  });
});

describe('DynamicValue codec (MessagePack)', () => {
  test('values round-trip; every extension type reads as unknown, written back as type 0', () => {
    const value = { vrid: 51, name: 'vip', up: true, none: null, list: ['a', 'b'], nested: { n: 1.5 } };
    assert.deepEqual(fromDynamic(toDynamic(value)), value);
    // { "a": unknown (fixext1 type 0), "b": refined unknown (fixext2 type 12), "c": ext8 type 5 }
    const bytes = Buffer.from([0x83, 0xa1, 0x61, 0xd4, 0x00, 0x00, 0xa1, 0x62, 0xd5, 0x0c, 0x01, 0x02, 0xa1, 0x63, 0xc7, 0x03, 0x05, 1, 2, 3]);
    const decoded = fromDynamic({ msgpack: bytes });
    assert.deepEqual(decoded, { a: UNKNOWN, b: UNKNOWN, c: UNKNOWN });
    assert.deepEqual(toDynamic(decoded).msgpack, Buffer.from([0x83, 0xa1, 0x61, 0xd4, 0x00, 0x00, 0xa1, 0x62, 0xd4, 0x00, 0x00, 0xa1, 0x63, 0xd4, 0x00, 0x00]));
    // The extension timestamp (-1) is not a date here: OpenTofu sends none, so it too is unknown.
    assert.equal(fromDynamic({ msgpack: Buffer.from([0xd6, 0xff, 0, 0, 0, 1]) }), UNKNOWN);
    assert.equal(fromDynamic({ msgpack: Buffer.alloc(0) }), null);
    assert.deepEqual(fromDynamic({ json: Buffer.from('{"a":1}') }), { a: 1 });
  });
});

describe('validation through the Pulumi provider\'s Check', () => {
  const host = { name: 'lb1', address: '198.18.0.1', port: 22, user: 'root', private_key: 'k', host_key: null, insecure_accept_unknown_host_key: true, install_dir: '/opt/keepalive', config_dir: '/etc/keepalive', service_manager: 'systemd' };
  const group = (priority: number, member: unknown = UNKNOWN) => ({ vrid: 51, interface: 'eth0', virtual_ips: ['198.18.0.100/24'], members: [{ host: member, priority }, { host: UNKNOWN, priority: 100 }] });

  test('a priority out of range names its path, with the hosts not known yet', async () => {
    const diagnostics = await validateResource('keepalive_vrrp_group', group(300));
    assert.deepEqual(diagnostics, [{
      severity: 1, summary: 'members[0].priority: priority 300 is out of range 1..255', detail: '',
      attribute: { steps: [{ attribute_name: 'members' }, { element_key_int: 0 }, { attribute_name: 'priority' }] },
    }]);
    assert.deepEqual(await validateResource('keepalive_vrrp_group', group(200)), []);
    assert.deepEqual(await validateResource('keepalive_vrrp_group', group(200, host)), []);
  });

  test('a shape failure (a string where a number goes) and an unknown type', async () => {
    const [d] = await validateResource('keepalive_vrrp_group', { ...group(200), vrid: 'x' });
    assert.equal(d?.summary, 'vrid: expected an integer, got "x"');
    const [u] = await validateResource('keepalive_nothing', {});
    assert.match(u!.summary, /keepalive has no resource type keepalive_nothing/);
  });
});

describe('handshake', () => {
  const run = (env: Record<string, string>) => spawnSync(resolve(repo, 'provider/bin/terraform-provider-keepalive'), [], {
    encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', ...env },
  });

  test('run by hand, without the magic cookie: a clear message on stderr, nothing on stdout, exit 1', () => {
    const result = run({});
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^terraform-provider-keepalive: This is the keepalive provider plugin for OpenTofu and Terraform: it is not meant to be run by hand\./);
    assert.equal(run({ TF_PLUGIN_MAGIC_COOKIE: 'wrong' }).status, 1);
  });

  test('a client that does not speak protocol 6 is refused', () => {
    const result = run({ TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS: '5' });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /speaks plugin protocol versions 5; this provider speaks 6 only/);
  });
});

describe('handshake and AutoMTLS, as go-plugin does them', () => {
  const pem = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  const call = (client: Client, method: string, request: object = {}) => new Promise<Record<string, unknown>>((done, fail) => {
    (client as unknown as Record<string, (r: object, cb: (e: Error | null, v: Record<string, unknown>) => void) => void>)[method]!(request, (e, v) => (e ? fail(e) : done(v)));
  });

  test('the handshake line names a unix socket and a localhost certificate; only the client certificate is let in; Shutdown ends the plugin', async () => {
    const clientCert = selfSigned();
    const plugin = spawn(resolve(repo, 'provider/bin/terraform-provider-keepalive'), [], {
      env: { PATH: process.env.PATH ?? '', TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS: '5,6', PLUGIN_CLIENT_CERT: clientCert.pem },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((done) => plugin.once('exit', done));
    try {
      const [line] = await createInterface({ input: plugin.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
      const [core, version, network, socket, protocol, cert] = line!.split('|');
      assert.deepEqual([core, version, network, protocol], ['1', '6', 'unix', 'grpc']);
      assert.ok(existsSync(socket!), socket);
      assert.doesNotMatch(cert!, /=/, 'base64 without padding');
      const der = Buffer.from(cert!, 'base64');
      const server = new X509Certificate(der);
      assert.equal(server.subjectAltName, 'DNS:localhost');
      assert.ok(server.verify(server.publicKey));

      const options = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' };
      const definition = loadPackageDefinition(loadSync(resolve(repo, 'provider/terraform/tfplugin6.10.proto'), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true }));
      const Provider = (definition.tfplugin6 as Record<string, ServiceClientConstructor>).Provider!;
      const trusted = new Provider(`unix://${socket}`, credentials.createSsl(Buffer.from(pem(der)), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.pem)), options);
      const schema = await call(trusted, 'GetProviderSchema');
      assert.deepEqual(Object.keys(schema.resource_schemas as object).sort(), ['keepalive_host', 'keepalive_real_server', 'keepalive_virtual_server', 'keepalive_vrrp_group']);
      const metadata = await call(trusted, 'GetMetadata');
      assert.deepEqual((metadata.resources as { type_name: string }[]).map((r) => r.type_name), [...TERRAFORM_TYPES.keys()]);
      await assert.rejects(call(trusted, 'ReadDataSource', { type_name: 'keepalive_host' }), /UNIMPLEMENTED/);
      trusted.close();

      // Another client certificate, or none: the TLS handshake fails.
      const stranger = selfSigned();
      const untrusted = new Provider(`unix://${socket}`, credentials.createSsl(Buffer.from(pem(der)), Buffer.from(stranger.keyPem), Buffer.from(stranger.pem)), options);
      await assert.rejects(call(untrusted, 'GetMetadata'), /UNAVAILABLE/);
      untrusted.close();

      const raw = (path: string, response: (b: Buffer) => unknown) => ({ path, requestStream: false, responseStream: false, requestSerialize: () => Buffer.alloc(0), requestDeserialize: () => ({}), responseSerialize: () => Buffer.alloc(0), responseDeserialize: response });
      const creds = credentials.createSsl(Buffer.from(pem(der)), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.pem));
      const Health = makeGenericClientConstructor({ Check: raw('/grpc.health.v1.Health/Check', (b) => ({ status: b.toString('hex') })) }, 'Health');
      const health = new Health(`unix://${socket}`, creds, options);
      assert.deepEqual(await call(health, 'Check'), { status: '0801' }, 'SERVING');
      health.close();
      const Controller = makeGenericClientConstructor({ Shutdown: raw('/plugin.GRPCController/Shutdown', () => ({})) }, 'Controller');
      const controller = new Controller(`unix://${socket}`, creds, options);
      await call(controller, 'Shutdown');
      controller.close();
      assert.equal(await exited, 0);
      assert.ok(!existsSync(dirname(socket!)), 'the socket\'s directory is removed');
    } finally {
      if (plugin.exitCode === null) plugin.kill();
    }
  });
});
