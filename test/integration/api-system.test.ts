import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Sandbox, TSPOD } from './harness.js';
import { ApiService } from './api-harness.js';

const box = new Sandbox('api-system');
const api = new ApiService(box);

before(async () => {
  await api.start();
});

after(async () => {
  await api.stop();
  box.cleanup();
});

test('_ping answers OK with the headers Docker clients read, versioned and not, GET and HEAD', async () => {
  for (const path of ['/_ping', '/v1.41/_ping', '/v4.0.0/libpod/_ping']) {
    const r = await api.request('GET', path);
    assert.equal(r.status, 200, path);
    assert.equal(r.body.toString(), 'OK');
    assert.equal(r.headers['api-version'], '1.44');
    assert.equal(r.headers['ostype'], 'linux');
    assert.equal(r.headers['builder-version'], '1');
    assert.ok(r.headers['libpod-api-version']);
  }
  const head = await api.request('HEAD', '/_ping');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
});

test('an unknown route is a 404 with a JSON message', async () => {
  const r = await api.request('GET', '/v1.41/no/such/thing');
  assert.equal(r.status, 404);
  assert.match(r.json.message, /page not found/);
});

test('the docker CLI reads the server version', () => {
  const r = spawnSync('docker', ['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}'], { env: api.clientEnv });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString().trim(), '1.44 linux');
});

test('the service exits after --time seconds without a connection and removes its socket', async () => {
  const idle = new Sandbox('api-idle');
  try {
    const sock = idle.path('idle.sock');
    const started = Date.now();
    const r = spawnSync(TSPOD, [...idle.globalArgs, 'system', 'service', '--time', '1', `unix://${sock}`], { env: idle.env, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(Date.now() - started >= 1000);
    assert.equal(existsSync(sock), false);
  } finally {
    idle.cleanup();
  }
});

test('a bad listen address and a bad --time are one-line errors with exit 125', () => {
  const a = box.run(['system', 'service', '--time', '0', 'http://x']);
  assert.equal(a.code, 125);
  assert.match(a.stderr, /^Error: invalid socket address "http:\/\/x": use unix:\/\/\/path or tcp:\/\/host:port\n$/);
  const b = box.run(['system', 'service', '--time', 'soon']);
  assert.equal(b.code, 125);
  assert.match(b.stderr, /^Error: --time "soon" is not a whole number/);
});
