// The Pulumi package schema of keepalive, written once, here. provider/schema.json is printed from it
// (`node provider/src/schema.ts > provider/schema.json`, and a test keeps the two equal), the
// provider's input types are derived from it at the type level (Inputs below),
// Check validates the shape of what the engine sends against it (shape.ts), and Diff takes the
// properties that force a replacement from its replaceOnChanges flags.
//
// Units follow the runtime's configuration model: durations are integers named with their unit (Ms),
// and nested settings that the model already has (a health check) keep the model's JSON form, so one
// loader (runtime/src/config/json.ts) reads both.
import { DNS_TYPES, LB_SCHEDULERS } from '../../runtime/src/config/model.ts';
import packageJson from '../../package.json' with { type: 'json' };

export const PACKAGE = 'keepalive';
export const VERSION = packageJson.version;

/** Defaults shared by the schema (where the SDK applies them) and the provider (where inputs leave them out). */
export const HOST_DEFAULTS = { port: 22, user: 'root', installDir: '/opt/keepalive', configDir: '/etc/keepalive', serviceManager: 'systemd' } as const;
export const GROUP_DEFAULTS = { preempt: true, preemptDelayMs: 0, unicast: false, priority: 100 } as const;
export const VIRTUAL_SERVER_DEFAULTS = { protocol: 'TCP', scheduler: 'wlc', method: 'NAT' } as const;
export const REAL_SERVER_DEFAULTS = { weight: 1 } as const;

const ref = <const T extends string>(type: T) => `#/types/keepalive:index:${type}` as const;
const enumOf = <const V extends string | number>(description: string, type: 'string' | 'integer', values: readonly V[]) => ({
  type, description, enum: values.map((value) => ({ value })),
}) as const;

