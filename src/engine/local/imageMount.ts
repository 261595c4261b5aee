import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MNT, MS, syscalls } from '../../os/syscalls.js';
import { isMountPoint } from '../../storage/containerLayer.js';
import type { ImageRecord, Store } from '../../storage/store.js';

/**
 * `image mount`: an image's layers as a read-only overlay at
 * <base>/image-mounts/<id>/merged (an empty dir under them, as overlayfs
 * wants two lower dirs when there is no upper one).
 */
export function imageMountDir(store: Store, id: string): string {
  return join(store.base, 'image-mounts', id, 'merged');
}

export function mountImage(store: Store, image: ImageRecord): string {
  const merged = imageMountDir(store, image.id);
  if (isMountPoint(merged)) return merged;
  mkdirSync(merged, { recursive: true, mode: 0o700 });
  const empty = join(store.base, 'image-mounts', image.id, 'empty');
  mkdirSync(empty, { recursive: true, mode: 0o755 });
  const lowers = store.layerChain(image.topLayer).reverse().map((l) => store.layerDiffDir(l.id));
  lowers.push(empty);
  syscalls().mount('overlay', merged, 'overlay', MS.RDONLY, `lowerdir=${lowers.join(':')}`);
  return merged;
}

/** Unmounts; false when it was not mounted. */
export function unmountImage(store: Store, id: string): boolean {
  const merged = imageMountDir(store, id);
  if (!isMountPoint(merged)) return false;
  try {
    syscalls().umount2(merged, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
    syscalls().umount2(merged, MNT.DETACH);
  }
  rmSync(join(store.base, 'image-mounts', id), { recursive: true, force: true });
  return true;
}

export function mountedImageIds(store: Store): string[] {
  return store.listImages().filter((i) => isMountPoint(imageMountDir(store, i.id))).map((i) => i.id);
}
