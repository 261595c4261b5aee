/** The volumes and secrets groups over the libpod API. */
import type { Readable, Writable } from 'node:stream';
import type {
  SecretCreateOptions,
  SecretInfoReport,
  SecretRemoveReport,
  SecretsEngine,
  VolumeCreateOptions,
  VolumeInspectReport,
  VolumeRemoveReport,
  VolumeUsage,
  VolumesEngine,
} from '../engine/types.js';
import { enc, filtersParam, notRemote } from './common.js';
import { errorOf, readAll, type Transport } from './transport.js';
import { pipeInto } from './containers.js';

export class RemoteVolumes implements VolumesEngine {
  constructor(private readonly t: Transport) {}

  create(opts: VolumeCreateOptions): Promise<VolumeInspectReport> {
    return this.t.json('POST', '/volumes/create', {
      body: {
        ...(opts.name !== undefined ? { Name: opts.name } : {}),
        ...(opts.driver !== undefined ? { Driver: opts.driver } : {}),
        ...(opts.labels ? { Labels: opts.labels } : {}),
        ...(opts.options ? { Options: opts.options } : {}),
        ...(opts.ignore ? { IgnoreIfExists: true } : {}),
      },
    });
  }

  list(opts: { filters?: string[] } = {}): Promise<VolumeInspectReport[]> {
    return this.t.json('GET', '/volumes/json', { query: { filters: filtersParam(opts.filters) } });
  }

  inspect(names: string[]): Promise<Array<VolumeInspectReport | Error>> {
    return Promise.all(names.map((n) => this.t.json<VolumeInspectReport>('GET', `/volumes/${enc(n)}/json`).catch((e: Error) => e)));
  }

  exists(name: string): Promise<boolean> {
    return this.t.exists(`/volumes/${enc(name)}/exists`);
  }

  async remove(names: string[], opts: { force?: boolean; all?: boolean; timeout?: number } = {}): Promise<VolumeRemoveReport[]> {
    const targets = opts.all ? (await this.list()).map((v) => v.Name) : names;
    const reports: VolumeRemoveReport[] = [];
    for (const name of targets) {
      try {
        await this.t.json('DELETE', `/volumes/${enc(name)}`, { query: { force: opts.force, timeout: opts.timeout } });
        reports.push({ name });
      } catch (e) {
        reports.push({ name, error: e as Error });
      }
    }
    return reports;
  }

  async prune(opts: { filters?: string[] } = {}): Promise<Array<{ name: string; size: number }>> {
    const list = await this.t.json<Array<{ Id: string; Size: number }>>('POST', '/volumes/prune', { query: { filters: filtersParam(opts.filters) } });
    return (list ?? []).map((p) => ({ name: p.Id, size: p.Size }));
  }

  async usage(): Promise<VolumeUsage[]> {
    throw notRemote('volume usage', 'use system df');
  }

  async export(name: string, out: Writable): Promise<void> {
    const res = await this.t.send('GET', `/volumes/${enc(name)}/export`);
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
    await pipeInto(res, out);
  }

  async import(name: string, input: Readable): Promise<void> {
    await this.t.json('POST', `/volumes/${enc(name)}/import`, { body: input, raw: true });
  }
}

export class RemoteSecrets implements SecretsEngine {
  constructor(private readonly t: Transport) {}

  async create(name: string, data: Buffer, opts: SecretCreateOptions = {}): Promise<string> {
    const { ID } = await this.t.json<{ ID: string }>('POST', '/secrets/create', {
      query: {
        name,
        driver: opts.driver,
        driveropts: opts.driverOptions ? JSON.stringify(opts.driverOptions) : undefined,
        labels: opts.labels ? JSON.stringify(opts.labels) : undefined,
        replace: opts.replace,
      },
      body: data,
      raw: true,
    });
    return ID;
  }

  list(opts: { filters?: string[] } = {}): Promise<SecretInfoReport[]> {
    return this.t.json('GET', '/secrets/json', { query: { filters: filtersParam(opts.filters) } });
  }

  inspect(names: string[], opts: { showSecret?: boolean } = {}): Promise<Array<SecretInfoReport | Error>> {
    return Promise.all(names.map((n) => this.t.json<SecretInfoReport>('GET', `/secrets/${enc(n)}/json`, { query: { showsecret: opts.showSecret } }).catch((e: Error) => e)));
  }

  exists(name: string): Promise<boolean> {
    return this.t.exists(`/secrets/${enc(name)}/exists`);
  }

  async remove(names: string[], opts: { all?: boolean; ignore?: boolean } = {}): Promise<SecretRemoveReport[]> {
    const targets = opts.all ? (await this.list()).map((s) => s.ID) : names;
    const reports: SecretRemoveReport[] = [];
    for (const name of targets) {
      try {
        const info = await this.t.json<SecretInfoReport>('GET', `/secrets/${enc(name)}/json`);
        await this.t.json('DELETE', `/secrets/${enc(name)}`);
        reports.push({ name, id: info.ID });
      } catch (e) {
        if (opts.ignore && (e as { code?: string }).code === 'NO_SUCH_SECRET') continue;
        reports.push({ name, error: e as Error });
      }
    }
    return reports;
  }
}
