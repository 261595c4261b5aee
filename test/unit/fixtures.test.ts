import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUSYBOX_APPLETS,
  LONG_PATH,
  buildFixtures,
  type FixtureImage,
  type FixtureSet,
  type ImageName,
} from '../fixtures/images.js';

const IMAGE_NAMES: ImageName[] = ['busybox', 'multilayer', 'configured'];
const hasSkopeo = spawnSync('skopeo', ['--version']).status === 0;

let base = '';
let fx: FixtureSet;
before(async () => {
  base = mkdtempSync('/var/tmp/tspod-fixtures-test-');
  fx = await buildFixtures(join(base, 'first'));
});
after(() => rmSync(base, { recursive: true, force: true }));

function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function skopeo(...args: string[]): Buffer {
  return execFileSync('skopeo', args, { maxBuffer: 64 * 1024 * 1024 });
}

function skopeoJson(...args: string[]): any {
  return JSON.parse(skopeo(...args).toString());
}

/** `tar -tv` listing of a file, one line per entry. */
function tarListing(path: string, ...flags: string[]): string[] {
  return execFileSync('tar', [...flags, '-tvf', path]).toString().trimEnd().split('\n');
}

function listingLine(listing: string[], name: string): string {
  const line = listing.find((l) => l.split(/\s+/)[5] === name);
  assert.ok(line, `${name} in\n${listing.join('\n')}`);
  return line;
}

function digestsOf(image: FixtureImage) {
  const { refName, manifestDigest, configDigest, diffIds, layerDigests } = image;
  return { refName, manifestDigest, configDigest, diffIds, layerDigests };
}

function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

