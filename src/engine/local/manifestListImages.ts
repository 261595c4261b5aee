import type { RegistriesConf } from '../../config/registriesConf.js';
import type { ManifestListRecord, Store } from '../../storage/store.js';
import { sha256Hex } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { ImageRemoveReport, ImageSummary } from '../types.js';
import { candidateNames, stripTag, storageName } from './imageLookup.js';

/**
 * Manifest lists where image commands meet them (`images`, `tag`, `rmi`,
 * `image prune`). Podman keeps a list as an image record, so these commands
 * treat it as one; here lists have tables of their own, read directly. A name
 * belongs to one image or one list (the store moves it on tag).
 */

const HEX_ID = /^(?:sha256:)?([a-f0-9]{3,64})$/;

export interface ListLookup {
  list: ManifestListRecord;
  /** The stored name the input matched, when it matched by name. */
  matchedName?: string;
}

/** A list by full id, by name (short names as image lookups resolve them), or by unique id prefix. */
export function findManifestList(store: Store, registries: () => RegistriesConf, input: string): ListLookup | undefined {
  const hex = HEX_ID.exec(input);
  if (hex && hex[1]!.length === 64) {
    const byId = store.getManifestList(hex[1]!);
    if (byId) return { list: byId };
  }
  const names = new Set<string>([input]);
  try {
    names.add(storageName(input));
  } catch {
    // not a name: maybe an id prefix
  }
  for (const n of candidateNames(input, registries)) names.add(n);
  for (const name of names) {
    const id = store.manifestListIdByName(name);
    const list = id && store.getManifestList(id);
    if (list) return { list, matchedName: name };
  }
  if (hex) {
    const ids = store.manifestListIdsByPrefix(hex[1]!);
    if (ids.length > 1) throw new InvalidArgumentError(`short id "${input}" is ambiguous: it matches ${ids.length} manifest lists, give more characters`);
    const list = ids.length === 1 ? store.getManifestList(ids[0]!) : undefined;
    if (list) return { list };
  }
  return undefined;
}

/**
 * Podman's rmi of a list: a name given for a list with other names only
 * untags it; otherwise the list goes (its images stay).
 */
export function removeManifestList(store: Store, { list, matchedName }: ListLookup, report: ImageRemoveReport): 'untag' | 'remove' {
  if (matchedName && list.names.length > 1) {
    if (store.removeManifestListName(list.id, matchedName)) report.untagged.push(matchedName);
    return 'untag';
  }
  if (store.deleteManifestList(list.id)) {
    report.untagged.push(...list.names);
    report.deleted.push(list.id);
  }
  return 'remove';
}

/** Manifest lists as `images` shows them: their names, a creation time and the size of the list document. */
export function manifestListSummaries(store: Store): ImageSummary[] {
  return store.listManifestLists().map((list) => {
    const created = Math.floor(list.created / 1000);
    const digest = `sha256:${sha256Hex(list.manifest)}`;
    const repos = [...new Set(list.names.map(stripTag))];
    return {
      Id: list.id,
      ParentId: '',
      RepoTags: list.names.filter((n) => !n.includes('@')),
      RepoDigests: repos.map((repo) => `${repo}@${digest}`),
      Created: created,
      CreatedAt: new Date(created * 1000).toISOString(),
      Size: list.manifest.length,
      SharedSize: 0,
      VirtualSize: list.manifest.length,
      Labels: {},
      Containers: 0,
      Names: list.names,
      Digest: digest,
      History: list.namesHistory,
      Dangling: list.names.length === 0,
      ReadOnly: false,
      Intermediate: false,
    };
  });
}
