import { isBlocked, isInsecure, type RegistriesConf } from '../../config/registriesConf.js';
import type { RegistryAccessOptions } from '../../engine/types.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { MEDIA, type ImageConfig } from '../oci.js';
import { formatReference, isShortName, normalizeDockerHub, parseReference, resolveShortNameCandidates, withDefaultTag, type ImageReference } from '../reference.js';
import { credentialsFor } from './authFile.js';
import { RegistryClient, readText } from './client.js';
import {
  MAX_CONFIG_SIZE,
  PullError,
  choosePlatform,
  fetchManifest,
  httpFailure,
  isList,
  normalizePlatform,
  parseImageManifest,
  parseIndex,
  readLimited,
  type FetchedManifest,
  type RepoAccess,
} from './pullManifest.js';

/**
 * The registry side of `tspod manifest`: reading a remote image or list to
 * add or inspect it, and writing a list (after its instances) to a repository.
 */

export interface ListPlatform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  /** Docker lists only. */
  features?: string[];
}

export interface ListEntry {
  mediaType: string;
  size: number;
  digest: string;
  platform: ListPlatform;
  annotations?: Record<string, string>;
}

/** One remote instance found for `manifest add`, with where it can be read again at push time. */
export interface RemoteInstance {
  entry: ListEntry;
  source: string;
}

type Ref = ImageReference & { domain: string };

/** A fully qualified reference's repository, opened for reading (or also writing). */
export function openRepository(registries: RegistriesConf, ref: Ref, opts: RegistryAccessOptions, push = false): RepoAccess {
  const where = `${ref.domain}/${ref.path}`;
  if (isBlocked(registries, ref)) throw new PullError(`registry ${ref.domain} is blocked in registries.conf: unblock it there or use another registry`);
  const credentials = opts.credentials ?? credentialsFor(where, opts.authFile);
  const client = new RegistryClient({ registry: ref.domain, tlsVerify: opts.tlsVerify ?? !isInsecure(registries, ref), certDir: opts.certDir, credentials });
  return { client, repo: ref.path, scope: `repository:${ref.path}:${push ? 'pull,push' : 'pull'}`, where, hasCredentials: Boolean(credentials) };
}

