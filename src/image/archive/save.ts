import { mkdirSync, writeFileSync, createWriteStream, renameSync, rmSync, existsSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { Store, ImageRecord, LayerRecord } from '../../storage/store.js';
import { replayTarSplit } from '../../storage/tar/tarsplit.js';
import { InvalidArgumentError, TspodError } from '../../util/errors.js';
import { undoOnInterrupt } from '../../util/interrupt.js';
import { MEDIA, REF_NAME_ANNOTATION, digestHex } from '../oci.js';
import type { Descriptor, ImageManifest } from '../oci.js';
import { buildManifest, describe, type BuiltManifest } from '../manifest.js';
import { atomicFile } from '../../util/atomicFile.js';

export const SAVE_FORMATS = ['docker-archive', 'oci-archive', 'oci-dir', 'docker-dir'] as const;
export type SaveFormat = (typeof SAVE_FORMATS)[number];

export interface ImageToSave {
  image: ImageRecord;
  /** Names to record in the archive (RepoTags; the first is the OCI ref.name). */
  names: string[];
}

export interface SaveTarget {
  /** A file (archives) or a directory (dir formats). Absent: write the archive to `stream`. */
  path?: string;
  stream?: Writable;
  /** Called with podman's progress lines ("Copying blob ..."), when wanted. */
  progress?: (line: string) => void;
}

const EPOCH = new Date(0);

/** Writes images in the chosen format; layers are rebuilt byte-exact from their tar-split. */
export async function saveImages(store: Store, images: ImageToSave[], format: SaveFormat, target: SaveTarget): Promise<void> {
  if (images.length > 1 && format !== 'docker-archive') {
    throw new InvalidArgumentError(`${format} holds one image: save several images with --format docker-archive`);
  }
  if (format === 'oci-dir' || format === 'docker-dir') {
    if (!target.path) throw new InvalidArgumentError(`${format} writes a directory: give it with --output`);
    return saveToDirectory(store, images[0]!, format, target.path, target.progress);
  }
  const tar = (await import('tar-stream')).default;
  const pack = tar.pack();
  const sink = target.path ? atomicFile(target.path) : { stream: target.stream!, commit: async () => {}, abort: () => {} };
  const writing = pipeline(pack as unknown as Readable, sink.stream);
  try {
    if (format === 'docker-archive') await writeDockerArchive(store, images, pack, target.progress);
    else await writeOciArchive(store, images[0]!, pack, target.progress);
    target.progress?.('Writing manifest to image destination');
    pack.finalize();
    await writing;
    await sink.commit();
  } catch (e) {
    pack.destroy(e as Error);
    await writing.catch(() => undefined);
    sink.abort();
    throw e;
  }
}

type Pack = import('tar-stream').Pack;

async function writeDockerArchive(store: Store, images: ImageToSave[], pack: Pack, progress: Progress): Promise<void> {
  const written = new Set<string>();
  const manifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, names } of images) {
    const configName = `${image.id}.json`;
    if (!written.has(configName)) {
      await addBuffer(pack, configName, image.config);
      written.add(configName);
    }
    const layers = store.layerChain(image.topLayer);
    const layerNames: string[] = [];
    for (const layer of layers) {
      const layerName = `${digestHex(layer.diffId)}.tar`;
      if (!written.has(layerName)) {
        await addLayer(store, pack, layerName, layer, progress);
        written.add(layerName);
      }
      layerNames.push(layerName);
    }
    manifest.push({ Config: configName, RepoTags: names, Layers: layerNames });
    for (const name of layers.length > 0 ? names : []) {
      const at = name.lastIndexOf(':');
      (repositories[name.slice(0, at)] ??= {})[name.slice(at + 1)] = digestHex(layers[layers.length - 1]!.diffId);
    }
  }
  await addBuffer(pack, 'manifest.json', Buffer.from(JSON.stringify(manifest)));
  await addBuffer(pack, 'repositories', Buffer.from(JSON.stringify(repositories)));
}

