// A track_file's number, as both children read it: the VRRP child for instances that track the file,
// the checker child for FILE_CHECK. An empty, missing or unreadable file, or one that does not start
// with an integer, reads as 0, as keepalived reads it.
import { readFile } from 'node:fs/promises';

export async function readTrackFileValue(path: string): Promise<number> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    const value = text === '' ? 0 : Number.parseInt(text, 10);
    return Number.isFinite(value) ? value : 0;
  } catch {
    return 0;
  }
}
