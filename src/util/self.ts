import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The path of the `tspod` launcher of this installation, for commands tspod
 * leaves behind to call it later (conmon's exit command): found by walking up
 * from this module (src/util/ under tsx, dist/ in the bundle) to bin/tspod.
 */
export function selfExecutable(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'bin', 'tspod');
    if (existsSync(candidate)) return (cached = candidate);
    const parent = dirname(dir);
    if (parent === dir) return (cached = 'tspod');
    dir = parent;
  }
}
