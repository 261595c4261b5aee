import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../util/digest.js';
import { undoOnInterrupt } from '../util/interrupt.js';
import { trace } from '../util/trace.js';
import { isProcessAlive } from '../util/process.js';
import { isRootless } from '../util/rootless.js';
import { mkdirSync, renameSync, rmSync, readdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type BetterSqlite3 from 'better-sqlite3';
import type { IdRangeMap } from './tar/apply.js';
import { openDatabase, writeTransaction, type Database } from './db.js';
import { ConflictError, ImageInUseError, NoSuchImageError, NoSuchLayerError, TspodError } from '../util/errors.js';

export type StorageDriver = 'overlay' | 'vfs';

export interface StoreOptions {
  graphRoot: string;
  runRoot: string;
  driver: StorageDriver;
  /** A rootless user's store (overlay metadata in user.* xattrs); default: whether tspod runs rootless. */
  rootless?: boolean;
  /** fuse-overlayfs (or another program) mounts container root filesystems instead of the kernel's overlay. */
  mountProgram?: string;
}

export interface LayerRecord {
  id: string;
  parent: string | null;
  diffId: string;
  compressedDigest: string | null;
  tarSize: number;
  /** CRC-32 of the tar as stored; null for layers stored before tspod recorded it. */
  tarCrc32: number | null;
  contentSize: number;
  created: number;
}

export interface ImageRecord {
  id: string;
  topLayer: string | null;
  config: Buffer;
  manifest: Buffer | null;
  manifestDigest: string | null;
  created: number;
  loaded: number;
  size: number;
  names: string[];
  digests: string[];
  /** Every name the image has had, current ones first (podman's NamesHistory). */
  namesHistory: string[];
}

/** A manifest list (see MANIFEST_LISTS_SCHEMA in db.ts). */
export interface ManifestListRecord {
  id: string;
  /** Current names, oldest first; none once `tag` moved the last one elsewhere. */
  names: string[];
  /** Every name the list has had, current ones first. */
  namesHistory: string[];
  created: number;
  manifest: Buffer;
  /** Instance digest → where it came from: `containers-storage:IMAGE-ID` or `docker://REFERENCE`. */
  instances: Record<string, string>;
}

/** A layer extracted into a staging dir, not yet part of the store. */
export interface StagedLayer {
  dir: string;
  diffId: string;
  compressedDigest: string | null;
  tarSize: number;
  /** Known for most freshly extracted layers; a layer already in the store keeps its own. */
  tarCrc32?: number | null;
  contentSize: number;
}

export interface NewImage {
  config: Buffer;
  manifest: Buffer | null;
  manifestDigest: string | null;
  created: number;
  names: string[];
  /** Bottom to top; each either staged here or already in the store (by diff id). */
  layers: StagedLayer[];
}

interface LayerRow {
  id: string;
  parent: string | null;
  diff_id: string;
  compressed_digest: string | null;
  tar_size: number;
  tar_crc32: number | null;
  content_size: number;
  created: number;
}

interface ImageRow {
  id: string;
  top_layer: string | null;
  config: Buffer;
  manifest: Buffer | null;
  manifest_digest: string | null;
  created: number;
  loaded: number;
  size: number;
  names_history: string;
}

/** A container user namespace's id maps (container ids -> ids here), as in the OCI spec. */
export interface IdMaps {
  uid: IdRangeMap[];
  gid: IdRangeMap[];
}

/** A short name for a set of maps, naming the layer copies made for it. */
export function idMapsKey(maps: IdMaps): string {
  return sha256Hex(JSON.stringify([maps.uid, maps.gid])).slice(0, 16);
}

/** containers/storage's layer id for image layers: the OCI chain id. */
export function chainId(parent: string | null, diffId: string): string {
  if (parent === null) return diffId.replace(/^sha256:/, '');
  return sha256Hex(`sha256:${parent} ${diffId}`);
}

/**
 * Layers and images on disk, with their metadata in SQLite. Everything tspod
 * owns lives below `<graphRoot>/tspod` so it never mixes with another
 * engine's files when both use the same graph root.
 */
export class Store {
  readonly base: string;
  readonly runBase: string;
  readonly driver: StorageDriver;
  readonly rootless: boolean;
  private database: Database | undefined;
  private changeStatements: { connection: number; dataVersion: BetterSqlite3.Statement; ownChanges: BetterSqlite3.Statement } | undefined;
  private connection = 0;

  constructor(readonly options: StoreOptions) {
    this.base = join(options.graphRoot, 'tspod');
    this.runBase = join(options.runRoot, 'tspod');
    this.driver = options.driver;
    this.rootless = options.rootless ?? isRootless();
  }

  /**
   * How layers are written: a rootless store keeps overlay's metadata in
   * user.* xattrs (the kernel refuses trusted.* in a user namespace), and
   * owners are set wherever this process may chown (root, or root of the
   * rootless user namespace).
   */
  get layerFormat(): { whiteoutFormat: 'overlay' | 'overlay-rootless'; chown: boolean } {
    return { whiteoutFormat: this.rootless ? 'overlay-rootless' : 'overlay', chown: process.getuid?.() === 0 };
  }

  get db(): Database {
    if (!this.database) {
      // The graph root's parents (~/.local/share...) get the usual modes; only tspod's own dir is private.
      mkdirSync(this.options.graphRoot, { recursive: true });
      mkdirSync(this.base, { recursive: true, mode: 0o700 });
      this.database = openDatabase(join(this.base, 'state.db'));
      this.connection += 1;
    }
    return this.database;
  }

  /**
   * A key that changes whenever anyone commits to the database: another
   * connection's commits move SQLite's data_version, this connection's move
   * its total_changes. Caches of what was read from the database key on it.
   */
  changeCounter(): string {
    const db = this.db;
    if (this.changeStatements?.connection !== this.connection) {
      this.changeStatements = {
        connection: this.connection,
        dataVersion: db.prepare('PRAGMA data_version').pluck(),
        ownChanges: db.prepare('SELECT total_changes()').pluck(),
      };
    }
    const { dataVersion, ownChanges } = this.changeStatements;
    return `${this.connection}:${dataVersion.get() as number}:${ownChanges.get() as number}`;
  }

  close(): void {
    this.database?.close();
    this.database = undefined;
  }

  write<T>(fn: () => T): T {
    return writeTransaction(this.db, fn);
  }

  layerDir(id: string): string {
    return join(this.base, this.driver, id);
  }

  layerDiffDir(id: string): string {
    return join(this.layerDir(id), 'diff');
  }

  layerTarSplit(id: string): string {
    return join(this.layerDir(id), 'tarsplit.gz');
  }

  /** A fresh private dir for work in progress; removed by the caller or by `cleanStaging`. */
  makeStagingDir(): string {
    const dir = join(this.base, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`);
    // The undo goes first: a signal that lands between the two would otherwise
    // find the dir made and no handler yet, and kill the process with it left.
    undoOnInterrupt(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /**
   * Extracts an uncompressed layer tar into a fresh staging dir (the diff and
   * its tar-split), ready for createImage. Removes the dir if it fails.
   */
  async extractLayer(uncompressed: Readable): Promise<StagedLayer> {
    const dir = this.makeStagingDir();
    try {
      const { applyLayerTar } = await import('./tar/apply.js');
      const result = await applyLayerTar(uncompressed, {
        targetDir: join(dir, 'diff'),
        tarSplitPath: join(dir, 'tarsplit.gz'),
        ...this.layerFormat,
      });
      trace('layer staged');
      return { dir, diffId: result.diffId, compressedDigest: null, tarSize: result.tarSize, tarCrc32: result.tarCrc32, contentSize: result.contentSize };
    } catch (e) {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      throw e;
    }
  }

  // ------------------------------------------------- id-shifted layer copies

  /**
   * Where a copy of a layer with owners shifted for a container user
   * namespace lives: inside the layer's own dir, so it goes with the layer.
   */
  mappedDiffDir(layerId: string, maps: IdMaps): string {
    return join(this.layerDir(layerId), 'mapped', idMapsKey(maps), 'diff');
  }

  /**
   * Makes (once per set of maps) copies of a chain's layers whose files
   * belong to the ids the container's ids map to, replayed from each layer's
   * tar-split, so a container with its own user namespace sees the image's
   * owners (Podman's storage does the same when it cannot idmap mounts).
   */
  async ensureMappedLayers(topLayer: string | null, maps: IdMaps): Promise<void> {
    const { applyLayerTar } = await import('./tar/apply.js');
    const { replayTarSplit } = await import('./tar/tarsplit.js');
    for (const layer of this.layerChain(topLayer)) {
      const diff = this.mappedDiffDir(layer.id, maps);
      if (existsSync(diff)) continue;
      const stage = this.makeStagingDir();
      try {
        await applyLayerTar(replayTarSplit(this.layerDiffDir(layer.id), this.layerTarSplit(layer.id)), {
          targetDir: join(stage, 'diff'),
          tarSplitPath: join(stage, 'tarsplit.gz'),
          ...this.layerFormat,
          idMap: maps,
        });
        mkdirSync(dirname(dirname(diff)), { recursive: true });
        try {
          renameSync(stage, dirname(diff));
        } catch (e) {
          // Another container made the same copy meanwhile.
          if (!['EEXIST', 'ENOTEMPTY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
        }
      } finally {
        rmSync(stage, { recursive: true, force: true });
      }
    }
  }

  // ---------------------------------------------------------------- layers

  getLayer(id: string): LayerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM layers WHERE id = ?').get(id) as LayerRow | undefined;
    return row && toLayer(row);
  }

  /** The layers of a chain, bottom first. */
  layerChain(topId: string | null): LayerRecord[] {
    if (topId === null) return [];
    const rows = this.db
      .prepare(
        `WITH RECURSIVE chain(id, depth) AS (
           SELECT ?, 0
           UNION ALL SELECT l.parent, c.depth + 1 FROM layers l JOIN chain c ON l.id = c.id WHERE l.parent IS NOT NULL
         ) SELECT layers.* FROM chain JOIN layers ON layers.id = chain.id ORDER BY chain.depth DESC`,
      )
      .all(topId) as LayerRow[];
    if (rows.length === 0) throw new NoSuchLayerError(`layer ${topId} is missing from storage`);
    return rows.map(toLayer);
  }

  /**
   * The blob a layer was pushed as in `compression`, when one was recorded:
   * for this layer, else for another with the same content (diff id) under other parents.
   */
  layerBlob(layer: Pick<LayerRecord, 'id' | 'diffId'>, compression: string): { digest: string; size: number } | undefined {
    return this.db
      .prepare(
        `SELECT b.digest, b.size FROM layer_blobs b JOIN layers l ON l.id = b.layer_id
         WHERE l.diff_id = ? AND b.compression = ? ORDER BY b.layer_id = ? DESC LIMIT 1`,
      )
      .get(layer.diffId, compression, layer.id) as { digest: string; size: number } | undefined;
  }

  /** Records that these blobs are in a registry's repository (pulled from or pushed there). */
  recordBlobLocations(digests: string[], registry: string, repository: string): void {
    if (digests.length === 0) return;
    this.write(() => {
      const upsert = this.db.prepare(
        'INSERT INTO blob_locations (digest, registry, repository, seen) VALUES (?,?,?,?) ON CONFLICT DO UPDATE SET seen = excluded.seen',
      );
      const now = Date.now();
      for (const digest of new Set(digests)) upsert.run(digest, registry, repository, now);
    });
  }

  /** The repositories of `registry` a blob is known to be in, most recently seen first. */
  blobRepositories(digest: string, registry: string): string[] {
    return (
      this.db.prepare('SELECT repository FROM blob_locations WHERE digest = ? AND registry = ? ORDER BY seen DESC LIMIT 5').all(digest, registry) as Array<{
        repository: string;
      }>
    ).map((r) => r.repository);
  }

  /** Records the blob a layer was pushed as; nothing when the layer has been removed meanwhile. */
  recordLayerBlob(layerId: string, compression: string, digest: string, size: number): void {
    this.write(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO layer_blobs (layer_id, compression, digest, size) SELECT id, ?, ?, ? FROM layers WHERE id = ?')
        .run(compression, digest, size, layerId);
    });
  }

  // ---------------------------------------------------------------- images

  listImages(): ImageRecord[] {
    const rows = this.db.prepare('SELECT * FROM images ORDER BY created DESC').all() as ImageRow[];
    const names = this.db.prepare('SELECT name, image_id FROM image_names ORDER BY position').all() as Array<{
      name: string;
      image_id: string;
    }>;
    const digests = this.db.prepare('SELECT image_id, digest FROM image_digests').all() as Array<{
      image_id: string;
      digest: string;
    }>;
    const byId = new Map(rows.map((r) => [r.id, toImage(r, [], [])]));
    for (const n of names) byId.get(n.image_id)?.names.push(n.name);
    for (const d of digests) byId.get(d.image_id)?.digests.push(d.digest);
    return [...byId.values()];
  }

  getImage(id: string): ImageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    if (!row) return undefined;
    const names = (
      this.db.prepare('SELECT name FROM image_names WHERE image_id = ? ORDER BY position').all(id) as Array<{ name: string }>
    ).map((r) => r.name);
    const digests = (
      this.db.prepare('SELECT digest FROM image_digests WHERE image_id = ?').all(id) as Array<{ digest: string }>
    ).map((r) => r.digest);
    return toImage(row, names, digests);
  }

  imageIdByName(name: string): string | undefined {
    const row = this.db.prepare('SELECT image_id FROM image_names WHERE name = ?').get(name) as
      | { image_id: string }
      | undefined;
    return row?.image_id;
  }

  imageIdsByPrefix(prefix: string): string[] {
    return (
      this.db.prepare("SELECT id FROM images WHERE id >= ? AND id < ? || 'g'").all(prefix, prefix) as Array<{ id: string }>
    ).map((r) => r.id);
  }

  imageIdsByDigest(digest: string): string[] {
    return (
      this.db
        .prepare('SELECT id FROM images WHERE manifest_digest = ? UNION SELECT image_id FROM image_digests WHERE digest = ?')
        .all(digest, digest) as Array<{ id: string }>
    ).map((r) => r.id);
  }

  /**
   * Commits staged layers and the image in one transaction, so a concurrent
   * removal can never take a layer away between the two. Layers already in the
   * store are reused and their staging dirs discarded.
   */
  createImage(image: NewImage): { id: string; created: boolean } {
    const id = sha256Hex(image.config);
    const now = Date.now();
    const discard: string[] = [];
    const result = this.write(() => {
      let parent: string | null = null;
      let size = 0;
      for (const staged of image.layers) {
        const layerId = chainId(parent, staged.diffId);
        discard.push(staged.dir);
        if (!this.getLayer(layerId)) {
          mkdirSync(this.layerDir(layerId), { recursive: true });
          renameSync(join(staged.dir, 'diff'), this.layerDiffDir(layerId));
          renameSync(join(staged.dir, 'tarsplit.gz'), this.layerTarSplit(layerId));
          this.db
            .prepare('INSERT INTO layers (id, parent, diff_id, compressed_digest, tar_size, tar_crc32, content_size, created) VALUES (?,?,?,?,?,?,?,?)')
            .run(layerId, parent, staged.diffId, staged.compressedDigest, staged.tarSize, staged.tarCrc32 ?? null, staged.contentSize, now);
        }
        size += staged.tarSize;
        parent = layerId;
      }
      trace('layers moved');
      size += image.config.length + (image.manifest?.length ?? 0);
      const exists = this.db.prepare('SELECT 1 FROM images WHERE id = ?').get(id);
      if (!exists) {
        this.db
          .prepare('INSERT INTO images (id, top_layer, config, manifest, manifest_digest, created, loaded, size) VALUES (?,?,?,?,?,?,?,?)')
          .run(id, parent, image.config, image.manifest, image.manifestDigest, image.created, now, size);
      }
      if (image.manifestDigest) {
        this.db.prepare('INSERT OR IGNORE INTO image_digests (image_id, digest) VALUES (?, ?)').run(id, image.manifestDigest);
      }
      for (const name of image.names) this.setNameInTransaction(id, name);
      return { id, created: !exists };
    });
    trace('image committed');
    for (const dir of discard) rmSync(dir, { recursive: true, force: true });
    return result;
  }

  /** Records one more manifest digest the image is known by (the manifest list it was pulled through). */
  addImageDigest(imageId: string, digest: string): void {
    this.write(() => {
      this.db.prepare('INSERT OR IGNORE INTO image_digests (image_id, digest) SELECT id, ? FROM images WHERE id = ?').run(digest, imageId);
    });
  }

  /** Points `name` at the image, taking it from any other image (as `tag` does). */
  addName(imageId: string, name: string): void {
    this.write(() => {
      if (!this.db.prepare('SELECT 1 FROM images WHERE id = ?').get(imageId)) {
        throw new NoSuchImageError(`image ${imageId} was removed meanwhile: check the name and try again`);
      }
      this.setNameInTransaction(imageId, name);
    });
  }

  private setNameInTransaction(imageId: string, name: string): void {
    const previous = this.imageIdByName(name);
    if (previous === imageId) return;
    // A name belongs to one image or one list: an image given a list's name takes it (as Podman's tag does).
    this.db.prepare('DELETE FROM manifest_list_names WHERE name = ?').run(name);
    const next = this.db.prepare('SELECT COALESCE(MAX(position), 0) + 1 AS p FROM image_names').get() as { p: number };
    this.db
      .prepare('INSERT INTO image_names (name, image_id, position) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, position = excluded.position')
      .run(name, imageId, next.p);
    this.recordNamesHistory(imageId);
  }

  private recordNamesHistory(imageId: string): void {
    this.db.prepare('UPDATE images SET names_history = ? WHERE id = ?').run(this.namesHistory('images', 'image_names', 'image_id', imageId), imageId);
  }

  /** podman's NamesHistory: the current names, newest first, then every earlier one, without repeats. */
  private namesHistory(table: 'images' | 'manifest_lists', namesTable: 'image_names' | 'manifest_list_names', key: 'image_id' | 'list_id', id: string): string {
    const row = this.db.prepare(`SELECT names_history FROM ${table} WHERE id = ?`).get(id) as { names_history: string } | undefined;
    const current = (this.db.prepare(`SELECT name FROM ${namesTable} WHERE ${key} = ? ORDER BY position DESC`).all(id) as Array<{ name: string }>).map(
      (r) => r.name,
    );
    return JSON.stringify([...new Set([...current, ...(JSON.parse(row?.names_history ?? '[]') as string[])])]);
  }

  /** Removes a name; false when the image did not carry it. */
  removeName(imageId: string, name: string): boolean {
    return this.write(() => this.db.prepare('DELETE FROM image_names WHERE name = ? AND image_id = ?').run(name, imageId).changes > 0);
  }

  containersUsingImage(imageId: string): Array<{ id: string; name: string }> {
    return this.db.prepare('SELECT id, name FROM containers WHERE image_id = ?').all(imageId) as Array<{ id: string; name: string }>;
  }

  /**
   * Deletes an image and every layer no other image or layer needs; refuses
   * while a container uses it (the engine removes those first for --force). Layer dirs
   * move to the trash inside the transaction (so no concurrent commit can see
   * a row without its dir) and are deleted after it.
   */
  deleteImage(imageId: string): { removedLayers: string[] } {
    const trashed: string[] = [];
    const removedLayers: string[] = [];
    this.write(() => {
      const row = this.db.prepare('SELECT top_layer FROM images WHERE id = ?').get(imageId) as { top_layer: string | null } | undefined;
      if (!row) throw new NoSuchImageError(`no image ${imageId} in local storage: it was removed meanwhile`);
      const users = this.containersUsingImage(imageId);
      if (users.length > 0) {
        throw new ImageInUseError(
          `image used by ${users[0]!.id}: image is in use by a container: remove container ${users[0]!.name} first`,
        );
      }
      this.db.prepare('DELETE FROM images WHERE id = ?').run(imageId);
      let layer = row.top_layer;
      while (layer !== null) {
        const stillUsed =
          this.db.prepare('SELECT 1 FROM images WHERE top_layer = ? LIMIT 1').get(layer) ||
          this.db.prepare('SELECT 1 FROM layers WHERE parent = ? LIMIT 1').get(layer);
        if (stillUsed) break;
        const parent = (this.db.prepare('SELECT parent FROM layers WHERE id = ?').get(layer) as { parent: string | null } | undefined)
          ?.parent ?? null;
        this.db.prepare('DELETE FROM layers WHERE id = ?').run(layer);
        trashed.push(this.moveToTrash(this.layerDir(layer)));
        removedLayers.push(layer);
        layer = parent;
      }
    });
    for (const dir of trashed) rmSync(dir, { recursive: true, force: true });
    return { removedLayers };
  }

  private moveToTrash(dir: string): string {
    const trash = join(this.base, 'trash');
    mkdirSync(trash, { recursive: true });
    const dest = join(trash, `${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      renameSync(dir, dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return dest;
  }

  /**
   * Removes what interrupted commands left behind: staging dirs of dead
   * processes, trash, and layer dirs with no row. Runs under the write lock so
   * no commit is half-way.
   */
  cleanLeftovers(): void {
    const remove: string[] = [];
    this.write(() => {
      for (const entry of safeReaddir(join(this.base, 'tmp'))) {
        const pid = Number(entry.split('-')[0]);
        if (!isProcessAlive(pid)) remove.push(join(this.base, 'tmp', entry));
      }
      for (const entry of safeReaddir(join(this.base, 'trash'))) remove.push(join(this.base, 'trash', entry));
      const known = new Set((this.db.prepare('SELECT id FROM layers').all() as Array<{ id: string }>).map((r) => r.id));
      for (const entry of safeReaddir(join(this.base, this.driver))) {
        if (!known.has(entry)) remove.push(this.moveToTrash(join(this.base, this.driver, entry)));
      }
    });
    for (const dir of remove) rmSync(dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------- manifest lists

  getManifestList(id: string): ManifestListRecord | undefined {
    const row = this.db.prepare('SELECT * FROM manifest_lists WHERE id = ?').get(id) as ManifestListRow | undefined;
    if (!row) return undefined;
    const names = (this.db.prepare('SELECT name FROM manifest_list_names WHERE list_id = ? ORDER BY position').all(id) as Array<{ name: string }>).map(
      (r) => r.name,
    );
    return toManifestList(row, names);
  }

  listManifestLists(): ManifestListRecord[] {
    const rows = this.db.prepare('SELECT * FROM manifest_lists ORDER BY created DESC').all() as ManifestListRow[];
    const names = this.db.prepare('SELECT name, list_id FROM manifest_list_names ORDER BY position').all() as Array<{ name: string; list_id: string }>;
    const byId = new Map(rows.map((r) => [r.id, toManifestList(r, [])]));
    for (const n of names) byId.get(n.list_id)?.names.push(n.name);
    return [...byId.values()];
  }

  manifestListIdByName(name: string): string | undefined {
    return (this.db.prepare('SELECT list_id FROM manifest_list_names WHERE name = ?').get(name) as { list_id: string } | undefined)?.list_id;
  }

  manifestListIdsByPrefix(prefix: string): string[] {
    return (this.db.prepare("SELECT id FROM manifest_lists WHERE id >= ? AND id < ? || 'g'").all(prefix, prefix) as Array<{ id: string }>).map((r) => r.id);
  }

  /** Stores a new list under one name; refuses a name an image or another list already has. */
  createManifestList(list: { id: string; name: string; created: number; manifest: Buffer; instances: Record<string, string> }): void {
    this.write(() => {
      if (this.imageIdByName(list.name)) {
        throw new ConflictError(`${list.name} is the name of an image: choose another name for the manifest list, or untag the image first`);
      }
      if (this.manifestListIdByName(list.name)) {
        throw new ConflictError(`a manifest list named ${list.name} already exists: use --amend to add to it, or remove it with tspod manifest rm`);
      }
      this.db
        .prepare('INSERT INTO manifest_lists (id, created, manifest, instances) VALUES (?,?,?,?)')
        .run(list.id, list.created, list.manifest, JSON.stringify(list.instances));
      this.setListNameInTransaction(list.id, list.name);
    });
  }

  /** Points `name` at the list, taking it from the image or list that had it (as `tag` does). */
  addManifestListName(id: string, name: string): void {
    this.write(() => {
      if (!this.db.prepare('SELECT 1 FROM manifest_lists WHERE id = ?').get(id)) {
        throw new NoSuchImageError(`manifest list ${id.slice(0, 12)} was removed meanwhile: check the name and try again`);
      }
      if (this.manifestListIdByName(name) === id) return;
      this.db.prepare('DELETE FROM image_names WHERE name = ?').run(name);
      this.setListNameInTransaction(id, name);
    });
  }

  private setListNameInTransaction(id: string, name: string): void {
    const next = this.db.prepare('SELECT COALESCE(MAX(position), 0) + 1 AS p FROM manifest_list_names').get() as { p: number };
    this.db
      .prepare('INSERT INTO manifest_list_names (name, list_id, position) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET list_id = excluded.list_id, position = excluded.position')
      .run(name, id, next.p);
    this.db.prepare('UPDATE manifest_lists SET names_history = ? WHERE id = ?').run(this.namesHistory('manifest_lists', 'manifest_list_names', 'list_id', id), id);
  }

  /** Removes a name from a list (the list stays, maybe nameless); false when the list did not carry it. */
  removeManifestListName(id: string, name: string): boolean {
    return this.write(() => this.db.prepare('DELETE FROM manifest_list_names WHERE name = ? AND list_id = ?').run(name, id).changes > 0);
  }

  /** Replaces a list's index and instance sources, computed from the current record inside the write transaction. */
  updateManifestList(id: string, update: (current: ManifestListRecord) => { manifest: Buffer; instances: Record<string, string> }): ManifestListRecord {
    return this.write(() => {
      const current = this.getManifestList(id);
      if (!current) throw new NoSuchImageError(`manifest list ${id.slice(0, 12)} was removed meanwhile: create it again`);
      const next = update(current);
      this.db.prepare('UPDATE manifest_lists SET manifest = ?, instances = ? WHERE id = ?').run(next.manifest, JSON.stringify(next.instances), id);
      return { ...current, ...next };
    });
  }

  deleteManifestList(id: string): boolean {
    return this.write(() => this.db.prepare('DELETE FROM manifest_lists WHERE id = ?').run(id).changes > 0);
  }

  /** Whether the store has been made; storage this user may not enter is an error, not an empty store. */
  exists(): boolean {
    try {
      statSync(join(this.base, 'state.db'));
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') {
        throw new TspodError(`cannot use the storage in ${this.options.graphRoot}: permission denied: it belongs to another user (rootless tspod keeps its own under ~/.local/share/containers/storage)`);
      }
      return false;
    }
  }
}

/** A directory's entries; none when it does not exist. */
export function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function toLayer(r: LayerRow): LayerRecord {
  return {
    id: r.id,
    parent: r.parent,
    diffId: r.diff_id,
    compressedDigest: r.compressed_digest,
    tarSize: r.tar_size,
    tarCrc32: r.tar_crc32,
    contentSize: r.content_size,
    created: r.created,
  };
}

interface ManifestListRow {
  id: string;
  created: number;
  manifest: Buffer;
  instances: string;
  names_history: string;
}

function toManifestList(r: ManifestListRow, names: string[]): ManifestListRecord {
  return {
    id: r.id,
    names,
    namesHistory: JSON.parse(r.names_history) as string[],
    created: r.created,
    manifest: r.manifest,
    instances: JSON.parse(r.instances) as Record<string, string>,
  };
}

function toImage(r: ImageRow, names: string[], digests: string[]): ImageRecord {
  return {
    id: r.id,
    topLayer: r.top_layer,
    config: r.config,
    manifest: r.manifest,
    manifestDigest: r.manifest_digest,
    created: r.created,
    loaded: r.loaded,
    size: r.size,
    names,
    digests,
    namesHistory: JSON.parse(r.names_history) as string[],
  };
}
