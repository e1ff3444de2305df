// The Pulumi package schema of keepalive, written once, here. provider/schema.json is printed from it
// (`node provider/core/schema.ts > provider/schema.json`, and a test keeps the two equal), the
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
/** An enum type; each value carries its name in the SDKs and what it means. */
const enumOf = <const V extends string | number>(description: string, type: 'string' | 'integer', values: readonly (readonly [value: V, name: string, description: string])[]) => ({
  type, description, enum: values.map(([value, name, about]) => ({ value, name, description: about })),
}) as const;

/** The IPVS schedulers, by keepalived's names (`lb_algo`), as the SDKs name and describe them. */
const SCHEDULERS = {
  rr: ['RoundRobin', 'Round robin: each real server in turn.'],
  wrr: ['WeightedRoundRobin', 'Weighted round robin: in turn, in proportion to the weights.'],
  lc: ['LeastConnection', 'Least connections: the real server with the fewest active connections.'],
  wlc: ['WeightedLeastConnection', 'Weighted least connections: fewest active connections relative to the weight (the default).'],
  lblc: ['LocalityBasedLeastConnection', 'Locality-based least connections: the same real server for a destination address while it is not overloaded.'],
  lblcr: ['LocalityBasedLeastConnectionWithReplication', 'Locality-based least connections with replication: a set of real servers per destination address.'],
  sh: ['SourceHashing', 'Source hashing: the real server chosen by a hash of the client\'s address.'],
  dh: ['DestinationHashing', 'Destination hashing: the real server chosen by a hash of the destination address.'],
  mh: ['MaglevHashing', 'Maglev hashing: consistent hashing of the client\'s address and port.'],
  sed: ['ShortestExpectedDelay', 'Shortest expected delay: the real server expected to answer first given its weight and connections.'],
  nq: ['NeverQueue', 'Never queue: an idle real server if there is one, else the shortest expected delay.'],
  fo: ['WeightedFailover', 'Weighted failover: the available real server with the highest weight takes everything.'],
  ovf: ['WeightedOverflow', 'Weighted overflow: the highest-weight real server until its active connections exceed its weight, then the next.'],
  twos: ['WeightedRandomTwoChoices', 'Weighted random twos choice: the better of two real servers picked at random by weight.'],
} as const satisfies Record<(typeof LB_SCHEDULERS)[number], readonly [string, string]>;

