// Wireshark as an independent judge of what the codecs build: packets written to a pcap file and
// dissected by tshark, field by field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { run } from '../lab/exec.ts';

/** A pcap file of raw IP packets (LINKTYPE_RAW). */
function pcap(packets: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20);
  return Buffer.concat([header, ...packets.flatMap((p, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(i, 0);
    record.writeUInt32LE(p.length, 8);
    record.writeUInt32LE(p.length, 12);
    return [record, p];
  })]);
}

/** tshark's value of each field for each packet (IP packets, header included), one row a packet. */
export async function tsharkFields(packets: readonly Buffer[], fields: readonly string[]): Promise<string[][]> {
  const dir = mkdtempSync(`${tmpdir()}/keepalive-pcap-`);
  try {
    writeFileSync(`${dir}/packets.pcap`, pcap(packets));
    const { stdout } = await run(['tshark', '-n', '-r', `${dir}/packets.pcap`, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])]);
    return stdout.trim().split('\n').map((l) => l.split('\t'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
