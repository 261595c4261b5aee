import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, rmSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store, StagedLayer } from '../../storage/store.js';
import { decompressStream, detectCompression } from '../../storage/tar/decompress.js';
import { BadInputError } from '../../util/errors.js';
import { MEDIA, REF_NAME_ANNOTATION, digestHex, isSha256Digest, hostArchitecture } from '../oci.js';
import type { ImageConfig, ImageIndex, ImageManifest, Descriptor } from '../oci.js';
import { normalizeArchiveName } from './names.js';
import { buildManifest } from '../manifest.js';
import { sha256Hex } from '../../util/digest.js';

export interface LoadedImage {
  id: string;
  names: string[];
}

export interface LoadOptions {
  /** Called with each progress line (podman's "Copying blob ..."), when wanted. */
  progress?: (line: string) => void;
}

const NOT_AN_ARCHIVE =
  'payload does not match any of the supported image formats: (oci-archive, docker-archive): give a tar made by save, docker save or skopeo';

/** JSON files up to this size are kept in memory; anything larger is a layer. */
const MAX_JSON = 8 << 20;


/**
 * Reads a docker-archive or oci-archive (plain, gzip or zstd) as one stream:
 * layers are extracted into staging dirs while they pass, the manifests are
 * read whenever they come (docker puts manifest.json last), and the images
 * are committed at the end. Works for stdin, needs no temp copy.
 */
export async function loadArchive(input: Readable, store: Store, opts: LoadOptions = {}): Promise<LoadedImage[]> {
  const { stream } = await decompressStream(input);
  const tar = (await import('tar-stream')).default;
  const extract = tar.extract();
  const jsonFiles = new Map<string, Buffer>();
  const staged = new Map<string, StagedLayer>();
  const links = new Map<string, string>();
  const feeding = pipeline(stream, extract as unknown as NodeJS.WritableStream).catch((e) => {
    throw asArchiveError(e);
  });
  try {
    for await (const entry of extract) {
      const name = normalizeEntryName(entry.header.name);
      const type = entry.header.type;
      if (type === 'symlink' || type === 'link') {
        const target = type === 'symlink' ? posix.join(posix.dirname(name), entry.header.linkname ?? '') : normalizeEntryName(entry.header.linkname ?? '');
        links.set(name, target);
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      const body = entry as unknown as Readable;
      const head = await peek(body, 512);
      if (head.chunk.length === 0) continue;
      const kind = classifyBlob(head.chunk, entry.header.size ?? 0);
      if (kind === 'json') {
        jsonFiles.set(name, await readAll(head.stream));
        continue;
      }
      if (kind === 'other') {
        await drain(head.stream);
        continue;
      }
      const layer = await stageLayer(head.stream, head.chunk, store);
      staged.set(name, layer);
      opts.progress?.(`Copying blob ${digestHex(layer.compressedDigest ?? layer.diffId).slice(0, 12)} done`);
    }
    await feeding;
    const resolve = (name: string): StagedLayer | undefined => staged.get(links.get(name) ?? name) ?? staged.get(name);
    const images = jsonFiles.has('manifest.json')
      ? dockerImages(jsonFiles, resolve)
      : jsonFiles.has('index.json')
        ? ociImages(jsonFiles, resolve)
        : undefined;
    if (!images) {
      throw new BadInputError(NOT_AN_ARCHIVE);
    }
    if (images.length === 0) throw new BadInputError('archive contains no image');
    const loaded: LoadedImage[] = [];
    for (const image of images) {
      opts.progress?.(`Copying config ${digestHex(image.configDigest).slice(0, 10)} done`);
      const result = store.createImage({
        config: image.config,
        manifest: image.manifest,
        manifestDigest: image.manifestDigest,
        created: createdTime(image.parsedConfig),
        names: image.names,
        layers: image.layers,
      });
      loaded.push({ id: result.id, names: image.names });
    }
    opts.progress?.('Writing manifest to image destination');
    return loaded;
  } catch (e) {
    await feeding.catch(() => undefined);
    throw asArchiveError(e);
  } finally {
    stream.destroy();
    for (const layer of staged.values()) rmSync(layer.dir, { recursive: true, force: true });
  }
}

/**
 * Loads an image directory (oci-dir or docker-dir, as `save` writes them) by
 * streaming its files as a tar into the archive reader.
 */
export async function loadDirectory(dir: string, store: Store, opts: LoadOptions = {}): Promise<LoadedImage[]> {
  const tar = (await import('tar-stream')).default;
  const pack = tar.pack();
  const files = listFiles(dir);
  const feeding = (async () => {
    for (const rel of files) {
      const path = join(dir, rel);
      const size = statSync(path).size;
      const entry = pack.entry({ name: rel, size });
      await pipeline(createReadStream(path), entry as unknown as NodeJS.WritableStream);
    }
    pack.finalize();
  })();
  feeding.catch((e: Error) => pack.destroy(e));
  const loaded = await loadArchive(pack as unknown as Readable, store, opts);
  await feeding;
  return loaded;
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) return listFiles(dir, rel);
    return e.isFile() ? [rel] : [];
  });
}

