import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, TSPOD, fixturesDir, type RunResult } from './harness.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

const box = new Sandbox('registry-pull');
let fx: FixtureSet;
let plain: TestRegistry;
let secure: TestRegistry;
let conf: string;
const hostArch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch;
const otherArch = hostArch === 'arm64' ? 'amd64' : 'arm64';

function skopeo(args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

function push(archive: string, dest: string, extra: string[] = ['--dest-tls-verify=false']): void {
  skopeo(['copy', '--quiet', ...extra, `oci-archive:${archive}`, `docker://${dest}`]);
}

/** tspod with a registries.conf that marks the plain test registry insecure and searches it for short names. */
function run(args: string[]): RunResult {
  const r = spawnSync(TSPOD, [...box.globalArgs, ...args], {
    env: { ...box.env, CONTAINERS_REGISTRIES_CONF: conf },
    maxBuffer: 1 << 28,
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function ok(args: string[]): RunResult {
  const r = run(args);
  if (r.code !== 0) throw new Error(`tspod ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** What an aborted pull could leave behind: staging dirs and layer dirs. */
function storageState(): { staged: string[]; layers: string[] } {
  const base = box.path('root', 'tspod');
  const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const driver = ['overlay', 'vfs'].find((d) => existsSync(join(base, d))) ?? 'overlay';
  return { staged: list(join(base, 'tmp')), layers: list(join(base, driver)) };
}

before(async () => {
  fx = await buildFixtures(fixturesDir());
  [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: true })]);
  conf = box.path('registries.conf');
  writeFileSync(
    conf,
    [
      `unqualified-search-registries = ["${plain.host}"]`,
      'short-name-mode = "permissive"',
      '[[registry]]',
      `location = "${plain.host}"`,
      'insecure = true',
      '[[registry]]',
      'location = "blocked.example.com"',
      'blocked = true',
      '[[registry]]',
      'location = "mirrored.example.com"',
      '[[registry.mirror]]',
      `location = "${plain.host}"`,
      'insecure = true',
      '',
    ].join('\n'),
  );
  push(fx.busybox.ociArchive, `${plain.host}/busybox:latest`);
  push(fx.multilayer.ociArchive, `${plain.host}/multilayer:latest`);
  push(fx.busybox.ociArchive, `${secure.host}/private/busybox:1.0`, [`--dest-cert-dir=${secure.certDir}`, `--dest-creds=${secure.user}:${secure.password}`]);
});

after(() => {
  plain?.stop();
  secure?.stop();
  box.cleanup();
});

test('pull by tag stores the image with the id load gives, its name and its repo digest', { timeout: 60_000 }, () => {
  const r = ok(['pull', `${plain.host}/busybox:latest`]);
  assert.equal(r.stdout, `${fx.busybox.configDigest.slice(7)}\n`);
  assert.match(r.stderr, new RegExp(`^Trying to pull ${plain.host}/busybox:latest\\.\\.\\.\nGetting image source signatures\n`));
  assert.match(r.stderr, new RegExp(`Copying blob ${fx.busybox.layerDigests[0]!.slice(7, 19)} done\n`));
  assert.match(r.stderr, /Writing manifest to image destination\nStoring signatures\n$/);
  const [info] = JSON.parse(ok(['image', 'inspect', `${plain.host}/busybox`]).stdout) as Array<{ Id: string; RepoTags: string[]; RepoDigests: string[] }>;
  assert.equal(info!.Id, fx.busybox.configDigest.slice(7));
  assert.deepEqual(info!.RepoTags, [`${plain.host}/busybox:latest`]);
  assert.deepEqual(info!.RepoDigests, [`${plain.host}/busybox@${fx.busybox.manifestDigest}`]);
  assert.match(ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).stdout, new RegExp(`^${plain.host}/busybox:latest ${fx.busybox.configDigest.slice(7, 19)}$`, 'm'));

  // The same archive loaded gives the same image.
  const other = new Sandbox('registry-pull-load');
  try {
    other.ok(['load', '-i', fx.busybox.ociArchive]);
    assert.equal(other.ok(['images', '-q', '--no-trunc']).trim(), `sha256:${info!.Id}`);
  } finally {
    other.cleanup();
  }
});

test('pulling again downloads no layer; -q prints only the id', { timeout: 60_000 }, () => {
  const before = storageState();
  const r = ok(['pull', `${plain.host}/busybox`]);
  assert.match(r.stderr, /Copying blob [0-9a-f]{12} skipped: already exists\n/);
  assert.doesNotMatch(r.stderr, /Copying blob [0-9a-f]{12} done/);
  assert.deepEqual(storageState(), before);
  const quiet = ok(['pull', '-q', `${plain.host}/busybox`]);
  assert.equal(quiet.stdout, `${fx.busybox.configDigest.slice(7)}\n`);
  assert.equal(quiet.stderr, '');
});

test('a second image reuses the layer it shares and downloads the rest', { timeout: 60_000 }, () => {
  const r = ok(['pull', `${plain.host}/multilayer`]);
  assert.equal(r.stdout, `${fx.multilayer.configDigest.slice(7)}\n`);
  assert.match(r.stderr, new RegExp(`Copying blob ${fx.multilayer.layerDigests[0]!.slice(7, 19)} skipped: already exists`));
  for (const digest of fx.multilayer.layerDigests.slice(1)) assert.match(r.stderr, new RegExp(`Copying blob ${digest.slice(7, 19)} done`));
});

test('pull by digest verifies it and records the digest', { timeout: 60_000 }, () => {
  ok(['rmi', '-f', `${plain.host}/busybox`]);
  const r = ok(['pull', '-q', `${plain.host}/busybox@${fx.busybox.manifestDigest}`]);
  assert.equal(r.stdout, `${fx.busybox.configDigest.slice(7)}\n`);
  const [info] = JSON.parse(ok(['image', 'inspect', fx.busybox.configDigest.slice(7)]).stdout) as Array<{ Digest: string; RepoTags: string[] }>;
  assert.equal(info!.Digest, fx.busybox.manifestDigest);
  // Named by its digest, as Podman names it: listed with tag <none>, not dangling, usable by that name.
  assert.deepEqual(info!.RepoTags, []);
  assert.match(ok(['images', '--format', '{{.Repository}} {{.Tag}}']).stdout, new RegExp(`^${plain.host}/busybox <none>$`, 'm'));
  assert.doesNotMatch(ok(['images', '-q', '--no-trunc', '--filter', 'dangling=true']).stdout, new RegExp(fx.busybox.configDigest.slice(7)));
  assert.equal(ok(['image', 'exists', `${plain.host}/busybox@${fx.busybox.manifestDigest}`]).code, 0);
  const wrong = run(['pull', `${plain.host}/busybox@sha256:${'0'.repeat(64)}`]);
  assert.equal(wrong.code, 125);
  assert.match(wrong.stderr, /^Error: initializing source docker:\/\/.*manifest unknown/m);
});

test('policies: missing and never use the local image, newer pulls only a different digest', { timeout: 60_000 }, () => {
  ok(['pull', '-q', `${plain.host}/busybox`]);
  const missing = ok(['pull', '--policy', 'missing', `${plain.host}/busybox`]);
  assert.equal(missing.stdout, `${fx.busybox.configDigest.slice(7)}\n`);
  assert.equal(missing.stderr, '');
  const newer = ok(['pull', '--policy', 'newer', `${plain.host}/busybox`]);
  assert.equal(newer.stdout, `${fx.busybox.configDigest.slice(7)}\n`);
  assert.doesNotMatch(newer.stderr, /Copying/);
  const never = run(['pull', '--policy', 'never', `${plain.host}/absent`]);
  assert.equal(never.code, 125);
  assert.match(never.stderr, /image not known/);
});

test('short names resolve through the search registries', { timeout: 60_000 }, () => {
  push(fx.busybox.ociArchive, `${plain.host}/shorty:latest`);
  const r = ok(['pull', 'shorty']);
  assert.match(r.stderr, new RegExp(`^Trying to pull ${plain.host}/shorty:latest\\.\\.\\.`));
  assert.equal(r.stdout, `${fx.busybox.configDigest.slice(7)}\n`);
});

test('mirrors in registries.conf are tried first; the image keeps the name asked for', { timeout: 60_000 }, () => {
  const r = ok(['pull', 'mirrored.example.com/busybox']);
  assert.equal(r.stdout, `${fx.busybox.configDigest.slice(7)}\n`);
  assert.match(ok(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout, /^mirrored\.example\.com\/busybox:latest$/m);
});

test('a manifest list gives the host platform; --arch and --platform pick another', { timeout: 60_000 }, async () => {
  push(fx.busybox.ociArchive, `${plain.host}/multi:host`);
  push(fx.configured.ociArchive, `${plain.host}/multi:other`);
  const describe = (digest: string, arch: string) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest,
    size: Buffer.byteLength(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/multi@${digest}`])),
    platform: { architecture: arch, os: 'linux' },
  });
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [describe(fx.busybox.manifestDigest, hostArch), describe(fx.configured.manifestDigest, otherArch)],
    }),
  );
  const res = await fetch(`http://${plain.host}/v2/multi/manifests/latest`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
    body: index,
  });
  assert.equal(res.status, 201, await res.text());
  const indexDigest = `sha256:${createHash('sha256').update(index).digest('hex')}`;

  assert.equal(ok(['pull', '-q', `${plain.host}/multi`]).stdout, `${fx.busybox.configDigest.slice(7)}\n`);
  const [info] = JSON.parse(ok(['image', 'inspect', `${plain.host}/multi`]).stdout) as Array<{ RepoDigests: string[] }>;
  assert.ok(info!.RepoDigests.includes(`${plain.host}/multi@${indexDigest}`), info!.RepoDigests.join());
  assert.ok(info!.RepoDigests.includes(`${plain.host}/multi@${fx.busybox.manifestDigest}`), info!.RepoDigests.join());

  assert.equal(ok(['pull', '-q', '--arch', otherArch, `${plain.host}/multi`]).stdout, `${fx.configured.configDigest.slice(7)}\n`);
  assert.equal(ok(['pull', '-q', '--platform', `linux/${hostArch}`, `${plain.host}/multi`]).stdout, `${fx.busybox.configDigest.slice(7)}\n`);
  const none = run(['pull', '--arch', 's390x', `${plain.host}/multi`]);
  assert.equal(none.code, 125);
  assert.match(none.stderr, new RegExp(`^Error: no image found in manifest list .* for platform linux/s390x: it has linux/${hostArch}, linux/${otherArch}`, 'm'));
});

