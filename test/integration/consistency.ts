import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * Checks a tspod storage root from the outside, as a second process sees it:
 * every row has its files, every file its row, every reference its target.
 * Returns the problems found (empty when consistent).
 */
export function checkStorage(graphRoot: string, driver = 'overlay'): string[] {
  const base = join(graphRoot, 'tspod');
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  const db = new Sqlite(join(base, 'state.db'), { readonly: true, timeout: 10_000 });
  const problems: string[] = [];
  try {
    const layers = db.prepare('SELECT id, parent FROM layers').all() as Array<{ id: string; parent: string | null }>;
    const layerIds = new Set(layers.map((l) => l.id));
    for (const l of layers) {
      if (l.parent && !layerIds.has(l.parent)) problems.push(`layer ${l.id} has missing parent ${l.parent}`);
      for (const f of ['diff', 'tarsplit.gz']) {
        if (!existsSync(join(base, driver, l.id, f))) problems.push(`layer ${l.id} lacks ${f}`);
      }
    }
    for (const dir of safeList(join(base, driver))) if (!layerIds.has(dir)) problems.push(`layer dir ${dir} has no row`);
    const images = db.prepare('SELECT id, top_layer FROM images').all() as Array<{ id: string; top_layer: string | null }>;
    const imageIds = new Set(images.map((i) => i.id));
    for (const i of images) if (i.top_layer && !layerIds.has(i.top_layer)) problems.push(`image ${i.id} has missing top layer`);
    for (const n of db.prepare('SELECT name, image_id FROM image_names').all() as Array<{ name: string; image_id: string }>) {
      if (!imageIds.has(n.image_id)) problems.push(`name ${n.name} points to missing image ${n.image_id}`);
    }
    const usedLayers = new Set<string>();
    const parents = new Map(layers.map((l) => [l.id, l.parent]));
    for (const i of images) for (let l = i.top_layer; l; l = parents.get(l) ?? null) usedLayers.add(l);
    for (const id of layerIds) if (!usedLayers.has(id)) problems.push(`layer ${id} is used by no image`);
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`sqlite integrity: ${String(integrity)}`);
  } finally {
    db.close();
  }
  for (const dir of safeList(join(base, 'tmp'))) problems.push(`staging dir left behind: ${dir}`);
  return problems;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The container side of a storage root, seen from outside: every container
 * row has its layer dir, and every container dir, bundle, runtime state and
 * mounted root filesystem belongs to a row. Returns the problems found.
 */
export function checkContainers(graphRoot: string, runRoot: string, runtimeName = 'runc'): string[] {
  const base = join(graphRoot, 'tspod');
  const runBase = join(runRoot, 'tspod');
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  if (!existsSync(join(base, 'state.db'))) return [];
  const db = new Sqlite(join(base, 'state.db'), { readonly: true, timeout: 10_000 });
  let ids: Set<string>;
  try {
    ids = new Set((db.prepare('SELECT id FROM containers').all() as Array<{ id: string }>).map((r) => r.id));
  } finally {
    db.close();
  }
  const problems: string[] = [];
  for (const id of ids) if (!existsSync(join(base, 'containers', id))) problems.push(`container ${id} lacks its layer dir`);
  for (const dir of safeList(join(base, 'containers'))) if (!ids.has(dir)) problems.push(`container dir ${dir} has no row`);
  for (const dir of safeList(join(runBase, 'containers'))) if (!ids.has(dir)) problems.push(`bundle ${dir} has no row`);
  for (const dir of safeList(join(runBase, 'runtime', runtimeName))) if (!ids.has(dir)) problems.push(`runtime state ${dir} has no row`);
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(join(base, 'containers') + '/'));
  for (const p of mounted) {
    const id = p.slice(join(base, 'containers').length + 1).split('/')[0]!;
    if (!ids.has(id)) problems.push(`mount ${p} has no row`);
  }
  return problems;
}
