/**
 * What rootless must never allow: the user reaching root's files through a
 * container, or ids outside the user's own and subordinate ones; and
 * rootful and rootless tspod, running at once, never sharing storage.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';
import { AsUser, freshUser, rootlessUnavailable, type RootlessUser } from './rootlessUser.js';

const IMG = 'localhost/tspod-test/busybox:latest';
const MULTI = 'localhost/tspod-test/multilayer:latest';
const NONE = ['--network', 'none'];
const SECRET_DIR = '/root/tspod-rootless-secret';
const SECRET = join(SECRET_DIR, 'secret.txt');

let user: RootlessUser;
let me: AsUser;

/** Every owner (uid and gid) found under `dir`, from the host's view. */
function ownersUnder(dir: string): { uids: Set<number>; gids: Set<number> } {
  const uids = new Set<number>();
  const gids = new Set<number>();
  const walk = (p: string) => {
    const st = lstatSync(p);
    uids.add(st.uid);
    gids.add(st.gid);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dir);
  return { uids, gids };
}

describe('rootless isolation', { skip: rootlessUnavailable() }, () => {
  before(async () => {
    await buildFixtures(fixturesDir());
    me = freshUser('tspodrl4', ['busybox', 'multilayer'], fixturesDir());
    user = me.user;
    mkdirSync(SECRET_DIR, { recursive: true, mode: 0o700 });
    chmodSync(SECRET_DIR, 0o700);
    writeFileSync(SECRET, 'root only\n', { mode: 0o600 });
  });

  after(() => {
    me.reset();
    rmSync(SECRET_DIR, { recursive: true, force: true });
  });

  describe("root's files stay root's", () => {
    test('a bind mount of a root-only dir or file gives nothing to read, even --privileged', () => {
      for (const extra of [[], ['--privileged']]) {
        const dir = me.run(['run', '--rm', ...NONE, ...extra, '-v', `${SECRET_DIR}:/secret`, IMG, 'cat', '/secret/secret.txt']);
        assert.notEqual(dir.code, 0, `read through a dir mount (${extra.join(' ')})`);
        assert.doesNotMatch(dir.stdout, /root only/);
        const file = me.run(['run', '--rm', ...NONE, ...extra, '-v', '/etc/shadow:/shadow', IMG, 'cat', '/shadow']);
        assert.notEqual(file.code, 0, `read /etc/shadow (${extra.join(' ')})`);
        assert.equal(file.stdout, '');
      }
    });

    test('root of the user namespace is no root of the host: unshare and cp cannot read them either', () => {
      const direct = me.run(['unshare', 'cat', SECRET]);
      assert.notEqual(direct.code, 0);
      assert.doesNotMatch(direct.stdout, /root only/);
      const id = me.ok(['run', '-d', ...NONE, IMG, 'sleep', '300']).trim();
      try {
        const cp = me.run(['cp', SECRET, `${id}:/tmp/`]);
        assert.notEqual(cp.code, 0);
        assert.equal(me.run(['exec', id, 'cat', '/tmp/secret.txt']).stdout, '');
      } finally {
        me.ok(['rm', '-f', '-t', '0', id]);
      }
    });

    test("the user cannot point tspod at root's storage", () => {
      const rootful = new Sandbox('rl-foreign');
      try {
        rootful.ok(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
        const r = me.run(['--root', rootful.path('root'), '--runroot', join(user.home, 'run-elsewhere'), 'images']);
        assert.notEqual(r.code, 0);
        assert.doesNotMatch(r.stdout, /tspod-test\/busybox/);
        assert.match(r.stderr, /^Error: cannot use the storage in .*: permission denied/m);
      } finally {
        rootful.cleanup();
      }
    });
  });

  describe('the mapping holds', () => {
    test('inside, ids beyond the map cannot be given out and the map cannot be rewritten', () => {
      const out = me.run(['run', '--rm', ...NONE, '--privileged', IMG, 'sh', '-c', [
        'touch /tmp/f',
        'chown 70000 /tmp/f && echo CHOWNED-BEYOND',
        'echo "0 0 4294967295" > /proc/self/uid_map && echo MAP-REWRITTEN',
        'echo done',
      ].join('; ')]);
      assert.match(out.stdout, /done/);
      assert.doesNotMatch(out.stdout, /CHOWNED-BEYOND|MAP-REWRITTEN/);
    });

    test("every file tspod and its containers write belongs to the user or the user's subordinate ids", () => {
      const id = me.ok(['run', '-d', ...NONE, MULTI, 'sh', '-c', 'touch /tmp/a; chown 1000:1000 /tmp/a; chown 65535:65535 /data/a.txt; sleep 300']).trim();
      try {
        me.ok(['exec', id, 'true']);
        const inRange = (id: number, own: number, start: number) => id === own || (id >= start && id < start + 65536);
        for (const dir of [join(user.home, '.local/share/containers'), `/run/user/${user.uid}`]) {
          const { uids, gids } = ownersUnder(dir);
          for (const uid of uids) assert.ok(inRange(uid, user.uid, user.subuid.start), `${dir} holds a file of uid ${uid}`);
          for (const gid of gids) assert.ok(inRange(gid, user.gid, user.subgid.start), `${dir} holds a file of gid ${gid}`);
        }
      } finally {
        me.ok(['rm', '-f', '-t', '0', id]);
      }
    });
  });

  test('rootful and rootless at once: separate storage, containers and names that never mix', async () => {
    const rootful = new Sandbox('rl-side-by-side');
    try {
      rootful.ok(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
      rootful.ok(['tag', IMG, 'localhost/only-rootful']);
      me.ok(['tag', IMG, 'localhost/only-rootless']);
      // Both at once, under the same container name.
      const [r1, r2] = await Promise.all([
        rootful.runAsync(['run', '-d', '--network', 'none', '--name', 'same-name', IMG, 'sleep', '300']),
        me.runAsync(['run', '-d', ...NONE, '--name', 'same-name', IMG, 'sleep', '300']),
      ]);
      assert.equal(r1.code, 0, r1.stderr);
      assert.equal(r2.code, 0, r2.stderr);
      assert.notEqual(r1.stdout.trim(), r2.stdout.trim());
      assert.equal(rootful.ok(['ps', '-q', '--no-trunc']).trim(), r1.stdout.trim());
      assert.equal(me.ok(['ps', '-q', '--no-trunc']).trim(), r2.stdout.trim());
      assert.doesNotMatch(rootful.ok(['images', '--format', '{{.Repository}}']), /only-rootless/);
      assert.doesNotMatch(me.ok(['images', '--format', '{{.Repository}}']), /only-rootful/);
      // The same name is two containers: each engine's exec reaches its own.
      assert.equal(rootful.ok(['exec', 'same-name', 'cat', '/proc/self/uid_map']).trim().split(/\s+/).join(' '), '0 0 4294967295');
      assert.equal(me.ok(['exec', 'same-name', 'cat', '/proc/self/uid_map']).trim().split('\n')[0]!.trim().split(/\s+/).join(' '), `0 ${user.uid} 1`);
      const [rootGraph, userGraph] = [rootful.ok(['info', '--format', '{{.Store.GraphRoot}}']).trim(), me.ok(['info', '--format', '{{.Store.GraphRoot}}']).trim()];
      assert.ok(!userGraph.startsWith(rootGraph) && !rootGraph.startsWith(userGraph));
      me.ok(['rm', '-f', '-t', '0', 'same-name']);
      assert.equal(rootful.ok(['inspect', '--format', '{{.State.Status}}', 'same-name']).trim(), 'running', "the user's rm left root's container alone");
    } finally {
      rootful.run(['rm', '-fa', '-t', '0']);
      rootful.cleanup();
      me.run(['rmi', 'localhost/only-rootless']);
    }
  });
});
