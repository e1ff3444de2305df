// keepalive's resources as the Terraform plugin protocol describes them, derived from the one
// description of the resources, provider/core/schema.ts (Pulumi's package schema): the same four
// resources, named keepalive_host, keepalive_vrrp_group, keepalive_virtual_server and
// keepalive_real_server, with the same properties in snake_case and the same descriptions.
//
// How a Pulumi property becomes a Terraform attribute:
// - string, integer (and number), boolean: "string", "number", "bool"; an enum: its value type, with
//   the values listed after the description;
// - a list of those: ["list", T];
// - an object type ($ref), or a list of them: a nested attribute (protocol 6's nested_type), SINGLE or
//   LIST, whose attributes are the type's properties, derived the same way;
// - required: a required input (requiredInputs, or a type's `required` where the type is an input);
//   optional: any other input, also computed when the schema gives it a default (the provider fills it
//   in); computed: an output (a resource's properties that are not inputs, and everything inside them);
// - sensitive: `secret` (the private key, wherever a connection carries it).
// Every resource also has `id`, computed: its ID as the Pulumi provider makes it.
//
// And back: a configuration value in Terraform's form (snake_case, nulls for what is not set) becomes
// the Pulumi provider's inputs (camelCase, unset left out), and a property path the Pulumi provider
// names in a failure (`members[1].priority`) becomes Terraform's (`members[1].priority`, attribute by
// attribute, snake_case).
import { refType, resources, type PropertySpec, type ResourceToken, type TypeSpec } from '../core/schema.ts';
import { UNKNOWN } from '../core/wire.ts';

export const PROVIDER_TYPE = 'keepalive';

/** `virtualIps` -> `virtual_ips` */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** keepalive:index:VrrpGroup -> keepalive_vrrp_group */
export function terraformType(token: ResourceToken): string {
  return `${PROVIDER_TYPE}_${snake(token.split(':').at(-1)!.replace(/^[A-Z]/, (c) => c.toLowerCase()))}`;
}

/** The resources by Terraform type name. */
export const TERRAFORM_TYPES: ReadonlyMap<string, ResourceToken> = new Map(
  (Object.keys(resources) as ResourceToken[]).map((token) => [terraformType(token), token]),
);

// The schema, in the shape of tfplugin6's Schema messages (as @grpc/proto-loader takes them).

export const NESTING = { SINGLE: 1, LIST: 2 } as const;
const MARKDOWN = 1;

export interface Attribute {
  name: string;
  type?: Buffer;
  nested_type?: { attributes: Attribute[]; nesting: number };
  description: string;
  description_kind: number;
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
}

export interface Schema {
  version: number;
  block: { version: number; attributes: Attribute[]; block_types: []; description: string; description_kind: number };
}

/** Where a property is: in the inputs (`required` says whether it must be set) or in the outputs. */
type Mode = { readonly input: true; readonly required: boolean } | { readonly input: false };

function enumOf(spec: PropertySpec): TypeSpec | undefined {
  const type = spec.$ref === undefined ? undefined : refType(spec.$ref);
  return type?.enum ? type : undefined;
}

function primitive(type: string | undefined): string {
  switch (type) {
    case 'string': return 'string';
    case 'integer': case 'number': return 'number';
    case 'boolean': return 'bool';
    default: throw new Error(`no Terraform type for a schema type ${type}`);
  }
}