const TYPES = {
  'keepalive:index:ServiceManager': enumOf('How the keepalive runtime is run on a host.', 'string', [
    ['systemd', 'Systemd', 'A systemd unit, `keepalive.service`, enabled and started by the provider.'],
    ['none', 'None', 'No service manager: the runtime is started detached with `setsid nohup`, with its pid file and log in /run/keepalive. For hosts without systemd as PID 1 (containers, minimal systems).'],
  ]),
  'keepalive:index:VrrpVersion': enumOf('The VRRP protocol version (keepalived `version`).', 'integer', [
    [2, 'Two', 'VRRPv2 (RFC 3768): IPv4 only, advert intervals in whole seconds. What Debian\'s keepalived speaks by default.'],
    [3, 'Three', 'VRRPv3 (RFC 5798): IPv4 and IPv6, advert intervals in centiseconds. Always used for IPv6.'],
  ]),
  'keepalive:index:Protocol': enumOf('The transport protocol of a virtual server (keepalived `protocol`).', 'string', [
    ['TCP', 'TCP', 'TCP.'],
    ['UDP', 'UDP', 'UDP.'],
  ]),
  'keepalive:index:Scheduler': enumOf('How the directors spread new connections over the real servers: the IPVS scheduler (keepalived `lb_algo`). Whether the kernel offers it is checked when the configuration is applied.', 'string',
    LB_SCHEDULERS.map((value) => [value, SCHEDULERS[value][0], SCHEDULERS[value][1]] as const)),
  'keepalive:index:ForwardingMethod': enumOf('How packets reach the real servers (keepalived `lb_kind`).', 'string', [
    ['NAT', 'NAT', 'Masquerading: the director rewrites the destination address, and replies must come back through it (the real servers\' default route is the director).'],
    ['DR', 'DirectRouting', 'Direct routing: the director forwards the frame unchanged on the same network, and real servers answer clients directly. Each real server must accept the virtual address (on a loopback, without answering ARP for it). Needs IPVS.'],
    ['TUN', 'Tunnel', 'IP-in-IP tunnelling: like direct routing, across networks. Needs IPVS.'],
  ]),
  'keepalive:index:HostConnection': {
    type: 'object',
    description: 'How to reach one host over SSH and where keepalive lives on it. It is a Host\'s `connection` output: pass it on as a VrrpGroup member\'s `host` or as a VirtualServer director, rather than building it by hand.',
    properties: {
      name: { type: 'string', description: 'The Host resource\'s name, which previews and errors use to name the host.' },
      address: { type: 'string', description: 'The IP address or DNS name SSH connects to.' },
      port: { type: 'integer', description: 'The SSH port.' },
      user: { type: 'string', description: 'The SSH user. Installing and running keepalive needs root.' },
      privateKey: { type: 'string', secret: true, description: 'The SSH private key, in OpenSSH or PEM format. Secret.' },
      hostKey: { type: 'string', description: 'The pinned host public key, as a known_hosts line holds it: "ssh-ed25519 AAAA...". Unset only when insecureAcceptUnknownHostKey is true.' },
      insecureAcceptUnknownHostKey: { type: 'boolean', description: 'Whether any host key is accepted (no pinning).' },
      installDir: { type: 'string', description: 'The absolute directory the runtime is installed in.' },
      configDir: { type: 'string', description: 'The absolute directory holding the runtime\'s configuration; fragments go in its conf.d.' },
      // A string, not the ServiceManager enum, here and in VirtualServerRef: Pulumi YAML (1.25) refuses to
      // pass an output object holding an enum on to an input of the same type ("Cannot assign
      // 'keepalive:index:ServiceManager' to 'keepalive:index:ServiceManager'").
      serviceManager: { type: 'string', description: 'How the runtime is run on the host: `systemd` or `none`, as the Host\'s serviceManager.' },
    },
    required: ['name', 'address', 'port', 'user', 'privateKey', 'installDir', 'configDir', 'serviceManager'],
  },
  'keepalive:index:VrrpMember': {
    type: 'object',
    description: 'One host of a VRRP group and its priority.',
    properties: {
      host: { $ref: ref('HostConnection'), description: 'The host: a Host\'s `connection` output.' },
      priority: { type: 'integer', description: 'The VRRP priority, 1 to 255 (keepalived `priority`); the member with the highest priority that is up is master, ties going to the highest address. 255 is reserved for the owner of the virtual addresses. Defaults to 100.', default: GROUP_DEFAULTS.priority },
      interface: { type: 'string', description: 'This host\'s interface for the group, when it is not the group\'s `interface` (keepalived `interface`).' },
      sourceAddress: { type: 'string', description: 'The address this member sends adverts from and, with `unicast`, the address the other members send theirs to (keepalived `mcast_src_ip` or `unicast_src_ip`). Defaults to the interface\'s primary address; with `unicast`, the peers use the host\'s `address`.' },
    },
    required: ['host'],
  },
  'keepalive:index:TrackInterface': {
    type: 'object',
    description: 'An interface whose state moves the group\'s priority or puts it in the FAULT state (keepalived `track_interface`).',
    properties: {
      name: { type: 'string', description: 'The interface name, as on the host (eth0).' },
      weight: { type: 'integer', description: 'Added to the member\'s priority while the interface is up (a positive weight) or subtracted while it is down (a negative one), -253 to 253. Unset or 0: the interface going down is a fault, and the member gives up mastership.' },
      reverse: { type: 'boolean', description: 'Apply the weight the other way round: a down interface counts as up. Defaults to false.' },
    },
    required: ['name'],
  },
  'keepalive:index:TrackScript': {
    type: 'object',
    description: 'A check command run periodically on every member; its exit status moves the priority or faults the group (keepalived `vrrp_script` with `track_script`). Exit 0 is success.',
    properties: {
      name: { type: 'string', description: 'The check\'s name, unique within the group. On the hosts it is prefixed with the group\'s name, so groups do not clash.' },
      script: { type: 'string', description: 'The command line, split on spaces and run directly, not through a shell (keepalived `script`).' },
      intervalMs: { type: 'integer', description: 'How often the command runs, in milliseconds (keepalived `interval`, in seconds there). Defaults to 1000.' },
      timeoutMs: { type: 'integer', description: 'How long one run may take before it is killed and counts as a failure, in milliseconds (keepalived `timeout`). Defaults to the interval.' },
      weight: { type: 'integer', description: 'Added to the priority while the check succeeds (a positive weight) or subtracted while it fails (a negative one), -253 to 253 (keepalived `weight`). 0, the default: a failing check is a fault.' },
      rise: { type: 'integer', description: 'How many successes in a row make the check count as up (keepalived `rise`). Defaults to 1.' },
      fall: { type: 'integer', description: 'How many failures in a row make the check count as down (keepalived `fall`). Defaults to 1.' },
      reverse: { type: 'boolean', description: 'Swap success and failure (keepalived `weight ... reverse`). Defaults to false.' },
      user: { type: 'string', description: 'The user the command runs as (keepalived `user`). Defaults to `keepalived_script` if that user exists, else `nobody`.' },
      group: { type: 'string', description: 'The group the command runs as, with `user`. Defaults to the user\'s group.' },
    },
    required: ['name', 'script'],
  },
  'keepalive:index:TrackFile': {
    type: 'object',
    description: 'A file holding a number that moves the priority (keepalived `track_file`): another program writes its verdict there.',
    properties: {
      name: { type: 'string', description: 'The tracker\'s name, unique within the group. On the hosts it is prefixed with the group\'s name.' },
      file: { type: 'string', description: 'The absolute path of the file on each member. A missing file reads as 0.' },
      weight: { type: 'integer', description: 'The number read is multiplied by this and added to the priority, -253 to 253. 0: any number other than 0 is a fault. Defaults to 1.' },
      reverse: { type: 'boolean', description: 'Negate the result before it is applied. Defaults to false.' },
    },
    required: ['name', 'file'],
  },
  'keepalive:index:VrrpTracking': {
    type: 'object',
    description: 'What a group watches on each member to move its priority or fault it.',
    properties: {
      interfaces: { type: 'array', items: { $ref: ref('TrackInterface') }, description: 'Interfaces whose state counts (keepalived `track_interface`).' },
      scripts: { type: 'array', items: { $ref: ref('TrackScript') }, description: 'Check commands whose results count (keepalived `vrrp_script` and `track_script`).' },
      files: { type: 'array', items: { $ref: ref('TrackFile') }, description: 'Files whose numbers count (keepalived `track_file`).' },
    },
    required: [],
  },
  'keepalive:index:VrrpNotify': {
    type: 'object',
    description: 'Commands run on a member when its state in the group changes. Each is a command line, split on spaces and run directly (not through a shell), as `keepalived_script` or else `nobody`, and killed after 15 s; one member\'s commands run one after the other, in the order of its transitions.',
    properties: {
      master: { type: 'string', description: 'Run on becoming master (keepalived `notify_master`).' },
      backup: { type: 'string', description: 'Run on becoming backup (keepalived `notify_backup`).' },
      fault: { type: 'string', description: 'Run on entering the FAULT state (keepalived `notify_fault`).' },
      stop: { type: 'string', description: 'Run when the group stops on the member (keepalived `notify_stop`).' },
      any: { type: 'string', description: 'Run on every transition, with the arguments `INSTANCE <group name> <state> <priority>` appended (keepalived `notify`).' },
    },
    required: [],
  },
  'keepalive:index:SmtpAlert': {
    type: 'object',
    description: 'Mail sent from each member on each of its transitions in the group (keepalived `smtp_alert` with `smtp_server`, `notification_email_from` and `notification_email`). A host has one SMTP server: groups on the same host must agree on it.',
    properties: {
      server: { type: 'string', description: 'The SMTP server\'s address (keepalived `smtp_server`).' },
      port: { type: 'integer', description: 'The SMTP server\'s port. Defaults to 25.' },
      from: { type: 'string', description: 'The sender address (keepalived `notification_email_from`).' },
      to: { type: 'array', items: { type: 'string' }, description: 'The recipient addresses (keepalived `notification_email`).' },
    },
    required: ['server', 'from', 'to'],
  },
  'keepalive:index:Persistence': {
    type: 'object',
    description: 'Client persistence: connections from one client go to the same real server for a while (keepalived `persistence_timeout` and `persistence_granularity`).',
    properties: {
      timeoutMs: { type: 'integer', description: 'How long a client stays with its real server after its last connection, in milliseconds, a whole number of seconds (keepalived `persistence_timeout`, in seconds there).' },
      granularity: { type: 'integer', description: 'The prefix length of client addresses that count as one client (keepalived `persistence_granularity`, written there as a netmask): 24 sends a whole /24 to one real server. Defaults to the full address.' },
    },
    required: ['timeoutMs'],
  },
  'keepalive:index:SorryServer': {
    type: 'object',
    description: 'Where connections go while no real server is up, or while the pool has lost its quorum (keepalived `sorry_server`).',
    properties: {
      address: { type: 'string', description: 'The sorry server\'s IP address.' },
      port: { type: 'integer', description: 'The sorry server\'s port.' },
    },
    required: ['address', 'port'],
  },
  'keepalive:index:Quorum': {
    type: 'object',
    description: 'The total weight of healthy real servers the service needs to be up; below it, the sorry server (if any) takes the traffic (keepalived `quorum`, `hysteresis`, `quorum_up`, `quorum_down`).',
    properties: {
      weight: { type: 'integer', description: 'The total weight of healthy real servers needed, at least 1 (keepalived `quorum`). Defaults to 1 when no quorum is given.' },
      hysteresis: { type: 'integer', description: 'How far the healthy weight must rise above, or fall below, the quorum weight before the state changes, so that a flapping server does not flip it (keepalived `hysteresis`). Less than the weight; defaults to 0.' },
      up: { type: 'string', description: 'A command line run on each director when the quorum is gained (keepalived `quorum_up`), not through a shell.' },
      down: { type: 'string', description: 'A command line run on each director when the quorum is lost (keepalived `quorum_down`), not through a shell.' },
    },
    required: ['weight'],
  },
  'keepalive:index:HttpUrl': {
    type: 'object',
    description: 'One URL an HTTP_GET or SSL_GET health check fetches (keepalived `url`). Every URL of a check must pass for the check to pass.',
    properties: {
      path: { type: 'string', description: 'The path and query to request, starting with / (keepalived `path`).' },
      digest: { type: 'string', description: 'The MD5 digest the response body must have, in hex (keepalived `digest`).' },
      statusCode: { type: 'array', items: { type: 'string' }, description: 'The accepted status codes, each a code ("301") or an inclusive range ("200-299") (keepalived `status_code`). Defaults to any 2xx.' },
      virtualhost: { type: 'string', description: 'The Host header for this URL (keepalived `virtualhost`). Defaults to the check\'s `virtualhost`.' },
      regex: { type: 'string', description: 'A regular expression the response body must match (keepalived `regex`).' },
      regexNoMatch: { type: 'boolean', description: 'Whether the body must instead not match `regex` (keepalived `regex_no_match`). Defaults to false.' },
    },
    required: ['path'],
  },
  'keepalive:index:HealthCheck': {
    type: 'object',
    description: 'A health check of a real server, run by every director, in the JSON form of the runtime\'s configuration: `kind` and the settings of that kind (each property says which kinds use it). A real server whose check fails leaves the pool until it passes again. Durations are in milliseconds (keepalived writes seconds).',
    properties: {
      kind: { type: 'string', description: 'The kind of check, as keepalived names it: TCP_CHECK (a TCP connection), HTTP_GET or SSL_GET (HTTP or HTTPS requests to `url`), MISC_CHECK (a command, `miscPath`), DNS_CHECK (a DNS query) or SMTP_CHECK (an SMTP greeting and HELO).' },
      connectIp: { type: 'string', description: 'The address to check (keepalived `connect_ip`). Defaults to the real server\'s address. All kinds but MISC_CHECK.' },
      connectPort: { type: 'integer', description: 'The port to check (keepalived `connect_port`). Defaults to the real server\'s port; DNS_CHECK defaults to 53 and SMTP_CHECK to 25. All kinds but MISC_CHECK.' },
      bindto: { type: 'string', description: 'The local address the check connects from (keepalived `bindto`). All kinds but MISC_CHECK.' },
      bindPort: { type: 'integer', description: 'The local port the check connects from (keepalived `bind_port`). All kinds but MISC_CHECK.' },
      fwmark: { type: 'integer', description: 'The firewall mark put on the check\'s packets (keepalived `fwmark`). All kinds but MISC_CHECK.' },
      delayLoopMs: { type: 'integer', description: 'The interval between runs, in milliseconds (keepalived `delay_loop`). Defaults to 60000.' },
      connectTimeoutMs: { type: 'integer', description: 'How long a connection may take, in milliseconds (keepalived `connect_timeout`). Defaults to 5000.' },
      retry: { type: 'integer', description: 'How many times a failed run is retried before the real server counts as down (keepalived `retry`). Defaults to 1.' },
      delayBeforeRetryMs: { type: 'integer', description: 'The wait before a retry, in milliseconds (keepalived `delay_before_retry`). Defaults to 3000 for HTTP_GET and SSL_GET, 1000 for the other kinds.' },
      warmupMs: { type: 'integer', description: 'The first run is delayed by a random time up to this, in milliseconds, so that checks do not all start at once (keepalived `warmup`). Defaults to 0.' },
      url: { type: 'array', items: { $ref: ref('HttpUrl') }, description: 'HTTP_GET and SSL_GET: the URLs to fetch; every one must pass.' },
      virtualhost: { type: 'string', description: 'HTTP_GET and SSL_GET: the Host header of every URL that sets none (keepalived `virtualhost`).' },
      enableSni: { type: 'boolean', description: 'SSL_GET: send the TLS server name (keepalived `enable_sni`). Defaults to false.' },
      sniName: { type: 'string', description: 'SSL_GET: the server name to send with `enableSni` (keepalived `sni_name`). Defaults to the check\'s `virtualhost`.' },
      httpProtocol: { type: 'string', description: 'HTTP_GET and SSL_GET: the HTTP version of the requests, "1.0", "1.0C" (1.0 with `Connection: close`) or "1.1" (keepalived `http_protocol`). Defaults to "1.0".' },
      fastRecovery: { type: 'boolean', description: 'HTTP_GET and SSL_GET: a down real server comes back up after one passing run instead of waiting for the retries (keepalived `fast_recovery`). Defaults to false.' },
      miscPath: { type: 'string', description: 'MISC_CHECK: the command line to run, split on spaces and run directly, not through a shell; exit status 0 is a pass (keepalived `misc_path`).' },
      miscTimeoutMs: { type: 'integer', description: 'MISC_CHECK: how long the command may run before it is killed and counts as a failure, in milliseconds (keepalived `misc_timeout`). Defaults to the delay loop.' },
      miscDynamic: { type: 'boolean', description: 'MISC_CHECK: exit status 1 is a failure, and 2 to 255 a pass that sets the real server\'s weight to the status minus 2 (keepalived `misc_dynamic`). Defaults to false.' },
      type: { type: 'string', description: `DNS_CHECK: the query type, one of ${DNS_TYPES.join(', ')} (keepalived \`type\`). Defaults to SOA.` },
      name: { type: 'string', description: 'DNS_CHECK: the name queried (keepalived `name`). Defaults to the root, ".".' },
      heloName: { type: 'string', description: 'SMTP_CHECK: the name sent with HELO (keepalived `helo_name`). Defaults to "localhost".' },
    },
    required: ['kind'],
  },
  'keepalive:index:VirtualServerRef': {
    type: 'object',
    description: 'What a real server needs to know of its virtual server. It is a VirtualServer\'s `ref` output: pass it on as a RealServer\'s `virtualServer`, rather than building it by hand.',
    properties: {
      urn: { type: 'string', description: 'The VirtualServer resource\'s URN.' },
      protocol: { type: 'string', description: 'The virtual server\'s protocol: `TCP` or `UDP`.' },
      address: { type: 'string', description: 'The virtual server\'s address.' },
      port: { type: 'integer', description: 'The virtual server\'s port.' },
      method: { type: 'string', description: 'The virtual server\'s forwarding method: `NAT`, `DR` or `TUN`.' },
      healthCheck: { $ref: ref('HealthCheck'), description: 'The virtual server\'s health check, used by real servers that have none of their own.' },
      directors: { type: 'array', items: { $ref: ref('HostConnection') }, description: 'The hosts that carry the virtual server, where the real server is configured too.' },
    },
    required: ['urn', 'protocol', 'address', 'port', 'method', 'directors'],
  },
  'keepalive:index:FragmentState': {
    type: 'object',
    description: 'One configuration fragment a resource wrote on a host, as last written or read. A hash other than the one the inputs give is drift (the file was edited by hand, or removed), which the next update rewrites.',
    properties: {
      host: { type: 'string', description: 'The Host resource\'s name.' },
      path: { type: 'string', description: 'The fragment\'s absolute path on the host, `<configDir>/conf.d/<type>-<name>.json`.' },
      sha256: { type: 'string', description: 'The SHA-256 of the fragment\'s content, in hex; empty when the file is missing.' },
    },
    required: ['host', 'path', 'sha256'],
  },
  'keepalive:index:HostInterface': {
    type: 'object',
    description: 'A network interface of a host and its own addresses (the virtual addresses keepalive holds are left out).',
    properties: {
      name: { type: 'string', description: 'The interface name.' },
      mac: { type: 'string', description: 'The link-layer (MAC) address.' },
      state: { type: 'string', description: 'The operational state: up, down or unknown.' },
      addresses: { type: 'array', items: { type: 'string' }, description: 'The interface\'s addresses, each as "ADDRESS/PREFIXLENGTH".' },
    },
    required: ['name', 'mac', 'state', 'addresses'],
  },
  'keepalive:index:HostFacts': {
    type: 'object',
    description: 'What the host is, as read over SSH at the last create, update or refresh.',
    properties: {
      arch: { type: 'string', description: 'The CPU architecture, as `uname -m` prints it (x86_64, aarch64).' },
      kernel: { type: 'string', description: 'The kernel release, as `uname -r` prints it.' },
      interfaces: { type: 'array', items: { $ref: ref('HostInterface') }, description: 'The network interfaces and their addresses, as `ip address` shows them.' },
    },
    required: ['arch', 'kernel', 'interfaces'],
  },
  'keepalive:index:RealServerHealth': {
    type: 'object',
    description: 'A real server as one director sees it, as last read.',
    properties: {
      host: { type: 'string', description: 'The director\'s Host resource name.' },
      up: { type: 'boolean', description: 'Whether the real server passes its health checks.' },
      weight: { type: 'integer', description: 'The real server\'s current weight (a MISC_CHECK with `miscDynamic` may have changed it).' },
      inTable: { type: 'boolean', description: 'Whether the dataplane (IPVS or nftables) sends it new connections.' },
    },
    required: ['host', 'up', 'weight', 'inTable'],
  },
  'keepalive:index:VirtualServerHealth': {
    type: 'object',
    description: 'A virtual server as one director runs it, as last read.',
    properties: {
      host: { type: 'string', description: 'The director\'s Host resource name.' },
      dataplane: { type: 'string', description: 'What forwards the traffic on the director: "ipvs" (the kernel\'s IP Virtual Server) or "nftables" (where the kernel has no IPVS).' },
      quorumUp: { type: 'boolean', description: 'Whether the pool has its quorum.' },
      realServersUp: { type: 'integer', description: 'How many real servers pass their health checks.' },
      realServers: { type: 'integer', description: 'How many real servers are configured.' },
    },
    required: ['host', 'dataplane', 'quorumUp', 'realServersUp', 'realServers'],
  },
} as const;

