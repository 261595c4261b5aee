/**
 * Rootless containers with their own user namespace (--userns, --uidmap,
 * --gidmap), and the everyday commands as an ordinary user: build, volumes,
 * generate kube. Containers use --network none (networking has its own file).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';
import { AsUser, freshUser, rootlessUnavailable, type RootlessUser } from './rootlessUser.js';

const IMG = 'localhost/tspod-test/busybox:latest';
const MULTI = 'localhost/tspod-test/multilayer:latest';
const NONE = ['--network', 'none'];

let user: RootlessUser;
let me: AsUser;

/** /proc/self/uid_map (or gid_map) rows as [inside, outside, count]. */
function mapRows(text: string): number[][] {
  return text.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
}

describe('rootless user namespaces and everyday commands', { skip: rootlessUnavailable() }, () => {
  before(async () => {
    await buildFixtures(fixturesDir());
    me = freshUser('tspodrl3', ['busybox', 'multilayer'], fixturesDir());
    user = me.user;
  });

  after(() => {
    me.reset();
    rmSync(join(user.home, 'shared'), { recursive: true, force: true });
    rmSync(join(user.home, 'ctx'), { recursive: true, force: true });
  });

  describe('--userns', () => {
    test('host (the default): root inside is the user', () => {
      assert.deepEqual(mapRows(me.ok(['run', '--rm', ...NONE, IMG, 'cat', '/proc/self/uid_map'])), [
        [0, user.uid, 1],
        [1, user.subuid.start, 65536],
      ]);
    });

    test('keep-id: the user keeps its ids, gets a passwd entry and home, and writes files the host sees as its own', () => {
      const shared = join(user.home, 'shared');
      mkdirSync(shared, { recursive: true });
      chownSync(shared, user.uid, user.gid);
      const out = me.ok(['run', '--rm', ...NONE, '--userns=keep-id', '-v', `${shared}:/shared`, IMG, 'sh', '-c', 'id -u; id -g; id -un; echo $HOME; touch /shared/made-inside; cat /proc/self/uid_map']);
      const [uid, gid, name, home, ...map] = out.trim().split('\n');
      assert.equal(uid, String(user.uid));
      assert.equal(gid, String(user.gid));
      assert.equal(name, user.name);
      assert.equal(home, user.home);
      // The namespace's 0 (the user) is the container's uid; the ids below it shift up by one.
      assert.deepEqual(mapRows(map.join('\n')), [
        [0, 1, user.uid],
        [user.uid, 0, 1],
        [user.uid + 1, user.uid + 1, 65536 - user.uid],
      ]);
      const st = statSync(join(shared, 'made-inside'));
      assert.equal(st.uid, user.uid);
      assert.equal(st.gid, user.gid);
    });

    test('keep-id:uid=N,gid=N maps the user to those ids; --user still wins', () => {
      assert.equal(me.ok(['run', '--rm', ...NONE, '--userns=keep-id:uid=200,gid=210', IMG, 'sh', '-c', 'echo $(id -u):$(id -g)']).trim(), '200:210');
      assert.equal(me.ok(['run', '--rm', ...NONE, '--userns=keep-id', '--user', '0', IMG, 'id', '-u']).trim(), '0');
    });

    test('nomap: the user\'s own id is not in the container; the image keeps its owners', () => {
      const out = me.ok(['run', '--rm', ...NONE, '--userns=nomap', MULTI, 'sh', '-c', 'cat /proc/self/uid_map; stat -c %u:%g /data/setuid; touch /new && echo writable']);
      const lines = out.trim().split('\n');
      assert.deepEqual(mapRows(lines[0]!), [[0, 1, 65536]]);
      assert.equal(lines[1], '1000:1000');
      assert.equal(lines[2], 'writable');
    });

    test('auto: each container gets its own range of ids, sized by auto:size', () => {
      const a = me.ok(['run', '-d', ...NONE, '--userns=auto', IMG, 'sleep', '300']).trim();
      const b = me.ok(['run', '-d', ...NONE, '--userns=auto:size=2048', IMG, 'sleep', '300']).trim();
      try {
        const [ra] = mapRows(me.ok(['exec', a, 'cat', '/proc/self/uid_map']));
        const [rb] = mapRows(me.ok(['exec', b, 'cat', '/proc/self/uid_map']));
        assert.equal(ra![0], 0);
        assert.equal(ra![2], 1024);
        assert.equal(rb![2], 2048);
        assert.ok(ra![1]! + ra![2]! <= rb![1]! || rb![1]! + rb![2]! <= ra![1]!, `ranges overlap: ${ra} ${rb}`);
        assert.equal(me.ok(['inspect', '--format', '{{.HostConfig.UsernsMode}}', b]).trim(), 'auto:size=2048');
      } finally {
        me.ok(['rm', '-f', '-t', '0', a, b]);
      }
    });

    test('auto too small for the image\'s owners is a clear error', () => {
      const r = me.run(['run', '--rm', ...NONE, '--userns=auto:size=500', IMG, 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^Error: .*belongs to uid 1000, which the container's user namespace does not map: give the namespace more ids/m);
    });

    test('--uidmap/--gidmap take ids of the user\'s namespace; one stands for both', () => {
      const out = me.ok(['run', '--rm', ...NONE, '--uidmap', '0:2000:3000', IMG, 'cat', '/proc/self/uid_map', '/proc/self/gid_map']);
      assert.deepEqual(mapRows(out), [
        [0, 2000, 3000],
        [0, 2000, 3000],
      ]);
      const both = me.ok(['run', '--rm', ...NONE, '--uidmap', '0:10:1001', '--gidmap', '0:5000:2000', IMG, 'cat', '/proc/self/gid_map']);
      assert.deepEqual(mapRows(both), [[0, 5000, 2000]]);
    });

    test('maps beyond the user\'s ids, bad syntax and mixing are refused', () => {
      const beyond = me.run(['run', '--rm', ...NONE, '--uidmap', '0:60000:10000', IMG, 'true']);
      assert.equal(beyond.code, 125);
      assert.match(beyond.stderr, /^Error: --uidmap 0:60000:10000 goes beyond the 65537 ids of this user's namespace/m);
      const bad = me.run(['run', '--rm', ...NONE, '--uidmap', '0:1', IMG, 'true']);
      assert.match(bad.stderr, /^Error: invalid --uidmap "0:1": use CONTAINER_ID:HOST_ID:SIZE/m);
      const mixed = me.run(['run', '--rm', ...NONE, '--userns=nomap', '--uidmap', '0:1:10', IMG, 'true']);
      assert.match(mixed.stderr, /^Error: --userns=nomap cannot be combined with --uidmap or --gidmap/m);
      const unknown = me.run(['run', '--rm', ...NONE, '--userns=sideways', IMG, 'true']);
      assert.match(unknown.stderr, /^Error: invalid --userns "sideways"/m);
    });
  });

  test('build: RUN and COPY --chown give the image\'s files their owners', () => {
    const ctx = join(user.home, 'ctx');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'greeting.txt'), 'hello\n');
    writeFileSync(
      join(ctx, 'Containerfile'),
      `FROM ${IMG}\nRUN mkdir /built && echo ran > /built/run.txt && chown 1000:1000 /built/run.txt\nCOPY --chown=1000:1000 greeting.txt /built/greeting.txt\n`,
    );
    for (const p of [ctx, join(ctx, 'greeting.txt'), join(ctx, 'Containerfile')]) chownSync(p, user.uid, user.gid);
    me.ok(['build', '-q', '--network', 'none', '-t', 'localhost/rootless-built', '.'], { cwd: ctx });
    const out = me.ok(['run', '--rm', ...NONE, 'localhost/rootless-built', 'sh', '-c', 'stat -c "%n %u:%g" /built/run.txt /built/greeting.txt; cat /built/greeting.txt']);
    assert.equal(out, '/built/run.txt 1000:1000\n/built/greeting.txt 1000:1000\nhello\n');
  });

  test('volume create and use: the data outlives its containers, owners kept', () => {
    me.ok(['volume', 'create', 'rl-data']);
    me.ok(['run', '--rm', ...NONE, '-v', 'rl-data:/data', IMG, 'sh', '-c', 'echo kept > /data/f && chown 1000:1000 /data/f']);
    assert.equal(me.ok(['run', '--rm', ...NONE, '-v', 'rl-data:/data', IMG, 'sh', '-c', 'cat /data/f; stat -c %u /data/f']), 'kept\n1000\n');
    const mountpoint = me.ok(['volume', 'inspect', '--format', '{{.Mountpoint}}', 'rl-data']).trim();
    assert.equal(mountpoint, `${user.home}/.local/share/containers/storage/volumes/rl-data/_data`);
    assert.equal(statSync(join(mountpoint, 'f')).uid, user.subuid.start + 999);
    me.ok(['volume', 'rm', 'rl-data']);
  });

  test('generate kube describes the user\'s container', () => {
    me.ok(['run', '-d', ...NONE, '--name', 'kubed', '-v', 'kube-vol:/data', '-e', 'GREETING=hi', IMG, 'sleep', '300']);
    try {
      const docs = me.ok(['generate', 'kube', 'kubed']);
      const pod = parseYaml(docs.replace(/^#.*\n/gm, '')) as { kind: string; spec: { containers: Array<{ name: string; image: string; env?: Array<{ name: string; value: string }>; volumeMounts: Array<{ mountPath: string }> }> } };
      assert.equal(pod.kind, 'Pod');
      const c = pod.spec.containers[0]!;
      assert.equal(c.image, IMG);
      assert.deepEqual(c.volumeMounts.map((m) => m.mountPath), ['/data']);
      assert.ok(c.env?.some((e) => e.name === 'GREETING' && e.value === 'hi'));
    } finally {
      me.ok(['rm', '-f', '-t', '0', 'kubed']);
      me.ok(['volume', 'rm', 'kube-vol']);
    }
  });

  test('the storage dirs a userns container passes through are searchable, never readable, by others', () => {
    me.ok(['run', '--rm', ...NONE, '--userns=nomap', IMG, 'true']);
    const base = join(user.home, '.local/share/containers/storage/tspod');
    assert.equal(statSync(base).mode & 0o777, 0o701);
    assert.equal(statSync(join(base, 'containers')).mode & 0o007, 0o001);
    assert.deepEqual(readdirSync(join(base, 'containers')), [], '--rm removed its dir');
  });
});
