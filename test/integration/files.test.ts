import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('files');
const IMG = 'localhost/tspod-test/busybox';

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

/** Every node under dir: type, mode, content hash or link target, mtime in seconds. */
function manifest(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const p = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      const mtime = Math.floor(st.mtimeMs / 1000);
      if (st.isSymbolicLink()) out.push(`L ${r} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`D ${r} ${mode} ${mtime}`);
        walk(p, r);
      } else out.push(`F ${r} ${mode} ${mtime} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return out;
}

/** A tree with nested dirs, odd modes, binary content, an empty file, relative and absolute symlinks. */
function makeTree(dir: string): void {
  mkdirSync(join(dir, 'a/b/c'), { recursive: true });
  writeFileSync(join(dir, 'a/b/c/bin.dat'), randomBytes(300_000));
  writeFileSync(join(dir, 'a/empty'), '');
  writeFileSync(join(dir, 'a/script.sh'), '#!/bin/sh\necho run\n');
  chmodSync(join(dir, 'a/script.sh'), 0o755);
  writeFileSync(join(dir, 'a/secret'), 'secret\n');
  chmodSync(join(dir, 'a/secret'), 0o600);
  chmodSync(join(dir, 'a/b'), 0o750);
  symlinkSync('b/c/bin.dat', join(dir, 'a/rel-link'));
  symlinkSync('/etc/passwd', join(dir, 'a/abs-link'));
  symlinkSync('missing', join(dir, 'a/dangling'));
  const old = new Date('2020-01-02T03:04:05Z');
  for (const p of ['a/b/c/bin.dat', 'a/empty', 'a/script.sh', 'a/secret', 'a/b/c', 'a/b', 'a']) utimesSync(join(dir, p), old, old);
}

function fail(args: string[], stderr: RegExp, input?: Buffer): void {
  const r = box.run(args, { input });
  assert.equal(r.code, 125, `tspod ${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
  assert.match(r.stderr, stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

function tar(entries: Array<{ header: tarStream.Header | (Partial<tarStream.Header> & { name: string }); body?: string }>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) pack.entry(e.header, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
}

function tarNames(archive: Buffer): string[] {
  const r = spawnSync('tar', ['-t'], { input: archive });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString().split('\n').filter(Boolean);
}

test('cp round-trips a directory tree byte for byte into a never-started container and back', () => {
  const src = box.path('tree1');
  makeTree(src);
  box.ok(['create', '--name', 'cp1', IMG, 'true']);
  assert.equal(box.ok(['cp', join(src, 'a'), 'cp1:/tmp/']), '');
  const back = box.path('back1');
  mkdirSync(back);
  box.ok(['cp', 'cp1:/tmp/a', back]);
  assert.deepEqual(manifest(join(back, 'a')), manifest(join(src, 'a')));
  // The container's own view: the file is there for its process.
  assert.equal(box.ok(['start', '-a', 'cp1']), '');
  box.ok(['rm', 'cp1']);
});

test('cp through a tar archive on stdout and stdin keeps the tree', () => {
  const src = box.path('tree2');
  makeTree(src);
  box.ok(['create', '--name', 'cp2a', IMG, 'true']);
  box.ok(['create', '--name', 'cp2b', IMG, 'true']);
  box.ok(['cp', join(src, 'a'), 'cp2a:/srv']);
  const out = box.runBinary(['cp', 'cp2a:/srv', '-']);
  assert.equal(out.code, 0, out.stderr);
  assert.ok(tarNames(out.stdout).includes('srv/b/c/bin.dat'));
  box.ok(['cp', '-', 'cp2b:/'], { input: out.stdout });
  const back = box.path('back2');
  box.ok(['cp', 'cp2b:/srv', back]);
  assert.deepEqual(manifest(back), manifest(join(src, 'a')));
  box.ok(['rm', 'cp2a', 'cp2b']);
});

test('cp directory semantics: dir/. copies contents, a missing dest is created, a file onto a missing dir/ fails', () => {
  const src = box.path('tree3');
  makeTree(src);
  box.ok(['create', '--name', 'cp3', IMG, 'true']);
  box.ok(['cp', join(src, 'a') + '/.', 'cp3:/newdir']);
  box.ok(['cp', join(src, 'a', 'secret'), 'cp3:/tmp']);
  box.ok(['cp', join(src, 'a', 'secret'), 'cp3:/tmp/renamed']);
  const m = box.ok(['mount', 'cp3']).trim();
  try {
    assert.deepEqual(manifest(join(m, 'newdir')), manifest(join(src, 'a')));
    assert.equal(readFileSync(join(m, 'tmp/secret'), 'utf8'), 'secret\n');
    assert.equal(readFileSync(join(m, 'tmp/renamed'), 'utf8'), 'secret\n');
  } finally {
    box.ok(['umount', 'cp3']);
  }
  fail(['cp', join(src, 'a', 'secret'), 'cp3:/nowhere/'], /could not be found/);
  fail(['cp', 'cp3:/does-not-exist', box.path('x')], /could not be found/);
  fail(['cp', join(src, 'a'), 'cp3:/tmp/renamed'], /destination must be a directory when copying a directory/);
  // A directory is not replaced by a file unless --overwrite.
  const clash = box.path('clash');
  mkdirSync(join(clash, 'newdir'), { recursive: true });
  rmFile(join(clash, 'newdir'));
  writeFileSync(join(clash, 'newdir'), 'now a file');
  fail(['cp', join(clash, 'newdir'), 'cp3:/'], /cannot overwrite directory/);
  box.ok(['cp', '--overwrite', join(clash, 'newdir'), 'cp3:/']);
  box.ok(['rm', 'cp3']);
});

function rmFile(p: string): void {
  spawnSync('rm', ['-rf', p]);
}

test('cp into and out of a running container', () => {
  box.ok(['run', '-d', '--name', 'cp4', '--tmpfs', '/scratch', IMG, 'sleep', '1000']);
  writeFileSync(box.path('hello.txt'), 'hello running\n');
  box.ok(['cp', box.path('hello.txt'), 'cp4:/hello.txt']);
  assert.equal(box.ok(['exec', 'cp4', 'cat', '/hello.txt']), 'hello running\n');
  box.ok(['exec', 'cp4', 'sh', '-c', 'echo made inside > /inside.txt']);
  box.ok(['cp', 'cp4:/inside.txt', box.path('inside.txt')]);
  assert.equal(readFileSync(box.path('inside.txt'), 'utf8'), 'made inside\n');
  // Files bind-mounted by tspod read as the container sees them.
  box.ok(['cp', 'cp4:/etc/hostname', box.path('hostname')]);
  assert.equal(readFileSync(box.path('hostname'), 'utf8'), box.ok(['exec', 'cp4', 'cat', '/etc/hostname']));
  // A tmpfs of the running container is out of the host's reach: refused, not written where nobody sees it.
  fail(['cp', box.path('hello.txt'), 'cp4:/scratch/'], /tmpfs mount of the running container/);
  box.ok(['rm', '-f', '-t', '0', 'cp4']);
});

test('cp resolves container symlinks inside the container, never on the host', async () => {
  const marker = `tspod-files-${process.pid}-${Date.now()}`;
  // Links to the root, above the root, and to /tmp, made by the container itself.
  box.ok(['run', '--name', 'evil', IMG, 'sh', '-c', `ln -s / /x && ln -s ../../../../../../tmp /up && ln -s /tmp /t && echo container-secret > /tmp/${marker}.in`]);
  writeFileSync(box.path('payload'), 'payload\n');
  box.ok(['cp', box.path('payload'), `evil:/x/tmp/${marker}.a`]);
  box.ok(['cp', box.path('payload'), `evil:/up/${marker}.b`]);
  assert.equal(existsSync(`/tmp/${marker}.a`), false);
  assert.equal(existsSync(`/tmp/${marker}.b`), false);
  // Reading through the same links reads the container's files.
  box.ok(['cp', `evil:/up/${marker}.in`, box.path('read-back')]);
  assert.equal(readFileSync(box.path('read-back'), 'utf8'), 'container-secret\n');
  // A tar on stdin: a `..` name is refused, a symlink it creates is followed inside the container only.
  fail(['cp', '-', 'evil:/tmp'], /outside the destination/, await tar([{ header: { name: `../../../../tmp/${marker}.c`, type: 'file', mode: 0o644 }, body: 'x' }]));
  assert.equal(existsSync(`/tmp/${marker}.c`), false);
  box.ok(['cp', '-', 'evil:/'], {
    input: await tar([
      { header: { name: 'hop', type: 'symlink', linkname: '/tmp' } },
      { header: { name: `hop/${marker}.d`, type: 'file', mode: 0o644 }, body: 'through hop\n' },
    ]),
  });
  assert.equal(existsSync(`/tmp/${marker}.d`), false);
  const m = box.ok(['mount', 'evil']).trim();
  try {
    for (const f of ['a', 'b', 'd']) assert.ok(existsSync(join(m, 'tmp', `${marker}.${f}`)), `${f} landed in the container's /tmp`);
  } finally {
    box.ok(['umount', 'evil']);
  }
  // `..` in the container path stays at the container's root.
  box.ok(['cp', box.path('payload'), `evil:../../../../tmp/${marker}.e`]);
  assert.equal(existsSync(`/tmp/${marker}.e`), false);
  assert.deepEqual(tarNames(box.runBinary(['cp', `evil:/tmp/${marker}.e`, '-']).stdout), [`${marker}.e`]);
  // A hard link in a tar may not name a file outside the destination.
  const hostVictim = box.path('victim');
  writeFileSync(hostVictim, 'untouched\n');
  fail(['cp', '-', 'evil:/tmp'], /outside the destination/, await tar([{ header: { name: 'hl', type: 'link', linkname: `../../../../../../../../..${hostVictim}` } }]));
  box.ok(['cp', '-', 'evil:/tmp'], { input: await tar([{ header: { name: 'hl', type: 'link', linkname: `${marker}.in` } }]) });
  // A source that is a symlink is copied as the link, its target is never read from the host.
  box.ok(['cp', 'evil:/x', box.path('x-link')]);
  assert.equal(readlinkSync(box.path('x-link')), '/');
  // Out to the host: a tar from the container is extracted below the destination only.
  const dest = box.path('evil-out');
  mkdirSync(dest);
  box.ok(['cp', 'evil:/t/.', dest]);
  assert.ok(existsSync(join(dest, `${marker}.d`)));
  box.ok(['rm', 'evil']);
});

