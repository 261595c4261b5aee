/**
 * The OS seam (see types.ts): the native addon (native/tspod_native.c) when it
 * is built, else spawn-based fallbacks over mknod(1), setfattr/getfattr(1),
 * mount(8), umount(8) and flock(1). Both throw SyscallError, shaped like Node's
 * fs errors (`.code` 'EEXIST', `.errno` -17, `.syscall`, `.path`).
 *
 * The addon is found via env TSPOD_NATIVE (a path to the .node file, or
 * "off" to force the fallbacks), else by walking up from this module to the
 * directory holding native/build/Release/tspod_native.node, which works from
 * src/os/ (tsx) and from dist/ and dist/chunks/ (the esbuild bundle).
 *
 * Measured on the dev VM (Debian 12, Node 20.20, 2 vCPU; means over 20 processes
 * or 300-5000 calls):
 *   loading the addon (locate + dlopen):       1.0 ms (0.95-1.5)
 *   mknod of a whiteout, native, tmpfs:        0.007 ms
 *   mknod of a whiteout, native, ext4:         0.6 ms (the kernel's cost: Python's os.mknod is the same)
 *   mknod of a whiteout, spawn fallback:       4-6 ms (either filesystem)
 *   lgetxattr, native / fallback:              0.003 ms / 3-4 ms
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OsSyscalls } from './types.js';

/** mount(2) flags (linux/mount.h). */
export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64, DIRSYNC: 128,
  NOSYMFOLLOW: 256, NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192, REC: 16384, SILENT: 32768,
  UNBINDABLE: 1 << 17, PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21, STRICTATIME: 1 << 24,
} as const;

/** umount2(2) flags. */
export const MNT = { FORCE: 1, DETACH: 2, EXPIRE: 4, NOFOLLOW: 8 } as const;

/** flock(2) operations. */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

/** A failed syscall, shaped like Node's fs errors. */
export class SyscallError extends Error {
  readonly errno: number;
  constructor(readonly syscall: string, readonly path: string, readonly code: string, detail: string) {
    super(`${syscall} ${path}: ${detail}`);
    this.name = 'SyscallError';
    const errnoByName = osConstants.errno as Record<string, number | undefined>;
    this.errno = -(errnoByName[code] ?? 0);
  }
}

let instance: OsSyscalls | undefined;

/** The process-wide implementation, chosen on first use. */
export function syscalls(): OsSyscalls {
  instance ??= createSyscalls();
  return instance;
}

/** A fresh implementation chosen from `env` (tests use this to get both kinds). */
export function createSyscalls(env: NodeJS.ProcessEnv = process.env): OsSyscalls {
  const addon = loadAddon(env.TSPOD_NATIVE);
  return addon ? nativeSyscalls(addon) : fallbackSyscalls;
}

// ------------------------------------------------------------------ native

/** What native/tspod_native.c exports. */
interface NativeAddon {
  mknod(path: string, modeWithType: number, dev: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | undefined;
  llistxattr(path: string): string[];
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
  flock(fd: number, op: number): void;
  seqpacketConnect(path: string): number;
  makedev(major: number, minor: number): number;
  shutdown(fd: number, how: number): void;
  cloexecFrom(first: number): void;
  netnsCreate(path: string): void;
}

const ADDON_PATH = join('native', 'build', 'Release', 'tspod_native.node');
const DISABLED = new Set(['off', '0', 'false', 'no']);

function loadAddon(setting: string | undefined): NativeAddon | undefined {
  if (setting !== undefined && DISABLED.has(setting.toLowerCase())) return undefined;
  const path = setting || findAddon(dirname(fileURLToPath(import.meta.url)));
  if (path === undefined) return undefined;
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    // An explicitly named addon that does not load is a setup mistake worth reporting.
    if (setting) process.emitWarning(`TSPOD_NATIVE=${setting} did not load, using spawn fallbacks: ${String(e).split('\n')[0]}`);
    return undefined;
  }
}

