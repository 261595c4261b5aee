import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mappedCount, parseIdMap, subordinateRanges, userNamespaceMap } from '../../src/rootless/subids.js';
import { resolveUserns, type UsernsContext } from '../../src/engine/spec/userns.js';

describe('subordinate ids', () => {
  it('finds a user\'s ranges by name or uid, in file order, skipping comments and junk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tspod-subid-'));
    try {
      const file = join(dir, 'subuid');
      writeFileSync(file, ['# comment', 'alice:100000:65536', 'bob:165536:65536', '1000:300000:1000', 'alice:x:1', 'alice:400000:0', ''].join('\n'));
      assert.deepEqual(subordinateRanges(file, 1000, 'alice'), [
        { start: 100000, count: 65536 },
        { start: 300000, count: 1000 },
      ]);
      assert.deepEqual(subordinateRanges(file, 1001, 'carol'), []);
      assert.deepEqual(subordinateRanges(join(dir, 'missing'), 1000, 'alice'), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps the user as 0 and the ranges one after another, as newuidmap is given them', () => {
    const map = userNamespaceMap(1000, [
      { start: 100000, count: 65536 },
      { start: 300000, count: 1000 },
    ]);
    assert.deepEqual(map, [
      { inside: 0, outside: 1000, count: 1 },
      { inside: 1, outside: 100000, count: 65536 },
      { inside: 65537, outside: 300000, count: 1000 },
    ]);
    assert.equal(mappedCount(map), 66537);
    assert.deepEqual(parseIdMap('         0       1000          1\n         1     100000      65536\n'), map.slice(0, 2));
  });
});

describe('--userns', () => {
  const ctx: UsernsContext = { rootless: true, uid: 1000, gid: 1000, availableUids: 65537, availableGids: 65537, takenByAuto: [] };

  it('host needs no namespace of its own', () => {
    assert.deepEqual(resolveUserns(undefined, undefined, undefined, ctx), {});
    assert.deepEqual(resolveUserns('host', undefined, undefined, ctx), {});
  });

  it('keep-id puts the user (0 here) at its own id, shifting the ids below it up by one', () => {
    const r = resolveUserns('keep-id', undefined, undefined, ctx);
    assert.deepEqual(r.keepId, { uid: 1000, gid: 1000 });
    assert.deepEqual(r.maps?.uid, [
      { containerID: 0, hostID: 1, size: 1000 },
      { containerID: 1000, hostID: 0, size: 1 },
      { containerID: 1001, hostID: 1001, size: 64536 },
    ]);
    assert.deepEqual(resolveUserns('keep-id:uid=0,gid=0', undefined, undefined, ctx).maps?.uid, [
      { containerID: 0, hostID: 0, size: 1 },
      { containerID: 1, hostID: 1, size: 65536 },
    ]);
  });

  it('nomap leaves the user out; auto takes the lowest free range', () => {
    assert.deepEqual(resolveUserns('nomap', undefined, undefined, ctx).maps?.uid, [{ containerID: 0, hostID: 1, size: 65536 }]);
    const taken = { uid: [{ containerID: 0, hostID: 1, size: 1024 }], gid: [{ containerID: 0, hostID: 1, size: 1024 }] };
    const r = resolveUserns('auto:size=500', undefined, undefined, { ...ctx, takenByAuto: [taken] });
    assert.deepEqual(r.maps?.uid, [{ containerID: 0, hostID: 1025, size: 500 }]);
    assert.throws(() => resolveUserns('auto:size=65000', undefined, undefined, { ...ctx, takenByAuto: [taken] }), /no free range of 65000 ids/);
  });

  it('refuses what root cannot have, unknown modes and maps past the namespace', () => {
    assert.throws(() => resolveUserns('keep-id', undefined, undefined, { ...ctx, rootless: false }), /only for rootless users/);
    assert.throws(() => resolveUserns('bogus', undefined, undefined, ctx), /invalid --userns "bogus"/);
    assert.throws(() => resolveUserns(undefined, [{ containerID: 0, hostID: 65000, size: 1000 }], undefined, ctx), /goes beyond the 65537 ids/);
    const rootful = resolveUserns(undefined, [{ containerID: 0, hostID: 200000, size: 65536 }], undefined, { ...ctx, rootless: false });
    assert.deepEqual(rootful.maps?.gid, [{ containerID: 0, hostID: 200000, size: 65536 }]);
  });
});
