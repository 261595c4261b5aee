/**
 * `cp` between a container and the host, or a tar archive on stdin/stdout.
 *
 * Both directions go through one tar stream: the source side packs a tree
 * (never following a symlink inside it), the destination side extracts it.
 * Container paths resolve through a RootedTree (chroot semantics over the
 * root filesystem and volume/bind mounts); on the host the extraction is
 * rooted at the destination directory, so an entry can never land outside it,
 * whatever symlinks or `..` names an archive holds.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  chmodSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import tarStream from 'tar-stream';
import { addEntry as entry, fileEntry, type TarHeader } from '../../storage/tarPack.js';
import { syscalls } from '../../os/syscalls.js';
import { BadInputError, InvalidArgumentError, NoSuchPathError, TspodError, errorMessage } from '../../util/errors.js';
import { RootedTree } from './containerRootfs.js';

export interface PackOptions {
  /** The name of the packed root in the archive; '' packs a directory's contents only. */
  rootName: string;
  /** Checks a directory is still inside the tree before it is read. */
  checkDir?: (hostDir: string) => void;
  /** Called once the walk has ended, however it ended. */
  onDone?: () => void;
}

/** A descriptor's own path: a pinned directory, opened (and stat'ed) through the magic link. */
const PINNED = /^\/proc\/self\/fd\/\d+$/;

/** A tar stream of the tree at a host path (lstat only: symlinks are packed as links). */
export function packTree(hostPath: string, opts: PackOptions): Readable {
  const pack = tarStream.pack();
  const links = new Map<string, string>();
  const add = async (host: string, name: string, st: Stats): Promise<void> => {
    const base = {
      name,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000),
    };
    if (st.isDirectory()) {
      if (name !== '') await entry(pack, { ...base, name: name + '/', type: 'directory' });
      opts.checkDir?.(host);
      // Children are named through the directory's descriptor: a directory swapped
      // for a symlink mid-walk cannot lead the walk out of the tree.
      let dirFd: number;
      try {
        dirFd = openSync(host, constants.O_RDONLY | constants.O_DIRECTORY | (PINNED.test(host) ? 0 : constants.O_NOFOLLOW));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ELOOP' || code === 'ENOTDIR') throw new InvalidArgumentError(`${name || '.'} changed into a symlink or a file while copying: retry with the container stopped`);
        throw new TspodError(`reading ${name || '.'}: ${errorMessage(e)}: check its permissions`);
      }
      try {
        const children = readdirSync(`/proc/self/fd/${dirFd}`).sort();
        for (const child of children) {
          const childHost = `/proc/self/fd/${dirFd}/${child}`;
          let childSt: Stats;
          try {
            childSt = lstatSync(childHost);
          } catch {
            continue; // removed while we walked
          }
          await add(childHost, name === '' ? child : `${name}/${child}`, childSt);
        }
      } finally {
        closeSync(dirFd);
      }
      return;
    }
    if (st.isSymbolicLink()) {
      await entry(pack, { ...base, type: 'symlink', linkname: readlinkSync(host) });
      return;
    }
    if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        await entry(pack, { ...base, type: 'link', linkname: first });
        return;
      }
      if (st.nlink > 1) links.set(key, name);
      await fileEntry(pack, { ...base, type: 'file', size: st.size }, host);
      return;
    }
    const type = st.isCharacterDevice() ? 'character-device' : st.isBlockDevice() ? 'block-device' : st.isFIFO() ? 'fifo' : undefined;
    if (!type) return; // sockets do not go into archives
    const rdev = st.rdev;
    await entry(pack, { ...base, type, devmajor: Math.floor(rdev / 256) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) });
  };
  (async () => {
    const st = PINNED.test(hostPath) ? statSync(hostPath) : lstatSync(hostPath);
    await add(hostPath, opts.rootName, st);
    pack.finalize();
  })()
    .catch((e: unknown) => pack.destroy(e as Error))
    .finally(() => opts.onDone?.());
  return Readable.from(pack) as Readable;
}

