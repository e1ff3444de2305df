// The tfplugin6 Provider service of keepalive: what OpenTofu (or Terraform) calls over the plugin
// protocol. This slice serves the schema and validation:
//
// - GetProviderSchema and GetMetadata: the four resources, their schemas derived from
//   provider/core/schema.ts (see ./schema.ts);
// - ValidateProviderConfig, ConfigureProvider: the provider has no configuration;
// - ValidateResourceConfig: the configuration through the Pulumi provider's own Check (the shape against
//   the schema, then the values by the runtime's loader and validator), its failures as error
//   diagnostics that carry the attribute path and the same words, its warnings as warnings;
// - UpgradeResourceState, PlanResourceChange, ApplyResourceChange, ReadResource, ImportResourceState:
//   the resources' lifecycle, through the Pulumi provider's core (see ./resources.ts);
// - StopProvider.
// Any other RPC answers UNIMPLEMENTED (grpc-js does so for a method with no handler).
//
// Validation before anything is known: `tofu validate` sends references to other resources as
// unknown, so a group's members (each a keepalive_host's `connection`) or a virtual server's directors
// usually are. Check leaves a resource with unknown values to later; here an unknown connection is
// replaced by a stand-in (a TEST-NET-1 address), so that the group's own values (its priorities, VIPs,
// health check) are checked now, and what the checks say about the stand-in itself is dropped.
import type { EngineLog } from '../core/log.ts';
import { KeepaliveResources } from '../core/resources.ts';
import { HOST_DEFAULTS, refType, resources, type PropertySpec, type ResourceToken } from '../core/schema.ts';
import { containsUnknown, UNKNOWN } from '../core/wire.ts';
import { fromDynamic, type DynamicValue } from './dynamic.ts';
import { resourceHandlers } from './resources.ts';
import { attributePath, inputsFromTerraform, pathText, providerSchema, resourceSchema, TERRAFORM_TYPES, terraformWords } from './schema.ts';

type Props = Record<string, unknown>;

const ERROR = 1;
const WARNING = 2;

export interface Diagnostic {
  severity: number;
  summary: string;
  detail: string;
  attribute?: { steps: ReturnType<typeof attributePath> };
}

const HOST_CONNECTION = '#/types/keepalive:index:HostConnection';

/**
 * The inputs with each unknown (or partly unknown) host connection replaced by a stand-in, and the
 * property paths of those stand-ins.
 */
export function standIns(token: ResourceToken, inputs: Props): { inputs: Props; paths: string[] } {
  const paths: string[] = [];
  const replace = (spec: PropertySpec, value: unknown, path: string): unknown => {
    if (value === undefined) return value;
    if (spec.type === 'array' && Array.isArray(value)) return value.map((v, i) => replace(spec.items!, v, `${path}[${i}]`));
    if (spec.$ref === HOST_CONNECTION && containsUnknown(value)) {
      paths.push(path);
      // TEST-NET-3 (RFC 5737): an address no real host has, and never reached: a stand-in is only validated.
      return {
        name: `(${pathText(path)}, not known yet)`, address: `203.0.113.${paths.length}`, port: HOST_DEFAULTS.port, user: HOST_DEFAULTS.user,
        privateKey: '', insecureAcceptUnknownHostKey: true, installDir: HOST_DEFAULTS.installDir, configDir: HOST_DEFAULTS.configDir,
        serviceManager: HOST_DEFAULTS.serviceManager,
      };
    }
    if (spec.$ref !== undefined && typeof value === 'object' && value !== null) {
      const properties = refType(spec.$ref).properties ?? {};
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, properties[k] ? replace(properties[k], v, `${path}.${k}`) : v]));
    }
    return value;
  };
  const properties = resources[token].inputProperties;
  const out = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, properties[k] ? replace(properties[k], v, k) : v]));
  return { inputs: out, paths };
}

/** The diagnostics of one resource configuration, through the Pulumi provider's Check. */
export async function validateResource(typeName: string, config: unknown): Promise<Diagnostic[]> {
  const token = TERRAFORM_TYPES.get(typeName);
  if (!token) return [{ severity: ERROR, summary: `keepalive has no resource type ${typeName}`, detail: `It has ${[...TERRAFORM_TYPES.keys()].join(', ')}.` }];
  if (config === null || config === UNKNOWN) return [];
  const { inputs, paths } = standIns(token, inputsFromTerraform(token, config as Props));
  const warnings: string[] = [];
  const log: EngineLog = { log: async (severity, message) => { if (severity === 'warning' || severity === 'error') warnings.push(message); } };
  // A provider of its own for each call: Terraform validates each resource on its own, so nothing
  // another resource declared may count (the Pulumi provider remembers what it has checked).
  const urn = `urn:pulumi:tofu::keepalive::${token}::${typeName}`;
  const result = await new KeepaliveResources(log).check(urn, {}, inputs);
  const about = (property: string): boolean => paths.some((p) => property === p || property.startsWith(`${p}.`) || property.startsWith(`${p}[`));
  // Whether a real server's virtual server is declared is a question of the whole configuration, which
  // one resource's validation does not see (the plan, which sees it, asks it).
  const alone = (f: { property: string; reason: string }): boolean => f.property === 'virtualServer' && f.reason.includes('is not declared in this program');
  const diagnostics: Diagnostic[] = (result.failures ?? []).filter((f) => !about(f.property) && !alone(f)).map((f) => ({
    severity: ERROR,
    summary: f.property === '' ? terraformWords(f.reason) : `${pathText(f.property)}: ${terraformWords(f.reason)}`,
    detail: '',
    ...(f.property !== '' && { attribute: { steps: attributePath(f.property) } }),
  }));
  const standInWords = /\(([a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*), not known yet\)/;
  for (const w of warnings) if (!standInWords.test(w)) diagnostics.push({ severity: WARNING, summary: terraformWords(w), detail: '' });
  return diagnostics;
}

/** A gRPC unary handler from an async function of the request. */
type Handler = (call: { request: Props }, callback: (error: Error | null, response?: unknown) => void) => void;
const unary = (f: (request: Props) => unknown): Handler => (call, callback) => {
  Promise.resolve().then(() => f(call.request)).then((response) => callback(null, response), (error: Error) => callback(error));
};

/** The tfplugin6.Provider handlers; `stop` is called on StopProvider. */
export function providerHandlers(stop: () => void): Record<string, Handler> {
  const capabilities = { plan_destroy: false, get_provider_schema_optional: false, move_resource_state: false };
  return {
    GetMetadata: unary(() => ({
      server_capabilities: capabilities,
      resources: [...TERRAFORM_TYPES.keys()].map((type_name) => ({ type_name })),
    })),
    GetProviderSchema: unary(() => ({
      provider: providerSchema(),
      resource_schemas: Object.fromEntries([...TERRAFORM_TYPES].map(([name, token]) => [name, resourceSchema(token)])),
      server_capabilities: capabilities,
    })),
    ValidateProviderConfig: unary(() => ({ diagnostics: [] })),
    ConfigureProvider: unary(() => ({ diagnostics: [] })),
    ValidateResourceConfig: unary(async (request) => ({
      diagnostics: await validateResource(request.type_name as string, fromDynamic(request.config as DynamicValue)),
    })),
    ...Object.fromEntries(Object.entries(resourceHandlers()).map(([rpc, f]) => [rpc, unary(f)])),
    StopProvider: unary(() => {
      stop();
      return { Error: '' };
    }),
  };
}
