import { findManifestList, manifestListSummaries, removeManifestList } from './manifestListImages.js';
import { join } from 'node:path';
import { recordEvent } from './events.js';
import { rmSync } from 'node:fs';
import type { Runtime } from '../runtime.js';
import type {
  FileChange,
  ImageDeriveOptions,
  ImagesEngine,
  ImageSummary,
  ImageListOptions,
  ImageInspectReport,
  ImageHistoryEntry,
  ImageRemoveReport,
  ImageLoadOptions,
  ImageSaveOptions,
  ImageImportOptions,
  ImageFilesTarget,
  ImageTreeReport,
  ImagePullOptions,
  ImagePushOptions,
  ImageSearchResult,
  RegistryAccessOptions,
} from '../types.js';
import type { ImageRecord } from '../../storage/store.js';
import type { ImageConfig } from '../../image/oci.js';
import { MEDIA, hostArchitecture } from '../../image/oci.js';
import { buildManifest } from '../../image/manifest.js';
import { lookupImage, findImage, stripTag, storageName } from './imageLookup.js';
import { imageFilter } from './imageFilters.js';
import { InvalidArgumentError, InvalidCredentialsError, NoSuchImageError, TspodError } from '../../util/errors.js';

/** How image removal with --force gets rid of the containers using an image (the containers group does it). */
export type RemoveContainersOfImage = (imageId: string) => Promise<void>;

export class LocalImages implements ImagesEngine {
  constructor(
    private readonly runtime: Runtime,
    private readonly removeContainersOf: RemoveContainersOfImage = async () => {},
  ) {}

  private get store() {
    return this.runtime.store;
  }

  /**
   * The same options give the same (frozen) array for as long as the database is
   * unchanged, so a caller may keep what it derived from it (the API service keeps
   * its JSON); `until` filters depend on the clock and are worked out every time.
   */
  async list(opts: ImageListOptions): Promise<ImageSummary[]> {
    if (!this.store.exists()) return [];
    const cache = this.cachedSummaries();
    const filters = opts.filters ?? [];
    const memoKey = filters.some((f) => f.startsWith('until=')) ? undefined : JSON.stringify([opts.all === true, filters]);
    const hit = memoKey === undefined ? undefined : cache.lists.get(memoKey);
    if (hit) return hit;
    const result = Object.freeze(this.filterSummaries(cache, opts.all === true, filters)) as ImageSummary[];
    if (memoKey !== undefined) {
      if (cache.lists.size >= 64) cache.lists.clear();
      cache.lists.set(memoKey, result);
    }
    return result;
  }

  private filterSummaries(cache: SummaryCache, all: boolean, given: string[]): ImageSummary[] {
    const { summaries, manifestLists } = cache;
    // manifest=false: images only (what Docker clients list), manifest=true: lists only.
    const manifest = given.filter((f) => f.startsWith('manifest=')).map(parseBoolFilter);
    const filters = given.filter((f) => !f.startsWith('manifest='));
    const resolve = (name: string) => {
      const { image } = lookupImage(this.store, () => this.runtime.registriesConf, name);
      return summaries.find((s) => s.Id === image.id)!;
    };
    const keep = imageFilter(filters, resolve);
    return summaries.filter(
      (s) => (all || !s.Intermediate || filters.length > 0) && (manifest.length === 0 || manifest.includes(manifestLists.has(s.Id))) && keep(s),
    );
  }

  /**
   * The summaries, computed again only when the database changed since the last
   * call (any process's commit changes the key), so a long-lived API service
   * answers image lists cheaply and never from stale state. They are frozen:
   * every caller shares them.
   */
  private cachedSummaries(): SummaryCache {
    const key = this.store.changeCounter();
    if (this.summaryCache?.key !== key) {
      const lists = manifestListSummaries(this.store);
      const summaries = [...this.summaries(), ...lists];
      for (const s of summaries) {
        for (const value of Object.values(s)) if (value && typeof value === 'object') Object.freeze(value);
        Object.freeze(s);
      }
      this.summaryCache = { key, summaries, manifestLists: new Set(lists.map((l) => l.Id)), lists: new Map() };
    }
    return this.summaryCache;
  }

  private summaryCache: SummaryCache | undefined;

