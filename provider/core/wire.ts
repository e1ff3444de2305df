// Property values as the engine sends them to a provider that accepts secrets: secrets arrive wrapped
// in an object tagged with Pulumi's signature key, and values not known during a preview arrive as
// Pulumi's unknown sentinel. The provider reasons on plain values and hands the wrapped ones back
// untouched, so a secret stays a secret in the state.
import { specialOutputValueSig, specialSecretSig, specialSigKey, unknownValue } from '@pulumi/pulumi/runtime/rpc.js';

/** Stands for a value that is not known yet (a preview whose inputs depend on resources not yet created). */
export const UNKNOWN: unique symbol = Symbol('unknown');

/** How an unknown value is written back to the engine. */
export const UNKNOWN_ON_WIRE = unknownValue;

type Tagged = Record<string, unknown>;

function signature(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as Tagged)[specialSigKey] : undefined;
}

export function isSecret(value: unknown): boolean {
  return signature(value) === specialSecretSig;
}

/** The value with secrets unwrapped and unknowns replaced by UNKNOWN, at any depth. */
export function plain(value: unknown): unknown {
  if (value === unknownValue) return UNKNOWN;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null) return value;
  const sig = signature(value);
  if (sig === specialSecretSig) return plain((value as Tagged).value);
  if (sig === specialOutputValueSig) return 'value' in value ? plain((value as Tagged).value) : UNKNOWN;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, plain(v)]));
}

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  return typeof value === 'object' && value !== null && Object.values(value).some(containsUnknown);
}

/** Marks a value secret, unless it already is. */
export function secret(value: unknown): unknown {
  return isSecret(value) ? value : { [specialSigKey]: specialSecretSig, value };
}

/** Deep equality of plain values (after `plain`); an unknown equals nothing. */
export function samePlain(a: unknown, b: unknown): boolean {
  if (a === UNKNOWN || b === UNKNOWN) return false;
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => samePlain(v, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => samePlain((a as Tagged)[key], (b as Tagged)[key]));
}