const TYPES = {
  'keepalive:index:ServiceManager': enumOf('How the runtime runs on a host: a systemd unit, or a pid-file service where there is no systemd.', 'string', ['systemd', 'none']),
  'keepalive:index:VrrpVersion': enumOf('VRRP version: 2 (RFC 3768, IPv4 only) or 3 (RFC 5798).', 'integer', [2, 3]),
  'keepalive:index:Protocol': enumOf('Transport protocol of a virtual server.', 'string', ['TCP', 'UDP']),
  'keepalive:index:Scheduler': enumOf('IPVS scheduler (keepalived lb_algo).', 'string', LB_SCHEDULERS),
  'keepalive:index:ForwardingMethod': enumOf('Forwarding method: NAT (masquerading), DR (direct routing) or TUN (IP-in-IP).', 'string', ['NAT', 'DR', 'TUN']),
  'keepalive:index:HostConnection': {
    type: 'object',
    description: 'How to reach one host and where keepalive lives on it: a Host\'s `connection` output, passed to the resources it carries.',
    properties: {
      name: { type: 'string', description: 'The Host resource\'s name, used in previews.' },
      address: { type: 'string', description: 'Address or name to connect to.' },
      port: { type: 'integer', description: 'SSH port.' },
      user: { type: 'string', description: 'SSH user.' },
      privateKey: { type: 'string', secret: true, description: 'SSH private key (OpenSSH or PEM).' },
      hostKey: { type: 'string', description: 'The pinned host key, as in known_hosts: "ssh-ed25519 AAAA...".' },
      insecureAcceptUnknownHostKey: { type: 'boolean', description: 'Trust any host key (no pinning).' },
      installDir: { type: 'string', description: 'Where the runtime is installed.' },
      configDir: { type: 'string', description: 'Where its configuration fragments live.' },
      serviceManager: { $ref: ref('ServiceManager'), description: 'How the runtime runs.' },
    },
    required: ['name', 'address', 'port', 'user', 'privateKey', 'installDir', 'configDir', 'serviceManager'],
  },
  'keepalive:index:VrrpMember': {
    type: 'object',
    description: 'One host of a VRRP group.',
    properties: {
      host: { $ref: ref('HostConnection'), description: 'The host: a Host\'s `connection` output.' },
      priority: { type: 'integer', description: 'VRRP priority, 1..255 (255: the address owner). The highest is master.', default: GROUP_DEFAULTS.priority },
      interface: { type: 'string', description: 'This host\'s interface, when not the group\'s.' },
      sourceAddress: { type: 'string', description: 'The address adverts are sent from (and, with unicast, sent to by the peers); default: the interface\'s primary address.' },
    },
    required: ['host'],
  },
  'keepalive:index:TrackInterface': {
    type: 'object',
    description: 'An interface whose state changes the priority (weight) or faults the group (no weight).',
    properties: {
      name: { type: 'string', description: 'Interface name.' },
      weight: { type: 'integer', description: 'Added to the priority while the interface is down (negative) or up (positive); unset: down is a fault.' },
      reverse: { type: 'boolean', description: 'Swap up and down for the weight.' },
    },
    required: ['name'],
  },
  'keepalive:index:TrackScript': {
    type: 'object',
    description: 'A command run periodically; its result changes the priority or faults the group (keepalived vrrp_script).',
    properties: {
      name: { type: 'string', description: 'Name, unique within the group.' },
      script: { type: 'string', description: 'The command line (not run through a shell).' },
      intervalMs: { type: 'integer', description: 'How often it runs.' },
      timeoutMs: { type: 'integer', description: 'How long it may run; default: the interval.' },
      weight: { type: 'integer', description: '-253..253; 0: a failure is a fault.' },
      rise: { type: 'integer', description: 'Successes needed to count as up.' },
      fall: { type: 'integer', description: 'Failures needed to count as down.' },
      reverse: { type: 'boolean', description: 'Swap success and failure for the weight.' },
      user: { type: 'string', description: 'User to run it as.' },
      group: { type: 'string', description: 'Group to run it as.' },
    },
    required: ['name', 'script'],
  },
  'keepalive:index:TrackFile': {
    type: 'object',
    description: 'A file holding a number that changes the priority (keepalived track_file).',
    properties: {
      name: { type: 'string', description: 'Name, unique within the group.' },
      file: { type: 'string', description: 'Path of the file.' },
      weight: { type: 'integer', description: 'The number is multiplied by this; 0: any non-zero number is a fault.' },
      reverse: { type: 'boolean', description: 'Negate the result.' },
    },
    required: ['name', 'file'],
  },
  'keepalive:index:VrrpTracking': {
    type: 'object',
    description: 'What the group watches.',
    properties: {
      interfaces: { type: 'array', items: { $ref: ref('TrackInterface') }, description: 'Interfaces.' },
      scripts: { type: 'array', items: { $ref: ref('TrackScript') }, description: 'Check scripts.' },
      files: { type: 'array', items: { $ref: ref('TrackFile') }, description: 'Tracked files.' },
    },
    required: [],
  },
  'keepalive:index:VrrpNotify': {
    type: 'object',
    description: 'Commands run on transitions, each a command line (not run through a shell).',
    properties: {
      master: { type: 'string', description: 'On becoming master.' },
      backup: { type: 'string', description: 'On becoming backup.' },
      fault: { type: 'string', description: 'On a fault.' },
      stop: { type: 'string', description: 'When the instance stops.' },
      any: { type: 'string', description: 'On every transition, with INSTANCE, name, state and priority appended.' },
    },
    required: [],
  },
  'keepalive:index:SmtpAlert': {
    type: 'object',
    description: 'Mail an alert on every transition.',
    properties: {
      server: { type: 'string', description: 'SMTP server address.' },
      port: { type: 'integer', description: 'SMTP port; default 25.' },
      from: { type: 'string', description: 'Sender address.' },
      to: { type: 'array', items: { type: 'string' }, description: 'Recipients.' },
    },
    required: ['server', 'from', 'to'],
  },
  'keepalive:index:Persistence': {
    type: 'object',
    description: 'Send a client to the same real server for a while.',
    properties: {
      timeoutMs: { type: 'integer', description: 'How long, in whole seconds written in ms.' },
      granularity: { type: 'integer', description: 'Client-address prefix length that counts as one client.' },
    },
    required: ['timeoutMs'],
  },
  'keepalive:index:SorryServer': {
    type: 'object',
    description: 'Where traffic goes while no real server is up (or quorum is lost).',
    properties: {
      address: { type: 'string', description: 'Address.' },
      port: { type: 'integer', description: 'Port.' },
    },
    required: ['address', 'port'],
  },
  'keepalive:index:Quorum': {
    type: 'object',
    description: 'The total weight of healthy real servers the service needs to be up.',
    properties: {
      weight: { type: 'integer', description: 'Needed weight, at least 1.' },
      hysteresis: { type: 'integer', description: 'Hysteresis, below the weight.' },
      up: { type: 'string', description: 'Command run when quorum is gained.' },
      down: { type: 'string', description: 'Command run when quorum is lost.' },
    },
    required: ['weight'],
  },
  'keepalive:index:HttpUrl': {
    type: 'object',
    description: 'One URL an HTTP_GET/SSL_GET check fetches.',
    properties: {
      path: { type: 'string', description: 'Path, starting with /.' },
      digest: { type: 'string', description: 'MD5 of the body, hex.' },
      statusCode: { type: 'array', items: { type: 'string' }, description: 'Accepted codes and ranges ("200-299", "301"); default: any 2xx.' },
      virtualhost: { type: 'string', description: 'Host header.' },
      regex: { type: 'string', description: 'The body must match this.' },
      regexNoMatch: { type: 'boolean', description: 'The body must not match the regex.' },
    },
    required: ['path'],
  },
  'keepalive:index:HealthCheck': {
    type: 'object',
    description: 'A health check, in the runtime configuration\'s JSON form (runtime/src/config/README.md): `kind` and the settings of that kind.',
    properties: {
      kind: { type: 'string', description: 'TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK or SMTP_CHECK.' },
      connectIp: { type: 'string', description: 'Address to check; default: the real server\'s.' },
      connectPort: { type: 'integer', description: 'Port to check; default: the real server\'s.' },
      bindto: { type: 'string', description: 'Local address to connect from.' },
      bindPort: { type: 'integer', description: 'Local port to connect from.' },
      fwmark: { type: 'integer', description: 'Firewall mark on the check\'s packets.' },
      delayLoopMs: { type: 'integer', description: 'How often it runs.' },
      connectTimeoutMs: { type: 'integer', description: 'Connection timeout.' },
      retry: { type: 'integer', description: 'Retries before a failure counts.' },
      delayBeforeRetryMs: { type: 'integer', description: 'Delay between retries.' },
      warmupMs: { type: 'integer', description: 'Random delay before the first run, up to this.' },
      url: { type: 'array', items: { $ref: ref('HttpUrl') }, description: 'HTTP_GET/SSL_GET: the URLs, each must pass.' },
      virtualhost: { type: 'string', description: 'HTTP_GET/SSL_GET: Host header.' },
      enableSni: { type: 'boolean', description: 'SSL_GET: send SNI.' },
      sniName: { type: 'string', description: 'SSL_GET: the SNI name.' },
      httpProtocol: { type: 'string', description: 'HTTP_GET/SSL_GET: "1.0", "1.0C" or "1.1".' },
      fastRecovery: { type: 'boolean', description: 'HTTP_GET/SSL_GET: up again after one success.' },
      miscPath: { type: 'string', description: 'MISC_CHECK: the command line; exit 0 is success.' },
      miscTimeoutMs: { type: 'integer', description: 'MISC_CHECK: how long it may run.' },
      miscDynamic: { type: 'boolean', description: 'MISC_CHECK: exit codes 2..255 set the weight.' },
      type: { type: 'string', description: `DNS_CHECK: the query type (${DNS_TYPES.join(', ')}).` },
      name: { type: 'string', description: 'DNS_CHECK: the name queried.' },
      heloName: { type: 'string', description: 'SMTP_CHECK: the HELO name.' },
    },
    required: ['kind'],
  },
  'keepalive:index:VirtualServerRef': {
    type: 'object',
    description: 'What a real server needs of its virtual server: a VirtualServer\'s `ref` output.',
    properties: {
      urn: { type: 'string', description: 'The VirtualServer resource\'s URN.' },
      protocol: { $ref: ref('Protocol'), description: 'Its protocol.' },
      address: { type: 'string', description: 'Its address.' },
      port: { type: 'integer', description: 'Its port.' },
      method: { $ref: ref('ForwardingMethod'), description: 'Its forwarding method.' },
      healthCheck: { $ref: ref('HealthCheck'), description: 'Its default health check.' },
      directors: { type: 'array', items: { $ref: ref('HostConnection') }, description: 'The hosts that carry it.' },
    },
    required: ['urn', 'protocol', 'address', 'port', 'method', 'directors'],
  },
  'keepalive:index:FragmentState': {
    type: 'object',
    description: 'One configuration fragment a resource wrote on a host, as last written or read: a hash that differs from what the inputs give is drift (an edit by hand), which the next update rewrites.',
    properties: {
      host: { type: 'string', description: 'The Host resource\'s name.' },
      path: { type: 'string', description: 'The fragment\'s path on the host.' },
      sha256: { type: 'string', description: 'SHA-256 of its content; empty when the file is missing.' },
    },
    required: ['host', 'path', 'sha256'],
  },
  'keepalive:index:HostInterface': {
    type: 'object',
    description: 'A network interface of a host and its own addresses (virtual IPs held by keepalive left out).',
    properties: {
      name: { type: 'string', description: 'Interface name.' },
      mac: { type: 'string', description: 'Link-layer address.' },
      state: { type: 'string', description: 'Operational state: up, down, unknown.' },
      addresses: { type: 'array', items: { type: 'string' }, description: '"ADDR/LEN" of each address.' },
    },
    required: ['name', 'mac', 'state', 'addresses'],
  },
  'keepalive:index:HostFacts': {
    type: 'object',
    description: 'What the host is, read over SSH.',
    properties: {
      arch: { type: 'string', description: 'CPU (uname -m).' },
      kernel: { type: 'string', description: 'Kernel release (uname -r).' },
      interfaces: { type: 'array', items: { $ref: ref('HostInterface') }, description: 'Interfaces and addresses (ip address).' },
    },
    required: ['arch', 'kernel', 'interfaces'],
  },
  'keepalive:index:RealServerHealth': {
    type: 'object',
    description: 'A real server as one director sees it.',
    properties: {
      host: { type: 'string', description: 'The director (Host name).' },
      up: { type: 'boolean', description: 'Its health checks pass.' },
      weight: { type: 'integer', description: 'Its current weight.' },
      inTable: { type: 'boolean', description: 'The dataplane sends it traffic.' },
    },
    required: ['host', 'up', 'weight', 'inTable'],
  },
  'keepalive:index:VirtualServerHealth': {
    type: 'object',
    description: 'A virtual server as one director runs it.',
    properties: {
      host: { type: 'string', description: 'The director (Host name).' },
      dataplane: { type: 'string', description: 'ipvs or nftables.' },
      quorumUp: { type: 'boolean', description: 'The pool has its quorum.' },
      realServersUp: { type: 'integer', description: 'Real servers whose checks pass.' },
      realServers: { type: 'integer', description: 'Real servers configured.' },
    },
    required: ['host', 'dataplane', 'quorumUp', 'realServersUp', 'realServers'],
  },
} as const;

