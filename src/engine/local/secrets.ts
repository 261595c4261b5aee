import type { Runtime } from '../runtime.js';
import type { SecretCreateOptions, SecretInfoReport, SecretRemoveReport, SecretsEngine } from '../volumeTypes.js';
import { SecretStore, type SecretRecord } from './secretStore.js';
import { groupFilters } from '../../util/filterArgs.js';
import { goRegexpMatch } from '../../util/goRegexp.js';
import { InvalidArgumentError, NoSuchSecretError } from '../../util/errors.js';
import { recordEvent } from './events.js';

/** The secrets group of the local engine (the file driver only). */
export class LocalSecrets implements SecretsEngine {
  private storeInstance: SecretStore | undefined;

  constructor(private readonly runtime: Runtime) {}

  get store(): SecretStore {
    this.storeInstance ??= new SecretStore(this.runtime.store);
    return this.storeInstance;
  }

  async create(name: string, data: Buffer, opts: SecretCreateOptions = {}): Promise<string> {
    const id = this.store.create(name, data, opts).id;
    recordEvent(this.runtime, { type: 'secret', action: 'create', id, name });
    return id;
  }

  async list(opts: { filters?: string[] } = {}): Promise<SecretInfoReport[]> {
    const predicates: Array<(s: SecretRecord) => boolean> = [];
    for (const [key, values] of groupFilters(opts.filters ?? [])) {
      if (key === 'name') predicates.push((s) => values.some((v) => goRegexpMatch(v, s.name)));
      else if (key === 'id') predicates.push((s) => values.some((v) => s.id.startsWith(v)));
      else throw new InvalidArgumentError(`invalid filter "${key}": secrets can be filtered by name and id`);
    }
    return this.store
      .list()
      .filter((s) => predicates.every((p) => p(s)))
      .map((s) => report(s));
  }

  async inspect(names: string[], opts: { showSecret?: boolean } = {}): Promise<Array<SecretInfoReport | Error>> {
    return names.map((name) => {
      try {
        const s = this.store.require(name);
        return report(s, opts.showSecret ? this.store.data(s.id).toString() : undefined);
      } catch (e) {
        return e as Error;
      }
    });
  }

  async exists(name: string): Promise<boolean> {
    return this.store.lookup(name) !== undefined;
  }

  /** As Podman, a secret in use by a container can be removed; that container then fails to start. */
  async remove(names: string[], opts: { all?: boolean; ignore?: boolean } = {}): Promise<SecretRemoveReport[]> {
    const reports: SecretRemoveReport[] = [];
    const targets = opts.all ? this.store.list().map((s) => s.id) : names;
    for (const name of targets) {
      try {
        const s = this.store.require(name);
        this.store.delete(s.id);
        recordEvent(this.runtime, { type: 'secret', action: 'remove', id: s.id, name: s.name });
        reports.push({ name, id: s.id });
      } catch (e) {
        if (opts.ignore && e instanceof NoSuchSecretError) continue;
        reports.push({ name, error: e as Error });
      }
    }
    return reports;
  }
}

function report(s: SecretRecord, data?: string): SecretInfoReport {
  return {
    ID: s.id,
    CreatedAt: s.created,
    UpdatedAt: s.updated,
    Spec: { Name: s.name, Driver: { Name: s.driver, Options: sortedKeys(s.driverOptions) }, Labels: sortedKeys(s.labels) },
    ...(data !== undefined ? { SecretData: data } : {}),
  };
}

/** Go marshals maps with sorted keys. */
function sortedKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
