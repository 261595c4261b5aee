import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Sandbox, fixturesDir } from './harness.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

let fx: FixtureSet;
let box: Sandbox;
let reg: TestRegistry;
let other: TestRegistry;
let amdId: string;
let armId: string;

const BUSYBOX = 'localhost/tspod-test/busybox:latest';
const ARM = 'localhost/tiny-arm:latest';
const LIST = 'localhost/multi:v1';
const NO_TLS = '--tls-verify=false';

const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
};

interface Entry {
  mediaType: string;
  digest: string;
  size: number;
  platform: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box = new Sandbox('manifest');
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  // A second "platform": a tiny imported image whose config says arm64.
  const content = box.path('tiny');
  mkdirSync(content);
  writeFileSync(`${content}/hello.txt`, 'hello from arm64\n');
  execFileSync('tar', ['-cf', box.path('tiny.tar'), '-C', content, 'hello.txt']);
  armId = box.ok(['import', '-q', '--arch', 'arm64', box.path('tiny.tar'), ARM]).trim().replace(/^sha256:/, '');
  amdId = inspectImage(BUSYBOX).Id;
  [reg, other] = await Promise.all([startRegistry(), startRegistry()]);
});

after(() => {
  reg?.stop();
  other?.stop();
  box?.cleanup();
});

function inspectImage(name: string): { Id: string; Digest: string; RepoDigests: string[]; Architecture: string } {
  return JSON.parse(box.ok(['image', 'inspect', name]))[0];
}

function rawRemote(ref: string): { manifest: { mediaType: string; manifests: Entry[] }; digest: string } {
  const raw = execFileSync('skopeo', ['inspect', NO_TLS, '--raw', `docker://${ref}`]);
  return { manifest: JSON.parse(raw.toString()), digest: `sha256:${createHash('sha256').update(raw).digest('hex')}` };
}

function inspectList(name: string): { schemaVersion: number; mediaType: string; manifests: Entry[] } {
  return JSON.parse(box.ok(['manifest', 'inspect', name]));
}

/** A failure: exit 125 (unless said otherwise) and one `Error:` line. */
function fails(args: string[], pattern: RegExp, code = 125): void {
  const r = box.run(args);
  assert.equal(r.code, code, `tspod ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^Error: /);
  assert.match(lines[0]!, pattern);
}

test('create, add two local images of different architectures, inspect shows both platforms', () => {
  const id = box.ok(['manifest', 'create', LIST]).trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  assert.equal(box.run(['manifest', 'exists', 'multi:v1']).code, 0);
  assert.equal(box.run(['manifest', 'exists', 'nosuchlist']).code, 1);
  assert.equal(box.ok(['manifest', 'add', 'multi:v1', BUSYBOX]).trim(), id);
  assert.equal(box.ok(['manifest', 'add', LIST, ARM]).trim(), id);
  const out = box.ok(['manifest', 'inspect', LIST]);
  assert.ok(out.startsWith('{\n    "schemaVersion": 2,\n    "mediaType": '), 'printed 4-space indented like Podman');
  const list = JSON.parse(out) as { mediaType: string; manifests: Entry[] };
  assert.equal(list.mediaType, MEDIA.dockerList);
  assert.deepEqual(
    list.manifests.map((m) => m.platform),
    [
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux' },
    ],
  );
  assert.equal(list.manifests[0]!.digest, inspectImage(BUSYBOX).Digest);
  assert.equal(list.manifests[1]!.digest, inspectImage(ARM).Digest);
  // Adding the same image again replaces its entry instead of duplicating it.
  box.ok(['manifest', 'add', LIST, ARM]);
  assert.equal(inspectList(LIST).manifests.length, 2);
  // The list is no image: image commands do not see it.
  assert.equal(box.run(['image', 'exists', LIST]).code, 1);
});

test('single image: push, rmi, pull gives the same id and digest', () => {
  const digestFile = box.path('single.digest');
  box.ok(['push', NO_TLS, '--digestfile', digestFile, BUSYBOX, `${reg.host}/tspod/single:v1`]);
  const pushed = readFileSync(digestFile, 'utf8');
  box.ok(['rmi', '-f', amdId]);
  assert.equal(box.run(['image', 'exists', amdId]).code, 1);
  const id = box.ok(['pull', '-q', NO_TLS, `${reg.host}/tspod/single:v1`]).trim();
  assert.equal(id, amdId);
  assert.ok(inspectImage(`${reg.host}/tspod/single:v1`).RepoDigests.includes(`${reg.host}/tspod/single@${pushed}`));
});

test('push the list: skopeo reads the index; rmi and pull --arch give back the same image ids and digests', () => {
  const digestFile = box.path('list.digest');
  const dest = `${reg.host}/tspod/multi:v1`;
  const r = box.run(['manifest', 'push', NO_TLS, '--digestfile', digestFile, LIST, `docker://${dest}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const { manifest, digest } = rawRemote(dest);
  assert.equal(readFileSync(digestFile, 'utf8'), digest);
  assert.equal(manifest.mediaType, MEDIA.ociIndex);
  assert.deepEqual(
    manifest.manifests.map((m) => [m.platform.architecture, m.platform.os, m.mediaType]),
    [
      ['amd64', 'linux', MEDIA.ociManifest],
      ['arm64', 'linux', MEDIA.ociManifest],
    ],
  );
  // Each instance is in the repository under its digest.
  for (const m of manifest.manifests) {
    const instance = execFileSync('skopeo', ['inspect', NO_TLS, '--raw', `docker://${reg.host}/tspod/multi@${m.digest}`]);
    assert.equal(instance.length, m.size);
  }

  box.ok(['rmi', '-f', amdId, armId]);
  assert.equal(box.run(['image', 'exists', amdId]).code, 1);
  const pulledArm = box.ok(['pull', '-q', NO_TLS, '--arch', 'arm64', dest]).trim();
  assert.equal(pulledArm, armId);
  const arm = inspectImage(armId);
  assert.equal(arm.Architecture, 'arm64');
  assert.equal(arm.Digest, manifest.manifests[1]!.digest);
  assert.ok(arm.RepoDigests.includes(`${reg.host}/tspod/multi@${digest}`), `list digest in ${arm.RepoDigests.join(' ')}`);
  const pulledAmd = box.ok(['pull', '-q', NO_TLS, '--arch', 'amd64', dest]).trim();
  assert.equal(pulledAmd, amdId);
  assert.equal(inspectImage(amdId).Digest, manifest.manifests[0]!.digest);
});

