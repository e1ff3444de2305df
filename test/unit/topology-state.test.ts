// A Pulumi state as the topology (provider/topology/state.ts): exports with their secrets in plain
// text or encrypted, as `pulumi stack export` writes them (with and without --show-secrets), a file
// backend's stack file, live readings of the hosts, and `keepalive topology` run on them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { specialSecretSig, specialSigKey } from '@pulumi/pulumi/runtime/rpc.js';
import type { CheckerStatus, DaemonStatus, InstanceStatus } from '../../runtime/src/control/status.ts';
import { connectionsOf, EncryptedStateError, parseState, topologyOf, type LiveReading } from '../../provider/topology/state.ts';
import { renderText } from '../../provider/topology/view.ts';
import { parseXml } from '../fixtures/xml.ts';

const CLI = fileURLToPath(new URL('../../runtime/src/cli.ts', import.meta.url));
type Props = Record<string, unknown>;

/** A secret as the state holds it: `plaintext` (JSON) in an export made with --show-secrets, else `ciphertext`. */
const secretIn = (encrypted: boolean) => (value: unknown): Props => (encrypted
  ? { [specialSigKey]: specialSecretSig, ciphertext: `v1:${Buffer.from(JSON.stringify(value)).toString('base64')}` }
  : { [specialSigKey]: specialSecretSig, plaintext: JSON.stringify(value) });

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n';

/**
 * A stack's export as `pulumi stack export` writes it: the connection's private key a secret, and
 * (as the engine does when a value holding a secret flows into another resource) members, directors
 * and a real server's virtual server secret as a whole. `wholeValuesSecret: false` keeps only the keys secret.
 */
function exportOf({ encrypted = false, wholeValuesSecret = true } = {}): Props {
  const secret = secretIn(encrypted);
  const urn = (type: string, name: string) => `urn:pulumi:prod::ha::keepalive:index:${type}::${name}`;
  const plainConnection = (name: string, address: string) => ({
    name, address, port: 22, user: 'root', privateKey: KEY, hostKey: 'ssh-ed25519 AAAA', installDir: '/opt/keepalive', configDir: '/etc/keepalive', serviceManager: 'none',
  });
  const connection = (name: string, address: string) => ({ ...plainConnection(name, address), privateKey: secret(KEY) });
  const ref = (name: string, address: string) => (wholeValuesSecret ? secret(plainConnection(name, address)) : connection(name, address));
  const host = (name: string, address: string, extra: Props = {}) => ({
    urn: urn('Host', name), custom: true, id: `${address}:22`, type: 'keepalive:index:Host',
    outputs: { address, privateKey: secret(KEY), hostKey: 'ssh-ed25519 AAAA', serviceManager: 'none', connection: connection(name, address), runtimeVersion: '0.1.0', running: false, ...extra },
  });
  const webRef = { urn: urn('VirtualServer', 'web'), protocol: 'TCP', address: '198.18.0.100', port: 80, method: 'NAT', directors: [ref('lb1', '198.18.0.1'), ref('lb2', '198.18.0.2')] };
  const real = (name: string, address: string, health: Props[], extra: Props = {}) => ({
    urn: urn('RealServer', name), custom: true, type: 'keepalive:index:RealServer',
    outputs: { address, virtualServer: wholeValuesSecret ? secret({ ...webRef, directors: [plainConnection('lb1', '198.18.0.1'), plainConnection('lb2', '198.18.0.2')] }) : webRef, health, ...extra },
  });
  return {
    version: 3,
    deployment: {
      manifest: { time: '2030-01-01T00:00:00Z', magic: '', version: 'v3.274.1' },
      secrets_providers: { type: 'passphrase', state: { salt: 'v1:abc' } },
      resources: [
        { urn: 'urn:pulumi:prod::ha::pulumi:pulumi:Stack::ha-prod', custom: false, type: 'pulumi:pulumi:Stack' },
        { urn: 'urn:pulumi:prod::ha::pulumi:providers:keepalive::default', custom: true, id: 'x', type: 'pulumi:providers:keepalive' },
        host('lb2', '198.18.0.2'),
        host('lb1', '198.18.0.1'),
        host('lb10', '198.18.0.10', { runtimeVersion: '' }),
        { ...host('old', '198.18.0.99'), delete: true },
        {
          urn: urn('VrrpGroup', 'vip'), custom: true, type: 'keepalive:index:VrrpGroup',
          outputs: {
            vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'], preempt: true, preemptDelayMs: 0, unicast: false,
            // A tie at 150 goes to the higher address: lb10 (198.18.0.10) before lb2 (198.18.0.2).
            members: [{ host: ref('lb2', '198.18.0.2'), priority: 150 }, { host: ref('lb1', '198.18.0.1'), priority: 200 }, { host: ref('lb10', '198.18.0.10'), priority: 150 }],
            expectedMaster: 'lb1', liveMaster: 'lb1, lb2',
          },
        },
        {
          urn: urn('VrrpGroup', 'db'), custom: true, type: 'keepalive:index:VrrpGroup',
          outputs: {
            vrid: 52, interface: 'eth1', virtualIps: ['198.18.2.100/24'], preempt: false, preemptDelayMs: 0, unicast: false,
            members: [{ host: ref('lb1', '198.18.0.1'), priority: 100 }, { host: ref('lb2', '198.18.0.2'), priority: 200 }],
            // Preempt is off and lb1 was master first: it stays.
            expectedMaster: 'lb1', liveMaster: '',
          },
        },
        {
          urn: urn('VirtualServer', 'web'), custom: true, type: 'keepalive:index:VirtualServer',
          outputs: {
            address: '198.18.0.100', port: 80, protocol: 'TCP', scheduler: 'wrr', method: 'NAT', directors: webRef.directors, ref: webRef,
            health: [{ host: 'lb1', dataplane: 'nftables', quorumUp: true, realServersUp: 1, realServers: 3 }, { host: 'lb2', dataplane: 'nftables', quorumUp: true, realServersUp: 1, realServers: 3 }],
          },
        },
        real('rs10', '198.18.1.10', [{ host: 'lb1', up: false, weight: 0, inTable: false }, { host: 'lb2', up: false, weight: 0, inTable: false }]),
        real('rs2', '198.18.1.2', [{ host: 'lb1', up: true, weight: 2, inTable: true }, { host: 'lb2', up: false, weight: 0, inTable: false }], { port: 8080, weight: 2 }),
        real('rs1', '198.18.1.1', []),
      ],
    },
  };
}

