// The little of DNS (RFC 1035) that DNS_CHECK needs: encode a query, decode a reply (with name
// compression), and encode a reply for the lab's test responder. Pure: buffers in, buffers out.

export const DNS_FLAG_RESPONSE = 0x8000;
export const DNS_FLAG_TRUNCATED = 0x0200;
export const DNS_FLAG_RECURSION_DESIRED = 0x0100;
export const DNS_CLASS_IN = 1;
/** The response code (RFC 1035 4.1.1 RCODE): 0 no error, 2 server failure, 3 no such name... */
export const dnsRcode = (flags: number): number => flags & 0x000f;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** RDATA as sent (names inside it are not expanded). */
  data: Buffer;
}

export interface DnsMessage {
  id: number;
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** Lowercase, without the trailing dot; the root is "". */
export function normalizeDnsName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

export function encodeDnsName(name: string): Buffer {
  const normalized = name.replace(/\.$/, '');
  const labels = normalized === '' ? [] : normalized.split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length === 0 || bytes.length > 63) throw new Error(`DNS label ${JSON.stringify(label)} must be 1 to 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const encoded = Buffer.concat(parts);
  if (encoded.length > 255) throw new Error(`DNS name ${JSON.stringify(name)} is longer than 255 bytes`);
  return encoded;
}

export function encodeDnsMessage(message: DnsMessage): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(message.id, 0);
  header.writeUInt16BE(message.flags, 2);
  header.writeUInt16BE(message.questions.length, 4);
  header.writeUInt16BE(message.answers.length, 6);
  header.writeUInt16BE(message.authorities.length, 8);
  header.writeUInt16BE(message.additionals.length, 10);
  const parts: Buffer[] = [header];
  for (const q of message.questions) {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(q.type, 0);
    fixed.writeUInt16BE(q.class, 2);
    parts.push(encodeDnsName(q.name), fixed);
  }
  for (const r of [...message.answers, ...message.authorities, ...message.additionals]) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(r.type, 0);
    fixed.writeUInt16BE(r.class, 2);
    fixed.writeUInt32BE(r.ttl, 4);
    fixed.writeUInt16BE(r.data.length, 8);
    parts.push(encodeDnsName(r.name), fixed, r.data);
  }
  return Buffer.concat(parts);
}

/** A standard query for one name and type, recursion desired (as keepalived's DNS_CHECK asks). */
export function encodeDnsQuery(id: number, name: string, type: number): Buffer {
  return encodeDnsMessage({
    id, flags: DNS_FLAG_RECURSION_DESIRED,
    questions: [{ name, type, class: DNS_CLASS_IN }], answers: [], authorities: [], additionals: [],
  });
}

/** Reads a possibly compressed name at `offset`; returns it and the offset after it in the message. */
function readName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next: number | undefined;
  // Each pointer must go strictly backwards, so a hostile message cannot loop.
  let limit = offset;
  for (;;) {
    if (pos >= buf.length) throw new Error('DNS name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) {
      next ??= pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new Error('DNS name pointer runs past the end of the message');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= limit) throw new Error('DNS name pointer does not point backwards');
      next ??= pos + 2;
      limit = target;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Error(`DNS label type 0x${(len & 0xc0).toString(16)} is not supported`);
    if (pos + 1 + len > buf.length) throw new Error('DNS label runs past the end of the message');
    labels.push(buf.toString('ascii', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  const name = labels.join('.');
  if (name.length > 253) throw new Error('DNS name is longer than 255 bytes');
  return { name, next };
}

export function decodeDnsMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new Error(`DNS message of ${buf.length} bytes is shorter than its header`);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, next } = readName(buf, pos);
    if (next + 4 > buf.length) throw new Error('DNS question runs past the end of the message');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const readRecords = (count: number): DnsRecord[] => {
    const records: DnsRecord[] = [];
    for (let i = 0; i < count; i++) {
      const { name, next } = readName(buf, pos);
      if (next + 10 > buf.length) throw new Error('DNS record runs past the end of the message');
      const length = buf.readUInt16BE(next + 8);
      if (next + 10 + length > buf.length) throw new Error('DNS record data runs past the end of the message');
      records.push({
        name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2), ttl: buf.readUInt32BE(next + 4),
        data: Buffer.from(buf.subarray(next + 10, next + 10 + length)),
      });
      pos = next + 10 + length;
    }
    return records;
  };
  const answers = readRecords(counts[1]);
  const authorities = readRecords(counts[2]);
  const additionals = readRecords(counts[3]);
  return { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), questions, answers, authorities, additionals };
}
