// The layout of a keepalived data or stats dump, without its values: for comparing keepalive's dumps
// with keepalived's own, whose values (PIDs, times, descriptors, addresses) legitimately differ.
//
// A dump is sections ("------< VRRP Topology >------"), blocks in them (a line indented by one space,
// " VRRP Instance = VI_1") and lines in the blocks. Each line becomes its key: the words before " = "
// or ":", else before a comma, without parenthesised notes and the words that are values (numbers,
// addresses, enabled/disabled, with/without, no/not), lower-cased. Items of a list (five spaces in: addresses,
// instance names) become one "item" key per list, as their count legitimately differs.

const VALUE_WORDS = /^(no|not|with|without|enabled|disabled|true|false)$/i;

/** A word that is a value: a number, a version or an address ("13", "1.2.3", "224.0.0.18", "ff02::12"), or a yes/no word. */
function isValueWord(w: string): boolean {
  return VALUE_WORDS.test(w) || (/\d/.test(w) && /^[0-9a-f.:]+$/i.test(w));
}

export function lineKey(line: string): string {
  const text = line.trim();
  const heading = /^-+< (.*) >-+$/.exec(text);
  if (heading) return `section ${heading[1]}`;
  let key = text.replace(/\([^)]*\)/g, ' ');
  for (const separator of [/ =( |$)/, /:/, /,/]) {
    const at = key.search(separator);
    if (at >= 0) key = key.slice(0, at);
  }
  return key.split(/\s+/)
    .filter((w) => w !== '' && !isValueWord(w))
    .join(' ').toLowerCase();
}

/** Every line's key, in order: list items (indented five or more) as one "item" per list. */
export function layoutKeys(dump: string): string[] {
  const keys: string[] = [];
  for (const line of dump.split('\n')) {
    if (line.trim() === '') continue;
    const indent = line.length - line.trimStart().length;
    const key = indent >= 5 ? `${'  '.repeat(Math.floor(indent / 2))}item` : `${' '.repeat(indent)}${lineKey(line)}`;
    if (key.endsWith('item') && keys.at(-1) === key) continue;
    keys.push(key);
  }
  return keys;
}

/** The keys by section ("" for lines before the first heading). */
export function sectionKeys(dump: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current = '';
  for (const key of layoutKeys(dump)) {
    if (key.startsWith('section ')) { current = key.slice('section '.length); sections.set(current, []); continue; }
    if (!sections.has(current)) sections.set(current, []);
    sections.get(current)!.push(key);
  }
  return sections;
}
