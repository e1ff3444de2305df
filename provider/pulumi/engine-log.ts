// The core's messages (provider/core/log.ts) to the user through the Pulumi engine: the engine starts a
// provider with its own gRPC address as the argument, and a provider's Log calls (with the resource's
// URN) show under that resource in `pulumi preview` and `pulumi up`.
// `@pulumi/pulumi`'s own log module only knows the engine inside a program (or a Construct call), not
// in a plain provider's Check and Diff, so this talks to the Engine service directly.
import { credentials } from '@grpc/grpc-js';
import engineGrpc from '@pulumi/pulumi/proto/engine_grpc_pb.js';
import engine from '@pulumi/pulumi/proto/engine_pb.js';
import type { EngineLog } from '../core/log.ts';

const SEVERITY = {
  debug: engine.LogSeverity.DEBUG,
  info: engine.LogSeverity.INFO,
  warning: engine.LogSeverity.WARNING,
  error: engine.LogSeverity.ERROR,
} as const;

/**
 * The engine's address among a provider's arguments: the engine may put `--logtostderr`, `-v=N` and
 * `--tracing ADDR` before it.
 */
export function engineAddress(args: readonly string[]): string | undefined {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--tracing') i++;
    else if (arg !== '--logtostderr' && !arg.startsWith('-v=')) rest.push(arg);
  }
  return rest[0];
}

/** Logs to the engine at `address`; without one (the plugin run by hand), to stderr. */
export function engineLog(address: string | undefined): EngineLog {
  if (address === undefined) {
    return { log: async (severity, message) => { process.stderr.write(`${severity}: ${message}\n`); } };
  }
  const client = new engineGrpc.EngineClient(address, credentials.createInsecure());
  return {
    log: (severity, message, urn) => new Promise((resolve, reject) => {
      const request = new engine.LogRequest().setSeverity(SEVERITY[severity]).setMessage(message).setUrn(urn);
      client.log(request, (error) => (error ? reject(error) : resolve()));
    }),
  };
}