test('commit makes an image of the changes: added file, deleted file, -c CMD', () => {
  box.ok(['run', '--name', 'cm1', IMG, 'sh', '-c', 'echo committed > /added.txt && rm /bin/ls && mkdir -p /opt/d && echo x > /opt/d/f']);
  fail(['commit', '-m', 'oci has no message', 'cm1'], /only compatible with the docker image format/);
  const id = box.ok(['commit', '-c', 'CMD ["cat", "/added.txt"]', '-f', 'docker', '-m', 'my message', '-a', 'Tester', 'cm1', 'localhost/committed:1']).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(box.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']), new RegExp(`localhost/committed:1 ${id.slice(0, 12)}`));
  assert.equal(box.ok(['run', '--rm', 'localhost/committed:1']), 'committed\n');
  const r = box.run(['run', '--rm', 'localhost/committed:1', 'ls', '/opt/d']);
  assert.equal(r.code, 127, 'ls stays deleted');
  assert.equal(box.ok(['run', '--rm', 'localhost/committed:1', 'cat', '/opt/d/f']), 'x\n');
  const inspect = JSON.parse(box.ok(['image', 'inspect', 'localhost/committed:1']))[0];
  assert.deepEqual(inspect.Config.Cmd, ['cat', '/added.txt']);
  assert.equal(inspect.Author, 'Tester');
  assert.equal(inspect.RootFS.Layers.length, 2);
  // The committed image saves and loads like any other.
  const saved = box.runBinary(['save', '--format', 'oci-archive', 'localhost/committed:1']);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(box.ok(['commit', '-q', '--format', 'docker', 'cm1']).trim().length, 64);
  // A refused commit leaves no image and nothing staged.
  const before = box.ok(['images', '-aq']);
  fail(['commit', '-c', 'BOGUS thing', 'cm1', 'localhost/never'], /BOGUS|change|instruction/i);
  assert.equal(box.ok(['images', '-aq']), before);
  assert.deepEqual(readdirSync(box.path('root', 'tspod', 'tmp')).length, 0);
  box.ok(['rm', 'cm1']);
});

test('diff lists A/C/D changes, also as json', () => {
  box.ok(['run', '--name', 'df1', IMG, 'sh', '-c', 'echo a > /tmp/new && rm /bin/cat']);
  const lines = box.ok(['diff', 'df1']).split('\n');
  assert.ok(lines.includes('A /tmp/new'), lines.join('\n'));
  assert.ok(lines.includes('D /bin/cat'));
  assert.ok(lines.includes('C /bin'));
  const json = JSON.parse(box.ok(['container', 'diff', '--format', 'json', 'df1']));
  assert.ok(json.added.includes('/tmp/new'));
  assert.ok(json.deleted.includes('/bin/cat'));
  fail(['diff', 'no-such-container'], /no such container/);
  // An image's diff: its top layer over the ones below.
  box.ok(['commit', '-q', 'df1', 'localhost/diffed']);
  const imageLines = box.ok(['image', 'diff', 'localhost/diffed']).split('\n');
  assert.ok(imageLines.includes('A /tmp/new') && imageLines.includes('D /bin/cat'), imageLines.join('\n'));
  assert.equal(box.ok(['diff', 'localhost/diffed']), imageLines.join('\n'));
  box.ok(['rm', 'df1']);
});

test('export writes the root filesystem as a tar, refusing a terminal only', () => {
  box.ok(['run', '--name', 'ex1', IMG, 'sh', '-c', 'echo exported > /exported.txt']);
  const out = box.runBinary(['export', 'ex1']);
  assert.equal(out.code, 0, out.stderr);
  const names = tarNames(out.stdout);
  assert.ok(names.includes('exported.txt'));
  assert.ok(names.includes('bin/busybox'));
  box.ok(['export', '-o', box.path('ex.tar'), 'ex1']);
  assert.ok(tarNames(readFileSync(box.path('ex.tar'))).includes('exported.txt'));
  box.ok(['rm', 'ex1']);
});

test('mount shows a stopped container files, lists mounted ones, unmount releases it', () => {
  box.ok(['create', '--name', 'mt1', IMG, 'true']);
  const path = box.ok(['mount', 'mt1']).trim();
  assert.ok(existsSync(join(path, 'bin/busybox')));
  const id = box.ok(['inspect', '--format', '{{.Id}}', 'mt1']).trim();
  assert.equal(box.ok(['mount']), `${id.slice(0, 12)}  ${path}\n`);
  assert.equal(box.ok(['umount', 'mt1']), 'mt1\n');
  assert.equal(existsSync(join(path, 'bin/busybox')), false);
  assert.equal(box.ok(['mount']), '');
  box.ok(['rm', 'mt1']);
});

test('mounts are counted: a container run and stopped keeps a mount, and unmount releases it after the last mount', () => {
  box.ok(['create', '--name', 'mt2', '--network', 'none', IMG, 'sh', '-c', 'echo ran > /ran']);
  const path = box.ok(['mount', 'mt2']).trim();
  assert.equal(box.ok(['mount', 'mt2']).trim(), path);
  box.ok(['start', '-a', 'mt2']);
  // The run ended, but two mounts still hold the root filesystem.
  assert.equal(readFileSync(join(path, 'ran'), 'utf8'), 'ran\n');
  box.ok(['umount', 'mt2']);
  assert.equal(readFileSync(join(path, 'ran'), 'utf8'), 'ran\n', 'one mount still holds it');
  box.ok(['umount', 'mt2']);
  assert.equal(existsSync(join(path, 'ran')), false);
  // -f releases every mount at once.
  box.ok(['mount', 'mt2']);
  box.ok(['mount', 'mt2']);
  box.ok(['umount', '-f', 'mt2']);
  assert.equal(box.ok(['mount']), '');
  box.ok(['rm', 'mt2']);
});

test('cp keeps hard links', () => {
  const src = box.path('hl');
  mkdirSync(src);
  writeFileSync(join(src, 'one'), 'linked\n');
  linkSync(join(src, 'one'), join(src, 'two'));
  box.ok(['create', '--name', 'hl1', IMG, 'true']);
  box.ok(['cp', src, 'hl1:/hl']);
  const back = box.path('hl-back');
  box.ok(['cp', 'hl1:/hl', back]);
  assert.equal(lstatSync(join(back, 'one')).ino, lstatSync(join(back, 'two')).ino);
  box.ok(['rm', 'hl1']);
});

test('cp into a path under a volume writes the volume data, also for a stopped container', () => {
  box.ok(['volume', 'create', 'filesvol']);
  box.ok(['create', '--name', 'vol1', '-v', 'filesvol:/data', IMG, 'cat', '/data/in.txt']);
  writeFileSync(box.path('in.txt'), 'into the volume\n');
  box.ok(['cp', box.path('in.txt'), 'vol1:/data/']);
  const mountpoint = JSON.parse(box.ok(['volume', 'inspect', 'filesvol']))[0].Mountpoint as string;
  assert.equal(readFileSync(join(mountpoint, 'in.txt'), 'utf8'), 'into the volume\n');
  assert.equal(box.ok(['start', '-a', 'vol1']), 'into the volume\n');
  box.ok(['cp', 'vol1:/data/in.txt', box.path('out.txt')]);
  assert.equal(readFileSync(box.path('out.txt'), 'utf8'), 'into the volume\n');
  // The volume's contents are no change of the container's own.
  assert.doesNotMatch(box.ok(['diff', 'vol1']), /in\.txt/);
  box.ok(['rm', '-v', 'vol1']);
  box.ok(['volume', 'rm', 'filesvol']);
});

test('image mount shows the image read-only, lists it, image unmount releases it', () => {
  const path = box.ok(['image', 'mount', IMG]).trim();
  assert.ok(existsSync(join(path, 'bin/busybox')));
  assert.equal(box.ok(['image', 'mount']), `${IMG}:latest  ${path}\n`);
  assert.throws(() => writeFileSync(join(path, 'nope'), 'x'), /EROFS/);
  const id = box.ok(['image', 'inspect', '--format', '{{.Id}}', IMG]).trim();
  assert.equal(box.ok(['image', 'unmount', IMG]), `${id}\n`);
  assert.equal(existsSync(join(path, 'bin/busybox')), false);
  assert.equal(box.ok(['image', 'mount']), '');
  // rmi of a mounted image unmounts it first.
  box.ok(['create', '--name', 'im1', IMG, 'true']);
  box.ok(['commit', '-q', 'im1', 'localhost/mounted-then-removed']);
  box.ok(['rm', 'im1']);
  const other = box.ok(['image', 'mount', 'localhost/mounted-then-removed']).trim();
  assert.ok(existsSync(join(other, 'bin/busybox')));
  box.ok(['rmi', 'localhost/mounted-then-removed']);
  assert.equal(box.ok(['image', 'mount']), '');
  assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(other), 'no mount left behind');
});