const DECLARED = `keepalive topology of stack prod: declared; masters and health as last recorded in the state

hosts
  lb1   root@198.18.0.1:22  runtime 0.1.0
  lb2   root@198.18.0.2:22  runtime 0.1.0
  lb10  root@198.18.0.10:22  no runtime

vrrp groups
  vip  vrid 51 on eth0  VIP 198.18.0.100/24  master lb1 (200)  backups lb10 (150), lb2 (150)
       live masters lb1, lb2: split brain
  db   vrid 52 on eth1  VIP 198.18.2.100/24  master lb1 (100)  backups lb2 (200)  preempt off
       no live master: no member is master

virtual servers
  web  198.18.0.100:80  wrr, NAT  directors lb1, lb2  quorum up
    rs1   198.18.1.1:80  weight 1  unknown
    rs2   198.18.1.2:8080  weight 2  up on lb1, DOWN on lb2
    rs10  198.18.1.10:80  weight 1  DOWN
`;

describe('the declared topology', () => {
  test('from an export with its secrets in plain text: hosts, ranked members, recorded masters and health, in name order', () => {
    assert.equal(renderText(topologyOf(parseState(exportOf()))), DECLARED);
  });

  test("a file backend's stack file reads the same", () => {
    const { deployment } = exportOf() as { deployment: Props };
    assert.equal(renderText(topologyOf(parseState({ version: 3, checkpoint: { stack: 'organization/ha/prod', latest: deployment } }))), DECLARED);
  });

  test('encrypted secrets that hide which hosts a group or service is on are named, with the way out', () => {
    const error = assertThrows(() => topologyOf(parseState(exportOf({ encrypted: true }))), EncryptedStateError);
    assert.deepEqual(error.places, [
      'VrrpGroup vip members[0].host', 'VrrpGroup vip members[1].host', 'VrrpGroup vip members[2].host',
      'VrrpGroup db members[0].host', 'VrrpGroup db members[1].host',
      'VirtualServer web directors[0]', 'VirtualServer web directors[1]',
      'RealServer rs10 virtualServer', 'RealServer rs2 virtualServer', 'RealServer rs1 virtualServer',
    ]);
    assert.match(error.message, /^encrypted in the state: VrrpGroup vip members\[0\]\.host, .* and 6 more; the topology needs them .*: pulumi stack export --show-secrets --file STATE\.json \(the file then holds the hosts' SSH private keys/);
  });

  test('with only the private keys encrypted, the declared topology reads, the live one is refused naming the keys', () => {
    const state = parseState(exportOf({ encrypted: true, wholeValuesSecret: false }));
    assert.equal(renderText(topologyOf(state)), DECLARED);
    const error = assertThrows(() => connectionsOf(state), EncryptedStateError);
    assert.deepEqual(error.places, ['Host lb2 connection.privateKey', 'Host lb1 connection.privateKey', 'Host lb10 connection.privateKey']);
    assert.match(error.message, /--live needs the SSH private keys to reach the hosts\. Export the state with its secrets in plain text: pulumi stack export --show-secrets/);
  });

  test('the connections of an export with its secrets in plain text carry their keys; resources pending deletion are left out', () => {
    const connections = connectionsOf(parseState(exportOf()));
    assert.deepEqual(connections.map((c) => [c.name, c.address, c.privateKey]), [['lb2', '198.18.0.2', KEY], ['lb1', '198.18.0.1', KEY], ['lb10', '198.18.0.10', KEY]]);
  });

  test('what is not a Pulumi state is refused', () => {
    assert.throws(() => parseState({ resources: [] }), /not a Pulumi state: it has neither deployment\.resources/);
    assert.throws(() => parseState(null), /not a Pulumi state/);
    assert.deepEqual(topologyOf(parseState({ version: 3, deployment: { manifest: {} } })), { source: 'declared', hosts: [], groups: [], virtualServers: [] });
  });
});

function assertThrows<E extends Error>(run: () => unknown, type: new (...args: never[]) => E): E {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof type, `${(error as Error).name}: ${(error as Error).message}`);
    return error;
  }
  assert.fail('no error');
}