interface ArchiveImage {
  config: Buffer;
  parsedConfig: ImageConfig;
  configDigest: string;
  manifest: Buffer | null;
  manifestDigest: string | null;
  names: string[];
  layers: StagedLayer[];
}

function dockerImages(json: Map<string, Buffer>, resolve: (n: string) => StagedLayer | undefined): ArchiveImage[] {
  const manifest = parseJson(json.get('manifest.json')!, 'manifest.json');
  if (manifest && typeof manifest === 'object' && !Array.isArray(manifest) && manifest.config) return [dirImage(json, manifest, resolve)];
  if (!Array.isArray(manifest)) throw new BadInputError('invalid docker-archive: manifest.json is not a list');
  return manifest.map((item: { Config?: unknown; RepoTags?: unknown; Layers?: unknown }, i: number) => {
    if (typeof item?.Config !== 'string' || !Array.isArray(item.Layers)) {
      throw new BadInputError(`invalid docker-archive: manifest.json entry ${i} lacks Config or Layers`);
    }
    const configName = normalizeEntryName(item.Config);
    const config = json.get(configName);
    if (!config) throw new BadInputError(`invalid docker-archive: config ${configName} is missing`);
    const parsedConfig = parseConfig(config, configName);
    const layers = item.Layers.map((l: unknown) => {
      const layer = typeof l === 'string' ? resolve(normalizeEntryName(l)) : undefined;
      if (!layer) throw new BadInputError(`invalid docker-archive: layer ${String(l)} is missing`);
      return layer;
    });
    checkDiffIds(parsedConfig, layers, configName);
    const repoTags = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    const manifest = buildManifest('docker', config, layers);
    return {
      config,
      parsedConfig,
      configDigest: `sha256:${sha256Hex(config)}`,
      manifest: manifest.bytes,
      manifestDigest: manifest.digest,
      names: repoTags.map((t) => normalizeArchiveName(t, 'docker')),
      layers,
    };
  });
}

