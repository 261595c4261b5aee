import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { TspodError } from '../../util/errors.js';
import { MEDIA, hostArchitecture, isSha256Digest, type Descriptor, type ImageIndex, type ImageManifest } from '../oci.js';
import { readBody, type RegistryClient, type RegistryResponse } from './client.js';

/** containers/image refuses manifests and configs larger than this. */
export const MAX_MANIFEST_SIZE = 4 << 20;
export const MAX_CONFIG_SIZE = 4 << 20;

const DOCKER_V1 = 'application/vnd.docker.distribution.manifest.v1+json';
const DOCKER_V1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** Lists and images we understand first; schema 1 last, only so it can be refused with a clear message. */
const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerManifestList, MEDIA.ociManifest, MEDIA.dockerManifest, `${DOCKER_V1_SIGNED};q=0.1`, `${DOCKER_V1};q=0.1`].join(', ');

export class PullError extends TspodError {
  override code = 'PULL';
}

export interface Platform {
  os: string;
  arch: string;
  variant?: string;
}

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

/** What reading a repository's manifests needs: the client, `registry/repo` for messages, the repository and its token scope. */
export interface RepoAccess {
  client: RegistryClient;
  repo: string;
  scope: string;
  /** `registry/repo`, as errors name it. */
  where: string;
  /** Whether credentials were given (a 401 then means they are wrong). */
  hasCredentials: boolean;
}

/** GET a manifest by tag or digest, size-limited; by digest its bytes must match it. */
export async function fetchManifest(access: RepoAccess, reference: string): Promise<FetchedManifest> {
  const res = await access.client.request('GET', `/v2/${access.repo}/manifests/${reference}`, { scope: access.scope, headers: { accept: ACCEPT } });
  if (res.status !== 200) throw await httpFailure(access, res, `reading manifest ${reference} in ${access.where}`, 'manifest unknown: check the image name and tag');
  const bytes = await readLimited(res, MAX_MANIFEST_SIZE, `manifest ${reference} in ${access.where}`);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (reference.includes(':') && reference !== digest) {
    if (!reference.startsWith('sha256:')) throw new PullError(`manifest ${reference}: only sha256 digests are supported`);
    throw new PullError(`manifest ${reference} in ${access.where} has digest ${digest}: the registry served other content than asked for; try again or use another mirror`);
  }
  return { bytes, digest, mediaType: manifestMediaType(res, bytes, `${access.where}:${reference}`) };
}

/** Reads a response body into memory, refusing one larger than `limit` (declared or actual). */
export async function readLimited(res: RegistryResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  const tooLarge = (): PullError => new PullError(`${what} is larger than ${limit >> 20} MiB: refusing it`);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw tooLarge();
  }
  return readBody(res.body, limit, tooLarge);
}


/** A registry's answer other than 200, as one line with what to do. */
export async function httpFailure(access: RepoAccess, res: RegistryResponse, doing: string, notFound: string): Promise<PullError> {
  let detail = '';
  try {
    const text = await readBody(res.body, 64 << 10, () => new Error('too large'));
    const parsed = JSON.parse(text.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
    detail = (parsed.errors ?? []).map((e) => e.message ?? e.code ?? '').filter(Boolean).join('; ');
  } catch {
    // no JSON error body
  }
  const registry = access.client.registry;
  if (res.status === 401 || res.status === 403) {
    const hint = access.hasCredentials
      ? `invalid username/password or no access to ${access.repo}: check them, or log in again with tspod login ${registry}`
      : `authentication required: log in with tspod login ${registry} or pass --creds`;
    return new PullError(`${doing}: unauthorized: ${hint}`);
  }
  if (res.status === 404) return new PullError(`${doing}: ${notFound}`);
  return new PullError(`${doing}: ${res.status}${detail ? ` ${detail}` : ''}`);
}

function manifestMediaType(res: RegistryResponse, bytes: Buffer, where: string): string {
  const parsed = parseManifestJson(bytes, where) as { mediaType?: unknown; schemaVersion?: unknown; manifests?: unknown; config?: unknown };
  const header = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
  let type = typeof parsed.mediaType === 'string' && parsed.mediaType ? parsed.mediaType : header;
  if (parsed.schemaVersion === 1 || type === DOCKER_V1 || type === DOCKER_V1_SIGNED) {
    throw new PullError(`${where} has a Docker schema 1 manifest, which is deprecated and not supported: push the image again with a current tool`);
  }
  if (type !== MEDIA.ociIndex && type !== MEDIA.dockerManifestList && type !== MEDIA.ociManifest && type !== MEDIA.dockerManifest) {
    // Untyped OCI documents: tell an index from an image by its fields.
    if (Array.isArray(parsed.manifests)) type = MEDIA.ociIndex;
    else if (parsed.config && typeof parsed.config === 'object') type = MEDIA.ociManifest;
    else throw new PullError(`${where} has a manifest of unsupported type "${type || 'unknown'}"`);
  }
  return type;
}

export function isList(mediaType: string): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerManifestList;
}

