/**
 * Rootless tspod as a fresh ordinary user: where its files go, the user
 * namespace its pause process holds, and images and containers in the
 * user's own storage.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TSPOD, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';
import { AsUser, clearSubids, ensureRuntimeDir, ensureUser, rootlessUnavailable, setSubids, userCanOpen, type RootlessUser } from './rootlessUser.js';

const skip = rootlessUnavailable();
const IMG = 'localhost/tspod-test/busybox:latest';
const MULTI = 'localhost/tspod-test/multilayer:latest';

let user: RootlessUser;
let me: AsUser;
let runtimeDir: string;

function pausePid(dir: string): number {
  return Number(readFileSync(join(dir, 'libpod', 'tmp', 'pause.pid'), 'utf8'));
}

// Networking has its own file (rootless-network.test.ts): these containers use --network none.
describe('rootless tspod', { skip }, () => {
  before(async () => {
    await buildFixtures(fixturesDir());
    user = ensureUser('tspodrl1');
    runtimeDir = ensureRuntimeDir(user);
    me = new AsUser(user, { XDG_RUNTIME_DIR: runtimeDir });
    me.reset();
  });

  after(() => {
    me.reset();
  });

  describe('paths', () => {
    test('storage, runtime state and config are the user\'s own', () => {
      const info = me.ok(['info', '--format', '{{.Store.GraphRoot}}|{{.Store.RunRoot}}|{{.Host.Security.Rootless}}|{{.Host.RemoteSocket.Path}}']).trim();
      assert.equal(info, `${user.home}/.local/share/containers/storage|${runtimeDir}/containers|true|${runtimeDir}/tspod/tspod.sock`);
    });

    test('XDG_DATA_HOME moves the storage', () => {
      const data = join(user.home, 'xdg-data');
      const graphRoot = me.ok(['info', '--format', '{{.Store.GraphRoot}}'], { env: { XDG_DATA_HOME: data } }).trim();
      assert.equal(graphRoot, `${data}/containers/storage`);
    });

    test('without XDG_RUNTIME_DIR a /run/user/UID of the user\'s is used, as logind makes it', () => {
      const runRoot = new AsUser(user).ok(['info', '--format', '{{.Store.RunRoot}}']).trim();
      assert.equal(runRoot, `/run/user/${user.uid}/containers`);
    });

    /** Runs fn while /run/user/UID is not the user's (no logind session), as a user without XDG_RUNTIME_DIR. */
    const withoutRunUser = (fn: (noXdg: AsUser, fallback: string) => void) => {
      const fallback = `/tmp/tspod-run-${user.uid}`;
      chownSync(runtimeDir, 0, 0);
      const noXdg = new AsUser(user);
      try {
        fn(noXdg, fallback);
      } finally {
        noXdg.run(['system', 'migrate']);
        chownSync(runtimeDir, user.uid, user.gid);
        rmSync(fallback, { recursive: true, force: true });
      }
    };

    test('without either, the runtime state goes to a private /tmp/tspod-run-UID', () => {
      withoutRunUser((noXdg, fallback) => {
        rmSync(fallback, { recursive: true, force: true });
        const runRoot = noXdg.ok(['info', '--format', '{{.Store.RunRoot}}']).trim();
        assert.equal(runRoot, `${fallback}/containers`);
        const st = statSync(fallback);
        assert.equal(st.uid, user.uid);
        assert.equal(st.mode & 0o777, 0o700);
        // Its own pause process lives there, and the launcher finds it on the next call.
        const pid = pausePid(fallback);
        assert.equal(noXdg.ok(['unshare', 'readlink', '/proc/self/ns/user']).trim(), readlinkSync(`/proc/${pid}/ns/user`));
      });
    });

    test('a /tmp/tspod-run-UID that someone else made is refused', () => {
      withoutRunUser((noXdg, fallback) => {
        rmSync(fallback, { recursive: true, force: true });
        mkdirSync(fallback, { mode: 0o777 });
        const r = noXdg.run(['info']);
        assert.equal(r.code, 125);
        assert.match(r.stderr, /^Error: the runtime directory \/tmp\/tspod-run-\d+ is not a private directory of this user: /m);
      });
    });

    test('~/.config/containers holds the user\'s containers.conf, storage.conf and registries.conf', () => {
      const conf = join(user.home, '.config', 'containers');
      mkdirSync(conf, { recursive: true });
      writeFileSync(join(conf, 'containers.conf'), '[engine]\nevents_logger = "none"\n');
      writeFileSync(join(conf, 'storage.conf'), `[storage]\ndriver = "overlay"\ngraphroot = "${user.home}/conf-store"\n`);
      writeFileSync(join(conf, 'registries.conf'), 'unqualified-search-registries = ["registry.example.test"]\n');
      for (const dir of [join(user.home, '.config'), conf]) chownSync(dir, user.uid, user.gid);
      for (const f of readdirSync(conf)) chownSync(join(conf, f), user.uid, user.gid);
      try {
        const out = me.ok(['info', '--format', '{{.Host.EventLogger}}|{{.Store.GraphRoot}}|{{.Registries.Search}}']).trim();
        assert.equal(out, `none|${user.home}/conf-store|[registry.example.test]`);
      } finally {
        rmSync(conf, { recursive: true, force: true });
        me.run(['unshare', 'rm', '-rf', join(user.home, 'conf-store')]);
      }
    });
  });

  describe('the user namespace', () => {
    test('root in the namespace is the user; 1..65536 are the subordinate range', () => {
      const map = me.ok(['unshare', 'cat', '/proc/self/uid_map', '/proc/self/gid_map']);
      const rows = map.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
      assert.deepEqual(rows, [
        [0, user.uid, 1],
        [1, user.subuid.start, 65536],
        [0, user.gid, 1],
        [1, user.subgid.start, 65536],
      ]);
      assert.equal(me.ok(['unshare', 'id', '-u']).trim(), '0');
      const info = JSON.parse(me.ok(['info', '--format', 'json'])) as { host: { idMappings: { uidmap: unknown[] } } };
      assert.deepEqual(info.host.idMappings.uidmap, [
        { container_id: 0, host_id: user.uid, size: 1 },
        { container_id: 1, host_id: user.subuid.start, size: 65536 },
      ]);
    });

    test('a pause process holds it; later calls join the same namespace', () => {
      const pid = pausePid(runtimeDir);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      assert.match(status, new RegExp(`^Uid:\\s+${user.uid}\\s`, 'm'));
      const ns = me.ok(['unshare', 'readlink', '/proc/self/ns/user']).trim();
      assert.equal(ns, readlinkSync(`/proc/${pid}/ns/user`));
      assert.equal(pausePid(runtimeDir), pid, 'no second pause process');
    });

    test('unshare sets CONTAINERS_GRAPHROOT/RUNROOT, keeps the cwd, and nested tspod calls do not enter again', () => {
      const out = me.ok(['unshare', 'sh', '-c', `pwd; echo $CONTAINERS_GRAPHROOT; echo $CONTAINERS_RUNROOT; ${me.tspod} unshare cat /proc/self/uid_map | wc -l`], { cwd: '/tmp' });
      assert.equal(out, `/tmp\n${user.home}/.local/share/containers/storage\n${runtimeDir}/containers\n2\n`);
    });

    test('unshare reports the command\'s exit code, 126 and 127 as chroot does', () => {
      assert.equal(me.run(['unshare', 'sh', '-c', 'exit 3']).code, 3);
      const notFound = me.run(['unshare', 'no-such-command']);
      assert.equal(notFound.code, 127);
      assert.match(notFound.stderr, /^Error: cannot run no-such-command: no such file or directory$/m);
      assert.equal(me.run(['unshare', '/etc']).code, 126);
    });

    test('system migrate ends the pause process and the next call maps the changed /etc/subuid', () => {
      me.ok(['unshare', 'true']);
      const before = pausePid(runtimeDir);
      const moved = user.subuid.start + 65536 * 64;
      try {
        setSubids('/etc/subuid', user.name, moved, 65536);
        // Still the old namespace until migrate.
        assert.match(me.ok(['unshare', 'cat', '/proc/self/uid_map']), new RegExp(`\\b${user.subuid.start}\\b`));
        me.ok(['system', 'migrate']);
        assert.equal(processRunning(before), false, 'the old pause process is gone');
        assert.match(me.ok(['unshare', 'cat', '/proc/self/uid_map']), new RegExp(`^\\s+1\\s+${moved}\\s+65536$`, 'm'));
      } finally {
        setSubids('/etc/subuid', user.name, user.subuid.start, 65536);
        me.ok(['system', 'migrate']);
      }
      assert.match(me.ok(['unshare', 'cat', '/proc/self/uid_map']), new RegExp(`^\\s+1\\s+${user.subuid.start}\\s+65536$`, 'm'));
    });

    test('without subordinate ids: a single mapping, a warning, and a clear error for images with other owners', () => {
      const lone = ensureUser('tspodrl5');
      clearSubids(lone.name);
      const single = new AsUser(lone, { XDG_RUNTIME_DIR: ensureRuntimeDir(lone) });
      single.reset();
      try {
        const first = single.run(['unshare', 'cat', '/proc/self/uid_map']);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, new RegExp(`^\\s+0\\s+${lone.uid}\\s+1\\n$`));
        assert.match(first.stderr, /^WARN\[0000\] no subordinate ids for uid \d+ in \/etc\/subuid/m);
        const refused = single.run(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
        assert.equal(refused.code, 125);
        assert.match(refused.stderr, /^Error: cannot extract layer entry "home\/tester\/": its owner is not mapped in the user namespace \(too few subordinate ids\): check \/etc\/subuid and \/etc\/subgid, then run tspod system migrate$/m);
        // An image of root's files alone runs.
        const tar = join(lone.home, 'root-only.tar');
        spawnSync('tar', ['-C', '/', '--owner=0', '--group=0', '-cf', tar, 'bin/busybox']);
        chownSync(tar, lone.uid, lone.gid);
        single.ok(['import', '-q', tar, 'localhost/root-only']);
        assert.match(single.ok(['run', '--rm', '--network', 'none', 'localhost/root-only', '/bin/busybox', 'cat', '/proc/self/uid_map']), new RegExp(`^\\s+0\\s+${lone.uid}\\s+1\\n$`));
      } finally {
        single.reset();
        ensureUser(lone.name);
      }
    });

    test('as root, unshare is refused', () => {
      const r = spawnRoot(['unshare', 'id']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^Error: tspod unshare is for rootless users/m);
    });
  });

  describe('images and containers in the user\'s storage', () => {
    test('load extracts layers with their real owners inside the namespace', () => {
      me.ok(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
      me.ok(['load', '-q', '-i', `${fixturesDir()}/multilayer/oci-archive.tar`]);
      assert.match(me.ok(['images', '--format', '{{.Repository}}']), /tspod-test\/multilayer/);
      // Seen from the host, the image's uid 1000 is subordinate id 999 of the range, root is the user.
      const store = join(user.home, '.local/share/containers/storage/tspod/overlay');
      const owners = new Map<string, number>();
      for (const layer of readdirSync(store)) {
        for (const path of ['data/setuid', 'bin/busybox']) {
          const p = join(store, layer, 'diff', path);
          if (existsSync(p)) owners.set(path, statSync(p).uid);
        }
      }
      assert.equal(owners.get('data/setuid'), user.subuid.start + 999);
      assert.equal(owners.get('bin/busybox'), user.uid);
    });

    test('run --rm: root inside is the user outside, ids keep their owners, whiteouts hide files', () => {
      const out = me.ok(['run', '--rm', '--network', 'none', MULTI, 'sh', '-c', 'id -u; cat /proc/self/uid_map; stat -c %u:%g /data/setuid; ls /data; ls /data/dir']);
      const lines = out.split('\n');
      assert.equal(lines[0], '0');
      assert.match(lines[1]!, new RegExp(`^\\s+0\\s+${user.uid}\\s+1$`));
      assert.match(lines[2]!, new RegExp(`^\\s+1\\s+${user.subuid.start}\\s+65536$`));
      assert.equal(lines[3], '1000:1000');
      // b.txt was whited out and data/dir made opaque by the third layer.
      assert.doesNotMatch(out, /b\.txt|c\.txt/);
      assert.match(out, /d\.txt/);
    });

    test('storage.conf\'s mount_program: fuse-overlayfs mounts the same layers', (t) => {
      if (!userCanOpen(user, '/dev/fuse')) {
        t.skip('/dev/fuse cannot be opened by ordinary users here (mode 0600, no udev): fuse-overlayfs needs it');
        return;
      }
      const conf = join(user.home, '.config', 'containers');
      mkdirSync(conf, { recursive: true });
      writeFileSync(join(conf, 'storage.conf'), '[storage]\ndriver = "overlay"\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n');
      for (const p of [join(user.home, '.config'), conf, join(conf, 'storage.conf')]) chownSync(p, user.uid, user.gid);
      try {
        const out = me.ok(['run', '--rm', '--network', 'none', MULTI, 'sh', '-c', 'grep " / " /proc/mounts | cut -d" " -f3; ls /data/dir; test -e /data/b.txt || echo b-hidden; stat -c %u:%g /data/setuid']);
        assert.equal(out, 'fuse.fuse-overlayfs\nd.txt\nb-hidden\n1000:1000\n');
      } finally {
        rmSync(conf, { recursive: true, force: true });
      }
    });

    test('mount hands out mount points inside a tspod unshare session only', () => {
      const id = me.ok(['create', '--network', 'none', IMG, 'true']).trim();
      try {
        const outside = me.run(['mount', id]);
        assert.equal(outside.code, 125);
        assert.match(outside.stderr, /^Error: cannot run "tspod mount" in rootless mode outside the user namespace: .*run it in "tspod unshare" first$/m);
        const inside = me.ok(['unshare', 'sh', '-c', `p=$(${me.tspod} mount ${id}) && test -x "$p/bin/busybox" && echo mounted; ${me.tspod} umount ${id} >/dev/null`]);
        assert.equal(inside, 'mounted\n');
      } finally {
        me.run(['rm', '-f', id]);
      }
    });

    test('a container writes files owned by its users, seen on the host as subordinate ids', () => {
      const id = me.ok(['run', '-d', '--network', 'none', IMG, 'sleep', '300']).trim();
      try {
        me.ok(['exec', id, 'sh', '-c', 'echo hi > /tmp/root-file && touch /tmp/other && chown 1000:1000 /tmp/other']);
        const upper = join(user.home, '.local/share/containers/storage/tspod/containers', id, 'upper', 'tmp');
        assert.equal(statSync(join(upper, 'root-file')).uid, user.uid);
        assert.equal(statSync(join(upper, 'other')).uid, user.subuid.start + 999);
      } finally {
        me.run(['rm', '-f', '-t', '0', id]);
      }
    });
  });
});

/** Alive and not a zombie waiting for init to reap it. */
function processRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

function spawnRoot(args: string[]): { code: number; stderr: string } {
  const r = spawnSync(TSPOD, args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}
