import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Runtime } from '../runtime.js';
import type {
  ImageRemoveReport,
  ManifestAddOptions,
  ManifestAnnotateOptions,
  ManifestPushOptions,
  ManifestsEngine,
  RegistryAccessOptions,
} from '../types.js';
import type { ImageRecord, ManifestListRecord, Store } from '../../storage/store.js';
import { MEDIA, isSha256Digest, type ImageConfig } from '../../image/oci.js';
import { buildManifest } from '../../image/manifest.js';
import type { ListEntry, ListPlatform, RemoteInstance } from '../../image/registry/manifestList.js';
import { sha256Hex } from '../../util/digest.js';
import { BadInputError, InvalidArgumentError, NoSuchImageError, TspodError } from '../../util/errors.js';
import { findImage, storageName } from './imageLookup.js';
import { findManifestList, removeManifestList, type ListLookup } from './manifestListImages.js';

/** The index as stored: OCI shaped, with the Docker-only `features` kept in platforms. */
interface StoredIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: ListEntry[];
  annotations?: Record<string, string>;
}

const LOCAL = 'containers-storage:';

export class ManifestNotListError extends TspodError {
  override code = 'NOT_A_MANIFEST_LIST';
  override status = 400;
}

/**
 * `tspod manifest`: lists kept in local storage under one or more names
 * (Podman keeps them as image records; here they have their own tables, and
 * a name belongs to one image or one list). Instances are local images or registry
 * references; push writes the local ones to the destination repository by
 * digest, then the list.
 */
export class LocalManifests implements ManifestsEngine {
  constructor(private readonly runtime: Runtime) {}

  private get store() {
    return this.runtime.store;
  }

  private get registries() {
    return this.runtime.registriesConf;
  }