function attribute(name: string, spec: PropertySpec, mode: Mode): Attribute {
  let description = terraformWords(spec.description ?? '');
  const flags = {
    required: mode.input && mode.required,
    optional: mode.input && !mode.required,
    computed: !mode.input || (!mode.required && spec.default !== undefined),
    sensitive: spec.secret === true,
  };
  const base = { name: snake(name), description_kind: MARKDOWN, ...flags };
  const item = spec.type === 'array' ? spec.items! : spec;
  const values = enumOf(item);
  if (values) description += ` One of: ${values.enum!.map((e) => `\`${e.value}\``).join(', ')}.`;
  if (item.$ref !== undefined && !values) {
    const type = refType(item.$ref);
    // Inside an output everything is an output; inside an input, the type's own `required` holds.
    const inner = (key: string): Mode => (mode.input ? { input: true, required: (type.required ?? []).includes(key) } : { input: false });
    const attributes = Object.entries(type.properties ?? {}).map(([key, p]) => attribute(key, p, inner(key)));
    return { ...base, description, nested_type: { attributes, nesting: spec.type === 'array' ? NESTING.LIST : NESTING.SINGLE } };
  }
  const scalar = primitive(values ? values.type : item.type);
  const type = spec.type === 'array' ? ['list', scalar] : scalar;
  return { ...base, description, type: Buffer.from(JSON.stringify(type)) };
}

/**
 * Resource properties whose snake_case name Terraform keeps for itself, and the attribute name they take
 * instead. `connection` is the block provisioners connect with (Terraform's plugin SDK refuses it as an
 * attribute), and every CDK resource class has a `connection` property for it, which a Host's output of
 * that name would clash with in the generated constructs.
 */
const RESERVED: Readonly<Record<string, string>> = { connection: 'host_connection' };

/** A resource's property as a top-level attribute name: `virtualIps` -> `virtual_ips`, `connection` -> `host_connection`. */
export function resourceAttributeName(key: string): string {
  const name = snake(key);
  return RESERVED[name] ?? name;
}

/**
 * Terraform does not tell a provider a resource's address: `name`, a Terraform-only attribute, is what
 * the Pulumi provider takes from the resource's name (see ./resources.ts).
 */
const NAME_DESCRIPTION = 'The resource\'s name on its hosts (its fragment\'s file name) and in the topology words; a host\'s name is its members\' name. '
  + 'By default derived from what identifies it: a host\'s address, `vrid-51`, `tcp-VIP-PORT`, `ADDR-PORT-of-VIP-PORT` of a real server. Changing it replaces the resource.';

/** The Terraform schema of one resource. */
export function resourceSchema(token: ResourceToken): Schema {
  const spec = resources[token];
  const attributes = Object.entries(spec.properties).map(([key, p]) => ({
    ...attribute(key, p, Object.hasOwn(spec.inputProperties, key) ? { input: true, required: spec.requiredInputs.includes(key) } : { input: false }),
    name: resourceAttributeName(key),
  }));
  attributes.unshift({
    name: 'name', type: Buffer.from(JSON.stringify('string')), description: NAME_DESCRIPTION,
    description_kind: MARKDOWN, required: false, optional: true, computed: true, sensitive: false,
  }, {
    name: 'id', type: Buffer.from(JSON.stringify('string')), description: 'The resource\'s ID, as its description says.',
    description_kind: MARKDOWN, required: false, optional: false, computed: true, sensitive: false,
  });
  return { version: 0, block: { version: 0, attributes, block_types: [], description: terraformWords(spec.description), description_kind: MARKDOWN } };
}

export function providerSchema(): Schema {
  return {
    version: 0,
    block: { version: 0, attributes: [], block_types: [], description: 'The keepalive provider. It has no configuration: each keepalive_host carries its own SSH connection.', description_kind: MARKDOWN },
  };
}

// Values.

type Props = Record<string, unknown>;

function fromValue(spec: PropertySpec, value: unknown): unknown {
  if (value === UNKNOWN || value === null || value === undefined) return value;
  if (spec.type === 'array' && Array.isArray(value)) return value.map((v) => fromValue(spec.items!, v));
  if (spec.$ref !== undefined && typeof value === 'object' && !Array.isArray(value)) {
    const type = refType(spec.$ref);
    if (type.properties) return fromObject(type.properties, value as Props);
  }
  return value;
}

function fromObject(properties: Readonly<Record<string, PropertySpec>>, value: Props): Props {
  const out: Props = {};
  for (const [key, spec] of Object.entries(properties)) {
    const v = value[snake(key)];
    if (v !== null && v !== undefined) out[key] = fromValue(spec, v);
  }
  return out;
}

/** A resource's configuration in Terraform's form as the Pulumi provider's inputs (outputs, `id` and nulls left out). */
export function inputsFromTerraform(token: ResourceToken, config: Props): Props {
  return fromObject(resources[token].inputProperties, config);
}

/** A Pulumi property path as Terraform attribute path steps: `members[1].priority`. */
export function attributePath(property: string): { attribute_name?: string; element_key_int?: number }[] {
  return [...property.matchAll(/([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)].map(([, name, index]) =>
    (name !== undefined ? { attribute_name: snake(name) } : { element_key_int: Number(index) }));
}

/** The path in words, as Terraform users write it: `members[1].priority`. */
export function pathText(property: string): string {
  return property.replace(/[A-Za-z_][A-Za-z0-9_]*/g, snake);
}

/** Every camelCase property name of the schema, so that messages can name them as Terraform users do. */
const CAMEL_NAMES: ReadonlySet<string> = new Set(
  [...Object.values(resources).flatMap((r) => Object.keys(r.properties)),
    ...Object.values(refTypes()).flatMap((t) => Object.keys(t.properties ?? {}))].filter((n) => /[A-Z]/.test(n)),
);

function refTypes(): TypeSpec[] {
  const seen = new Map<string, TypeSpec>();
  const visit = (spec: PropertySpec): void => {
    const ref = spec.type === 'array' ? spec.items?.$ref : spec.$ref;
    if (ref === undefined || seen.has(ref)) return;
    const type = refType(ref);
    seen.set(ref, type);
    Object.values(type.properties ?? {}).forEach(visit);
  };
  Object.values(resources).forEach((r) => Object.values(r.properties).forEach(visit));
  return [...seen.values()];
}

/** A message of the Pulumi provider with the property names in it as Terraform's. */
export function terraformWords(message: string): string {
  return message.replace(/\b[a-z][a-zA-Z0-9]*[A-Z][a-zA-Z0-9]*\b/g, (word) => (CAMEL_NAMES.has(word) ? snake(word) : word));
}
