import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Apparent size in bytes of the regular files below a directory (symlinks and special files count 0; vanished entries are skipped). */
export function treeBytes(dir: string): number {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const path = join(current, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (e.isFile()) {
        try {
          total += lstatSync(path).size;
        } catch {
          // removed meanwhile
        }
      }
    }
  }
  return total;
}
