/**
 * COPY/ADD into a working container's root filesystem, with Docker's rules:
 * a directory source copies its contents; a file lands inside the destination
 * when it is (or ends with `/` like) a directory; new files and directories
 * belong to 0:0 or --chown; modes and mtimes come from the source (or --chmod).
 * Every destination path resolves inside the container (chroot semantics).
 */
import {
  chmodSync,
  copyFileSync,
  constants,
  lchownSync,
  lutimesSync,
  mkdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { posix } from 'node:path';
import type { RootedTree } from '../engine/local/containerRootfs.js';
import { InvalidArgumentError } from '../util/errors.js';

export interface CopyEntrySource {
  /** Path relative to the source (`''`: the source itself). */
  rel: string;
  host: string;
  stat: Stats;
}

export interface SourceToCopy {
  /** For a file: its name at the destination when the destination is a directory. */
  name: string;
  host: string;
  stat: Stats;
  /** For a directory: its entries, relative, parents first. */
  entries?: CopyEntrySource[];
  /** Keep the source's own uid/gid (COPY --from) instead of 0:0. */
  keepOwner?: boolean;
}

export interface CopyOptions {
  owner?: { uid: number; gid: number };
  chmod?: number;
}

/** The container path `dest` as a directory: created (0755, owned like the copy) when missing. */
export function ensureDirectory(tree: RootedTree, dest: string, owner: { uid: number; gid: number }): string {
  const r = tree.resolve(dest, true);
  if (r.stat) {
    if (!r.stat.isDirectory()) throw new InvalidArgumentError(`cannot copy into ${dest}: it exists in the image and is not a directory`);
    return r.path;
  }
  const parent = ensureDirectory(tree, posix.dirname(r.path), owner);
  const path = posix.join(parent, posix.basename(r.path));
  const host = tree.hostPath(path);
  mkdirSync(host, { mode: 0o755 });
  chmodSync(host, 0o755);
  lchownSync(host, owner.uid, owner.gid);
  return path;
}

export function copyIntoTree(tree: RootedTree, sources: SourceToCopy[], dest: string, opts: CopyOptions): void {
  const intoDirectory = dest.endsWith('/') || sources.length > 1;
  const createdOwner = opts.owner ?? { uid: 0, gid: 0 };
  for (const src of sources) {
    const owner = (st: Stats) => opts.owner ?? (src.keepOwner ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });
    if (src.stat.isDirectory()) {
      const dir = ensureDirectory(tree, dest, createdOwner);
      const dirTimes: Array<{ host: string; st: Stats }> = [];
      for (const e of src.entries ?? []) {
        const target = tree.resolve(posix.join(dir, e.rel), false);
        placeEntry(target.host, target.stat, e.stat, e.host, owner(e.stat), opts.chmod, dirTimes);
      }
      for (const d of dirTimes.reverse()) lutimesSync(d.host, d.st.atime, d.st.mtime);
      continue;
    }
    const existing = tree.resolve(dest, true);
    let target: string;
    if (intoDirectory || existing.stat?.isDirectory()) {
      const dir = ensureDirectory(tree, dest, createdOwner);
      target = posix.join(dir, src.name);
    } else {
      const parent = ensureDirectory(tree, posix.dirname(existing.path), createdOwner);
      target = posix.join(parent, posix.basename(existing.path));
    }
    const resolved = tree.resolve(target, false);
    placeEntry(resolved.host, resolved.stat, src.stat, src.host, owner(src.stat), opts.chmod, []);
  }
}

function placeEntry(
  host: string,
  existing: Stats | undefined,
  st: Stats,
  from: string,
  owner: { uid: number; gid: number },
  chmod: number | undefined,
  dirTimes: Array<{ host: string; st: Stats }>,
): void {
  const mode = chmod ?? st.mode & 0o7777;
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) unlinkSync(host);
    if (!existing?.isDirectory()) mkdirSync(host, { mode: 0o700 });
    lchownSync(host, owner.uid, owner.gid);
    chmodSync(host, mode);
    dirTimes.push({ host, st });
    return;
  }
  if (existing?.isDirectory()) rmSync(host, { recursive: true, force: true });
  else if (existing) unlinkSync(host);
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), host);
    lchownSync(host, owner.uid, owner.gid);
    lutimesSync(host, st.atime, st.mtime);
    return;
  }
  if (!st.isFile()) {
    throw new InvalidArgumentError(`cannot copy ${from}: only files, directories and symlinks can be copied into an image`);
  }
  copyFileSync(from, host, constants.COPYFILE_FICLONE);
  lchownSync(host, owner.uid, owner.gid);
  chmodSync(host, mode);
  lutimesSync(host, st.atime, st.mtime);
}
