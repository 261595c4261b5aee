import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '../../util/trace.js';
import { isBlocked, pullSources, type RegistriesConf } from '../../config/registriesConf.js';
import { chainId, type ImageRecord, type StagedLayer, type Store } from '../../storage/store.js';
import { InvalidArgumentError, NoSuchImageError, errorMessage } from '../../util/errors.js';
import { digestHex, isSha256Digest, type ImageConfig } from '../oci.js';
import {
  formatReference,
  isShortName,
  normalizeDockerHub,
  parseReference,
  resolveShortNameCandidates,
  withDefaultTag,
  type ImageReference,
} from '../reference.js';
import { credentialsFor } from './authFile.js';
import { RegistryClient, type Credentials } from './client.js';
import { LayerExtractor } from './layerExtractor.js';
import { fetchLayers, type LayerJob } from './pullLayers.js';
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
  type RepoAccess,
} from './pullManifest.js';

/**
 * `pull`: copies an image from a registry into local storage the way Podman
 * (libimage + containers/image) does: short names tried through
 * registries.conf in order, mirrors before the primary location, a platform
 * chosen from manifest lists, layers already stored reused, the others
 * downloaded a few at a time and verified while they stream into staging.
 */

export interface PullContext {
  store: Store;
  registries: RegistriesConf;
}

export type PullPolicy = 'always' | 'missing' | 'never' | 'newer';

export interface PullOptions {
  tlsVerify?: boolean;
  certDir?: string;
  authFile?: string;
  credentials?: { username: string; password: string };
  platform?: { os?: string; arch?: string; variant?: string };
  allTags?: boolean;
  policy?: PullPolicy;
  progress?: (line: string) => void;
  blobProgress?: (blob: string, done: number, total: number) => void;
  /** Asks which of several registries a short name means (a terminal prompt); without it enforcing mode fails. */
  chooseShortName?: (name: string, candidates: string[]) => Promise<string>;
}

const OTHER_TRANSPORTS = ['oci:', 'oci-archive:', 'docker-archive:', 'dir:', 'containers-storage:', 'docker-daemon:'];
const MAX_TAG_LIST = 16 << 20;

export async function pullImage(ctx: PullContext, input: string, opts: PullOptions = {}): Promise<{ ids: string[] }> {
  const name = stripTransport(input);
  const policy = opts.policy ?? 'always';
  if (opts.allTags) return { ids: await pullAllTags(ctx, name, policy, opts) };
  return { ids: [await pullOne(ctx, name, policy, opts)] };
}

function stripTransport(input: string): string {
  if (input.startsWith('docker://')) return input.slice('docker://'.length);
  const other = OTHER_TRANSPORTS.find((t) => input.startsWith(t));
  if (other) {
    throw new InvalidArgumentError(`pulling from ${other.slice(0, -1)} is not supported: tspod pull reads registries (docker://); use tspod load for archives and directories`);
  }
  return input;
}

interface LocalImage {
  image: ImageRecord;
  /** The stored name the input resolved to, when found by name. */
  name?: string;
  byId?: boolean;
}