const HOST_INPUTS = {
  address: { type: 'string', replaceOnChanges: true, description: 'Address or DNS name to reach the host over SSH. Another address is another machine: the host is replaced.' },
  port: { type: 'integer', default: HOST_DEFAULTS.port, description: 'SSH port.' },
  user: { type: 'string', default: HOST_DEFAULTS.user, description: 'SSH user.' },
  privateKey: { type: 'string', secret: true, description: 'SSH private key (OpenSSH or PEM).' },
  hostKey: { type: 'string', description: 'The host key to pin, as in known_hosts: "ssh-ed25519 AAAA...". A host presenting another key is refused.' },
  insecureAcceptUnknownHostKey: { type: 'boolean', description: 'Trust whatever host key the host presents, instead of pinning hostKey. Anyone between you and the host can then act as the host. Only for throwaway labs.' },
  installDir: { type: 'string', default: HOST_DEFAULTS.installDir, replaceOnChanges: true, description: 'Where the runtime (and, if needed, Node) is installed.' },
  configDir: { type: 'string', default: HOST_DEFAULTS.configDir, replaceOnChanges: true, description: 'Where configuration fragments are written.' },
  serviceManager: { $ref: ref('ServiceManager'), default: HOST_DEFAULTS.serviceManager, replaceOnChanges: true, description: 'systemd, or none where the host has no systemd (a pid-file service).' },
} as const;

