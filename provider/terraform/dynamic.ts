// tfplugin6's DynamicValue: a value of the schema's type, in MessagePack (or, for stored state, JSON).
// OpenTofu writes a value not known yet as a MessagePack extension: type 0 (`d4 00 00`), or type 12 for
// a refined unknown (one it knows something about, such as "not null"). Any extension is read as
// UNKNOWN, the Pulumi provider's own mark for a value not known yet, so that the checks shared with it
// skip what is not known in the same way; UNKNOWN is written back as type 0.
import { decode, encode, ExtData, type ExtensionCodecType } from '@msgpack/msgpack';
import { UNKNOWN } from '../core/wire.ts';

/** No built-in extensions (the library's timestamp, type -1, included): every extension is an unknown. */
const codec: ExtensionCodecType<undefined> = {
  tryToEncode: (value) => (value === UNKNOWN ? new ExtData(0, new Uint8Array([0])) : null),
  decode: () => UNKNOWN,
};

export interface DynamicValue {
  readonly msgpack?: Uint8Array;
  readonly json?: Uint8Array;
}

/** The value a DynamicValue holds; null when it holds nothing. */
export function fromDynamic(value: DynamicValue | null | undefined): unknown {
  if (value?.msgpack && value.msgpack.length > 0) return decode(value.msgpack, { extensionCodec: codec, useBigInt64: false });
  if (value?.json && value.json.length > 0) return JSON.parse(Buffer.from(value.json).toString('utf8'));
  return null;
}

/** A value as a DynamicValue, in MessagePack. */
export function toDynamic(value: unknown): { msgpack: Buffer } {
  const bytes = encode(value, { extensionCodec: codec, ignoreUndefined: true });
  return { msgpack: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}
