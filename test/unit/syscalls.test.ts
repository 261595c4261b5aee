import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { createSyscalls, LOCK, MNT, MS, SyscallError, syscalls } from '../../src/os/syscalls.js';
import type { OsSyscalls } from '../../src/os/types.js';
import { scratchArea } from './scratch.js';

const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? false : 'needs root';
const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;

const scratch = scratchArea('syscalls');
const freshDir = (label: string) => scratch.fresh(label);

function isMounted(target: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === target);
}

function assertSyscallError(fn: () => unknown, code: string, syscall: string): SyscallError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SyscallError, `expected a SyscallError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.syscall, syscall);
  assert.ok(caught.errno < 0, 'errno is negative, as in Node fs errors');
  assert.ok(caught.message.startsWith(`${syscall} `), caught.message);
  return caught;
}

const native = createSyscalls({});
const fallback = createSyscalls({ TSPOD_NATIVE: 'off' });
const builtMessage = native.native ? false : 'native addon not built (node scripts/build-native.mjs)';

describe('choosing an implementation', () => {
  it('TSPOD_NATIVE=off forces the spawn fallbacks', () => {
    assert.equal(fallback.native, false);
  });

  it('finds the addon by walking up from the module', { skip: builtMessage }, () => {
    assert.equal(native.native, true);
  });

  it('TSPOD_NATIVE=<path> loads that file', { skip: builtMessage }, () => {
    const path = join(import.meta.dirname, '../../native/build/Release/tspod_native.node');
    assert.equal(createSyscalls({ TSPOD_NATIVE: path }).native, true);
  });

  it('syscalls() is a singleton', () => {
    assert.equal(syscalls(), syscalls());
  });
});

for (const [label, sys, skip] of [
  ['native', native, builtMessage],
  ['fallback', fallback, false],
] as const) {
  describe(`${label} syscalls`, { skip }, () => exerciseSyscalls(sys));
}

function exerciseSyscalls(sys: OsSyscalls): void {
  describe('mknod', () => {
    it('creates a 0/0 char device whiteout with mode 0', { skip: rootOnly }, () => {
      const path = join(freshDir('mknod'), 'whiteout');
      sys.mknod(path, 'char', 0, 0, 0);
      const st = lstatSync(path);
      assert.ok(st.isCharacterDevice());
      assert.equal(st.rdev, 0);
      assert.equal(st.mode & 0o7777, 0);
    });

    it('encodes major and minor of a block device', { skip: rootOnly }, () => {
      const path = join(freshDir('mknod'), 'sda1');
      sys.mknod(path, 'block', 0o660, 8, 1);
      const st = lstatSync(path);
      assert.ok(st.isBlockDevice());
      assert.equal(st.rdev, 8 * 256 + 1);
    });

    it('creates a fifo with the exact mode, whatever the umask', () => {
      const path = join(freshDir('mknod'), 'fifo');
      sys.mknod(path, 'fifo', 0o666, 0, 0);
      const st = lstatSync(path);
      assert.ok(st.isFIFO());
      assert.equal(st.mode & 0o7777, 0o666);
    });

    it('fails with EEXIST on an existing path', () => {
      const path = join(freshDir('mknod'), 'fifo');
      sys.mknod(path, 'fifo', 0o644, 0, 0);
      const error = assertSyscallError(() => sys.mknod(path, 'fifo', 0o644, 0, 0), 'EEXIST', 'mknod');
      assert.equal(error.errno, -17);
      assert.equal(error.path, path);
      assert.ok(error.message.includes(path));
    });
  });

  describe('xattrs', () => {
    it('sets, gets and lists user.* and trusted.* attributes of a file', { skip: rootOnly }, () => {
      const file = join(freshDir('xattr'), 'file');
      writeFileSync(file, 'content');
      const binary = Buffer.from([0, 1, 0xff, 10, 0x22]);
      sys.lsetxattr(file, 'user.binary', binary);
      sys.lsetxattr(file, 'trusted.overlay.opaque', Buffer.from('y'));
      sys.lsetxattr(file, 'user.empty', Buffer.alloc(0));
      assert.deepEqual(sys.lgetxattr(file, 'user.binary'), binary);
      assert.equal(sys.lgetxattr(file, 'trusted.overlay.opaque')?.toString(), 'y');
      assert.deepEqual(sys.lgetxattr(file, 'user.empty'), Buffer.alloc(0));
      assert.deepEqual(sys.llistxattr(file).sort(), ['trusted.overlay.opaque', 'user.binary', 'user.empty']);
    });

    it('returns undefined for an absent attribute and [] for none', () => {
      const file = join(freshDir('xattr'), 'plain');
      writeFileSync(file, '');
      assert.equal(sys.lgetxattr(file, 'user.absent'), undefined);
      assert.deepEqual(sys.llistxattr(file), []);
    });

    it('acts on a symlink itself, not its target', { skip: rootOnly }, () => {
      const dir = freshDir('xattr');
      writeFileSync(join(dir, 'target'), '');
      const link = join(dir, 'link');
      symlinkSync('target', link);
      sys.lsetxattr(link, 'trusted.marker', Buffer.from('on-link'));
      assert.equal(sys.lgetxattr(link, 'trusted.marker')?.toString(), 'on-link');
      assert.deepEqual(sys.llistxattr(link), ['trusted.marker']);
      assert.equal(sys.lgetxattr(join(dir, 'target'), 'trusted.marker'), undefined);
      assert.deepEqual(sys.llistxattr(join(dir, 'target')), []);
    });

    it('reports the kernel refusing user.* on a symlink as EPERM', () => {
      const dir = freshDir('xattr');
      const link = join(dir, 'dangling');
      symlinkSync('nowhere', link);
      assertSyscallError(() => sys.lsetxattr(link, 'user.nope', Buffer.from('x')), 'EPERM', 'lsetxattr');
    });

    it('fails with ENOENT on a missing path', () => {
      const missing = join(freshDir('xattr'), 'missing');
      assertSyscallError(() => sys.lgetxattr(missing, 'user.x'), 'ENOENT', 'lgetxattr');
      assertSyscallError(() => sys.llistxattr(missing), 'ENOENT', 'llistxattr');
    });
  });

  describe('mount', { skip: rootOnly }, () => {
    it('mounts a tmpfs, changes its propagation and unmounts it', () => {
      const target = freshDir('mnt');
      sys.mount('tmpfs', target, 'tmpfs', MS.NOSUID | MS.NODEV, 'size=1m,mode=0755');
      try {
        assert.ok(isMounted(target));
        sys.mount('', target, '', MS.REC | MS.PRIVATE, '');
        writeFileSync(join(target, 'in-tmpfs'), 'x');
      } finally {
        sys.umount2(target, 0);
      }
      assert.ok(!isMounted(target));
      assert.ok(!existsSync(join(target, 'in-tmpfs')));
    });

    it('bind mounts read-only and detaches lazily', () => {
      const source = freshDir('bind-src');
      writeFileSync(join(source, 'file'), 'shared');
      const target = freshDir('bind-dst');
      sys.mount(source, target, '', MS.BIND, '');
      try {
        sys.mount('', target, '', MS.BIND | MS.REMOUNT | MS.RDONLY, '');
        assert.equal(readFileSync(join(target, 'file'), 'utf8'), 'shared');
        assert.throws(() => writeFileSync(join(target, 'other'), 'x'), { code: 'EROFS' });
      } finally {
        sys.umount2(target, MNT.DETACH);
      }
      assert.ok(!isMounted(target));
    });

    it('fails with EINVAL unmounting a directory that is not a mount point', () => {
      assertSyscallError(() => sys.umount2(freshDir('not-mounted'), 0), 'EINVAL', 'umount2');
    });
  });

  describe('flock', () => {
    it('excludes a second open file description until unlocked', () => {
      const path = join(freshDir('flock'), 'lock');
      writeFileSync(path, '');
      const first = openSync(path, 'r');
      const second = openSync(path, 'r');
      try {
        sys.flock(first, LOCK.EX | LOCK.NB);
        const error = assertSyscallError(() => sys.flock(second, LOCK.EX | LOCK.NB), 'EWOULDBLOCK', 'flock');
        assert.equal(error.errno, -11);
        assertSyscallError(() => sys.flock(second, LOCK.SH | LOCK.NB), 'EWOULDBLOCK', 'flock');
        sys.flock(first, LOCK.UN);
        sys.flock(second, LOCK.EX | LOCK.NB);
      } finally {
        closeSync(first);
        closeSync(second);
      }
    });

    it('shares LOCK_SH between holders', () => {
      const path = join(freshDir('flock'), 'lock');
      writeFileSync(path, '');
      const first = openSync(path, 'r');
      const second = openSync(path, 'r');
      try {
        sys.flock(first, LOCK.SH | LOCK.NB);
        sys.flock(second, LOCK.SH | LOCK.NB);
      } finally {
        closeSync(first);
        closeSync(second);
      }
    });
  });

  describe('seqpacketConnect', () => {
    it('fails on a missing socket', () => {
      const path = join(freshDir('seqpacket'), 'missing.sock');
      assertSyscallError(() => sys.seqpacketConnect(path), sys.native ? 'ENOENT' : 'ENOSYS', 'connect');
    });

    it('connects to a socket whose path exceeds sun_path', { skip: !sys.native ? 'native only' : !hasPython && 'needs python3' }, async () => {
      const dir = join(freshDir('seqpacket'), 'a-rather-long-directory-name-'.repeat(4));
      mkdirSync(dir);
      const path = join(dir, 'attach');
      assert.ok(path.length > 108);
      const server = startEchoServer(dir, 'attach');
      try {
        await server.ready;
        const fd = sys.seqpacketConnect(path);
        try {
          writeSync(fd, 'hello');
          writeSync(fd, 'world');
          // Message boundaries survive: each read returns exactly one message.
          const buf = Buffer.alloc(64);
          assert.equal(buf.toString('utf8', 0, readSync(fd, buf)), 'HELLO');
          assert.equal(buf.toString('utf8', 0, readSync(fd, buf)), 'WORLD');
        } finally {
          closeSync(fd);
        }
      } finally {
        server.child.kill();
      }
    });
  });
}

/** A SOCK_SEQPACKET server echoing two messages upper-cased; binds by a relative name to dodge sun_path. */
function startEchoServer(dir: string, name: string) {
  const script = [
    'import socket',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)',
    `s.bind(${JSON.stringify(name)})`,
    's.listen(1)',
    'print("ready", flush=True)',
    'c, _ = s.accept()',
    'for _ in range(2): c.send(c.recv(64).upper())',
    'c.recv(1)',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = once(child.stdout, 'data');
  return { child, ready };
}
