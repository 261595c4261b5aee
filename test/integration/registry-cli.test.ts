import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Sandbox, TSPOD, fixturesDir } from './harness.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

/** run/create's registry flags, manifest lists in images and tag, the short-name prompt. */

let fx: FixtureSet;
let plain: TestRegistry;
let secure: TestRegistry;
const boxes: Sandbox[] = [];

function sandbox(name: string): Sandbox {
  const box = new Sandbox(name);
  boxes.push(box);
  return box;
}

before(async () => {
  fx = await buildFixtures(fixturesDir());
  [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: true })]);
  const copy = (dest: string, extra: string[]) =>
    execFileSync('skopeo', ['copy', '--quiet', ...extra, `oci-archive:${fx.busybox.ociArchive}`, `docker://${dest}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  copy(`${plain.host}/cli/busybox:latest`, ['--dest-tls-verify=false']);
  copy(`${secure.host}/private/busybox:latest`, [`--dest-cert-dir=${secure.certDir}`, `--dest-creds=${secure.user}:${secure.password}`]);
});

after(() => {
  plain?.stop();
  secure?.stop();
  for (const b of boxes) b.cleanup();
});

test('run and create pass --tls-verify, --creds, --authfile and --cert-dir to the pull', { timeout: 120_000 }, () => {
  const box = sandbox('regcli-flags');
  const id = fx.busybox.configDigest.slice(7);
  const noTls = box.run(['create', '-q', `${plain.host}/cli/busybox`, 'true']);
  assert.equal(noTls.code, 125);
  assert.match(noTls.stderr, /^Error: .*HTTP response to HTTPS client.*--tls-verify=false/m);
  const created = box.run(['create', '-q', '--tls-verify=false', `${plain.host}/cli/busybox`, 'true']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(box.ok(['inspect', '--format', '{{.Image}}', created.stdout.trim()]).trim(), id);

  const denied = box.run(['create', '-q', '--cert-dir', secure.certDir!, `${secure.host}/private/busybox`, 'true']);
  assert.equal(denied.code, 125);
  assert.equal(denied.stderr.trim().split('\n').length, 1, denied.stderr);
  const run = box.run(['run', '--rm', '-q', '--cert-dir', secure.certDir!, '--creds', `${secure.user}:${secure.password}`, `${secure.host}/private/busybox`, 'echo', 'hi']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'hi\n');

  const authFile = box.path('auth.json');
  writeFileSync(authFile, JSON.stringify({ auths: { [secure.host]: { auth: Buffer.from(`${secure.user}:${secure.password}`).toString('base64') } } }));
  box.ok(['rmi', '-f', `${secure.host}/private/busybox`]);
  const viaFile = box.run(['create', '-q', '--cert-dir', secure.certDir!, '--authfile', authFile, `${secure.host}/private/busybox`, 'true']);
  assert.equal(viaFile.code, 0, viaFile.stderr);
  const missing = box.run(['create', '--authfile', box.path('nope.json'), `${secure.host}/private/busybox`, 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /^Error: stat .*nope\.json: no such file or directory/);
});

test('images lists a manifest list under each of its names; tag moves names between lists and images as Podman does', () => {
  const box = sandbox('regcli-lists');
  box.ok(['load', '-q', '-i', fx.busybox.ociArchive]);
  const listId = box.ok(['manifest', 'create', 'mylist']).trim();
  const rows = () => box.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).trim().split('\n');
  assert.ok(box.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']).includes(`localhost/mylist:latest ${listId.slice(0, 12)} `));
  assert.ok(box.ok(['images', '-q', '--no-trunc']).includes(`sha256:${listId}`));

  box.ok(['tag', 'mylist', 'localhost/other:1']);
  assert.deepEqual(rows().filter((r) => r.endsWith(listId.slice(0, 12))).sort(), [`localhost/mylist:latest ${listId.slice(0, 12)}`, `localhost/other:1 ${listId.slice(0, 12)}`]);
  const [json] = JSON.parse(box.ok(['images', '--format', 'json', '--filter', 'reference=localhost/other:1'])) as Array<{ Id: string; Names: string[]; History: string[] }>;
  assert.deepEqual(json!.Names, ['localhost/mylist:latest', 'localhost/other:1']);
  assert.deepEqual(json!.History, ['localhost/other:1', 'localhost/mylist:latest'], 'newest name first');

  // An image tagged with the list's name takes it; the list keeps its other name.
  const imageId = fx.busybox.configDigest.slice(7, 19);
  box.ok(['tag', fx.busybox.refName, 'mylist']);
  assert.ok(rows().includes(`localhost/mylist:latest ${imageId}`), rows().join('\n'));
  assert.equal(box.run(['manifest', 'exists', 'mylist']).code, 1);
  assert.equal(box.run(['manifest', 'exists', 'localhost/other:1']).code, 0);
  // And the list takes it back.
  box.ok(['tag', 'localhost/other:1', 'mylist']);
  assert.equal(box.run(['manifest', 'exists', 'mylist']).code, 0);
  assert.ok(!rows().includes(`localhost/mylist:latest ${imageId}`));

  // untag and rmi of one name leave the list while it has another; the last name takes it away.
  box.ok(['untag', 'mylist', 'localhost/other:1']);
  assert.equal(box.run(['manifest', 'exists', 'localhost/other:1']).code, 1);
  box.ok(['tag', 'mylist', 'localhost/other:1']);
  assert.equal(box.ok(['rmi', 'mylist']), 'Untagged: localhost/mylist:latest\n');
  assert.equal(box.run(['manifest', 'exists', listId]).code, 0);
  assert.equal(box.ok(['rmi', 'localhost/other:1']), `Untagged: localhost/other:1\nDeleted: ${listId}\n`);
  assert.doesNotMatch(box.ok(['images', '--format', '{{.Repository}}']), /mylist|other/);
  assert.equal(box.run(['image', 'exists', fx.busybox.refName]).code, 0, 'removing the list leaves the images');

  // A list whose last name was taken stays, nameless, until pruned (as Podman's).
  const second = box.ok(['manifest', 'create', 'localhost/taken:1']).trim();
  box.ok(['tag', fx.busybox.refName, 'localhost/taken:1']);
  assert.ok(rows().includes(`<none>:<none> ${second.slice(0, 12)}`), rows().join('\n'));
  assert.equal(box.ok(['image', 'prune', '-f']).trim(), second);
  assert.equal(box.run(['manifest', 'exists', second]).code, 1);
});

test('short-name-mode enforcing: several registries prompt on a terminal, fail without one', { timeout: 120_000 }, () => {
  const box = sandbox('regcli-prompt');
  const conf = box.path('registries.conf');
  writeFileSync(
    conf,
    [
      `unqualified-search-registries = ["127.0.0.1:9", "${plain.host}"]`,
      'short-name-mode = "enforcing"',
      '[[registry]]',
      `location = "${plain.host}"`,
      'insecure = true',
      '',
    ].join('\n'),
  );
  const env = { ...box.env, CONTAINERS_REGISTRIES_CONF: conf };
  const piped = spawnSync(TSPOD, [...box.globalArgs, 'pull', 'cli/busybox'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(piped.status, 125);
  assert.match(piped.stderr, /^Error: short-name "cli\/busybox" is ambiguous/);

  // A pty: wait for the list, move down once, press Enter.
  const driver = `
import os, pty, sys, json
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(sys.argv[1], sys.argv[1:], os.environ)
out = b''
def read_until(token):
    global out
    while token not in out:
        chunk = os.read(fd, 4096)
        if not chunk: raise SystemExit('eof waiting for %r in %r' % (token, out))
        out += chunk
read_until(b'Please select an image')
read_until(b'${plain.host}/cli/busybox:latest')
os.write(fd, b'\\x1b[B')
read_until(b'\\xe2\\x96\\xb8 ${plain.host}')
os.write(fd, b'\\r')
while True:
    try: chunk = os.read(fd, 4096)
    except OSError: break
    if not chunk: break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'code': os.waitstatus_to_exitcode(status), 'output': out.decode('utf-8', 'replace')}))
`;
  const r = spawnSync('python3', ['-c', driver, TSPOD, ...box.globalArgs, 'pull', 'cli/busybox'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const { code, output } = JSON.parse(r.stdout) as { code: number; output: string };
  assert.equal(code, 0, output);
  assert.match(output, /\? Please select an image:/);
  assert.match(output, /▸ 127\.0\.0\.1:9\/cli\/busybox:latest/);
  assert.match(output, new RegExp(`✔ ${plain.host}/cli/busybox:latest`));
  assert.match(output, new RegExp(`Trying to pull ${plain.host}/cli/busybox:latest`));
  assert.doesNotMatch(output, /Trying to pull 127\.0\.0\.1:9/);
  assert.equal(box.ok(['images', '--format', '{{.Repository}}']).trim(), `${plain.host}/cli/busybox`);
});
