// The keepalive SDK for TypeScript Pulumi programs: one class per resource of the provider
// (keepalive:index:Host, VrrpGroup, VirtualServer, RealServer), over pulumi.CustomResource. The
// argument and output types are the provider's own, derived from its schema (provider/src/schema.ts),
// so a program cannot pass what Check would refuse for its shape. Resources hand each other outputs:
//
//   const lb1 = new Host('lb1', { address, privateKey, hostKey });
//   const vip = new VrrpGroup('vip', { vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'],
//     members: [{ host: lb1.connection, priority: 200 }, { host: lb2.connection, priority: 100 }] });
//   const web = new VirtualServer('web', { address: '198.18.0.100', port: 80, directors: [lb1.connection, lb2.connection] });
//   new RealServer('app1', { virtualServer: web.ref, address: '198.18.1.11' });
//
// The plugin itself is found by the engine: the program's Pulumi.yaml names its directory
// (plugins.providers, see examples/Pulumi.yaml).
import * as pulumi from '@pulumi/pulumi';
import type {
  FragmentState, HostConnection, HostFactsOutput, Inputs, RealServerHealth, VirtualServerHealth, VirtualServerRef,
} from '../src/schema.ts';

/** A value, or an output of one, at every depth: what a resource argument may be given as. */
export type DeepInput<T> =
  T extends readonly (infer E)[] ? pulumi.Input<readonly DeepInput<E>[]>
  : T extends object ? pulumi.Input<{ readonly [K in keyof T]: DeepInput<T[K]> }>
  : pulumi.Input<T>;

type Args<T> = { readonly [K in keyof T]: DeepInput<T[K]> };

export type HostArgs = Args<Inputs<'keepalive:index:Host'>>;
export type VrrpGroupArgs = Args<Inputs<'keepalive:index:VrrpGroup'>>;
export type VirtualServerArgs = Args<Inputs<'keepalive:index:VirtualServer'>>;
export type RealServerArgs = Args<Inputs<'keepalive:index:RealServer'>>;
export type { FragmentState, HostConnection, HostFactsOutput, RealServerHealth, VirtualServerHealth, VirtualServerRef };

/** The output properties of each resource beyond its inputs; a test keeps these in step with the schema. */
export const OUTPUTS = {
  'keepalive:index:Host': ['connection', 'runtimeVersion', 'runtimeHash', 'node', 'running', 'facts'],
  'keepalive:index:VrrpGroup': ['expectedMaster', 'liveMaster', 'fragments'],
  'keepalive:index:VirtualServer': ['ref', 'fragments', 'health'],
  'keepalive:index:RealServer': ['fragments', 'health'],
} as const;

/** The inputs plus each output named (unset), which is how a resource asks the engine for them. */
function withOutputs(token: keyof typeof OUTPUTS, args: object): pulumi.Inputs {
  return { ...args, ...Object.fromEntries(OUTPUTS[token].map((key) => [key, undefined])) } as pulumi.Inputs;
}

/** A Linux host reached over SSH, with the keepalive runtime installed on it. */
export class Host extends pulumi.CustomResource {
  /** Pass it as a group member's `host` or a virtual server's director. Its private key stays secret. */
  declare readonly connection: pulumi.Output<HostConnection>;
  declare readonly runtimeVersion: pulumi.Output<string>;
  declare readonly runtimeHash: pulumi.Output<string>;
  declare readonly node: pulumi.Output<string>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly facts: pulumi.Output<HostFactsOutput>;

  constructor(name: string, args: HostArgs, opts?: pulumi.CustomResourceOptions) {
    super('keepalive:index:Host', name, withOutputs('keepalive:index:Host', { ...args, privateKey: pulumi.secret(args.privateKey) }), opts);
  }
}

/** A VRRP virtual router: its virtual IPs move to the member with the highest priority that is up. */
export class VrrpGroup extends pulumi.CustomResource {
  /** Who will be master once this is applied, known at preview time. */
  declare readonly expectedMaster: pulumi.Output<string>;
  /** Who is master, as last seen on the hosts. */
  declare readonly liveMaster: pulumi.Output<string>;
  declare readonly fragments: pulumi.Output<FragmentState[]>;

  constructor(name: string, args: VrrpGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super('keepalive:index:VrrpGroup', name, withOutputs('keepalive:index:VrrpGroup', args), opts);
  }
}

/** A load-balanced service carried by its directors. */
export class VirtualServer extends pulumi.CustomResource {
  /** Pass it as a RealServer's `virtualServer`. */
  declare readonly ref: pulumi.Output<VirtualServerRef>;
  declare readonly fragments: pulumi.Output<FragmentState[]>;
  declare readonly health: pulumi.Output<VirtualServerHealth[]>;

  constructor(name: string, args: VirtualServerArgs, opts?: pulumi.CustomResourceOptions) {
    super('keepalive:index:VirtualServer', name, withOutputs('keepalive:index:VirtualServer', args), opts);
  }
}

/** A backend of a virtual server, health-checked by the directors. */
export class RealServer extends pulumi.CustomResource {
  declare readonly fragments: pulumi.Output<FragmentState[]>;
  declare readonly health: pulumi.Output<RealServerHealth[]>;

  constructor(name: string, args: RealServerArgs, opts?: pulumi.CustomResourceOptions) {
    super('keepalive:index:RealServer', name, withOutputs('keepalive:index:RealServer', args), opts);
  }
}
