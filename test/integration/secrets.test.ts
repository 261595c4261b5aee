import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('secrets');
const IMG = 'localhost/tspod-test/busybox';
const SECRET = 'correct horse battery staple';

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

function fail(args: string[], code: number, stderr: RegExp, input?: string): string {
  const r = box.run(args, { input });
  assert.equal(r.code, code, `tspod ${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
  assert.match(r.stderr, stderr);
  return r.stdout;
}

/** Every file tspod wrote under the storage roots, with the secret's bytes in it. */
function filesContainingSecret(): string[] {
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && readFileSync(path).includes(SECRET)) hits.push(path);
    }
  };
  walk(box.path('root'));
  return hits;
}

test('secret create from stdin and a file; ls, inspect and exists as Podman prints them', () => {
  const id = box.ok(['secret', 'create', '-l', 'app=web', 'pw', '-'], { input: SECRET }).trim();
  assert.match(id, /^[0-9a-f]{25}$/);
  const file = box.path('secret.txt');
  writeFileSync(file, 'from a file');
  const fileId = box.ok(['secret', 'create', 'filed', file]).trim();
  const [info] = JSON.parse(box.ok(['secret', 'inspect', 'pw'])) as Array<Record<string, any>>;
  assert.deepEqual(Object.keys(info!), ['ID', 'CreatedAt', 'UpdatedAt', 'Spec']);
  assert.equal(info!.ID, id);
  assert.deepEqual(info!.Spec, { Name: 'pw', Driver: { Name: 'file', Options: { path: box.path('root', 'secrets', 'filedriver') } }, Labels: { app: 'web' } });
  assert.match(box.ok(['secret', 'inspect', 'pw']), /^\[\n {4}\{\n {8}"ID": /, 'Podman prints secrets with a 4-space indent');
  assert.equal(box.ok(['secret', 'inspect', '--format', '{{.Spec.Name}} {{.ID}}', id.slice(0, 8)]), `pw ${id}\n`);
  assert.doesNotMatch(box.ok(['secret', 'inspect', 'pw']), /correct horse/);
  assert.doesNotMatch(box.ok(['secret', 'inspect', '--pretty', 'pw']), /correct horse/);
  assert.match(box.ok(['secret', 'inspect', '--pretty', 'pw']), /^ID:\s+[0-9a-f]{25}\nName:\s+pw\nDriver:\s+file\nCreated at:\s+\d{4}-/);
  const shown = JSON.parse(box.ok(['secret', 'inspect', '--showsecret', 'pw'])) as Array<{ SecretData: string }>;
  assert.equal(shown[0]!.SecretData, SECRET);
  const ls = box.ok(['secret', 'ls']).split('\n');
  assert.match(ls[0]!, /^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED$/);
  assert.match(ls[1]!, new RegExp(`^${id}  pw\\s+file\\s+.* ago\\s+.* ago$`));
  assert.equal(box.ok(['secret', 'ls', '-q']), `${id}\n${fileId}\n`);
  assert.equal(box.ok(['secret', 'ls', '--noheading', '--format', '{{.Name}}', '--filter', 'name=fil']), 'filed\n');
  assert.equal(box.run(['secret', 'exists', 'pw']).code, 0);
  assert.equal(box.run(['secret', 'exists', 'nope']).code, 1);
  fail(['secret', 'create', 'pw', '-'], 125, /^Error: pw: secret name in use\n$/, 'again');
  fail(['secret', 'create', 'empty', '-'], 125, /^Error: secret data must not be empty/, '');
  fail(['secret', 'inspect', 'nope'], 125, /no secret with name or id "nope": no such secret/);
  fail(['secret', 'rm', 'nope'], 125, /^Error: no secret with name or id "nope": no such secret\n$/);
  assert.equal(box.ok(['secret', 'rm', '--ignore', 'nope']), '');
  assert.equal(box.ok(['secret', 'rm', 'filed']), `${fileId}\n`);
});

test('secret data is stored 0600 in a 0700 directory, nowhere else', () => {
  const secretsDir = box.path('root', 'secrets');
  assert.equal(statSync(secretsDir).mode & 0o777, 0o700);
  const dataDir = join(secretsDir, 'tspod-data');
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  const files = readdirSync(dataDir);
  assert.ok(files.length >= 1);
  for (const f of files) assert.equal(statSync(join(dataDir, f)).mode & 0o777, 0o600, `${f} is 0600`);
  assert.deepEqual(filesContainingSecret().map((p) => p.startsWith(dataDir)), [true], 'only the data file holds the secret');
});

test('--replace gives a secret new data; --env reads it from a variable', () => {
  const before = box.ok(['secret', 'create', 'rotating', '-'], { input: 'v1' }).trim();
  box.ok(['create', '--name', 'rotator', '--secret', 'rotating', IMG, 'cat', '/run/secrets/rotating']);
  assert.equal(box.ok(['start', '-a', 'rotator']), 'v1');
  const after = box.ok(['secret', 'create', '--replace', 'rotating', '-'], { input: 'v2' }).trim();
  assert.notEqual(after, before);
  assert.equal(box.ok(['run', '--rm', '--secret', 'rotating', IMG, 'cat', '/run/secrets/rotating']), 'v2');
  assert.equal(box.ok(['start', '-a', 'rotator']), 'v2', 'a container made before the replace gets the new data');
  box.ok(['rm', 'rotator']);
  const r = box.run(['secret', 'create', '--env', 'fromenv', 'TSPOD_TEST_SECRET_VAR'], {});
  assert.equal(r.code, 125, 'an unset variable is an error');
  process.env.TSPOD_TEST_SECRET_VAR = 'from the environment';
  try {
    box.ok(['secret', 'create', '--env', 'fromenv', 'TSPOD_TEST_SECRET_VAR']);
  } finally {
    delete process.env.TSPOD_TEST_SECRET_VAR;
  }
  assert.equal(box.ok(['run', '--rm', '--secret', 'fromenv,type=env', IMG, 'sh', '-c', 'echo "$fromenv"']), 'from the environment\n');
  box.ok(['secret', 'rm', 'fromenv']);
  box.ok(['secret', 'rm', 'rotating']);
});

test('a secret mounted at /run/secrets read-only, at a target with owner and mode, and as a variable', () => {
  const out = box.ok([
    'run', '--rm', '--name', 'consumer',
    '--secret', 'pw',
    '--secret', 'pw,target=/etc/app/pw,uid=5,gid=6,mode=0400',
    '--secret', 'pw,type=env,target=APP_PW',
    IMG, 'sh', '-c', 'cat /run/secrets/pw; echo; stat -c "%a %u:%g" /run/secrets/pw /etc/app/pw; cat /etc/app/pw; echo; echo "$APP_PW"; echo x > /run/secrets/pw || echo refused',
  ]);
  assert.equal(out, `${SECRET}\n444 0:0\n400 5:6\n${SECRET}\n${SECRET}\nrefused\n`);
  fail(['create', '--secret', 'nope', IMG], 125, /no secret with name or id "nope": no such secret/);
  fail(['create', '--secret', 'pw,type=env,mode=0400', IMG], 125, /cannot be set with secret option type=env/);
  fail(['create', '--secret', 'pw,type=file', IMG], 125, /secret type must be mount or env/);
});

test('a secret never shows in inspect, and a removed secret stops its container from starting', () => {
  box.ok(['create', '--name', 'holder', '--secret', 'pw,type=env,target=APP_PW', '--secret', 'pw', IMG, 'true']);
  const inspect = box.ok(['inspect', 'holder']);
  assert.doesNotMatch(inspect, /correct horse/);
  assert.equal(box.ok(['start', '-a', 'holder']), '');
  assert.doesNotMatch(box.ok(['inspect', 'holder']), /correct horse/, 'not in the recorded config after a run either');
  assert.deepEqual(filesContainingSecret().filter((p) => !p.includes(join('secrets', 'tspod-data'))), [], 'no copy under the graph root');
  const id = box.ok(['secret', 'inspect', '--format', '{{.ID}}', 'pw']).trim();
  // As Podman: removal is allowed while a container refers to it.
  assert.equal(box.ok(['secret', 'rm', 'pw']), `${id}\n`);
  fail(['start', 'holder'], 125, /secret pw used by container holder is gone: no such secret/);
  box.ok(['rm', 'holder']);
  box.ok(['secret', 'create', 'a1', '-'], { input: 'a' });
  box.ok(['secret', 'create', 'a2', '-'], { input: 'b' });
  assert.equal(box.ok(['secret', 'rm', '-a']).split('\n').filter(Boolean).length, 2);
  assert.equal(box.ok(['secret', 'ls', '-q']), '');
});