test('cp ownership: into a container the container user owns copies, --archive=false keeps ids, the host gets the caller', () => {
  box.ok(['create', '--name', 'own1', '--user', '1000:1001', IMG, 'true']);
  const f = box.path('owned');
  writeFileSync(f, 'owned\n');
  chownSync(f, 5, 6);
  box.ok(['cp', f, 'own1:/f1']);
  box.ok(['cp', '--archive=false', f, 'own1:/f2']);
  box.ok(['cp', '-a=false', f, 'own1:/f3']);
  const m = box.ok(['mount', 'own1']).trim();
  try {
    assert.deepEqual([lstatSync(join(m, 'f1')).uid, lstatSync(join(m, 'f1')).gid], [1000, 1001]);
    assert.deepEqual([lstatSync(join(m, 'f2')).uid, lstatSync(join(m, 'f2')).gid], [5, 6]);
    assert.deepEqual([lstatSync(join(m, 'f3')).uid, lstatSync(join(m, 'f3')).gid], [5, 6]);
  } finally {
    box.ok(['umount', 'own1']);
  }
  box.ok(['cp', 'own1:/f2', box.path('owned-back')]);
  assert.deepEqual([lstatSync(box.path('owned-back')).uid, lstatSync(box.path('owned-back')).gid], [process.getuid!(), process.getgid!()]);
  box.ok(['rm', 'own1']);
});