test('tag gives the list a second name: images, inspect, push to it and rmi of it work as for Podman', () => {
  const second = `${reg.host}/tspod/renamed:v2`;
  const listId = box.ok(['manifest', 'create', '--amend', LIST]).trim();
  box.ok(['tag', LIST, second]);
  const rows = box.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).trim().split('\n');
  assert.deepEqual(rows.filter((r) => r.endsWith(` ${listId.slice(0, 12)}`)).sort(), [`${LIST} ${listId.slice(0, 12)}`, `${second} ${listId.slice(0, 12)}`].sort());
  assert.deepEqual(inspectList(second), inspectList(LIST));

  // No destination: the list goes to the name it was given.
  const digestFile = box.path('renamed.digest');
  box.ok(['manifest', 'push', NO_TLS, '--digestfile', digestFile, second]);
  const { digest } = rawRemote(second);
  assert.equal(readFileSync(digestFile, 'utf8'), digest);
  assert.equal(digest, rawRemote(`${reg.host}/tspod/multi:v1`).digest, 'the same list gives the same index');
  // By digest: pulling the tag would give the image that name, taking it from the list (as Podman does).
  assert.equal(box.ok(['pull', '-q', NO_TLS, '--arch', 'arm64', `${reg.host}/tspod/renamed@${digest}`]).trim(), armId);

  assert.equal(box.ok(['rmi', second]), `Untagged: ${second}\n`);
  assert.equal(box.run(['manifest', 'exists', second]).code, 1);
  assert.equal(inspectList(LIST).manifests.length, 2, 'the list stays under its other name');
});

test('push --format v2s2 writes a Docker list of Docker manifests', () => {
  const dest = `${reg.host}/tspod/multi:docker`;
  box.ok(['manifest', 'push', NO_TLS, '--format', 'v2s2', LIST, dest]);
  const { manifest } = rawRemote(dest);
  assert.equal(manifest.mediaType, MEDIA.dockerList);
  assert.deepEqual(
    manifest.manifests.map((m) => m.mediaType),
    ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.v2+json'],
  );
  const config = JSON.parse(execFileSync('skopeo', ['inspect', NO_TLS, '--override-arch', 'arm64', '--config', `docker://${dest}`]).toString());
  assert.equal(config.architecture, 'arm64');
});

