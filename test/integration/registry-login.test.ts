import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, TSPOD, fixturesDir } from './harness.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

let box: Sandbox;
let fx: FixtureSet;
let secure: TestRegistry;
let plain: TestRegistry;
let authFile: string;

function skopeoPut(archive: string, destination: string, creds?: string): void {
  const args = ['copy', '-q', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', creds] : []), `oci-archive:${archive}`, `docker://${destination}`];
  execFileSync('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box = new Sandbox('registry-login');
  authFile = box.path('auth.json');
  [secure, plain] = await Promise.all([startRegistry({ tls: true, auth: true }), startRegistry()]);
  skopeoPut(fx.busybox.ociArchive, `${plain.host}/alpha/busybox:1.0`);
  skopeoPut(fx.busybox.ociArchive, `${plain.host}/alpha/busybox:latest`);
  skopeoPut(fx.multilayer.ociArchive, `${plain.host}/tools/multilayer:v2`);
  skopeoPut(fx.busybox.ociArchive, `${secure.host}/private/busybox:7`, `${secure.user}:${secure.password}`);
});

after(() => {
  secure?.stop();
  plain?.stop();
  box?.cleanup();
});

function login(password: string, ...extra: string[]) {
  return box.run(['login', '-u', secure.user!, '--password-stdin', '--cert-dir', secure.certDir!, '--authfile', authFile, ...extra, secure.host], { input: `${password}\n` });
}

function storedAuths(): Record<string, { auth?: string }> {
  return (JSON.parse(readFileSync(authFile, 'utf8')) as { auths: Record<string, { auth?: string }> }).auths;
}

test('login with --password-stdin and --cert-dir stores base64(user:password) in the auth file', () => {
  const r = login(secure.password!);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Login Succeeded!\n');
  assert.deepEqual(storedAuths(), { [secure.host]: { auth: Buffer.from(`tester:${secure.password}`).toString('base64') } });
});

test('login with a wrong password fails with one error line and leaves the auth file alone', () => {
  const before = readFileSync(authFile);
  const r = login('not-the-password');
  assert.equal(r.code, 125);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Error: logging in to "127\.0\.0\.1:\d+": invalid username\/password[^\n]*\n$/);
  assert.deepEqual(readFileSync(authFile), before);
});

test('login without the CA fails on the certificate', () => {
  const r = box.run(['login', '-u', 'tester', '--password-stdin', '--authfile', box.path('other.json'), secure.host], { input: `${secure.password}\n` });
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: .*certificate/);
  assert.equal(existsSync(box.path('other.json')), false);
});

/** A login to the TLS registry without --cert-dir: its CA is found through the environment given. */
function loginTrusting(env: NodeJS.ProcessEnv, authFile: string): SpawnSyncReturns<string> {
  return spawnSync(TSPOD, [...box.globalArgs, 'login', '-u', 'tester', '--password-stdin', '--authfile', box.path(authFile), secure.host], {
    input: `${secure.password}\n`,
    env: { ...box.env, ...env },
    encoding: 'utf8',
  });
}

test('login trusts a CA that NODE_EXTRA_CA_CERTS names, as Node tools do', () => {
  const r = loginTrusting({ NODE_EXTRA_CA_CERTS: join(secure.certDir!, 'ca.crt') }, 'extra-ca.json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Login Succeeded!\n');
  assert.equal(r.stderr, '');
});

test("login trusts the system's trust store, as Podman does: here the bundle SSL_CERT_FILE names", () => {
  const r = loginTrusting({ SSL_CERT_FILE: join(secure.certDir!, 'ca.crt') }, 'system-ca.json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Login Succeeded!\n');
});

test('login without a password and without a terminal asks for the flags', () => {
  const r = box.run(['login', '-u', 'tester', '--cert-dir', secure.certDir!, '--authfile', box.path('other.json'), secure.host], { input: '' });
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: no password given and stdin is not a terminal.*--password-stdin\n$/);
});

test('login --password-stdin needs --username', () => {
  const r = box.run(['login', '--password-stdin', '--authfile', authFile, secure.host], { input: 'x\n' });
  assert.equal(r.code, 125);
  assert.match(r.stderr, /--username/);
});

test('login --get-login prints the stored user, or fails when not logged in', () => {
  assert.equal(box.ok(['login', '--get-login', '--authfile', authFile, secure.host]), 'tester\n');
  const r = box.run(['login', '--get-login', '--authfile', authFile, plain.host]);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, `Error: not logged into ${plain.host}\n`);
});