test('TLS and auth: --cert-dir with --creds or an auth file; a wrong password is one clear line', { timeout: 60_000 }, () => {
  const ref = `${secure.host}/private/busybox:1.0`;
  const good = ok(['pull', '-q', '--cert-dir', secure.certDir!, '--creds', `${secure.user}:${secure.password}`, ref]);
  assert.equal(good.stdout, `${fx.busybox.configDigest.slice(7)}\n`);

  const authFile = box.path('auth.json');
  writeFileSync(authFile, JSON.stringify({ auths: { [secure.host]: { auth: Buffer.from(`${secure.user}:${secure.password}`).toString('base64') } } }));
  ok(['pull', '-q', '--cert-dir', secure.certDir!, '--authfile', authFile, ref]);

  const bad = run(['pull', '--cert-dir', secure.certDir!, '--creds', `${secure.user}:wrong`, ref]);
  assert.equal(bad.code, 125);
  const errorLines = bad.stderr.split('\n').filter((l) => l.startsWith('Error:'));
  assert.equal(errorLines.length, 1, bad.stderr);
  assert.match(errorLines[0]!, /unauthorized: invalid username\/password/);

  const anonymous = run(['pull', '--cert-dir', secure.certDir!, ref]);
  assert.equal(anonymous.code, 125);
  assert.match(anonymous.stderr, /authentication required: log in with tspod login/);

  const untrusted = run(['pull', '--creds', `${secure.user}:${secure.password}`, ref]);
  assert.equal(untrusted.code, 125);
  assert.match(untrusted.stderr, /certificate signed by unknown authority/);
});