  /** One query for images, names and digests; parents from the layer graph. */
  private summaries(): ImageSummary[] {
    const images = this.store.listImages();
    const historyLength = new Map<string, number>();
    for (const image of images) historyLength.set(image.id, parseConfig(image).history?.length ?? 0);
    const byTopLayer = new Map<string, ImageRecord[]>();
    for (const image of images) if (image.topLayer) byTopLayer.set(image.topLayer, [...(byTopLayer.get(image.topLayer) ?? []), image]);
    const layerParents = new Map<string, string | null>();
    for (const row of this.store.db.prepare('SELECT id, parent FROM layers').all() as Array<{ id: string; parent: string | null }>) {
      layerParents.set(row.id, row.parent);
    }
    const hasChildren = new Set<string>();
    const parentOf = new Map<string, string>();
    // Among images on one top layer, a child's parent is the one with one history entry less
    // (a build's config-only step), else the one with the longest shorter history.
    const pick = (group: ImageRecord[], child: ImageRecord): ImageRecord | undefined => {
      const n = historyLength.get(child.id)!;
      const shorter = group.filter((p) => p !== child && historyLength.get(p.id)! < n);
      return shorter.sort((a, b) => historyLength.get(b.id)! - historyLength.get(a.id)!)[0];
    };
    for (const image of images) {
      let parent = image.topLayer ? pick(byTopLayer.get(image.topLayer)!, image) : undefined;
      let layer = image.topLayer ? layerParents.get(image.topLayer) ?? null : null;
      while (!parent && layer) {
        const group = byTopLayer.get(layer);
        if (group) parent = pick(group, image);
        layer = layerParents.get(layer) ?? null;
      }
      if (parent) {
        parentOf.set(image.id, parent.id);
        hasChildren.add(parent.id);
      }
    }
    const containerCounts = new Map<string, number>();
    for (const row of this.store.db.prepare('SELECT image_id, COUNT(*) AS n FROM containers GROUP BY image_id').all() as Array<{ image_id: string; n: number }>) {
      containerCounts.set(row.image_id, row.n);
    }
    return images.map((image) => summarize(image, parentOf.get(image.id) ?? '', hasChildren.has(image.id), containerCounts.get(image.id) ?? 0));
  }

  async inspect(names: string[]): Promise<Array<ImageInspectReport | Error>> {
    return names.map((name) => {
      try {
        return this.inspectOne(lookupImage(this.store, () => this.runtime.registriesConf, name).image);
      } catch (e) {
        return e as Error;
      }
    });
  }

  private inspectOne(image: ImageRecord): ImageInspectReport {
    const config = parseConfig(image);
    const layers = this.store.layerChain(image.topLayer);
    const top = layers[layers.length - 1];
    const lowers = layers.slice(0, -1).reverse().map((l) => this.store.layerDiffDir(l.id));
    const graphData: Record<string, string> = {};
    if (top) {
      if (lowers.length > 0) graphData.LowerDir = lowers.join(':');
      graphData.UpperDir = this.store.layerDiffDir(top.id);
      graphData.WorkDir = join(this.store.layerDir(top.id), 'work');
    }
    const summary = summarize(image, '', false, 0);
    return {
      Id: image.id,
      Digest: summary.Digest,
      RepoTags: summary.RepoTags,
      RepoDigests: summary.RepoDigests,
      Parent: '',
      Comment: config.history?.find((h) => h.comment)?.comment ?? '',
      Created: config.created ?? new Date(image.created).toISOString(),
      Config: (config.config ?? {}) as Record<string, unknown>,
      Version: typeof config.docker_version === 'string' ? config.docker_version : '',
      Author: config.author ?? '',
      Architecture: config.architecture ?? '',
      Os: config.os ?? '',
      Size: image.size,
      VirtualSize: image.size,
      GraphDriver: { Name: this.store.driver, Data: graphData },
      RootFS: { Type: 'layers', Layers: config.rootfs?.diff_ids ?? [] },
      Labels: config.config?.Labels ?? null,
      Annotations: manifestAnnotations(image),
      ManifestType: manifestType(image),
      User: config.config?.User ?? '',
      History: config.history ?? [],
      NamesHistory: image.namesHistory,
    };
  }

  async derive(base: string | null, opts: ImageDeriveOptions): Promise<{ id: string }> {
    const { deriveImage } = await import('./buildSteps.js');
    return deriveImage(this.store, base, opts);
  }

  async findBuildStep(parent: string | null, createdBy: string): Promise<string | undefined> {
    if (!this.store.exists()) return undefined;
    const { findBuildStep } = await import('./buildSteps.js');
    return findBuildStep(this.store, parent, createdBy);
  }

