// The resource lifecycle over the plugin protocol: UpgradeResourceState, PlanResourceChange,
// ApplyResourceChange, ReadResource and ImportResourceState, through the same core as the Pulumi
// provider (its Check and Diff for the plan and the topology words, provider/core/lifecycle.ts for the
// SSH deploy, Read and adoption).
//
// Terraform does not tell a provider a resource's address, and the core names fragments, hosts and the
// topology words after a resource's name. So each resource has a Terraform-only attribute `name`
// (optional; by default derived from what identifies it: a host's address, `vrid-51`, `tcp-VIP-80`,
// `ADDR-PORT` of a real server), and the core sees the resource as urn:pulumi:tofu::keepalive::TYPE::NAME.
import type { EngineLog } from '../core/log.ts';
import { KeepaliveResources } from '../core/resources.ts';
import { refType, resources, type PropertySpec, type ResourceToken } from '../core/schema.ts';
import { containsUnknown, plain, UNKNOWN } from '../core/wire.ts';
import { fromDynamic, toDynamic, type DynamicValue } from './dynamic.ts';
import { attributePath, inputsFromTerraform, pathText, resourceAttributeName, snake, TERRAFORM_TYPES, terraformWords } from './schema.ts';

type Props = Record<string, unknown>;
const ERROR = 1;
const WARNING = 2;

/** The name the core knows a resource by: `name`, or one derived from what identifies it. */
export function resourceNameOf(token: ResourceToken, config: Props): string {
  if (typeof config.name === 'string' && config.name !== '') return config.name;
  const part = (v: unknown): string => (v === UNKNOWN || v === null || v === undefined ? 'x' : String(v));
  switch (token) {
    case 'keepalive:index:Host': return part(config.address);
    case 'keepalive:index:VrrpGroup': return `vrid-${part(config.vrid)}`;
    case 'keepalive:index:VirtualServer': return `${part(config.protocol ?? 'TCP').toLowerCase()}-${part(config.address)}-${part(config.port)}`;
    default: {
      const vs = (config.virtual_server ?? {}) as Props;
      return `${part(config.address)}-${part(config.port ?? vs.port)}-of-${part(vs.address)}-${part(vs.port)}`;
    }
  }
}

export function urnOf(token: ResourceToken, name: string): string {
  return `urn:pulumi:tofu::keepalive::${token}::${name}`;
}

function toValue(spec: PropertySpec, value: unknown): unknown {
  if (value === UNKNOWN) return UNKNOWN;
  if (value === null || value === undefined) return null;
  if (spec.type === 'array') return Array.isArray(value) ? value.map((v) => toValue(spec.items!, v)) : value;
  if (spec.$ref !== undefined) {
    const type = refType(spec.$ref);
    if (type.properties && typeof value === 'object') {
      return Object.fromEntries(Object.entries(type.properties).map(([k, p]) => [snake(k), toValue(p, (value as Props)[k])]));
    }
  }
  return value;
}

/** The Pulumi provider's properties as a Terraform object of the resource's schema (every attribute, null when unset). */
export function toTerraform(token: ResourceToken, wrapped: Props, extra: { id: unknown; name: unknown }): Props {
  // Pulumi's secrets unwrapped: Terraform's schema marks what is sensitive.
  const props = plain(wrapped) as Props;
  const out: Props = { id: extra.id, name: extra.name };
  for (const [key, spec] of Object.entries(resources[token].properties)) out[resourceAttributeName(key)] = toValue(spec, props[key]);
  return out;
}

/** A Terraform state object as the Pulumi provider's properties (inputs and outputs; nulls left out). */
export function fromTerraformState(token: ResourceToken, state: Props): Props {
  const props: Props = {};
  for (const [key, spec] of Object.entries(resources[token].properties)) {
    const v = state[resourceAttributeName(key)];
    if (v === null || v === undefined) continue;
    props[key] = Object.hasOwn(resources[token].inputProperties, key)
      ? inputsFromTerraform(token, { [snake(key)]: v })[key]
      : fromPulumiSpec(spec, v);
  }
  return props;
}

