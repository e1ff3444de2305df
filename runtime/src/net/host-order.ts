// Integers in the machine's own byte order, as C structs hold them (sockaddr families, ifindexes,
// netlink headers). Network-order fields use Buffer's BE methods directly.
import { endianness } from 'node:os';

const LE = endianness() === 'LE';

export function readU16(b: Buffer, offset: number): number { return LE ? b.readUInt16LE(offset) : b.readUInt16BE(offset); }
export function readU32(b: Buffer, offset: number): number { return LE ? b.readUInt32LE(offset) : b.readUInt32BE(offset); }
export function readI64(b: Buffer, offset: number): bigint { return LE ? b.readBigInt64LE(offset) : b.readBigInt64BE(offset); }
export function readU64(b: Buffer, offset: number): bigint { return LE ? b.readBigUInt64LE(offset) : b.readBigUInt64BE(offset); }
export function readI32(b: Buffer, offset: number): number { return LE ? b.readInt32LE(offset) : b.readInt32BE(offset); }
export function writeU16(b: Buffer, value: number, offset: number): void { if (LE) b.writeUInt16LE(value, offset); else b.writeUInt16BE(value, offset); }
export function writeU32(b: Buffer, value: number, offset: number): void { if (LE) b.writeUInt32LE(value >>> 0, offset); else b.writeUInt32BE(value >>> 0, offset); }
export function writeI32(b: Buffer, value: number, offset: number): void { if (LE) b.writeInt32LE(value, offset); else b.writeInt32BE(value, offset); }

/** A C int (4 bytes, host order), as most socket options take. */
export function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  writeI32(b, value, 0);
  return b;
}
