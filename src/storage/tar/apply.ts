/**
 * Extracts a layer tar into a directory in one pass that also computes the
 * diffID and writes the tar-split file.
 *
 * Security model: every path is normalised lexically (escaping `..` is
 * rejected), parent components are resolved with chroot semantics (a symlink
 * to `/` means targetDir), the final component is never followed, and hardlink
 * targets are resolved the same way. Nothing outside targetDir is created,
 * changed or followed. On error the partial targetDir is the caller's to delete.
 *
 * Speed: sync fs calls straight from the input chunks (measured fastest here);
 * fchown/fchmod are skipped when the new node already has the wanted owner
 * and mode. Measured on this VM (2 vCPUs, Node 20), tars made by GNU tar from
 * /usr, input read with createReadStream, median of 5-7 runs, vs `tar -xf`:
 *
 *   output on ext4 (/var/tmp; disk-bound, equal within the noise):
 *     121 MB, 7,949 files (usr/include)            tar  21 MB/s   ours  22 MB/s
 *     219 MB, 28,156 entries (usr/share/man+locale) tar  22 MB/s   ours  20 MB/s
 *   output on tmpfs (CPU-bound, the worst case for us):
 *     121 MB usr/include                            tar 477 MB/s   ours 304 MB/s (1.57x)
 *     91 MB usr/lib/python3.11 + usr/share/vim      tar 641 MB/s   ours 422 MB/s (1.52x)
 *     219 MB usr/share/man+locale (7.8 KB/file)     tar 353 MB/s   ours 199 MB/s (1.77x)
 *
 * On tmpfs GNU tar spends ~90% of its time in the kernel; our extra is the
 * single JS thread also hashing (sha256 ~85 ms per 219 MB), parsing, GC, and
 * slower copies from buffers filled on other threads. Profiling shows no
 * JS hot spot left; the next step would be moving hashing to a worker.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  linkSync,
  lchownSync,
  chmodSync,
  lstatSync,
  readFileSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { syscalls } from '../../os/syscalls.js';
import type { OsSyscalls } from '../../os/types.js';
import { BadInputError, TspodError, errorMessage } from '../../util/errors.js';
import { TarParser, type TarEntry, type TarEvents, type TarHeader } from './reader.js';
import { inlineTarSplitContent, TarSplitWriter } from './tarsplit.js';

export type WhiteoutFormat = 'overlay' | 'overlay-rootless' | 'delete';

export interface ApplyLayerOptions {
  targetDir: string;
  tarSplitPath: string;
  /**
   * 'overlay': whiteouts become char 0/0 devices, opaque dirs get trusted.overlay.opaque=y.
   * 'overlay-rootless': the same with user.overlay.* xattrs (and xattr whiteouts when mknod is denied).
   * 'delete': targetDir holds a copy of the parent layer (vfs); whiteouts delete from it.
   */
  whiteoutFormat: WhiteoutFormat;
  /** Apply the uid/gid of entries (lchown); false when we may not chown. */
  chown: boolean;
  /**
   * Owners shifted for a container with its own user namespace: an entry's
   * uid/gid (the container's view) becomes the id it maps to here. An id the
   * maps leave out is an error.
   */
  idMap?: { uid: IdRangeMap[]; gid: IdRangeMap[] };
  /** Cumulative uncompressed tar bytes read so far. */
  onProgress?: (bytes: number) => void;
  /** Non-fatal problems (an xattr the filesystem refused, a device we may not create). */
  onWarning?: (message: string) => void;
  /** false: the caller knows the tar's CRC-32 otherwise (a gzip trailer) and tarCrc32 is null. */
  crc32?: boolean;
}

/** OCI's idmapping: container ids containerID.. stand for hostID.. here. */
export interface IdRangeMap {
  containerID: number;
  hostID: number;
  size: number;
}

/** The id `id` of the container maps to, or undefined when no range covers it. */
export function mapContainerId(maps: IdRangeMap[], id: number): number | undefined {
  const m = maps.find((r) => id >= r.containerID && id < r.containerID + r.size);
  return m && m.hostID + (id - m.containerID);
}