/** A runtime's status as `keepalive status --json` gives it, with these instances and services. */
function status(instances: Record<string, InstanceStatus['state']>, services: CheckerStatus['virtualServers'] = []): DaemonStatus {
  const instance = (name: string, state: InstanceStatus['state']): InstanceStatus => ({
    name, interface: 'eth0', vrid: 51, version: 3, family: 4, state, priority: { configured: 100, effective: 100 }, masterAddress: undefined, faults: [], virtualAddresses: [],
    timers: { advertIntervalCs: 100, masterAdverIntervalCs: 100, skewTimeMs: 0, masterDownIntervalMs: 3000, nextAdvertInMs: undefined, masterDownInMs: undefined },
    counters: { advertsSent: 0, advertsReceived: 0, priorityZeroSent: 0, priorityZeroReceived: 0, rejects: {} }, transitions: [],
  });
  const checker: CheckerStatus = {
    configAppliedAt: undefined, dataplane: { kind: 'nftables', reason: 'lab' }, lastSync: undefined, repairs: { runs: 0, drifted: 0, last: [] }, lateness: undefined,
    virtualServers: services, events: [],
  };
  const child = (s: unknown) => ({ pid: 2, running: true, restarts: 0, lastExit: undefined, status: s });
  return {
    pid: 1, uptimeMs: 1000, config: '/etc/keepalive/conf.d', configGeneration: 1, lastReload: undefined,
    children: { vrrp: child({ instances: Object.entries(instances).map(([name, state]) => instance(name, state)) }), checker: child(checker) },
  };
}

function web(quorumUp: boolean, reals: Record<string, boolean>): CheckerStatus['virtualServers'][number] {
  return {
    key: 'TCP 198.18.0.100 80', services: [], suspended: [], scheduler: 'wrr', quorum: { up: quorumUp, weight: 1, quorum: 1, hysteresis: 0 },
    realServers: Object.entries(reals).map(([name, up]) => ({ name, up, weight: up ? 1 : 0, configuredWeight: 1, inTable: up ? 1 : null, checks: [] })),
  };
}

