import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MNT, MS, SyscallError, syscalls } from '../../os/syscalls.js';

/**
 * Persistent network namespaces, bound on files in /run/netns like `ip netns`
 * and Podman do, so `ip netns` lists them and a namespace outlives the tspod
 * that made it. Names start with `tspod-` so leftovers are easy to tell apart.
 */
export const NETNS_DIR = '/run/netns';

/**
 * A new namespace bound on a fresh file in `dir`. `shared` (the default)
 * makes the dir a shared mount as `ip netns` does. A rootless store's dir is
 * kept private instead: everything of the user's runs in one mount namespace,
 * and slirp4netns's sandbox would otherwise unmount the namespaces for
 * everyone when it detaches its copy of the tree.
 */
export function createNetns(dir = NETNS_DIR, shared = true): string {
  ensureDirPropagation(dir, shared ? MS.SHARED : MS.PRIVATE);
  const path = join(dir, `tspod-${randomBytes(8).toString('hex')}`);
  closeSync(openSync(path, 'wx', 0o444));
  try {
    syscalls().netnsCreate(path);
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  }
  return path;
}

export function removeNetns(path: string): void {
  try {
    syscalls().umount2(path, MNT.DETACH);
  } catch (e) {
    // not mounted (a half-made namespace) is fine: the file goes either way
    if (!(e instanceof SyscallError) || (e.code !== 'EINVAL' && e.code !== 'ENOENT')) throw e;
  }
  rmSync(path, { force: true });
}

/**
 * The directory is made a mount point with the given propagation: shared (as
 * `ip netns` does), so that a namespace unmounted here is unmounted in mount
 * namespaces that copied it too, or private.
 */
function ensureDirPropagation(dir: string, propagation: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const os = syscalls();
  try {
    os.mount('', dir, '', propagation | MS.REC, '');
  } catch (e) {
    if (!(e instanceof SyscallError) || e.code !== 'EINVAL') throw e;
    // Not a mount point yet: bind it onto itself, then set its propagation.
    os.mount(dir, dir, '', MS.BIND | MS.REC, '');
    os.mount('', dir, '', propagation | MS.REC, '');
  }
}