export interface ApplyLayerResult {
  /** sha256:<hex> of the uncompressed tar. */
  diffId: string;
  tarSize: number;
  /** CRC-32 of the tar, which a push checks the tar it replays against (cheaper than the SHA-256 again); null when not asked for. */
  tarCrc32: number | null;
  /** Sum of the sizes of the regular files written. */
  contentSize: number;
}

const MAX_SYMLINK_HOPS = 40;
const S_ISGID = 0o2000;
const MAX_ID = 0xfffffffe;
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** AUFS bookkeeping entries (.wh..wh.plnk, .wh..wh.aufs...) are skipped. */
const AUFS_META_PREFIX = '.wh..wh.';
const CREATE_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const TOLERATED_XATTR_ERRORS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EACCES']);

export async function applyLayerTar(input: Readable, opts: ApplyLayerOptions): Promise<ApplyLayerResult> {
  const targetDir = resolve(opts.targetDir);
  mkdirSync(targetDir, { recursive: true });
  const hash = createHash('sha256');
  const split = new TarSplitWriter(opts.tarSplitPath);
  const extractor = new LayerExtractor({ ...opts, targetDir }, split);
  const parser = new TarParser(extractor);
  let tarSize = 0;
  const withCrc = opts.crc32 !== false;
  let tarCrc32 = 0;
  try {
    for await (const chunk of input) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      if (withCrc) tarCrc32 = crc32(bytes, tarCrc32);
      parser.write(bytes);
      tarSize += bytes.length;
      opts.onProgress?.(tarSize);
      if (split.needsDrain) await split.drain();
    }
    parser.end();
    extractor.finish();
    await split.finish();
    await extractor.inlineDisplacedContent();
    return { diffId: `sha256:${hash.digest('hex')}`, tarSize, tarCrc32: withCrc ? tarCrc32 : null, contentSize: extractor.contentSize };
  } catch (e) {
    extractor.closeOpenFile();
    split.destroy();
    throw e;
  } finally {
    extractor.removeStash();
  }
}

interface DirMetadata {
  mode: number;
  atime: number;
  mtime: number;
}

interface HopBudget {
  hops: number;
}

/** Writes the entries of one layer tar; also feeds the tar-split writer. */
class LayerExtractor implements TarEvents {
  contentSize = 0;
  private readonly root: string;
  private readonly format: WhiteoutFormat;
  private readonly chown: boolean;
  private readonly idMap: ApplyLayerOptions['idMap'];
  /** Owner every node we create gets anyway (chown can be skipped), unless setgid dirs or an old tree may interfere. */
  private readonly defaultOwner: { uid: number; gid: number } | undefined;
  /** The process umask, when known: files whose mode survives it need no fchmod. */
  private readonly umask: number | undefined;
  private readonly warn: (message: string) => void;
  private sys: OsSyscalls | undefined;
  /** Normalised tar dir path -> its resolved, symlink-free path; cleared whenever a dir or symlink is removed. */
  private readonly dirCache = new Map<string, string>();
  /** Dir modes and times, applied at the end once their children are written. */
  private readonly pendingDirs = new Map<string, DirMetadata>();
  /** 'delete' format: paths this layer wrote, with all their ancestors. */
  private readonly layerPaths = new Set<string>();
  /** Path -> ordinal of the tar-split record whose content lives there. */
  private readonly contentOwners = new Map<string, number>();
  /** Ordinal -> saved copy of content this layer wrote and later removed. */
  private readonly displaced = new Map<number, string>();
  private readonly stashPath: string;
  private stashDir: string | undefined;
  private fd = -1;
  private fileHeader: TarHeader | undefined;
  private fileAbs = '';
  private entryName = '';

  constructor(
    opts: ApplyLayerOptions,
    private readonly split: TarSplitWriter,
  ) {
    this.root = opts.targetDir;
    this.format = opts.whiteoutFormat;
    this.chown = opts.chown;
    this.idMap = opts.idMap;
    this.defaultOwner = this.format === 'delete' || lstatSync(this.root).mode & S_ISGID ? undefined : processOwner();
    this.umask = readUmask();
    this.warn = opts.onWarning ?? (() => undefined);
    this.stashPath = `${opts.tarSplitPath}.displaced`;
  }

