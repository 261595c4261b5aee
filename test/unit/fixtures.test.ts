import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildFixtures } from '../fixtures/images.js';

// The fixtures are tspod's independent inputs: check them with skopeo and GNU tar, not with tspod.
test('fixture archives are valid for skopeo and stable across builds', async () => {
  const a = mkdtempSync('/var/tmp/tspod-fixtures-a-');
  const b = mkdtempSync('/var/tmp/tspod-fixtures-b-');
  try {
    const first = await buildFixtures(a);
    const second = await buildFixtures(b);
    for (const name of ['busybox', 'multilayer', 'configured'] as const) {
      const image = first[name];
      assert.equal(second[name].manifestDigest, image.manifestDigest, `${name} is deterministic`);
      const oci = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${image.ociArchive}`]).toString());
      assert.deepEqual(oci.Layers, image.layerDigests);
      const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `docker-archive:${image.dockerArchive}`]).toString());
      assert.deepEqual(config.rootfs.diff_ids, image.diffIds);
    }
    const layers = execFileSync('sh', ['-c', `tar -xOf ${first.multilayer.dockerArchive} --wildcards '*/layer.tar' | tar -tvf - --ignore-zeros`]).toString();
    assert.match(layers, /data\/\.wh\.b\.txt/);
    assert.match(layers, /data\/dir\/\.wh\.\.wh\.\.opq/);
    assert.match(layers, /^h.* data\/hard link to data\/a\.txt$/m);
    const copied = join(a, 'copied');
    execFileSync('skopeo', ['copy', '-q', `oci-archive:${first.busybox.ociArchive}`, `oci:${copied}`]);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