async function pullOne(ctx: PullContext, name: string, requested: PullPolicy, opts: PullOptions): Promise<string> {
  const local = findLocal(ctx, name);
  const customPlatform = Boolean(opts.platform?.os || opts.platform?.arch || opts.platform?.variant);
  // A local image may claim a wrong platform (podman#10682): with a platform asked for, check the registry.
  const policy = customPlatform && requested !== 'always' && requested !== 'never' ? 'newer' : requested;
  if (policy === 'never') {
    if (local) return local.image.id;
    throw new NoSuchImageError(`${name}: image not known: pull it first, or use --pull missing`);
  }
  if (policy === 'missing' && local) return local.image.id;
  if (local?.byId) {
    if (policy === 'always') throw new InvalidArgumentError(`pull policy is always but image has been referred to by ID (${name}): give its name to pull it`);
    return local.image.id;
  }
  const candidates = local?.name && !customPlatform ? [local.name] : await pullCandidates(ctx.registries, name, opts.chooseShortName);
  const known = policy === 'newer' && local ? new Set([...(local.image.manifestDigest ? [local.image.manifestDigest] : []), ...local.image.digests]) : undefined;
  const errors: Error[] = [];
  // For a new image the extraction threads start now: they boot on another core while this one
  // reaches the registry. An image pulled again mostly has its layers already: they start if needed.
  const extractor = new LayerExtractor(ctx.store);
  if (!local) extractor.warm();
  try {
    for (const candidate of candidates) {
      if (isBlocked(ctx.registries, candidate)) {
        errors.push(new PullError(`pulling ${candidate}: registry ${parseReference(candidate).domain} is blocked in registries.conf: unblock it there or use another registry`));
        continue;
      }
      try {
        const id = await copyImage(ctx, candidate, opts, known, extractor);
        if (id) return id;
      } catch (e) {
        errors.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
  } finally {
    extractor.close();
  }
  if (local && policy === 'newer') return local.image.id;
  if (errors.length === 1) throw errors[0];
  throw new PullError(`${errors.length} errors occurred while pulling ${name}: ${errors.map((e) => errorMessage(e)).join('; ')}`);
}

/** The fully qualified names to try for user input, in order. */
async function pullCandidates(conf: RegistriesConf, name: string, choose: PullOptions['chooseShortName']): Promise<string[]> {
  const ref = parseReference(name);
  if (!isShortName(ref)) return [formatReference(withDefaultTag(normalizeDockerHub(ref)))];
  const aliased = Object.hasOwn(conf.aliases, ref.path) && Boolean(conf.aliases[ref.path]);
  const candidates = resolveShortNameCandidates(name, conf);
  if (candidates.length === 0) {
    throw new PullError(`short-name "${name}" did not resolve to an alias and no unqualified-search registries are defined in registries.conf: use a fully qualified name such as docker.io/library/${name}`);
  }
  if (!aliased && conf.shortNameMode !== 'disabled' && candidates.length > 1 && choose) {
    // Podman records the choice in short-name-aliases.conf; tspod asks again next time.
    const chosen = await choose(name, candidates);
    return [chosen];
  }
  if (!aliased && conf.shortNameMode === 'enforcing' && candidates.length > 1) {
    throw new PullError(`short-name "${name}" is ambiguous (${candidates.join(', ')}) and short-name-mode is enforcing: use a fully qualified name`);
  }
  return candidates;
}

/** The local image a name means for the pull policy: by id, by digest, or by one of its candidate names. */
function findLocal(ctx: PullContext, name: string): LocalImage | undefined {
  const { store } = ctx;
  const hex = /^(?:sha256:)?([a-f0-9]{3,64})$/.exec(name);
  if (hex) {
    const ids = hex[1]!.length === 64 ? [hex[1]!] : store.imageIdsByPrefix(hex[1]!);
    const image = ids.length === 1 ? store.getImage(ids[0]!) : undefined;
    if (image) return { image, byId: true };
  }
  let ref: ImageReference;
  try {
    ref = parseReference(name);
  } catch {
    return undefined;
  }
  if (ref.digest) {
    // Content addressed: any image with this manifest digest is the one meant.
    const id = store.imageIdsByDigest(ref.digest)[0];
    const image = id ? store.getImage(id) : undefined;
    return image ? { image } : undefined;
  }
  const names = isShortName(ref)
    ? [formatReference(withDefaultTag({ ...ref, domain: 'localhost' })), ...safeCandidates(ctx.registries, name)]
    : [formatReference(withDefaultTag(normalizeDockerHub(ref)))];
  for (const candidate of names) {
    const id = store.imageIdByName(candidate);
    const image = id ? store.getImage(id) : undefined;
    if (image) return { image, name: candidate };
  }
  return undefined;
}

function safeCandidates(conf: RegistriesConf, name: string): string[] {
  try {
    return resolveShortNameCandidates(name, conf);
  } catch {
    return [];
  }
}

/** Opens one pull source: its client, with TLS and credentials as asked or as configured. */
function openRepo(ref: ImageReference, insecure: boolean, opts: PullOptions): RepoAccess {
  const registry = ref.domain!;
  const credentials: Credentials | undefined = opts.credentials ?? credentialsFor(`${registry}/${ref.path}`, opts.authFile);
  const client = new RegistryClient({ registry, tlsVerify: opts.tlsVerify ?? !insecure, certDir: opts.certDir, credentials });
  return { client, repo: ref.path, scope: `repository:${ref.path}:pull`, where: `${registry}/${ref.path}`, hasCredentials: Boolean(credentials) };
}

/**
 * Copies one fully qualified reference, trying its mirrors first. With
 * `known` (policy newer), returns undefined without copying when the
 * registry's manifest is one the local image already has.
 */
async function copyImage(ctx: PullContext, candidate: string, opts: PullOptions, known: Set<string> | undefined, extractor: LayerExtractor): Promise<string | undefined> {
  const progress = opts.progress ?? (() => undefined);
  if (!known) progress(`Trying to pull ${candidate}...`);
  const wanted = parseReference(candidate);
  const failures: string[] = [];
  let lastFailure: unknown;
  let access: RepoAccess | undefined;
  let top;
  for (const source of pullSources(ctx.registries, candidate)) {
    const ref = normalizeDockerHub(parseReference(source.reference));
    const attempt = openRepo(ref, source.insecure, opts);
    try {
      top = await fetchManifest(attempt, ref.digest ?? ref.tag ?? 'latest');
      trace('manifest fetched');
      access = attempt;
      break;
    } catch (e) {
      failures.push(errorMessage(e));
      lastFailure = e;
      await attempt.client.close();
    }
  }
  if (!access || !top) {
    const primary = failures.pop();
    const mirrors = failures.length ? ` (mirrors also failed: ${failures.join('; ')})` : '';
    const error = new PullError(`initializing source docker://${candidate}: ${primary}${mirrors}`, { cause: lastFailure });
    // The API answers a manifest the registry does not have, or refused credentials, with the registry's status.
    const httpStatus = (lastFailure as { httpStatus?: unknown } | undefined)?.httpStatus;
    if (httpStatus === 404 || httpStatus === 401 || httpStatus === 403) error.status = httpStatus === 404 ? 404 : 401;
    throw error;
  }
  try {
    const where = `docker://${candidate}`;
    let manifestBytes = top.bytes;
    let manifestDigest = top.digest;
    let listDigest: string | undefined;
    if (isList(top.mediaType)) {
      const chosen = choosePlatform(parseIndex(top.bytes, where), normalizePlatform(opts.platform), where);
      const instance = await fetchManifest(access, chosen.digest);
      if (isList(instance.mediaType)) throw new PullError(`${where}: nested manifest lists are not supported`);
      listDigest = top.digest;
      manifestBytes = instance.bytes;
      manifestDigest = instance.digest;
    }
    if (known) {
      if (known.has(manifestDigest) || (listDigest && known.has(listDigest))) return undefined;
      progress(`Trying to pull ${candidate}...`);
    }
    progress('Getting image source signatures');
    const manifest = parseImageManifest(manifestBytes, where);
    const { bytes: config, parsed } = await fetchConfig(access, manifest.config.digest, manifest.config.size);
    trace('config fetched');
    const diffIds = parsed.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new PullError(`${where}: the config lists ${diffIds.length} layers but the manifest ${manifest.layers.length}: the image is corrupt`);
    }
    const { store } = ctx;
    store.cleanLeftovers();
    const present = new Map<number, StagedLayer>();
    const jobs: LayerJob[] = [];
    let parent: string | null = null;
    diffIds.forEach((diffId, index) => {
      const desc = manifest.layers[index]!;
      const id = chainId(parent, diffId);
      parent = id;
      const record = store.getLayer(id);
      if (record) {
        // Already stored under this chain: createImage reuses it and never opens this dir.
        present.set(index, { dir: join(store.base, 'tmp', 'reused-layer'), diffId, compressedDigest: desc.digest, tarSize: record.tarSize, contentSize: record.contentSize });
        progress(`Copying blob ${digestHex(desc.digest).slice(0, 12)} skipped: already exists`);
      } else {
        jobs.push({ desc, diffId, index });
      }
    });
    extractor.warm(jobs.length);
    const short = (job: LayerJob) => digestHex(job.desc.digest).slice(0, 12);
    const blobProgress = opts.blobProgress;
    const staged = await fetchLayers(
      access,
      extractor,
      jobs,
      (job) => progress(`Copying blob ${short(job)} done`),
      blobProgress && ((job, done) => blobProgress(short(job), done, job.desc.size)),
    );
    try {
      progress(`Copying config ${digestHex(manifest.config.digest).slice(0, 10)} done`);
      progress('Writing manifest to image destination');
      const layers = diffIds.map((_, index) => present.get(index) ?? staged.get(index)!);
      let id: string;
      try {
        ({ id } = store.createImage({
          config,
          manifest: manifestBytes,
          manifestDigest,
          created: createdTime(parsed),
          // By digest, the image is named `repo@sha256:...` (shown with tag <none>), as Podman names it.
          names: [wanted.digest ? `${formatReference({ ...wanted, tag: undefined })}` : candidate],
          layers,
        }));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PullError(`pulling ${candidate}: a layer was removed while the image was being pulled: pull again`);
        throw e;
      }
      if (listDigest) store.addImageDigest(id, listDigest);
      store.recordBlobLocations([...manifest.layers.map((l) => l.digest), manifest.config.digest], access.client.registry, access.repo);
      progress('Storing signatures');
      return id;
    } finally {
      for (const layer of staged.values()) rmSync(layer.dir, { recursive: true, force: true });
    }
  } finally {
    await access.client.close();
  }
}

async function fetchConfig(access: RepoAccess, digest: string, size: number): Promise<{ bytes: Buffer; parsed: ImageConfig }> {
  const doing = `copying config ${digest}`;
  if (size > MAX_CONFIG_SIZE) throw new PullError(`${doing}: it is larger than ${MAX_CONFIG_SIZE >> 20} MiB: refusing it`);
  const res = await access.client.request('GET', `/v2/${access.repo}/blobs/${digest}`, { scope: access.scope, follow: true });
  if (res.status !== 200) throw await httpFailure(access, res, doing, `blob unknown to ${access.where}: push the image again`);
  const bytes = await readLimited(res, MAX_CONFIG_SIZE, `config ${digest}`);
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== digest) throw new PullError(`${doing}: the content has digest ${actual}: the registry serves a corrupt config; try again or push the image again`);
  let parsed: ImageConfig;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw new PullError(`${doing}: it is not valid JSON`);
  }
  const diffIds = parsed?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every(isSha256Digest)) throw new PullError(`${doing}: its rootfs.diff_ids are missing or not sha256 digests`);
  return { bytes, parsed };
}

