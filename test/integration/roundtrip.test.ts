import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

let fx: FixtureSet;
const boxes: Sandbox[] = [];
before(async () => {
  fx = await buildFixtures(fixturesDir());
});
after(() => boxes.forEach((b) => b.cleanup()));

function sandbox(name: string): Sandbox {
  const b = new Sandbox(name);
  boxes.push(b);
  return b;
}

function skopeoRaw(transport: string, path: string): { manifest: any; digest: string } {
  const raw = execFileSync('skopeo', ['inspect', '--raw', `${transport}:${path}`]);
  return { manifest: JSON.parse(raw.toString()), digest: `sha256:${createHash('sha256').update(raw).digest('hex')}` };
}

function skopeoConfig(transport: string, path: string): any {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--config', `${transport}:${path}`]).toString());
}

for (const name of ['busybox', 'multilayer', 'configured'] as const) {
  test(`${name}: oci-archive load -> save -> load -> save keeps manifest, config and layer digests`, () => {
    const a = sandbox(`rt-oci-${name}`);
    const image = fx[name];
    a.ok(['load', '-i', image.ociArchive]);
    const first = a.path('first.tar');
    a.ok(['save', '--format', 'oci-archive', '-o', first, image.refName]);
    const firstRaw = skopeoRaw('oci-archive', first);
    assert.equal(firstRaw.manifest.config.digest, image.configDigest);
    assert.deepEqual(firstRaw.manifest.layers.map((l: any) => l.digest), image.diffIds, 'saved layers are the uncompressed diff ids');
    assert.deepEqual(skopeoConfig('oci-archive', first).rootfs.diff_ids, image.diffIds);

    const b = sandbox(`rt-oci2-${name}`);
    b.ok(['load', '-i', first]);
    const second = b.path('second.tar');
    b.ok(['save', '--format', 'oci-archive', '-o', second, image.refName]);
    const secondRaw = skopeoRaw('oci-archive', second);
    assert.equal(secondRaw.digest, firstRaw.digest, 'manifest digest survives the round trip');
    assert.deepEqual(secondRaw.manifest, firstRaw.manifest);
    assert.equal(b.ok(['image', 'inspect', '--format', '{{.Id}}', image.refName]).trim(), image.configDigest.slice(7));
  });

  test(`${name}: docker-archive load -> save -> load keeps the image id and layer digests`, () => {
    const a = sandbox(`rt-docker-${name}`);
    const image = fx[name];
    a.ok(['load', '-i', image.dockerArchive]);
    const first = a.path('first.tar');
    a.ok(['save', '--format', 'docker-archive', '-o', first, image.refName]);
    const raw = skopeoRaw('docker-archive', first);
    assert.equal(raw.manifest.config.digest, image.configDigest);
    assert.deepEqual(raw.manifest.layers.map((l: any) => l.digest), image.diffIds);
    const b = sandbox(`rt-docker2-${name}`);
    assert.equal(b.ok(['load', '-i', first]), `Loaded image: ${image.refName}\n`);
    const second = b.path('second.tar');
    b.ok(['save', '--format', 'docker-archive', '-o', second, image.refName]);
    assert.deepEqual(skopeoRaw('docker-archive', second).manifest, raw.manifest);
    assert.equal(a.ok(['image', 'inspect', '--format', '{{.Digest}}', image.refName]), b.ok(['image', 'inspect', '--format', '{{.Digest}}', image.refName]));
  });
}

test('what skopeo writes, tspod loads, and skopeo reads what tspod writes to directories', () => {
  const box = sandbox('skopeo');
  const image = fx.multilayer;
  const viaSkopeo = box.path('skopeo-docker.tar');
  execFileSync('skopeo', ['copy', '-q', `oci-archive:${image.ociArchive}`, `docker-archive:${viaSkopeo}:example.com/ml:v2`]);
  assert.equal(box.ok(['load', '-i', viaSkopeo]), 'Loaded image: example.com/ml:v2\n');
  assert.equal(box.ok(['image', 'inspect', '--format', '{{.Id}}', 'example.com/ml:v2']).trim(), image.configDigest.slice(7));
  const ociDir = box.path('oci-dir');
  box.ok(['save', '--format', 'oci-dir', '-o', ociDir, 'example.com/ml:v2']);
  assert.deepEqual(skopeoConfig('oci', ociDir).rootfs.diff_ids, image.diffIds);
  const dockerDir = box.path('docker-dir');
  box.ok(['save', '--format', 'docker-dir', '-o', dockerDir, 'example.com/ml:v2']);
  assert.deepEqual(skopeoConfig('dir', dockerDir).rootfs.diff_ids, image.diffIds);
  assert.ok(readdirSync(dockerDir).includes('version'));
  const fromDirs = sandbox('from-dirs');
  assert.equal(fromDirs.ok(['load', '-i', ociDir]), 'Loaded image: example.com/ml:v2\n');
  assert.equal(fromDirs.ok(['load', '-i', dockerDir]), `Loaded image: sha256:${image.configDigest.slice(7)}\n`);
  assert.equal(fromDirs.ok(['image', 'inspect', '--format', '{{.Id}}', 'example.com/ml:v2']).trim(), image.configDigest.slice(7));
});

test('several images go into one docker-archive with -m and come back', () => {
  const box = sandbox('multi');
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  box.ok(['load', '-i', fx.configured.ociArchive]);
  const archive = box.path('both.tar');
  box.ok(['save', '-m', '-o', archive, fx.busybox.refName, fx.configured.refName]);
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json']).toString()) as Array<{ RepoTags: string[]; Layers: string[] }>;
  assert.deepEqual(manifest.map((m) => m.RepoTags[0]), [fx.busybox.refName, fx.configured.refName]);
  const layerFiles = execFileSync('tar', ['-tf', archive]).toString().split('\n').filter((f) => f.endsWith('.tar'));
  assert.equal(new Set(layerFiles).size, layerFiles.length, 'the shared busybox layer is written once');
  const other = sandbox('multi2');
  const out = other.ok(['load', '-i', archive]);
  assert.equal(out, `Loaded image: ${fx.busybox.refName}\nLoaded image: ${fx.configured.refName}\n`);
});

test('save to stdout, gzip-compressed archive loads from stdin', () => {
  const box = sandbox('stdout');
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  const r = box.runBinary(['save', '--format', 'oci-archive', fx.busybox.refName]);
  assert.equal(r.code, 0, r.stderr);
  const gz = execFileSync('gzip', ['-c'], { input: r.stdout, maxBuffer: 1 << 30 });
  const other = sandbox('stdin-gz');
  assert.equal(other.ok(['load'], { input: gz }), `Loaded image: ${fx.busybox.refName}\n`);
});

test('a zstd-compressed docker-archive loads from a file', () => {
  const box = sandbox('zstd');
  const compressed = box.path('busybox.tar.zst');
  execFileSync('zstd', ['-q', '-o', compressed, fx.busybox.dockerArchive]);
  assert.equal(box.ok(['load', '-i', compressed]), `Loaded image: ${fx.busybox.refName}\n`);
  assert.equal(box.ok(['image', 'inspect', '--format', '{{.Id}}', fx.busybox.refName]).trim(), fx.busybox.configDigest.slice(7));
});
