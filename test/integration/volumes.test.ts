import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox } from './harness.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

const box = new Sandbox('volumes');
let fx: FixtureSet;
const IMG = 'localhost/tspod-test/busybox';
/** An image whose VOLUME /srv/content holds a file, owned 1234:5678 mode 0750. */
const VOLIMG = 'localhost/tspod-test/volimg:latest';

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  const rootfs = box.path('volimg-rootfs');
  mkdirSync(rootfs, { recursive: true });
  sh('tar', ['-C', rootfs, '-xf', fx.busybox.layerTars[0]!]);
  mkdirSync(join(rootfs, 'srv', 'content'), { recursive: true });
  writeFileSync(join(rootfs, 'srv', 'content', 'hello'), 'from the image\n');
  chownSync(join(rootfs, 'srv', 'content'), 1234, 5678);
  chmodSync(join(rootfs, 'srv', 'content'), 0o750);
  sh('tar', ['-C', rootfs, '-cf', box.path('volimg.tar'), '.']);
  box.ok(['import', '-c', 'VOLUME /srv/content', '-c', 'CMD ["/bin/sh"]', box.path('volimg.tar'), VOLIMG]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.run(['volume', 'rm', '-af']);
  const left = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(box.dir));
  box.cleanup();
  assert.deepEqual(left, [], 'no mounts left behind');
});

