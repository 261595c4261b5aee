import type { Store } from '../../storage/store.js';
import { sha256Hex } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { ImageSummary } from '../types.js';

/**
 * Manifest lists as `images` shows them. Podman keeps a list as an image
 * record, so it is listed with its name, a creation time and the size of
 * the list document; here lists have a table of their own, read directly.
 */
export function manifestListSummaries(store: Store): ImageSummary[] {
  const rows = store.db.prepare('SELECT id, name, created, manifest FROM manifest_lists').all() as Array<{ id: string; name: string; created: number; manifest: Buffer }>;
  return rows.map((row) => {
    const created = Math.floor(row.created / 1000);
    const digest = `sha256:${sha256Hex(row.manifest)}`;
    const repo = row.name.includes('@') ? row.name.slice(0, row.name.indexOf('@')) : row.name.replace(/:[^:/]*$/, '');
    return {
      Id: row.id,
      ParentId: '',
      RepoTags: [row.name],
      RepoDigests: [`${repo}@${digest}`],
      Created: created,
      CreatedAt: new Date(created * 1000).toISOString(),
      Size: row.manifest.length,
      SharedSize: 0,
      VirtualSize: row.manifest.length,
      Labels: {},
      Containers: 0,
      Names: [row.name],
      Digest: digest,
      History: [row.name],
      Dangling: false,
      ReadOnly: false,
      Intermediate: false,
    };
  });
}

/**
 * `tag` where a manifest list is involved. Podman gives a list a second name,
 * or moves a name from a list to the image tagged; a list here has exactly
 * one name, so both are refused with what to do instead.
 */
export function checkTagAgainstLists(store: Store, source: string | undefined, targets: string[]): void {
  if (source !== undefined && store.manifestListIdByName(source)) {
    throw new InvalidArgumentError(`${source} is a manifest list, and tspod keeps one name per list: create a list under the other name with tspod manifest create, or push this one there`);
  }
  for (const target of targets) {
    if (store.manifestListIdByName(target)) {
      throw new InvalidArgumentError(`${target} names a manifest list: remove it first with tspod manifest rm ${target}, or choose another name`);
    }
  }
}