  async create(name: string, images: string[], opts: RegistryAccessOptions & { all?: boolean; amend?: boolean }): Promise<string> {
    if (name === '') throw new InvalidArgumentError('no name specified for creating a manifest list');
    const normalized = storageName(name);
    const existing = this.store.manifestListIdByName(normalized);
    let id: string;
    if (existing) {
      if (!opts.amend) throw new InvalidArgumentError(`a manifest list named ${normalized} already exists: use --amend to add to it, or remove it with tspod manifest rm`);
      id = existing;
    } else {
      id = randomBytes(32).toString('hex');
      const empty: StoredIndex = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] };
      this.store.createManifestList({ id, name: normalized, created: Date.now(), manifest: Buffer.from(JSON.stringify(empty)), instances: {} });
    }
    if (images.length > 0) await this.add(id, images, opts);
    return id;
  }

  async add(list: string, images: string[], opts: ManifestAddOptions): Promise<string> {
    if (images.length === 0) throw new InvalidArgumentError('manifest add requires at least one image');
    const record = this.requireList(list).list;
    const annotations = parseAnnotations(opts.annotations);
    for (const image of images) {
      const found = await this.instancesOf(image, opts.all === true, opts);
      // As Podman: the overrides apply to the instance the image named (the first one with --all).
      const first = found[0];
      if (first) applyOverrides(first.entry, { ...opts, annotations: undefined }, annotations);
      this.store.updateManifestList(record.id, (current) => {
        const index = parseStored(current);
        const instances = { ...current.instances };
        for (const { entry, source } of found) {
          const at = index.manifests.findIndex((m) => m.digest === entry.digest);
          if (at >= 0) index.manifests[at] = entry;
          else index.manifests.push(entry);
          instances[entry.digest] ??= source;
        }
        return { manifest: Buffer.from(JSON.stringify(index)), instances };
      });
    }
    return record.id;
  }

  async annotate(list: string, digest: string, opts: ManifestAnnotateOptions): Promise<string> {
    checkDigest(digest);
    const record = this.requireList(list).list;
    const annotations = parseAnnotations(opts.annotations);
    this.store.updateManifestList(record.id, (current) => {
      const index = parseStored(current);
      const entry = index.manifests.find((m) => m.digest === digest);
      if (!entry) throw new NoSuchImageError(`no instance with digest ${digest} in manifest list ${list}: see tspod manifest inspect ${list}`);
      applyOverrides(entry, opts, annotations);
      return { manifest: Buffer.from(JSON.stringify(index)), instances: current.instances };
    });
    return record.id;
  }

  async removeInstance(list: string, digest: string): Promise<string> {
    checkDigest(digest);
    const record = this.requireList(list).list;
    this.store.updateManifestList(record.id, (current) => {
      const index = parseStored(current);
      const kept = index.manifests.filter((m) => m.digest !== digest);
      if (kept.length === index.manifests.length) {
        throw new NoSuchImageError(`removing from manifest list ${list}: no instance with digest ${digest}: see tspod manifest inspect ${list}`);
      }
      const instances = { ...current.instances };
      delete instances[digest];
      return { manifest: Buffer.from(JSON.stringify({ ...index, manifests: kept })), instances };
    });
    return record.id;
  }

  async rm(names: string[]): Promise<ImageRemoveReport> {
    const report: ImageRemoveReport = { untagged: [], deleted: [], errors: [] };
    for (const name of names) {
      try {
        removeManifestList(this.store, this.requireList(name), report);
      } catch (e) {
        report.errors.push({ name, error: e as Error });
      }
    }
    return report;
  }

  async exists(name: string): Promise<boolean> {
    if (!this.store.exists()) return false;
    return this.findList(name) !== undefined;
  }

  async inspect(name: string, opts: RegistryAccessOptions): Promise<{ json: string; warning?: string }> {
    const record = this.store.exists() ? this.findList(name)?.list : undefined;
    if (record) {
      const index = parseStored(record);
      // Podman shows a Docker-style list with the OCI annotations added.
      const data = {
        schemaVersion: 2,
        mediaType: MEDIA.dockerManifestList,
        manifests: index.manifests.map((m) => ({
          mediaType: m.mediaType,
          size: m.size,
          digest: m.digest,
          platform: m.platform,
          ...(m.annotations && Object.keys(m.annotations).length > 0 && { annotations: m.annotations }),
        })),
        ...(index.annotations && Object.keys(index.annotations).length > 0 && { annotations: index.annotations }),
      };
      return { json: JSON.stringify(data, null, 4) };
    }
    const { fetchRemoteManifest, cleanPlatform } = await import('../../image/registry/manifestList.js');
    const { isList } = await import('../../image/registry/pullManifest.js');
    const { manifest, access } = await fetchRemoteManifest(this.registries, name, opts);
    await access.client.close();
    const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { manifests?: Array<Partial<ListEntry>> };
    if (!isList(manifest.mediaType)) {
      return { json: JSON.stringify(parsed, null, 4), warning: `The manifest type ${manifest.mediaType} is not a manifest list but a single image.` };
    }
    const manifests = (parsed.manifests ?? []).map((m) => ({
      mediaType: m.mediaType ?? '',
      size: m.size ?? 0,
      digest: m.digest ?? '',
      platform: cleanPlatform({ ...(m.platform ?? {}), architecture: m.platform?.architecture ?? '', os: m.platform?.os ?? '' }),
    }));
    return { json: JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifestList, manifests }, null, 4) };
  }

  async push(list: string, destination: string | undefined, opts: ManifestPushOptions): Promise<{ digest: string }> {
    const found = this.requireList(list);
    const record = found.list;
    const listName = found.matchedName ?? record.names[0] ?? list;
    const [{ parseDestination }, { pushImageManifest }, registry] = await Promise.all([
      import('../../image/registry/push.js'),
      import('../../image/registry/pushRegistry.js'),
      import('../../image/registry/manifestList.js'),
    ]);
    const dest = parseDestination(destination ?? listName);
    if (dest.transport !== 'docker') {
      throw new InvalidArgumentError(`tspod manifest push writes to registries only: give docker://REGISTRY/NAME[:TAG] instead of ${destination}`);
    }
    const ref = dest.ref;
    const index = parseStored(record);
    if (index.manifests.length === 0) throw new InvalidArgumentError(`manifest list ${listName} is empty: add images with tspod manifest add first`);
    const progress = opts.progress;
    const format = opts.format ?? preferredFormat(index);
    const access = registry.openRepository(this.registries, ref, opts, true);
    try {
      progress?.('Getting image list signatures');
      const entries: ListEntry[] = [];
      const total = index.manifests.length;
      for (const [i, entry] of index.manifests.entries()) {
        const source = record.instances[entry.digest] ?? '';
        progress?.(`Copying image ${entry.digest} (${i + 1}/${total})`);
        if (source.startsWith(LOCAL)) {
          const image = this.store.getImage(source.slice(LOCAL.length));
          if (!image) {
            throw new NoSuchImageError(`instance ${entry.digest} of ${listName} was image ${source.slice(LOCAL.length, LOCAL.length + 12)}, which is no longer in local storage: remove the instance or pull the image again`);
          }
          if (opts.all === false) {
            if (!(await registry.hasManifest(access, entry.digest))) {
              throw new InvalidArgumentError(`instance ${entry.digest} is not in ${access.where}: push without --all=false to copy the local images too`);
            }
            entries.push(entry);
            continue;
          }
          const pushed = await pushImageManifest(this.store, this.registries, image, ref, opts, true);
          entries.push({ ...entry, digest: pushed.digest, size: pushed.size, mediaType: pushed.mediaType });
          continue;
        }
        if (!(await registry.hasManifest(access, entry.digest))) {
          if (opts.all === false || !source) {
            throw new InvalidArgumentError(`instance ${entry.digest} is not in ${access.where}${source ? `: push without --all=false to copy it from ${source}` : ' and its source is unknown: add it again'}`);
          }
          await registry.copyRemoteInstance(this.registries, source, access, opts, progress);
        }
        entries.push(entry);
      }
      progress?.('Writing manifest list to image destination');
      const bytes = registry.serializeList(entries, index.annotations, format);
      const digest = `sha256:${sha256Hex(bytes)}`;
      if (ref.digest && ref.digest !== digest) throw new InvalidArgumentError(`the list's digest ${digest} is not ${ref.digest}: push to a tag instead of a digest`);
      const res = await access.client.request('PUT', `/v2/${access.repo}/manifests/${ref.digest ?? ref.tag ?? 'latest'}`, {
        scope: access.scope,
        headers: { 'content-type': format === 'v2s2' ? MEDIA.dockerManifestList : MEDIA.ociIndex },
        body: () => bytes,
        expect: [200, 201, 202],
      });
      res.body.resume();
      progress?.('Storing list signatures');
      if (opts.digestFile) writeFileSync(opts.digestFile, digest);
      if (opts.rm) removeManifestList(this.store, found, { untagged: [], deleted: [], errors: [] });
      return { digest };
    } finally {
      await access.client.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  private findList(input: string): ListLookup | undefined {
    return findManifestList(this.store, () => this.registries, input);
  }

  private requireList(input: string): ListLookup {
    const found = this.store.exists() ? this.findList(input) : undefined;
    if (found) return found;
    if (this.store.exists() && safeFindImage(() => findImage(this.store, () => this.registries, input))) {
      throw new ManifestNotListError(`${input}: image is not a manifest list: create one with tspod manifest create LIST ${input}`);
    }
    throw new NoSuchImageError(`${input}: manifest list not known: create it with tspod manifest create ${input}`);
  }

  /** The entries an IMAGE argument adds: a local image, or a registry reference (one instance, or all of a list with `all`). */
  private async instancesOf(input: string, all: boolean, opts: RegistryAccessOptions): Promise<RemoteInstance[]> {
    const transport = /^([a-z-]+):/.exec(input)?.[1];
    if (input.startsWith('docker://')) return this.remote(input, all, opts);
    if (transport === 'containers-storage') {
      const name = input.slice(LOCAL.length).replace(/^\[[^\]]*\]/, '');
      const found = findImage(this.store, () => this.registries, name);
      if (!found) throw new NoSuchImageError(`${name}: image not known in local storage: pull it or check the name`);
      return [localInstance(this.store, found.image)];
    }
    if (transport && ['oci', 'oci-archive', 'docker-archive', 'dir', 'docker-daemon'].includes(transport)) {
      throw new InvalidArgumentError(`tspod manifest add reads local images and registries only: load ${input} with tspod load first, or give docker://REFERENCE`);
    }
    const local = this.store.exists() ? findImage(this.store, () => this.registries, input) : undefined;
    if (local) return [localInstance(this.store, local.image)];
    if (this.store.exists() && this.findList(input)) {
      throw new InvalidArgumentError(`${input} is a manifest list: nested manifest lists are not supported, add its images instead`);
    }
    return this.remote(input, all, opts);
  }

  private async remote(input: string, all: boolean, opts: RegistryAccessOptions): Promise<RemoteInstance[]> {
    const { remoteInstances } = await import('../../image/registry/manifestList.js');
    return remoteInstances(this.registries, input, all, opts);
  }
}