function createdTime(config: ImageConfig): number {
  const t = config.created ? Date.parse(config.created) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

async function pullAllTags(ctx: PullContext, name: string, policy: PullPolicy, opts: PullOptions): Promise<string[]> {
  const ref = parseReference(name);
  if (ref.tag !== undefined || ref.digest !== undefined) throw new InvalidArgumentError(`tag can't be used with --all-tags/-a: give the repository only (${name.replace(/[:@][^/]*$/, '')})`);
  const repos = (await pullCandidates(ctx.registries, name, opts.chooseShortName)).map((c) => c.replace(/:latest$/, ''));
  const errors: string[] = [];
  for (const repo of repos) {
    let tags: string[];
    try {
      tags = await listTags(ctx, repo, opts);
    } catch (e) {
      errors.push(errorMessage(e));
      continue;
    }
    const ids: string[] = [];
    for (const tag of tags) ids.push(await pullOne(ctx, `${repo}:${tag}`, policy, opts));
    return ids;
  }
  throw new PullError(errors.join('; '));
}

async function listTags(ctx: PullContext, repo: string, opts: PullOptions): Promise<string[]> {
  const primary = pullSources(ctx.registries, repo).find((s) => !s.isMirror)!;
  const access = openRepo(normalizeDockerHub(parseReference(primary.reference)), primary.insecure, opts);
  try {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${access.repo}/tags/list`;
    while (path) {
      const res = await access.client.request('GET', path, { scope: access.scope });
      if (res.status !== 200) throw await httpFailure(access, res, `listing tags of ${access.where}`, 'repository unknown: check the name');
      const body = JSON.parse((await readLimited(res, MAX_TAG_LIST, `the tag list of ${access.where}`)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      path = nextLink(res.headers.link);
    }
    if (tags.length === 0) throw new PullError(`${access.where} has no tags`);
    return tags;
  } finally {
    await access.client.close();
  }
}

/** The `rel="next"` target of a Link header (tag list pagination). */
function nextLink(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(', ') : header;
  const m = text ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(text) : null;
  return m ? m[1] : undefined;
}
