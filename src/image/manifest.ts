import { sha256Hex } from '../util/digest.js';
import { MEDIA, type ImageManifest } from './oci.js';

export interface ManifestLayer {
  diffId: string;
  tarSize: number;
}

export interface BuiltManifest {
  bytes: Buffer;
  digest: string;
  size: number;
}

/** A manifest for uncompressed layers, in OCI or Docker v2s2 form; same input, same bytes. */
export function buildManifest(kind: 'oci' | 'docker', config: Buffer, layers: ManifestLayer[], annotations?: Record<string, string>): BuiltManifest {
  const oci = kind === 'oci';
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest,
    config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: `sha256:${sha256Hex(config)}`, size: config.length },
    layers: layers.map((l) => ({ mediaType: oci ? MEDIA.ociLayer : MEDIA.dockerLayer, digest: l.diffId, size: l.tarSize })),
    ...(oci && annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
  return describe(Buffer.from(JSON.stringify(manifest)));
}

export function describe(bytes: Buffer): BuiltManifest {
  return { bytes, digest: `sha256:${sha256Hex(bytes)}`, size: bytes.length };
}