/** The fully qualified references a user's remote name may mean, in order. */
export function remoteCandidates(registries: RegistriesConf, name: string): Ref[] {
  const ref = parseReference(name.replace(/^docker:\/\//, ''));
  if (!isShortName(ref)) return [withDefaultTag(normalizeDockerHub(ref)) as Ref];
  const names = resolveShortNameCandidates(name, registries);
  if (names.length === 0) throw new PullError(`short-name "${name}" did not resolve to an alias and no unqualified-search registries are defined in registries.conf: use a fully qualified name`);
  return names.map((n) => withDefaultTag(normalizeDockerHub(parseReference(n))) as Ref);
}

/** Reads the manifest a remote name points at, trying short-name candidates in order. */
export async function fetchRemoteManifest(
  registries: RegistriesConf,
  name: string,
  opts: RegistryAccessOptions,
): Promise<{ ref: Ref; manifest: FetchedManifest; access: RepoAccess }> {
  const errors: string[] = [];
  for (const ref of remoteCandidates(registries, name)) {
    const access = openRepository(registries, ref, opts);
    try {
      const manifest = await fetchManifest(access, ref.digest ?? ref.tag ?? 'latest');
      return { ref, manifest, access };
    } catch (e) {
      errors.push(`reading image "docker://${formatReference(ref)}": ${(e as Error).message}`);
      await access.client.close();
    }
  }
  throw new PullError(errors.join('; '));
}

/**
 * The instances `manifest add` takes from a remote reference: the image
 * itself, or from a list the host's platform entry (all entries with `all`).
 * Platforms missing from a list entry come from the instance's config.
 */
export async function remoteInstances(registries: RegistriesConf, name: string, all: boolean, opts: RegistryAccessOptions): Promise<RemoteInstance[]> {
  const { ref, manifest, access } = await fetchRemoteManifest(registries, name, opts);
  const repo = `docker://${ref.domain}/${ref.path}`;
  const where = `docker://${formatReference(ref)}`;
  try {
    if (!isList(manifest.mediaType)) {
      const platform = await platformFromConfig(access, manifest.bytes, where);
      return [{ entry: { mediaType: manifest.mediaType, size: manifest.bytes.length, digest: manifest.digest, platform }, source: `${repo}@${manifest.digest}` }];
    }
    const index = parseIndex(manifest.bytes, where);
    const chosen = all ? index.manifests : [choosePlatform(index, normalizePlatform(undefined), where)];
    const out: RemoteInstance[] = [];
    for (const d of chosen) {
      const p = (d.platform ?? {}) as Partial<ListPlatform>;
      let platform: ListPlatform;
      if (p.os && p.architecture) {
        platform = cleanPlatform({ ...p, os: p.os, architecture: p.architecture });
      } else {
        const instance = await fetchManifest(access, d.digest);
        if (isList(instance.mediaType)) throw new PullError(`${where}: nested manifest lists are not supported`);
        platform = await platformFromConfig(access, instance.bytes, where);
      }
      const entry: ListEntry = { mediaType: d.mediaType, size: d.size, digest: d.digest, platform };
      out.push({ entry, source: `${repo}@${d.digest}` });
    }
    return out;
  } finally {
    await access.client.close();
  }
}

export function cleanPlatform(p: ListPlatform): ListPlatform {
  const out: ListPlatform = { architecture: p.architecture, os: p.os };
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']?.length) out['os.features'] = [...p['os.features']];
  if (p.variant) out.variant = p.variant;
  if (p.features?.length) out.features = [...p.features];
  return out;
}

/** os/arch/variant of an image as its config says. */
export function platformOfConfig(config: Partial<ImageConfig>): ListPlatform {
  return cleanPlatform({
    architecture: String(config.architecture ?? ''),
    os: String(config.os ?? ''),
    'os.version': typeof config['os.version'] === 'string' ? config['os.version'] : undefined,
    'os.features': Array.isArray(config['os.features']) ? (config['os.features'] as string[]) : undefined,
    variant: typeof config.variant === 'string' ? config.variant : undefined,
  });
}

async function platformFromConfig(access: RepoAccess, manifestBytes: Buffer, where: string): Promise<ListPlatform> {
  const manifest = parseImageManifest(manifestBytes, where);
  const res = await access.client.request('GET', `/v2/${access.repo}/blobs/${manifest.config.digest}`, { scope: access.scope, follow: true });
  if (res.status !== 200) throw await httpFailure(access, res, `reading config ${manifest.config.digest}`, `blob unknown to ${access.where}`);
  const bytes = await readLimited(res, MAX_CONFIG_SIZE, `config ${manifest.config.digest}`);
  try {
    return platformOfConfig(JSON.parse(bytes.toString('utf8')) as ImageConfig);
  } catch {
    throw new PullError(`${where}: its config is not valid JSON`);
  }
}

/** A list in the form written to a registry: an OCI index, or a Docker list (no annotations, features kept). */
export function serializeList(entries: ListEntry[], annotations: Record<string, string> | undefined, format: 'oci' | 'v2s2'): Buffer {
  if (format === 'v2s2') {
    const manifests = entries.map((e) => ({ mediaType: e.mediaType, size: e.size, digest: e.digest, platform: cleanPlatform(e.platform) }));
    return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifestList, manifests }));
  }
  const manifests = entries.map((e) => {
    const { features: _docker, ...platform } = cleanPlatform(e.platform);
    return { mediaType: e.mediaType, digest: e.digest, size: e.size, ...(e.annotations && Object.keys(e.annotations).length > 0 && { annotations: e.annotations }), platform };
  });
  return Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests, ...(annotations && Object.keys(annotations).length > 0 && { annotations }) }),
  );
}

/** Whether the repository already has a manifest. */
export async function hasManifest(access: RepoAccess, digest: string): Promise<boolean> {
  const res = await access.client.request('HEAD', `/v2/${access.repo}/manifests/${digest}`, {
    scope: access.scope,
    headers: { accept: [MEDIA.ociManifest, MEDIA.dockerManifest, MEDIA.ociIndex, MEDIA.dockerManifestList].join(', ') },
    expect: [200, 404],
  });
  await readText(res.body);
  return res.status === 200;
}