  async history(name: string): Promise<ImageHistoryEntry[]> {
    const { image } = lookupImage(this.store, () => this.runtime.registriesConf, name);
    const config = parseConfig(image);
    const layers = this.store.layerChain(image.topLayer);
    const entries: ImageHistoryEntry[] = [];
    let layerIndex = 0;
    const history = config.history?.length ? config.history : layers.map(() => ({}) as NonNullable<ImageConfig['history']>[number]);
    for (const h of history) {
      const layer = h.empty_layer ? undefined : layers[layerIndex++];
      entries.push({
        id: '<missing>',
        created: h.created ? Date.parse(h.created) : image.created,
        createdRaw: h.created ?? new Date(image.created).toISOString(),
        createdBy: h.created_by ?? '',
        size: layer?.tarSize ?? 0,
        comment: h.comment ?? '',
        tags: [],
      });
    }
    entries.reverse();
    if (entries[0]) {
      entries[0].id = image.id;
      entries[0].tags = image.names;
    }
    return entries;
  }

  async exists(name: string): Promise<boolean> {
    if (!this.store.exists()) return false;
    return findImage(this.store, () => this.runtime.registriesConf, name) !== undefined;
  }

  /** As Podman's: a name given to an image or a manifest list is taken from whichever had it. */
  async tag(name: string, newNames: string[]): Promise<void> {
    const targets = newNames.map(storageName);
    const { id, addName } = this.imageOrList(name);
    for (const target of targets) addName(target);
    for (const target of targets) recordEvent(this.runtime, { type: 'image', action: 'tag', id, name: target });
  }

  /** The image, else the manifest list, a name means, with its names and how to change them. */
  private imageOrList(name: string): { id: string; names: string[]; addName: (n: string) => void; removeName: (n: string) => boolean } {
    try {
      const { image } = lookupImage(this.store, () => this.runtime.registriesConf, name);
      return { id: image.id, names: image.names, addName: (n) => this.store.addName(image.id, n), removeName: (n) => this.store.removeName(image.id, n) };
    } catch (e) {
      const found = e instanceof NoSuchImageError && this.store.exists() ? findManifestList(this.store, () => this.runtime.registriesConf, name) : undefined;
      if (!found) throw e;
      const { id, names } = found.list;
      return { id, names, addName: (n) => this.store.addManifestListName(id, n), removeName: (n) => this.store.removeManifestListName(id, n) };
    }
  }

  async untag(name: string, names: string[]): Promise<void> {
    const target = this.imageOrList(name);
    if (names.length === 0) {
      for (const n of target.names) target.removeName(n);
      for (const n of target.names) recordEvent(this.runtime, { type: 'image', action: 'untag', id: target.id, name: n });
      return;
    }
    for (const n of names) {
      const full = storageName(n);
      const candidates = [full, ...(n.includes('/') ? [] : [`docker.io/library/${n.includes(':') ? n : `${n}:latest`}`])];
      if (!candidates.some((c) => target.removeName(c))) {
        throw new NoSuchImageError(`${n}: tag not known on image ${target.id.slice(0, 12)}: check the name`);
      }
      recordEvent(this.runtime, { type: 'image', action: 'untag', id: target.id, name: full });
    }
  }

  async remove(names: string[], opts: { force?: boolean; all?: boolean; ignore?: boolean }): Promise<ImageRemoveReport> {
    const report: ImageRemoveReport = { untagged: [], deleted: [], errors: [] };
    if (!this.store.exists()) {
      if (!opts.ignore && !opts.all) for (const n of names) report.errors.push({ name: n, error: new NoSuchImageError(`${n}: image not known`) });
      return report;
    }
    if (opts.all) {
      for (const image of this.store.listImages()) {
        try {
          await this.removeImage(image, undefined, opts, report);
        } catch (e) {
          report.errors.push({ name: image.id, error: e as Error });
        }
      }
      for (const list of this.store.listManifestLists()) {
        removeManifestList(this.store, { list }, report);
        recordEvent(this.runtime, { type: 'image', action: 'remove', id: list.id, name: list.names[0] ?? '' });
      }
      return report;
    }
    for (const name of names) {
      try {
        const found = findImage(this.store, () => this.runtime.registriesConf, name);
        if (found) {
          await this.removeImage(found.image, found.matchedName, opts, report);
          continue;
        }
        const list = findManifestList(this.store, () => this.runtime.registriesConf, name);
        if (!list) throw new NoSuchImageError(`${name}: image not known: pull it or check the name`);
        const done = removeManifestList(this.store, list, report);
        recordEvent(this.runtime, { type: 'image', action: done, id: list.list.id, name: list.matchedName ?? list.list.names[0] ?? '' });
      } catch (e) {
        if (opts.ignore && e instanceof NoSuchImageError) continue;
        report.errors.push({ name, error: e as Error });
      }
    }
    return report;
  }

