import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../../util/errors.js';

/**
 * Container IDs read from --cidfile files (stop, rm). With --ignore a missing
 * file is skipped, as systemd units run `stop --ignore --cidfile` after the
 * container may already be gone.
 */
export function idsFromCidFiles(files: string[] | undefined, ignore: boolean | undefined): string[] {
  const ids: string[] = [];
  for (const file of files ?? []) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (ignore && (e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new InvalidArgumentError(`reading CIDFile ${file}: ${(e as Error).message}: check the --cidfile path`);
    }
    const id = text.trim();
    if (id) ids.push(id);
  }
  return ids;
}

export const collectCidFile = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