describe('fixture images', () => {
  it('writes every file the set names', () => {
    for (const name of IMAGE_NAMES) {
      const image: FixtureImage = fx[name];
      for (const p of [image.ociArchive, image.dockerArchive, ...image.layerTars, ...image.layerTarGzs]) assert.ok(existsSync(p), p);
      assert.equal(image.refName, `localhost/tspod-test/${name}:latest`);
      assert.deepEqual(image.layerTars.map((p) => sha256Digest(readFileSync(p))), image.diffIds);
      assert.deepEqual(image.layerTarGzs.map((p) => sha256Digest(readFileSync(p))), image.layerDigests);
    }
    for (const p of [...Object.values(fx.evilLayers), ...Object.values(fx.evilArchives), ...Object.values(fx.oddButSafeArchives)]) {
      assert.ok(existsSync(p), p);
    }
  });

  it('has the busybox tree, users and directory modes in the base layer', () => {
    const listing = tarListing(fx.busybox.layerTars[0]!);
    assert.match(listingLine(listing, 'bin/busybox'), /^-rwxr-xr-x 0\/0 /);
    for (const applet of BUSYBOX_APPLETS) assert.match(listingLine(listing, `bin/${applet}`), /-> busybox$/);
    assert.match(listingLine(listing, 'tmp/'), /^drwxrwxrwt /);
    assert.match(listingLine(listing, 'home/tester/'), /^drwxr-xr-x 1000\/1000 /);
    for (const dir of ['root/', 'var/', 'proc/', 'sys/', 'dev/', 'etc/']) listingLine(listing, dir);
    const passwd = execFileSync('tar', ['-xOf', fx.busybox.layerTars[0]!, 'etc/passwd']).toString();
    assert.match(passwd, /^root:x:0:0:/m);
    assert.match(passwd, /^nobody:x:65534:65534:/m);
    assert.match(passwd, /^tester:x:1000:1000:[^:]*:\/home\/tester:/m);
  });

  it('lists whiteouts, the opaque marker, the hardlink and the odd entries in multilayer', () => {
    const [, added, whiteouts, empties] = fx.multilayer.layerTars;
    const addedListing = tarListing(added!, '--xattrs', '-v');
    assert.match(listingLine(addedListing, 'data/hard'), /^h.* data\/hard link to data\/a\.txt$/);
    assert.match(listingLine(addedListing, 'data/fifo'), /^p/);
    assert.match(listingLine(addedListing, 'data/setuid'), /^-rwsr-xr-x\s+1000\/1000 .* 2020-02-02 02:02 data\/setuid$/);
    assert.match(addedListing.join('\n'), /data\/xattr\.txt\n\s+x: 5 user\.test/);
    listingLine(addedListing, LONG_PATH);
    assert.ok(LONG_PATH.split('/').at(-1)!.length > 100, 'the long name needs PAX');
    const whiteoutListing = tarListing(whiteouts!);
    listingLine(whiteoutListing, 'data/.wh.b.txt');
    listingLine(whiteoutListing, 'data/dir/.wh..wh..opq');
    listingLine(whiteoutListing, 'data/dir/d.txt');
    const emptyListing = tarListing(empties!);
    assert.match(listingLine(emptyListing, 'data/empty'), /^-.* 0 /);
    assert.match(listingLine(emptyListing, 'data/emptydir/'), /^d/);
  });

  it('keeps evil layers as written and wraps them with matching diff ids', () => {
    assert.deepEqual(Object.keys(fx.evilLayers).sort(), [
      'abs-escape', 'absolute', 'absurd-size', 'bad-header', 'hardlink-escape', 'symlink-escape', 'symlink-to-root', 'traversal', 'truncated',
    ]);
    for (const [name, archive] of [...Object.entries(fx.evilArchives), ...Object.entries(fx.oddButSafeArchives)]) {
      const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json']).toString());
      const config = JSON.parse(execFileSync('tar', ['-xOf', archive, manifest[0].Config]).toString());
      const layer = readFileSync(fx.evilLayers[name as keyof FixtureSet['evilLayers']]);
      assert.deepEqual(config.rootfs.diff_ids, [sha256Digest(layer)], name);
      assert.deepEqual(execFileSync('tar', ['-xOf', archive, manifest[0].Layers[0]]), layer, name);
    }
    const tarFails = (name: keyof FixtureSet['evilLayers']) => spawnSync('tar', ['-tf', fx.evilLayers[name]]).status !== 0;
    assert.ok(tarFails('bad-header') && tarFails('absurd-size') && tarFails('truncated'));
    assert.match(readFileSync(fx.evilLayers.traversal).subarray(0, 100).toString(), /^\.\.\/\.\.\/escape\.txt\0/);
    assert.match(readFileSync(fx.evilLayers.absolute).subarray(0, 100).toString(), /^\/tmp\/tspod-evil-absolute\.txt\0/);
    assert.equal(readFileSync(fx.evilLayers['absurd-size']).subarray(124, 136).toString(), '100000000000');
  });

  it('is idempotent: a second build reuses the files', async () => {
    const mtimes = () => [fx.busybox.ociArchive, fx.multilayer.dockerArchive, fx.evilLayers.traversal].map((p) => statSync(p).mtimeMs);
    const before = mtimes();
    assert.deepEqual(await buildFixtures(join(base, 'first')), fx);
    assert.deepEqual(mtimes(), before);
  });

  it('rebuilds when the stamp does not match or a file is missing', async () => {
    const dir = join(base, 'stale');
    const first = await buildFixtures(dir);
    const stampPath = join(dir, 'fixtures.json');
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    writeFileSync(stampPath, JSON.stringify({ ...stamp, key: 'another-busybox' }));
    rmSync(first.configured.ociArchive);
    assert.deepEqual(await buildFixtures(dir), first);
    assert.equal(JSON.parse(readFileSync(stampPath, 'utf8')).key, stamp.key);
    rmSync(first.multilayer.layerTars[2]!);
    assert.deepEqual(await buildFixtures(dir), first);
    assert.ok(existsSync(first.multilayer.layerTars[2]!));
  });

  it('is deterministic: another directory gets the same bytes and digests', async () => {
    const again = await buildFixtures(join(base, 'second'));
    for (const name of IMAGE_NAMES) {
      assert.deepEqual(digestsOf(again[name]), digestsOf(fx[name]), name);
      assert.deepEqual(readFileSync(again[name].ociArchive), readFileSync(fx[name].ociArchive), name);
      assert.deepEqual(readFileSync(again[name].dockerArchive), readFileSync(fx[name].dockerArchive), name);
    }
    for (const [name, path] of Object.entries(again.evilLayers)) {
      assert.deepEqual(readFileSync(path), readFileSync(fx.evilLayers[name as keyof FixtureSet['evilLayers']]), name);
    }
  });
});