  /** podman's rmi: a name given for an image with other names only untags it. */
  private async removeImage(image: ImageRecord, matchedName: string | undefined, opts: { force?: boolean }, report: ImageRemoveReport): Promise<void> {
    if (matchedName && image.names.length > 1) {
      this.store.removeName(image.id, matchedName);
      report.untagged.push(matchedName);
      recordEvent(this.runtime, { type: 'image', action: 'untag', id: image.id, name: matchedName });
      return;
    }
    if (opts.force && this.store.containersUsingImage(image.id).length > 0) await this.removeContainersOf(image.id);
    // As Podman: an image mounted with `image mount` is unmounted, then removed.
    (await import('./imageMount.js')).unmountImage(this.store, image.id);
    this.store.deleteImage(image.id);
    recordEvent(this.runtime, { type: 'image', action: 'remove', id: image.id, name: matchedName ?? image.names[0] ?? '' });
    report.untagged.push(...image.names);
    report.deleted.push(image.id);
  }

  async prune(opts: { all?: boolean; filters?: string[] }): Promise<Array<{ id: string; size: number }>> {
    if (!this.store.exists()) return [];
    const pruned: Array<{ id: string; size: number }> = [];
    // Removing an image can make its parent dangling: repeat until stable.
    for (;;) {
      const candidates = (await this.list({ all: true, filters: opts.filters })).filter(
        (s) => s.Containers === 0 && (opts.all || s.Dangling) && !s.Intermediate,
      );
      if (candidates.length === 0) break;
      for (const c of candidates) {
        try {
          // Manifest lists are pruned as Podman prunes them: when nameless, or all of them with --all.
          if (!this.store.deleteManifestList(c.Id)) this.store.deleteImage(c.Id);
          pruned.push({ id: c.Id, size: c.Size });
          recordEvent(this.runtime, { type: 'image', action: 'prune', id: c.Id });
        } catch (e) {
          if (!(e instanceof NoSuchImageError)) throw e;
        }
      }
    }
    this.store.cleanLeftovers();
    return pruned;
  }

  async load(opts: ImageLoadOptions): Promise<{ names: string[] }> {
    const { loadArchive, loadDirectory } = await import('../../image/archive/load.js');
    this.store.cleanLeftovers();
    const loaded = opts.directory
      ? await loadDirectory(opts.directory, this.store, { progress: opts.progress })
      : await loadArchive(opts.input!, this.store, { progress: opts.progress });
    recordEvent(this.runtime, { type: 'image', action: 'loadfromarchive', name: opts.directory ?? (typeof opts.input === 'string' ? opts.input : '') });
    return { names: loaded.flatMap((l) => (l.names.length > 0 ? l.names : [`sha256:${l.id}`])) };
  }

  async save(names: string[], opts: ImageSaveOptions): Promise<void> {
    const { saveImages } = await import('../../image/archive/save.js');
    const images = names.map((name) => {
      const { image, matchedName } = lookupImage(this.store, () => this.runtime.registriesConf, name);
      // A name by digest is no tag an archive can carry.
      return { image, names: matchedName && !matchedName.includes('@') ? [matchedName] : [] };
    });
    if (images[0]) images[0].names.push(...(opts.additionalTags ?? []).map(storageName));
    await saveImages(this.store, images, opts.format, { ...opts.output, progress: opts.progress });
    for (const i of images) recordEvent(this.runtime, { type: 'image', action: 'save', id: i.image.id, name: i.names[0] ?? '' });
  }

