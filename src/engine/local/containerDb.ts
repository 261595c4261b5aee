import type { Store } from '../../storage/store.js';
import type { ContainerConfig, ContainerRecord, ContainerState } from './containerRecord.js';
import { ConflictError, NoSuchContainerError } from '../../util/errors.js';

interface Row {
  id: string;
  name: string;
  config: string;
  state: string;
}

/** Container records in the state database; every write is one IMMEDIATE transaction. */
export class ContainerDb {
  private shared?: { stamp: string; records: readonly ContainerRecord[]; byId?: Map<string, ContainerRecord> };

  constructor(private readonly store: Store) {}

  /** `conflict` sees every other container inside the write transaction; a message it returns aborts the insert. */
  insert(record: ContainerRecord, conflict?: (others: ContainerRecord[]) => string | undefined): void {
    this.store.write(() => {
      const clash = this.store.db.prepare('SELECT id FROM containers WHERE name = ?').get(record.config.name) as { id: string } | undefined;
      if (clash) throw nameInUse(record.config.name, clash.id);
      const problem = conflict?.(this.list());
      if (problem) throw new ConflictError(problem);
      this.store.db
        .prepare('INSERT INTO containers (id, name, image_id, created, config, state) VALUES (?, ?, ?, ?, ?, ?)')
        .run(record.config.id, record.config.name, record.config.imageId, Date.parse(record.config.created), JSON.stringify(record.config), JSON.stringify(record.state));
    });
  }

  get(id: string): ContainerRecord | undefined {
    const row = this.store.db.prepare('SELECT id, name, config, state FROM containers WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  list(): ContainerRecord[] {
    return (this.store.db.prepare('SELECT id, name, config, state FROM containers ORDER BY created').all() as Row[]).map(toRecord);
  }

  /**
   * Like list(), but the same objects until the table changes: for a long-lived
   * process listing often (the API service's /containers/json), where parsing
   * every record's JSON was most of the time. Callers must not modify them.
   * The stamp changes with any commit, this connection's (total_changes) or
   * another process's (data_version).
   */
  listShared(): readonly ContainerRecord[] {
    return this.currentShared().records;
  }

  /** listShared()'s records by full id. */
  sharedById(): ReadonlyMap<string, ContainerRecord> {
    const shared = this.currentShared();
    shared.byId ??= new Map(shared.records.map((r) => [r.config.id, r]));
    return shared.byId;
  }

  private currentShared(): NonNullable<ContainerDb['shared']> {
    const stamp = this.store.changeCounter();
    if (this.shared?.stamp !== stamp) this.shared = { stamp, records: this.list() };
    return this.shared;
  }

  /** Full id, exact name, then a unique id prefix; undefined when nothing matches. */
  lookup(nameOrId: string): ContainerRecord | undefined {
    const db = this.store.db;
    const exact = db.prepare('SELECT id, name, config, state FROM containers WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1').get(nameOrId, nameOrId, nameOrId) as
      | Row
      | undefined;
    if (exact) return toRecord(exact);
    if (!/^[0-9a-f]{1,64}$/.test(nameOrId)) return undefined;
    const rows = db.prepare("SELECT id, name, config, state FROM containers WHERE id GLOB ? || '*' LIMIT 2").all(nameOrId) as Row[];
    if (rows.length > 1) throw new ConflictError(`more than one container matches "${nameOrId}": give more of the ID`);
    return rows[0] && toRecord(rows[0]);
  }

  /** Like lookup, but a missing container is podman's "no such container" error. */
  require(nameOrId: string): ContainerRecord {
    const record = this.lookup(nameOrId);
    if (!record) throw new NoSuchContainerError(`no container with name or ID "${nameOrId}" found: no such container`);
    return record;
  }

  /** Reads, changes and writes a container's state in one transaction; undefined if it is gone. */
  updateState(id: string, change: (state: ContainerState, config: ContainerConfig) => ContainerState): ContainerRecord | undefined {
    return this.store.write(() => {
      const record = this.get(id);
      if (!record) return undefined;
      const state = change(record.state, record.config);
      this.store.db.prepare('UPDATE containers SET state = ? WHERE id = ?').run(JSON.stringify(state), id);
      return { config: record.config, state };
    });
  }

  /** Changes a container's config (network connect/disconnect) in one transaction. */
  updateConfig(id: string, change: (config: ContainerConfig) => ContainerConfig): ContainerRecord | undefined {
    return this.store.write(() => {
      const record = this.get(id);
      if (!record) return undefined;
      const config = change(record.config);
      this.store.db.prepare('UPDATE containers SET config = ? WHERE id = ?').run(JSON.stringify(config), id);
      return { config, state: record.state };
    });
  }

  rename(id: string, newName: string): void {
    this.store.write(() => {
      const clash = this.store.db.prepare('SELECT id FROM containers WHERE name = ?').get(newName) as { id: string } | undefined;
      if (clash) throw nameInUse(newName, clash.id);
      const record = this.get(id);
      if (!record) throw new NoSuchContainerError(`no container with ID ${id} found: it was removed meanwhile`);
      record.config.name = newName;
      this.store.db.prepare('UPDATE containers SET name = ?, config = ? WHERE id = ?').run(newName, JSON.stringify(record.config), id);
    });
  }

  delete(id: string): void {
    this.store.write(() => {
      this.store.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    });
  }

  nameExists(name: string): boolean {
    return this.store.db.prepare('SELECT 1 FROM containers WHERE name = ?').get(name) !== undefined;
  }
}

function nameInUse(name: string, id: string): ConflictError {
  return new ConflictError(
    `the container name "${name}" is already in use by ${id}. You have to remove that container to be able to reuse that name: that name is already in use`,
  );
}

function toRecord(row: Row): ContainerRecord {
  const config = JSON.parse(row.config) as ContainerConfig;
  config.name = row.name;
  return { config, state: JSON.parse(row.state) as ContainerState };
}