  // ------------------------------------------------------------ TarEvents

  entry(entry: TarEntry): void {
    this.split.raw(entry.rawHeader);
    this.entryName = entry.header.name;
    try {
      this.applyEntry(this.idMap ? this.shifted(entry, this.idMap) : entry);
    } catch (e) {
      throw this.withEntryContext(e);
    }
  }

  content(chunk: Buffer): void {
    if (this.fd < 0) {
      this.split.raw(chunk);
      return;
    }
    try {
      writeAll(this.fd, chunk);
    } catch (e) {
      throw this.withEntryContext(e);
    }
  }

  entryEnd(padding: Buffer): void {
    if (this.fd >= 0) {
      try {
        this.finishFile();
      } catch (e) {
        throw this.withEntryContext(e);
      }
    }
    this.split.raw(padding);
  }

  trailer(chunk: Buffer): void {
    this.split.raw(chunk);
  }

  // ------------------------------------------------------------ lifecycle

  /** Applies directory modes and times, now that no more children will be written. */
  finish(): void {
    for (const [rel, meta] of this.pendingDirs) {
      const abs = this.abs(rel);
      if (!lstatSync(abs, { throwIfNoEntry: false })?.isDirectory()) continue;
      chmodSync(abs, meta.mode);
      lutimesSync(abs, timeArg(meta.atime), timeArg(meta.mtime));
    }
  }

  async inlineDisplacedContent(): Promise<void> {
    if (this.displaced.size > 0) await inlineTarSplitContent(this.split.path, this.displaced);
  }