/** containers/image's `dir:` layout (what `save --format docker-dir` writes): blobs named by their hex digest. */
function dirImage(json: Map<string, Buffer>, manifest: ImageManifest, resolve: (n: string) => StagedLayer | undefined): ArchiveImage {
  if (!isSha256Digest(manifest.config?.digest) || !Array.isArray(manifest.layers)) {
    throw new BadInputError('invalid image directory: manifest.json lacks config or layers');
  }
  const config = json.get(digestHex(manifest.config.digest));
  if (!config || sha256Hex(config) !== digestHex(manifest.config.digest)) {
    throw new BadInputError(`invalid image directory: config ${manifest.config.digest} is missing or does not match its digest`);
  }
  const parsedConfig = parseConfig(config, manifest.config.digest);
  const layers = manifest.layers.map((l) => {
    const layer = isSha256Digest(l?.digest) ? resolve(digestHex(l.digest)) : undefined;
    if (!layer || layer.compressedDigest !== l.digest) throw new BadInputError(`invalid image directory: layer ${String(l?.digest)} is missing or does not match its digest`);
    return layer;
  });
  checkDiffIds(parsedConfig, layers, manifest.config.digest);
  const bytes = json.get('manifest.json')!;
  return {
    config,
    parsedConfig,
    configDigest: manifest.config.digest,
    manifest: bytes,
    manifestDigest: `sha256:${sha256Hex(bytes)}`,
    names: [],
    layers,
  };
}

function ociImages(json: Map<string, Buffer>, resolve: (n: string) => StagedLayer | undefined): ArchiveImage[] {
  const blob = (d: Descriptor): Buffer => {
    if (!isSha256Digest(d?.digest)) throw new BadInputError(`invalid oci-archive: bad digest ${String(d?.digest)}`);
    const data = json.get(`blobs/sha256/${digestHex(d.digest)}`);
    if (!data) throw new BadInputError(`invalid oci-archive: blob ${d.digest} is missing`);
    if (sha256Hex(data) !== digestHex(d.digest)) throw new BadInputError(`invalid oci-archive: blob ${d.digest} does not match its digest`);
    return data;
  };
  const index = parseJson(json.get('index.json')!, 'index.json') as ImageIndex;
  if (!Array.isArray(index?.manifests)) throw new BadInputError('invalid oci-archive: index.json has no manifests');
  const images: ArchiveImage[] = [];
  for (const top of index.manifests) {
    if (top === null || typeof top !== 'object') throw new BadInputError('invalid oci-archive: index.json has an entry that is not a descriptor');
    const refName = top.annotations?.[REF_NAME_ANNOTATION];
    const desc = pickPlatform(top, blob);
    const manifestBytes = blob(desc);
    const manifest = parseJson(manifestBytes, desc.digest) as ImageManifest;
    if (!manifest?.config || !Array.isArray(manifest.layers)) throw new BadInputError(`invalid oci-archive: manifest ${desc.digest} lacks config or layers`);
    const config = blob(manifest.config);
    const parsedConfig = parseConfig(config, manifest.config.digest);
    const layers = manifest.layers.map((l) => {
      const layer = isSha256Digest(l?.digest) ? resolve(`blobs/sha256/${digestHex(l.digest)}`) : undefined;
      if (!layer) throw new BadInputError(`invalid oci-archive: layer ${String(l?.digest)} is missing`);
      if (layer.compressedDigest !== l.digest) throw new BadInputError(`invalid oci-archive: layer ${l.digest} does not match its digest`);
      return layer;
    });
    checkDiffIds(parsedConfig, layers, manifest.config.digest);
    images.push({
      config,
      parsedConfig,
      configDigest: manifest.config.digest,
      manifest: manifestBytes,
      manifestDigest: desc.digest,
      names: refName ? [normalizeArchiveName(refName, 'oci')] : [],
      layers,
    });
  }
  return images;
}

/** For an index inside the archive, the manifest for this machine's platform. */
function pickPlatform(desc: Descriptor, blob: (d: Descriptor) => Buffer): Descriptor {
  if (desc.mediaType !== MEDIA.ociIndex && desc.mediaType !== MEDIA.dockerManifestList) return desc;
  const nested = parseJson(blob(desc), desc.digest) as ImageIndex;
  const arch = hostArchitecture();
  const entries = Array.isArray(nested?.manifests) ? nested.manifests.filter((m) => m !== null && typeof m === 'object') : [];
  const match = entries.find((m) => m.platform?.architecture === arch && m.platform?.os === 'linux');
  if (!match) throw new BadInputError(`no image for linux/${arch} in the archive's index ${desc.digest}`);
  return pickPlatform(match, blob);
}