const HOST_INPUTS = {
  address: { type: 'string', replaceOnChanges: true, description: 'The IP address or DNS name SSH connects to. Another address is another machine, so changing it replaces the Host.' },
  port: { type: 'integer', default: HOST_DEFAULTS.port, description: 'The SSH port. Defaults to 22.' },
  user: { type: 'string', default: HOST_DEFAULTS.user, description: 'The SSH user. Installing and running keepalive (raw sockets, addresses, IPVS) needs root. Defaults to root.' },
  privateKey: { type: 'string', secret: true, description: 'The SSH private key, in OpenSSH or PEM format, without a passphrase. Stored as a secret.' },
  hostKey: { type: 'string', description: 'The host\'s public key to pin, as a known_hosts line holds it: "ssh-ed25519 AAAA..." (`ssh-keyscan` prints it). A host presenting another key is refused. Required unless insecureAcceptUnknownHostKey is true.' },
  insecureAcceptUnknownHostKey: { type: 'boolean', description: 'Trust whatever host key the host presents instead of pinning `hostKey`: anyone between you and the host could then act as the host and receive the private key\'s signatures and the configuration. A warning says so on every run. Only for throwaway labs. Defaults to false.' },
  installDir: { type: 'string', default: HOST_DEFAULTS.installDir, replaceOnChanges: true, description: 'The absolute directory the runtime (and, when the host has no Node.js 24 or newer, a Node binary) is installed in. Changing it replaces the Host. Defaults to /opt/keepalive.' },
  configDir: { type: 'string', default: HOST_DEFAULTS.configDir, replaceOnChanges: true, description: 'The absolute directory for the runtime\'s configuration; each resource writes its fragment into its conf.d. Changing it replaces the Host. Defaults to /etc/keepalive.' },
  serviceManager: { $ref: ref('ServiceManager'), default: HOST_DEFAULTS.serviceManager, replaceOnChanges: true, description: 'How the runtime is run: a systemd unit, or `none` where the host has no systemd. Changing it replaces the Host. Defaults to systemd.' },
  metricsListen: { type: 'string', description: 'Serve Prometheus metrics on the host at "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6): GET /metrics, under the names of keepalived\'s exporters (keepalive `metrics_listen`). The runtime then runs even while no other resource is on the host. Changing it moves the endpoint by a reload; leaving it out closes it. Unset: no endpoint.' },
} as const;