  closeOpenFile(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  removeStash(): void {
    if (this.stashDir) rmSync(this.stashDir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------ entries

  private applyEntry(entry: TarEntry): void {
    const { header } = entry;
    const path = normalizeEntryPath(header.name, 'entry');
    if (path === '') {
      this.applyRoot(header);
      return;
    }
    const dir = parentRel(path);
    const base = baseName(path);
    if (path.includes(WHITEOUT_PREFIX)) {
      if (isAufsMetadata(path)) return;
      if (base.startsWith(WHITEOUT_PREFIX)) {
        this.applyWhiteout(dir, base);
        return;
      }
    }
    const rel = joinRel(this.resolveDir(dir, true)!, base);
    switch (header.type) {
      case 'directory':
        this.applyDirectory(header, path, rel);
        break;
      case 'file':
        this.applyFile(entry, rel);
        break;
      case 'hardlink':
        this.applyHardlink(header, rel);
        break;
      case 'symlink':
        this.applySymlink(header, rel);
        break;
      case 'char':
      case 'block':
      case 'fifo':
        this.applyDevice(header, rel);
        break;
      case 'other':
        throw new BadInputError(`invalid layer tar: entry ${JSON.stringify(header.name)} has unsupported type '${header.typeflag}'`);
    }
    if (this.format === 'delete') this.markLayerPath(rel);
  }

  private applyRoot(header: TarHeader): void {
    if (header.type !== 'directory') {
      throw new BadInputError(`invalid layer tar: entry ${JSON.stringify(header.name)} names the layer root but is not a directory`);
    }
    this.applyDirMetadata(header, '', false);
  }

  private applyDirectory(header: TarHeader, key: string, rel: string): void {
    const abs = this.abs(rel);
    let replacedWhiteout = false;
    let created = true;
    try {
      mkdirSync(abs, 0o700);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
      const existing = lstatSync(abs);
      if (existing.isDirectory()) {
        created = false;
      } else {
        replacedWhiteout = this.isWhiteout(abs, existing);
        this.removeExisting(rel, existing);
        mkdirSync(abs, 0o700);
      }
    }
    this.dirCache.set(key, rel);
    // A whiteout and a dir of the same name in one layer: the dir replaces the lower one.
    if (replacedWhiteout) this.setOpaque(abs);
    this.applyDirMetadata(header, rel, created);
  }

  private applyDirMetadata(header: TarHeader, rel: string, created: boolean): void {
    const abs = this.abs(rel);
    if (created ? this.needsChown(header) : this.chown) lchownSync(abs, checkId(header.uid, 'uid'), checkId(header.gid, 'gid'));
    this.applyXattrs(abs, header);
    this.pendingDirs.set(rel, { mode: header.mode, atime: header.atime ?? header.mtime, mtime: header.mtime });
  }

  private applyFile(entry: TarEntry, rel: string): void {
    const abs = this.abs(rel);
    this.fd = this.createNode(rel, () => openSync(abs, CREATE_FILE_FLAGS, entry.header.mode & 0o777));
    this.fileHeader = entry.header;
    this.fileAbs = abs;
    if (entry.contentSize > 0) {
      this.contentOwners.set(rel, this.split.file(rel, entry.contentSize));
      this.contentSize += entry.contentSize;
    }
  }

  private finishFile(): void {
    const header = this.fileHeader!;
    const fd = this.fd;
    if (this.needsChown(header)) fchownSync(fd, checkId(header.uid, 'uid'), checkId(header.gid, 'gid'));
    // after fchown, which clears setuid/setgid
    if (this.umask === undefined || (header.mode & (0o7000 | this.umask)) !== 0) fchmodSync(fd, header.mode);
    this.applyXattrs(this.fileAbs, header);
    futimesSync(fd, timeArg(header.atime ?? header.mtime), timeArg(header.mtime));
    this.fd = -1;
    closeSync(fd);
  }

  private applyHardlink(header: TarHeader, rel: string): void {
    const targetPath = normalizeEntryPath(header.linkname, 'hardlink target');
    if (targetPath === '') {
      throw new BadInputError(`invalid layer tar: hardlink ${JSON.stringify(header.name)} points at the layer root`);
    }
    const targetDir = this.resolveDir(parentRel(targetPath), false);
    const targetRel = targetDir === undefined ? undefined : joinRel(targetDir, baseName(targetPath));
    const targetAbs = targetRel === undefined ? '' : this.abs(targetRel);
    const target = targetRel === undefined ? undefined : lstatSync(targetAbs, { throwIfNoEntry: false });
    if (!target) {
      throw new BadInputError(`invalid layer tar: hardlink ${JSON.stringify(header.name)} points at ${JSON.stringify(header.linkname)}, which is not in the layer`);
    }
    if (target.isDirectory()) {
      throw new BadInputError(`invalid layer tar: hardlink ${JSON.stringify(header.name)} points at a directory`);
    }
    if (targetRel === rel) return;
    // link(2) never follows a symlink target, so linking any non-directory in the layer is safe.
    this.createNode(rel, () => linkSync(targetAbs, this.abs(rel)));
  }

  private applySymlink(header: TarHeader, rel: string): void {
    if (header.linkname === '') {
      throw new BadInputError(`invalid layer tar: symlink ${JSON.stringify(header.name)} has an empty target`);
    }
    const abs = this.abs(rel);
    this.createNode(rel, () => symlinkSync(header.linkname, abs));
    if (this.needsChown(header)) lchownSync(abs, checkId(header.uid, 'uid'), checkId(header.gid, 'gid'));
    this.applyXattrs(abs, header);
    lutimesSync(abs, timeArg(header.atime ?? header.mtime), timeArg(header.mtime));
  }

  private applyDevice(header: TarHeader, rel: string): void {
    const abs = this.abs(rel);
    const type = header.type as 'char' | 'block' | 'fifo';
    try {
      this.createNode(rel, () => this.os().mknod(abs, type, header.mode, header.devmajor, header.devminor));
    } catch (e) {
      if (type === 'fifo' || errnoCode(e) !== 'EPERM') throw e;
      this.warn(`skipped device ${JSON.stringify(header.name)}: not permitted to create device nodes here`);
      return;
    }
    if (this.needsChown(header)) lchownSync(abs, checkId(header.uid, 'uid'), checkId(header.gid, 'gid'));
    chmodSync(abs, header.mode); // we just created it: not a symlink
    this.applyXattrs(abs, header);
    lutimesSync(abs, timeArg(header.atime ?? header.mtime), timeArg(header.mtime));
  }

  /** Runs `create`; if the name is taken, removes what is there (never following it) and retries. */
  private createNode<T>(rel: string, create: () => T): T {
    try {
      return create();
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    this.removeExisting(rel, lstatSync(this.abs(rel)));
    return create();
  }

  // ------------------------------------------------------------ whiteouts

  private applyWhiteout(dir: string, base: string): void {
    // Overlay: the upper dir needs the parents to hold the whiteout. Delete: nothing to do if absent.
    const parentRel = this.resolveDir(dir, this.format !== 'delete');
    if (parentRel === undefined) return;
    if (base === OPAQUE_MARKER) {
      if (this.format === 'delete') this.removeLowerChildren(parentRel);
      else this.setOpaque(this.abs(parentRel));
      return;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') {
      throw new BadInputError(`invalid layer tar: invalid whiteout entry ${JSON.stringify(this.entryName)}`);
    }
    const rel = joinRel(parentRel, name);
    if (this.format === 'delete') this.removeLowerContent(rel);
    else this.createWhiteout(rel);
  }

  /** Whiteouts hide lower layers only: an entry this layer already wrote at that path stays. */
  private createWhiteout(rel: string): void {
    const abs = this.abs(rel);
    const existing = lstatSync(abs, { throwIfNoEntry: false });
    if (existing) {
      if (existing.isDirectory()) this.setOpaque(abs);
      return;
    }
    try {
      this.os().mknod(abs, 'char', 0, 0, 0);
    } catch (e) {
      if (this.format !== 'overlay-rootless' || errnoCode(e) !== 'EPERM') throw e;
      this.createXattrWhiteout(abs, this.abs(parentRel(rel)));
    }
  }

  /** Overlayfs "xwhiteout": an empty file marked by xattr, in a dir marked opaque=x. */
  private createXattrWhiteout(abs: string, parentAbs: string): void {
    closeSync(openSync(abs, CREATE_FILE_FLAGS, 0o000));
    this.os().lsetxattr(abs, 'user.overlay.whiteout', Buffer.from('y'));
    if (this.os().lgetxattr(parentAbs, 'user.overlay.opaque')?.toString() !== 'y') {
      this.os().lsetxattr(parentAbs, 'user.overlay.opaque', Buffer.from('x'));
    }
  }

  private isWhiteout(abs: string, st: Stats): boolean {
    if (this.format === 'delete') return false;
    if (st.isCharacterDevice()) return st.rdev === 0;
    return this.format === 'overlay-rootless' && st.isFile() && st.size === 0 && this.os().lgetxattr(abs, 'user.overlay.whiteout') !== undefined;
  }

  private setOpaque(abs: string): void {
    const name = this.format === 'overlay' ? 'trusted.overlay.opaque' : 'user.overlay.opaque';
    try {
      this.os().lsetxattr(abs, name, Buffer.from('y'));
    } catch (e) {
      throw new TspodError(`cannot mark a directory opaque with the ${name} xattr: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** 'delete' format: removes what lower layers put at `rel`, keeping what this layer wrote. */
  private removeLowerContent(rel: string): void {
    const existing = lstatSync(this.abs(rel), { throwIfNoEntry: false });
    if (!existing) return;
    if (!this.layerPaths.has(rel)) this.removeExisting(rel, existing);
    else if (existing.isDirectory()) this.removeLowerChildren(rel);
  }

  private removeLowerChildren(dirRel: string): void {
    for (const child of readdirSync(this.abs(dirRel), { withFileTypes: true })) {
      const rel = joinRel(dirRel, child.name);
      if (!this.layerPaths.has(rel)) this.removeExisting(rel, lstatSync(this.abs(rel)));
      else if (child.isDirectory()) this.removeLowerChildren(rel);
    }
  }

  private markLayerPath(rel: string): void {
    for (let path = rel; path !== '' && !this.layerPaths.has(path); path = parentRel(path)) this.layerPaths.add(path);
  }

  // ------------------------------------------------------------ removal

  /** Removes a non-followed path; content this layer wrote there is saved first for the tar-split. */
  private removeExisting(rel: string, existing: Stats): void {
    if (existing.isDirectory()) {
      this.removeTree(rel);
      this.dirCache.clear();
      return;
    }
    if (existing.isSymbolicLink()) this.dirCache.clear();
    this.saveDisplacedContent(rel);
    unlinkSync(this.abs(rel));
  }

  private removeTree(rel: string): void {
    const abs = this.abs(rel);
    // Its path may soon lead through a symlink: never touch it again at the end.
    this.pendingDirs.delete(rel);
    for (const child of readdirSync(abs, { withFileTypes: true })) {
      const childRel = joinRel(rel, child.name);
      if (child.isDirectory()) {
        this.removeTree(childRel);
      } else {
        this.saveDisplacedContent(childRel);
        unlinkSync(this.abs(childRel));
      }
    }
    rmdirSync(abs);
  }

  private saveDisplacedContent(rel: string): void {
    const ordinal = this.contentOwners.get(rel);
    if (ordinal === undefined) return;
    this.contentOwners.delete(rel);
    if (!this.stashDir) {
      rmSync(this.stashPath, { recursive: true, force: true });
      mkdirSync(this.stashPath, { mode: 0o700 });
      this.stashDir = this.stashPath;
    }
    const saved = `${this.stashDir}/${ordinal}`;
    try {
      linkSync(this.abs(rel), saved);
    } catch {
      copyFileSync(this.abs(rel), saved);
    }
    this.displaced.set(ordinal, saved);
  }

  // ------------------------------------------------------------ path resolution

  /**
   * The resolved path of a directory given by its normalised tar path,
   * following symlinks as if targetDir were `/`. Missing dirs are created when
   * `create`, else the result is undefined.
   */
  private resolveDir(path: string, create: boolean): string | undefined {
    if (path === '') return '';
    const cached = this.dirCache.get(path);
    if (cached !== undefined) return cached;
    const parent = this.resolveDir(parentRel(path), create);
    if (parent === undefined) return undefined;
    const rel = this.stepInto(parent, baseName(path), create, { hops: MAX_SYMLINK_HOPS });
    if (rel !== undefined) this.dirCache.set(path, rel);
    return rel;
  }

  private stepInto(dirRel: string, name: string, create: boolean, budget: HopBudget): string | undefined {
    const rel = joinRel(dirRel, name);
    const abs = this.abs(rel);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) {
      if (!create) return undefined;
      mkdirSync(abs, 0o755);
      if (this.format === 'delete') this.markLayerPath(rel);
      return rel;
    }
    if (st.isDirectory()) return rel;
    if (!st.isSymbolicLink()) {
      throw new BadInputError(`invalid layer tar: a parent of entry ${JSON.stringify(this.entryName)} is not a directory`);
    }
    if (--budget.hops < 0) {
      throw new BadInputError(`invalid layer tar: too many levels of symbolic links resolving entry ${JSON.stringify(this.entryName)}`);
    }
    const target = readlinkSync(abs);
    return this.walk(target.startsWith('/') ? '' : dirRel, target.split('/'), create, budget);
  }

  private walk(startRel: string, components: string[], create: boolean, budget: HopBudget): string | undefined {
    let rel: string | undefined = startRel;
    for (const component of components) {
      if (component === '' || component === '.') continue;
      if (component === '..') {
        // A chroot would stay at the root; a layer that climbs out through a symlink is hostile.
        if (rel === '') {
          throw new BadInputError(`invalid layer tar: entry ${JSON.stringify(this.entryName)} is written through a symlink that points outside the layer`);
        }
        rel = parentRel(rel);
      } else rel = this.stepInto(rel, component, create, budget);
      if (rel === undefined) return undefined;
    }
    return rel;
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  // ------------------------------------------------------------ metadata

  private applyXattrs(abs: string, header: TarHeader): void {
    for (const [name, value] of header.xattrs) {
      if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) {
        this.warn(`ignored xattr ${name} of ${JSON.stringify(header.name)}: overlay xattrs in a layer would change how it mounts`);
        continue;
      }
      try {
        this.os().lsetxattr(abs, name, value);
      } catch (e) {
        if (name === 'security.capability' || !TOLERATED_XATTR_ERRORS.has(errnoCode(e) ?? '')) throw e;
        this.warn(`could not set xattr ${name} on ${JSON.stringify(header.name)}: ${errorMessage(e)}`);
      }
    }
  }

  private shifted(entry: TarEntry, idMap: { uid: IdRangeMap[]; gid: IdRangeMap[] }): TarEntry {
    const uid = mapContainerId(idMap.uid, entry.header.uid);
    const gid = mapContainerId(idMap.gid, entry.header.gid);
    if (uid === undefined || gid === undefined) {
      const which = uid === undefined ? `uid ${entry.header.uid}` : `gid ${entry.header.gid}`;
      throw new BadInputError(`${JSON.stringify(entry.header.name)} belongs to ${which}, which the container's user namespace does not map: give the namespace more ids (--userns=auto:size=N, or --uidmap/--gidmap)`);
    }
    return { ...entry, header: { ...entry.header, uid, gid } };
  }

  private needsChown(header: TarHeader): boolean {
    if (!this.chown) return false;
    const owner = this.defaultOwner;
    return owner === undefined || header.uid !== owner.uid || header.gid !== owner.gid;
  }

  private os(): OsSyscalls {
    this.sys ??= syscalls();
    return this.sys;
  }

  private withEntryContext(e: unknown): unknown {
    if (e instanceof TspodError) return e;
    const { code, syscall } = e as NodeJS.ErrnoException;
    if (code === 'EINVAL' && syscall?.endsWith('chown')) {
      // In a user namespace, an owner the namespace does not map.
      return new TspodError(
        `cannot extract layer entry ${JSON.stringify(this.entryName)}: its owner is not mapped in the user namespace (too few subordinate ids): check /etc/subuid and /etc/subgid, then run tspod system migrate`,
        { cause: e },
      );
    }
    return new TspodError(`cannot extract layer entry ${JSON.stringify(this.entryName)}: ${errorMessage(e)}`, { cause: e });
  }
}

// ------------------------------------------------------------------ helpers

/** Any `.` or `..` component, empty component, or leading/trailing slash. */
const NEEDS_NORMALIZING = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|^\/|\/$/;

/**
 * The path with leading `/` and `./`, empty and `.` components removed and
 * `..` applied ('' for the root); escaping the root is rejected.
 */
export function normalizeEntryPath(name: string, what: string): string {
  let path = name.startsWith('./') ? name.slice(2) : name;
  if (!NEEDS_NORMALIZING.test(path)) return path;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw new BadInputError(`invalid layer tar: ${what} ${JSON.stringify(name)} escapes the layer root`);
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  path = parts.join('/');
  return path;
}

function isAufsMetadata(path: string): boolean {
  const parts = path.split('/');
  return parts.some((part, i) => part.startsWith(AUFS_META_PREFIX) && !(i === parts.length - 1 && part === OPAQUE_MARKER));
}

function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function parentRel(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

function baseName(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

function writeAll(fd: number, chunk: Buffer): void {
  let done = 0;
  while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
}

function checkId(id: number, what: string): number {
  if (id > MAX_ID) throw new BadInputError(`invalid layer tar: ${what} ${id} is out of range`);
  return id;
}

/** Node turns negative numeric times into "now"; a Date keeps pre-1970 times. */
function timeArg(seconds: number): number | Date {
  return seconds < 0 ? new Date(seconds * 1000) : seconds;
}

function processOwner(): { uid: number; gid: number } | undefined {
  return process.geteuid && process.getegid ? { uid: process.geteuid(), gid: process.getegid() } : undefined;
}

/** Read from /proc: process.umask() without arguments briefly changes the umask, racing other threads. */
function readUmask(): number | undefined {
  try {
    const match = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    return match ? parseInt(match[1]!, 8) : undefined;
  } catch {
    return undefined;
  }
}

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
