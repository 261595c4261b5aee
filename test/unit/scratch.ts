import { before, after } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A scratch area under /var/tmp (tmpfs may lack user.* xattrs) for one test
 * file, removed after it; `fresh(label)` hands out a new empty dir.
 */
export function scratchArea(name: string): { fresh(label: string): string; readonly base: string } {
  let base = '';
  let counter = 0;
  before(() => {
    base = mkdtempSync(`/var/tmp/tspod-${name}-test-`);
  });
  after(() => rmSync(base, { recursive: true, force: true }));
  return {
    get base() {
      return base;
    },
    fresh(label: string): string {
      const dir = join(base, `${label}-${counter++}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
}
