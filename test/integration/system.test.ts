import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

const box = new Sandbox('system');
let fx: FixtureSet;
const IMG = 'localhost/tspod-test/busybox';

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

function dfRows(): Record<string, { Total: number; Active: number; Size: string; Reclaimable: string }> {
  const rows = JSON.parse(box.ok(['system', 'df', '--format', 'json'])) as Array<{ Type: string; Total: number; Active: number; Size: string; Reclaimable: string }>;
  return Object.fromEntries(rows.map((r) => [r.Type, r]));
}

test('system df counts images, containers and volumes, and what is reclaimable', () => {
  const before = dfRows();
  assert.equal(before.Images!.Total, 1);
  assert.equal(before.Images!.Active, 0);
  assert.equal(before.Containers!.Total, 0);
  assert.equal(before.Images!.Reclaimable, `${before.Images!.Size} (100%)`, 'an image no container uses is all reclaimable');

  box.ok(['run', '--name', 'df-writer', '--network', 'none', '-v', 'dfvol:/data', IMG, 'sh', '-c', 'head -c 200000 /dev/zero > /big; head -c 5000 /dev/zero > /data/f']);
  box.ok(['run', '-d', '--name', 'df-runner', '--network', 'none', '--stop-signal', 'KILL', IMG, 'sleep', '300']);
  const after = dfRows();
  assert.equal(after.Images!.Active, 1);
  assert.equal(after.Images!.Reclaimable, '0B (0%)');
  assert.equal(after.Containers!.Total, 2);
  assert.equal(after.Containers!.Active, 1);
  // The stopped writer's 200 kB layer is all of what containers hold, and all reclaimable.
  assert.equal(after.Containers!.Size, '200kB');
  assert.equal(after.Containers!.Reclaimable, '200kB (100%)');
  assert.equal(after['Local Volumes']!.Total, 1);
  assert.equal(after['Local Volumes']!.Size, '5kB');

  const verbose = box.ok(['system', 'df', '-v']);
  assert.match(verbose, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n/);
  assert.match(verbose, /\ndf-writer\n|df-writer\n/);
  assert.match(verbose, /Local Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\ndfvol +1 +5kB\n/);
  assert.equal(box.ok(['system', 'df', '--format', '{{.Type}}:{{.Total}}']), 'Images:1\nContainers:2\nLocal Volumes:1\n');
});

test('system prune removes stopped containers, unused networks and with --volumes unused volumes, and keeps running ones', () => {
  box.ok(['network', 'create', '--subnet', `10.198.${box.netSlot & 255}.0/24`, 'prunenet']);
  // Without -f it asks, and an answer other than y keeps everything.
  const declined = box.run(['system', 'prune'], { input: 'n\n' });
  assert.equal(declined.code, 0);
  assert.match(declined.stderr, /WARNING! This command removes:/);
  assert.match(box.ok(['ps', '-a', '--format', '{{.Names}}']), /df-writer/);

  const out = box.ok(['system', 'prune', '-f', '--volumes']);
  const writerId = box.run(['inspect', '--format', '{{.Id}}', 'df-writer']);
  assert.notEqual(writerId.code, 0, 'the stopped container is gone');
  assert.match(out, /^Deleted Containers\n[0-9a-f]{64}\nDeleted Volumes\ndfvol\nDeleted Networks\nprunenet\nTotal reclaimed space: 205kB\n$/);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}']), 'df-runner\n');
  assert.equal(box.ok(['images', '-q']).trim().length, 12, 'the image in use stays');
  // Nothing left to prune.
  assert.equal(box.ok(['system', 'prune', '-f']), 'Total reclaimed space: 0B\n');
});

test('system check finds a damaged layer and an interrupted command leftover, and --repair mends them', () => {
  const scratch = new Sandbox('system-check');
  try {
    scratch.ok(['load', '-i', fx.busybox.ociArchive]);
    assert.equal(scratch.ok(['system', 'check']), 'No problems found\n');
    const overlay = scratch.path('root', 'tspod', 'overlay');
    const layer = readdirSync(overlay)[0]!;
    rmSync(join(overlay, layer), { recursive: true });
    // A staging dir of a process that no longer exists, as a SIGKILLed pull leaves.
    const staging = scratch.path('root', 'tspod', 'tmp', '999999999-deadbeef');
    mkdirSync(staging, { recursive: true });

    const found = scratch.run(['system', 'check']);
    assert.equal(found.code, 125);
    assert.match(found.stdout, new RegExp(`layer ${layer.slice(0, 12)}: its directory is missing`));
    assert.match(found.stdout, /staging directory 999999999-deadbeef left by an interrupted command/);
    assert.match(found.stderr, /^Error: 3 problem\(s\) remain: run `tspod system check --repair`/);

    const repaired = scratch.run(['system', 'check', '--repair']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /: repaired\n/);
    assert.equal(existsSync(staging), false);
    assert.equal(scratch.ok(['images', '-q']), '', 'the image whose layer was lost is gone');
    assert.equal(scratch.ok(['system', 'check']), 'No problems found\n');
    // And the image can be loaded again.
    scratch.ok(['load', '-i', fx.busybox.ociArchive]);
    assert.equal(scratch.ok(['run', '--rm', '--network', 'none', IMG, 'echo', 'ok']), 'ok\n');
  } finally {
    scratch.run(['rm', '-fa', '-t', '0']);
    scratch.cleanup();
  }
});

