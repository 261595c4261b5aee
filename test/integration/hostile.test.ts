import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, fixturesDir } from './harness.js';
import { checkStorage } from './consistency.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

let box: Sandbox;
let fx: FixtureSet;
before(async () => {
  fx = await buildFixtures(fixturesDir());
  box = new Sandbox('hostile');
});
after(() => box.cleanup());

function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p.startsWith(join(box.dir, 'root'))) continue;
      out.push(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

test('malicious layer tars are refused with one clear line and nothing lands outside storage', () => {
  mkdirSync(box.path('sentinel'), { recursive: true });
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  const before = snapshot(box.dir);
  for (const [name, archive] of Object.entries(fx.evilArchives)) {
    const r = box.run(['load', '-i', archive]);
    assert.equal(r.code, 125, `${name}: exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^Error: \S.*\n$/, `${name}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '', name);
  }
  assert.deepEqual(snapshot(box.dir), before, 'no file appeared outside the storage root');
  for (const p of ['/tmp/tspod-evil-absolute.txt', '/escape.txt', '/tmp/escape.txt', join(box.dir, '..', 'escape.txt')]) {
    assert.ok(!existsSync(p), `${p} must not exist`);
  }
  assert.deepEqual(checkStorage(box.path('root')), []);
  assert.equal(box.ok(['images', '--format', '{{.Repository}}']), 'localhost/tspod-test/busybox\n');
});

test('absolute names and symlinks to / resolve inside the layer root', () => {
  for (const archive of Object.values(fx.oddButSafeArchives)) {
    const r = box.run(['load', '-i', archive]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.ok(!existsSync('/tmp/tspod-evil-absolute.txt'));
  const layers = readdirSync(box.path('root', 'tspod', 'overlay'));
  assert.ok(layers.some((l) => existsSync(box.path('root', 'tspod', 'overlay', l, 'diff', 'tmp', 'tspod-evil-absolute.txt'))));
  assert.deepEqual(checkStorage(box.path('root')), []);
});

test('a load killed half-way leaves nothing behind once the next command runs', async () => {
  const { spawn } = await import('node:child_process');
  const { TSPOD } = await import('./harness.js');
  const child = spawn(TSPOD, [...box.globalArgs, 'load'], { env: box.env, stdio: ['pipe', 'ignore', 'ignore'] });
  const archive = (await import('node:fs')).readFileSync(fx.multilayer.dockerArchive);
  child.stdin.on('error', () => undefined); // EPIPE once the child is killed
  // Feed half the archive, wait until a staging dir exists, then kill -9.
  child.stdin.write(archive.subarray(0, Math.floor(archive.length / 2)));
  const tmp = box.path('root', 'tspod', 'tmp');
  for (let i = 0; i < 200 && !(existsSync(tmp) && readdirSync(tmp).length > 0); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(readdirSync(tmp).length > 0, 'the load had started staging a layer');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  box.ok(['load', '-i', fx.busybox.dockerArchive]);
  assert.deepEqual(checkStorage(box.path('root')), []);
});

test('a load stopped by SIGTERM removes its own staging before it exits', async () => {
  const { spawn } = await import('node:child_process');
  const { TSPOD } = await import('./harness.js');
  const child = spawn(TSPOD, [...box.globalArgs, 'load'], { env: box.env, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.on('error', () => undefined);
  const archive = readFileSync(fx.multilayer.dockerArchive);
  child.stdin.write(archive.subarray(0, Math.floor(archive.length / 2)));
  const tmp = box.path('root', 'tspod', 'tmp');
  for (let i = 0; i < 200 && !(existsSync(tmp) && readdirSync(tmp).length > 0); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(readdirSync(tmp).length > 0, 'the load had started staging a layer');
  child.kill('SIGTERM');
  const [code, signal] = (await new Promise((r) => child.once('exit', (c, s) => r([c, s])))) as [number | null, string | null];
  assert.equal(signal ?? code, 143);
  assert.deepEqual(readdirSync(tmp), [], 'no staging dir is left');
});

test('a truncated archive on stdin is refused with one line and leaves no staging behind', () => {
  const archive = readFileSync(fx.multilayer.dockerArchive);
  const r = box.run(['load'], { input: archive.subarray(0, Math.floor(archive.length / 2)) });
  assert.equal(r.code, 125, r.stderr);
  assert.match(r.stderr, /^Error: .+\n$/);
  assert.deepEqual(checkStorage(box.path('root')), []);
});