const GROUP_INPUTS = {
  vrid: { type: 'integer', replaceOnChanges: true, description: 'Virtual router ID, 1..255, unique per interface (and family) on each host.' },
  interface: { type: 'string', replaceOnChanges: true, description: 'Interface the group runs on (a member may override it).' },
  virtualIps: { type: 'array', items: { type: 'string' }, description: 'The virtual addresses, "ADDR[/LEN]", all of one family.' },
  version: { $ref: ref('VrrpVersion'), description: 'VRRP version; default 2 for IPv4, 3 for IPv6.' },
  advertIntervalMs: { type: 'integer', description: 'Advert interval, in ms (a multiple of 10; VRRPv2: whole seconds). Default 1000.' },
  preempt: { type: 'boolean', default: GROUP_DEFAULTS.preempt, description: 'A higher-priority backup takes over from a lower-priority master.' },
  preemptDelayMs: { type: 'integer', default: GROUP_DEFAULTS.preemptDelayMs, description: 'How long a backup waits before preempting.' },
  unicast: { type: 'boolean', default: GROUP_DEFAULTS.unicast, description: 'Send adverts to each other member instead of to the multicast group.' },
  members: { type: 'array', items: { $ref: ref('VrrpMember') }, description: 'The hosts of the group, each with its priority.' },
  tracking: { $ref: ref('VrrpTracking'), description: 'Interfaces, scripts and files that change the priority.' },
  notify: { $ref: ref('VrrpNotify'), description: 'Commands run on transitions.' },
  smtpAlert: { $ref: ref('SmtpAlert'), description: 'Mail an alert on every transition.' },
} as const;

