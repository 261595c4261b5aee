/**
 * The subordinate ids an administrator gave a user (/etc/subuid and
 * /etc/subgid: `NAME_OR_ID:START:COUNT` per line) and the id map of the
 * rootless user namespace built from them: 0 is the user, 1.. the ranges in
 * file order, as Podman maps them.
 */
import { readFileSync } from 'node:fs';

export interface IdRange {
  start: number;
  count: number;
}

/** One line of /proc/PID/uid_map: `inside` .. `inside+count-1` stand for `outside` .. on the parent side. */
export interface IdMapping {
  inside: number;
  outside: number;
  count: number;
}

/** The user's login name from /etc/passwd (subuid lines may use it or the number). */
export function userName(uid: number, passwd = '/etc/passwd'): string | undefined {
  return entryField(passwd, 2, String(uid), 0);
}

function entryField(file: string, keyIndex: number, key: string, valueIndex: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[keyIndex] === key) return fields[valueIndex];
  }
  return undefined;
}

/** The ranges of `file` that belong to the id or the name, in file order; none when the file is missing. */
export function subordinateRanges(file: string, id: number, name: string | undefined): IdRange[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const ranges: IdRange[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (!owner || owner.startsWith('#') || (owner !== String(id) && owner !== name)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && s >= 0 && c > 0) ranges.push({ start: s, count: c });
  }
  return ranges;
}

/** The namespace's map: the user as 0, then each subordinate range after the last. */
export function userNamespaceMap(ownId: number, ranges: IdRange[]): IdMapping[] {
  const map: IdMapping[] = [{ inside: 0, outside: ownId, count: 1 }];
  let next = 1;
  for (const r of ranges) {
    map.push({ inside: next, outside: r.start, count: r.count });
    next += r.count;
  }
  return map;
}

/** newuidmap/newgidmap's arguments after the pid: `inside outside count` triples. */
export function mapArguments(map: IdMapping[]): string[] {
  return map.flatMap((m) => [String(m.inside), String(m.outside), String(m.count)]);
}

/** Parses /proc/PID/uid_map or gid_map text. */
export function parseIdMap(text: string): IdMapping[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([inside, outside, count]) => ({ inside: inside!, outside: outside!, count: count! }));
}

/** How many ids the map covers (the highest inside id + 1 when it is contiguous from 0). */
export function mappedCount(map: IdMapping[]): number {
  return map.reduce((max, m) => Math.max(max, m.inside + m.count), 0);
}