describe('fixture archives as skopeo sees them', { skip: !hasSkopeo && 'skopeo is not installed' }, () => {
  for (const name of IMAGE_NAMES) {
    it(`${name}: oci-archive manifest, config and layer digests`, () => {
      const image = fx[name];
      const raw = skopeo('inspect', '--raw', `oci-archive:${image.ociArchive}`);
      assert.equal(sha256Digest(raw), image.manifestDigest);
      const manifest = JSON.parse(raw.toString());
      assert.equal(manifest.config.digest, image.configDigest);
      assert.deepEqual(manifest.layers.map((l: { digest: string }) => l.digest), image.layerDigests);
      assert.ok(manifest.layers.every((l: { mediaType: string }) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip'));
      const config = skopeo('inspect', '--config', '--raw', `oci-archive:${image.ociArchive}`);
      assert.equal(sha256Digest(config), image.configDigest);
      const inspect = skopeoJson('inspect', `oci-archive:${image.ociArchive}`);
      assert.equal(inspect.Architecture, goArch());
      assert.equal(inspect.Os, 'linux');
    });

    it(`${name}: docker-archive config digest and diff ids`, () => {
      const image = fx[name];
      const inspect = skopeoJson('inspect', `docker-archive:${image.dockerArchive}`);
      assert.deepEqual(inspect.Layers, image.diffIds);
      const manifest = skopeoJson('inspect', '--raw', `docker-archive:${image.dockerArchive}`);
      assert.equal(manifest.config.digest, image.configDigest);
      assert.deepEqual(manifest.layers.map((l: { digest: string }) => l.digest), image.diffIds);
      assert.equal(sha256Digest(skopeo('inspect', '--config', '--raw', `docker-archive:${image.dockerArchive}`)), image.configDigest);
      const repoTags = JSON.parse(execFileSync('tar', ['-xOf', image.dockerArchive, 'manifest.json']).toString())[0].RepoTags;
      assert.deepEqual(repoTags, [image.refName]);
    });
  }

  it('copies an oci-archive to an oci layout unchanged', () => {
    const image = fx.multilayer;
    const layout = join(base, 'oci-layout');
    skopeo('copy', '--quiet', `oci-archive:${image.ociArchive}`, `oci:${layout}:copied`);
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, image.manifestDigest);
    for (const digest of [image.configDigest, ...image.layerDigests]) {
      assert.ok(existsSync(join(layout, 'blobs', 'sha256', digest.slice(7))), digest);
    }
  });

  it('configured carries the whole config and history', () => {
    const config = skopeoJson('inspect', '--config', `oci-archive:${fx.configured.ociArchive}`);
    assert.deepEqual(config.config, {
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo hello'],
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'FOO=bar'],
      User: '1000:1000',
      WorkingDir: '/home/tester',
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Volumes: { '/data': {} },
      Labels: { 'org.example.purpose': 'test', maintainer: 'tspod' },
      StopSignal: 'SIGTERM',
    });
    assert.equal(config.history.length, 2);
    assert.equal(config.history.filter((h: { empty_layer?: boolean }) => !h.empty_layer).length, fx.configured.diffIds.length);
  });

  it('evil docker archives are well-formed wrappers', () => {
    for (const [name, archive] of Object.entries(fx.evilArchives)) {
      const inspect = skopeoJson('inspect', `docker-archive:${archive}`);
      assert.deepEqual(inspect.Layers, [sha256Digest(readFileSync(fx.evilLayers[name as keyof FixtureSet['evilLayers']]))], name);
    }
  });
});
