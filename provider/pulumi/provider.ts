// The keepalive provider as Pulumi's Provider interface, served over gRPC by @pulumi/pulumi/provider's
// main (see main.ts): the package schema and version, and the four resources' operations as the core
// has them (provider/core/resources.ts), whose shapes are already the ones Pulumi takes.
import type { Provider } from '@pulumi/pulumi/provider/provider.js';
import { KeepaliveResources } from '../core/resources.ts';
import { packageSchema, VERSION } from '../core/schema.ts';

export class KeepaliveProvider extends KeepaliveResources implements Provider {
  readonly version = VERSION;
  readonly schema = JSON.stringify(packageSchema());
}