function checkDiffIds(config: ImageConfig, layers: StagedLayer[], where: string): void {
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== layers.length) {
    throw new BadInputError(`invalid image config ${where}: it lists ${diffIds?.length ?? 0} layers, the manifest ${layers.length}`);
  }
  layers.forEach((l, i) => {
    if (diffIds[i] !== l.diffId) {
      throw new BadInputError(`layer ${i + 1} of ${where} has digest ${l.diffId} but the config expects ${diffIds[i]}: the archive is corrupt`);
    }
  });
}

function parseConfig(data: Buffer, where: string): ImageConfig {
  const config = parseJson(data, where) as ImageConfig;
  if (typeof config !== 'object' || config === null || typeof config.rootfs !== 'object') {
    throw new BadInputError(`invalid image config ${where}: no rootfs`);
  }
  return config;
}

function parseJson(data: Buffer, where: string): any {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (e) {
    // JSON.parse quotes the bad input, newlines included: keep the error on one line.
    throw new BadInputError(`invalid JSON in ${where}: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
}

function createdTime(config: ImageConfig): number {
  const t = config.created ? Date.parse(config.created) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Extracts one layer blob. A compressed blob is hashed as it passes (its
 * digest names it in OCI manifests); an uncompressed one is its own diff id,
 * which the extractor computes anyway, so it is not hashed twice.
 */
async function stageLayer(body: Readable, head: Buffer, store: Store): Promise<StagedLayer> {
  const rawHash = detectCompression(head) !== 'none' ? createHash('sha256') : undefined;
  let input: Readable = body;
  if (rawHash) {
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        rawHash.update(chunk);
        cb(null, chunk);
      },
    });
    body.on('error', (e) => hashing.destroy(e));
    input = body.pipe(hashing);
  }
  const { stream } = await decompressStream(input);
  const layer = await store.extractLayer(stream);
  return { ...layer, compressedDigest: rawHash ? `sha256:${rawHash.digest('hex')}` : layer.diffId };
}

function normalizeEntryName(name: string): string {
  return posix.normalize(name.replace(/^\.?\/+/, '')).replace(/^\.\//, '');
}

/** What an archive member is, from its first bytes: a layer (tar, maybe compressed), JSON, or other (VERSION files). */
function classifyBlob(head: Buffer, size: number): 'layer' | 'json' | 'other' {
  if (looksLikeJson(head) && size <= MAX_JSON) return 'json';
  if (detectCompression(head) !== 'none') return 'layer';
  if (head.length >= 263 && head.toString('latin1', 257, 262) === 'ustar') return 'layer';
  if (size >= 1024 && head.every((b) => b === 0)) return 'layer';
  return 'other';
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

function looksLikeJson(head: Buffer): boolean {
  for (const byte of head) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b; // { or [
  }
  return false;
}

/** Reads the first bytes of a stream and returns a stream that still yields them. */
async function peek(stream: Readable, bytes: number): Promise<{ chunk: Buffer; stream: Readable }> {
  const iterator = stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value as Buffer);
    length += (next.value as Buffer).length;
  }
  const chunk = Buffer.concat(chunks);
  async function* replay() {
    yield chunk;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  }
  return { chunk, stream: Readable.from(replay(), { objectMode: false }) };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}


function asArchiveError(e: unknown): unknown {
  if (e instanceof BadInputError || (e as { exitCode?: number })?.exitCode !== undefined) return e;
  const message = (e as Error)?.message ?? String(e);
  if (/Unexpected end of data/i.test(message)) return new BadInputError('the archive ends too early: it is truncated or damaged, save or copy it again');
  if (/Invalid tar header|invalid/i.test(message)) return new BadInputError(`${NOT_AN_ARCHIVE} (${message})`);
  return e;
}