test('system reset removes everything tspod made below the roots, and nothing else', () => {
  const scratch = new Sandbox('system-reset');
  try {
    scratch.ok(['load', '-i', fx.busybox.ociArchive]);
    const keep = scratch.path('root', 'not-tspods.txt');
    writeFileSync(keep, 'another engine or the user put this here\n');
    scratch.ok(['run', '-d', '--name', 'r1', '-v', 'rvol:/data', IMG, 'sleep', '300']);
    scratch.ok(['secret', 'create', 'rsecret', '-'], { input: 'hush' });
    scratch.ok(['pod', 'create', '--name', 'rpod', '--infra=false']);
    scratch.ok(['network', 'create', '--subnet', `10.197.${scratch.netSlot & 255}.0/24`, 'rnet']);
    const netnsBefore = readdirSync('/run/netns').filter((n) => n.startsWith('tspod-')).length;

    const declined = scratch.run(['system', 'reset'], { input: '\n' });
    assert.equal(declined.code, 0);
    assert.equal(scratch.ok(['ps', '-q']).trim().length, 12, 'declining keeps the running container');

    scratch.ok(['system', 'reset', '-f']);
    assert.deepEqual(readdirSync(scratch.path('root')), ['not-tspods.txt']);
    assert.equal(readFileSync(keep, 'utf8'), 'another engine or the user put this here\n');
    assert.equal(existsSync(scratch.path('run', 'tspod')), false);
    assert.equal(readFileSync('/proc/self/mounts', 'utf8').includes(scratch.dir), false, 'nothing stays mounted');
    assert.equal(readdirSync('/run/netns').filter((n) => n.startsWith('tspod-')).length, netnsBefore - 1, "the container's netns is gone");
    assert.equal(existsSync(join(scratch.networkDir, 'rnet.json')), false);
    // A fresh start works on the emptied root.
    assert.equal(scratch.ok(['images', '-q']), '');
    assert.equal(scratch.ok(['ps', '-aq']), '');
  } finally {
    scratch.run(['rm', '-fa', '-t', '0']);
    scratch.cleanup();
  }
});

test('system renumber and migrate succeed; migrate --new-runtime stops containers and records the runtime', () => {
  box.ok(['system', 'renumber']);
  box.ok(['system', 'migrate']);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}']), 'df-runner\n');
  const bad = box.run(['system', 'migrate', '--new-runtime', 'no-such-runtime']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^Error: OCI runtime "no-such-runtime" not found/);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}']), 'df-runner\n', 'a bad runtime stops nothing');
  box.ok(['system', 'migrate', '--new-runtime', '/usr/sbin/runc']);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}']), '');
  assert.equal(box.ok(['inspect', '--format', '{{.OCIRuntime}}', 'df-runner']), 'runc\n');
  box.ok(['start', 'df-runner']);
  assert.equal(box.ok(['ps', '--format', '{{.Names}}']), 'df-runner\n');
});

test("info has Podman's sections and fields, and --format templates see Go field names", () => {
  const info = JSON.parse(box.ok(['info', '--format', 'json'])) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(info), ['host', 'store', 'registries', 'plugins', 'version']);
  for (const key of ['arch', 'cgroupControllers', 'cgroupManager', 'cgroupVersion', 'conmon', 'cpus', 'distribution', 'eventLogger', 'idMappings', 'kernel', 'memFree', 'memTotal', 'ociRuntime', 'os', 'remoteSocket', 'security', 'serviceIsRemote', 'slirp4netns', 'swapFree', 'swapTotal', 'uptime']) {
    assert.ok(key in info.host!, `host.${key}`);
  }
  assert.deepEqual(Object.keys(info.host!), [...Object.keys(info.host!)].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
  const store = info.store as { graphRoot: string; runRoot: string; volumePath: string; imageStore: { number: number }; containerStore: { number: number } };
  assert.equal(store.graphRoot, box.path('root'));
  assert.equal(store.volumePath, box.path('root', 'volumes'));
  assert.equal(store.imageStore.number, 1);
  assert.deepEqual(Object.keys(info.plugins!), ['volume', 'network', 'log', 'authorization']);
  assert.equal(box.ok(['info', '--format', '{{.Host.OCIRuntime.Name}} {{.Store.GraphRoot}}']), `runc ${box.path('root')}\n`);
  const yaml = box.ok(['info']);
  assert.match(yaml, /^host:\n  arch: \w+\n/);
  assert.match(yaml, /\n  cgroupControllers:\n  - /);
});
