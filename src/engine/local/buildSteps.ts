/**
 * What `build` needs from the image store beyond commit: config-only steps
 * (a new image of the same layers) and the layer cache lookup. Like Buildah,
 * the cache key of a step is its history entry: an image is a cached step when
 * it sits on the parent's layers (the same top layer, or one layer more), its
 * history is the parent's plus one entry, and that entry's created_by matches.
 */
import { join } from 'node:path';
import { buildManifest } from '../../image/manifest.js';
import type { HistoryEntry, ImageConfig } from '../../image/oci.js';
import { hostArchitecture } from '../../image/oci.js';
import type { StagedLayer, Store } from '../../storage/store.js';
import { NoSuchImageError, TspodError } from '../../util/errors.js';
import type { ImageDeriveOptions } from '../types.js';

function parseImageConfig(bytes: Buffer, id: string): ImageConfig {
  try {
    return JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw new TspodError(`image ${id.slice(0, 12)} has a damaged config in storage: remove it and build or pull it again`);
  }
}

export function deriveImage(store: Store, base: string | null, opts: ImageDeriveOptions): { id: string } {
  const created = opts.created ?? new Date().toISOString();
  let baseConfig: ImageConfig;
  let layers: StagedLayer[] = [];
  if (base) {
    const image = store.getImage(base);
    if (!image) throw new NoSuchImageError(`image ${base.slice(0, 12)} was removed during the build: build again`);
    baseConfig = parseImageConfig(image.config, image.id);
    layers = store.layerChain(image.topLayer).map((l) => ({
      dir: join(store.base, 'unused-base'),
      diffId: l.diffId,
      compressedDigest: l.compressedDigest,
      tarSize: l.tarSize,
      contentSize: l.contentSize,
    }));
  } else {
    baseConfig = {
      architecture: opts.architecture ?? hostArchitecture(),
      os: opts.os ?? 'linux',
      ...(opts.variant ? { variant: opts.variant } : {}),
      rootfs: { type: 'layers', diff_ids: [] },
    };
  }
  const entry: HistoryEntry = { created, created_by: opts.createdBy ?? '', empty_layer: true };
  const config: ImageConfig = {
    ...baseConfig,
    created,
    ...(opts.author !== undefined ? { author: opts.author } : {}),
    config: opts.config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: [...(baseConfig.history ?? []), ...(opts.createdBy !== undefined ? [entry] : [])],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest = buildManifest(opts.format ?? 'oci', configBytes, layers, opts.annotations);
  const { id } = store.createImage({
    config: configBytes,
    manifest: manifest.bytes,
    manifestDigest: manifest.digest,
    created: Date.parse(created),
    names: [],
    layers,
  });
  return { id };
}

export function findBuildStep(store: Store, parent: string | null, createdBy: string): string | undefined {
  let parentTop: string | null = null;
  let parentHistory: HistoryEntry[] = [];
  if (parent) {
    const image = store.getImage(parent);
    if (!image) return undefined;
    parentTop = image.topLayer;
    parentHistory = parseImageConfig(image.config, image.id).history ?? [];
  }
  const rows = store.db
    .prepare(
      `SELECT id, config, created FROM images
       WHERE top_layer IS ? OR top_layer IN (SELECT id FROM layers WHERE parent IS ?)
       ORDER BY created DESC`,
    )
    .all(parentTop, parentTop) as Array<{ id: string; config: Buffer; created: number }>;
  const expected = JSON.stringify(parentHistory);
  for (const row of rows) {
    if (row.id === parent) continue;
    let history: HistoryEntry[];
    try {
      history = (JSON.parse(row.config.toString('utf8')) as ImageConfig).history ?? [];
    } catch {
      continue;
    }
    if (history.length !== parentHistory.length + 1) continue;
    if (history[history.length - 1]!.created_by !== createdBy) continue;
    if (JSON.stringify(history.slice(0, -1)) !== expected) continue;
    return row.id;
  }
  return undefined;
}