test('unknown tags, blocked registries and bad flags fail with one line', { timeout: 60_000 }, () => {
  const unknown = run(['pull', `${plain.host}/busybox:nope`]);
  assert.equal(unknown.code, 125);
  assert.match(unknown.stderr, new RegExp(`^Error: initializing source docker://${plain.host}/busybox:nope: reading manifest nope in ${plain.host}/busybox: manifest unknown`, 'm'));
  const blocked = run(['pull', 'blocked.example.com/x']);
  assert.equal(blocked.code, 125);
  assert.match(blocked.stderr, /registry blocked.example.com is blocked in registries.conf/);
  assert.equal(run(['pull', '--platform', 'linux/arm64', '--arch', 'arm64', 'busybox']).code, 125);
  assert.match(run(['pull', '--policy', 'sometimes', 'busybox']).stderr, /unsupported pull policy "sometimes"/);
  assert.match(run(['pull', '-a', `${plain.host}/busybox:latest`]).stderr, /tag can't be used with --all-tags/);
});

test('--all-tags pulls every tag of the repository', { timeout: 60_000 }, () => {
  push(fx.busybox.ociArchive, `${plain.host}/tagged:one`);
  push(fx.configured.ociArchive, `${plain.host}/tagged:two`);
  const r = ok(['pull', '-q', '--all-tags', `${plain.host}/tagged`]);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [fx.busybox.configDigest.slice(7), fx.configured.configDigest.slice(7)].sort());
  const names = ok(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout;
  assert.match(names, new RegExp(`^${plain.host}/tagged:one$`, 'm'));
  assert.match(names, new RegExp(`^${plain.host}/tagged:two$`, 'm'));
});

test('a blob that does not match its digest fails the pull and leaves storage as it was', { timeout: 90_000 }, async () => {
  const broken = await startRegistry();
  try {
    push(fx.multilayer.ociArchive, `${broken.host}/broken:latest`, ['--dest-tls-verify=false']);
    const digest = fx.multilayer.layerDigests.at(-1)!.slice(7);
    const data = join(broken.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', digest.slice(0, 2), digest, 'data');
    const bytes = readFileSync(data);
    for (let i = Math.floor(bytes.length / 2); i < Math.min(bytes.length - 8, Math.floor(bytes.length / 2) + 64); i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(data, bytes);

    const fresh = new Sandbox('registry-pull-corrupt');
    try {
      const images = fresh.ok(['images', '-q']);
      const r = spawnSync(TSPOD, [...fresh.globalArgs, 'pull', '--tls-verify=false', `${broken.host}/broken:latest`], { env: fresh.env, timeout: 60_000 });
      assert.equal(r.status, 125, r.stderr.toString());
      const stderr = r.stderr.toString();
      assert.match(stderr, new RegExp(`^Error: copying blob sha256:${digest}: the content has digest sha256:[0-9a-f]{64}, not the one the manifest names`, 'm'));
      assert.equal(fresh.ok(['images', '-q']), images);
      const tmp = fresh.path('root', 'tspod', 'tmp');
      assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], []);
      const layerDirs = ['overlay', 'vfs'].flatMap((d) => {
        const dir = fresh.path('root', 'tspod', d);
        return existsSync(dir) ? readdirSync(dir) : [];
      });
      assert.deepEqual(layerDirs, []);
    } finally {
      fresh.cleanup();
    }
  } finally {
    broken.stop();
  }
});

test('run --pull=always pulls before it creates', { timeout: 90_000 }, () => {
  const r = ok(['run', '--rm', '--pull=always', `${plain.host}/busybox`, 'echo', 'pulled-and-ran']);
  assert.equal(r.stdout, 'pulled-and-ran\n');
  assert.match(r.stderr, new RegExp(`Trying to pull ${plain.host}/busybox:latest\\.\\.\\.`));
  ok(['rmi', '-f', `${plain.host}/multilayer`]);
  const missing = ok(['create', '-q', `${plain.host}/multilayer`]);
  assert.match(missing.stdout, /^[0-9a-f]{64}\n$/);
  ok(['rm', '-f', missing.stdout.trim()]);
  const never = run(['create', '--pull=never', `${plain.host}/not-here`]);
  assert.equal(never.code, 125);
  assert.match(never.stderr, /image not known/);
});
