// The first half of Check: the inputs against the package schema (types, required properties, enum
// values, unknown keys), each failure naming the property by its path (`members[1].priority`).
// Values and ranges are the runtime's to judge (see fragments.ts); this only makes sure the inputs
// have the shape the schema promises, so later code can read them as the derived types.
import { refType, resources, type PropertySpec, type ResourceToken, type TypeSpec } from './schema.ts';
import { UNKNOWN } from './wire.ts';

export interface Failure {
  readonly property: string;
  readonly reason: string;
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function describeType(spec: PropertySpec): string {
  if (spec.$ref) {
    const type = refType(spec.$ref);
    return type.enum ? `one of ${type.enum.map((e) => JSON.stringify(e.value)).join(', ')}` : 'an object';
  }
  return spec.type === 'integer' ? 'an integer' : spec.type === 'array' ? 'a list' : `a ${spec.type}`;
}

function checkObject(properties: Readonly<Record<string, PropertySpec>>, required: readonly string[], value: unknown, path: string, failures: Failure[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    failures.push({ property: path, reason: 'expected an object' });
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const spec = properties[key];
    if (!spec) failures.push({ property: join(path, key), reason: `unknown property; expected one of: ${Object.keys(properties).join(', ')}` });
    else if (v !== undefined && v !== null) checkValue(spec, v, join(path, key), failures);
  }
  for (const key of required) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || v === null) failures.push({ property: join(path, key), reason: `required: ${properties[key]?.description ?? key}` });
  }
}

function checkValue(spec: PropertySpec, value: unknown, path: string, failures: Failure[]): void {
  if (value === UNKNOWN) return;
  if (spec.$ref) {
    const type: TypeSpec = refType(spec.$ref);
    if (type.enum) {
      if (!type.enum.some((e) => e.value === value)) failures.push({ property: path, reason: `${JSON.stringify(value)} is not ${describeType(spec)}` });
    } else {
      checkObject(type.properties ?? {}, type.required ?? [], value, path, failures);
    }
    return;
  }
  const ok =
    spec.type === 'string' ? typeof value === 'string'
    : spec.type === 'integer' ? Number.isSafeInteger(value)
    : spec.type === 'number' ? typeof value === 'number' && Number.isFinite(value)
    : spec.type === 'boolean' ? typeof value === 'boolean'
    : spec.type === 'array' ? Array.isArray(value)
    : false;
  if (!ok) {
    failures.push({ property: path, reason: `expected ${describeType(spec)}, got ${JSON.stringify(value)}` });
    return;
  }
  if (spec.type === 'array' && spec.items) {
    const items = spec.items;
    (value as unknown[]).forEach((item, i) => checkValue(items, item, `${path}[${i}]`, failures));
  }
}

/** Shape failures of a resource's (plain) inputs. */
export function checkShape(token: ResourceToken, inputs: Readonly<Record<string, unknown>>): Failure[] {
  const spec = resources[token];
  const failures: Failure[] = [];
  checkObject(spec.inputProperties, spec.requiredInputs, inputs, '', failures);
  return failures;
}
