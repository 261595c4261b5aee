import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, fixturesDir } from './harness.js';
import { checkStorage } from './consistency.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

let box: Sandbox;
let fx: FixtureSet;
before(async () => {
  fx = await buildFixtures(fixturesDir());
  box = new Sandbox('concurrency');
});
after(() => box.cleanup());

test('200 concurrent load/tag/rmi processes leave a consistent store', { timeout: 600_000 }, async () => {
  const archives = [fx.busybox.ociArchive, fx.multilayer.dockerArchive, fx.configured.ociArchive, fx.multilayer.ociArchive];
  const refs = [fx.busybox.refName, fx.multilayer.refName, fx.configured.refName];
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  const jobs: Array<{ args: string[]; allowed: number[] }> = [];
  for (let i = 0; i < 200; i++) {
    const kind = i % 5;
    if (kind <= 1) jobs.push({ args: ['load', '-q', '-i', archives[i % archives.length]!], allowed: [0] });
    else if (kind <= 3) jobs.push({ args: ['tag', refs[i % refs.length]!, `localhost/extra/t${i}:v${i % 7}`], allowed: [0, 125] });
    else jobs.push({ args: ['rmi', '-f', refs[i % refs.length]!], allowed: [0, 1] });
  }
  const results = await Promise.all(jobs.map((j) => box.runAsync(j.args)));
  results.forEach((r, i) => {
    const job = jobs[i]!;
    assert.ok(job.allowed.includes(r.code), `tspod ${job.args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at |SQLITE_BUSY|database is locked/, r.stderr);
    if (r.code === 125) assert.match(r.stderr, /image not known|removed meanwhile/, r.stderr);
  });
  assert.deepEqual(checkStorage(box.path('root')), []);
  const listed = JSON.parse(box.ok(['images', '--format', 'json'])) as Array<{ Id: string }>;
  for (const image of listed) {
    const saved = box.runBinary(['save', '--format', 'docker-archive', image.Id]);
    assert.equal(saved.code, 0, saved.stderr);
  }
  box.ok(['rmi', '-a', '-f']);
  assert.deepEqual(checkStorage(box.path('root')), []);
  assert.equal(box.ok(['images', '-q']), '');
});
