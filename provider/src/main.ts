// The provider plugin's entry point, started by the engine (through bin/pulumi-resource-keepalive) with
// the engine's address as its argument. It serves the provider over gRPC and prints its port on stdout,
// which is how the engine finds it; nothing else may go to stdout.
import { main } from '@pulumi/pulumi/provider/index.js';
import { engineAddress, engineLog } from './engine-log.ts';
import { KeepaliveProvider } from './provider.ts';

const args = process.argv.slice(2);
await main(new KeepaliveProvider(engineLog(engineAddress(args))), args);