const GROUP_INPUTS = {
  vrid: { type: 'integer', replaceOnChanges: true, description: 'The virtual router ID, 1 to 255 (keepalived `virtual_router_id`), unique per interface and address family on each member and shared with any other VRRP router in the group (such as a keepalived). Changing it replaces the group.' },
  interface: { type: 'string', replaceOnChanges: true, description: 'The interface the group runs on and the virtual addresses are added to (keepalived `interface`); a member may override it. Changing it replaces the group.' },
  virtualIps: { type: 'array', items: { type: 'string' }, description: 'The virtual addresses the master holds, each "ADDRESS" or "ADDRESS/PREFIXLENGTH" (a host prefix when the length is left out), all of one family (keepalived `virtual_ipaddress`).' },
  version: { $ref: ref('VrrpVersion'), description: 'The VRRP version (keepalived `version`). Defaults to 2 for IPv4 and 3 for IPv6.' },
  advertIntervalMs: { type: 'integer', description: 'The interval between the master\'s adverts, in milliseconds, a multiple of 10 (keepalived `advert_int`, in seconds there); VRRPv2 carries whole seconds only. A backup takes over about three intervals after the master goes silent. Defaults to 1000.' },
  preempt: { type: 'boolean', default: GROUP_DEFAULTS.preempt, description: 'Whether a backup with a higher priority takes over from a master with a lower one; false is keepalived `nopreempt`, where a master keeps the role until it fails. Defaults to true.' },
  preemptDelayMs: { type: 'integer', default: GROUP_DEFAULTS.preemptDelayMs, description: 'How long a higher-priority backup waits before preempting, in milliseconds (keepalived `preempt_delay`, in seconds there). Defaults to 0.' },
  unicast: { type: 'boolean', default: GROUP_DEFAULTS.unicast, description: 'Whether adverts go to each other member directly (keepalived `unicast_peer`, to their `sourceAddress` or host address) instead of to the VRRP multicast group, for networks that drop multicast. Defaults to false.' },
  members: { type: 'array', items: { $ref: ref('VrrpMember') }, description: 'The hosts of the group, each with its priority; a host takes part once. Members are updated one at a time, in an order that moves the master at most once.' },
  tracking: { $ref: ref('VrrpTracking'), description: 'Interfaces, check scripts and files that move a member\'s priority or fault it.' },
  notify: { $ref: ref('VrrpNotify'), description: 'Commands run on a member when its state changes.' },
  smtpAlert: { $ref: ref('SmtpAlert'), description: 'Mail sent on every transition.' },
} as const;

