/**
 * The Docker API's image, build, auth and system routes, driven by the docker
 * CLI and docker-py against a real `tspod system service`, with Debian's
 * docker-registry as the registry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Sandbox, fixturesDir } from './harness.js';
import { ApiService } from './api-harness.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

const box = new Sandbox('api-images');
const api = new ApiService(box);
let fx: FixtureSet;
let plain: TestRegistry;
let secure: TestRegistry;

const BUSYBOX = 'localhost/tspod-test/busybox:latest';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function docker(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync('docker', args, { env: { ...api.clientEnv, ...opts.env }, input: opts.input, timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function dockerOk(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): string {
  const r = docker(args, opts);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Debian's docker-py (python3-docker 5.0.3) against the service. */
function dockerPy(script: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', `import docker, json\nclient = docker.DockerClient(base_url=${JSON.stringify(api.url)})\n${script}`], {
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString();
}

function skopeoPut(archive: string, destination: string, creds?: string): void {
  execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', creds] : []), `oci-archive:${archive}`, `docker://${destination}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** The digest a plain-HTTP registry serves for a tag. */
function registryDigest(registry: TestRegistry, repo: string, tag: string): Promise<string | undefined> {
  const [hostname, port] = registry.host.split(':');
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname,
        port: Number(port),
        method: 'HEAD',
        path: `/v2/${repo}/manifests/${tag}`,
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? String(res.headers['docker-content-digest']) : undefined);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: true })]);
  skopeoPut(fx.busybox.ociArchive, `${plain.host}/alpha/busybox:1.0`);
  skopeoPut(fx.multilayer.ociArchive, `${plain.host}/tools/multilayer:v2`);
  skopeoPut(fx.busybox.ociArchive, `${secure.host}/private/busybox:7`, `${secure.user}:${secure.password}`);
  mkdirSync(box.path('docker-config'), { recursive: true });
  await api.start();
});

after(async () => {
  await api.stop();
  plain?.stop();
  secure?.stop();
  box.cleanup();
});