test('manifest inspect of a remote list; add --all from the registry and push to another repository', () => {
  const dest = `${reg.host}/tspod/multi:v1`;
  const remote = JSON.parse(box.ok(['manifest', 'inspect', NO_TLS, `docker://${dest}`])) as { mediaType: string; manifests: Entry[] };
  const { manifest, digest } = rawRemote(dest);
  assert.equal(remote.mediaType, MEDIA.dockerList);
  assert.deepEqual(
    remote.manifests.map((m) => m.digest),
    manifest.manifests.map((m) => m.digest),
  );
  // A name with no local list is read from its registry too.
  assert.equal(JSON.parse(box.ok(['manifest', 'inspect', NO_TLS, dest])).manifests.length, 2);

  const id = box.ok(['manifest', 'create', NO_TLS, '--all', 'localhost/copy:v1', `docker://${dest}`]).trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  assert.deepEqual(
    inspectList('localhost/copy:v1').manifests.map((m) => m.digest),
    manifest.manifests.map((m) => m.digest),
  );
  box.ok(['manifest', 'push', NO_TLS, '--rm', 'localhost/copy:v1', `docker://${reg.host}/tspod/copy:v1`]);
  assert.equal(rawRemote(`${reg.host}/tspod/copy:v1`).digest, digest, 'the same instances give the same index');
  assert.equal(box.run(['manifest', 'exists', 'localhost/copy:v1']).code, 1, '--rm removed the local list');
});

test('push copies remote-only instances from another registry', () => {
  const source = `${reg.host}/tspod/multi:v1`;
  const { digest } = rawRemote(source);
  box.ok(['manifest', 'create', NO_TLS, '--all', 'localhost/mirror:v1', `docker://${source}`]);
  box.ok(['manifest', 'push', NO_TLS, 'localhost/mirror:v1', `${other.host}/mirrored/multi:v1`]);
  assert.equal(rawRemote(`${other.host}/mirrored/multi:v1`).digest, digest);
  box.ok(['rmi', '-f', armId]);
  assert.equal(box.ok(['pull', '-q', NO_TLS, '--arch', 'arm64', `${other.host}/mirrored/multi:v1`]).trim(), armId);
  box.ok(['manifest', 'rm', 'localhost/mirror:v1']);
});

test('annotate changes the variant and annotations; remove drops an instance', () => {
  const [amd, arm] = inspectList(LIST).manifests;
  const id = box.ok(['manifest', 'annotate', '--variant', 'v8', '--annotation', 'com.example.key=value', LIST, arm!.digest]).trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  const annotated = inspectList(LIST).manifests[1]!;
  assert.deepEqual(annotated.platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  assert.deepEqual(annotated.annotations, { 'com.example.key': 'value' });

  assert.equal(box.ok(['manifest', 'remove', LIST, amd!.digest]).trim(), id);
  assert.deepEqual(
    inspectList(LIST).manifests.map((m) => m.digest),
    [arm!.digest],
  );
});

test('rm removes the list but not the images', () => {
  const id = box.ok(['manifest', 'create', 'localhost/other:v1', armId]).trim();
  const out = box.ok(['manifest', 'rm', 'localhost/other:v1']);
  assert.equal(out, `Untagged: localhost/other:v1\nDeleted: ${id}\n`);
  assert.equal(box.run(['manifest', 'exists', 'localhost/other:v1']).code, 1);
  assert.equal(box.run(['image', 'exists', armId]).code, 0);
});

test('bad input: one clear line each', () => {
  // The pulls above moved the name to the registry's; give it back.
  box.ok(['tag', armId, ARM]);
  fails(['manifest', 'add', 'nosuchlist', armId], /nosuchlist: manifest list not known/);
  fails(['manifest', 'add', ARM, armId], /image is not a manifest list/);
  fails(['manifest', 'annotate', LIST, 'not-a-digest', '--arch', 'arm'], /invalid image digest "not-a-digest"/);
  fails(['manifest', 'remove', LIST, `sha256:${'0'.repeat(64)}`], /no instance with digest/);
  fails(['manifest', 'create', ARM], /is the name of an image/);
  fails(['manifest', 'create', LIST], /already exists: use --amend/);
  fails(['manifest', 'add', '--annotation', 'novalue', LIST, armId], /no value given for annotation "novalue"/);
  fails(['manifest', 'push', LIST, 'oci:/tmp/x'], /registries only/);
  fails(['manifest', 'rm', 'nosuchlist'], /nosuchlist: manifest list not known/, 1);
  fails(['manifest', 'rm', ARM], /image is not a manifest list/);
  assert.equal(box.run(['image', 'exists', ARM]).code, 0, 'manifest rm never removes an image');
  assert.equal(box.ok(['manifest', 'create', '--amend', LIST]).trim().length, 64);
});
