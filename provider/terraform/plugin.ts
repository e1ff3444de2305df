// A go-plugin server (github.com/hashicorp/go-plugin, as OpenTofu and Terraform start providers) in
// TypeScript, for one plugin protocol: tfplugin6.
//
// The handshake:
// - The environment must hold TF_PLUGIN_MAGIC_COOKIE with Terraform's value: without it, this is
//   someone running the plugin by hand, told so on stderr, exit 1.
// - PLUGIN_PROTOCOL_VERSIONS lists the protocol versions the client speaks ("5,6"): 6 must be one.
// - gRPC is served on a unix socket in a new temporary directory (in PLUGIN_UNIX_SOCKET_DIR when set),
//   and the first line of stdout says where: `1|6|unix|PATH|grpc|CERT`.
// - AutoMTLS: when PLUGIN_CLIENT_CERT holds the client's certificate (PEM), TLS is served with a new
//   self-signed certificate for localhost, whose DER, base64 without padding, is CERT; the client must
//   present that client certificate. Without it, plain gRPC and CERT empty.
// Beside tfplugin6.Provider it serves go-plugin's plugin.GRPCController/Shutdown (so that the client
// need not wait 2 s and kill) and grpc.health.v1.Health, "plugin" SERVING.
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getAsset, isSea } from 'node:sea';
import protobuf from 'protobufjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSigned } from './cert.ts';
import { providerHandlers } from './provider.ts';

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
const PROTOCOL_VERSION = 6;
const CORE_PROTOCOL_VERSION = 1;

/** Why this process was not started by OpenTofu or Terraform as a plugin, or undefined when it was. */
export function handshakeProblem(env: NodeJS.ProcessEnv): string | undefined {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE) {
    return 'This is the keepalive provider plugin for OpenTofu and Terraform: it is not meant to be run by hand. '
      + 'Declare the provider keepalive/keepalive in a configuration and run `tofu init` (scripts/tofu in this checkout), which starts it.';
  }
  const versions = (env.PLUGIN_PROTOCOL_VERSIONS ?? '').split(',').map((v) => Number(v.trim()));
  if (!versions.includes(PROTOCOL_VERSION)) {
    return `the client speaks plugin protocol versions ${env.PLUGIN_PROTOCOL_VERSIONS ?? '(none)'}; this provider speaks ${PROTOCOL_VERSION} only`;
  }
  return undefined;
}

// The small go-plugin services, without a .proto: their messages are an Empty and two one-field ones.
const empty = { serialize: () => Buffer.alloc(0), deserialize: () => ({}) };
const method = (path: string, response: (value: unknown) => Buffer = () => Buffer.alloc(0)) => ({
  path, requestStream: false, responseStream: false,
  requestSerialize: empty.serialize, requestDeserialize: empty.deserialize,
  responseSerialize: response, responseDeserialize: empty.deserialize,
});
const CONTROLLER: ServiceDefinition = { Shutdown: method('/plugin.GRPCController/Shutdown') };
// HealthCheckResponse { ServingStatus status = 1 }, SERVING = 1: field 1, varint, 1.
const HEALTH: ServiceDefinition = { Check: method('/grpc.health.v1.Health/Check', () => Buffer.from([0x08, 0x01])) };

/** The protocol's .proto, vendored beside this file; in the single executable, one of its assets. */
export const PROTO_FILE = 'tfplugin6.10.proto';

function providerService(): ServiceDefinition {
  const text = isSea() ? getAsset(PROTO_FILE, 'utf8') : readFileSync(join(import.meta.dirname, PROTO_FILE), 'utf8');
  // Parsed from its text (the single executable has no file to give proto-loader), with the
  // well-known types it imports (google/protobuf/timestamp.proto) from protobufjs's own copies.
  const root = new protobuf.Root();
  const parsed = protobuf.parse(text, root, { keepCase: true });
  for (const name of parsed.imports ?? []) {
    const common = protobuf.common.get(name);
    if (!common?.nested) throw new Error(`${PROTO_FILE} imports ${name}, which protobufjs does not carry`);
    root.addJSON(common.nested);
  }
  const definition = fromJSON(root.toJSON(), { keepCase: true, longs: Number, enums: Number, defaults: true, oneofs: true });
  return definition['tfplugin6.Provider'] as ServiceDefinition;
}

/** Serves the plugin and prints the handshake line; resolves when it is shut down. */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const dir = mkdtempSync(join(env.PLUGIN_UNIX_SOCKET_DIR || tmpdir(), 'keepalive-plugin-'));
  const socket = join(dir, 'plugin.sock');
  const server = new Server();
  let finished!: () => void;
  const done = new Promise<void>((resolve) => { finished = resolve; });
  const stop = (): void => {
    server.tryShutdown(() => {
      rmSync(dir, { recursive: true, force: true });
      finished();
    });
  };
  server.addService(providerService(), providerHandlers(() => {}));
  server.addService(CONTROLLER, { Shutdown: (_call: unknown, callback: (e: null, r: object) => void) => { callback(null, {}); setImmediate(stop); } });
  server.addService(HEALTH, { Check: (_call: unknown, callback: (e: null, r: object) => void) => callback(null, {}) });

  const clientCert = env.PLUGIN_CLIENT_CERT;
  let cert = '';
  let credentials = ServerCredentials.createInsecure();
  if (clientCert) {
    const own = selfSigned();
    cert = own.der.toString('base64').replace(/=+$/, '');
    credentials = ServerCredentials.createSsl(Buffer.from(clientCert), [{ private_key: Buffer.from(own.keyPem), cert_chain: Buffer.from(own.pem) }], true);
  }
  await new Promise<number>((resolve, reject) => server.bindAsync(`unix://${socket}`, credentials, (error, port) => (error ? reject(error) : resolve(port))));
  process.stdout.write(`${CORE_PROTOCOL_VERSION}|${PROTOCOL_VERSION}|unix|${socket}|grpc|${cert}\n`);
  // The client ends the plugin with Shutdown, else by a signal: the socket's directory goes either way.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
  await done;
}