const VIRTUAL_SERVER_INPUTS = {
  address: { type: 'string', replaceOnChanges: true, description: 'The address clients connect to, usually a VrrpGroup\'s virtual IP so that the master carries the traffic (the address of keepalived `virtual_server`). Changing it replaces the virtual server.' },
  port: { type: 'integer', replaceOnChanges: true, description: 'The port clients connect to. Changing it replaces the virtual server.' },
  protocol: { $ref: ref('Protocol'), default: VIRTUAL_SERVER_DEFAULTS.protocol, replaceOnChanges: true, description: 'TCP or UDP (keepalived `protocol`). Changing it replaces the virtual server. Defaults to TCP.' },
  scheduler: { $ref: ref('Scheduler'), default: VIRTUAL_SERVER_DEFAULTS.scheduler, description: 'How new connections are spread over the real servers (keepalived `lb_algo`). Defaults to wlc.' },
  method: { $ref: ref('ForwardingMethod'), default: VIRTUAL_SERVER_DEFAULTS.method, description: 'How packets reach the real servers (keepalived `lb_kind`). DR and TUN need IPVS on the directors. Defaults to NAT.' },
  persistence: { $ref: ref('Persistence'), description: 'Send each client to the same real server for a while.' },
  sorryServer: { $ref: ref('SorryServer'), description: 'Where connections go while the pool is down.' },
  quorum: { $ref: ref('Quorum'), description: 'The healthy weight the pool needs to be up.' },
  healthCheck: { $ref: ref('HealthCheck'), description: 'The health check of the real servers that have none of their own. Without any, a real server is always up.' },
  directors: { type: 'array', items: { $ref: ref('HostConnection') }, description: 'The hosts that carry the service, each a Host\'s `connection`: usually the members of the VrrpGroup holding `address`.' },
} as const;

