// The example program (examples/ha-pair.ts, through the generated SDK @keepalive/pulumi as scripts/setup
// installs it from its npm pack tarball) under Pulumi's mocks:
// every resource it registers goes through the provider's own Check, in process, so the mocks return
// what the engine would get (a Host's connection, a group's expected master, a virtual server's ref)
// and the preview's words are collected as the engine would show them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { specialSecretSig, specialSigKey } from '@pulumi/pulumi/runtime/rpc.js';
import { KeepaliveProvider } from '../provider/pulumi/provider.ts';
import { outputKeys, type ResourceToken } from '../provider/core/schema.ts';

const root = new URL('..', import.meta.url).pathname;
const keys = mkdtempSync(join(tmpdir(), 'keepalive-example-'));
after(() => rmSync(keys, { recursive: true, force: true }));

function keypair(name: string): { privateKey: string; publicKey: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(keys, name)]);
  return { privateKey: readFileSync(join(keys, name), 'utf8'), publicKey: readFileSync(join(keys, `${name}.pub`), 'utf8').split(' ').slice(0, 2).join(' ') };
}

/** What the mocks saw: each resource's type, name and checked state, and the words logged for it. */
const registered: { type: string; name: string; state: Record<string, unknown> }[] = [];
const words: string[] = [];

before(async () => {
  const provider = new KeepaliveProvider({ log: async (_severity, message, urn) => { words.push(`${urn.split('::').at(-1)}: ${message}`); } });
  await pulumi.runtime.setMocks({
    newResource: async (args) => {
      const urn = `urn:pulumi:test::keepalive-example::${args.type}::${args.name}`;
      const checked = await provider.check(urn, {}, args.inputs);
      if (checked.failures?.length) throw new Error(`${args.type} ${args.name}: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join('; ')}`);
      registered.push({ type: args.type, name: args.name, state: checked.inputs });
      return { id: `${args.name}-id`, state: checked.inputs };
    },
    call: () => ({}),
  }, 'keepalive-example', 'test', true);
});

const value = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));

let pair: ReturnType<typeof import('../examples/ha-pair.ts').haPair> | undefined;

test('the HA pair: two directors, a VIP on the first, a virtual service over three real servers', async () => {
  const { haPair } = await import('../examples/ha-pair.ts');
  const client = keypair('client');
  pair = haPair({
    directors: [
      { name: 'lb1', address: '198.18.0.1', hostKey: keypair('lb1').publicKey, priority: 200 },
      { name: 'lb2', address: '198.18.0.2', hostKey: keypair('lb2').publicKey, priority: 100 },
    ],
    privateKey: client.privateKey,
    serviceManager: 'none',
    interface: 'eth0',
    vrid: 51,
    vip: '198.18.0.100/24',
    port: 80,
    backends: [
      { name: 'app1', address: '198.18.1.11' },
      { name: 'app2', address: '198.18.1.12' },
      { name: 'app3', address: '198.18.1.13', weight: 2 },
    ],
  });
  assert.equal(await value(pair.vip.expectedMaster), 'lb1');
  const ref = await value(pair.service.ref);
  assert.equal(ref.urn, 'urn:pulumi:test::keepalive-example::keepalive:index:VirtualServer::web');
  assert.deepEqual(ref.directors.map((d) => d.name), ['lb1', 'lb2']);
  await Promise.all(pair.backends.map((b) => value(b.urn)));
  assert.deepEqual(registered.map((r) => `${r.type.split(':').at(-1)} ${r.name}`), [
    'Host lb1', 'Host lb2', 'VrrpGroup vip', 'VirtualServer web', 'RealServer app1', 'RealServer app2', 'RealServer app3',
  ]);
  const connection = await value(pair.directors[0].connection);
  assert.equal(connection.address, '198.18.0.1');
  assert.equal(await value(pulumi.output(pair.directors[0].connection).apply((c) => c.serviceManager)), 'none');
  // The private key went to the provider as a secret, and stays one in the connection it hands on.
  const host = registered[0]!.state;
  assert.deepEqual(host.privateKey, { [specialSigKey]: specialSecretSig, value: client.privateKey });
  assert.deepEqual((host.connection as Record<string, unknown>).privateKey, host.privateKey);
  assert.equal(await pulumi.isSecret(pair.directors[0].connection), true);
  assert.deepEqual(words, [
    'lb1: host lb1: keepalive goes to /opt/keepalive on root@198.18.0.1:22 (pid-file service)',
    'lb2: host lb2: keepalive goes to /opt/keepalive on root@198.18.0.2:22 (pid-file service)',
    'vip: vrid 51: master lb1 (priority 200 > 100)',
    'vip: VIP 198.18.0.100/24 comes up on lb1',
    'web: virtual server 198.18.0.100:80 (wrr, NAT) on lb1, lb2',
    'app1: real server 198.18.1.11:80 joins 198.18.0.100:80',
    'app2: real server 198.18.1.12:80 joins 198.18.0.100:80',
    'app3: real server 198.18.1.13:80 joins 198.18.0.100:80',
  ]);
});

test('the installed SDK gives every resource each output the schema declares', () => {
  assert.ok(pair, 'the HA pair was built');
  const resources: [ResourceToken, pulumi.CustomResource][] = [
    ['keepalive:index:Host', pair.directors[0]], ['keepalive:index:VrrpGroup', pair.vip],
    ['keepalive:index:VirtualServer', pair.service], ['keepalive:index:RealServer', pair.backends[0]!],
  ];
  for (const [token, resource] of resources) {
    for (const key of outputKeys(token)) assert.ok(pulumi.Output.isInstance((resource as unknown as Record<string, unknown>)[key]), `${token}.${key} is an output`);
  }
});

test('the example\'s Pulumi.yaml wires the plugin from this checkout', () => {
  const yaml = readFileSync(join(root, 'examples/Pulumi.yaml'), 'utf8');
  assert.match(yaml, /^main: index\.ts$/m);
  assert.match(yaml, /- name: keepalive\n\s+path: \.\.\/provider\/bin$/m);
  assert.ok(readFileSync(join(root, 'provider/bin/pulumi-resource-keepalive'), 'utf8').startsWith('#!/bin/sh'));
});
