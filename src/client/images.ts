/** The images group over the libpod API: pull and push read Podman's JSON progress stream. */
import { createWriteStream, writeFileSync } from 'node:fs';
import type {
  FileChange,
  ImageHistoryEntry,
  ImageImportOptions,
  ImageInspectReport,
  ImageListOptions,
  ImageLoadOptions,
  ImagePullOptions,
  ImagePushOptions,
  ImageRemoveReport,
  ImageSaveOptions,
  ImageSearchResult,
  ImageSummary,
  ImageTreeReport,
  ImagesEngine,
  RegistryAccessOptions,
} from '../engine/types.js';
import { historyFromLibpod, type LibpodHistoryEntry } from '../api/libpod/reports.js';
import { fromWireError, type WireError } from '../api/libpod/errors.js';
import { filtersParam, itemErrorOf, notRemote, registryParams, splitTag } from './common.js';
import { errorOf, jsonLinesOf, readAll, type Transport } from './transport.js';
import { pipeInto } from './containers.js';

/** Image references keep their slashes and colons in the path (`/images/localhost:5000/a/b:c/json`). */
export const imagePath = (name: string) => encodeURI(name).replace(/\?/g, '%3F').replace(/#/g, '%23');

export interface LibpodRemoveReport {
  Deleted: string[] | null;
  Untagged: string[] | null;
  Errors: string[] | null;
  ErrorDetails?: Array<{ Name: string; Err: WireError | null }>;
}

export function removeReportOf(body: LibpodRemoveReport): ImageRemoveReport {
  const errors = body.ErrorDetails
    ? body.ErrorDetails.map((e) => ({ name: e.Name, error: itemErrorOf(e.Err) ?? new Error('unknown error') }))
    : (body.Errors ?? []).map((message) => ({ name: '', error: new Error(message) }));
  return { untagged: body.Untagged ?? [], deleted: body.Deleted ?? [], errors };
}

export class RemoteImages implements ImagesEngine {
  constructor(private readonly t: Transport) {}

  private access(access: RegistryAccessOptions, command: string) {
    if (access.authFile) throw notRemote(`${command} --authfile`, 'give the credentials with --creds');
    return registryParams(access, command);
  }

  async pull(reference: string, opts: ImagePullOptions): Promise<{ ids: string[] }> {
    const { query, headers } = this.access(opts, 'pull');
    const res = await this.t.send('POST', '/images/pull', {
      query: {
        ...query,
        reference,
        policy: opts.policy,
        allTags: opts.allTags,
        os: opts.platform?.os,
        arch: opts.platform?.arch,
        variant: opts.platform?.variant,
        quiet: opts.progress ? undefined : true,
      },
      headers,
    });
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
    let ids: string[] | undefined;
    for await (const { value } of jsonLinesOf(res)) {
      if (typeof value.stream === 'string') opts.progress?.(value.stream.replace(/\n$/, ''));
      else if (typeof value.error === 'string') throw streamError(value);
      else if (Array.isArray(value.images)) ids = value.images as string[];
    }
    if (!ids) throw new Error(`pull of ${reference}: the service ended the stream without a result`);
    return { ids };
  }

  async push(source: string, destination: string | undefined, opts: ImagePushOptions): Promise<{ digest: string }> {
    const { query, headers } = this.access(opts, 'push');
    const res = await this.t.send('POST', `/images/${imagePath(source)}/push`, {
      query: {
        ...query,
        destination,
        format: opts.format,
        compressionFormat: opts.compressionFormat,
        compress: opts.compress,
        removeSignatures: opts.removeSignatures,
        quiet: opts.progress ? undefined : true,
      },
      headers,
    });
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
    let digest: string | undefined;
    for await (const { value } of jsonLinesOf(res)) {
      if (typeof value.stream === 'string') opts.progress?.(value.stream.replace(/\n$/, ''));
      else if (typeof value.error === 'string') throw streamError(value);
      else if (typeof value.manifestdigest === 'string') digest = value.manifestdigest;
    }
    if (digest === undefined) throw new Error(`push of ${source}: the service ended the stream without a result`);
    if (opts.digestFile) writeFileSync(opts.digestFile, digest);
    return { digest };
  }

  /** As podman-remote's login: the registry is checked from this machine (whose auth file `login` writes), not through the service. */
  async checkLogin(key: string, opts: RegistryAccessOptions & { credentials: { username: string; password: string } }): Promise<void> {
    const [{ checkRegistryLogin }, { isInsecure, loadRegistriesConf }] = await Promise.all([import('../image/registry/login.js'), import('../config/registriesConf.js')]);
    const registry = key.split('/')[0]!;
    await checkRegistryLogin(key, { tlsVerify: opts.tlsVerify ?? !isInsecure(loadRegistriesConf(), registry), certDir: opts.certDir, credentials: opts.credentials });
  }

  search(term: string, opts: RegistryAccessOptions & { limit?: number; listTags?: boolean; filters?: string[] }): Promise<ImageSearchResult[]> {
    const { query, headers } = this.access(opts, 'search');
    return this.t.json('GET', '/images/search', { query: { ...query, term, limit: opts.limit, listTags: opts.listTags, filters: filtersParam(opts.filters) }, headers });
  }

  list(opts: ImageListOptions): Promise<ImageSummary[]> {
    return this.t.json('GET', '/images/json', { query: { all: opts.all, filters: filtersParam(opts.filters) } });
  }

  inspect(names: string[]): Promise<Array<ImageInspectReport | Error>> {
    return Promise.all(names.map((n) => this.t.json<ImageInspectReport>('GET', `/images/${imagePath(n)}/json`).catch((e: Error) => e)));
  }

  async history(name: string): Promise<ImageHistoryEntry[]> {
    return (await this.t.json<LibpodHistoryEntry[]>('GET', `/images/${imagePath(name)}/history`)).map(historyFromLibpod);
  }

  exists(name: string): Promise<boolean> {
    return this.t.exists(`/images/${imagePath(name)}/exists`);
  }

  async tag(name: string, newNames: string[]): Promise<void> {
    for (const n of newNames) await this.t.json('POST', `/images/${imagePath(name)}/tag`, { query: splitTag(n) });
  }

  async untag(name: string, names: string[]): Promise<void> {
    if (names.length === 0) await this.t.json('POST', `/images/${imagePath(name)}/untag`);
    for (const n of names) await this.t.json('POST', `/images/${imagePath(name)}/untag`, { query: splitTag(n) });
  }

  async remove(names: string[], opts: { force?: boolean; all?: boolean; ignore?: boolean }): Promise<ImageRemoveReport> {
    const body = await this.t.json<LibpodRemoveReport>('DELETE', '/images/remove', { query: { images: names, force: opts.force, all: opts.all, ignore: opts.ignore } });
    return removeReportOf(body);
  }

  async prune(opts: { all?: boolean; filters?: string[] }): Promise<Array<{ id: string; size: number }>> {
    const list = await this.t.json<Array<{ Id: string; Size: number }>>('POST', '/images/prune', { query: { all: opts.all, filters: filtersParam(opts.filters) } });
    return (list ?? []).map((p) => ({ id: p.Id, size: p.Size }));
  }

  async load(opts: ImageLoadOptions): Promise<{ names: string[] }> {
    if (opts.directory || !opts.input) throw notRemote('load from a directory', 'give an archive file');
    const { Names, Progress } = await this.t.json<{ Names: string[]; Progress?: string[] }>('POST', '/images/load', { body: opts.input, raw: true });
    for (const line of Progress ?? []) opts.progress?.(line);
    return { names: Names ?? [] };
  }

  async save(names: string[], opts: ImageSaveOptions): Promise<void> {
    if (opts.format !== 'docker-archive' && opts.format !== 'oci-archive') throw notRemote(`save --format ${opts.format}`, 'use docker-archive or oci-archive');
    const res = await this.t.send('GET', '/images/export', {
      query: { references: names, format: opts.format, additionalTags: opts.additionalTags?.length ? opts.additionalTags : undefined },
    });
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
    if (opts.output.path) {
      const file = createWriteStream(opts.output.path);
      await pipeInto(res, file);
      await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } else if (opts.output.stream) await pipeInto(res, opts.output.stream);
  }

  async import(opts: ImageImportOptions): Promise<{ id: string }> {
    const { Id } = await this.t.json<{ Id: string }>('POST', '/images/import', {
      query: { reference: opts.reference, changes: opts.changes?.length ? opts.changes : undefined, message: opts.message, os: opts.os, arch: opts.arch, variant: opts.variant },
      body: opts.input,
      raw: true,
    });
    return { id: Id };
  }

  tree(name: string): Promise<ImageTreeReport> {
    return this.t.json('GET', `/images/${imagePath(name)}/tree`);
  }

  async mount(): Promise<Array<{ name: string; id?: string; names?: string[]; path?: string; error?: Error }>> {
    throw notRemote('image mount', 'a mount on the service machine is no use here');
  }

  async exportFiles(): Promise<void> {
    throw notRemote('build --output', 'the image files are on the service machine: save or push the image instead');
  }

  async unmount(): Promise<Array<{ name: string; id?: string; error?: Error }>> {
    throw notRemote('image unmount', 'a mount on the service machine is no use here');
  }

  async diff(name: string): Promise<FileChange[]> {
    const list = await this.t.json<Array<{ Path: string; Kind: number }>>('GET', `/images/${imagePath(name)}/changes`);
    return (list ?? []).map((c) => ({ path: c.Path, kind: c.Kind === 0 ? 'C' : c.Kind === 1 ? 'A' : 'D' }));
  }

  async derive(): Promise<{ id: string }> {
    throw notRemote('build steps');
  }

  async findBuildStep(): Promise<string | undefined> {
    throw notRemote('build steps');
  }
}

/** `{"error": ...}` in a progress stream -> the typed error. */
export function streamError(value: Record<string, unknown>): Error {
  return fromWireError(
    { message: String(value.error), errorcode: value.errorcode as string | undefined, exitcode: value.exitcode as number | undefined },
    typeof value.response === 'number' ? value.response : 500,
    String(value.error),
  );
}
