import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { Sandbox, TSPOD, fixturesDir } from './harness.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

let fx: FixtureSet;
let box: Sandbox;
let plain: TestRegistry;
let secure: TestRegistry;
let proxy: CountingProxy;
const podmanDirs: string[] = [];

const BUSYBOX = 'localhost/tspod-test/busybox:latest';
const CONFIGURED = 'localhost/tspod-test/configured:latest';
const MULTILAYER = 'localhost/tspod-test/multilayer:latest';

const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box = new Sandbox('push');
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  box.ok(['load', '-i', fx.multilayer.ociArchive]);
  box.ok(['load', '-i', fx.configured.dockerArchive]);
  [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: true })]);
  proxy = await startCountingProxy(plain.host);
});

after(() => {
  proxy?.server.close();
  plain?.stop();
  secure?.stop();
  for (const d of podmanDirs) rmSync(d, { recursive: true, force: true });
  box?.cleanup();
});

function skopeo(args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function rawManifest(image: string, extra: string[] = ['--tls-verify=false']): { manifest: any; digest: string } {
  const raw = execFileSync('skopeo', ['inspect', ...extra, '--raw', image]);
  return { manifest: JSON.parse(raw.toString()), digest: `sha256:${createHash('sha256').update(raw).digest('hex')}` };
}

function configOf(image: string, extra: string[] = ['--tls-verify=false']): any {
  return JSON.parse(skopeo(['inspect', ...extra, '--config', image]));
}

test('push to a registry: skopeo sees the same config and diff ids, --digestfile holds the manifest digest', () => {
  const digestFile = box.path('busybox.digest');
  const out = box.ok(['push', '--tls-verify=false', '--digestfile', digestFile, BUSYBOX, `${plain.host}/tspod/busybox:v1`]);
  assert.equal(out, '');
  const ref = `docker://${plain.host}/tspod/busybox:v1`;
  const inspect = JSON.parse(skopeo(['inspect', '--tls-verify=false', ref])) as { Digest: string; Layers: string[] };
  assert.equal(readFileSync(digestFile, 'utf8'), inspect.Digest);
  const { manifest, digest } = rawManifest(ref);
  assert.equal(digest, inspect.Digest);
  assert.equal(manifest.config.digest, fx.busybox.configDigest);
  assert.equal(manifest.mediaType, MEDIA.ociManifest, 'an image loaded from an OCI archive is pushed as OCI');
  assert.deepEqual(configOf(ref).rootfs.diff_ids, fx.busybox.diffIds);
  // Every blob the manifest names can be fetched and matches its digest.
  const dir = box.path('busybox-from-registry');
  skopeo(['copy', '--insecure-policy', '--src-tls-verify=false', ref, `dir:${dir}`]);
  assert.ok(existsSync(join(dir, 'manifest.json')));
});

test('a bare destination and docker:// mean the same registry push', () => {
  box.ok(['push', '--tls-verify=false', MULTILAYER, `docker://${plain.host}/tspod/multilayer:v1`]);
  const { manifest } = rawManifest(`docker://${plain.host}/tspod/multilayer:v1`);
  assert.equal(manifest.config.digest, fx.multilayer.configDigest);
  assert.equal(manifest.layers.length, fx.multilayer.diffIds.length);
  assert.ok(manifest.layers.every((l: any) => l.mediaType === MEDIA.ociGzip));
});

/** Podman with storage of its own, removed after the file's tests. */
function podmanInTempDir(): (args: string[]) => string {
  const dir = mkdtempSync(join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-push-podman-'));
  podmanDirs.push(dir);
  return (args) => {
    const r = spawnSync('podman', ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, CONTAINERS_CONF: '/dev/null' },
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
}

test('podman pulls what tspod pushed and gets the same image id', () => {
  const podman = podmanInTempDir();
  box.ok(['push', '--tls-verify=false', CONFIGURED, `${plain.host}/tspod/configured:v1`]);
  for (const [name, image] of [['busybox:v1', fx.busybox], ['configured:v1', fx.configured]] as const) {
    podman(['pull', '-q', '--tls-verify=false', `${plain.host}/tspod/${name}`]);
    const id = podman(['image', 'inspect', '--format', '{{.Id}}', `${plain.host}/tspod/${name}`]).trim();
    assert.equal(id, image.configDigest.slice(7));
    assert.equal(box.ok(['image', 'inspect', '--format', '{{.Id}}', image.refName]).trim(), id);
  }
});

test('tspod pulls what podman pushed and gets the same image id and repo digest', () => {
  const podman = podmanInTempDir();
  const pulling = new Sandbox('pull-podman');
  try {
    podman(['load', '-q', '-i', fx.multilayer.ociArchive]);
    const ref = `${plain.host}/podman/multilayer:v1`;
    podman(['push', '-q', '--tls-verify=false', fx.multilayer.refName, ref]);
    const { digest } = rawManifest(`docker://${ref}`);
    const id = pulling.ok(['pull', '-q', '--tls-verify=false', ref]).trim();
    assert.equal(id, fx.multilayer.configDigest.slice(7));
    assert.equal(id, podman(['image', 'inspect', '--format', '{{.Id}}', fx.multilayer.refName]).trim());
    const inspected = JSON.parse(pulling.ok(['image', 'inspect', ref]))[0] as { RepoDigests: string[]; RootFS: { Layers: string[] } };
    assert.ok(inspected.RepoDigests.includes(`${plain.host}/podman/multilayer@${digest}`), inspected.RepoDigests.join(' '));
    assert.deepEqual(inspected.RootFS.Layers, fx.multilayer.diffIds);
  } finally {
    pulling.cleanup();
  }
});

test('--format picks the manifest type: v2s2 and oci media types', () => {
  // configured was loaded from a docker-archive: pushed as v2s2 unless told otherwise.
  const v2s2 = rawManifest(`docker://${plain.host}/tspod/configured:v1`).manifest;
  assert.equal(v2s2.mediaType, MEDIA.dockerManifest);
  assert.equal(v2s2.config.mediaType, MEDIA.dockerConfig);
  assert.ok(v2s2.layers.every((l: any) => l.mediaType === MEDIA.dockerGzip));

  box.ok(['push', '--tls-verify=false', '--format', 'oci', CONFIGURED, `${plain.host}/tspod/configured:oci`]);
  const oci = rawManifest(`docker://${plain.host}/tspod/configured:oci`).manifest;
  assert.equal(oci.mediaType, MEDIA.ociManifest);
  assert.equal(oci.config.mediaType, MEDIA.ociConfig);
  assert.equal(oci.config.digest, fx.configured.configDigest);
  assert.ok(oci.layers.every((l: any) => l.mediaType === MEDIA.ociGzip));

  box.ok(['push', '--tls-verify=false', '-f', 'v2s2', BUSYBOX, `${plain.host}/tspod/busybox:v2s2`]);
  const docker = rawManifest(`docker://${plain.host}/tspod/busybox:v2s2`).manifest;
  assert.equal(docker.mediaType, MEDIA.dockerManifest);
  assert.equal(docker.config.mediaType, MEDIA.dockerConfig);
  assert.equal(docker.config.digest, fx.busybox.configDigest);
  assert.deepEqual(
    docker.layers.map((l: any) => l.digest),
    rawManifest(`docker://${plain.host}/tspod/busybox:v1`).manifest.layers.map((l: any) => l.digest),
    'the same gzip blobs, only the media types differ',
  );
});

test('--compression-format zstd pushes zstd layers in an OCI manifest', () => {
  box.ok(['push', '--tls-verify=false', '--compression-format', 'zstd', CONFIGURED, `${plain.host}/tspod/configured:zstd`]);
  const ref = `docker://${plain.host}/tspod/configured:zstd`;
  const { manifest } = rawManifest(ref);
  assert.equal(manifest.mediaType, MEDIA.ociManifest, 'v2s2 cannot hold zstd layers');
  assert.ok(manifest.layers.every((l: any) => l.mediaType === MEDIA.ociZstd));
  const dir = box.path('configured-zstd');
  skopeo(['copy', '--insecure-policy', '--src-tls-verify=false', ref, `dir:${dir}`]);
  for (const layer of manifest.layers) {
    const blob = join(dir, layer.digest.slice(7));
    assert.equal(readFileSync(blob).subarray(0, 4).toString('hex'), '28b52ffd', 'zstd magic');
  }
});

test('pushing again skips the blobs the registry has (HEAD), uploading nothing', async () => {
  // The proxy lives in this process: run tspod asynchronously so it can answer.
  const push = async (args: string[]): Promise<void> => {
    const r = await box.runAsync(args);
    assert.equal(r.code, 0, r.stderr);
  };
  proxy.log.length = 0;
  const target = `${proxy.host}/tspod/again:v1`;
  await push(['push', '--tls-verify=false', MULTILAYER, target]);
  const firstUploads = proxy.log.filter((l) => l.startsWith('POST ') && l.includes('/blobs/uploads/'));
  assert.equal(firstUploads.length, fx.multilayer.diffIds.length + 1, `layers and config uploaded once: ${proxy.log.join(', ')}`);
  proxy.log.length = 0;
  await push(['push', '--tls-verify=false', MULTILAYER, target]);
  assert.deepEqual(
    proxy.log.filter((l) => l.startsWith('POST ') || l.startsWith('PATCH ') || (l.startsWith('PUT ') && l.includes('/blobs/'))),
    [],
    `no uploads the second time: ${proxy.log.join(', ')}`,
  );
  assert.equal(proxy.log.filter((l) => l.startsWith('HEAD ') && l.includes('/blobs/sha256:')).length, fx.multilayer.diffIds.length + 1);
  assert.ok(proxy.log.some((l) => l.startsWith('PUT ') && l.includes('/manifests/v1')));
});

test('a push to another repository of the same registry mounts the blobs pushed before instead of uploading them', async () => {
  proxy.log.length = 0;
  const r = await box.runAsync(['push', '--tls-verify=false', MULTILAYER, `${proxy.host}/tspod/mounted:v1`]);
  assert.equal(r.code, 0, r.stderr);
  const posts = proxy.log.filter((l) => l.startsWith('POST '));
  assert.equal(posts.length, fx.multilayer.diffIds.length + 1, proxy.log.join(', '));
  for (const post of posts) assert.match(post, /\/v2\/tspod\/mounted\/blobs\/uploads\/\?mount=sha256%3A[a-f0-9]{64}&from=tspod%2Fagain$/);
  assert.deepEqual(
    proxy.log.filter((l) => l.startsWith('PATCH ') || (l.startsWith('PUT ') && l.includes('/blobs/'))),
    [],
    `nothing uploaded: ${proxy.log.join(', ')}`,
  );
  assert.ok(proxy.log.some((l) => l.startsWith('PUT ') && l.includes('/mounted/manifests/v1')));
});

test('a TLS registry with auth: --cert-dir and --creds work, wrong credentials fail in one line', () => {
  const ref = `${secure.host}/tspod/secure:v1`;
  const noCa = box.run(['push', '--creds', `${secure.user}:${secure.password}`, BUSYBOX, ref]);
  assert.equal(noCa.code, 125);
  assert.equal(noCa.stderr.trim().split('\n').length, 1, noCa.stderr);
  assert.match(noCa.stderr, /^Error: .*certificate/);

  const wrong = box.run(['push', '--cert-dir', secure.certDir!, '--creds', `${secure.user}:not-the-password`, BUSYBOX, ref]);
  assert.equal(wrong.code, 125);
  assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
  assert.match(wrong.stderr, /^Error: .*invalid username\/password/);

  const none = box.run(['push', '--cert-dir', secure.certDir!, '--authfile', box.path('no-such-auth.json'), BUSYBOX, ref]);
  assert.equal(none.code, 125);
  assert.equal(none.stderr.trim().split('\n').length, 1, none.stderr);

  const digestFile = box.path('secure.digest');
  box.ok(['push', '--cert-dir', secure.certDir!, '--creds', `${secure.user}:${secure.password}`, '--digestfile', digestFile, BUSYBOX, ref]);
  const auth = ['--cert-dir', secure.certDir!, '--creds', `${secure.user}:${secure.password}`];
  const inspect = JSON.parse(skopeo(['inspect', ...auth, `docker://${ref}`])) as { Digest: string };
  assert.equal(readFileSync(digestFile, 'utf8'), inspect.Digest);
  assert.deepEqual(configOf(`docker://${ref}`, auth).rootfs.diff_ids, fx.busybox.diffIds);
});

test('push to oci-archive:, docker-archive:, dir: and oci: writes what skopeo reads', () => {
  const archive = box.path('push-oci.tar');
  const ociDigest = box.path('oci.digest');
  box.ok(['push', '--digestfile', ociDigest, BUSYBOX, `oci-archive:${archive}:mytag`]);
  const fromOciArchive = rawManifest(`oci-archive:${archive}:mytag`, []);
  assert.equal(fromOciArchive.digest, readFileSync(ociDigest, 'utf8'));
  assert.equal(fromOciArchive.manifest.config.digest, fx.busybox.configDigest);
  assert.deepEqual(configOf(`oci-archive:${archive}`, []).rootfs.diff_ids, fx.busybox.diffIds);

  const dockerArchive = box.path('push-docker.tar');
  box.ok(['push', CONFIGURED, `docker-archive:${dockerArchive}:example.com/pushed:v9`]);
  const info = JSON.parse(skopeo(['inspect', `docker-archive:${dockerArchive}`])) as { RepoTags?: string[] };
  assert.deepEqual(configOf(`docker-archive:${dockerArchive}`, []).rootfs.diff_ids, fx.configured.diffIds);
  assert.equal(rawManifest(`docker-archive:${dockerArchive}`, []).manifest.config.digest, fx.configured.configDigest);
  assert.ok(info);
  const again = box.run(['push', CONFIGURED, `docker-archive:${dockerArchive}`]);
  assert.equal(again.code, 125, 'an existing docker-archive is not modified');

  const dir = box.path('push-dir');
  const dirDigest = box.path('dir.digest');
  box.ok(['push', '--digestfile', dirDigest, MULTILAYER, `dir:${dir}`]);
  assert.equal(readFileSync(join(dir, 'version'), 'utf8'), 'Directory Transport Version: 1.1\n');
  const fromDir = rawManifest(`dir:${dir}`, []);
  assert.equal(fromDir.digest, readFileSync(dirDigest, 'utf8'));
  assert.equal(fromDir.manifest.mediaType, MEDIA.ociManifest);
  assert.deepEqual(fromDir.manifest.layers.map((l: any) => l.digest), fx.multilayer.diffIds, 'dir: keeps layers uncompressed');
  for (const l of fromDir.manifest.layers) assert.ok(existsSync(join(dir, l.digest.slice(7))));
  assert.deepEqual(configOf(`dir:${dir}`, []).rootfs.diff_ids, fx.multilayer.diffIds);
  // Pushing again replaces the directory's image.
  box.ok(['push', '--compress', '--format', 'v2s2', MULTILAYER, `dir:${dir}`]);
  const compressed = rawManifest(`dir:${dir}`, []).manifest;
  assert.equal(compressed.mediaType, MEDIA.dockerManifest);
  assert.ok(compressed.layers.every((l: any) => l.mediaType === MEDIA.dockerGzip));
  skopeo(['copy', '--insecure-policy', `dir:${dir}`, `dir:${box.path('push-dir-copy')}`]);

  const layout = box.path('push-layout');
  box.ok(['push', BUSYBOX, `oci:${layout}:one`]);
  box.ok(['push', CONFIGURED, `oci:${layout}:two`]);
  assert.equal(rawManifest(`oci:${layout}:one`, []).manifest.config.digest, fx.busybox.configDigest);
  assert.equal(rawManifest(`oci:${layout}:two`, []).manifest.config.digest, fx.configured.configDigest);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
  assert.equal(index.manifests.length, 2);
});

test('push errors are one line with exit 125', () => {
  const cases: Array<[string[], RegExp]> = [
    [['push', 'no-such-image:latest', `${plain.host}/x:y`], /no-such-image/],
    [['push', BUSYBOX, 'containers-storage:foo'], /containers-storage/],
    [['push', '--sign-by', 'me@example.com', BUSYBOX, `${plain.host}/x:y`], /sign/],
    [['push', '--format', 'v2s1', BUSYBOX, `${plain.host}/x:y`], /v2s1/],
    [['push', '--compression-format', 'lz4', BUSYBOX, `${plain.host}/x:y`], /lz4/],
    [['push', '--tls-verify=false', BUSYBOX, '127.0.0.1:1/x:y'], /127\.0\.0\.1:1/],
  ];
  for (const [args, pattern] of cases) {
    const r = box.run(args);
    assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^Error: /);
    assert.match(r.stderr, pattern);
  }
});

interface CountingProxy {
  host: string;
  server: Server;
  /** `METHOD PATH` of every request passed on. */
  log: string[];
}

/** An HTTP proxy in front of the plain registry that records each request, to see which uploads happen. */
function startCountingProxy(target: string): Promise<CountingProxy> {
  const [hostname, port] = target.split(':');
  const log: string[] = [];
  const server = createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    const upstream = request({ hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      resolve({ host: `127.0.0.1:${p}`, server, log });
    });
  });
}