test('commit over a committed image: a replaced directory (opaque) hides the lower files', () => {
  box.ok(['run', '--name', 'op1', IMG, 'sh', '-c', 'mkdir -p /opt/d && echo a > /opt/d/a && echo b > /opt/d/b']);
  box.ok(['commit', '-q', 'op1', 'localhost/opaque:1']);
  box.ok(['run', '--name', 'op2', 'localhost/opaque:1', 'sh', '-c', 'rm -rf /opt/d && mkdir /opt/d && echo c > /opt/d/c']);
  box.ok(['commit', '-q', '-c', 'CMD ["ls", "/opt/d"]', 'op2', 'localhost/opaque:2']);
  assert.equal(box.ok(['run', '--rm', 'localhost/opaque:2']), 'c\n');
  assert.equal(box.ok(['run', '--rm', 'localhost/opaque:1', 'ls', '/opt/d']), 'a\nb\n');
  assert.equal(JSON.parse(box.ok(['image', 'inspect', 'localhost/opaque:2']))[0].RootFS.Layers.length, 3);
  box.ok(['rm', 'op1', 'op2']);
});

test('commit of a running container with --pause, and --include-volumes', () => {
  box.ok(['run', '-d', '--name', 'cr1', '-v', 'crvol:/vol', IMG, 'sh', '-c', 'echo live > /live.txt; sleep 1000']);
  const deadline = Date.now() + 20_000;
  while (box.run(['exec', 'cr1', 'cat', '/live.txt']).stdout !== 'live\n') {
    assert.ok(Date.now() < deadline, 'the container wrote its file');
  }
  box.ok(['commit', '-q', '-p', '--include-volumes', 'cr1', 'localhost/running:1']);
  assert.match(box.ok(['inspect', '--format', '{{.State.Status}}', 'cr1']), /running/);
  assert.equal(box.ok(['run', '--rm', 'localhost/running:1', 'cat', '/live.txt']), 'live\n');
  const config = JSON.parse(box.ok(['image', 'inspect', 'localhost/running:1']))[0].Config;
  assert.deepEqual(Object.keys(config.Volumes ?? {}), ['/vol']);
  assert.deepEqual(config.Cmd, ['sh', '-c', 'echo live > /live.txt; sleep 1000']);
  box.ok(['rm', '-f', '-t', '0', '-v', 'cr1']);
});

test('cp argument errors', async () => {
  box.ok(['create', '--name', 'ce1', IMG, 'true']);
  fail(['cp', box.path(), box.path()], /must be a container path/);
  fail(['cp', 'ce1:/etc', 'ce1:/tmp'], /between containers is not supported/);
  fail(['cp', '-', 'ce1:/bin/busybox'], /destination must be a directory when copying from stdin/, await tar([]));
  fail(['cp', '-', 'ce1:/nope'], /could not be found on container ce1/, await tar([]));
  fail(['cp', 'nosuch:/etc', box.path()], /no such container/);
  box.ok(['rm', 'ce1']);
});
