import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

let box: Sandbox;
let fx: FixtureSet;

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box = new Sandbox('images');
});
after(() => box.cleanup());

const BUSYBOX = 'localhost/tspod-test/busybox:latest';
const CONFIGURED = 'localhost/tspod-test/configured:latest';

test('load reads an oci-archive from a file and names the image from its annotation', () => {
  const out = box.ok(['load', '-i', fx.busybox.ociArchive]);
  assert.equal(out, `Loaded image: ${BUSYBOX}\n`);
});

test('load reads a docker-archive from stdin', () => {
  const out = box.ok(['load'], { input: readFileSync(fx.configured.dockerArchive) });
  assert.equal(out, `Loaded image: ${CONFIGURED}\n`);
});

test('images prints podman columns with one row per name', () => {
  const out = box.ok(['images']);
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  const busybox = lines.find((l) => l.startsWith('localhost/tspod-test/busybox '));
  assert.ok(busybox, out);
  assert.match(busybox!, new RegExp(`latest\\s+${fx.busybox.configDigest.slice(7, 19)}\\s+.+ago\\s+[\\d.]+ [kMG]?B$`));
});

test('images --format renders Go templates, json and quiet ids', () => {
  assert.equal(box.ok(['images', '--format', '{{.Repository}}:{{.Tag}}', '--sort', 'repository']), `${BUSYBOX}\n${CONFIGURED}\n`);
  const json = JSON.parse(box.ok(['images', '--format', 'json'])) as Array<{ Id: string; Names: string[] }>;
  assert.deepEqual(json.map((i) => i.Id).sort(), [fx.busybox.configDigest.slice(7), fx.configured.configDigest.slice(7)].sort());
  const quiet = box.ok(['images', '-q']).trim().split('\n').sort();
  assert.deepEqual(quiet, [fx.busybox.configDigest.slice(7, 19), fx.configured.configDigest.slice(7, 19)].sort());
  const table = box.ok(['images', '--format', 'table {{.ID}}\t{{.Tag}}', '--filter', 'reference=*busybox']);
  assert.equal(table, `IMAGE ID      TAG\n${fx.busybox.configDigest.slice(7, 19)}  latest\n`);
});

test('images --filter label and dangling', () => {
  assert.equal(box.ok(['images', '--format', '{{.Repository}}', '--filter', 'label=org.example.purpose=test']), 'localhost/tspod-test/configured\n');
  assert.equal(box.ok(['images', '-q', '--filter', 'dangling=true']), '');
  const bad = box.run(['images', '--filter', 'nonsense=1']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^Error: invalid image filter "nonsense"/);
});

test('images --filter until takes Go durations, units mixed', () => {
  const all = box.ok(['images', '-q', '--no-trunc']);
  assert.notEqual(all, '');
  // The fixtures were made long before an hour and a half ago, and none is from the future.
  assert.equal(box.ok(['images', '-q', '--no-trunc', '--filter', 'until=1h30m']), all);
  assert.equal(box.ok(['images', '-q', '--no-trunc', '--filter', 'until=876000h']), '');
  const bad = box.run(['images', '--filter', 'until=10x']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^Error: invalid time "10x"/);
});

test('image inspect shows the config the archive carried', () => {
  const [info] = JSON.parse(box.ok(['image', 'inspect', 'localhost/tspod-test/configured'])) as Array<Record<string, any>>;
  assert.equal(info!.Id, fx.configured.configDigest.slice(7));
  assert.deepEqual(info!.Config.Entrypoint, ['/bin/sh', '-c']);
  assert.equal(info!.Config.User, '1000:1000');
  assert.deepEqual(info!.RootFS.Layers, fx.configured.diffIds);
  assert.deepEqual(info!.RepoTags, [CONFIGURED]);
  assert.equal(box.ok(['image', 'inspect', '--format', '{{.Config.WorkingDir}} {{index .Config.Labels "maintainer"}}', CONFIGURED]), '/home/tester tspod\n');
});

