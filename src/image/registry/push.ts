import { existsSync, writeFileSync } from 'node:fs';
import type { RegistriesConf } from '../../config/registriesConf.js';
import type { ImagePushOptions } from '../../engine/types.js';
import type { ImageRecord, Store } from '../../storage/store.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { formatReference, normalizeDockerHub, parseReference, withDefaultTag, type ImageReference } from '../reference.js';
import { pushToDir, pushToDockerArchive, pushToOciArchive, pushToOciLayout } from './pushLocal.js';
import { pushToRegistry } from './pushRegistry.js';
import { sourceKind } from './pushLayers.js';

export interface PushContext {
  store: Store;
  registries: RegistriesConf;
}

export interface PushSource {
  image: ImageRecord;
  /** The stored name the image was found by (or its id): the default destination. */
  name: string;
}

export type PushOptions = ImagePushOptions;

export type PushDestination =
  | { transport: 'docker'; ref: ImageReference & { domain: string } }
  | { transport: 'oci' | 'oci-archive'; path: string; refName?: string }
  | { transport: 'docker-archive'; path: string; ref?: string }
  | { transport: 'dir'; path: string };

/** Transport names containers/image knows; a destination starting with another word is a registry reference. */
const KNOWN_TRANSPORTS = new Set(['docker', 'oci', 'oci-archive', 'docker-archive', 'dir', 'containers-storage', 'docker-daemon', 'tarball', 'sif', 'ostree']);

/**
 * `tspod push`: copies a local image to a registry or to a file-system
 * transport and resolves with the digest of the manifest written there.
 */
export async function pushImage(ctx: PushContext, source: PushSource, destination: string | undefined, opts: PushOptions): Promise<{ digest: string; size?: number }> {
  const dest = parseDestination(destination ?? defaultDestination(source));
  if (opts.authFile && !existsSync(opts.authFile)) {
    throw new InvalidArgumentError(`credential file ${opts.authFile} does not exist: check --authfile`);
  }
  if (opts.compress && dest.transport !== 'dir') throw new InvalidArgumentError('--compress can only be used with the dir: transport');
  if (opts.format && dest.transport !== 'docker' && dest.transport !== 'dir') {
    const holds = dest.transport === 'docker-archive' ? 'v2s2' : 'oci';
    if (opts.format !== holds) throw new InvalidArgumentError(`--format ${opts.format} cannot be written to ${dest.transport}: it holds ${holds} manifests only`);
  }
  const { store, registries } = ctx;
  const { image } = source;
  const progress = opts.progress;
  progress?.('Getting image source signatures');
  let digest: string;
  let size: number | undefined;
  switch (dest.transport) {
    case 'docker':
      ({ digest, size } = await pushToRegistry(store, registries, image, dest.ref, opts));
      break;
    case 'oci':
      digest = await pushToOciLayout(store, image, dest.path, dest.refName, progress);
      progress?.('Writing manifest to image destination');
      break;
    case 'oci-archive':
      digest = await pushToOciArchive(store, image, dest.path, dest.refName, progress);
      break;
    case 'docker-archive': {
      // Like Podman, the archive also carries the tagged name the image was pushed by.
      const names = [...new Set([dest.ref, taggedName(source.name)].filter((n): n is string => n !== undefined))];
      digest = await pushToDockerArchive(store, image, dest.path, names, progress);
      break;
    }
    case 'dir':
      digest = await pushToDir(store, image, dest.path, opts.format === 'v2s2' ? 'docker' : opts.format === 'oci' ? 'oci' : sourceKind(image), opts.compress === true, progress);
      break;
  }
  if (dest.transport !== 'docker') progress?.('Storing signatures');
  if (opts.digestFile) writeFileSync(opts.digestFile, digest);
  return { digest, ...(size !== undefined && { size }) };
}

function defaultDestination(source: PushSource): string {
  if (source.name === source.image.id) {
    const short = source.image.id.slice(0, 12);
    throw new InvalidArgumentError(`image ${short} has no name: give a destination, e.g. tspod push ${short} registry.example.com/name:tag`);
  }
  return source.name;
}

/** Parses `[transport:]details` the way containers/image does; no known transport means a registry reference. */
export function parseDestination(input: string): PushDestination {
  const colon = input.indexOf(':');
  const transport = colon > 0 ? input.slice(0, colon) : '';
  if (!KNOWN_TRANSPORTS.has(transport)) return { transport: 'docker', ref: registryReference(input) };
  const rest = input.slice(colon + 1);
  switch (transport) {
    case 'docker':
      if (!rest.startsWith('//')) throw new InvalidArgumentError(`invalid destination "${input}": write docker://REGISTRY/NAME[:TAG]`);
      return { transport: 'docker', ref: registryReference(rest.slice(2)) };
    case 'oci':
    case 'oci-archive': {
      const { path, ref } = splitPathAndRef(rest, input);
      if (ref !== undefined && !/^[A-Za-z0-9._:@/+-]+$/.test(ref)) throw new InvalidArgumentError(`invalid image reference "${ref}" in "${input}"`);
      return { transport, path, ...(ref !== undefined && { refName: ref }) };
    }
    case 'docker-archive': {
      const { path, ref } = splitPathAndRef(rest, input);
      if (ref === undefined) return { transport, path };
      const parsed = normalizeDockerHub(withDefaultTag(parseReference(ref)));
      if (parsed.digest) throw new InvalidArgumentError(`docker-archive names images by tag, not digest: drop "@${parsed.digest}" from "${input}"`);
      return { transport, path, ref: formatReference(withDomain(parsed)) };
    }
    case 'dir':
      if (rest === '') throw new InvalidArgumentError(`invalid destination "${input}": write dir:PATH`);
      return { transport: 'dir', path: rest };
    default:
      throw new InvalidArgumentError(`tspod push cannot write to the ${transport}: transport: use docker://, oci:, oci-archive:, docker-archive: or dir:`);
  }
}

function splitPathAndRef(rest: string, input: string): { path: string; ref?: string } {
  const colon = rest.indexOf(':');
  const path = colon >= 0 ? rest.slice(0, colon) : rest;
  const ref = colon >= 0 ? rest.slice(colon + 1) : undefined;
  if (path === '') throw new InvalidArgumentError(`invalid destination "${input}": it names no path`);
  return { path, ...(ref !== undefined && ref !== '' && { ref }) };
}

function registryReference(input: string): ImageReference & { domain: string } {
  return withDomain(normalizeDockerHub(withDefaultTag(parseReference(input))));
}

/** A short name means Docker Hub, as for every registry destination. */
function withDomain(ref: ImageReference): ImageReference & { domain: string } {
  const full = ref.domain === undefined ? normalizeDockerHub({ ...ref, domain: 'docker.io' }) : ref;
  return full as ImageReference & { domain: string };
}

function taggedName(name: string): string | undefined {
  try {
    const ref = parseReference(name);
    return ref.tag !== undefined && ref.domain !== undefined && ref.digest === undefined ? formatReference(ref) : undefined;
  } catch {
    return undefined;
  }
}

