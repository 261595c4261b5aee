/** The manifest lists group over the libpod API (Podman 4's v4 routes). */
import { writeFileSync } from 'node:fs';
import type { ImageRemoveReport, ManifestAddOptions, ManifestAnnotateOptions, ManifestPushOptions, ManifestsEngine, RegistryAccessOptions } from '../engine/types.js';
import { notRemote, registryParams } from './common.js';
import { errorOf, readAll, type Transport } from './transport.js';
import { imagePath, removeReportOf, type LibpodRemoveReport } from './images.js';

export class RemoteManifests implements ManifestsEngine {
  constructor(private readonly t: Transport) {}

  private access(access: RegistryAccessOptions, command: string) {
    if (access.authFile) throw notRemote(`${command} --authfile`, 'give the credentials with --creds');
    return registryParams(access, command);
  }

  async create(name: string, images: string[], opts: RegistryAccessOptions & { all?: boolean; amend?: boolean }): Promise<string> {
    const { query, headers } = this.access(opts, 'manifest create');
    const { Id } = await this.t.json<{ Id: string }>('POST', `/manifests/${imagePath(name)}`, {
      query: { ...query, images: images.length ? images : undefined, all: opts.all, amend: opts.amend },
      headers,
    });
    return Id;
  }

  private async modify(list: string, body: Record<string, unknown>, access: RegistryAccessOptions = {}): Promise<string> {
    const { query, headers } = this.access(access, 'manifest');
    const { Id } = await this.t.json<{ Id: string }>('PUT', `/manifests/${imagePath(list)}`, { body, query, headers });
    return Id;
  }

  private static platform(opts: ManifestAnnotateOptions): Record<string, unknown> {
    const annotations = Object.fromEntries((opts.annotations ?? []).map((a) => [a.slice(0, a.indexOf('=') < 0 ? a.length : a.indexOf('=')), a.includes('=') ? a.slice(a.indexOf('=') + 1) : '']));
    return {
      ...(opts.arch ? { arch: opts.arch } : {}),
      ...(opts.os ? { os: opts.os } : {}),
      ...(opts.variant ? { variant: opts.variant } : {}),
      ...(opts.osVersion ? { os_version: opts.osVersion } : {}),
      ...(opts.features?.length ? { features: opts.features } : {}),
      ...(opts.osFeatures?.length ? { os_features: opts.osFeatures } : {}),
      ...(opts.annotations?.length ? { annotations } : {}),
    };
  }

  add(list: string, images: string[], opts: ManifestAddOptions): Promise<string> {
    return this.modify(list, { operation: 'update', images, all: opts.all === true, ...RemoteManifests.platform(opts) }, opts);
  }

  annotate(list: string, digest: string, opts: ManifestAnnotateOptions): Promise<string> {
    return this.modify(list, { operation: 'annotate', images: [digest], ...RemoteManifests.platform(opts) });
  }

  async inspect(name: string, opts: RegistryAccessOptions): Promise<{ json: string; warning?: string }> {
    const { query, headers } = this.access(opts, 'manifest inspect');
    const res = await this.t.send('GET', `/manifests/${imagePath(name)}/json`, { query, headers });
    const body = await readAll(res);
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, body);
    const warning = res.headers['x-tspod-warning'];
    return { json: body.toString('utf8'), ...(typeof warning === 'string' ? { warning: decodeURIComponent(warning) } : {}) };
  }

  removeInstance(list: string, digest: string): Promise<string> {
    return this.modify(list, { operation: 'remove', images: [digest] });
  }

  async rm(names: string[]): Promise<ImageRemoveReport> {
    const report: ImageRemoveReport = { untagged: [], deleted: [], errors: [] };
    for (const name of names) {
      try {
        const one = removeReportOf(await this.t.json<LibpodRemoveReport>('DELETE', `/manifests/${imagePath(name)}`));
        report.untagged.push(...one.untagged);
        report.deleted.push(...one.deleted);
        report.errors.push(...one.errors);
      } catch (e) {
        report.errors.push({ name, error: e as Error });
      }
    }
    return report;
  }

  exists(name: string): Promise<boolean> {
    return this.t.exists(`/manifests/${imagePath(name)}/exists`);
  }

  async push(list: string, destination: string | undefined, opts: ManifestPushOptions): Promise<{ digest: string }> {
    const { query, headers } = this.access(opts, 'manifest push');
    const { Id } = await this.t.json<{ Id: string }>('POST', `/manifests/${imagePath(list)}/registry/${imagePath(destination ?? list)}`, {
      query: { ...query, all: opts.all ?? true, format: opts.format, removeSignatures: opts.removeSignatures },
      headers,
    });
    if (opts.digestFile) writeFileSync(opts.digestFile, Id);
    if (opts.rm) await this.rm([list]);
    return { digest: Id };
  }
}