function safeFindImage(find: () => unknown): boolean {
  try {
    return find() !== undefined;
  } catch {
    return false;
  }
}

function localInstance(store: Store, image: ImageRecord): RemoteInstance {
  const manifest = image.manifest ?? buildManifest('oci', image.config, store.layerChain(image.topLayer)).bytes;
  let config: Partial<ImageConfig>;
  let mediaType: string = MEDIA.ociManifest;
  try {
    config = JSON.parse(image.config.toString('utf8')) as Partial<ImageConfig>;
    mediaType = (JSON.parse(manifest.toString('utf8')) as { mediaType?: string }).mediaType ?? MEDIA.ociManifest;
  } catch {
    throw new BadInputError(`image ${image.id.slice(0, 12)} has a damaged config or manifest in storage: remove it and pull it again`);
  }
  const platform: ListPlatform = {
    architecture: String(config.architecture ?? ''),
    os: String(config.os ?? ''),
    ...(typeof config['os.version'] === 'string' && config['os.version'] && { 'os.version': config['os.version'] }),
    ...(Array.isArray(config['os.features']) && config['os.features'].length > 0 && { 'os.features': config['os.features'] as string[] }),
    ...(typeof config.variant === 'string' && config.variant && { variant: config.variant }),
  };
  const entry: ListEntry = { mediaType, size: manifest.length, digest: `sha256:${sha256Hex(manifest)}`, platform };
  return { entry, source: `${LOCAL}${image.id}` };
}

