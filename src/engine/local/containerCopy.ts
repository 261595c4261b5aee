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
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
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
import { BadInputError, InvalidArgumentError, TspodError, errorMessage } from '../../util/errors.js';
import { RootedTree } from './containerRootfs.js';

export interface PackOptions {
  /** The name of the packed root in the archive; '' packs a directory's contents only. */
  rootName: string;
  /** Checks a directory is still inside the tree before it is read. */
  checkDir?: (hostDir: string) => void;
}

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
      let children: string[];
      try {
        children = readdirSync(host).sort();
      } catch (e) {
        throw new TspodError(`reading ${host}: ${errorMessage(e)}: check its permissions`);
      }
      for (const child of children) {
        const childHost = posix.join(host, child);
        let childSt: Stats;
        try {
          childSt = lstatSync(childHost);
        } catch {
          continue; // removed while we walked
        }
        await add(childHost, name === '' ? child : `${name}/${child}`, childSt);
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
    const st = lstatSync(hostPath);
    await add(hostPath, opts.rootName, st);
    pack.finalize();
  })().catch((e: unknown) => pack.destroy(e as Error));
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
  const dirTimes: Array<{ host: string; mtime: Date }> = [];
  const base = posix.normalize('/' + opts.baseDir);
  const place = (name: string): { host: string; path: string } => {
    const rel = archiveName(name);
    if (rel === '') return { host: opts.tree.hostPath(base), path: base };
    const parent = opts.tree.resolve(posix.join(base, posix.dirname(rel)), true);
    if (!parent.stat) mkdirParents(opts.tree, posix.join(base, posix.dirname(rel)));
    const resolvedParent = opts.tree.resolve(posix.join(base, posix.dirname(rel)), true);
    if (!resolvedParent.stat?.isDirectory()) {
      throw new TspodError(`cannot extract ${rel}: ${posix.dirname(rel)} is not a directory in the destination`);
    }
    opts.tree.assertInside(opts.tree.hostPath(resolvedParent.path));
    const path = posix.join(resolvedParent.path, posix.basename(rel));
    return { host: opts.tree.hostPath(path), path };
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
    const { host, path } = place(h.name);
    switch (h.type) {
      case 'directory': {
        const existing = clear(host, true, h.name);
        if (!existing) mkdirSync(host, { mode: 0o700 });
        const o = owner(h);
        if (opts.chown) lchownSync(host, o.uid, o.gid);
        chmodSync(host, (h.mode ?? 0o755) & 0o7777);
        dirTimes.push({ host, mtime: h.mtime ?? new Date() });
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
        linkSync(target.host, host);
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
    try {
      lutimesSync(d.host, d.mtime, d.mtime);
    } catch {
      // removed by a later entry with --overwrite
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
  mkdirSync(tree.hostPath(r.path), { mode: 0o755 });
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
  if (!source.stat) throw new InvalidArgumentError(`"${src.path}" could not be found ${src.where}: no such file or directory`);
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
    if (!dest.stat && dst.path.endsWith('/')) throw new InvalidArgumentError(`"${dst.path}" could not be found ${dst.where}: no such file or directory`);
    const parent = dst.tree.resolve(posix.dirname(dest.path), true);
    if (!parent.stat?.isDirectory()) throw new InvalidArgumentError(`"${posix.dirname(dst.path)}" could not be found ${dst.where}: no such file or directory`);
    baseDir = parent.path;
    rootName = posix.basename(dest.path);
  }
  const tar = packTree(source.host, { rootName, checkDir: (dir) => src.tree.assertInside(dir) });
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
  if (!source.stat) throw new InvalidArgumentError(`"${src.path}" could not be found ${src.where}: no such file or directory`);
  const rootName = contentsOnly(src.path) && source.stat.isDirectory() ? '' : posix.basename(source.path) || 'root';
  const tar = packTree(source.host, { rootName, checkDir: (dir) => src.tree.assertInside(dir) });
  await pipeline(tar, out as unknown as Writable);
}

/** `cp - CTR:DEST`: extract a tar archive from input into an existing directory. */
export async function copyFromArchive(input: Readable, dst: CopyEnd, opts: CopyOptions): Promise<void> {
  const dest = dst.tree.resolve(dst.path, true);
  if (!dest.stat) throw new InvalidArgumentError(`"${dst.path}" could not be found ${dst.where}: no such file or directory`);
  if (!dest.stat.isDirectory()) throw new InvalidArgumentError('destination must be a directory when copying from stdin');
  await extractTar(input, {
    tree: dst.tree,
    baseDir: dest.path,
    owner: opts.owner,
    overwrite: opts.overwrite,
    chown: opts.chown,
  });
}
