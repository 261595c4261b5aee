import { closeSync, constants, lstatSync, openSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../util/errors.js';

/** Where a container path lives on the host: `/` is the root, other entries are mounts. */
export interface RootMount {
  /** Normalised absolute path inside the container ('/' for the root filesystem). */
  destination: string;
  /** null: a mount the host cannot reach (a running container's tmpfs). */
  host: string | null;
}

export interface ResolvedPath {
  /** The normalised container path after following symlinks. */
  path: string;
  /** The host path for it. */
  host: string;
  /** lstat of the host path; undefined when it does not exist. */
  stat?: Stats;
}

const MAX_SYMLINKS = 40;

/**
 * A container's file tree seen from the host, with chroot semantics: every
 * symlink (absolute or relative, `..` included) is resolved against the
 * container's root and its mounts, so no container path ever leads outside.
 * The host path of a container path is always built from the normalised
 * container path, never from a symlink's text.
 */
export class RootedTree {
  private readonly mounts: RootMount[];

  constructor(mounts: RootMount[]) {
    // Longest destination first: the innermost mount wins.
    this.mounts = mounts
      .map((m) => ({ destination: posix.normalize('/' + m.destination).replace(/(.)\/+$/, '$1'), host: m.host }))
      .sort((a, b) => b.destination.length - a.destination.length);
    if (!this.mounts.some((m) => m.destination === '/')) throw new Error('RootedTree needs a / mount');
  }

  /**
   * Refuses a host directory that is (now) somewhere else than inside the
   * tree: a running container may swap a directory for a symlink between our
   * resolution and our use of it. Narrows that window; it cannot close it.
   */
  assertInside(hostDir: string): void {
    let real: string;
    try {
      real = realpathSync(hostDir);
    } catch {
      return; // gone: the next operation on it fails by itself
    }
    for (const m of this.mounts) {
      if (m.host === null) continue;
      for (const host of [m.host, realOrSelf(m.host)]) {
        const root = host.endsWith('/') ? host : host + '/';
        if (real === host || real.startsWith(root)) return;
      }
    }
    throw new InvalidArgumentError(`${hostDir} moved outside the container while copying: retry with the container stopped`);
  }

  /** The host path of a normalised container path, through the innermost mount holding it. */
  hostPath(path: string): string {
    const { host, rest } = this.mountOf(path);
    return rest === '' ? host : posix.join(host, rest);
  }

  /**
   * Opens a directory of the tree (a normalised, resolved container path)
   * without following any symlink below the mount that holds it: each step is
   * an open of `/proc/self/fd/<parent>/<name>` with O_NOFOLLOW, as openat(2)
   * would. A directory the container swapped for a symlink since it was
   * resolved makes the open fail instead of leading outside. The caller closes
   * the descriptor.
   */
  openDir(path: string): number {
    const { host, rest } = this.mountOf(path);
    let fd = openSync(host, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      for (const name of splitPath(rest)) {
        const next = openSync(`/proc/self/fd/${fd}/${name}`, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
        closeSync(fd);
        fd = next;
      }
    } catch (e) {
      closeSync(fd);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENOTDIR') throw new InvalidArgumentError(`${path} changed into a symlink or a file while copying: retry with the container stopped`);
      throw e;
    }
    return fd;
  }

  /** Whether the path is a mount's destination (a volume, a bind, a file tspod mounts): its host path is ours, not the container's. */
  isMountRoot(path: string): boolean {
    return this.mounts.some((m) => m.destination === path && path !== '/');
  }

  private mountOf(path: string): { host: string; rest: string } {
    for (const m of this.mounts) {
      const prefix = m.destination === '/' ? '/' : m.destination + '/';
      if (path !== m.destination && !path.startsWith(prefix)) continue;
      if (m.host === null) {
        throw new InvalidArgumentError(`${path} is on a tmpfs mount of the running container: copying there is not supported yet, use exec`);
      }
      return { host: m.host, rest: path === m.destination ? '' : path.slice(prefix.length) };
    }
    throw new Error('unreachable: no root mount');
  }

  /**
   * Resolves a container path: symlinks in parent components are followed
   * inside the tree; the last component only when followLast (or when the
   * path ends in `/` or `/.`, as `cp` does).
   */
  resolve(path: string, followLast: boolean): ResolvedPath {
    let links = 0;
    const pending = splitPath(path);
    let current = '/';
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === '.') continue;
      if (name === '..') {
        current = posix.dirname(current);
        continue;
      }
      const next = posix.join(current, name);
      const host = this.hostPath(next);
      let st: Stats | undefined;
      try {
        st = lstatSync(host);
      } catch {
        st = undefined;
      }
      const isLast = pending.length === 0;
      if (st?.isSymbolicLink() && (!isLast || followLast)) {
        if (++links > MAX_SYMLINKS) throw new InvalidArgumentError(`${path}: too many levels of symbolic links: fix the link in the container`);
        const target = readlinkSync(host);
        pending.unshift(...splitPath(target));
        if (target.startsWith('/')) current = '/';
        continue;
      }
      if (!st && !isLast) {
        // A missing parent: the rest is lexical (nothing further can be a symlink).
        current = posix.join(next, ...pending.filter((p) => p !== '.'));
        current = posix.normalize(current);
        if (!current.startsWith('/')) current = '/';
        return { path: current, host: this.hostPath(clampRoot(current)) };
      }
      current = next;
    }
    const host = this.hostPath(current);
    let stat: Stats | undefined;
    try {
      stat = lstatSync(host);
    } catch {
      stat = undefined;
    }
    return { path: current, host, stat };
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}

/** `..` past the root stays at the root. */
function clampRoot(path: string): string {
  const out: string[] = [];
  for (const p of splitPath(path)) {
    if (p === '..') out.pop();
    else if (p !== '.') out.push(p);
  }
  return '/' + out.join('/');
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
