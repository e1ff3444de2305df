// An HA pair of load balancers: two directors share a virtual IP through VRRP (the first is master),
// and carry a virtual service on that VIP spread over three real servers, each health-checked. Used by
// the Pulumi program (index.ts) and by its tests (test/provider-example.test.ts), which build it
// against mocks.
import type * as pulumi from '@pulumi/pulumi';
import { Host, RealServer, VirtualServer, VrrpGroup } from '@keepalive/pulumi';

export interface Director {
  /** The Host resource's name, used in previews ("vrid 51: master lb1"). */
  readonly name: string;
  readonly address: string;
  /** The director's SSH host key, as `ssh-keyscan -t ed25519 ADDRESS` prints it (checked out of band). */
  readonly hostKey: string;
  readonly priority: number;
}

export interface Backend {
  readonly name: string;
  readonly address: string;
  readonly port?: number;
  readonly weight?: number;
}

export interface HaPairConfig {
  readonly directors: readonly [Director, Director];
  /** The SSH private key that reaches both directors. */
  readonly privateKey: pulumi.Input<string>;
  readonly user?: string;
  /** systemd, or none where the hosts have no systemd (the lab). */
  readonly serviceManager?: 'systemd' | 'none';
  readonly interface: string;
  readonly vrid: number;
  /** The virtual IP, "ADDR/LEN". */
  readonly vip: string;
  readonly port: number;
  readonly backends: readonly Backend[];
  /**
   * Resources to adopt instead of create, by resource name ("vip", "web", a backend's name) -> the ID
   * they were deployed with: what a program says after its state was lost (see provider/README.md, Import).
   */
  readonly imports?: Readonly<Record<string, string>>;
}

export function haPair(config: HaPairConfig) {
  const directors = config.directors.map((d) => new Host(d.name, {
    address: d.address, hostKey: d.hostKey, privateKey: config.privateKey,
    ...(config.user !== undefined && { user: config.user }),
    ...(config.serviceManager !== undefined && { serviceManager: config.serviceManager }),
  }));
  const adopt = (name: string): pulumi.CustomResourceOptions => (config.imports?.[name] === undefined ? {} : { import: config.imports[name] });
  const vip = new VrrpGroup('vip', {
    vrid: config.vrid,
    interface: config.interface,
    virtualIps: [config.vip],
    members: directors.map((host, i) => ({ host: host.connection, priority: config.directors[i]!.priority })),
  }, adopt('vip'));
  const service = new VirtualServer('web', {
    address: config.vip.split('/')[0]!,
    port: config.port,
    scheduler: 'wrr',
    directors: directors.map((host) => host.connection),
    // A backend that stops accepting connections leaves the pool within a few seconds.
    healthCheck: { kind: 'TCP_CHECK', delayLoopMs: 2000, connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 500 },
  }, { dependsOn: [vip], ...adopt('web') });
  const backends = config.backends.map((b) => new RealServer(b.name, {
    virtualServer: service.ref,
    address: b.address,
    ...(b.port !== undefined && { port: b.port }),
    ...(b.weight !== undefined && { weight: b.weight }),
  }, adopt(b.name)));
  return { directors, vip, service, backends };
}