const VIRTUAL_SERVER_INPUTS = {
  address: { type: 'string', replaceOnChanges: true, description: 'The service address (usually a VrrpGroup\'s virtual IP).' },
  port: { type: 'integer', replaceOnChanges: true, description: 'The service port.' },
  protocol: { $ref: ref('Protocol'), default: VIRTUAL_SERVER_DEFAULTS.protocol, replaceOnChanges: true, description: 'TCP or UDP.' },
  scheduler: { $ref: ref('Scheduler'), default: VIRTUAL_SERVER_DEFAULTS.scheduler, description: 'How connections are spread.' },
  method: { $ref: ref('ForwardingMethod'), default: VIRTUAL_SERVER_DEFAULTS.method, description: 'How packets reach the real servers.' },
  persistence: { $ref: ref('Persistence'), description: 'Client persistence.' },
  sorryServer: { $ref: ref('SorryServer'), description: 'Fallback while the pool is down.' },
  quorum: { $ref: ref('Quorum'), description: 'Weight the pool needs to be up.' },
  healthCheck: { $ref: ref('HealthCheck'), description: 'The health check of real servers that have none of their own.' },
  directors: { type: 'array', items: { $ref: ref('HostConnection') }, description: 'The hosts that carry the service: usually a VrrpGroup\'s members.' },
} as const;

const REAL_SERVER_INPUTS = {
  virtualServer: { $ref: ref('VirtualServerRef'), description: 'Its virtual server: a VirtualServer\'s `ref` output. Another virtual server (protocol, address, port) replaces the real server.' },
  address: { type: 'string', replaceOnChanges: true, description: 'The backend\'s address.' },
  port: { type: 'integer', replaceOnChanges: true, description: 'The backend\'s port; default: the virtual server\'s.' },
  weight: { type: 'integer', default: REAL_SERVER_DEFAULTS.weight, description: '0..65535; 0 takes no new connections.' },
  healthCheck: { $ref: ref('HealthCheck'), description: 'Its health check; default: the virtual server\'s.' },
} as const;