async function writeOciArchive(store: Store, { image, names }: ImageToSave, pack: Pack, progress: Progress): Promise<void> {
  const layers = store.layerChain(image.topLayer);
  const manifest = ociManifestFor(image, layers);
  await addBuffer(pack, 'oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  for (const layer of layers) await addLayer(store, pack, `blobs/sha256/${digestHex(layer.diffId)}`, layer, progress);
  await addBuffer(pack, `blobs/sha256/${image.id}`, image.config);
  await addBuffer(pack, `blobs/sha256/${digestHex(manifest.digest)}`, manifest.bytes);
  await addBuffer(pack, 'index.json', ociIndex(manifest, names[0]));
}

async function saveToDirectory(store: Store, { image, names }: ImageToSave, format: 'oci-dir' | 'docker-dir', dir: string, progress: Progress): Promise<void> {
  if (existsSync(dir)) throw new InvalidArgumentError(`${dir} already exists: choose a new directory for --output`);
  const staging = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  const forget = undoOnInterrupt(() => rmSync(staging, { recursive: true, force: true }));
  mkdirSync(staging, { recursive: true });
  try {
    const layers = store.layerChain(image.topLayer);
    if (format === 'oci-dir') {
      const blobs = join(staging, 'blobs', 'sha256');
      mkdirSync(blobs, { recursive: true });
      const manifest = ociManifestFor(image, layers);
      for (const layer of layers) await writeLayerFile(store, layer, join(blobs, digestHex(layer.diffId)), progress);
      writeFileSync(join(blobs, image.id), image.config);
      writeFileSync(join(blobs, digestHex(manifest.digest)), manifest.bytes);
      writeFileSync(join(staging, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      writeFileSync(join(staging, 'index.json'), ociIndex(manifest, names[0]));
    } else {
      for (const layer of layers) await writeLayerFile(store, layer, join(staging, digestHex(layer.diffId)), progress);
      writeFileSync(join(staging, image.id), image.config);
      writeFileSync(join(staging, 'manifest.json'), buildManifest('docker', image.config, layers).bytes);
      writeFileSync(join(staging, 'version'), 'Directory Transport Version: 1.1\n');
    }
    renameSync(staging, dir);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  } finally {
    forget();
  }
}

/**
 * The OCI manifest of an image with uncompressed layers. The manifest stored
 * at load is reused when it already describes exactly that, so a
 * load/save round trip keeps the manifest digest.
 */
export function ociManifestFor(image: ImageRecord, layers: LayerRecord[]): BuiltManifest {
  const stored = image.manifest && reusableManifest(image.manifest, image.id, layers);
  return stored ? describe(stored) : buildManifest('oci', image.config, layers);
}

function reusableManifest(bytes: Buffer, imageId: string, layers: LayerRecord[]): Buffer | undefined {
  try {
    const m = JSON.parse(bytes.toString('utf8')) as ImageManifest;
    const same =
      (m.mediaType ?? MEDIA.ociManifest) === MEDIA.ociManifest &&
      m.config?.digest === `sha256:${imageId}` &&
      m.layers.length === layers.length &&
      m.layers.every((l, i) => l.mediaType === MEDIA.ociLayer && l.digest === layers[i]!.diffId && l.size === layers[i]!.tarSize);
    return same ? bytes : undefined;
  } catch {
    return undefined;
  }
}


function ociIndex(manifest: { digest: string; size: number }, name: string | undefined): Buffer {
  const descriptor: Descriptor = { mediaType: MEDIA.ociManifest, digest: manifest.digest, size: manifest.size };
  if (name) descriptor.annotations = { [REF_NAME_ANNOTATION]: name };
  return Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }));
}

function addBuffer(pack: Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: data.length, mtime: EPOCH, mode: 0o644 }, data, (err) => (err ? reject(err) : resolve()));
  });
}

async function addLayer(store: Store, pack: Pack, name: string, layer: LayerRecord, progress: Progress): Promise<void> {
  const entry = pack.entry({ name, size: layer.tarSize, mtime: EPOCH, mode: 0o644 });
  await pipeline(layerStream(store, layer, progress), entry as unknown as Writable);
}

async function writeLayerFile(store: Store, layer: LayerRecord, path: string, progress: Progress): Promise<void> {
  await pipeline(layerStream(store, layer, progress), createWriteStream(path));
}

type Progress = ((line: string) => void) | undefined;

/** A layer's uncompressed tar, rebuilt byte for byte from its diff and tar-split. */
export function layerStream(store: Store, layer: LayerRecord, progress: Progress): Readable {
  progress?.(`Copying blob ${digestHex(layer.diffId).slice(0, 12)} done`);
  const path = store.layerTarSplit(layer.id);
  if (!existsSync(path)) {
    throw new TspodError(`layer ${layer.id.slice(0, 12)} has no tar-split data: storage is damaged, remove and reload the image`);
  }
  return replayTarSplit(store.layerDiffDir(layer.id), path);
}