export interface ExtractOptions {
  tree: RootedTree;
  /** The container path (in tree) the archive's names are relative to; must be a directory. */
  baseDir: string;
  /** Keep the archive's owners (true) or give everything this uid/gid. */
  owner: { uid: number; gid: number } | 'archive';
  /** Replace a directory by a non-directory and vice versa. */
  overwrite: boolean;
  /** Whether lchown is possible (we are root). */
  chown: boolean;
}

/** Normalises an archive name; names reaching above the archive's root are refused. */
export function archiveName(name: string): string {
  const clean = posix.normalize('/' + name).slice(1).replace(/\/+$/, '');
  const lexical = name.split('/').filter((p) => p !== '' && p !== '.');
  let depth = 0;
  for (const p of lexical) {
    depth += p === '..' ? -1 : 1;
    if (depth < 0) throw new BadInputError(`invalid archive: entry ${JSON.stringify(name)} points outside the destination`);
  }
  return clean;
}

/** Extracts a tar stream into a RootedTree below baseDir. */
export async function extractTar(input: Readable, opts: ExtractOptions): Promise<void> {
  const extract = tarStream.extract();
  const dirTimes: Array<{ path: string; mtime: Date }> = [];
  const base = posix.normalize('/' + opts.baseDir);
  /**
   * Where an entry goes: its parent opened without following symlinks, and
   * the entry named through that descriptor, so a container that swaps a
   * directory for a symlink mid-copy cannot redirect the write to the host.
   */
  const place = (name: string): { host: string; path: string; dirFd?: number } => {
    const rel = archiveName(name);
    if (rel === '') return { host: opts.tree.hostPath(base), path: base };
    const parent = opts.tree.resolve(posix.join(base, posix.dirname(rel)), true);
    if (!parent.stat) mkdirParents(opts.tree, posix.join(base, posix.dirname(rel)));
    const resolvedParent = opts.tree.resolve(posix.join(base, posix.dirname(rel)), true);
    if (!resolvedParent.stat?.isDirectory()) {
      throw new TspodError(`cannot extract ${rel}: ${posix.dirname(rel)} is not a directory in the destination`);
    }
    const path = posix.join(resolvedParent.path, posix.basename(rel));
    if (opts.tree.isMountRoot(path)) return { host: opts.tree.hostPath(path), path };
    const dirFd = opts.tree.openDir(resolvedParent.path);
    return { host: `/proc/self/fd/${dirFd}/${posix.basename(rel)}`, path, dirFd };
  };
  const owner = (h: TarHeader) => (opts.owner === 'archive' ? { uid: h.uid ?? 0, gid: h.gid ?? 0 } : opts.owner);
  const clear = (host: string, wantDir: boolean, name: string): Stats | undefined => {
    let st: Stats | undefined;
    try {
      st = lstatSync(host);
    } catch {
      return undefined;
    }
    if (st.isDirectory()) {
      if (wantDir) return st;
      if (!opts.overwrite) throw new TspodError(`cannot overwrite directory ${JSON.stringify(name)} with non-directory: use --overwrite to replace it`);
      rmSync(host, { recursive: true, force: true });
      return undefined;
    }
    if (wantDir && !opts.overwrite) throw new TspodError(`cannot overwrite non-directory ${JSON.stringify(name)} with directory: use --overwrite to replace it`);
    unlinkSync(host);
    return undefined;
  };
  const finish = (host: string, h: TarHeader, isLink: boolean) => {
    const o = owner(h);
    if (opts.chown) lchownSync(host, o.uid, o.gid);
    if (!isLink) chmodSync(host, (h.mode ?? 0o644) & 0o7777);
    const mtime = h.mtime ?? new Date();
    lutimesSync(host, mtime, mtime);
  };
  const handle = async (h: TarHeader, stream: tarStream.Extract extends AsyncIterable<infer S> ? S : never): Promise<void> => {
    const { host, path, dirFd } = place(h.name);
    try {
      await handleAt(h, stream, host, path);
    } finally {
      if (dirFd !== undefined) closeSync(dirFd);
    }
  };
  const handleAt = async (h: TarHeader, stream: tarStream.Extract extends AsyncIterable<infer S> ? S : never, host: string, path: string): Promise<void> => {
    switch (h.type) {
      case 'directory': {
        const existing = clear(host, true, h.name);
        if (!existing) mkdirSync(host, { mode: 0o700 });
        // Through a descriptor: chmod(2) would follow a symlink put there meanwhile.
        const fd = openSync(host, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
        try {
          const o = owner(h);
          if (opts.chown) fchownSync(fd, o.uid, o.gid);
          fchmodSync(fd, (h.mode ?? 0o755) & 0o7777);
        } finally {
          closeSync(fd);
        }
        dirTimes.push({ path, mtime: h.mtime ?? new Date() });
        break;
      }
      case 'file':
      case 'contiguous-file':
      case null:
      case undefined: {
        clear(host, false, h.name);
        const fd = openSync(host, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of stream as AsyncIterable<Buffer>) writeAll(fd, chunk);
          const o = owner(h);
          if (opts.chown) fchownSync(fd, o.uid, o.gid);
          fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
        } finally {
          closeSync(fd);
        }
        const mtime = h.mtime ?? new Date();
        lutimesSync(host, mtime, mtime);
        break;
      }
      case 'symlink':
        clear(host, false, h.name);
        symlinkSync(h.linkname ?? '', host);
        finish(host, h, true);
        break;
      case 'link': {
        const targetRel = archiveName(h.linkname ?? '');
        const target = opts.tree.resolve(posix.join(base, targetRel), false);
        if (!target.stat || target.stat.isDirectory()) throw new BadInputError(`invalid archive: hard link ${JSON.stringify(h.name)} to a missing file or a directory`);
        clear(host, false, h.name);
        const targetDir = opts.tree.openDir(posix.dirname(target.path));
        try {
          linkSync(`/proc/self/fd/${targetDir}/${posix.basename(target.path)}`, host);
        } finally {
          closeSync(targetDir);
        }
        break;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        clear(host, false, h.name);
        const kind = h.type === 'fifo' ? 'fifo' : h.type === 'block-device' ? 'block' : 'char';
        try {
          syscalls().mknod(host, kind, (h.mode ?? 0o644) & 0o7777, h.devmajor ?? 0, h.devminor ?? 0);
        } catch (e) {
          throw new TspodError(`creating ${path}: ${errorMessage(e)}`);
        }
        finish(host, h, false);
        break;
      }
      default:
        stream.resume();
    }
    stream.resume();
  };
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      handle(header, stream).then(
        () => next(),
        (e: unknown) => {
          stream.on('error', () => undefined);
          extract.on('error', () => undefined);
          input.unpipe(extract as unknown as NodeJS.WritableStream);
          input.resume();
          reject(e as Error);
          extract.destroy(e as Error);
        },
      );
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    input.on('error', reject);
    input.pipe(extract as unknown as NodeJS.WritableStream);
  });
  for (const d of dirTimes.reverse()) {
    let fd: number | undefined;
    try {
      fd = opts.tree.openDir(d.path);
      futimesSync(fd, d.mtime, d.mtime);
    } catch {
      // removed by a later entry with --overwrite
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

/** Creates missing parents (0755) of a container path, resolving every step in the tree. */
function mkdirParents(tree: RootedTree, path: string): void {
  const r = tree.resolve(path, true);
  if (r.stat) {
    if (!r.stat.isDirectory()) throw new TspodError(`${path} is not a directory`);
    return;
  }
  mkdirParents(tree, posix.dirname(r.path));
  const parent = tree.openDir(posix.dirname(r.path));
  try {
    mkdirSync(`/proc/self/fd/${parent}/${posix.basename(r.path)}`, { mode: 0o755 });
  } finally {
    closeSync(parent);
  }
}

function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

// ------------------------------------------------------------------ cp

export interface CopyEnd {
  tree: RootedTree;
  /** The path as the user gave it (in the tree). */
  path: string;
  /** For messages: `on container NAME` or `on the host`. */
  where: string;
  /** Extract with the destination directory as the root (the host side): nothing can reach above it. */
  confine?: boolean;
}

/** `..../.` or a trailing `/`: copy a directory's contents, follow a final symlink. */
function contentsOnly(path: string): boolean {
  return path === '.' || path.endsWith('/.');
}

export interface CopyOptions {
  overwrite: boolean;
  /** Who owns what is copied: the ids the archive carries, or these. */
  owner: { uid: number; gid: number } | 'archive';
  chown: boolean;
}

/** What to pack, and which destination dir and root name to extract it as. */
export async function copyBetween(src: CopyEnd, dst: CopyEnd, opts: CopyOptions): Promise<void> {
  const followLast = src.path.endsWith('/') || contentsOnly(src.path);
  const source = src.tree.resolve(src.path, followLast);
  if (!source.stat) throw new NoSuchPathError(`"${src.path}" could not be found ${src.where}: no such file or directory`);
  if (src.path.endsWith('/') && !contentsOnly(src.path) && !source.stat.isDirectory()) {
    throw new InvalidArgumentError(`"${src.path}" ${src.where} is not a directory`);
  }
  const isDir = source.stat.isDirectory();
  const dest = dst.tree.resolve(dst.path, true);
  let baseDir: string;
  let rootName: string;
  if (dest.stat?.isDirectory()) {
    baseDir = dest.path;
    rootName = contentsOnly(src.path) && isDir ? '' : posix.basename(source.path) || 'root';
  } else {
    if (dest.stat && isDir) throw new InvalidArgumentError('destination must be a directory when copying a directory');
    if (!dest.stat && dst.path.endsWith('/')) throw new NoSuchPathError(`"${dst.path}" could not be found ${dst.where}: no such file or directory`);
    const parent = dst.tree.resolve(posix.dirname(dest.path), true);
    if (!parent.stat?.isDirectory()) throw new NoSuchPathError(`"${posix.dirname(dst.path)}" could not be found ${dst.where}: no such file or directory`);
    baseDir = parent.path;
    rootName = posix.basename(dest.path);
  }
  const tar = packResolved(src.tree, source.path, rootName);
  const confined = dst.confine === true;
  await extractTar(tar, {
    tree: confined ? new RootedTree([{ destination: '/', host: dst.tree.hostPath(baseDir) }]) : dst.tree,
    baseDir: confined ? '/' : baseDir,
    owner: opts.owner,
    overwrite: opts.overwrite,
    chown: opts.chown,
  });
}

/** `cp CTR:SRC -`: the tree as a tar archive on out. */
export async function copyToArchive(src: CopyEnd, out: NodeJS.WritableStream): Promise<void> {
  const followLast = src.path.endsWith('/') || contentsOnly(src.path);
  const source = src.tree.resolve(src.path, followLast);
  if (!source.stat) throw new NoSuchPathError(`"${src.path}" could not be found ${src.where}: no such file or directory`);
  const rootName = contentsOnly(src.path) && source.stat.isDirectory() ? '' : posix.basename(source.path) || 'root';
  const tar = packResolved(src.tree, source.path, rootName);
  await pipeline(tar, out as unknown as Writable);
}

/** packTree of a resolved tree path, with its parent pinned by a descriptor for the whole walk. */
function packResolved(tree: RootedTree, path: string, rootName: string): Readable {
  if (tree.isMountRoot(path)) return packTree(tree.hostPath(path), { rootName, checkDir: (dir) => tree.assertInside(dir) });
  const parentFd = tree.openDir(posix.dirname(path));
  const name = posix.basename(path);
  const host = name === '' ? `/proc/self/fd/${parentFd}` : `/proc/self/fd/${parentFd}/${name}`;
  return packTree(host, { rootName, checkDir: (dir) => tree.assertInside(dir), onDone: () => closeSync(parentFd) });
}

/** `cp - CTR:DEST`: extract a tar archive from input into an existing directory. */
export async function copyFromArchive(input: Readable, dst: CopyEnd, opts: CopyOptions): Promise<void> {
  const dest = dst.tree.resolve(dst.path, true);
  if (!dest.stat) throw new NoSuchPathError(`"${dst.path}" could not be found ${dst.where}: no such file or directory`);
  if (!dest.stat.isDirectory()) throw new InvalidArgumentError('destination must be a directory when copying from stdin');
  await extractTar(input, {
    tree: dst.tree,
    baseDir: dest.path,
    owner: opts.owner,
    overwrite: opts.overwrite,
    chown: opts.chown,
  });
}
