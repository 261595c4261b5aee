import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ImageRecord, Store } from '../../storage/store.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { undoOnInterrupt } from '../../util/interrupt.js';
import { ociManifestFor, saveImages } from '../archive/save.js';
import { buildManifest } from '../manifest.js';
import { REF_NAME_ANNOTATION, digestHex, type Descriptor, type ImageIndex } from '../oci.js';
import { mapBounded, pushManifest, writeLayerBlob, type ManifestKind } from './pushLayers.js';

/**
 * Push destinations on the local file system, as containers/image's
 * transports write them: oci: (an OCI layout, added to when it exists),
 * oci-archive:, docker-archive: (both written by `save`), and dir:
 * (manifest.json, a version file, blobs named by their hex digest).
 */

type Progress = ((line: string) => void) | undefined;

export async function pushToOciArchive(store: Store, image: ImageRecord, file: string, refName: string | undefined, progress: Progress): Promise<string> {
  await saveImages(store, [{ image, names: refName ? [refName] : [] }], 'oci-archive', { path: file, progress });
  return ociManifestFor(image, store.layerChain(image.topLayer)).digest;
}

export async function pushToDockerArchive(store: Store, image: ImageRecord, file: string, names: string[], progress: Progress): Promise<string> {
  if (existsSync(file)) {
    const st = statSync(file);
    if (st.isFile() && st.size > 0) throw new InvalidArgumentError(`${file} already exists: docker-archive cannot add to an existing archive, remove it or choose another file`);
  }
  await saveImages(store, [{ image, names }], 'docker-archive', { path: file, progress });
  return buildManifest('docker', image.config, store.layerChain(image.topLayer)).digest;
}

/** Writes into an OCI layout: a new one, or an existing one whose index gains (or replaces, by ref name) the image. */
export async function pushToOciLayout(store: Store, image: ImageRecord, dir: string, refName: string | undefined, progress: Progress): Promise<string> {
  const digest = ociManifestFor(image, store.layerChain(image.topLayer)).digest;
  const names = refName ? [refName] : [];
  if (!existsSync(dir) || (statSync(dir).isDirectory() && readdirSync(dir).length === 0)) {
    rmSync(dir, { recursive: true, force: true });
    await saveImages(store, [{ image, names }], 'oci-dir', { path: dir, progress });
    return digest;
  }
  if (!existsSync(join(dir, 'oci-layout')) || !existsSync(join(dir, 'index.json'))) {
    throw new InvalidArgumentError(`${dir} exists and is not an OCI layout: choose a new or empty directory`);
  }
  const staging = join(dirname(dir), `.${basename(dir)}.push-${process.pid}`);
  const forget = undoOnInterrupt(() => rmSync(staging, { recursive: true, force: true }));
  try {
    await saveImages(store, [{ image, names }], 'oci-dir', { path: staging, progress });
    const blobs = join(dir, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    for (const blob of readdirSync(join(staging, 'blobs', 'sha256'))) {
      if (!existsSync(join(blobs, blob))) renameSync(join(staging, 'blobs', 'sha256', blob), join(blobs, blob));
    }
    const added = (JSON.parse(readFileSync(join(staging, 'index.json'), 'utf8')) as ImageIndex).manifests[0]!;
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex;
    const replaced = (m: Descriptor): boolean => {
      const name = m.annotations?.[REF_NAME_ANNOTATION];
      return refName ? name === refName : name === undefined && m.digest === added.digest;
    };
    index.manifests = [...(index.manifests ?? []).filter((m) => !replaced(m)), added];
    const tmpIndex = join(dir, `.index.json.tmp-${process.pid}`);
    writeFileSync(tmpIndex, JSON.stringify(index));
    renameSync(tmpIndex, join(dir, 'index.json'));
  } finally {
    rmSync(staging, { recursive: true, force: true });
    forget();
  }
  return digest;
}

/** containers/image's dir: transport. Layers stay uncompressed unless `compress` (--compress) asks for gzip. */
export async function pushToDir(store: Store, image: ImageRecord, dir: string, kind: ManifestKind, compress: boolean, progress: Progress): Promise<string> {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new InvalidArgumentError(`${dir} exists and is not a directory: choose a new directory`);
    if (readdirSync(dir).length > 0 && !existsSync(join(dir, 'version'))) {
      throw new InvalidArgumentError(`${dir} is not empty and holds no image: choose a new or empty directory`);
    }
  }
  const staging = join(dirname(dir), `.${basename(dir)}.push-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const forget = undoOnInterrupt(() => rmSync(staging, { recursive: true, force: true }));
  mkdirSync(staging, { recursive: true });
  try {
    const layers = store.layerChain(image.topLayer);
    const blobs = await mapBounded(layers, 3, async (layer, i) => {
      const tmp = join(staging, `.layer-${i}`);
      const blob = await writeLayerBlob(store, layer, compress ? 'gzip' : 'none', tmp);
      renameSync(tmp, join(staging, digestHex(blob.digest)));
      progress?.(`Copying blob ${digestHex(layer.diffId).slice(0, 12)} done`);
      return blob;
    });
    writeFileSync(join(staging, image.id), image.config);
    progress?.(`Copying config ${image.id.slice(0, 12)} done`);
    progress?.('Writing manifest to image destination');
    const manifest = pushManifest(kind, image, blobs);
    writeFileSync(join(staging, 'manifest.json'), manifest.bytes);
    writeFileSync(join(staging, 'version'), 'Directory Transport Version: 1.1\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    return manifest.digest;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  } finally {
    forget();
  }
}