function fromPulumiSpec(spec: PropertySpec, value: unknown): unknown {
  if (value === null || value === undefined || value === UNKNOWN) return value;
  if (spec.type === 'array' && Array.isArray(value)) return value.map((v) => fromPulumiSpec(spec.items!, v));
  if (spec.$ref !== undefined && typeof value === 'object') {
    const type = refType(spec.$ref);
    if (type.properties) {
      const out: Props = {};
      for (const [k, p] of Object.entries(type.properties)) {
        const v = (value as Props)[snake(k)];
        if (v !== null && v !== undefined) out[k] = fromPulumiSpec(p, v);
      }
      return out;
    }
  }
  return value;
}

interface Diagnostic { severity: number; summary: string; detail: string }

/** One Pulumi provider for the process (a real server's check needs its virtual server's), its messages by URN. */
class Core {
  private readonly said = new Map<string, { severity: string; message: string }[]>();
  readonly provider = new KeepaliveResources({
    log: async (severity, message, urn) => {
      // Debug lines (each operation's SSH cost) go to stderr, a line each, which the CLI keeps in its
      // provider log (TF_LOG_PROVIDER=DEBUG, TF_LOG_PATH); the rest become diagnostics.
      if (severity === 'debug') {
        process.stderr.write(`${urn.split('::').slice(-2).join(' ')}: ${message}\n`);
        return;
      }
      const list = this.said.get(urn ?? '') ?? [];
      list.push({ severity, message });
      this.said.set(urn ?? '', list);
    },
  } satisfies EngineLog);

  /** What the core said about `urn` since the last call, as diagnostics: topology words and warnings as warnings. */
  diagnostics(urn: string): Diagnostic[] {
    const lines = this.said.get(urn) ?? [];
    this.said.delete(urn);
    return lines.map((l) => ({
      severity: l.severity === 'error' ? ERROR : WARNING, summary: terraformWords(l.message), detail: '',
    }));
  }
}

function failure(error: unknown): Diagnostic[] {
  return [{ severity: ERROR, summary: (error as Error).message.split('\n')[0]!, detail: (error as Error).message }];
}

const tokenOf = (typeName: string): ResourceToken => {
  const token = TERRAFORM_TYPES.get(typeName);
  if (!token) throw new Error(`keepalive has no resource type ${typeName}`);
  return token;
};