const RESOURCES = {
  'keepalive:index:Host': {
    description: 'A Linux host reached over SSH, with the keepalive runtime installed on it.',
    inputProperties: HOST_INPUTS,
    requiredInputs: ['address', 'privateKey'],
    properties: {
      ...HOST_INPUTS,
      connection: { $ref: ref('HostConnection'), description: 'Everything the resources on this host need to reach it: pass it as a VrrpGroup member\'s host or a VirtualServer director.' },
      runtimeVersion: { type: 'string', description: 'The installed runtime\'s version (keepalive --version on the host).' },
      runtimeHash: { type: 'string', description: 'SHA-256 of the installed runtime\'s manifest; another hash in the provider means an update installs it.' },
      node: { type: 'string', description: 'The Node the runtime runs on: its version and path (the host\'s own when new enough, else one uploaded beside the runtime).' },
      running: { type: 'boolean', description: 'Whether the runtime runs (it does while any resource has a fragment on the host).' },
      facts: { $ref: ref('HostFacts'), description: 'CPU, kernel, interfaces and addresses.' },
    },
    required: ['address', 'port', 'user', 'privateKey', 'installDir', 'configDir', 'serviceManager', 'connection'],
  },
  'keepalive:index:VrrpGroup': {
    description: 'A VRRP virtual router: its virtual IPs move to the member with the highest priority that is up.',
    inputProperties: GROUP_INPUTS,
    requiredInputs: ['vrid', 'interface', 'virtualIps', 'members'],
    properties: {
      ...GROUP_INPUTS,
      expectedMaster: { type: 'string', description: 'The member expected to be master once this configuration is applied: the highest priority (ties: the highest address), or, with preempt off, the current master while it stays a member.' },
      liveMaster: { type: 'string', description: 'The member that is master, as last seen on the hosts (several, comma-separated, in a split brain; empty: none).' },
      fragments: { type: 'array', items: { $ref: ref('FragmentState') }, description: 'The group\'s fragment on each member.' },
    },
    required: ['vrid', 'interface', 'virtualIps', 'members', 'preempt', 'preemptDelayMs', 'unicast', 'expectedMaster'],
  },
  'keepalive:index:VirtualServer': {
    description: 'A load-balanced service (IPVS virtual server) carried by its directors.',
    inputProperties: VIRTUAL_SERVER_INPUTS,
    requiredInputs: ['address', 'port', 'directors'],
    properties: {
      ...VIRTUAL_SERVER_INPUTS,
      ref: { $ref: ref('VirtualServerRef'), description: 'Pass it as a RealServer\'s virtualServer.' },
      fragments: { type: 'array', items: { $ref: ref('FragmentState') }, description: 'The virtual server\'s fragment on each director.' },
      health: { type: 'array', items: { $ref: ref('VirtualServerHealth') }, description: 'The service on each director, as last seen.' },
    },
    required: ['address', 'port', 'protocol', 'scheduler', 'method', 'directors', 'ref'],
  },
  'keepalive:index:RealServer': {
    description: 'A backend of a virtual server, health-checked by the directors.',
    inputProperties: REAL_SERVER_INPUTS,
    requiredInputs: ['virtualServer', 'address'],
    properties: {
      ...REAL_SERVER_INPUTS,
      fragments: { type: 'array', items: { $ref: ref('FragmentState') }, description: 'The real server\'s fragment on each director.' },
      health: { type: 'array', items: { $ref: ref('RealServerHealth') }, description: 'Its health on each director, as last seen.' },
    },
    required: ['virtualServer', 'address', 'weight'],
  },
} as const;

// Types derived from the schema, so that the provider's code and the schema cannot disagree.

type Types = typeof TYPES;
type TypeToken = keyof Types;
export type ResourceToken = keyof typeof RESOURCES;

