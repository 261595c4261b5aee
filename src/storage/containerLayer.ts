import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { IdMaps, Store } from './store.js';
import { MNT, syscalls } from '../os/syscalls.js';
import { TspodError } from '../util/errors.js';

/**
 * A container's writable layer and root filesystem: an overlay mount of the
 * image's layers (read-only) under the container's own upper dir.
 *
 *   <base>/containers/<id>/upper    what the container wrote
 *   <base>/containers/<id>/work     overlayfs's work dir
 *   <base>/containers/<id>/merged   the mounted root filesystem
 *   <base>/containers/<id>/userdata hosts, resolv.conf, hostname, .containerenv, ctr.log
 */
export class ContainerLayers {
  constructor(private readonly store: Store) {}

  dir(id: string): string {
    return join(this.store.base, 'containers', id);
  }

  userdata(id: string): string {
    return join(this.dir(id), 'userdata');
  }

  mergedDir(id: string): string {
    return join(this.dir(id), 'merged');
  }

  upperDir(id: string): string {
    return join(this.dir(id), 'upper');
  }

  /** `root`: who the container's `/` belongs to, when the container's root is not this process's. */
  create(id: string, root?: { uid: number; gid: number }): void {
    if (this.store.driver !== 'overlay') {
      throw new TspodError(`the ${this.store.driver} storage driver cannot run containers yet: use --storage-driver overlay`);
    }
    mkdirSync(this.dir(id), { recursive: true, mode: 0o700 });
    // The upper dir's mode becomes the container's `/`: it must be the usual 0755.
    mkdirSync(join(this.dir(id), 'upper'), { mode: 0o755 });
    chmodSync(join(this.dir(id), 'upper'), 0o755);
    if (root) chownSync(join(this.dir(id), 'upper'), root.uid, root.gid);
    for (const sub of ['work', 'merged', 'userdata']) mkdirSync(join(this.dir(id), sub), { mode: 0o700 });
    if (root) this.letContainerRootReach(id);
  }

  /**
   * A container with its own user namespace sets up its mounts as a root
   * that is an ordinary user here: it must be able to pass through the dirs
   * to its root filesystem and files. tspod's own dirs get search permission
   * (not read) for others; one above the graph root without it is the
   * user's to open.
   */
  private letContainerRootReach(id: string): void {
    const graphRoot = this.store.options.graphRoot;
    for (let dir = dirname(graphRoot); dir !== dirname(dir); dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) {
        throw new TspodError(
          `a container with its own user namespace cannot reach its files: ${dir} is not searchable by other users: run "chmod o+x ${dir}" (search only, not read), or use --userns=host or keep-id`,
        );
      }
    }
    for (const dir of [graphRoot, this.store.base, join(this.store.base, 'containers'), this.dir(id), this.userdata(id), this.mergedDir(id)]) {
      const mode = statSync(dir).mode & 0o7777;
      if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    }
  }

  /**
   * Mounts the root filesystem (once; a second call finds it mounted) and
   * returns its path. With `maps`, the lower layers are the copies shifted
   * for the container's user namespace (Store.ensureMappedLayers made them).
   */
  mount(id: string, imageTopLayer: string | null, maps?: IdMaps): string {
    const merged = this.mergedDir(id);
    if (isMountPoint(merged)) return merged;
    const lowers = this.store
      .layerChain(imageTopLayer)
      .reverse()
      .map((l) => (maps ? this.store.mappedDiffDir(l.id, maps) : this.store.layerDiffDir(l.id)));
    if (lowers.length === 0) {
      const empty = join(this.store.base, 'empty');
      mkdirSync(empty, { recursive: true });
      lowers.push(empty);
    }
    const layers = `lowerdir=${lowers.join(':')},upperdir=${this.upperDir(id)},workdir=${join(this.dir(id), 'work')}`;
    const program = this.store.options.mountProgram;
    if (program) {
      mountWithProgram(program, merged, layers);
      return merged;
    }
    try {
      this.mountOverlay(merged, lowers, id);
    } catch (e) {
      // A kernel that refuses overlay in a user namespace: fuse-overlayfs does it in user space, as Podman falls back.
      const fallback = this.store.rootless && ['EPERM', 'EINVAL', 'ENODEV'].includes((e as NodeJS.ErrnoException).code ?? '') ? fuseOverlayfs() : undefined;
      if (!fallback) throw e;
      mountWithProgram(fallback, merged, layers);
    }
    return merged;
  }

  private mountOverlay(merged: string, lowers: string[], id: string): void {
    // In a user namespace the kernel keeps overlay's own metadata in user.* xattrs, as the layers were written.
    const options = (paths: string[]) =>
      `lowerdir=${paths.join(':')},upperdir=${this.upperDir(id)},workdir=${join(this.dir(id), 'work')}${this.store.rootless ? ',userxattr' : ''}`;
    const data = options(lowers);
    // mount(2) takes one page of options. Deep images overflow it with absolute
    // paths; relative ones (resolved against the cwd at mount time) fit 4x more.
    if (data.length < 4000) {
      syscalls().mount('overlay', merged, 'overlay', 0, data);
      return;
    }
    const cwd = process.cwd();
    const base = this.store.base;
    process.chdir(base);
    try {
      syscalls().mount('overlay', merged, 'overlay', 0, options(lowers.map((p) => relative(base, p))));
    } finally {
      process.chdir(cwd);
    }
  }

  unmount(id: string): void {
    const merged = this.mergedDir(id);
    for (let i = 0; i < 10 && isMountPoint(merged); i++) {
      try {
        syscalls().umount2(merged, 0);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EINVAL' || code === 'ENOENT') return;
        if (code === 'EBUSY') syscalls().umount2(merged, MNT.DETACH);
        else throw e;
      }
    }
  }

  /** Unmounts and deletes everything the container wrote. */
  remove(id: string): void {
    this.unmount(id);
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}

/** fuse-overlayfs, when installed and /dev/fuse can be opened (udev makes it 0666; some hosts keep it root's). */
function fuseOverlayfs(): string | undefined {
  const program = ['/usr/bin/fuse-overlayfs', '/usr/local/bin/fuse-overlayfs'].find((p) => existsSync(p));
  if (!program) return undefined;
  try {
    closeSync(openSync('/dev/fuse', 'r+'));
  } catch {
    return undefined;
  }
  return program;
}

/** storage.conf's mount_program (fuse-overlayfs) mounts the layers instead of the kernel. */
function mountWithProgram(program: string, merged: string, layers: string): void {
  const r = spawnSync(program, ['-o', layers, merged], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new TspodError(`${program} could not mount the container's root filesystem: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  }
}

/** Whether a path is a mount point, from this process's mountinfo. */
export function isMountPoint(path: string): boolean {
  return mountPoints().has(path);
}

export function mountPoints(): Set<string> {
  const points = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(unescapeMountPath(field));
  }
  return points;
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
