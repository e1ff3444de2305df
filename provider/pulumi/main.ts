// The provider plugin's entry point, started by the engine (through bin/pulumi-resource-keepalive, or as
// the single executable scripts/build-plugin.ts makes of this file) with the engine's address as its
// argument. It serves the provider over gRPC and prints its port on stdout, which is how the engine
// finds it; nothing else may go to stdout.
//
// The engine may put `--logtostderr`, `-v=N` and `--tracing ADDR` before the address. Anything else
// (`--help`, an unknown option, a second argument, an argument that is not an address) is someone
// running the plugin by hand: one line of usage on stderr, exit 1. Without any argument it serves
// with its logs on stderr, for debugging.
import { main } from '@pulumi/pulumi/provider/index.js';
import { engineAddress, engineLog } from './engine-log.ts';
import { KeepaliveProvider } from './provider.ts';
import { VERSION } from '../core/schema.ts';

const USAGE = `usage: pulumi-resource-keepalive ENGINE_ADDRESS  (the keepalive Pulumi provider v${VERSION}: the Pulumi engine starts it with its gRPC address, e.g. 127.0.0.1:4000, and it prints the port it serves on)`;

/** Why the arguments are not the engine's, or undefined when they are. */
function badArgument(args: readonly string[]): string | undefined {
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--tracing') {
      if (i + 1 >= args.length) return arg;
      i++;
    } else if (arg === '--logtostderr' || /^-v=\d+$/.test(arg)) {
      continue;
    } else if (arg.startsWith('-')) {
      return arg;
    } else {
      positional.push(arg);
    }
  }
  if (positional.length > 1) return positional[1];
  // The engine's address: host:port (an IPv6 host in brackets) or a unix socket path.
  if (positional.length === 1 && !/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$|^unix:\S+$/.test(positional[0]!)) return positional[0];
  return undefined;
}

const args = process.argv.slice(2);
if (badArgument(args) !== undefined) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(1);
}
main(new KeepaliveProvider(engineLog(engineAddress(args))), args).catch((error: unknown) => {
  process.stderr.write(`pulumi-resource-keepalive: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