test('login -v names the auth file; a URL argument is reduced to its host', () => {
  const r = box.run(['login', '-v', '-u', 'tester', '--password-stdin', '--cert-dir', secure.certDir!, '--authfile', authFile, `https://${secure.host}/v2/`], {
    input: `${secure.password}\n`,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Used:  ${authFile}\nLogin Succeeded!\n`);
  assert.deepEqual(Object.keys(storedAuths()), [secure.host]);
});

test('search uses the stored credentials of a registry that needs them', () => {
  writeFileSync(box.path('empty.json'), '{}\n');
  const anonymous = box.run(['search', '--cert-dir', secure.certDir!, '--authfile', box.path('empty.json'), `${secure.host}/`]);
  assert.equal(anonymous.code, 125);
  assert.match(anonymous.stderr, /^Error: searching registry .*authentication required.*\n$/);
  assert.equal(box.ok(['search', '--cert-dir', secure.certDir!, '--authfile', authFile, '--format', '{{.Name}}', `${secure.host}/`]), `${secure.host}/private/busybox\n`);
});

test('logout removes the credentials; a second logout fails', () => {
  assert.equal(box.ok(['logout', '--authfile', authFile, secure.host]), `Removed login credentials for ${secure.host}\n`);
  assert.deepEqual(storedAuths(), {});
  const r = box.run(['logout', '--authfile', authFile, secure.host]);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, `Error: not logged into ${secure.host}\n`);
});

test('logout --all empties the auth file', () => {
  assert.equal(login(secure.password!).code, 0);
  assert.equal(box.ok(['logout', '--all', '--authfile', authFile]), 'Removed login credentials for all registries\n');
  assert.deepEqual(storedAuths(), {});
});

test('search lists matching repositories of a registry', () => {
  const out = box.ok(['search', '--tls-verify=false', `${plain.host}/`]);
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+DESCRIPTION$/);
  assert.deepEqual(
    lines.slice(1).map((l) => l.trim()),
    [`${plain.host}/alpha/busybox`, `${plain.host}/tools/multilayer`],
  );
  assert.equal(box.ok(['search', '--tls-verify=false', '--format', '{{.Name}}', `${plain.host}/multi`]), `${plain.host}/tools/multilayer\n`);
});

test('search --limit, --format and --format json', () => {
  assert.equal(box.ok(['search', '--tls-verify=false', '--limit', '1', '--format', '{{.Name}}', `${plain.host}/`]), `${plain.host}/alpha/busybox\n`);
  const table = box.ok(['search', '--tls-verify=false', '--format', 'table {{.Index}} {{.Name}}', `${plain.host}/busybox`]);
  assert.match(table, new RegExp(`^INDEX\\s+NAME\\n${plain.host.replace(/\./g, '\\.')}\\s+${plain.host.replace(/\./g, '\\.')}/alpha/busybox\\n$`));
  const json = JSON.parse(box.ok(['search', '--tls-verify=false', '--format', 'json', `${plain.host}/busybox`]));
  assert.deepEqual(json, [{ Index: plain.host, Name: `${plain.host}/alpha/busybox`, Description: '', Stars: 0, Official: '', Automated: '', Tag: '' }]);
});

test('search --list-tags lists the tags of a repository', () => {
  const out = box.ok(['search', '--tls-verify=false', '--list-tags', `${plain.host}/alpha/busybox`]);
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+TAG$/);
  assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)).sort(), [
    [`${plain.host}/alpha/busybox`, '1.0'],
    [`${plain.host}/alpha/busybox`, 'latest'],
  ]);
  assert.equal(box.ok(['search', '--tls-verify=false', '--list-tags', '--limit', '1', `${plain.host}/alpha/busybox`]).trimEnd().split('\n').length, 2);
  const json = JSON.parse(box.ok(['search', '--tls-verify=false', '--list-tags', '--format', 'json', `${plain.host}/alpha/busybox`]));
  assert.equal(json[0].Name, `${plain.host}/alpha/busybox`);
  assert.deepEqual([...json[0].Tags].sort(), ['1.0', 'latest']);
  const bad = box.run(['search', '--tls-verify=false', '--list-tags', `${plain.host}/`]);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^Error: .*REGISTRY\/REPOSITORY.*\n$/);
});

test('search that matches nothing prints nothing, as Podman does', () => {
  const r = box.run(['search', '--tls-verify=false', `${plain.host}/no-such-thing`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  // The catalog knows no stars: a stars filter leaves nothing either.
  assert.equal(box.ok(['search', '--tls-verify=false', '--filter', 'stars=1', `${plain.host}/`]), '');
});

test('search rejects unknown filters and filters with --list-tags', () => {
  const r = box.run(['search', '--filter', 'color=red', `${plain.host}/`]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: invalid filter type "color=red"/);
  const t = box.run(['search', '--list-tags', '--filter', 'is-official', `${plain.host}/alpha/busybox`]);
  assert.equal(t.code, 125);
  assert.match(t.stderr, /^Error: filters do not apply to --list-tags/);
});
