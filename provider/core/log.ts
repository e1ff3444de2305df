// How the provider's core speaks to the user: a message about one resource (its URN, the address the
// core knows resources by), shown by the engine under that resource. The Pulumi adapter sends these to
// the engine's Log service (provider/pulumi/engine-log.ts); the Terraform adapter turns warnings into
// the plan's diagnostics (provider/terraform/resources.ts). This is how the topology reaches the user.

export type Severity = 'debug' | 'info' | 'warning' | 'error';

export interface EngineLog {
  log(severity: Severity, message: string, urn: string): Promise<void>;
}
