import type { Store, ImageRecord } from '../../storage/store.js';
import type { RegistriesConf } from '../../config/registriesConf.js';
import { parseReference, isShortName, withDefaultTag, formatReference, normalizeDockerHub, resolveShortNameCandidates } from '../../image/reference.js';
import { NoSuchImageError, InvalidArgumentError } from '../../util/errors.js';

const HEX_ID = /^(sha256:)?([a-f0-9]{3,64})$/;

export interface LookupResult {
  image: ImageRecord;
  /** The stored name the input matched, when it matched by name. */
  matchedName?: string;
}

/**
 * Finds a local image the way podman does: full id, name (short names through
 * localhost/ and the search registries, then any repository ending in the
 * name), digest, and id prefix.
 */
/** `registries` is asked only for short names (reading registries.conf costs ~5 ms). */
export function lookupImage(store: Store, registries: () => RegistriesConf, input: string): LookupResult {
  const found = findImage(store, registries, input);
  if (!found) throw new NoSuchImageError(`${input}: image not known: pull it or check the name`);
  return found;
}

export function findImage(store: Store, registries: () => RegistriesConf, input: string): LookupResult | undefined {
  const hex = HEX_ID.exec(input);
  if (hex && hex[2]!.length === 64) {
    const image = store.getImage(hex[2]!);
    if (image) return { image };
  }
  for (const name of candidateNames(input, registries)) {
    const id = store.imageIdByName(name);
    if (id) {
      const image = store.getImage(id);
      if (image) return { image, matchedName: name };
    }
  }
  const byDigest = findByDigest(store, input);
  if (byDigest) return byDigest;
  if (hex) {
    const ids = store.imageIdsByPrefix(hex[2]!);
    if (ids.length > 1) throw new InvalidArgumentError(`short id "${input}" is ambiguous: it matches ${ids.length} images, give more characters`);
    if (ids.length === 1) return { image: store.getImage(ids[0]!)! };
  }
  return findBySuffix(store, input);
}

/** The full names a user's input may mean, most likely first. */
export function candidateNames(input: string, registries: () => RegistriesConf): string[] {
  let ref;
  try {
    ref = parseReference(input);
  } catch {
    return [];
  }
  if (ref.digest) return [];
  if (!isShortName(ref)) return [formatReference(withDefaultTag(normalizeDockerHub(ref)))];
  const tagged = withDefaultTag(ref);
  const local = formatReference({ ...tagged, domain: 'localhost' });
  return [local, ...resolveShortNameCandidates(formatReference(tagged), registries())];
}

function findByDigest(store: Store, input: string): LookupResult | undefined {
  const at = input.indexOf('@');
  if (at < 0) return undefined;
  const digest = input.slice(at + 1);
  const repo = input.slice(0, at);
  for (const id of store.imageIdsByDigest(digest)) {
    const image = store.getImage(id);
    if (!image) continue;
    if (!repo) return { image };
    const wanted = repoCandidates(repo);
    if (image.names.some((n) => wanted.has(stripTag(n)))) return { image };
  }
  return undefined;
}

function repoCandidates(repo: string): Set<string> {
  try {
    const ref = parseReference(repo);
    if (isShortName(ref)) return new Set([`localhost/${ref.path}`, `docker.io/library/${ref.path}`, `docker.io/${ref.path}`]);
    return new Set([formatReference({ ...normalizeDockerHub(ref), tag: undefined, digest: undefined })]);
  } catch {
    return new Set();
  }
}

/** Last resort for short names: `busybox` finds `quay.io/x/busybox:latest` if exactly one image has such a name. */
function findBySuffix(store: Store, input: string): LookupResult | undefined {
  let ref;
  try {
    ref = parseReference(input);
  } catch {
    return undefined;
  }
  if (!isShortName(ref) || ref.digest) return undefined;
  const suffix = `/${formatReference(withDefaultTag(ref))}`;
  const matches = store.listImages().flatMap((image) => image.names.filter((n) => n.endsWith(suffix)).map((n) => ({ image, matchedName: n })));
  const ids = new Set(matches.map((m) => m.image.id));
  return ids.size === 1 ? matches[0] : undefined;
}

/** The repository of a stored name: `repo:tag` and `repo@sha256:...` both give `repo`. */
export function stripTag(name: string): string {
  const at = name.indexOf('@');
  if (at >= 0) return name.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(0, colon) : name;
}

export function tagOf(name: string): string {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(colon + 1) : '<none>';
}

/** A name to store for user input given to tag/import/commit: short names live under localhost/. */
export function storageName(input: string): string {
  let ref;
  try {
    ref = parseReference(input);
  } catch (e) {
    throw new InvalidArgumentError(`invalid image name "${input}": ${(e as Error).message}`);
  }
  if (ref.digest) throw new InvalidArgumentError(`"${input}": a new name cannot contain a digest`);
  if (isShortName(ref)) ref = { ...ref, domain: 'localhost' };
  return formatReference(withDefaultTag(normalizeDockerHub(ref)));
}