function findAddon(dir: string): string | undefined {
  for (;;) {
    const candidate = join(dir, ADDON_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const S_IFMT_BY_TYPE = { char: 0o020000, block: 0o060000, fifo: 0o010000 } as const;

function nativeSyscalls(addon: NativeAddon): OsSyscalls {
  return {
    native: true,
    mknod(path, type, mode, major, minor) {
      const dev = type === 'fifo' ? 0 : addon.makedev(major, minor);
      native(() => addon.mknod(path, S_IFMT_BY_TYPE[type] | (mode & 0o7777), dev));
      // mknod(2) applies the umask; make the mode exact, as mknod -m does.
      if ((mode & 0o7777) !== 0) chmodSync(path, mode & 0o7777);
    },
    lsetxattr: (path, name, value) => native(() => addon.lsetxattr(path, name, value)),
    lgetxattr: (path, name) => native(() => addon.lgetxattr(path, name)),
    llistxattr: (path) => native(() => addon.llistxattr(path)),
    mount: (source, target, fstype, flags, data) => native(() => addon.mount(source, target, fstype, flags, data)),
    umount2: (target, flags) => native(() => addon.umount2(target, flags)),
    flock: (fd, op) => native(() => addon.flock(fd, op)),
    seqpacketConnect: (path) => native(() => addon.seqpacketConnect(path)),
    shutdown: (fd, how) => native(() => addon.shutdown(fd, how)),
    cloexecFrom: (first) => native(() => addon.cloexecFrom(first)),
    // The addon returns to the original namespace with setns, which needs CAP_SYS_ADMIN over the
    // host's network namespace: inside a user namespace that is refused, so unshare(1) does it there.
    netnsCreate: (path) => (inUserNamespace() ? fallbackSyscalls.netnsCreate(path) : native(() => addon.netnsCreate(path))),
  };
}

let userNamespaced: boolean | undefined;

/** Whether this process runs in a user namespace other than the initial one (whose map is the identity of all ids). */
function inUserNamespace(): boolean {
  if (userNamespaced === undefined) {
    try {
      userNamespaced = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') !== '0 0 4294967295';
    } catch {
      userNamespaced = false;
    }
  }
  return userNamespaced;
}

/** Rethrows the addon's errors as SyscallError so callers see one error class. */
function native<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    const { syscall, path, code } = e as Partial<SyscallError>;
    if (syscall === undefined || path === undefined || code === undefined) throw e;
    const error = new SyscallError(syscall, path, code, '');
    error.message = (e as Error).message;
    throw error;
  }
}

// ---------------------------------------------------------------- fallback

const fallbackSyscalls: OsSyscalls = {
  native: false,
  mknod(path, type, mode, major, minor) {
    const typeArg = { char: 'c', block: 'b', fifo: 'p' }[type];
    const devArgs = type === 'fifo' ? [] : [String(major), String(minor)];
    run('mknod', path, 'mknod', ['-m', (mode & 0o7777).toString(8), '--', path, typeArg, ...devArgs]);
  },
  lsetxattr(path, name, value) {
    // setfattr reads "0x..." as hex, so any bytes survive; an empty value needs no -v.
    const valueArgs = value.length > 0 ? ['-v', `0x${value.toString('hex')}`] : [];
    run('lsetxattr', path, 'setfattr', ['-h', '-n', name, ...valueArgs, '--', path]);
  },
  lgetxattr(path, name) {
    try {
      return run('lgetxattr', path, 'getfattr', ['-h', '--only-values', '-n', name, '--', path]);
    } catch (e) {
      if (e instanceof SyscallError && e.code === 'ENODATA') return undefined;
      throw e;
    }
  },
  llistxattr(path) {
    const out = run('llistxattr', path, 'getfattr', ['-h', '--absolute-names', '-m', '-', '--', path]).toString('latin1');
    return out.split('\n').filter((line) => line !== '' && !line.startsWith('# file: ')).map(unescapeOctal);
  },
  mount(source, target, fstype, flags, data) {
    // As in mount(2), propagation flags make this a propagation change and the rest is ignored.
    const propagation = propagationOptions(flags);
    if (propagation.length > 0) {
      run('mount', target, 'mount', ['-i', '-n', ...propagation.map((p) => `--make-${p}`), '--', target]);
      return;
    }
    const args = ['-i', '-n'];
    if (fstype) args.push('-t', fstype);
    const options = [...mountOptions(flags), ...(data ? [data] : [])];
    if (options.length > 0) args.push('-o', options.join(','));
    if (flags & MS.MOVE) args.push('--move');
    run('mount', target, 'mount', [...args, '--', source || 'none', target]);
  },
  umount2(target, flags) {
    const args = ['-i', '-n'];
    if (flags & MNT.FORCE) args.push('-f');
    if (flags & MNT.DETACH) args.push('-l');
    run('umount2', target, 'umount', [...args, '--', target]);
  },
  flock(fd, op) {
    // flock(1) locks its fd 3, which shares our open file description, so the
    // lock outlives the child exactly as if we had called flock(2) ourselves.
    const mode = op & LOCK.UN ? '-u' : op & LOCK.SH ? '-s' : '-x';
    const args = [mode, '-E', String(FLOCK_CONFLICT_EXIT), ...(op & LOCK.NB ? ['-n'] : []), '3'];
    run('flock', `fd ${fd}`, 'flock', args, ['ignore', 'ignore', 'pipe', fd]);
  },
  seqpacketConnect(path) {
    throw new SyscallError('connect', path, 'ENOSYS',
      'SOCK_SEQPACKET sockets need the native addon: build it with `make native` (needs gcc, make, python3)');
  },
  shutdown() {
    throw new SyscallError('shutdown', 'socket', 'ENOSYS', 'shutdown needs the native addon: build it with `make native`');
  },
  cloexecFrom() {
    // Node cannot read or set FD_CLOEXEC, and closing fds it may own is unsafe.
    // Setup always builds the addon; without it inherited fds stay as they are.
  },
  netnsCreate(path) {
    // unshare(1) binds the new namespace onto the file itself.
    run('unshare', path, 'unshare', [`--net=${path}`, 'true']);
  },
};

const FLOCK_CONFLICT_EXIT = 75;

const ERRNO_BY_MESSAGE: ReadonlyArray<readonly [string, string]> = [
  ['File exists', 'EEXIST'],
  ['No such file or directory', 'ENOENT'],
  ['Operation not permitted', 'EPERM'],
  ['Permission denied', 'EACCES'],
  ['Operation not supported', 'EOPNOTSUPP'],
  ['No such attribute', 'ENODATA'],
  ['No data available', 'ENODATA'],
  ['Device or resource busy', 'EBUSY'],
  ['target is busy', 'EBUSY'],
  ['Not a directory', 'ENOTDIR'],
  ['Invalid argument', 'EINVAL'],
  ['not mounted', 'EINVAL'],
  ['Read-only file system', 'EROFS'],
  ['No space left on device', 'ENOSPC'],
  ['Numerical result out of range', 'ERANGE'],
  ['Argument list too long', 'E2BIG'],
  ['Bad file descriptor', 'EBADF'],
  ['unknown filesystem type', 'ENODEV'],
  ['must be superuser', 'EPERM'],
  ['does not exist', 'ENOENT'],
  ['already mounted', 'EBUSY'],
  ['wrong fs type', 'EINVAL'],
];

type Stdio = Array<'ignore' | 'pipe' | number>;

function run(syscall: string, path: string, program: string, args: string[], stdio: Stdio = ['ignore', 'pipe', 'pipe']): Buffer {
  const r = spawnSync(program, args, { stdio });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const detail = code === 'ENOENT' ? `${program} not found (${PACKAGE_OF[program]} package)` : r.error.message;
    throw new SyscallError(syscall, path, code === 'ENOENT' ? 'ENOSYS' : code ?? 'EIO', detail);
  }
  // mount(8) appends hints ("dmesg(1) may have more information") on further lines.
  const stderr = r.stderr?.toString().trim().split('\n')[0] ?? '';
  if (program === 'flock' && r.status === FLOCK_CONFLICT_EXIT) {
    throw new SyscallError(syscall, path, 'EWOULDBLOCK', 'Resource temporarily unavailable');
  }
  if (r.status !== 0) {
    const code = ERRNO_BY_MESSAGE.find(([text]) => stderr.includes(text))?.[1] ?? 'EIO';
    throw new SyscallError(syscall, path, code, stderr || `${program} failed with ${r.signal ?? `exit code ${r.status}`}`);
  }
  return r.stdout ?? Buffer.alloc(0);
}