type ValueOf<P> =
  P extends { readonly $ref: `#/types/${infer T extends TypeToken}` } ? TypeValue<T>
  : P extends { readonly type: 'string' } ? string
  : P extends { readonly type: 'integer' | 'number' } ? number
  : P extends { readonly type: 'boolean' } ? boolean
  : P extends { readonly type: 'array'; readonly items: infer I } ? readonly ValueOf<I>[]
  : never;

type ObjectValue<P, R extends readonly string[]> =
  { readonly [K in keyof P & R[number]]: ValueOf<P[K]> } & { readonly [K in Exclude<keyof P, R[number]>]?: ValueOf<P[K]> };

type TypeValue<T extends TypeToken> =
  Types[T] extends { readonly enum: readonly { readonly value: infer V }[] } ? V
  : Types[T] extends { readonly properties: infer P; readonly required: infer R extends readonly string[] } ? ObjectValue<P, R>
  : never;

type Resources = typeof RESOURCES;
export type Inputs<T extends ResourceToken> = ObjectValue<Resources[T]['inputProperties'], Resources[T]['requiredInputs']>;
export type SchemaType<T extends TypeToken> = TypeValue<T>;

export type HostConnection = SchemaType<'keepalive:index:HostConnection'>;
export type FragmentState = SchemaType<'keepalive:index:FragmentState'>;
export type HostFactsOutput = SchemaType<'keepalive:index:HostFacts'>;
export type RealServerHealth = SchemaType<'keepalive:index:RealServerHealth'>;
export type VirtualServerHealth = SchemaType<'keepalive:index:VirtualServerHealth'>;

/** The properties a resource has beyond its inputs (Check's computed ones and the deploy's outputs). */
export function outputKeys(token: ResourceToken): string[] {
  const spec = RESOURCES[token];
  return Object.keys(spec.properties).filter((key) => !Object.hasOwn(spec.inputProperties, key));
}
export type VirtualServerRef = SchemaType<'keepalive:index:VirtualServerRef'>;

// The schema as the shape checker reads it.

export interface PropertySpec {
  readonly type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  readonly $ref?: string;
  readonly items?: PropertySpec;
  readonly description?: string;
  readonly secret?: boolean;
  readonly replaceOnChanges?: boolean;
  readonly default?: string | number | boolean;
}

export interface TypeSpec {
  readonly type: 'string' | 'integer' | 'object';
  readonly description: string;
  readonly enum?: readonly { readonly value: string | number }[];
  readonly properties?: Readonly<Record<string, PropertySpec>>;
  readonly required?: readonly string[];
}

export interface ResourceSpec {
  readonly description: string;
  readonly inputProperties: Readonly<Record<string, PropertySpec>>;
  readonly requiredInputs: readonly string[];
  readonly properties: Readonly<Record<string, PropertySpec>>;
  readonly required: readonly string[];
}

export const types: Readonly<Record<string, TypeSpec>> = TYPES;
export const resources: Readonly<Record<ResourceToken, ResourceSpec>> = RESOURCES;

/** The type a `$ref` names. */
export function refType(ref: string): TypeSpec {
  const spec = types[ref.replace(/^#\/types\//, '')];
  if (!spec) throw new Error(`the schema has no type ${ref}`);
  return spec;
}

/** The Pulumi package schema, as GetSchema returns it and provider/schema.json holds it. */
export function packageSchema(): object {
  return {
    name: PACKAGE,
    displayName: 'keepalive',
    version: VERSION,
    description: 'keepalived rebuilt in TypeScript: VRRP failover and IPVS load balancing on Linux hosts, installed and configured over SSH, with a preview of who will be master.',
    keywords: ['vrrp', 'keepalived', 'load balancing', 'high availability', 'ssh'],
    license: packageJson.license,
    meta: { moduleFormat: '(.*)' },
    config: {},
    provider: { description: 'The keepalive provider. It has no configuration: each Host carries its own SSH connection.', type: 'object' },
    types: TYPES,
    resources: RESOURCES,
  };
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(packageSchema(), null, 2)}\n`);
