import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../storage/store.js';
import { nowRfc3339Nano } from '../../util/time.js';
import { ConflictError, InvalidArgumentError, NoSuchSecretError } from '../../util/errors.js';

export interface SecretRecord {
  id: string;
  name: string;
  driver: string;
  driverOptions: Record<string, string>;
  labels: Record<string, string>;
  created: string;
  updated: string;
}

interface Row {
  id: string;
  name: string;
  driver: string;
  driver_options: string;
  labels: string;
  created: string;
  updated: string;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Podman's limit on a secret's size. */
const MAX_SIZE = 512_000;

/**
 * Secrets on one storage root: metadata in the state database, each secret's
 * bytes in its own file under `<graphroot>/secrets/tspod-data` (dir 0700,
 * files 0600, created with that mode so they are never readable by others).
 */
export class SecretStore {
  constructor(private readonly store: Store) {}

  get dataDir(): string {
    return join(this.store.options.graphRoot, 'secrets', 'tspod-data');
  }

  private dataFile(id: string): string {
    return join(this.dataDir, id);
  }

  create(name: string, data: Buffer, opts: { driver?: string; driverOptions?: Record<string, string>; labels?: Record<string, string>; replace?: boolean }): SecretRecord {
    const driver = opts.driver ?? 'file';
    if (driver !== 'file') throw new InvalidArgumentError(`secret driver "${driver}" is not supported: use the file driver`);
    if (!NAME.test(name) || name.length > 253) throw new InvalidArgumentError(`secret name "${name}" is invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 253 characters)`);
    if (data.length === 0) throw new InvalidArgumentError('secret data must not be empty: give a file or stdin with content');
    if (data.length >= MAX_SIZE) throw new InvalidArgumentError(`secret data is ${data.length} bytes: secrets must be smaller than 512000 bytes`);
    const now = nowRfc3339Nano();
    const record: SecretRecord = {
      id: randomBytes(13).toString('hex').slice(0, 25),
      name,
      driver,
      driverOptions: { path: join(this.store.options.graphRoot, 'secrets', 'filedriver'), ...(opts.driverOptions ?? {}) },
      labels: opts.labels ?? {},
      created: now,
      updated: now,
    };
    this.writeData(record.id, data);
    let replaced: string | undefined;
    try {
      this.store.write(() => {
        const existing = this.getByName(name);
        if (existing) {
          if (!opts.replace) throw new ConflictError(`${name}: secret name in use`);
          replaced = existing.id;
          record.created = existing.created;
          this.store.db.prepare('DELETE FROM secrets WHERE id = ?').run(existing.id);
        }
        this.store.db
          .prepare('INSERT INTO secrets (id, name, driver, driver_options, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(record.id, name, driver, JSON.stringify(record.driverOptions), JSON.stringify(record.labels), record.created, record.updated);
      });
    } catch (e) {
      rmSync(this.dataFile(record.id), { force: true });
      throw e;
    }
    if (replaced) rmSync(this.dataFile(replaced), { force: true });
    return record;
  }

  private writeData(id: string, data: Buffer): void {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(join(this.store.options.graphRoot, 'secrets'), 0o700);
    chmodSync(this.dataDir, 0o700);
    const fd = openSync(this.dataFile(id), 'wx', 0o600);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
  }

  data(id: string): Buffer {
    return readFileSync(this.dataFile(id));
  }

  private getByName(name: string): SecretRecord | undefined {
    const row = this.store.db.prepare('SELECT * FROM secrets WHERE name = ?').get(name) as Row | undefined;
    return row && toRecord(row);
  }

  /** Name, full id, or a unique id prefix. */
  lookup(nameOrId: string): SecretRecord | undefined {
    if (!this.store.exists()) return undefined;
    const exact = this.store.db.prepare('SELECT * FROM secrets WHERE name = ? OR id = ? LIMIT 1').get(nameOrId, nameOrId) as Row | undefined;
    if (exact) return toRecord(exact);
    if (!/^[0-9a-f]+$/.test(nameOrId)) return undefined;
    const rows = this.store.db.prepare("SELECT * FROM secrets WHERE id GLOB ? || '*' LIMIT 2").all(nameOrId) as Row[];
    if (rows.length > 1) throw new ConflictError(`more than one secret matches "${nameOrId}": give more of the ID`);
    return rows[0] && toRecord(rows[0]);
  }

  require(nameOrId: string): SecretRecord {
    const found = this.lookup(nameOrId);
    if (!found) throw new NoSuchSecretError(`no secret with name or id "${nameOrId}": no such secret`);
    return found;
  }

  list(): SecretRecord[] {
    if (!this.store.exists()) return [];
    return (this.store.db.prepare('SELECT * FROM secrets ORDER BY created').all() as Row[]).map(toRecord);
  }

  delete(id: string): void {
    this.store.write(() => this.store.db.prepare('DELETE FROM secrets WHERE id = ?').run(id));
    rmSync(this.dataFile(id), { force: true });
  }
}

function toRecord(row: Row): SecretRecord {
  return {
    id: row.id,
    name: row.name,
    driver: row.driver,
    driverOptions: JSON.parse(row.driver_options) as Record<string, string>,
    labels: JSON.parse(row.labels) as Record<string, string>,
    created: row.created,
    updated: row.updated,
  };
}