test('inspect of an unknown image fails with exit 125 and one clear line', () => {
  const r = box.run(['image', 'inspect', 'nosuchimage']);
  assert.equal(r.code, 125);
  assert.equal(r.stdout.trim(), '[]');
  assert.match(r.stderr, /^Error: .*nosuchimage.*image not known/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('images resolve by short name, short id and digest', () => {
  const id = fx.busybox.configDigest.slice(7);
  assert.equal(box.run(['image', 'exists', 'tspod-test/busybox']).code, 0);
  assert.equal(box.run(['image', 'exists', id.slice(0, 12)]).code, 0);
  assert.equal(box.run(['image', 'exists', `sha256:${id}`]).code, 0);
  assert.equal(box.run(['image', 'exists', `localhost/tspod-test/busybox@${fx.busybox.manifestDigest}`]).code, 0);
  assert.equal(box.run(['image', 'exists', 'nothere']).code, 1);
});

test('tag adds names, untag and rmi of one name only untag', () => {
  box.ok(['tag', 'localhost/tspod-test/busybox', 'mybox', 'quay.io/example/box:v1']);
  const names = box.ok(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `id=${fx.busybox.configDigest.slice(7, 19)}`]);
  assert.deepEqual(names.trim().split('\n').sort(), ['localhost/mybox:latest', 'localhost/tspod-test/busybox:latest', 'quay.io/example/box:v1']);
  box.ok(['untag', 'mybox', 'mybox']);
  assert.equal(box.run(['image', 'exists', 'mybox']).code, 1);
  assert.equal(box.ok(['rmi', 'quay.io/example/box:v1']), 'Untagged: quay.io/example/box:v1\n');
  assert.equal(box.run(['image', 'exists', 'localhost/tspod-test/busybox']).code, 0);
});

test('history lists one row per history entry, newest first', () => {
  const out = box.ok(['history', '--format', '{{.ID}}|{{.Size}}|{{.Comment}}', CONFIGURED]);
  const rows = out.trim().split('\n');
  assert.ok(rows.length >= 2, out);
  assert.ok(rows[0]!.startsWith(fx.configured.configDigest.slice(7, 19)));
  assert.ok(rows.slice(1).every((r) => r.startsWith('<missing>')));
});

test('import makes a one-layer image with --change and --message', () => {
  const rootfs = box.path('rootfs.tar');
  const made = spawnSync('tar', ['-cf', rootfs, '-C', '/usr/share/doc', 'tar']);
  assert.equal(made.status, 0);
  const printed = box.ok(['import', '--change', 'CMD=["/bin/true"]', '--change', 'ENV FOO=bar', '-m', 'imported', rootfs, 'imported:v1']).trim();
  assert.match(printed, /^sha256:[a-f0-9]{64}$/);
  const id = printed.slice(7);
  const [info] = JSON.parse(box.ok(['image', 'inspect', 'imported:v1'])) as Array<Record<string, any>>;
  assert.equal(info!.Id, id);
  assert.deepEqual(info!.Config.Cmd, ['/bin/true']);
  assert.deepEqual(info!.Config.Env, ['FOO=bar']);
  assert.deepEqual(info!.RepoTags, ['localhost/imported:v1']);
  assert.equal(box.ok(['history', '--format', '{{.Comment}}', 'imported:v1']), 'imported\n');
  const fromStdin = box.ok(['import', '-', 'imported:stdin'], { input: readFileSync(rootfs) }).trim();
  assert.equal(fromStdin.length, 71);
});

test('rmi reports exit 1 for an unknown image and removes layers nobody uses', () => {
  const r = box.run(['rmi', 'nothere']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: nothere: image not known/);
  const out = box.ok(['rmi', 'imported:v1']);
  assert.match(out, /^Untagged: localhost\/imported:v1\nDeleted: [a-f0-9]{64}\n$/);
  assert.equal(box.run(['image', 'exists', 'imported:v1']).code, 1);
});

test('image prune removes dangling images only, -a removes the rest', () => {
  box.ok(['untag', 'imported:stdin']);
  const dangling = box.ok(['images', '-q', '--filter', 'dangling=true']).trim();
  assert.equal(dangling.length, 12);
  const pruned = box.ok(['image', 'prune', '-f']).trim();
  assert.ok(pruned.startsWith(dangling), pruned);
  assert.equal(box.ok(['images', '-q', '--filter', 'dangling=true']), '');
  assert.equal(box.run(['image', 'exists', BUSYBOX]).code, 0);
});

test('image tree shows the layers of an image', () => {
  const out = box.ok(['image', 'tree', BUSYBOX]);
  assert.match(out, /^Image ID: [a-f0-9]{12}\nTags:     \[localhost\/tspod-test\/busybox:latest\]\nSize: +[\d.]+ ?[kMG]?B\nImage Layers\n└── ID: [a-f0-9]{12} Size: /);
});

test('save refuses to write an archive to a terminal-less void and writes files atomically', () => {
  const target = box.path('out.tar');
  box.ok(['save', '-o', target, BUSYBOX]);
  assert.ok(existsSync(target));
  const missing = box.run(['save', '-o', box.path('never.tar'), 'nothere']);
  assert.equal(missing.code, 125);
  assert.ok(!existsSync(box.path('never.tar')));
  writeFileSync(box.path('junk.tar'), 'this is not a tar archive at all, not even close'.repeat(20));
  const junk = box.run(['load', '-i', box.path('junk.tar')]);
  assert.equal(junk.code, 125);
  assert.match(junk.stderr, /^Error: .+/);
  assert.doesNotMatch(junk.stderr, /\n\s+at /);
});

test('rmi refuses an image a container uses (exit 2); images counts the container', () => {
  const id = fx.busybox.configDigest.slice(7);
  const ctr = box.ok(['create', '--name', 'user-of-busybox', BUSYBOX, 'true']).trim();
  const r = box.run(['rmi', BUSYBOX]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `Error: image used by ${ctr}: image is in use by a container: remove container user-of-busybox first\n`);
  assert.equal(box.ok(['images', '--format', '{{.Containers}}', '--filter', `id=${id.slice(0, 12)}`]), '1\n');
  assert.equal(box.run(['image', 'exists', BUSYBOX]).code, 0);
  box.ok(['rm', 'user-of-busybox']);
  assert.match(box.ok(['rmi', BUSYBOX]), /Deleted: [a-f0-9]{64}/);
});
