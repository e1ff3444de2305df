// The provider plugin driven over gRPC exactly as the Pulumi engine drives it: the plugin binary is
// started with the engine's address as its argument, prints its port, and is called with Pulumi's own
// stubs (@pulumi/pulumi/proto). The engine side is a real gRPC Engine service that takes the plugin's
// Log calls, which is where the topology preview goes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import emptyProto from 'google-protobuf/google/protobuf/empty_pb.js';
import engineProto from '@pulumi/pulumi/proto/engine_pb.js';
import providerGrpc from '@pulumi/pulumi/proto/provider_grpc_pb.js';
import providerProto from '@pulumi/pulumi/proto/provider_pb.js';
import type { PluginInfo } from '@pulumi/pulumi/proto/plugin_pb.js';
import type { CheckResponse, ConfigureResponse, DiffResponse, GetSchemaResponse } from '@pulumi/pulumi/proto/provider_pb.js';
import { unknownValue } from '@pulumi/pulumi/runtime/rpc.js';
import { packageSchema } from '../provider/core/schema.ts';
import { call, secret, startEngine, startPlugin, toStruct, urn, type Props } from './fixtures/provider/engine.ts';

const root = new URL('..', import.meta.url).pathname;

describe('provider plugin over gRPC', () => {
  let engine: Awaited<ReturnType<typeof startEngine>>;
  let started: Awaited<ReturnType<typeof startPlugin>>;
  let client: InstanceType<typeof providerGrpc.ResourceProviderClient>;
  let keys: string;
  let privateKey: string;
  let hostKey: string;

  before(async () => {
    keys = mkdtempSync(join(tmpdir(), 'keepalive-provider-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'provider-test', '-f', join(keys, 'key')]);
    privateKey = readFileSync(join(keys, 'key'), 'utf8');
    hostKey = readFileSync(join(keys, 'key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    engine = await startEngine();
    started = await startPlugin(engine.address);
    client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${started.port}`, credentials.createInsecure());
  });

  after(() => {
    client?.close();
    started?.child.kill();
    engine?.server.forceShutdown();
    if (keys) rmSync(keys, { recursive: true, force: true });
  });

  /** Check as the engine calls it; the inputs come back as plain values (secrets still wrapped). */
  async function check(type: string, name: string, news: Props, olds: Props = {}): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const request = new providerProto.CheckRequest()
      .setUrn(urn(type, name)).setName(name).setType(`keepalive:index:${type}`)
      .setOlds(toStruct(olds)).setNews(toStruct(news));
    const response = await call<CheckResponse>((done) => client.check(request, done));
    return {
      inputs: response.getInputs()?.toJavaScript() ?? {},
      failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** Diff as the engine calls it, with the old outputs as `olds`; returns the log lines it caused. */
  async function diff(type: string, name: string, olds: Props, news: Props) {
    const logged = engine.logs.length;
    const request = new providerProto.DiffRequest()
      .setId(name).setUrn(urn(type, name)).setName(name).setType(`keepalive:index:${type}`)
      .setOlds(toStruct(olds)).setOldInputs(toStruct(olds)).setNews(toStruct(news));
    const response = await call<DiffResponse>((done) => client.diff(request, done));
    return {
      changes: response.getChanges(),
      replaces: response.getReplacesList(),
      deleteBeforeReplace: response.getDeletebeforereplace(),
      words: engine.logs.slice(logged).filter((l) => l.urn === urn(type, name)).map((l) => l.message),
    };
  }

  const logsOf = (type: string, name: string): string[] => engine.logs.filter((l) => l.urn === urn(type, name)).map((l) => l.message);
  const hostInputs = (address: string): Props => ({ address, privateKey: secret(privateKey), hostKey });

  /** Read as the engine calls it to import: the ID alone, no inputs and no state. */
  async function importRead(type: string, name: string, id: string): Promise<string> {
    const request = new providerProto.ReadRequest().setId(id).setUrn(urn(type, name)).setName(name).setType(`keepalive:index:${type}`)
      .setProperties(toStruct({})).setInputs(toStruct({}));
    return call((done) => client.read(request, done)).then(() => 'imported', (error: ServiceError) => error.details);
  }

  test('an import that cannot be carried out says why, before any host is reached', async () => {
    assert.match(await importRead('RealServer', 'rs1', 'rs1'), /cannot import RealServer rs1 from ID "rs1": a RealServer ID is FRAGMENT@HOST:PORT\[,HOST:PORT\.\.\.\], here realserver-rs1@ADDRESS:22/);
    assert.match(await importRead('RealServer', 'rs1', 'realserver-rs2@198.18.0.1:22'), /the ID names fragment realserver-rs2, but a RealServer of this name keeps realserver-rs1; import it under the name it was deployed with/);
    assert.match(await importRead('VrrpGroup', 'vip', 'vrrpgroup-vip@198.18.0.1'), /"198\.18\.0\.1" in its ID is not ADDRESS:PORT/);
    // The hosts are reached with the keys of the program's Host resources: none is declared for this one.
    assert.match(await importRead('VrrpGroup', 'vip', 'vrrpgroup-vip@198.18.0.77:22'), /no Host resource in this program connects to 198\.18\.0\.77:22; declare the Host resources it lives on/);
    assert.match(await importRead('Host', 'lb1', '198.18.0.1:22'), /a Host is not imported but declared/);
  });

  test('GetPluginInfo and GetSchema: the version and the package schema, as provider/schema.json holds it', async () => {
    const info = await call<PluginInfo>((done) => client.getPluginInfo(new emptyProto.Empty(), done));
    assert.equal(info.getVersion(), '0.1.0');
    const response = await call<GetSchemaResponse>((done) => client.getSchema(new providerProto.GetSchemaRequest().setVersion(0), done));
    const schema: { resources: object } = JSON.parse(response.getSchema());
    assert.deepEqual(Object.keys(schema.resources), ['keepalive:index:Host', 'keepalive:index:VrrpGroup', 'keepalive:index:VirtualServer', 'keepalive:index:RealServer']);
    assert.deepEqual(schema, packageSchema());
    assert.deepEqual(schema, JSON.parse(readFileSync(join(root, 'provider/schema.json'), 'utf8')));
  });

  test('Handshake and CheckConfig are unimplemented, which the engine takes as "use Configure" and "config as given"', async () => {
    const handshake = new providerProto.ProviderHandshakeRequest().setEngineAddress(engine.address);
    await assert.rejects(call((done) => client.handshake(handshake, done)), (e: ServiceError) => e.code === status.UNIMPLEMENTED);
    const request = new providerProto.CheckRequest().setUrn('urn:pulumi:lab::keepalive-example::pulumi:providers:keepalive::default').setOlds(toStruct({})).setNews(toStruct({ version: '0.1.0' }));
    await assert.rejects(call((done) => client.checkConfig(request, done)), (e: ServiceError) => e.code === status.UNIMPLEMENTED);
  });

  test('Configure: the plugin takes secrets and resource references', async () => {
    const request = new providerProto.ConfigureRequest().setAcceptsecrets(true).setAcceptresources(true).setArgs(toStruct({}));
    const response = await call<ConfigureResponse>((done) => client.configure(request, done));
    assert.equal(response.getAcceptsecrets(), true);
    assert.equal(response.getAcceptresources(), true);
  });

  let h1: Props;
  let h2: Props;
  let h3: Props;

  test('Check Host: a pinned key gives a connection whose private key stays secret; creation is described', async () => {
    const r1 = await check('Host', 'h1', hostInputs('198.18.0.1'));
    assert.deepEqual(r1.failures, []);
    h1 = r1.inputs.connection as Props;
    assert.equal(h1.name, 'h1');
    assert.equal(h1.port, 22);
    assert.deepEqual(h1.privateKey, secret(privateKey));
    assert.deepEqual(logsOf('Host', 'h1'), ['host h1: keepalive goes to /opt/keepalive on root@198.18.0.1:22 (systemd)']);
    h2 = (await check('Host', 'h2', { ...hostInputs('198.18.0.2'), serviceManager: 'none' })).inputs.connection as Props;
    h3 = (await check('Host', 'h3', hostInputs('198.18.0.3'))).inputs.connection as Props;
  });

  test('Check Host: an unpinned host key is refused unless the loud opt-in is set, and then warned about', async () => {
    const missing = await check('Host', 'h9', { address: '198.18.0.9', privateKey: secret(privateKey) });
    assert.equal(missing.failures.length, 1);
    assert.equal(missing.failures[0]!.property, 'hostKey');
    assert.match(missing.failures[0]!.reason, /insecureAcceptUnknownHostKey/);
    const opted = await check('Host', 'h8', { address: '198.18.0.8', privateKey: secret(privateKey), insecureAcceptUnknownHostKey: true });
    assert.deepEqual(opted.failures, []);
    const warnings = engine.logs.filter((l) => l.urn === urn('Host', 'h8') && l.severity === engineProto.LogSeverity.WARNING);
    assert.match(warnings[0]!.message, /insecureAcceptUnknownHostKey is on/);
    const mislabelled = await check('Host', 'h7', { ...hostInputs('198.18.0.7'), hostKey: hostKey.replace('ssh-ed25519', 'ssh-rsa') });
    assert.deepEqual(mislabelled.failures.map((f) => f.property), ['hostKey']);
    const notAKey = await check('Host', 'h6', { ...hostInputs('198.18.0.6'), privateKey: secret('hunter2') });
    assert.deepEqual(notAKey.failures.map((f) => f.property), ['privateKey']);
  });

  const group = (members: Props[], extra: Props = {}): Props => ({ vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'], members, ...extra });
  let web: Props;

  test('Check VrrpGroup: valid inputs get the expected master and the creation in words', async () => {
    const r = await check('VrrpGroup', 'web', group([{ host: h1, priority: 200 }, { host: secret(h2), priority: 150 }]));
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs.expectedMaster, 'h1');
    web = r.inputs;
    assert.deepEqual(logsOf('VrrpGroup', 'web'), ['vrid 51: master h1 (priority 200 > 150)', 'VIP 198.18.0.100/24 comes up on h1']);
  });

  test('Check VrrpGroup: an invalid VIP, and priorities 0 and 256, are refused naming the field', async () => {
    const r = await check('VrrpGroup', 'bad', group([{ host: h1, priority: 256 }, { host: h2, priority: 0 }], { vrid: 60, virtualIps: ['198.18.0.300/24'] }));
    assert.deepEqual(r.failures, [
      { property: 'virtualIps[0]', reason: '"198.18.0.300" is not an IP address' },
      { property: 'members[0].priority', reason: 'priority 256 is out of range 1..255' },
      { property: 'members[1].priority', reason: 'priority 0 is out of range 1..255' },
    ]);
  });

  test('Check VrrpGroup: a VRID already used on the same interface of a host is refused', async () => {
    const r = await check('VrrpGroup', 'db', group([{ host: h2, priority: 100 }, { host: h3, priority: 90 }], { virtualIps: ['198.18.0.101/24'] }));
    assert.deepEqual(r.failures, [{ property: 'vrid', reason: 'vrid 51 on eth0 (IPv4) is also used by web (VrrpGroup web\'s vrid) (on h2)' }]);
    // Another interface, or another VRID, is fine.
    assert.deepEqual((await check('VrrpGroup', 'db', group([{ host: h2, priority: 100, interface: 'eth1' }, { host: h3 }], { virtualIps: ['198.18.0.101/24'] }))).failures, []);
    assert.deepEqual((await check('VrrpGroup', 'db', group([{ host: h2, priority: 100 }, { host: h3 }], { vrid: 52, virtualIps: ['198.18.0.101/24'] }))).failures, []);
    // Within one resource: the same host twice would be one VRID twice on one interface.
    const twice = await check('VrrpGroup', 'twice', group([{ host: h3 }, { host: h3, priority: 50 }], { vrid: 70 }));
    assert.deepEqual(twice.failures.map((f) => f.property), ['members[1].host']);
  });

  test('Check VrrpGroup: inputs of the wrong shape are refused by the schema, and unknowns wait for the update', async () => {
    const shape = await check('VrrpGroup', 'shape', group([{ host: h1, priority: '200' }], { vrid: 80, advertIntervalMs: 1005, extra: true }));
    assert.deepEqual(shape.failures.map((f) => f.property), ['extra', 'members[0].priority']);
    const odd = await check('VrrpGroup', 'odd', group([{ host: h1 }], { vrid: 81, version: 3, advertIntervalMs: 1005 }));
    assert.deepEqual(odd.failures, [{ property: 'advertIntervalMs', reason: '1005 ms is not a multiple of 10 ms: VRRP carries the interval in centiseconds' }]);
    const preview = await check('VrrpGroup', 'later', group([{ host: h1 }], { vrid: 82, virtualIps: unknownValue }));
    assert.deepEqual(preview.failures, []);
    assert.equal(preview.inputs.expectedMaster, unknownValue);
  });

  test('Check: a connection whose private key was lost on the way (Pulumi YAML passes a secret nested in an object output as an empty value) gets it back from the Host checked here; one that no Host here made is refused', async () => {
    const lost = (connection: Props, key: unknown): Props => ({ ...connection, privateKey: key });
    const r = await check('VrrpGroup', 'yaml', group([{ host: lost(h1, secret({})), priority: 200 }, { host: lost(h2, {}), priority: 150 }], { vrid: 90 }));
    assert.deepEqual(r.failures, []);
    const members = r.inputs.members as { host: Props }[];
    assert.deepEqual(members.map((m) => m.host.privateKey), [secret(privateKey), secret(privateKey)]);
    const vs = await check('VirtualServer', 'yaml-vs', { address: '198.18.0.110', port: 80, directors: [lost(h1, secret(null))] });
    assert.deepEqual(vs.failures, []);
    assert.deepEqual((vs.inputs.directors as Props[])[0]!.privateKey, secret(privateKey));
    const ref = vs.inputs.ref as Props;
    const rs = await check('RealServer', 'yaml-rs', { virtualServer: { ...ref, directors: [lost(h1, {})] }, address: '198.18.1.20' });
    assert.deepEqual(rs.failures, []);
    assert.deepEqual(((rs.inputs.virtualServer as Props).directors as Props[])[0]!.privateKey, secret(privateKey));
    // A Host that was never checked in this process, or one whose name differs from the connection's.
    const stranger = await check('VrrpGroup', 'stranger', group([{ host: lost({ ...h1, address: '198.18.0.99' }, {}) }, { host: lost({ ...h2, name: 'other' }, {}) }], { vrid: 91 }));
    assert.deepEqual(stranger.failures.map((f) => f.property), ['members[0].host.privateKey', 'members[1].host.privateKey']);
  });

  test('Diff VrrpGroup: a priority change updates in place and says who becomes master and what moves', async () => {
    const same = await diff('VrrpGroup', 'web', web, web);
    assert.equal(same.changes, providerProto.DiffResponse.DiffChanges.DIFF_NONE);
    assert.deepEqual(same.words, []);
    const raised = await check('VrrpGroup', 'web', group([{ host: h1, priority: 150 }, { host: h2, priority: 200 }]), web);
    assert.equal(raised.inputs.expectedMaster, 'h2');
    const d = await diff('VrrpGroup', 'web', web, raised.inputs);
    assert.equal(d.changes, providerProto.DiffResponse.DiffChanges.DIFF_SOME);
    assert.deepEqual(d.replaces, []);
    assert.deepEqual(d.words, ['vrid 51: master h1 -> h2 (priority 200 > 150, preempt)', 'VIP 198.18.0.100/24 moves with it']);
  });

  test('Diff VrrpGroup: with preempt off the master stays, and the output says so', async () => {
    const calm = await check('VrrpGroup', 'web', group([{ host: h1, priority: 150 }, { host: h2, priority: 200 }], { preempt: false }), web);
    assert.equal(calm.inputs.expectedMaster, 'h1');
    const d = await diff('VrrpGroup', 'web', web, calm.inputs);
    assert.deepEqual(d.words, ['vrid 51: master stays h1 (h2 has priority 200 > 150, but preempt is off)', 'vrid 51: preempt on -> off']);
  });

  test('Diff VrrpGroup: another vrid or interface replaces the group, the old one first', async () => {
    const moved = await check('VrrpGroup', 'web', group([{ host: h1, priority: 200 }, { host: h2, priority: 150 }], { vrid: 53 }), web);
    const d = await diff('VrrpGroup', 'web', web, moved.inputs);
    assert.deepEqual(d.replaces, ['vrid']);
    assert.equal(d.deleteBeforeReplace, true);
    assert.equal(d.words[0], 'vrid 51 on eth0 is replaced by vrid 53 on eth0: its VIPs are down in between');
    const iface = await diff('VrrpGroup', 'web', web, { ...web, interface: 'eth1' });
    assert.deepEqual(iface.replaces, ['interface']);
  });

  let ref: Props;

  test('Check VirtualServer and RealServer: a real server joins, and an unknown virtual server is refused', async () => {
    const vs = await check('VirtualServer', 'www', { address: '198.18.0.100', port: 80, directors: [h1, h2], healthCheck: { kind: 'TCP_CHECK' } });
    assert.deepEqual(vs.failures, []);
    ref = vs.inputs.ref as Props;
    assert.equal(ref.urn, urn('VirtualServer', 'www'));
    assert.deepEqual(logsOf('VirtualServer', 'www'), ['virtual server 198.18.0.100:80 (wlc, NAT) on h1, h2']);
    const rs = await check('RealServer', 'rs3', { virtualServer: ref, address: '198.18.1.13', port: 80 });
    assert.deepEqual(rs.failures, []);
    assert.deepEqual(logsOf('RealServer', 'rs3'), ['real server 198.18.1.13:80 joins 198.18.0.100:80']);

    const unknown = await check('RealServer', 'lost', { virtualServer: { ...ref, urn: urn('VirtualServer', 'nowhere') }, address: '198.18.1.14', port: 80 });
    assert.deepEqual(unknown.failures.map((f) => f.property), ['virtualServer']);
    assert.match(unknown.failures[0]!.reason, /VirtualServer nowhere \(TCP 198\.18\.0\.100 80\) is not declared in this program/);
    const notAService = await check('RealServer', 'odd', { virtualServer: { ...ref, urn: urn('Host', 'h1') }, address: '198.18.1.14' });
    assert.deepEqual(notAService.failures.map((f) => f.property), ['virtualServer.urn']);
    const wrongFamily = await check('RealServer', 'v6', { virtualServer: ref, address: '2001:db8::13', port: 80 });
    assert.deepEqual(wrongFamily.failures, [{ property: 'address', reason: 'real server 2001:db8::13 is not IPv4 like its virtual server TCP 198.18.0.100 80' }]);
    const badCheck = await check('RealServer', 'rs4', { virtualServer: ref, address: '198.18.1.14', healthCheck: { kind: 'HTTP_GET', url: [{ path: 'healthz' }] } });
    assert.deepEqual(badCheck.failures, [{ property: 'healthCheck.url[0].path', reason: 'path healthz must start with /' }]);
    const twice = await check('RealServer', 'rs3b', { virtualServer: ref, address: '198.18.1.13', port: 80 });
    assert.match(twice.failures[0]!.reason, /real server 198\.18\.1\.13 80 on h1 is already declared by RealServer rs3/);
  });

  test('Diff RealServer and Host: weight updates in place, a new address or another virtual server replaces', async () => {
    const rs = { virtualServer: ref, address: '198.18.1.13', port: 80, weight: 1 };
    const heavier = await diff('RealServer', 'rs3', rs, { ...rs, weight: 3 });
    assert.deepEqual(heavier.replaces, []);
    assert.deepEqual(heavier.words, ['real server 198.18.1.13:80 in 198.18.0.100:80: weight 1 -> 3']);
    const drained = await diff('RealServer', 'rs3', rs, { ...rs, weight: 0 });
    assert.deepEqual(drained.words, ['real server 198.18.1.13:80 in 198.18.0.100:80: weight 1 -> 0 (drained: no new connections)']);
    const moved = await diff('RealServer', 'rs3', rs, { ...rs, address: '198.18.1.15' });
    assert.deepEqual(moved.replaces, ['address']);
    assert.deepEqual(moved.words, ['real server 198.18.1.13:80 leaves 198.18.0.100:80', 'real server 198.18.1.15:80 joins 198.18.0.100:80']);
    const newDirectors = await diff('RealServer', 'rs3', rs, { ...rs, virtualServer: { ...ref, directors: [h1, h2, h3] } });
    assert.deepEqual(newDirectors.replaces, []);
    assert.equal(newDirectors.changes, providerProto.DiffResponse.DiffChanges.DIFF_SOME);
    const otherService = await diff('RealServer', 'rs3', rs, { ...rs, virtualServer: { ...ref, port: 8080 } });
    assert.deepEqual(otherService.replaces, ['virtualServer']);

    const host = { ...hostInputs('198.18.0.1'), connection: h1 };
    assert.deepEqual((await diff('Host', 'h1', host, { ...host, user: 'deploy' })).replaces, []);
    assert.deepEqual((await diff('Host', 'h1', host, { ...host, address: '198.18.0.11' })).replaces, ['address']);
  });

  test('the plugin wrote nothing unexpected to stderr', () => {
    // Pulumi's provider server prints every failed call's error with its stack: the refused imports above.
    const refusedImports = /^Error: (cannot import |a Host is not imported).*\n(?: {4}at .*\n)*/gm;
    assert.equal(started.stderr().replace(/.*ExperimentalWarning.*\n?/g, '').replace(refusedImports, ''), '');
  });
});
