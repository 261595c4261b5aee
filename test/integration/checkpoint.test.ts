import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('checkpoint');
const IMG = 'localhost/tspod-test/busybox';
const criu = spawnSync('criu', ['check'], { encoding: 'utf8' });
const criuWorks = !criu.error && criu.status === 0;
const criuSkip = criuWorks ? false : `criu check fails on this kernel: ${(criu.stderr || criu.error?.message || '').trim().split('\n').pop()}`;

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

test('checkpoint refuses a container that is not running, and restore one without a checkpoint', () => {
  box.ok(['create', '--name', 'idle', '--network', 'none', IMG, 'true']);
  const cp = box.run(['container', 'checkpoint', 'idle']);
  assert.equal(cp.code, 125);
  assert.equal(cp.stderr, 'Error: container idle is not running: only a running container can be checkpointed\n');
  const rs = box.run(['container', 'restore', 'idle']);
  assert.equal(rs.code, 125);
  assert.equal(rs.stderr, 'Error: container idle has no checkpoint to restore: checkpoint it first (tspod container checkpoint)\n');
  const missing = box.run(['container', 'checkpoint', 'nosuch']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /^Error: no container with name or ID "nosuch" found/);
});

test('restore --import refuses what is not a checkpoint archive and creates nothing', () => {
  const notTar = box.path('not-a-checkpoint.tar');
  writeFileSync(notTar, 'hello\n');
  const before = box.ok(['ps', '-aq']);
  const r = box.run(['container', 'restore', '--import', notTar]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: cannot read checkpoint archive .*: give a file written by checkpoint --export\n$/);
  const emptyTar = box.path('empty.tar');
  spawnSync('tar', ['-cf', emptyTar, '-C', box.path(), 'not-a-checkpoint.tar']);
  const r2 = box.run(['container', 'restore', '--import', emptyTar]);
  assert.equal(r2.code, 125);
  assert.match(r2.stderr, /is not a checkpoint archive \(no readable config\.dump\)/);
  assert.equal(box.ok(['ps', '-aq']), before);
  assert.equal(box.run(['container', 'restore', '--name', 'x', 'idle']).stderr, 'Error: --name can only be used with --import\n');
});

test('a checkpoint CRIU cannot take fails in one line and leaves the container running', { skip: criuWorks ? 'criu works here: the round trip below runs instead' : false }, () => {
  box.ok(['run', '-d', '--rm', '--name', 'busy', '--network', 'none', IMG, 'sleep', '300']);
  const r = box.run(['container', 'checkpoint', 'busy']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr.split('\n').length, 2, 'one line');
  assert.match(r.stderr, /^Error: checkpoint of container busy failed: .*the container keeps running; CRIU must work on this kernel/);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}']), 'busy\n', 'still running');
  const exported = box.path('busy.tar');
  assert.equal(box.run(['container', 'checkpoint', '--export', exported, 'busy']).code, 125);
  assert.equal(existsSync(exported), false);
  // It still stops and --rm still removes it: the failed checkpoint left no mark.
  box.ok(['stop', '-t', '0', 'busy']);
  assert.equal(box.run(['container', 'exists', 'busy']).code, 1);
});

test('checkpoint and restore round trip, and export/import', { skip: criuSkip }, () => {
  box.ok(['run', '-d', '--name', 'counter', '--network', 'none', IMG, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.1; done']);
  box.ok(['container', 'checkpoint', 'counter']);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}', '--filter', 'name=counter']), '', 'not running once checkpointed');
  assert.equal(box.ok(['ps', '-a', '--format', '{{.Names}}', '--filter', 'name=counter']), 'counter\n', 'but kept');
  box.ok(['container', 'restore', 'counter']);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}', '--filter', 'name=counter']), 'counter\n');
  const exported = box.path('counter.tar');
  box.ok(['container', 'checkpoint', '--export', exported, 'counter']);
  box.ok(['container', 'restore', '--import', exported, '--name', 'counter2']);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}', '--filter', 'name=counter2']), 'counter2\n');
});
