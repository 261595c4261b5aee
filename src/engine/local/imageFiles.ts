import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ImageFilesTarget } from '../types.js';
import { extractTar, packTree } from './containerCopy.js';
import { RootedTree } from './containerRootfs.js';

/** build --output: the files of a mounted image as a tar stream or into a host directory. */
export async function exportImageFiles(rootfs: string, target: ImageFilesTarget): Promise<void> {
  const tar = packTree(rootfs, { rootName: '' });
  if (target.type === 'tar') {
    await pipeline(tar, target.out);
    return;
  }
  const dir = resolve(target.dir);
  mkdirSync(dir, { recursive: true });
  await extractTar(tar, { tree: new RootedTree([{ destination: '/', host: dir }]), baseDir: '/', owner: 'archive', overwrite: true, chown: process.getuid?.() === 0 });
}
