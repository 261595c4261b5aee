/**
 * The OS seam: syscalls Node lacks. Implemented by the native addon
 * (native/tspod_native.c) with spawn-based fallbacks, so callers never care which.
 */
export interface OsSyscalls {
  /** mknod(2) without following anything: type is 'char' | 'block' | 'fifo'. */
  mknod(path: string, type: 'char' | 'block' | 'fifo', mode: number, major: number, minor: number): void;
  /** lsetxattr(2). */
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** lgetxattr(2); undefined when the attribute is absent (ENODATA). */
  lgetxattr(path: string, name: string): Buffer | undefined;
  /** llistxattr(2): names of all attributes. */
  llistxattr(path: string): string[];
  /** mount(2). */
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  /** umount2(2). */
  umount2(target: string, flags: number): void;
  /** flock(2) on an open fd; op is LOCK_SH=1, LOCK_EX=2, LOCK_UN=8, | LOCK_NB=4. */
  flock(fd: number, op: number): void;
  /**
   * Connects a SOCK_SEQPACKET|SOCK_CLOEXEC unix socket (conmon's attach socket) and
   * returns its blocking fd; paths beyond sun_path's 108 bytes work. Native only:
   * the fallback throws ENOSYS.
   */
  seqpacketConnect(path: string): number;
  /** shutdown(2) of a socket fd: how is SHUT_RD=0, SHUT_WR=1, SHUT_RDWR=2. */
  shutdown(fd: number, how: number): void;
  /**
   * Marks every fd >= first close-on-exec (close_range with CLOSE_RANGE_CLOEXEC;
   * the fallback walks /proc/self/fd), so nothing inherited leaks into children.
   */
  cloexecFrom(first: number): void;
  /** A new network namespace kept alive by a bind mount on `path` (an existing file). */
  netnsCreate(path: string): void;
  /** Whether the fast native addon is in use (false: spawn fallbacks). */
  readonly native: boolean;
}
