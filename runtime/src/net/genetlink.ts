// Generic netlink (the kernel's include/uapi/linux/genetlink.h): the header every generic netlink
// message carries after its nlmsghdr, and the controller family ("nlctrl") that maps a family's name
// to the message type it was given at registration. Pure: the IPVS adapter sends these over a
// NetlinkSocket of protocol NETLINK_GENERIC.
//
//   struct genlmsghdr { u8 cmd; u8 version; u16 reserved; }   4 bytes, then attributes
import { NetlinkFormatError, attr, attributeMap, decodeAttributes, encodeAttributes, read, type AttributeSpec, type NetlinkMessage } from './netlink.ts';
import type { NetlinkRequest } from './netlink-socket.ts';

/** The netlink protocol number of generic netlink (include/uapi/linux/netlink.h). */
export const NETLINK_GENERIC = 16;
export const GENL_HDRLEN = 4;

/** The controller's own fixed family id (NLMSG_MIN_TYPE). */
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_HDRSIZE = 4;
export const CTRL_ATTR_MAXATTR = 5;

export interface GenericMessage {
  cmd: number;
  version: number;
  /** The attributes after the genlmsghdr (families with a user header are not handled here). */
  attributes: Buffer;
}

/** A generic netlink request: nlmsghdr type is the family id, the payload genlmsghdr + attributes. */
export function genericRequest(family: number, cmd: number, version: number, attributes: readonly AttributeSpec[], flags = 0): NetlinkRequest {
  const header = Buffer.from([cmd, version, 0, 0]);
  return { type: family, flags, payload: Buffer.concat([header, encodeAttributes(attributes)]) };
}

/** Splits a generic netlink message into its header and attributes. Throws on a short payload. */
export function decodeGeneric(message: NetlinkMessage, where = 'generic netlink message'): GenericMessage {
  const p = message.payload;
  if (p.length < GENL_HDRLEN) throw new NetlinkFormatError(`${where}: ${p.length}-byte payload, a genlmsghdr needs ${GENL_HDRLEN}`);
  return { cmd: p.readUInt8(0), version: p.readUInt8(1), attributes: p.subarray(GENL_HDRLEN) };
}

/** CTRL_CMD_GETFAMILY for one family by name; the kernel answers ENOENT when it has no such family. */
export function getFamilyRequest(name: string): NetlinkRequest {
  return genericRequest(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, [[CTRL_ATTR_FAMILY_NAME, attr.string(name)]]);
}

export interface GenericFamily {
  id: number;
  name: string;
  version: number;
  maxAttribute: number;
}

/** Decodes the controller's CTRL_CMD_NEWFAMILY answer. Throws when the id or name is missing. */
export function decodeFamily(message: NetlinkMessage): GenericFamily {
  const where = 'CTRL_CMD_NEWFAMILY';
  const genl = decodeGeneric(message, where);
  if (genl.cmd !== CTRL_CMD_NEWFAMILY) throw new NetlinkFormatError(`${where}: command ${genl.cmd}, expected ${CTRL_CMD_NEWFAMILY}`);
  const a = attributeMap(decodeAttributes(genl.attributes, where));
  const id = a.get(CTRL_ATTR_FAMILY_ID);
  const name = a.get(CTRL_ATTR_FAMILY_NAME);
  if (id === undefined || name === undefined) throw new NetlinkFormatError(`${where}: no family ${id === undefined ? 'id' : 'name'} attribute`);
  const version = a.get(CTRL_ATTR_VERSION);
  const maxAttribute = a.get(CTRL_ATTR_MAXATTR);
  return {
    id: read.u16(id, `${where} family id`),
    name: read.string(name),
    version: version === undefined ? 0 : read.u32(version, `${where} version`),
    maxAttribute: maxAttribute === undefined ? 0 : read.u32(maxAttribute, `${where} max attribute`),
  };
}
