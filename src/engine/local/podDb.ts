import type { Store } from '../../storage/store.js';
import type { PodConfig } from './podRecord.js';
import { ConflictError, NoSuchPodError } from '../../util/errors.js';

interface Row {
  name: string;
  config: string;
}

/** Pod records in the state database; every write is one IMMEDIATE transaction. */
export class PodDb {
  constructor(private readonly store: Store) {}

  insert(pod: PodConfig): void {
    this.store.write(() => {
      const clash = this.store.db.prepare('SELECT id FROM pods WHERE name = ?').get(pod.name) as { id: string } | undefined;
      if (clash) throw new ConflictError(`pod name "${pod.name}" is in use by pod ${clash.id}: choose another --name or remove that pod`);
      this.store.db.prepare('INSERT INTO pods (id, name, created, config) VALUES (?, ?, ?, ?)').run(pod.id, pod.name, Date.parse(pod.created), JSON.stringify(pod));
    });
  }

  update(id: string, change: (pod: PodConfig) => PodConfig): void {
    this.store.write(() => {
      const pod = this.get(id);
      if (pod) this.store.db.prepare('UPDATE pods SET config = ? WHERE id = ?').run(JSON.stringify(change(pod)), id);
    });
  }

  get(id: string): PodConfig | undefined {
    const row = this.store.db.prepare('SELECT name, config FROM pods WHERE id = ?').get(id) as Row | undefined;
    return row && toPod(row);
  }

  list(): PodConfig[] {
    return (this.store.db.prepare('SELECT name, config FROM pods ORDER BY created').all() as Row[]).map(toPod);
  }

  /** Full id, exact name, then a unique id prefix. */
  lookup(nameOrId: string): PodConfig | undefined {
    const db = this.store.db;
    const exact = db.prepare('SELECT name, config FROM pods WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1').get(nameOrId, nameOrId, nameOrId) as Row | undefined;
    if (exact) return toPod(exact);
    if (!/^[0-9a-f]{1,64}$/.test(nameOrId)) return undefined;
    const rows = db.prepare("SELECT name, config FROM pods WHERE id GLOB ? || '*' LIMIT 2").all(nameOrId) as Row[];
    if (rows.length > 1) throw new ConflictError(`more than one pod matches "${nameOrId}": give more of the ID`);
    return rows[0] && toPod(rows[0]);
  }

  require(nameOrId: string): PodConfig {
    const pod = this.lookup(nameOrId);
    if (!pod) throw new NoSuchPodError(`no pod with name or ID ${nameOrId} found: no such pod`);
    return pod;
  }

  delete(id: string): void {
    this.store.write(() => {
      this.store.db.prepare('DELETE FROM pods WHERE id = ?').run(id);
    });
  }

  latest(): PodConfig | undefined {
    const row = this.store.db.prepare('SELECT name, config FROM pods ORDER BY created DESC LIMIT 1').get() as Row | undefined;
    return row && toPod(row);
  }
}

function toPod(row: Row): PodConfig {
  const pod = JSON.parse(row.config) as PodConfig;
  pod.name = row.name;
  return pod;
}