function fixturesDir(): string {
  return join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-test-fixtures');
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function fail(args: string[], code: number, stderr: RegExp, input?: string): string {
  const r = box.run(args, { input });
  assert.equal(r.code, code, `tspod ${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
  assert.match(r.stderr, stderr);
  return r.stdout;
}

function volumeNames(): string[] {
  return box.ok(['volume', 'ls', '-q']).split('\n').filter(Boolean);
}

function mountedInSandbox(what: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.includes(box.dir) && l.includes(what));
}

test('volume create, ls, inspect and exists as Podman prints them', () => {
  assert.equal(box.ok(['volume', 'create', '-l', 'team=a', '--label', 'solo', 'alpha']), 'alpha\n');
  const [info] = JSON.parse(box.ok(['volume', 'inspect', 'alpha'])) as Array<Record<string, unknown>>;
  assert.deepEqual(Object.keys(info!), ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Scope', 'Options', 'MountCount', 'NeedsCopyUp', 'NeedsChown']);
  assert.equal(info!.Name, 'alpha');
  assert.equal(info!.Driver, 'local');
  assert.equal(info!.Mountpoint, box.path('root', 'volumes', 'alpha', '_data'));
  assert.match(info!.CreatedAt as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
  assert.deepEqual(info!.Labels, { team: 'a', solo: '' });
  assert.equal(info!.Scope, 'local');
  assert.deepEqual(info!.Options, {});
  assert.equal(info!.NeedsCopyUp, true);
  assert.ok(statSync(info!.Mountpoint as string).isDirectory());
  // Podman's inspect printer: 5-space indent.
  assert.match(box.ok(['volume', 'inspect', 'alpha']), /^\[\n {5}\{\n {10}"Name": "alpha",\n/);
  assert.equal(box.ok(['volume', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}}', 'alpha']), 'alpha local local map[solo: team:a]\n');
  assert.equal(box.ok(['volume', 'ls']), 'DRIVER      VOLUME NAME\nlocal       alpha\n');
  assert.equal(box.ok(['volume', 'ls', '--noheading']), 'local       alpha\n');
  assert.equal(box.run(['volume', 'exists', 'alpha']).code, 0);
  assert.equal(box.run(['volume', 'exists', 'nosuch']).code, 1);
  fail(['volume', 'create', 'alpha'], 125, /^Error: volume with name alpha already exists: volume already exists\n$/);
  assert.equal(box.ok(['volume', 'create', '--ignore', 'alpha']), 'alpha\n');
  fail(['volume', 'create', 'bad/name'], 125, /^Error: volume name "bad\/name" is invalid/);
  fail(['volume', 'create', '-d', 'nfs', 'beta'], 125, /^Error: volume driver "nfs" is not supported/);
  fail(['volume', 'inspect', 'nosuch'], 125, /^Error: inspecting object: no such volume nosuch\n$/);
  fail(['volume', 'rm', 'nosuch'], 1, /^Error: no volume with name "nosuch" found: no such volume\n$/);
  box.ok(['volume', 'create', '-o', 'o=uid=1000,gid=7', 'owned']);
  assert.equal(box.ok(['volume', 'inspect', '--format', '{{.Options}} {{.NeedsChown}}', 'owned']), 'map[GID:7 UID:1000 o:uid=1000,gid=7] false\n');
  const owned = statSync(box.path('root', 'volumes', 'owned', '_data'));
  assert.deepEqual([owned.uid, owned.gid], [1000, 7]);
  fail(['volume', 'create', '-o', 'color=red', 'bad-opt'], 125, /^Error: unrecognized volume option "color"/);
  assert.equal(box.ok(['volume', 'rm', 'alpha', 'owned']), 'alpha\nowned\n');
  assert.equal(existsSync(box.path('root', 'volumes', 'alpha')), false);
});

test('volume ls filters, formats and quiet output', () => {
  box.ok(['volume', 'create', '-l', 'env=prod', 'f-one']);
  box.ok(['volume', 'create', '-l', 'env=dev', 'f-two']);
  box.ok(['create', '--name', 'f-user', '-v', 'f-two:/data', IMG, 'true']);
  try {
    assert.equal(box.ok(['volume', 'ls', '-q', '--filter', 'label=env=prod']), 'f-one\n');
    assert.equal(box.ok(['volume', 'ls', '-q', '--filter', 'name=f-t']), 'f-two\n');
    assert.equal(box.ok(['volume', 'ls', '-q', '--filter', 'name=^f-', '--filter', 'dangling=true']), 'f-one\n');
    assert.equal(box.ok(['volume', 'ls', '-q', '--filter', 'dangling=false']), 'f-two\n');
    assert.equal(box.ok(['volume', 'ls', '-q', '--filter', 'driver=local', '--filter', 'name=f-']), 'f-one\nf-two\n');
    assert.equal(box.ok(['volume', 'ls', '--format', '{{.Name}}={{.Labels}}', '--filter', 'name=f-']), 'f-one=map[env:prod]\nf-two=map[env:dev]\n');
    assert.equal(box.ok(['volume', 'ls', '--format', 'table {{.Name}} {{.Driver}}', '--filter', 'name=f-one']), 'VOLUME NAME  DRIVER\nf-one        local\n');
    const jsonText = box.ok(['volume', 'ls', '--format', 'json', '--filter', 'name=f-one']);
    const json = JSON.parse(jsonText) as Array<{ Name: string }>;
    assert.deepEqual(json.map((v) => v.Name), ['f-one']);
    assert.match(jsonText, /\n {4}"Options": \{\n {6}\n {4}\},\n/, "Podman's blank-lined empty map");
    assert.equal(box.ok(['volume', 'ls', '-q', '--filter', 'until=1h']), '', 'nothing was created an hour ago');
    fail(['volume', 'ls', '--filter', 'colour=red'], 125, /^Error: "colour" is an invalid volume filter/);
    fail(['volume', 'ls', '--filter', 'dangling=maybe'], 125, /^Error: "maybe" is not a valid value for the "dangling" filter - must be true or false\n$/);
  } finally {
    box.ok(['rm', 'f-user']);
    box.ok(['volume', 'rm', 'f-one', 'f-two']);
  }
});

test('data in a named volume survives rm and is seen by the next container', () => {
  assert.equal(box.ok(['run', '--name', 'writer', '-v', 'keep:/data', IMG, 'sh', '-c', 'echo persisted > /data/file']), '');
  assert.ok(volumeNames().includes('keep'), 'the volume was created on demand');
  const mounts = JSON.parse(box.ok(['inspect', '--format', '{{json .Mounts}}', 'writer'])) as Array<Record<string, unknown>>;
  assert.deepEqual(mounts, [
    {
      Type: 'volume',
      Name: 'keep',
      Source: box.path('root', 'volumes', 'keep', '_data'),
      Destination: '/data',
      Driver: 'local',
      Mode: '',
      Options: ['nosuid', 'nodev', 'rbind'],
      RW: true,
      Propagation: 'rprivate',
    },
  ]);
  assert.equal(box.ok(['inspect', '--format', '{{json .HostConfig.Binds}}', 'writer']), '["keep:/data:rw,rprivate,nosuid,nodev,rbind"]\n');
  assert.equal(box.ok(['ps', '-a', '--filter', 'volume=keep', '--format', '{{.Names}}']), 'writer\n');
  assert.equal(box.ok(['ps', '-a', '--filter', 'volume=keep:/data', '--format', '{{.Names}}']), 'writer\n');
  assert.equal(box.ok(['ps', '-a', '--filter', 'volume=keep:/other', '--format', '{{.Names}}']), '');
  assert.equal(box.ok(['ps', '-a', '--filter', 'volume=/data', '--format', '{{.Names}}']), 'writer\n');
  assert.equal(box.ok(['ps', '-a', '--filter', 'volume=nosuch', '--format', '{{.Names}}']), '');
  fail(['volume', 'rm', 'keep'], 2, /^Error: volume keep is being used by the following container\(s\): [0-9a-f]{64}: volume is being used\n$/);
  box.ok(['rm', '-v', 'writer']);
  // :U gives the volume to the container's user.
  assert.equal(box.ok(['run', '--rm', '-u', '1000:1001', '-v', 'keep:/data:U', IMG, 'stat', '-c', '%u:%g', '/data', '/data/file']), '1000:1001\n1000:1001\n');
  assert.ok(volumeNames().includes('keep'), 'rm -v keeps named volumes');
  assert.equal(box.ok(['run', '--rm', '-v', 'keep:/data:ro', IMG, 'cat', '/data/file']), 'persisted\n');
  const r = box.run(['run', '--rm', '-v', 'keep:/data:ro', IMG, 'touch', '/data/new']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Read-only file system/);
  assert.equal(box.ok(['run', '--rm', '--mount', 'type=volume,source=keep,target=/m', IMG, 'cat', '/m/file']), 'persisted\n');
  // -f removes the containers that use it.
  box.ok(['create', '--name', 'holder', '-v', 'keep:/data', IMG, 'true']);
  assert.equal(box.ok(['volume', 'rm', '-f', 'keep']), 'keep\n');
  assert.equal(box.run(['container', 'exists', 'holder']).code, 1);
  assert.equal(existsSync(box.path('root', 'volumes', 'keep')), false);
});

test('anonymous volumes: from -v /path and the image VOLUME, removed by rm -v only', () => {
  const before = new Set(volumeNames());
  box.ok(['run', '--name', 'anon', '-v', '/scratch', IMG, 'sh', '-c', 'echo x > /scratch/f']);
  const created = volumeNames().filter((n) => !before.has(n));
  assert.equal(created.length, 1);
  assert.match(created[0]!, /^[0-9a-f]{64}$/);
  const [info] = JSON.parse(box.ok(['volume', 'inspect', created[0]!])) as Array<Record<string, unknown>>;
  // Used once, so NeedsCopyUp and NeedsChown are false and left out.
  assert.deepEqual(Object.keys(info!), ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Scope', 'Options', 'Anonymous', 'MountCount']);
  assert.equal(info!.Anonymous, true);
  box.ok(['rm', 'anon']);
  assert.ok(volumeNames().includes(created[0]!), 'plain rm keeps the anonymous volume');
  box.ok(['volume', 'rm', created[0]!]);

  box.ok(['run', '--name', 'anon2', VOLIMG, 'true']);
  const imageVolume = volumeNames().filter((n) => !before.has(n));
  assert.equal(imageVolume.length, 1, 'the image VOLUME got an anonymous volume');
  assert.equal(box.ok(['inspect', '--format', '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}', 'anon2']), `volume ${imageVolume[0]} /srv/content\n`);
  box.ok(['rm', '-v', 'anon2']);
  assert.deepEqual(volumeNames().filter((n) => !before.has(n)), [], 'rm -v removed it');
  // --rm removes them too.
  box.ok(['run', '--rm', '-v', '/scratch', IMG, 'true']);
  assert.deepEqual(volumeNames().filter((n) => !before.has(n)), []);
});

test('an empty volume is filled from the image on first use, not with nocopy', () => {
  assert.equal(box.ok(['run', '--rm', '-v', 'filled:/srv/content', VOLIMG, 'cat', '/srv/content/hello']), 'from the image\n');
  const data = box.path('root', 'volumes', 'filled', '_data');
  assert.equal(readFileSync(join(data, 'hello'), 'utf8'), 'from the image\n');
  const st = statSync(data);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1234, 5678, 0o750], 'the mount point keeps the image directory owner and mode');
  assert.equal(box.ok(['volume', 'inspect', '--format', '{{.NeedsCopyUp}}', 'filled']), 'false\n');
  assert.match(box.ok(['volume', 'inspect', 'filled']), /"MountCount": 0\n {5}\}/, 'NeedsCopyUp and NeedsChown are left out once false, as Podman does');
  // Copied once only: what a container removes stays removed.
  box.ok(['run', '--rm', '-v', 'filled:/srv/content', VOLIMG, 'rm', '/srv/content/hello']);
  assert.equal(box.ok(['run', '--rm', '-v', 'filled:/srv/content', VOLIMG, 'ls', '/srv/content']), '');
  assert.equal(box.ok(['run', '--rm', '-v', 'bare:/srv/content:nocopy', VOLIMG, 'ls', '/srv/content']), '');
  assert.deepEqual(readdirSync(box.path('root', 'volumes', 'bare', '_data')), []);
  box.ok(['volume', 'create', '-o', 'nocopy', 'bare2']);
  assert.equal(box.ok(['run', '--rm', '-v', 'bare2:/srv/content', VOLIMG, 'ls', '/srv/content']), '', 'the volume option works like the mount option');
  box.ok(['volume', 'rm', 'filled', 'bare', 'bare2']);
});

test('volume export and import round-trip, from a file and from stdin', () => {
  box.ok(['run', '--rm', '-v', 'src:/d', IMG, 'sh', '-c', 'mkdir /d/sub && echo one > /d/sub/f && ln -s sub/f /d/link && chown 7:8 /d/sub/f']);
  const archive = box.path('src.tar');
  assert.equal(box.ok(['volume', 'export', 'src', '-o', archive]), '');
  const listing = sh('tar', ['-tvf', archive]);
  assert.match(listing, /7\/8 .* \.\/sub\/f/);
  assert.match(listing, /\.\/link -> sub\/f/);
  box.ok(['volume', 'create', 'dst']);
  assert.equal(box.ok(['volume', 'import', 'dst', archive]), '');
  assert.equal(box.ok(['run', '--rm', '-v', 'dst:/d', IMG, 'sh', '-c', 'cat /d/link; stat -c %u:%g /d/sub/f']), 'one\n7:8\n');
  const exported = box.runBinary(['volume', 'export', 'src']);
  assert.equal(exported.code, 0, exported.stderr);
  box.ok(['volume', 'create', 'dst2']);
  box.ok(['volume', 'import', 'dst2', '-'], { input: exported.stdout });
  assert.equal(readFileSync(box.path('root', 'volumes', 'dst2', '_data', 'sub', 'f'), 'utf8'), 'one\n');
  fail(['volume', 'import', 'nosuch', archive], 125, /no volume with name "nosuch" found/);
  box.ok(['volume', 'rm', 'src', 'dst', 'dst2']);
});

test('volume import refuses a tar that climbs out of the volume', () => {
  box.ok(['volume', 'create', 'victim']);
  const r = box.run(['volume', 'import', 'victim', fx.evilLayers.traversal]);
  assert.equal(r.code, 125, r.stderr);
  assert.match(r.stderr, /^Error: /);
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, 'one line, no stack');
  assert.deepEqual(readdirSync(box.path('root', 'volumes')).sort(), ['victim']);
  assert.deepEqual(readdirSync(box.path('root', 'volumes', 'victim')), ['_data']);
  box.ok(['volume', 'rm', 'victim']);
});

test('a tmpfs volume is mounted while a container uses it and unmounted after the last one stops', () => {
  box.ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=2m,nodev', 'ram']);
  const [info] = JSON.parse(box.ok(['volume', 'inspect', 'ram'])) as Array<Record<string, unknown>>;
  assert.deepEqual(info!.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=2m,nodev' });
  assert.equal(box.ok(['run', '--rm', '-v', 'ram:/t', IMG, 'sh', '-c', 'grep " /t " /proc/mounts | cut -d" " -f1,3']), 'tmpfs tmpfs\n');
  assert.equal(mountedInSandbox('volumes/ram'), false, 'unmounted when the container exited');
  box.ok(['run', '-d', '--name', 'ram1', '-v', 'ram:/t', IMG, 'sleep', '1000']);
  box.ok(['run', '-d', '--name', 'ram2', '-v', 'ram:/t', IMG, 'sleep', '1000']);
  assert.equal(box.ok(['volume', 'inspect', '--format', '{{.MountCount}}', 'ram']), '2\n');
  box.ok(['exec', 'ram1', 'sh', '-c', 'echo shared > /t/f']);
  assert.equal(box.ok(['exec', 'ram2', 'cat', '/t/f']), 'shared\n');
  box.ok(['rm', '-f', '-t', '0', 'ram1']);
  assert.equal(mountedInSandbox('volumes/ram'), true, 'still mounted for ram2');
  assert.equal(box.ok(['exec', 'ram2', 'cat', '/t/f']), 'shared\n');
  box.ok(['stop', '-t', '0', 'ram2']);
  assert.equal(mountedInSandbox('volumes/ram'), false, 'unmounted after the last user stopped');
  box.ok(['start', 'ram2']);
  assert.equal(box.run(['exec', 'ram2', 'cat', '/t/f']).code, 1, 'a tmpfs starts empty again');
  box.ok(['rm', '-f', '-t', '0', 'ram2']);
  box.ok(['volume', 'rm', 'ram']);
});

test('--volumes-from shares volumes and binds, read-only with :ro', () => {
  const bindDir = box.path('bind-src');
  mkdirSync(bindDir, { recursive: true });
  writeFileSync(join(bindDir, 'b'), 'bound\n');
  box.ok(['create', '--name', 'donor', '-v', 'shared:/s', '-v', `${bindDir}:/b`, IMG, 'true']);
  box.ok(['run', '--rm', '-v', 'shared:/s', IMG, 'sh', '-c', 'echo hi > /s/f']);
  assert.equal(box.ok(['run', '--rm', '--volumes-from', 'donor', IMG, 'sh', '-c', 'cat /s/f /b/b && echo more >> /s/f && cat /s/f']), 'hi\nbound\nhi\nmore\n');
  const r = box.run(['run', '--rm', '--volumes-from', 'donor:ro', IMG, 'touch', '/s/x']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Read-only file system/);
  fail(['run', '--rm', '--volumes-from', 'nosuch', IMG, 'true'], 125, /no container with name or ID "nosuch" found/);
  box.ok(['rm', 'donor']);
  box.ok(['volume', 'rm', 'shared']);
});

test('volume prune removes unused volumes, honours filters and reports names', () => {
  box.ok(['volume', 'create', '-l', 'keep=yes', 'p-kept']);
  box.ok(['volume', 'create', 'p-gone']);
  box.ok(['volume', 'create', 'p-used']);
  box.ok(['create', '--name', 'p-user', '-v', 'p-used:/u', IMG, 'true']);
  assert.equal(box.ok(['volume', 'prune', '-f', '--filter', 'label!=keep=yes']), 'p-gone\n');
  assert.deepEqual(volumeNames().filter((n) => n.startsWith('p-')), ['p-kept', 'p-used']);
  // Without -f it asks; no answer keeps everything.
  const asked = box.run(['volume', 'prune'], { input: '' });
  assert.equal(asked.code, 0);
  assert.match(asked.stdout, /^WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\np-kept\nAre you sure/);
  assert.ok(volumeNames().includes('p-kept'));
  // The answer is not echoed (stdin is no terminal), so the name follows the question on its line.
  assert.match(box.ok(['volume', 'prune'], { input: 'y\n' }), /\[y\/N\] p-kept\n$/);
  assert.deepEqual(volumeNames().filter((n) => n.startsWith('p-')), ['p-used']);
  box.ok(['rm', 'p-user']);
  assert.equal(box.ok(['volume', 'rm', '-a']), 'p-used\n');
});

test('bad -v and --mount volume specs are one-line errors', () => {
  fail(['create', '-v', 'bad!name:/x', IMG], 125, /^Error: invalid volume name "bad!name"/);
  fail(['create', '-v', 'vol:relative', IMG], 125, /^Error: invalid volume "vol:relative": container directory "relative" must be an absolute path/);
  fail(['create', '-v', 'vol:/x:bogus', IMG], 125, /^Error: invalid volume option "bogus"/);
  fail(['create', '-v', 'vol:/x:ro,rw', IMG], 125, /ro and rw are mutually exclusive/);
  assert.equal(box.run(['volume', 'exists', 'vol']).code, 1, 'a refused create makes no volume');
});

test('containers created in parallel share one volume made on demand', async () => {
  // Created in parallel (where the volume is made), started one by one.
  const results = await Promise.all([1, 2, 3, 4].map((n) => box.runAsync(['create', '--name', `racy${n}`, '-v', 'racy:/d', IMG, 'sh', '-c', `echo ${n} > /d/${n}`])));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(volumeNames().filter((n) => n === 'racy'), ['racy']);
  for (const n of [1, 2, 3, 4]) box.ok(['start', '-a', `racy${n}`]);
  assert.deepEqual(readdirSync(box.path('root', 'volumes', 'racy', '_data')).sort(), ['1', '2', '3', '4']);
  box.ok(['rm', 'racy1', 'racy2', 'racy3', 'racy4']);
  box.ok(['volume', 'rm', 'racy']);
});

test('a volume directory tspod did not make (Podman keeps its volumes there too) is never taken over', () => {
  const foreign = box.path('root', 'volumes', 'someone-elses');
  mkdirSync(join(foreign, '_data'), { recursive: true });
  writeFileSync(join(foreign, '_data', 'theirs'), 'keep me\n');
  const r = box.run(['volume', 'create', 'someone-elses']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: volume directory .*someone-elses exists but is not a tspod volume .*: choose another name or remove that directory\n$/);
  assert.equal(box.run(['volume', 'exists', 'someone-elses']).code, 1);
  assert.equal(readFileSync(join(foreign, '_data', 'theirs'), 'utf8'), 'keep me\n');
  box.ok(['volume', 'rm', '-af']);
  assert.equal(readFileSync(join(foreign, '_data', 'theirs'), 'utf8'), 'keep me\n');
});

test('export -o into a fifo (or a device such as /dev/null) writes through it instead of replacing it', async () => {
  box.ok(['volume', 'create', 'to-fifo']);
  const mountpoint = JSON.parse(box.ok(['volume', 'inspect', 'to-fifo']))[0].Mountpoint as string;
  writeFileSync(join(mountpoint, 'f'), 'through the fifo\n');
  const fifo = box.path('export.fifo');
  spawnSync('mkfifo', [fifo]);
  const reader = spawn('sh', ['-c', `cat "${fifo}" | tar -tf -`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let listed = '';
  reader.stdout.on('data', (d: Buffer) => (listed += d.toString()));
  const done = new Promise<number>((resolve) => reader.on('close', (code) => resolve(code ?? -1)));
  const r = await box.runAsync(['volume', 'export', '-o', fifo, 'to-fifo']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await done, 0);
  assert.match(listed, /^\.\/f$/m);
  assert.ok(statSync(fifo).isFIFO(), 'still a fifo');
  box.ok(['volume', 'rm', 'to-fifo']);
});