function parseStored(record: ManifestListRecord): StoredIndex {
  try {
    const index = JSON.parse(record.manifest.toString('utf8')) as StoredIndex;
    if (Array.isArray(index.manifests)) return index;
  } catch {
    // reported below
  }
  throw new BadInputError(`manifest list ${record.names[0] ?? record.id.slice(0, 12)} is damaged in storage: remove it with tspod manifest rm and create it again`);
}

function checkDigest(digest: string): void {
  if (!isSha256Digest(digest)) {
    throw new InvalidArgumentError(`invalid image digest "${digest}": give the instance's sha256:<64 hex> digest as tspod manifest inspect shows it`);
  }
}

function parseAnnotations(specs: string[] | undefined): Record<string, string> | undefined {
  if (!specs || specs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 0) throw new InvalidArgumentError(`no value given for annotation "${spec}": write --annotation KEY=VALUE`);
    out[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  return out;
}

function applyOverrides(entry: ListEntry, opts: ManifestAnnotateOptions, annotations: Record<string, string> | undefined): void {
  const p = entry.platform;
  if (opts.os) p.os = opts.os;
  if (opts.osVersion) p['os.version'] = opts.osVersion;
  if (opts.features?.length) p.features = [...opts.features];
  if (opts.osFeatures?.length) p['os.features'] = [...opts.osFeatures];
  if (opts.arch) p.architecture = opts.arch;
  if (opts.variant) p.variant = opts.variant;
  if (annotations) entry.annotations = { ...entry.annotations, ...annotations };
}

/** Podman's choice when no --format is given: OCI, unless only a Docker list can carry what the list holds. */
function preferredFormat(index: StoredIndex): 'oci' | 'v2s2' {
  if (index.manifests.some((m) => m.annotations && Object.keys(m.annotations).length > 0)) return 'oci';
  if (index.manifests.some((m) => m.platform.features?.length)) return 'v2s2';
  return 'oci';
}