  async import(opts: ImageImportOptions): Promise<{ id: string }> {
    const name = opts.reference ? storageName(opts.reference) : undefined;
    const [{ applyChanges }, { decompressStream }] = await Promise.all([
      import('../../image/changes.js'),
      import('../../storage/tar/decompress.js'),
    ]);
    const containerConfig = applyChanges({}, opts.changes ?? []);
    this.store.cleanLeftovers();
    const { stream } = await decompressStream(opts.input);
    const layer = await this.store.extractLayer(stream);
    try {
      const created = new Date().toISOString();
      const config: ImageConfig = {
        created,
        architecture: opts.arch ?? hostArchitecture(),
        os: opts.os ?? 'linux',
        ...(opts.variant ? { variant: opts.variant } : {}),
        config: containerConfig,
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
        history: [{ created, created_by: '/bin/sh -c #(nop) ADD file in /', ...(opts.message ? { comment: opts.message } : {}) }],
      };
      const configBytes = Buffer.from(JSON.stringify(config));
      const manifest = buildManifest('oci', configBytes, [layer]);
      const result = this.store.createImage({
        config: configBytes,
        manifest: manifest.bytes,
        manifestDigest: manifest.digest,
        created: Date.parse(created),
        names: name ? [name] : [],
        layers: [layer],
      });
      recordEvent(this.runtime, { type: 'image', action: 'import', id: result.id, name: name ?? '' });
      return { id: result.id };
    } finally {
      rmSync(layer.dir, { recursive: true, force: true });
    }
  }

  // ------------------------------------------------------------ registries

  async pull(reference: string, opts: ImagePullOptions): Promise<{ ids: string[] }> {
    const { pullImage } = await import('../../image/registry/pull.js');
    const pulled = await pullImage({ store: this.store, registries: this.runtime.registriesConf }, reference, opts);
    for (const id of pulled.ids) recordEvent(this.runtime, { type: 'image', action: 'pull', id, name: reference });
    return pulled;
  }

  async push(source: string, destination: string | undefined, opts: ImagePushOptions): Promise<{ digest: string; size?: number }> {
    const { image, matchedName } = lookupImage(this.store, () => this.runtime.registriesConf, source);
    const { pushImage } = await import('../../image/registry/push.js');
    const pushed = await pushImage({ store: this.store, registries: this.runtime.registriesConf }, { image, name: matchedName ?? image.names[0] ?? image.id }, destination, opts);
    recordEvent(this.runtime, { type: 'image', action: 'push', id: image.id, name: destination ?? source });
    return pushed;
  }

  async search(term: string, opts: RegistryAccessOptions & { limit?: number; listTags?: boolean; filters?: string[] }): Promise<ImageSearchResult[]> {
    const { searchRegistries } = await import('../../image/registry/search.js');
    return searchRegistries(this.runtime.registriesConf, term, opts);
  }

  async checkLogin(key: string, opts: RegistryAccessOptions & { credentials: { username: string; password: string } }): Promise<void> {
    const [{ checkRegistryLogin }, { isInsecure }] = await Promise.all([import('../../image/registry/login.js'), import('../../config/registriesConf.js')]);
    const registry = key.split('/')[0]!;
    await checkRegistryLogin(key, { tlsVerify: opts.tlsVerify ?? !isInsecure(this.runtime.registriesConf, registry), certDir: opts.certDir, credentials: opts.credentials });
  }

  async mount(names: string[], opts: { all?: boolean } = {}): Promise<Array<{ name: string; id?: string; names?: string[]; path?: string; error?: Error }>> {
    if (!this.store.exists()) return [];
    const { mountImage, mountedImageIds, imageMountDir } = await import('./imageMount.js');
    if (names.length === 0 && !opts.all) {
      return mountedImageIds(this.store).map((id) => {
        const image = this.store.getImage(id)!;
        return { name: image.names[0] ?? id, id, names: image.names, path: imageMountDir(this.store, id) };
      });
    }
    const targets = opts.all ? this.store.listImages().map((i) => i.id) : names;
    return targets.map((name) => {
      try {
        const { image } = lookupImage(this.store, () => this.runtime.registriesConf, name);
        return { name, id: image.id, names: image.names, path: mountImage(this.store, image) };
      } catch (e) {
        return { name, error: e as Error };
      }
    });
  }

  async exportFiles(name: string, target: ImageFilesTarget): Promise<void> {
    const [mounted] = await this.mount([name]);
    if (!mounted?.path) throw mounted?.error ?? new NoSuchImageError(`no image "${name}" in local storage: pull it or check the name`);
    try {
      const { exportImageFiles } = await import('./imageFiles.js');
      await exportImageFiles(mounted.path, target);
    } finally {
      await this.unmount([mounted.id ?? name]);
    }
  }