export function resourceHandlers(): Record<string, (request: Props) => Promise<unknown>> {
  const core = new Core();
  const p = core.provider;

  return {
    // Version 0 is the only version: the stored JSON passes through.
    async UpgradeResourceState(request) {
      const raw = request.raw_state as { json?: Uint8Array } | undefined;
      const state = raw?.json && raw.json.length > 0 ? JSON.parse(Buffer.from(raw.json).toString('utf8')) : null;
      return { upgraded_state: toDynamic(state), diagnostics: [] };
    },

    async PlanResourceChange(request) {
      const token = tokenOf(request.type_name as string);
      const proposed = fromDynamic(request.proposed_new_state as DynamicValue) as Props | null;
      const prior = fromDynamic(request.prior_state as DynamicValue) as Props | null;
      if (proposed === null) return { planned_state: toDynamic(null), diagnostics: [] };
      const name = resourceNameOf(token, proposed);
      const urn = urnOf(token, name);
      const olds = prior ? fromTerraformState(token, prior) : {};
      const inputs = inputsFromTerraform(token, proposed);
      try {
        const checked = await p.check(urn, prior ? olds : {}, inputs);
        if (checked.failures && checked.failures.length > 0) {
          return { diagnostics: checked.failures.map((f) => ({ severity: ERROR, summary: f.property ? `${pathText(f.property)}: ${terraformWords(f.reason)}` : terraformWords(f.reason), detail: '', ...(f.property && { attribute: { steps: attributePath(f.property) } }) })) };
        }
        const news = checked.inputs as Props;
        let changes = true;
        const requiresReplace: string[] = [];
        if (prior) {
          const diff = await p.diff(prior.id as string, urn, olds, news);
          changes = diff.changes === true;
          requiresReplace.push(...(diff.replaces ?? []));
          if (prior.name !== name) { changes = true; requiresReplace.push('name'); }
        }
        const diagnostics = core.diagnostics(urn);
        if (prior && !changes) return { planned_state: toDynamic(prior), diagnostics };
        // Outputs the core computes only when it acts are unknown until then; Check's (connection, expectedMaster, ref) are known.
        const outputs = Object.keys(resources[token].properties).filter((k) => !Object.hasOwn(resources[token].inputProperties, k) && !Object.hasOwn(news, k));
        const planned = toTerraform(token, { ...news, ...Object.fromEntries(outputs.map((k) => [k, UNKNOWN])) }, {
          id: prior && requiresReplace.length === 0 ? prior.id : UNKNOWN, name,
        });
        return {
          planned_state: toDynamic(planned),
          requires_replace: [...new Set(requiresReplace)].map((k) => ({ steps: [{ attribute_name: k === 'name' ? 'name' : resourceAttributeName(k) }] })),
          diagnostics,
        };
      } catch (error) {
        return { diagnostics: failure(error) };
      }
    },

    async ApplyResourceChange(request) {
      const token = tokenOf(request.type_name as string);
      const planned = fromDynamic(request.planned_state as DynamicValue) as Props | null;
      const prior = fromDynamic(request.prior_state as DynamicValue) as Props | null;
      try {
        if (planned === null) {
          if (prior) {
            const urn = urnOf(token, resourceNameOf(token, prior));
            await p.delete(prior.id as string, urn, fromTerraformState(token, prior));
          }
          return { new_state: toDynamic(null), diagnostics: [] };
        }
        const name = resourceNameOf(token, planned);
        const urn = urnOf(token, name);
        const news = fromTerraformState(token, planned);
        for (const k of Object.keys(news)) if (containsUnknown(news[k])) delete news[k];
        if (prior === null) {
          const { id, outs } = await p.create(urn, news);
          return { new_state: toDynamic(toTerraform(token, outs ?? {}, { id, name })), diagnostics: core.diagnostics(urn) };
        }
        const { outs } = await p.update(prior.id as string, urn, fromTerraformState(token, prior), news);
        return { new_state: toDynamic(toTerraform(token, outs ?? {}, { id: prior.id, name })), diagnostics: core.diagnostics(urn) };
      } catch (error) {
        return { diagnostics: failure(error) };
      }
    },

    // Drift: what the hosts have, as Pulumi's refresh reads it. An imported resource (its state only
    // an ID) is adopted here, as the Pulumi provider's import does, its hosts reached with the
    // connections of this configuration's keepalive_host resources: a plan refreshes and plans them
    // before the resources that use them. Where they are not known yet (`tofu import` itself, which
    // plans nothing), the state is left as it is, to be adopted at the next plan or apply.
    async ReadResource(request) {
      const token = tokenOf(request.type_name as string);
      const state = fromDynamic(request.current_state as DynamicValue) as Props | null;
      if (state === null) return { new_state: toDynamic(null), diagnostics: [] };
      const props = fromTerraformState(token, state);
      const urn = urnOf(token, resourceNameOf(token, state));
      const imported = token !== 'keepalive:index:Host' && props.fragments === undefined;
      try {
        const read = await p.read(state.id as string, urn, imported ? {} : props);
        if (!read.id) return { new_state: toDynamic(null), diagnostics: core.diagnostics(urn) };
        return { new_state: toDynamic(toTerraform(token, read.props ?? {}, { id: read.id, name: state.name })), diagnostics: core.diagnostics(urn) };
      } catch (error) {
        if (imported && /no Host resource in this program connects/.test((error as Error).message)) return { new_state: toDynamic(state), diagnostics: [] };
        return { diagnostics: failure(error) };
      }
    },

    // An ID as the Pulumi provider's import takes it (FRAGMENT@ADDR:PORT[,...]). The hosts are reached
    // with the connections of the configuration: the import leaves a state of the ID and name only, and
    // the next refresh, which has the configuration's hosts, adopts it (ReadResource).
    async ImportResourceState(request) {
      const typeName = request.type_name as string;
      const token = tokenOf(typeName);
      const id = request.id as string;
      if (token === 'keepalive:index:Host') {
        return { diagnostics: [{ severity: ERROR, summary: 'a keepalive_host is not imported but declared: its create, where this runtime already runs, uploads nothing that is there and restarts nothing', detail: '' }] };
      }
      const match = /^[a-z]+-(.+)@.+$/.exec(id);
      if (!match) return { diagnostics: [{ severity: ERROR, summary: `cannot import ${typeName} from ID ${JSON.stringify(id)}: the ID is FRAGMENT@HOST:PORT[,HOST:PORT...]`, detail: '' }] };
      const state = toTerraform(token, {}, { id, name: match[1] });
      return { imported_resources: [{ type_name: typeName, state: toDynamic(state) }], diagnostics: [] };
    },
  };
}