async function hasBlob(access: RepoAccess, digest: string): Promise<boolean> {
  const res = await access.client.request('HEAD', `/v2/${access.repo}/blobs/${digest}`, { scope: access.scope, expect: [200, 404] });
  await readText(res.body);
  return res.status === 200;
}

/**
 * Copies a remote-only instance into the destination repository: each blob
 * mounted (same registry) or streamed from the source, then the manifest by
 * digest. Its bytes stay the same, so the list's entry stays valid.
 */
export async function copyRemoteInstance(
  registries: RegistriesConf,
  source: string,
  dest: RepoAccess,
  opts: RegistryAccessOptions,
  progress?: (line: string) => void,
): Promise<void> {
  const ref = parseReference(source.replace(/^docker:\/\//, ''));
  if (!ref.domain || !ref.digest) throw new InvalidArgumentError(`instance source ${source} is not a docker://REGISTRY/NAME@DIGEST reference: add the instance again`);
  const src = openRepository(registries, ref as Ref, opts);
  try {
    const manifest = await fetchManifest(src, ref.digest);
    if (isList(manifest.mediaType)) throw new PullError(`${source}: nested manifest lists are not supported`);
    const parsed = parseImageManifest(manifest.bytes, source);
    for (const blob of [...parsed.layers, parsed.config]) {
      if (await hasBlob(dest, blob.digest)) {
        progress?.(`Copying blob ${blob.digest.slice(7, 19)} skipped: already exists`);
        continue;
      }
      if (src.client.registry === dest.client.registry && (await mountBlob(dest, blob.digest, src.repo))) {
        progress?.(`Copying blob ${blob.digest.slice(7, 19)} skipped: already exists`);
        continue;
      }
      await streamBlob(src, dest, blob.digest, blob.size);
      progress?.(`Copying blob ${blob.digest.slice(7, 19)} done`);
    }
    const res = await dest.client.request('PUT', `/v2/${dest.repo}/manifests/${manifest.digest}`, {
      scope: dest.scope,
      headers: { 'content-type': manifest.mediaType },
      body: () => manifest.bytes,
      expect: [200, 201, 202],
    });
    await readText(res.body);
  } finally {
    await src.client.close();
  }
}

async function mountBlob(dest: RepoAccess, digest: string, from: string): Promise<boolean> {
  const res = await dest.client.request('POST', `/v2/${dest.repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, {
    scope: dest.scope,
    expect: [201, 202],
  });
  await readText(res.body);
  if (res.status === 201) return true;
  const location = headerOf(res.headers.location);
  if (location) {
    const del = await dest.client.request('DELETE', await dest.client.resolveUrl(location), { scope: dest.scope }).catch(() => undefined);
    if (del) await readText(del.body).catch(() => undefined);
  }
  return false;
}

async function streamBlob(src: RepoAccess, dest: RepoAccess, digest: string, size: number): Promise<void> {
  const start = await dest.client.request('POST', `/v2/${dest.repo}/blobs/uploads/`, { scope: dest.scope, expect: [202] });
  await readText(start.body);
  const location = headerOf(start.headers.location);
  if (!location) throw new PullError(`${dest.client.registry} did not say where to upload ${digest}: the registry is not Docker/OCI compatible`);
  const get = await src.client.request('GET', `/v2/${src.repo}/blobs/${digest}`, { scope: src.scope, follow: true });
  if (get.status !== 200) throw await httpFailure(src, get, `copying blob ${digest}`, `blob unknown to ${src.where}`);
  // The registry checks the digest of what it receives, so a damaged source blob is refused there.
  const absolute = await dest.client.resolveUrl(location);
  let used = false;
  const res = await dest.client.request('PUT', `${absolute}${absolute.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`, {
    scope: dest.scope,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: () => {
      // A stream can be sent once: a retry must fail instead of sending nothing.
      if (used) throw new PullError(`copying blob ${digest}: the upload was interrupted: push again`);
      used = true;
      return get.body;
    },
    expect: [201, 204],
  });
  await readText(res.body);
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