test('registry commands leave the code caches beside the bundle as they are: none is refused and rewritten', () => {
  const dist = join(TSPOD, '..', '..', 'dist');
  // Pulls into empty storage extract their layers in worker threads, which run a bundle of their own.
  const empty = new Sandbox('push-cache');
  try {
    const image = `${plain.host}/cache/busybox:1`;
    const push = (): void => void box.ok(['push', '-q', '--tls-verify=false', BUSYBOX, image]);
    const pullIntoEmpty = (): void => {
      empty.ok(['rmi', '-a', '-f']);
      empty.ok(['pull', '-q', '--tls-verify=false', image]);
    };
    // The first registry commands of a fresh build write undici's cache and the worker's.
    push();
    pullIntoEmpty();
    const caches = readdirSync(dist).filter((f) => f.endsWith('.cache'));
    for (const cache of ['tspod.cjs.cache', 'undici.cjs.cache', 'extract-worker.cjs.cache']) assert.ok(caches.includes(cache), caches.join(' '));
    const written = (): string[] => caches.map((f) => `${f} ${statSync(join(dist, f)).mtimeMs}`);
    const before = written();
    push();
    pullIntoEmpty();
    box.ok(['pull', '-q', '--tls-verify=false', image]);
    box.ok(['images', '-q']);
    assert.deepEqual(written(), before);
  } finally {
    empty.cleanup();
  }
});
