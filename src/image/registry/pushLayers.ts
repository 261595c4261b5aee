import { createWriteStream, existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { ImageRecord, LayerRecord, Store } from '../../storage/store.js';
import { BadInputError, TspodError } from '../../util/errors.js';
import { describe, type BuiltManifest } from '../manifest.js';
import { MEDIA, type Descriptor, type ImageManifest } from '../oci.js';
import { sha256Hex } from '../../util/digest.js';
import { encodeLayer, type LayerCompression, type PushedBlob } from './layerBlob.js';

export type { LayerCompression, PushedBlob } from './layerBlob.js';

/**
 * The pieces every push destination shares: layer blobs produced from the
 * store (uncompressed, gzip or zstd) with their digests, and the manifest
 * that references them in OCI or Docker v2s2 form.
 */

export type ManifestKind = 'oci' | 'docker';

/**
 * Writes one layer to `dest` (a file path, or a stream such as an upload's
 * body) in the wanted compression and returns the blob's digest and size.
 * The uncompressed stream is checked against the layer's diff id (or, for
 * gzip, the CRC-32 stored with it) once it has all been written, so damaged
 * storage is never pushed as a valid image.
 * It runs on this thread, deflate on libuv's pool: a worker thread for the
 * replay and hashing measured no faster on 2 cores (the registry on the same
 * machine wants the other one) and cost 0.1 s more CPU per 100 MiB.
 */
export async function writeLayerBlob(
  store: Store,
  layer: LayerRecord,
  compression: LayerCompression,
  dest: string | Writable,
  onBytes?: (uncompressed: number) => void,
): Promise<PushedBlob> {
  const tarSplitPath = store.layerTarSplit(layer.id);
  if (!existsSync(tarSplitPath)) {
    throw new TspodError(`layer ${layer.id.slice(0, 12)} has no tar-split data: storage is damaged, remove and reload the image`);
  }
  const job = { layerId: layer.id, layerDir: store.layerDiffDir(layer.id), tarSplitPath, diffId: layer.diffId, tarSize: layer.tarSize, tarCrc32: layer.tarCrc32, compression };
  const sink = typeof dest === 'string' ? createWriteStream(dest) : dest;
  return encodeLayer(job, sink, onBytes);
}

const LAYER_MEDIA: Record<ManifestKind, Record<LayerCompression, string | undefined>> = {
  oci: { none: MEDIA.ociLayer, gzip: MEDIA.ociLayerGzip, zstd: MEDIA.ociLayerZstd },
  docker: { none: MEDIA.dockerLayer, gzip: MEDIA.dockerLayerGzip, zstd: undefined },
};

export function layerMediaType(kind: ManifestKind, compression: LayerCompression): string {
  const type = LAYER_MEDIA[kind][compression];
  if (!type) throw new TspodError('Docker v2s2 manifests cannot describe zstd layers: use --format oci or --compression-format gzip');
  return type;
}

export function compressionOfMediaType(mediaType: string): LayerCompression | undefined {
  for (const table of Object.values(LAYER_MEDIA)) {
    for (const [compression, type] of Object.entries(table)) if (type === mediaType) return compression as LayerCompression;
  }
  return undefined;
}

/** The image's stored manifest, when it is a parseable single-image manifest. */
export function storedManifest(image: ImageRecord): ImageManifest | undefined {
  if (!image.manifest) return undefined;
  try {
    const m = JSON.parse(image.manifest.toString('utf8')) as ImageManifest;
    return m && typeof m === 'object' && Array.isArray(m.layers) && m.config ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The manifest kind the image came with (Podman pushes that when the destination allows it); OCI when unknown. */
export function sourceKind(image: ImageRecord): ManifestKind {
  return storedManifest(image)?.mediaType === MEDIA.dockerManifest ? 'docker' : 'oci';
}

/**
 * The manifest for pushed blobs. The config bytes never change, so the image
 * id stays the same whatever the format; an OCI manifest keeps the
 * annotations the stored OCI manifest had.
 */
export function pushManifest(kind: ManifestKind, image: ImageRecord, layers: PushedBlob[]): BuiltManifest {
  const oci = kind === 'oci';
  const stored = storedManifest(image);
  const keepAnnotations = oci && stored !== undefined && (stored.mediaType ?? MEDIA.ociManifest) === MEDIA.ociManifest;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest,
    config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: `sha256:${image.id}`, size: image.config.length },
    layers: layers.map((l, i) => {
      const d: Descriptor = { mediaType: layerMediaType(kind, l.compression), digest: l.digest, size: l.size };
      const annotations = keepAnnotations ? stored.layers[i]?.annotations : undefined;
      if (annotations && Object.keys(annotations).length > 0) d.annotations = annotations;
      return d;
    }),
  };
  if (keepAnnotations && stored.annotations && Object.keys(stored.annotations).length > 0) manifest.annotations = stored.annotations;
  if (sha256Hex(image.config) !== image.id) {
    throw new BadInputError(`the config of image ${image.id.slice(0, 12)} does not match its id: storage is damaged, remove and pull the image again`);
  }
  return describe(Buffer.from(JSON.stringify(manifest)));
}

/** Runs `work` over `items` with at most `limit` at a time; results keep the items' order. */
export async function mapBounded<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  // The first failure in time is the one to report: those after it are often its consequences.
  let failure: { reason: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!, i);
      } catch (e) {
        failure ??= { reason: e };
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  if (failure) throw failure.reason;
  return results;
}
