import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox } from './harness.js';
import { createDatabaseAtVersion } from '../../src/storage/db.js';

/** State databases written by older tspod versions keep working after an upgrade. */

const boxes: Sandbox[] = [];
after(() => {
  for (const b of boxes) b.cleanup();
});

const INSTANCE = `sha256:${'ab'.repeat(32)}`;

test('a version 7 database: its manifest lists keep their names and take more', () => {
  const box = new Sandbox('migrate-v7');
  boxes.push(box);
  const dir = join(box.dir, 'root', 'tspod');
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'state.db');
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 512, digest: INSTANCE, platform: { architecture: 'arm64', os: 'linux' } }],
    }),
  );
  const [first, second] = ['1'.repeat(64), '2'.repeat(64)];
  const old = createDatabaseAtVersion(dbPath, 7);
  assert.equal(old.pragma('user_version', { simple: true }), 7);
  const insert = old.prepare('INSERT INTO manifest_lists (id, name, created, manifest, instances) VALUES (?,?,?,?,?)');
  insert.run(first, 'localhost/old:v1', Date.now() - 60_000, index, JSON.stringify({ [INSTANCE]: 'docker://127.0.0.1:9/x/y:1' }));
  const empty = Buffer.from('{"schemaVersion":2,"manifests":[]}');
  insert.run(second, 'localhost/other:v1', Date.now() - 30_000, empty, '{}');
  old.close();

  const rows = box.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']).trim().split('\n');
  assert.deepEqual(rows.sort(), [`localhost/old:v1 ${first.slice(0, 12)} ${index.length} B`, `localhost/other:v1 ${second.slice(0, 12)} ${empty.length} B`].sort());
  const [listed] = JSON.parse(box.ok(['images', '--format', 'json', '--filter', 'reference=localhost/old:v1'])) as Array<{ Digest: string; History: string[] }>;
  assert.equal(listed!.Digest, `sha256:${createHash('sha256').update(index).digest('hex')}`);
  assert.deepEqual(listed!.History, ['localhost/old:v1']);
  assert.equal(JSON.parse(box.ok(['manifest', 'inspect', 'old:v1'])).manifests[0].digest, INSTANCE);

  box.ok(['tag', 'localhost/old:v1', 'localhost/new:v2']);
  assert.equal(JSON.parse(box.ok(['manifest', 'inspect', 'localhost/new:v2'])).manifests[0].digest, INSTANCE);
  assert.equal(box.ok(['manifest', 'rm', 'localhost/old:v1']), 'Untagged: localhost/old:v1\n');
  assert.equal(box.ok(['manifest', 'rm', 'localhost/new:v2', 'other:v1']), `Untagged: localhost/new:v2\nUntagged: localhost/other:v1\nDeleted: ${first}\nDeleted: ${second}\n`);
  assert.equal(box.ok(['images', '-q']), '');

  const migrated = createDatabaseAtVersion(dbPath, 7);
  assert.equal(migrated.pragma('user_version', { simple: true }), 10, 'the first command migrated the database');
  assert.ok(migrated.prepare("SELECT 1 FROM sqlite_master WHERE name = 'blob_locations'").get(), 'and added the blob locations of version 9');
  const columnsOf = (table: string): string[] => (migrated.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as Array<{ name: string }>).map((c) => c.name);
  const [listColumns, layerColumns] = [columnsOf('manifest_lists'), columnsOf('layers')];
  migrated.close();
  assert.ok(!listColumns.includes('name'), `manifest_lists columns: ${listColumns.join(', ')}`);
  assert.ok(layerColumns.includes('tar_crc32'), `layers columns (version 10 adds tar_crc32): ${layerColumns.join(', ')}`);
});