/** A manifest's JSON object; anything else (bad JSON, null, an array) is the registry's damage, said in one line. */
function parseManifestJson(bytes: Buffer, where: string): object {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new PullError(`the manifest of ${where} is not valid JSON: the registry serves a damaged manifest`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PullError(`the manifest of ${where} is not a JSON object: the registry serves a damaged manifest`);
  }
  return parsed;
}

export function parseIndex(bytes: Buffer, where: string): ImageIndex {
  const index = parseManifestJson(bytes, where) as ImageIndex;
  if (!Array.isArray(index.manifests)) throw new PullError(`the manifest list of ${where} has no manifests`);
  if (!index.manifests.every((d) => d !== null && typeof d === 'object')) throw new PullError(`the manifest list of ${where} has an entry that is not a descriptor`);
  return index;
}

export function parseImageManifest(bytes: Buffer, where: string): ImageManifest {
  const manifest = parseManifestJson(bytes, where) as ImageManifest;
  if (!manifest.config || !isSha256Digest(manifest.config.digest) || !Array.isArray(manifest.layers)) {
    throw new PullError(`the manifest of ${where} lacks a config or layers with sha256 digests`);
  }
  const config = manifest.config.mediaType;
  if (config && config !== MEDIA.ociConfig && config !== MEDIA.dockerConfig) {
    throw new PullError(`${where} is not a container image but an artifact (config type ${config}): tspod can only pull images`);
  }
  for (const layer of manifest.layers) {
    if (!isSha256Digest(layer?.digest)) throw new PullError(`the manifest of ${where} has a layer without a sha256 digest`);
    if (typeof layer.size !== 'number' || layer.size < 0) throw new PullError(`the manifest of ${where} gives layer ${layer.digest} no valid size`);
    if (/encrypted/.test(layer.mediaType ?? '')) throw new PullError(`${where} has encrypted layers, which tspod cannot decrypt`);
  }
  return manifest;
}

const ARCH_ALIASES: Record<string, Platform['arch'] | [string, string]> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: ['arm', 'v7'],
  armel: ['arm', 'v6'],
  i386: '386',
  i686: '386',
};

/** Go/OCI names for an os/arch/variant; default the host's. */
export function normalizePlatform(wanted: { os?: string; arch?: string; variant?: string } | undefined): Platform & { explicitVariant: boolean } {
  const os = (wanted?.os || 'linux').toLowerCase();
  let arch = (wanted?.arch || hostArchitecture()).toLowerCase();
  let variant = wanted?.variant || undefined;
  const alias = ARCH_ALIASES[arch];
  if (Array.isArray(alias)) [arch, variant] = [alias[0], variant ?? alias[1]];
  else if (alias) arch = alias;
  if (arch === 'arm64' && variant === 'v8') variant = undefined;
  const explicitVariant = variant !== undefined;
  if (!variant && !wanted?.arch) variant = hostVariant();
  return { os, arch, variant, explicitVariant };
}

function hostVariant(): string | undefined {
  if (process.arch !== 'arm') return undefined;
  const version = (process.config.variables as { arm_version?: string }).arm_version;
  return version ? `v${version}` : undefined;
}

/**
 * The list entry for a platform: same os and architecture; with a variant
 * asked for, that variant (arm64's v8 also matches none); without, the host's
 * variant, then an entry without one, then any.
 */
export function choosePlatform(index: ImageIndex, want: Platform & { explicitVariant: boolean }, where: string): Descriptor {
  const variantOf = (d: Descriptor): string | undefined => {
    const v = d.platform?.variant || undefined;
    return d.platform?.architecture === 'arm64' && v === 'v8' ? undefined : v;
  };
  const same = index.manifests.filter((d) => d.platform?.os === want.os && d.platform?.architecture === want.arch && isSha256Digest(d.digest));
  const pick = want.explicitVariant
    ? same.find((d) => variantOf(d) === want.variant)
    : (same.find((d) => want.variant !== undefined && variantOf(d) === want.variant) ?? same.find((d) => variantOf(d) === undefined) ?? same[0]);
  if (pick) return pick;
  const available = index.manifests
    .filter((d) => d.platform && d.platform.os !== 'unknown')
    .map((d) => [d.platform!.os, d.platform!.architecture, d.platform!.variant].filter(Boolean).join('/'));
  const asked = [want.os, want.arch, want.explicitVariant ? want.variant : undefined].filter(Boolean).join('/');
  throw new PullError(
    `no image found in manifest list ${where} for platform ${asked}: it has ${available.length ? [...new Set(available)].join(', ') : 'no platform entries'}; choose one with --platform, --arch or --os`,
  );
}
