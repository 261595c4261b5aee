import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageRecord, LayerRecord, Store } from '../../storage/store.js';
import { BadInputError, MissingProgramError, TspodError } from '../../util/errors.js';
import { layerStream } from '../archive/save.js';
import { describe, type BuiltManifest } from '../manifest.js';
import { MEDIA, type Descriptor, type ImageManifest } from '../oci.js';
import { sha256Hex } from '../../util/digest.js';
import { ParallelGzip } from './parallelGzip.js';

/**
 * The pieces every push destination shares: layer blobs produced from the
 * store (uncompressed, gzip or zstd) with their digests, and the manifest
 * that references them in OCI or Docker v2s2 form.
 */

export type LayerCompression = 'none' | 'gzip' | 'zstd';
export type ManifestKind = 'oci' | 'docker';

export interface PushedBlob {
  digest: string;
  size: number;
  compression: LayerCompression;
}

/** Counts and hashes what passes through. */
class Digester extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly onBytes?: (size: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.onBytes?.(this.size);
    callback(null, chunk);
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/**
 * Writes one layer to `dest` (a file path, or a stream such as an upload's
 * body) in the wanted compression and returns the blob's digest and size.
 * The uncompressed stream is checked against the layer's diff id once it has
 * all been written, so damaged storage is never pushed as a valid image.
 */
export async function writeLayerBlob(
  store: Store,
  layer: LayerRecord,
  compression: LayerCompression,
  dest: string | Writable,
  onBytes?: (uncompressed: number) => void,
): Promise<PushedBlob> {
  const uncompressed = new Digester(onBytes);
  const compressed = new Digester();
  const source = layerStream(store, layer, undefined);
  const sink = typeof dest === 'string' ? createWriteStream(dest) : dest;
  if (compression === 'none') {
    await pipeline(source, uncompressed, sink);
  } else if (compression === 'gzip') {
    await pipeline(source, uncompressed, new ParallelGzip(), compressed, sink);
  } else {
    await zstdCompress(source, uncompressed, compressed, sink);
  }
  const diffId = uncompressed.digest();
  if (diffId !== layer.diffId) {
    throw new BadInputError(`layer ${layer.id.slice(0, 12)} reads back as ${diffId}, not ${layer.diffId}: storage is damaged, remove and pull the image again`);
  }
  if (compression === 'none') return { digest: diffId, size: uncompressed.size, compression };
  return { digest: compressed.digest(), size: compressed.size, compression };
}

async function zstdCompress(input: Readable, hasher: Digester, digester: Digester, sink: Writable): Promise<void> {
  // One thread and a fixed level: the same layer always gives the same blob, so a second push finds it.
  const child = spawn('zstd', ['-q', '-c', '-3'], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (e) {
    input.destroy();
    sink.destroy();
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingProgramError('zstd', 'zstd');
    throw e;
  }
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    await Promise.all([pipeline(input, hasher, child.stdin!), pipeline(child.stdout!, digester, sink)]);
  } catch (e) {
    child.kill();
    throw e;
  }
  const code = await exited;
  if (code !== 0) throw new TspodError(`zstd failed compressing a layer: ${Buffer.concat(stderr).toString().trim() || `exit status ${code}`}`);
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
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, items.length) }, () => worker());
  const settled = await Promise.allSettled(workers);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}
