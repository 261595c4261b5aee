/** The pods group over the libpod API: one request per pod, `--all`/`--latest` resolved through the list. */
import type { Writable } from 'node:stream';
import type { ContainerLogsOptions, PodActionReport, PodCreateOptions, PodStatsEntry, PodSummary, PodsEngine } from '../engine/types.js';
import { podCreateToLibpod } from '../api/libpod/reports.js';
import type { WireError } from '../api/libpod/errors.js';
import { InvalidArgumentError } from '../util/errors.js';
import { enc, filtersParam, itemErrorOf } from './common.js';
import type { Transport } from './transport.js';
import type { RemoteContainers } from './containers.js';

interface LibpodPodReport {
  Id: string;
  RawInput?: string;
  Err?: WireError | null;
  Errs?: Array<{ Id: string; Err: WireError | null }> | null;
}

function podReportOf(name: string, r: LibpodPodReport): PodActionReport {
  const report: PodActionReport = { name, id: r.Id };
  if (r.Err) report.error = itemErrorOf(r.Err);
  const containerErrors = (r.Errs ?? []).filter((e) => e.Err).map((e) => ({ id: e.Id, error: itemErrorOf(e.Err)! }));
  if (containerErrors.length) report.containerErrors = containerErrors;
  return report;
}

export class RemotePods implements PodsEngine {
  constructor(
    private readonly t: Transport,
    private readonly containers: RemoteContainers,
  ) {}

  async create(opts: PodCreateOptions): Promise<{ id: string; name: string }> {
    const { Id } = await this.t.json<{ Id: string }>('POST', '/pods/create', { body: podCreateToLibpod(opts) });
    const info = await this.t.json<{ Name: string }>('GET', `/pods/${Id}/json`);
    return { id: Id, name: info.Name };
  }

  /** The pods named, or every pod (oldest first, as the engine keeps them), or the newest. */
  private async targets(names: string[], all?: boolean, latest?: boolean): Promise<string[]> {
    if (!all && !latest) return names;
    const pods = (await this.list()).sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created));
    if (latest) return pods.length ? [pods[pods.length - 1]!.Id] : [];
    return pods.map((p) => p.Id);
  }

  private async act(names: string[], opts: { all?: boolean; latest?: boolean }, verb: string, query?: Record<string, string | number | boolean | undefined>): Promise<PodActionReport[]> {
    const reports: PodActionReport[] = [];
    for (const name of await this.targets(names, opts.all, opts.latest)) {
      try {
        reports.push(podReportOf(name, await this.t.json<LibpodPodReport>('POST', `/pods/${enc(name)}/${verb}`, { query })));
      } catch (e) {
        reports.push({ name, error: e as Error });
      }
    }
    return reports;
  }

  start(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodActionReport[]> {
    return this.act(names, opts, 'start');
  }

  stop(names: string[], opts: { all?: boolean; latest?: boolean; timeout?: number; ignore?: boolean } = {}): Promise<PodActionReport[]> {
    return this.act(names, opts, 'stop', { timeout: opts.timeout, ignore: opts.ignore });
  }

  restart(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodActionReport[]> {
    return this.act(names, opts, 'restart');
  }

  kill(names: string[], opts: { all?: boolean; latest?: boolean; signal?: string } = {}): Promise<PodActionReport[]> {
    return this.act(names, opts, 'kill', { signal: opts.signal });
  }

  pause(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodActionReport[]> {
    return this.act(names, opts, 'pause');
  }

  unpause(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodActionReport[]> {
    return this.act(names, opts, 'unpause');
  }

  async remove(names: string[], opts: { all?: boolean; latest?: boolean; force?: boolean; ignore?: boolean; timeout?: number } = {}): Promise<PodActionReport[]> {
    const reports: PodActionReport[] = [];
    for (const name of await this.targets(names, opts.all, opts.latest)) {
      try {
        const r = await this.t.json<LibpodPodReport>('DELETE', `/pods/${enc(name)}`, { query: { force: opts.force, ignore: opts.ignore, timeout: opts.timeout } });
        if (r.Id) reports.push(podReportOf(name, r));
      } catch (e) {
        reports.push({ name, error: e as Error });
      }
    }
    return reports;
  }

  list(opts: { filters?: string[] } = {}): Promise<PodSummary[]> {
    return this.t.json('GET', '/pods/json', { query: { filters: filtersParam(opts.filters) } });
  }

  async inspect(names: string[], opts: { latest?: boolean } = {}): Promise<Array<Record<string, unknown> | Error>> {
    const targets = await this.targets(names, false, opts.latest);
    return Promise.all(targets.map((n) => this.t.json<Record<string, unknown>>('GET', `/pods/${enc(n)}/json`).catch((e: Error) => e)));
  }

  exists(name: string): Promise<boolean> {
    return this.t.exists(`/pods/${enc(name)}/exists`);
  }

  async prune(): Promise<PodActionReport[]> {
    const list = await this.t.json<LibpodPodReport[]>('POST', '/pods/prune');
    return (list ?? []).map((r) => podReportOf(r.RawInput || r.Id, r));
  }

  async top(name: string, descriptors: string[], opts: { latest?: boolean } = {}): Promise<string[][]> {
    const [target] = await this.targets([name], false, opts.latest);
    if (!target) throw new InvalidArgumentError('no pods to act on: --latest found none');
    const { Titles, Processes } = await this.t.json<{ Titles: string[]; Processes: string[][] }>('GET', `/pods/${enc(target)}/top`, {
      query: { ps_args: descriptors.length ? descriptors : undefined },
    });
    return [Titles, ...(Processes ?? [])];
  }

  async stats(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodStatsEntry[]> {
    const targets = opts.latest ? await this.targets([], false, true) : names;
    return this.t.json('GET', '/pods/stats', { query: { namesOrIDs: targets.length ? targets : undefined, all: opts.all || (targets.length === 0 && !opts.latest) } });
  }

  /** The pod's containers' logs through the containers' log requests, as Podman's remote client reads them. */
  async logs(name: string, opts: ContainerLogsOptions & { container?: string }, out: { stdout: Writable; stderr: Writable }): Promise<void> {
    const pod = await this.t.json<{ Id: string; Name: string; InfraContainerID?: string; Containers?: Array<{ Id: string }> }>('GET', `/pods/${enc(name)}/json`);
    let ids = (pod.Containers ?? []).map((c) => c.Id).filter((id) => id !== pod.InfraContainerID);
    if (opts.container) {
      const info = await this.t.json<{ Id: string; Pod?: string }>('GET', `/containers/${enc(opts.container)}/json`);
      if (info.Pod !== pod.Id) throw new InvalidArgumentError(`container ${opts.container} is not in pod ${pod.Name}: name one of its containers`);
      ids = [info.Id];
    }
    if (ids.length === 0) return;
    const { container: _container, ...logOpts } = opts;
    await this.containers.logs(ids, { ...logOpts, names: opts.names ?? ids.length > 1 }, out);
  }
}