const REAL_SERVER_INPUTS = {
  virtualServer: { $ref: ref('VirtualServerRef'), description: 'The virtual server this is a backend of: a VirtualServer\'s `ref` output. Another virtual server (protocol, address or port) replaces the real server; new directors only move it.' },
  address: { type: 'string', replaceOnChanges: true, description: 'The backend\'s IP address (the address of keepalived `real_server`). Changing it replaces the real server.' },
  port: { type: 'integer', replaceOnChanges: true, description: 'The backend\'s port. Defaults to the virtual server\'s. Changing it replaces the real server.' },
  weight: { type: 'integer', default: REAL_SERVER_DEFAULTS.weight, description: 'The real server\'s share of new connections for the weighted schedulers, 0 to 65535 (keepalived `weight`); 0 takes no new connections. Defaults to 1.' },
  healthCheck: { $ref: ref('HealthCheck'), description: 'This real server\'s health check. Defaults to the virtual server\'s.' },
} as const;

const RESOURCES = {
  'keepalive:index:Host': {
    description: 'A Linux host reached over SSH, with the keepalive runtime installed on it. Creating it installs the runtime (and a Node.js binary when the host has none new enough); the runtime runs while any VrrpGroup, VirtualServer or RealServer has a fragment on the host, or while `metricsListen` is set. Deleting it stops and removes the runtime. Its ID is its SSH endpoint, ADDRESS:PORT. A Host is not imported but declared: its create on a host already running this runtime uploads nothing that is there and restarts nothing.',
    inputProperties: HOST_INPUTS,
    requiredInputs: ['address', 'privateKey'],
    properties: {
      ...HOST_INPUTS,
      connection: { $ref: ref('HostConnection'), description: 'Everything the resources on this host need to reach it, the private key still secret: pass it as a VrrpGroup member\'s `host` or as a VirtualServer director.' },
      runtimeVersion: { type: 'string', description: 'The installed runtime\'s version (`keepalive --version` on the host).' },
      runtimeHash: { type: 'string', description: 'The SHA-256 of the installed runtime\'s manifest; when the provider carries another runtime, the next update installs it and restarts the runtime.' },
      node: { type: 'string', description: 'The Node.js the runtime runs on: its version and path (the host\'s own when it is 24 or newer, else one uploaded into `installDir`).' },
      running: { type: 'boolean', description: 'Whether the runtime is running (it runs while any resource has a fragment on the host, or `metricsListen` is set).' },
      facts: { $ref: ref('HostFacts'), description: 'The host\'s CPU, kernel, interfaces and addresses.' },
    },
    required: ['address', 'port', 'user', 'privateKey', 'installDir', 'configDir', 'serviceManager', 'connection'],
  },
  'keepalive:index:VrrpGroup': {
    description: 'A VRRP virtual router (keepalived `vrrp_instance`) across its member hosts: its virtual IPs are held by the member with the highest priority that is up, and move to another member within about three advert intervals when it fails. Previews say who will be master before anything moves. Its ID is vrrpgroup-NAME@ADDRESS:PORT[,ADDRESS:PORT...], its fragment\'s name and its members\' SSH endpoints, such as vrrpgroup-vip@198.18.0.1:22,198.18.0.2:22. One whose state was lost is adopted with the import resource option and that ID (any one of the endpoints will do), under the same resource name, in a program that declares the Host resources it lives on (they carry the SSH key and the pinned host key).',
    inputProperties: GROUP_INPUTS,
    requiredInputs: ['vrid', 'interface', 'virtualIps', 'members'],
    properties: {
      ...GROUP_INPUTS,
      expectedMaster: { type: 'string', description: 'The Host name of the member expected to be master once this configuration is applied: the highest priority (ties: the highest address), or, with `preempt` off, the current master while it stays a member.' },
      liveMaster: { type: 'string', description: 'The Host name of the member that is master, as last read from the hosts; several, comma-separated, in a split brain; empty when there is none.' },
      fragments: { type: 'array', items: { $ref: ref('FragmentState') }, description: 'The group\'s configuration fragment on each member.' },
    },
    required: ['vrid', 'interface', 'virtualIps', 'members', 'preempt', 'preemptDelayMs', 'unicast', 'expectedMaster'],
  },
  'keepalive:index:VirtualServer': {
    description: 'A load-balanced service (keepalived `virtual_server`, an IPVS virtual service) carried by its directors: connections to its address and port are spread over its RealServers that pass their health checks. Where a director\'s kernel has no IPVS, nftables forwards the traffic (NAT only). Its ID is virtualserver-NAME@ADDRESS:PORT[,ADDRESS:PORT...], its fragment\'s name and its directors\' SSH endpoints, such as virtualserver-web@198.18.0.1:22,198.18.0.2:22. One whose state was lost is adopted with the import resource option and that ID (any one of the endpoints will do), under the same resource name, in a program that declares the Host resources it lives on (they carry the SSH key and the pinned host key).',
    inputProperties: VIRTUAL_SERVER_INPUTS,
    requiredInputs: ['address', 'port', 'directors'],
    properties: {
      ...VIRTUAL_SERVER_INPUTS,
      ref: { $ref: ref('VirtualServerRef'), description: 'What a RealServer needs of this virtual server: pass it as the RealServer\'s `virtualServer`.' },
      fragments: { type: 'array', items: { $ref: ref('FragmentState') }, description: 'The virtual server\'s configuration fragment on each director.' },
      health: { type: 'array', items: { $ref: ref('VirtualServerHealth') }, description: 'The service on each director, as last read.' },
    },
    required: ['address', 'port', 'protocol', 'scheduler', 'method', 'directors', 'ref'],
  },
  'keepalive:index:RealServer': {
    description: 'A backend of a VirtualServer (keepalived `real_server`), health-checked by each director, which sends it connections while it passes. Its ID is realserver-NAME@ADDRESS:PORT[,ADDRESS:PORT...], its fragment\'s name and the SSH endpoints of its virtual server\'s directors, such as realserver-rs1@198.18.0.1:22,198.18.0.2:22. One whose state was lost is adopted with the import resource option and that ID (any one of the endpoints will do), under the same resource name, in a program that declares the Host resources it lives on (they carry the SSH key and the pinned host key).',
    inputProperties: REAL_SERVER_INPUTS,
    requiredInputs: ['virtualServer', 'address'],
    properties: {
      ...REAL_SERVER_INPUTS,
      fragments: { type: 'array', items: { $ref: ref('FragmentState') }, description: 'The real server\'s configuration fragment on each director.' },
      health: { type: 'array', items: { $ref: ref('RealServerHealth') }, description: 'The real server\'s health on each director, as last read.' },
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

/**
 * The names the SDK generators (tools/sdkgen, run by scripts/sdk.ts) give the packages. Every SDK states
 * the plugin's version (respectSchemaVersion): the Node SDK under package.json's "pulumi" key, Python's
 * and Go's in pulumi-plugin.json; the engine loads exactly that version of the plugin.
 */
export const LANGUAGES = {
  nodejs: {
    packageName: '@keepalive/pulumi',
    packageDescription: 'A Pulumi package for keepalive: VRRP failover and IPVS load balancing on Linux hosts, deployed over SSH.',
    respectSchemaVersion: true,
  },
  python: {
    packageName: 'pulumi_keepalive',
    respectSchemaVersion: true,
    pyproject: { enabled: true },
  },
  go: {
    // The generator puts go.mod one level above the package directory (pulumi-aws's layout): the
    // module is github.com/keepalive/keepalive/sdk/go and the package to import is this path.
    importBasePath: 'github.com/keepalive/keepalive/sdk/go/keepalive',
    respectSchemaVersion: true,
    generateResourceContainerTypes: true,
  },
} as const;

/** The Pulumi package schema, as GetSchema returns it and provider/schema.json holds it. */
export function packageSchema(): object {
  return {
    name: PACKAGE,
    displayName: 'keepalive',
    version: VERSION,
    description: 'keepalived rebuilt in TypeScript: VRRP failover and IPVS load balancing on Linux hosts, installed and configured over SSH, with a preview of who will be master.',
    keywords: ['vrrp', 'keepalived', 'load balancing', 'high availability', 'ssh'],
    license: packageJson.license,
    // supportPack: the generators write real versions (from `version`, that is package.json's) and a
    // go.mod for the Go SDK.
    meta: { moduleFormat: '(.*)', supportPack: true },
    language: LANGUAGES,
    config: {},
    provider: { description: 'The keepalive provider. It has no configuration: each Host carries its own SSH connection.', type: 'object' },
    types: TYPES,
    resources: RESOURCES,
  };
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(packageSchema(), null, 2)}\n`);