const PACKAGE_OF: Record<string, string> = {
  mknod: 'coreutils', setfattr: 'attr', getfattr: 'attr', mount: 'mount', umount: 'mount', flock: 'util-linux', unshare: 'util-linux',
};

function mountOptions(flags: number): string[] {
  const rec = (flags & MS.REC) !== 0;
  const named: Array<readonly [number, string]> = [
    [MS.RDONLY, 'ro'], [MS.NOSUID, 'nosuid'], [MS.NODEV, 'nodev'], [MS.NOEXEC, 'noexec'],
    [MS.SYNCHRONOUS, 'sync'], [MS.REMOUNT, 'remount'], [MS.MANDLOCK, 'mand'], [MS.DIRSYNC, 'dirsync'],
    [MS.NOSYMFOLLOW, 'nosymfollow'], [MS.NOATIME, 'noatime'], [MS.NODIRATIME, 'nodiratime'],
    [MS.BIND, rec ? 'rbind' : 'bind'], [MS.SILENT, 'silent'], [MS.RELATIME, 'relatime'],
    [MS.STRICTATIME, 'strictatime'],
  ];
  return named.filter(([bit]) => flags & bit).map(([, option]) => option);
}

function propagationOptions(flags: number): string[] {
  const r = flags & MS.REC ? 'r' : '';
  const named: Array<readonly [number, string]> = [
    [MS.UNBINDABLE, 'unbindable'], [MS.PRIVATE, 'private'], [MS.SLAVE, 'slave'], [MS.SHARED, 'shared'],
  ];
  return named.filter(([bit]) => flags & bit).map(([, option]) => r + option);
}

/** getfattr prints unprintable bytes of names as \ooo. */
function unescapeOctal(text: string): string {
  const bytes = text.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