test('docker images lists in Docker form: table, --format, -q and --filter', () => {
  box.ok(['tag', BUSYBOX, 'team/app:1']);
  box.ok(['tag', BUSYBOX, 'docker.io/library/hubimage:2']);
  const table = dockerOk(['images']);
  assert.match(table, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
  assert.match(table, /\nteam\/app +1 +[0-9a-f]{12} /);
  const names = dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n').sort();
  assert.deepEqual(names, ['hubimage:2', 'team/app:1', 'tspod-test/busybox:latest']);
  const id = box.ok(['image', 'inspect', '--format', '{{.Id}}', BUSYBOX]).trim();
  // One line per tag, as Docker prints them.
  assert.deepEqual([...new Set(dockerOk(['images', '-q']).trim().split('\n'))], [id.slice(0, 12)]);
  assert.equal(dockerOk(['images', '--filter', 'reference=team/*', '--format', '{{.Repository}}:{{.Tag}}']).trim(), 'team/app:1');
  assert.equal(dockerOk(['images', '--filter', 'dangling=true', '-q']).trim(), '');
  assert.match(docker(['images', '--filter', 'nonsense=1']).stderr, /Error response from daemon: invalid image filter "nonsense"/);
});

test('GET /images/json has Docker fields, <none> placeholders before API 1.43, and sees another process change the store', async () => {
  // An untagged image, imported by the CLI while the service runs.
  writeFileSync(box.path('file.txt'), 'x');
  execFileSync('tar', ['-C', box.dir, '-cf', box.path('rootfs.tar'), 'file.txt']);
  const untaggedId = box.ok(['import', '-q', box.path('rootfs.tar')]).trim().replace(/^sha256:/, '');
  const current = await api.request('GET', '/v1.44/images/json');
  assert.equal(current.status, 200);
  const untagged = current.json.find((i: { Id: string }) => i.Id === `sha256:${untaggedId}`);
  assert.deepEqual(Object.keys(untagged).sort(), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size']);
  assert.deepEqual(untagged.RepoTags, []);
  assert.deepEqual(untagged.Labels, {});
  assert.equal(typeof untagged.Created, 'number');
  const old = (await api.request('GET', '/v1.41/images/json')).json.find((i: { Id: string }) => i.Id === `sha256:${untaggedId}`);
  assert.deepEqual(old.RepoTags, ['<none>:<none>']);
  assert.deepEqual(old.RepoDigests, ['<none>@<none>']);
  assert.equal(old.VirtualSize, old.Size);
  const dangling = await api.request('GET', `/v1.44/images/json?filters=${encodeURIComponent(JSON.stringify({ dangling: ['true'] }))}`);
  assert.deepEqual(dangling.json.map((i: { Id: string }) => i.Id), [`sha256:${untaggedId}`]);
  box.ok(['rmi', untaggedId]);
  const after = await api.request('GET', '/v1.44/images/json');
  assert.equal(after.json.some((i: { Id: string }) => i.Id === `sha256:${untaggedId}`), false);
  box.ok(['tag', BUSYBOX, 'seen/by-service:3']);
  assert.match(dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^seen\/by-service:3$/m);
  box.ok(['rmi', 'seen/by-service:3']);
  assert.doesNotMatch(dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']), /seen\/by-service/);
});

test('docker pull shows Docker progress and the image is in tspod images; again it is up to date; a missing tag is an error', () => {
  const ref = `${plain.host}/tools/multilayer:v2`;
  const r = docker(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^v2: Pulling from tools\/multilayer$/m);
  assert.match(r.stdout, /^[0-9a-f]{12}: Pull complete$/m);
  assert.match(r.stdout, /^Digest: sha256:[0-9a-f]{64}$/m);
  assert.match(r.stdout, new RegExp(`^Status: Downloaded newer image for ${ref.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(r.stdout, new RegExp(`^${ref.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(box.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), new RegExp(`^${ref.replace(/\./g, '\\.')}$`, 'm'));
  const again = dockerOk(['pull', ref]);
  assert.match(again, /Status: Image is up to date for /);
  assert.doesNotMatch(again, /Pull complete/);
  const missing = docker(['pull', `${plain.host}/tools/multilayer:nope`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error response from daemon: .*manifest unknown/m);
});

test('docker tag and docker push to the registry; the registry serves the pushed digest', async () => {
  dockerOk(['tag', 'tspod-test/busybox', `${plain.host}/pushed/bb:7`]);
  const r = docker(['push', `${plain.host}/pushed/bb:7`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^The push refers to repository \\[${plain.host.replace(/\./g, '\\.')}/pushed/bb\\]$`, 'm'));
  assert.match(r.stdout, /^[0-9a-f]{12}: (Pushed|Layer already exists)$/m);
  const m = /^7: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[2]) > 100);
  assert.equal(await registryDigest(plain, 'pushed/bb', '7'), m[1]);
  const refused = docker(['push', `${plain.host}/pushed/none:1`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Error response from daemon: .*image not known/);
});

test('docker image inspect and docker history show the image as Docker does', () => {
  const [inspect] = JSON.parse(dockerOk(['image', 'inspect', 'tspod-test/busybox']));
  assert.match(inspect.Id, /^sha256:[0-9a-f]{64}$/);
  assert.ok(inspect.RepoTags.includes('tspod-test/busybox:latest'));
  assert.match(inspect.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.equal(inspect.Os, 'linux');
  assert.equal(inspect.RootFS.Type, 'layers');
  assert.deepEqual(inspect.RootFS.Layers, fx.busybox.diffIds);
  assert.equal(inspect.GraphDriver.Name, 'overlay');
  assert.equal(dockerOk(['image', 'inspect', '--format', '{{.Architecture}}/{{.Os}} {{.Size}}', 'tspod-test/busybox']).trim(), `${inspect.Architecture}/linux ${inspect.Size}`);
  const history = dockerOk(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}', 'tspod-test/busybox']).trim().split('\n');
  assert.equal(history[0]!.split('|')[0], inspect.Id);
  assert.ok(history.length >= 1);
  const missing = docker(['image', 'inspect', 'no/such:image']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such image|image not known/);
});

test('docker rmi untags a name the image has others for, then deletes it; a missing image fails', () => {
  dockerOk(['tag', 'tspod-test/busybox', 'rm/me:1']);
  dockerOk(['tag', 'tspod-test/busybox', 'rm/me:2']);
  assert.equal(dockerOk(['rmi', 'rm/me:1']).trim(), 'Untagged: rm/me:1');
  box.ok(['import', '-q', box.path('rootfs.tar'), 'rm/solo:1']);
  const out = dockerOk(['rmi', 'rm/solo:1']).trim().split('\n');
  assert.deepEqual(out[0], 'Untagged: rm/solo:1');
  assert.match(out[1]!, /^Deleted: sha256:[0-9a-f]{64}$/);
  assert.equal(box.run(['image', 'exists', 'rm/solo:1']).code, 1);
  const r = docker(['rmi', 'rm/none:1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error response from daemon: /);
  dockerOk(['rmi', 'rm/me:2']);
});

test('docker save | docker load round-trips an image', () => {
  dockerOk(['tag', 'tspod-test/busybox', 'round/trip:1']);
  const saved = spawnSync('docker', ['save', 'round/trip:1'], { env: api.clientEnv, maxBuffer: 1 << 28 });
  assert.equal(saved.status, 0, saved.stderr.toString());
  assert.ok(saved.stdout.length > 100_000);
  dockerOk(['rmi', 'round/trip:1']);
  const loaded = dockerOk(['load'], { input: saved.stdout });
  assert.match(loaded, /^Loaded image: round\/trip:1$/m);
  // The docker CLI qualifies the names it tags with as Docker Hub's.
  assert.match(box.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^docker\.io\/round\/trip:1$/m);
  const piped = spawnSync('sh', ['-c', 'docker save round/trip:1 | docker load'], { env: api.clientEnv });
  assert.equal(piped.status, 0, piped.stderr.toString());
  assert.match(piped.stdout.toString(), /Loaded image: round\/trip:1/);
});

test('docker build (the classic builder a Builder-Version 1 server gets) with COPY and RUN; -q prints the id; a failing RUN fails', () => {
  const ctx = box.path('build-ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(`${ctx}/hello.txt`, 'hello from the context\n');
  writeFileSync(`${ctx}/Dockerfile`, `FROM ${plain.host}/alpha/busybox:1.0\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo built > /out\nCMD ["cat", "/out"]\n`);
  const r = docker(['build', '-t', 'built/app', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Step 1\/4 : FROM /m);
  assert.match(r.stdout, /^Step 2\/4 : COPY hello.txt \/hello.txt$/m);
  assert.match(r.stdout, /^hello from the context$/m);
  assert.match(r.stdout, /^Successfully built [0-9a-f]{12}$/m);
  assert.match(r.stdout, /^Successfully tagged built\/app:latest$/m);
  assert.match(r.stderr, /legacy builder is deprecated/);
  assert.equal(box.ok(['run', '--rm', '--network', 'none', 'built/app']), 'built\n');
  const quiet = docker(['build', '-q', '-t', 'built/app:q', ctx]);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stdout, /^sha256:[0-9a-f]{64}\n$/);
  writeFileSync(`${ctx}/Dockerfile.bad`, `FROM ${plain.host}/alpha/busybox:1.0\nRUN exit 3\n`);
  const bad = docker(['build', '-f', `${ctx}/Dockerfile.bad`, ctx]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr + bad.stdout, /exit 3|exit status 3|code: 3/);
});

test('docker build --add-host and --shm-size reach the RUN containers; --cache-from, --rm and --force-rm are accepted', async () => {
  const ctx = box.path('build-hosts-ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(`${ctx}/Dockerfile`, `FROM ${plain.host}/alpha/busybox:1.0\nRUN grep -w extra.example /etc/hosts && df -k /dev/shm | tail -n 1\n`);
  const r = docker(['build', '--add-host', 'extra.example:10.11.12.13', '--shm-size', '32m', '--cache-from', 'built/app', '--rm', '--force-rm', '-t', 'built/hosts', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^10\.11\.12\.13\s+extra\.example$/m);
  // 32 MiB in 1K blocks: the size column of df.
  assert.match(r.stdout, /^\S+\s+32768\s+\d+\s+\d+\s+\d+%\s+\/dev\/shm$/m);
  const bad = await api.request('POST', `/v1.44/build?extrahosts=${encodeURIComponent('nocolon')}`, Buffer.alloc(1024), { 'Content-Type': 'application/x-tar' });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /extrahosts.*must be HOST:IP/);
});

test('docker commit, docker import, docker image prune and docker search', () => {
  box.ok(['create', '--name', 'api-commit-src', '--network', 'none', BUSYBOX, 'true']);
  try {
    const committed = docker(['commit', '-c', 'ENV FROM_COMMIT=yes', '-m', 'by the API', 'api-commit-src', 'committed/app:2']);
    assert.equal(committed.code, 0, committed.stderr);
    assert.match(committed.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.match(box.ok(['image', 'inspect', '--format', '{{.Config.Env}}', 'committed/app:2']), /FROM_COMMIT=yes/);
  } finally {
    box.run(['rm', '-f', 'api-commit-src']);
  }
  const imported = docker(['import', box.path('rootfs.tar'), 'imported/fs:1']);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(box.ok(['run', '--rm', '--network', 'none', '--entrypoint', '', 'committed/app:2', 'echo', 'ok']), 'ok\n');
  // An untagged image: prune removes it, and only it.
  const untagged = box.ok(['import', '-q', box.path('rootfs.tar')]).trim().replace(/^sha256:/, '');
  const pruned = docker(['image', 'prune', '-f']);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, new RegExp(`^deleted: sha256:${untagged}$`, 'm'));
  assert.match(pruned.stdout, /^Total reclaimed space: /m);
  assert.equal(box.run(['image', 'exists', untagged]).code, 1);
  assert.equal(box.run(['image', 'exists', 'imported/fs:1']).code, 0);
  const found = dockerOk(['search', '--format', '{{.Name}}', `${plain.host}/alpha`]);
  assert.match(found, new RegExp(`^${plain.host.replace(/\./g, '\\.')}/alpha/busybox$`, 'm'));
});

test('docker info and docker system df', () => {
  const info = dockerOk(['info', '--format', '{{json .}}']);
  const parsed = JSON.parse(info);
  assert.equal(parsed.OSType, 'linux');
  assert.equal(parsed.Driver, 'overlay');
  assert.ok(parsed.Images >= 3);
  assert.equal(typeof parsed.NCPU, 'number');
  assert.equal(parsed.DockerRootDir, box.path('root'));
  assert.deepEqual(parsed.Labels, []);
  assert.match(dockerOk(['info']), /Storage Driver: overlay/);
  const df = dockerOk(['system', 'df']);
  assert.match(df, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +\d+ /);
  assert.match(df, /\nLocal Volumes +\d+ /);
  assert.match(df, /\nBuild Cache +0 /);
  // The container rows are the container list's, with their writable layer's size.
  box.ok(['create', '--name', 'df-row', '--network', 'none', '-l', 'in=df', BUSYBOX, 'true']);
  try {
    const rows = JSON.parse(dockerOk(['system', 'df', '-v', '--format', '{{json .Containers}}']));
    const row = rows.find((c: { Names: string }) => c.Names === 'df-row');
    assert.ok(row, JSON.stringify(rows));
    assert.equal(row.Labels, 'in=df');
    assert.match(row.Image, /busybox/);
  } finally {
    box.ok(['rm', 'df-row']);
  }
});

test('docker events --since --until replays the journal; a live docker events sees a container start', async () => {
  const since = Math.floor(Date.now() / 1000) - 3600;
  const until = Math.floor(Date.now() / 1000) + 1;
  const past = dockerOk(['events', '--since', String(since), '--until', String(until), '--filter', 'type=image', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
  assert.match(past, /^image tag team\/app:1$/m);
  assert.match(past, /^image pull /m);
  const t0 = (Date.now() / 1000).toFixed(3);
  const follower = spawn('docker', ['events', '--since', t0, '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}}'], {
    env: api.clientEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const started = new Promise<void>((resolve, reject) => {
    follower.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      if (/^start api-events-live /m.test(seen)) resolve();
    });
    follower.once('exit', (code) => reject(new Error(`docker events exited ${code}: ${seen}`)));
  });
  try {
    box.ok(['run', '-d', '--name', 'api-events-live', '--network', 'none', BUSYBOX, 'sleep', '60']);
    await started;
    assert.match(seen, /^create api-events-live tspod-test\/busybox:latest$/m);
  } finally {
    follower.kill();
    box.run(['rm', '-f', '-t', '0', 'api-events-live']);
  }
  // The follower went away mid-stream: the service still answers.
  assert.equal((await api.request('GET', '/_ping')).status, 200);
});

test('docker login checks the password with the registry (htpasswd over TLS); a wrong one is refused; pulls use the login', () => {
  const wrong = docker(['login', '-u', secure.user!, '--password-stdin', secure.host], { input: 'not-it\n' });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /Error response from daemon: .*invalid username\/password/);
  const r = docker(['login', '-u', secure.user!, '--password-stdin', secure.host], { input: `${secure.password}\n` });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Login Succeeded/);
  const config = JSON.parse(readFileSync(box.path('docker-config', 'config.json'), 'utf8'));
  assert.equal(config.auths[secure.host].auth, Buffer.from(`${secure.user}:${secure.password}`).toString('base64'));
  const pulled = docker(['pull', `${secure.host}/private/busybox:7`]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /Status: (Downloaded newer image|Image is up to date) for /);
  // Push sends the login in X-Registry-Auth; a classic build sends every login in X-Registry-Config.
  dockerOk(['tag', 'tspod-test/busybox', `${secure.host}/private/pushed:1`]);
  const pushed = docker(['push', `${secure.host}/private/pushed:1`]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stdout, /^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
  box.ok(['rmi', `${secure.host}/private/pushed:1`]);
  const ctx = box.path('auth-ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(`${ctx}/Dockerfile`, `FROM ${secure.host}/private/pushed:1\nRUN echo authed > /a\n`);
  const built = docker(['build', '-t', 'authed/build', ctx]);
  assert.equal(built.code, 0, built.stderr + built.stdout);
  assert.match(built.stdout, /Successfully tagged authed\/build:latest/);
  dockerOk(['logout', secure.host]);
  box.ok(['rmi', `${secure.host}/private/pushed:1`]);
  const refused = docker(['pull', `${secure.host}/private/pushed:1`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^Error response from daemon: .*authentication required/m);
});

test('bad requests are 400s and unknown images 404s, with Docker-shaped messages', async () => {
  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['POST', '/v1.44/images/create', undefined, 400, /fromImage/],
    ['POST', '/v1.44/images/create?fromImage=Bad%20Name', undefined, 400, /invalid fromImage "Bad Name"/],
    ['POST', '/v1.44/build?platform=windows/amd64', undefined, 400, /cannot build for windows\/amd64/],
    ['GET', '/v1.44/images/no/such:image/json', undefined, 404, /no\/such:image/],
    ['GET', '/v1.44/images/no/such:image/history', undefined, 404, /no\/such:image/],
    ['POST', '/v1.44/images/tspod-test/busybox/tag', undefined, 400, /repo is required/],
    ['GET', `/v1.44/events?filters=${encodeURIComponent('{"daemon":["x"]}')}`, undefined, 400, /invalid filter "daemon=x"/],
    ['GET', '/v1.44/events?since=soon', undefined, 400, /since/],
    ['POST', '/v1.44/auth', { username: 7 }, 400, /username must be a string/],
    ['GET', '/v1.44/images/get?names=no/such', undefined, 404, /no\/such/],
  ];
  for (const [method, path, body, status, message] of cases) {
    const r = await api.request(method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${r.body}`);
    assert.match(r.json.message, message, `${method} ${path}`);
  }
});

test('docker-py: images.list, images.pull and images.build', () => {
  const listed = JSON.parse(dockerPy('print(json.dumps(sorted(t for i in client.images.list() for t in i.tags)))'));
  assert.ok(listed.includes('tspod-test/busybox:latest'), listed);
  box.run(['rmi', `${plain.host}/alpha/busybox:1.0`]);
  const pulled = JSON.parse(dockerPy(`i = client.images.pull(${JSON.stringify(`${plain.host}/alpha/busybox`)}, tag="1.0")\nprint(json.dumps([i.id, i.tags]))`));
  assert.equal(pulled[0], `sha256:${fx.busybox.configDigest.replace(/^sha256:/, '')}`);
  assert.ok(pulled[1].includes(`${plain.host}/alpha/busybox:1.0`), pulled[1]);
  const ctx = box.path('py-ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(`${ctx}/Dockerfile`, `FROM ${plain.host}/alpha/busybox:1.0\nRUN echo from-py > /py\nLABEL made.by=docker-py\n`);
  const built = dockerPy(`image, logs = client.images.build(path=${JSON.stringify(ctx)}, tag="py/built:1")\nprint(image.tags, image.labels.get("made.by"))\nprint("".join(l.get("stream", "") for l in logs))`);
  assert.match(built, /^\['py\/built:1'\] docker-py$/m);
  assert.match(built, /Successfully built [0-9a-f]{12}/);
  assert.equal(box.ok(['run', '--rm', '--network', 'none', 'py/built:1', 'cat', '/py']), 'from-py\n');
});