describe('the live topology', () => {
  const reading: LiveReading = {
    readAt: '2030-01-02T03:04:05.000Z',
    hosts: new Map([
      ['lb1', { runtimeVersion: '0.1.0', running: true, status: status({ vip: 'master', db: 'backup' }, [web(true, { '198.18.1.1:80': true, '198.18.1.2:8080': true, '198.18.1.10:80': false })]) }],
      ['lb2', { runtimeVersion: '0.1.0', running: true, status: status({ vip: 'backup', db: 'backup' }, [web(false, { '198.18.1.1:80': true, '198.18.1.2:8080': false, '198.18.1.10:80': false })]) }],
      ['lb10', { error: 'connect ECONNREFUSED 198.18.0.10:22' }],
    ]),
  };

  test("masters and health as the hosts' runtimes report them; a host not read is unreachable, and its part unknown", () => {
    assert.equal(renderText(topologyOf(parseState(exportOf()), reading)), `keepalive topology of stack prod: live, read from the hosts at 2030-01-02T03:04:05.000Z

hosts
  lb1   root@198.18.0.1:22  runtime 0.1.0, running
  lb2   root@198.18.0.2:22  runtime 0.1.0, running
  lb10  root@198.18.0.10:22  unreachable: connect ECONNREFUSED 198.18.0.10:22

vrrp groups
  vip  vrid 51 on eth0  VIP 198.18.0.100/24  master lb1 (200)  backups lb10 (150), lb2 (150)
       live master lb1, as expected
  db   vrid 52 on eth1  VIP 198.18.2.100/24  master lb1 (100)  backups lb2 (200)  preempt off
       no live master: no member is master

virtual servers
  web  198.18.0.100:80  wrr, NAT  directors lb1, lb2  quorum up on lb1, DOWN on lb2
    rs1   198.18.1.1:80  weight 1  up
    rs2   198.18.1.2:8080  weight 2  up on lb1, DOWN on lb2
    rs10  198.18.1.10:80  weight 1  DOWN
`);
  });

  test('with a member unread and no master among the others, the live master is unknown, not "none"', () => {
    const lb1Stopped: LiveReading = { ...reading, hosts: new Map([...reading.hosts].map(([name, h]) => [name, name === 'lb1' ? { runtimeVersion: '0.1.0', running: false } : h])) };
    const vip = topologyOf(parseState(exportOf()), lb1Stopped).groups.find((g) => g.name === 'vip')!;
    assert.equal(vip.liveMasters, undefined);
  });

  test('a stopped runtime is master of nothing', () => {
    const stopped: LiveReading = { readAt: 'now', hosts: new Map(['lb1', 'lb2', 'lb10'].map((name) => [name, { runtimeVersion: '0.1.0', running: false }])) };
    const topology = topologyOf(parseState(exportOf()), stopped);
    assert.deepEqual(topology.groups.map((g) => [g.name, g.liveMasters]), [['vip', []], ['db', []]]);
    assert.deepEqual(topology.virtualServers[0]!.realServers.map((r) => r.health), [[], [], []]);
  });
});

describe('keepalive topology', () => {
  const cli = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, 'topology', ...args], { input, encoding: 'utf8', timeout: 30_000 });

  test('reads the state from stdin, prints the text and writes the SVG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepalive-topology-'));
    try {
      const result = cli(['--state', '-', '--svg', join(dir, 'ha.svg')], JSON.stringify(exportOf()));
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, DECLARED);
      assert.equal(result.stderr, '');
      const svg = parseXml(readFileSync(join(dir, 'ha.svg'), 'utf8'));
      assert.equal(svg.name, 'svg');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an encrypted export fails with the reason and the fix; bad input and usage are refused', () => {
    const encrypted = cli(['--state', '-'], JSON.stringify(exportOf({ encrypted: true })));
    assert.equal(encrypted.status, 1);
    assert.equal(encrypted.stdout, '');
    assert.match(encrypted.stderr, /^keepalive topology: encrypted in the state: VrrpGroup vip members\[0\]\.host.*--show-secrets/);
    const notJson = cli(['--state', '-'], '{ nope');
    assert.equal(notJson.status, 1);
    assert.match(notJson.stderr, /^keepalive topology: stdin: .*JSON/);
    const missing = cli(['--state', '/nonexistent/state.json']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^keepalive topology: \/nonexistent\/state\.json: ENOENT/);
    const usage = cli([]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--state FILE is needed\n\nUsage: keepalive topology --state FILE/);
    assert.equal(cli(['--state', 'x', '--bogus']).status, 2);
    const help = cli(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--show-secrets/);
  });
});
