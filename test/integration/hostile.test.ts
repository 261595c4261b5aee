import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, mkdirSync } from 'node:fs';
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