  async unmount(names: string[], opts: { all?: boolean; force?: boolean } = {}): Promise<Array<{ name: string; id?: string; error?: Error }>> {
    if (!this.store.exists()) return [];
    const { unmountImage, mountedImageIds } = await import('./imageMount.js');
    const targets = opts.all ? mountedImageIds(this.store) : names;
    return targets.map((name) => {
      try {
        const { image } = lookupImage(this.store, () => this.runtime.registriesConf, name);
        unmountImage(this.store, image.id);
        return { name, id: image.id };
      } catch (e) {
        return { name, error: e as Error };
      }
    });
  }

  async diff(name: string): Promise<FileChange[]> {
    const { image } = lookupImage(this.store, () => this.runtime.registriesConf, name);
    const chain = this.store.layerChain(image.topLayer);
    const top = chain.pop();
    if (!top) return [];
    const { layerChanges, RUNTIME_INODES } = await import('../../storage/layerDiff.js');
    return layerChanges(this.store.layerDiffDir(top.id), chain.reverse().map((l) => this.store.layerDiffDir(l.id)), { exclude: new Set(), hide: RUNTIME_INODES });
  }

  async tree(name: string): Promise<ImageTreeReport> {
    const { image } = lookupImage(this.store, () => this.runtime.registriesConf, name);
    const summary = (await this.list({ all: true })).find((s) => s.Id === image.id);
    if (!summary) throw new NoSuchImageError(`${name}: image not known`);
    const byTop = new Map<string, Array<{ id: string; tags: string[] }>>();
    for (const other of this.store.listImages()) {
      if (!other.topLayer) continue;
      const list = byTop.get(other.topLayer) ?? [];
      list.push({ id: other.id, tags: other.names });
      byTop.set(other.topLayer, list);
    }
    const layers = this.store.layerChain(image.topLayer).map((l) => ({ id: l.id, size: l.tarSize, images: byTop.get(l.id) ?? [] }));
    return { image: summary, layers };
  }
}

interface SummaryCache {
  /** The database's change counter the summaries were read at. */
  key: string;
  summaries: ImageSummary[];
  manifestLists: Set<string>;
  /** Results of list() by options. */
  lists: Map<string, ImageSummary[]>;
}

function parseBoolFilter(filter: string): boolean {
  const value = filter.slice(filter.indexOf('=') + 1);
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidArgumentError(`invalid filter "${filter}": the value must be true or false`);
}

function parseConfig(image: ImageRecord): ImageConfig {
  try {
    return JSON.parse(image.config.toString('utf8')) as ImageConfig;
  } catch {
    throw new TspodError(`image ${image.id.slice(0, 12)} has a damaged config in storage: remove it and load it again`);
  }
}

function manifestType(image: ImageRecord): string {
  if (!image.manifest) return MEDIA.ociManifest;
  try {
    const m = JSON.parse(image.manifest.toString('utf8')) as { mediaType?: string };
    return m.mediaType ?? MEDIA.ociManifest;
  } catch {
    return MEDIA.ociManifest;
  }
}

function manifestAnnotations(image: ImageRecord): Record<string, string> {
  if (!image.manifest) return {};
  try {
    return (JSON.parse(image.manifest.toString('utf8')) as { annotations?: Record<string, string> }).annotations ?? {};
  } catch {
    return {};
  }
}

export function summarize(image: ImageRecord, parentId: string, hasChildren: boolean, containers: number): ImageSummary {
  const config = parseConfig(image);
  const created = Math.floor((config.created ? Date.parse(config.created) : image.created) / 1000) || 0;
  const digest = image.manifestDigest ?? image.digests[0] ?? '';
  const digests = new Set([...(image.manifestDigest ? [image.manifestDigest] : []), ...image.digests]);
  const repos = [...new Set(image.names.map(stripTag))];
  const repoDigests = repos.flatMap((r) => [...digests].map((d) => `${r}@${d}`));
  const dangling = image.names.length === 0;
  return {
    Id: image.id,
    ParentId: parentId,
    // Names by digest (pulled as repo@sha256:...) are names, not tags.
    RepoTags: image.names.filter((n) => !n.includes('@')),
    RepoDigests: repoDigests,
    Created: created,
    CreatedAt: new Date(created * 1000).toISOString(),
    Size: image.size,
    SharedSize: 0,
    VirtualSize: image.size,
    Labels: config.config?.Labels ?? {},
    Containers: containers,
    Names: image.names,
    Digest: digest,
    History: image.namesHistory,
    Dangling: dangling,
    ReadOnly: false,
    Intermediate: dangling && hasChildren,
  };
}

