import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';

/**
 * The state database shared by every tspod process on one storage root.
 * WAL + busy_timeout, and every write is a `BEGIN IMMEDIATE` transaction:
 * measured here, deferred write transactions fail 60-77% under 20-way
 * concurrency with SQLITE_BUSY(_SNAPSHOT); immediate ones never do.
 */
export type Database = BetterSqlite3.Database;

const SCHEMA_VERSION = 10;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS layers (
  id TEXT PRIMARY KEY,
  parent TEXT REFERENCES layers(id),
  diff_id TEXT NOT NULL,
  compressed_digest TEXT,
  tar_size INTEGER NOT NULL,
  content_size INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS layers_parent ON layers(parent);
CREATE INDEX IF NOT EXISTS layers_compressed ON layers(compressed_digest);
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,
  top_layer TEXT REFERENCES layers(id),
  config BLOB NOT NULL,
  manifest BLOB,
  manifest_digest TEXT,
  created INTEGER NOT NULL,
  loaded INTEGER NOT NULL,
  size INTEGER NOT NULL,
  names_history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS images_top_layer ON images(top_layer);
CREATE TABLE IF NOT EXISTS image_names (
  name TEXT PRIMARY KEY,
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS image_names_image ON image_names(image_id);
CREATE TABLE IF NOT EXISTS image_digests (
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  PRIMARY KEY (image_id, digest)
);
`;

/**
 * Containers: the config (fixed at create) and the state (changed as it runs)
 * as JSON documents; the columns beside them are what lookups and constraints need.
 */
const CONTAINERS_SCHEMA = `
CREATE TABLE IF NOT EXISTS containers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  image_id TEXT REFERENCES images(id),
  created INTEGER NOT NULL,
  config TEXT NOT NULL,
  state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS containers_image ON containers(image_id);
`;

/** Addresses leased to containers on networks; a lease goes with its container. */
const NETWORK_SCHEMA = `
CREATE TABLE IF NOT EXISTS network_leases (
  network TEXT NOT NULL,
  ip TEXT NOT NULL,
  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
  PRIMARY KEY (network, ip)
);
CREATE INDEX IF NOT EXISTS network_leases_container ON network_leases(container_id);
`;

/** Pods: the config as JSON; their state is derived from their containers'. */
const PODS_SCHEMA = `
CREATE TABLE IF NOT EXISTS pods (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  config TEXT NOT NULL
);
`;

/**
 * Manifest lists (image indexes): the index as written by `manifest
 * create/add` and, per instance digest, where it came from
 * (`containers-storage:ID` or `docker://REF`) so push can find it. A list
 * carries any number of names (as an image does); a name belongs either to
 * one image or to one list, never both (the store moves it, as Podman's tag does).
 */
const MANIFEST_LISTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS manifest_lists (
  id TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  manifest BLOB NOT NULL,
  instances TEXT NOT NULL DEFAULT '{}',
  names_history TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS manifest_list_names (
  name TEXT PRIMARY KEY,
  list_id TEXT NOT NULL REFERENCES manifest_lists(id) ON DELETE CASCADE,
  position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS manifest_list_names_list ON manifest_list_names(list_id);
`;

/**
 * Where blobs are known to be: the registry repositories a blob was pulled
 * from or pushed to (containers/image's blob info cache keeps the same), so a
 * push to another repository of that registry can mount it instead of uploading.
 */
const BLOB_LOCATIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS blob_locations (
  digest TEXT NOT NULL,
  registry TEXT NOT NULL,
  repository TEXT NOT NULL,
  seen INTEGER NOT NULL,
  PRIMARY KEY (digest, registry, repository)
);
`;

/** Version 4's manifest lists: one UNIQUE name column (kept as it was, for the steps from 4 on). */
const MANIFEST_LISTS_SCHEMA_V4 = `
CREATE TABLE IF NOT EXISTS manifest_lists (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  manifest BLOB NOT NULL,
  instances TEXT NOT NULL DEFAULT '{}'
);
`;

/**
 * Version 7 to 8: a list's name moves to manifest_list_names. SQLite cannot
 * drop a UNIQUE column, so the table is rebuilt (nothing references it before 8).
 */
const MANIFEST_LIST_NAMES_MIGRATION = `
ALTER TABLE manifest_lists RENAME TO manifest_lists_v7;
${MANIFEST_LISTS_SCHEMA}
INSERT INTO manifest_lists (id, created, manifest, instances, names_history)
  SELECT id, created, manifest, instances, json_array(name) FROM manifest_lists_v7;
INSERT INTO manifest_list_names (name, list_id, position) SELECT name, id, rowid FROM manifest_lists_v7;
DROP TABLE manifest_lists_v7;
`;

/**
 * The compressed blobs each layer was pushed as, one per compression: a later
 * push finds the digest here and asks the registry for it instead of compressing again.
 */
const LAYER_BLOBS_SCHEMA = `
CREATE TABLE IF NOT EXISTS layer_blobs (
  layer_id TEXT NOT NULL REFERENCES layers(id) ON DELETE CASCADE,
  compression TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (layer_id, compression)
);
`;

/**
 * Named volumes (their data lives at <graphroot>/volumes/<name>/_data) and
 * secrets' metadata (their data lives under <graphroot>/secrets, mode 0600).
 * Which containers use a volume or secret is read from the containers' configs.
 */
const VOLUMES_SECRETS_SCHEMA = `
CREATE TABLE IF NOT EXISTS volumes (
  name TEXT PRIMARY KEY,
  driver TEXT NOT NULL,
  created TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  options TEXT NOT NULL DEFAULT '{}',
  anonymous INTEGER NOT NULL DEFAULT 0,
  needs_copy_up INTEGER NOT NULL DEFAULT 1,
  needs_chown INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS secrets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  driver TEXT NOT NULL,
  driver_options TEXT NOT NULL DEFAULT '{}',
  labels TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
`;

/**
 * The CRC-32 of each layer's tar as it was stored: a push checks the tar it
 * replays against it (NULL for layers stored before version 10: those are
 * checked against their diff id).
 */
const LAYER_CRC_MIGRATION = `
ALTER TABLE layers ADD COLUMN tar_crc32 INTEGER;
`;

/** Steps from each older version; version 1 had a placeholder containers table that was always empty. */
const MIGRATIONS: Record<number, string> = {
  1: `DROP TABLE IF EXISTS containers; ${CONTAINERS_SCHEMA}`,
  2: NETWORK_SCHEMA,
  3: PODS_SCHEMA,
  4: MANIFEST_LISTS_SCHEMA_V4,
  5: LAYER_BLOBS_SCHEMA,
  6: VOLUMES_SECRETS_SCHEMA,
  7: MANIFEST_LIST_NAMES_MIGRATION,
  8: BLOB_LOCATIONS_SCHEMA,
  9: LAYER_CRC_MIGRATION,
};

export function openDatabase(path: string, readonly = false): Database {
  const db = new BetterSqlite3(path, { timeout: 10_000, nativeBinding: nativeBindingPath() });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  if (!readonly) migrate(db);
  cacheStatements(db);
  return db;
}

/**
 * Makes `db.prepare` compile each SQL text once: the long-lived API service
 * runs the same few queries on every request, and compiling one costs about
 * as much as running it. Safe because no caller switches a statement's mode
 * (pluck, raw, expand) or keeps one iterating.
 */
function cacheStatements(db: Database): void {
  const compile = db.prepare.bind(db);
  const statements = new Map<string, ReturnType<typeof compile>>();
  db.prepare = ((source: string) => {
    let statement = statements.get(source);
    if (!statement) {
      statement = compile(source);
      statements.set(source, statement);
    }
    return statement;
  }) as typeof db.prepare;
}

/**
 * The addon's path, given directly: better-sqlite3 otherwise finds it through
 * the `bindings` package, which probes a dozen paths on every start. It is
 * looked for beside the checkout's dist/ first: resolving the package reads
 * package.json files on the way (~2 ms of every command that opens storage).
 */
function nativeBindingPath(): string | undefined {
  const addon = (pkg: string): string => join(pkg, 'build', 'Release', 'better_sqlite3.node');
  const beside = addon(fileURLToPath(new URL('../node_modules/better-sqlite3', import.meta.url)));
  if (existsSync(beside)) return beside;
  try {
    const path = addon(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')));
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function migrate(db: Database, target = SCHEMA_VERSION): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version >= target) return;
  writeTransaction(db, () => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current >= target) return;
    if (current === 0 && target === SCHEMA_VERSION) {
      db.exec(SCHEMA + CONTAINERS_SCHEMA + NETWORK_SCHEMA + PODS_SCHEMA + MANIFEST_LISTS_SCHEMA + LAYER_BLOBS_SCHEMA + VOLUMES_SECRETS_SCHEMA + BLOB_LOCATIONS_SCHEMA + LAYER_CRC_MIGRATION);
    } else {
      if (current === 0) db.exec(SCHEMA);
      for (let v = Math.max(current, 1); v < target; v++) db.exec(MIGRATIONS[v]!);
    }
    db.pragma(`user_version = ${target}`);
  });
}

/**
 * A new database at an older schema version, made by the steps databases of
 * that version took: migration tests start from it.
 */
export function createDatabaseAtVersion(path: string, version: number): Database {
  const db = openDatabase(path, true);
  migrate(db, version);
  return db;
}

/** The only way to write: an IMMEDIATE transaction (see the note at the top). */
export function writeTransaction<T>(db: Database, fn: () => T): T {
  return db.transaction(fn).immediate();
}
