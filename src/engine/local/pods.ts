import { randomBytes } from 'node:crypto';
import { readContainerSample } from './containerStats.js';
import { recordEvent } from './events.js';
import type { Writable } from 'node:stream';
import type { Runtime } from '../runtime.js';
import type {
  ContainerLogsOptions,
  ImagesEngine,
  PodActionReport,
  PodCreateOptions,
  PodsEngine,
  PodStatsEntry,
  PodSummary,
} from '../types.js';
import type { ContainerSpec } from '../spec/containerSpec.js';
import type { ContainerRecord } from './containerRecord.js';
import type { PodConfig } from './podRecord.js';
import type { LocalContainers } from './containers.js';
import type { ContainerRuntime } from './containerRuntime.js';
import { ensureInfraImage, findCatatonit } from './infraImage.js';
import { randomContainerName } from './names.js';
import { inspectPortBindings } from '../network/ports.js';
import { networkMode } from './containerNetwork.js';
import { filterPods } from './podFilters.js';
import { parseSignal } from './containerRuntime.js';
import { nowRfc3339Nano } from '../../util/time.js';
import { ContainerStateError, InvalidArgumentError, NoSuchPodError } from '../../util/errors.js';
import { humanSizeWithPrecision } from '../../util/units.js';

const DEFAULT_SHARE = ['ipc', 'net', 'uts'];
const SHAREABLE = new Set(['cgroup', 'ipc', 'net', 'pid', 'uts']);

/** Network settings only an infra container can carry; a pod member asking for them gets Podman's error. */
const NETWORK_FIELDS = ['networks', 'portMappings', 'publishAll', 'expose', 'dns', 'dnsSearch', 'dnsOptions', 'addHosts', 'noHosts'] as const;

/**
 * Pods: a row with the pod's config, an infra container (catatonit from a
 * local image) holding the shared namespaces, and member containers that join
 * them. A pod's state is derived from its containers' each time.
 */
export class LocalPods implements PodsEngine {
  constructor(
    private readonly runtime: Runtime,
    private readonly containers: LocalContainers,
    private readonly images: ImagesEngine,
  ) {}

  private get rt(): ContainerRuntime {
    return this.containers.lifecycle;
  }

  private hasStore(): boolean {
    return this.runtime.store.exists();
  }

  // ---------------------------------------------------------------- create

  async create(opts: PodCreateOptions): Promise<{ id: string; name: string }> {
    const id = randomBytes(32).toString('hex');
    const name = opts.name ?? randomContainerName();
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      throw new InvalidArgumentError(`invalid pod name "${name}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    }
    const infra = opts.infra !== false;
    let share = opts.share ?? DEFAULT_SHARE;
    if (share.includes('none')) share = [];
    for (const ns of share) {
      if (!SHAREABLE.has(ns)) throw new InvalidArgumentError(`invalid kernel namespace to share: ${ns}: use cgroup, ipc, net, pid, uts or none`);
    }
    const network = opts.network ?? {};
    const asksNetwork = network.network !== undefined || NETWORK_FIELDS.some((f) => hasValue(network[f]));
    if (!infra) {
      if (asksNetwork) throw new InvalidArgumentError('cannot set pod networking (--network, -p, --dns, --add-host...) without an infra container: drop --infra=false');
      if (opts.share && share.length > 0) throw new InvalidArgumentError('cannot share namespaces (--share) without an infra container: drop --infra=false');
      share = [];
    } else if (asksNetwork && !share.includes('net')) {
      throw new InvalidArgumentError('pod networking needs the network namespace shared: add net to --share');
    }
    const pod: PodConfig = {
      id,
      name,
      created: nowRfc3339Nano(),
      createCommand: opts.createCommand ?? [],
      labels: opts.labels ?? {},
      hostname: opts.hostname ?? '',
      share,
      shareParent: opts.shareParent !== false,
      cgroupParent: opts.cgroupParent ?? '/libpod_parent',
      exitPolicy: opts.exitPolicy ?? 'continue',
      ...(infra ? { infraNetwork: network } : {}),
    };
    this.rt.pods.insert(pod);
    try {
      if (infra) {
        const conf = this.runtime.containersConf;
        const image = opts.infraImage ?? (await ensureInfraImage(this.images, findCatatonit(conf.engine.helperBinariesDir, conf.containers.initPath)));
        const spec: ContainerSpec = {
          image,
          name: opts.infraName ?? `${id.slice(0, 12)}-infra`,
          pod: id,
          infra: true,
          hostname: opts.hostname || name,
          ...(opts.infraCommand?.length ? { entrypoint: opts.infraCommand, command: [] } : {}),
          ...(share.includes('net') ? network : { network: 'none' }),
          createCommand: opts.createCommand,
          ...(opts.infraConmonPidFile ? { conmonPidFile: opts.infraConmonPidFile } : {}),
        };
        const created = await this.containers.create(spec);
        this.rt.pods.update(id, (p) => ({ ...p, infraId: created.id }));
      }
    } catch (e) {
      this.rt.pods.delete(id);
      throw e;
    }
    recordEvent(this.runtime, { type: 'pod', action: 'create', id, name });
    return { id, name };
  }

  /**
   * A container joining a pod (`--pod NAME`, `--pod new:NAME`): it takes the
   * infra container's namespaces, so its own networking is refused (or, for a
   * new pod, moved to the pod, as Podman does).
   */
  async join(spec: ContainerSpec): Promise<ContainerSpec> {
    let ref = spec.pod!;
    const own = Object.fromEntries(NETWORK_FIELDS.filter((f) => hasValue(spec[f])).map((f) => [f, spec[f]])) as PodCreateOptions['network'];
    if (ref.startsWith('new:')) {
      const created = await this.create({ name: ref.slice(4), network: { ...own, ...(spec.network ? { network: spec.network } : {}) } });
      ref = created.id;
      spec = { ...spec };
      for (const f of NETWORK_FIELDS) delete spec[f];
      delete spec.network;
    }
    const pod = this.rt.pods.require(ref);
    const out: ContainerSpec = { ...spec, pod: pod.id };
    if (pod.infraId && pod.share.includes('net')) {
      if (spec.portMappings?.length || spec.publishAll || spec.expose?.length) {
        throw new InvalidArgumentError(
          'invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod',
        );
      }
      if (spec.network !== undefined || spec.networks !== undefined) {
        throw new InvalidArgumentError('invalid config provided: networks must be defined when the pod is created: network cannot be configured when it is shared with a pod');
      }
      out.network = `container:${pod.infraId}`;
    }
    if (pod.infraId && pod.share.includes('uts') && spec.hostname === undefined) {
      const infra = this.rt.db.get(pod.infraId);
      if (infra) out.hostname = infra.config.hostname;
    }
    return out;
  }

  // ----------------------------------------------------------- lifecycle

  /** The pods named (or all / the latest), each with its containers, infra last. */
  private targets(names: string[], all?: boolean, latest?: boolean): Array<{ name: string; pod?: PodConfig; error?: Error }> {
    if (!this.hasStore()) return all || latest ? [] : names.map((name) => ({ name, error: noSuchPod(name) }));
    if (all) return this.rt.pods.list().map((pod) => ({ name: pod.id, pod }));
    if (latest) {
      const pod = this.rt.pods.latest();
      return pod ? [{ name: pod.id, pod }] : [];
    }
    return names.map((name) => {
      try {
        return { name, pod: this.rt.pods.require(name) };
      } catch (e) {
        return { name, error: e as Error };
      }
    });
  }

  /** The pod's containers, members first (in creation order) and the infra container last. */
  private members(pod: PodConfig): ContainerRecord[] {
    const all = this.rt.db.list().filter((r) => r.config.spec.pod === pod.id);
    return [...all.filter((r) => !r.config.spec.infra), ...all.filter((r) => r.config.spec.infra)];
  }

  private async each(
    names: string[],
    opts: { all?: boolean; latest?: boolean },
    action: (pod: PodConfig, members: ContainerRecord[]) => Promise<Array<{ id: string; error: Error }>>,
    /** The pod event a success records (start, stop, kill, pause, unpause). */
    event?: string,
  ): Promise<PodActionReport[]> {
    const reports: PodActionReport[] = [];
    for (const t of this.targets(names, opts.all, opts.latest)) {
      if (!t.pod) {
        reports.push({ name: t.name, error: t.error });
        continue;
      }
      const errors = await action(t.pod, this.members(t.pod));
      if (event && errors.length === 0) recordEvent(this.runtime, { type: 'pod', action: event, id: t.pod.id, name: t.pod.name });
      reports.push({ name: t.name, id: t.pod.id, ...(errors.length ? { containerErrors: errors } : {}) });
    }
    return reports;
  }

  async start(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodActionReport[]> {
    return this.each(names, opts, async (_pod, members) => {
      // The infra container first: the others join its namespaces.
      const ordered = [...members.filter((r) => r.config.spec.infra), ...members.filter((r) => !r.config.spec.infra)];
      return collect(ordered, (r) => this.rt.start(r.config.id));
    }, 'start');
  }

  async stop(names: string[], opts: { all?: boolean; latest?: boolean; timeout?: number; ignore?: boolean } = {}): Promise<PodActionReport[]> {
    const reports = await this.each(names, opts, async (_pod, members) => {
      const workers = members.filter((r) => !r.config.spec.infra);
      const errors = await collectParallel(workers, (r) => this.rt.stop(r.config.id, opts.timeout));
      return [...errors, ...(await collect(members.filter((r) => r.config.spec.infra), (r) => this.rt.stop(r.config.id, opts.timeout)))];
    }, 'stop');
    return opts.ignore ? reports.filter((r) => !(r.error instanceof NoSuchPodError)) : reports;
  }

  async restart(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodActionReport[]> {
    await this.stop(names, opts);
    return this.start(names, opts);
  }

  async kill(names: string[], opts: { all?: boolean; latest?: boolean; signal?: string } = {}): Promise<PodActionReport[]> {
    const signal = parseSignal(opts.signal ?? 'SIGKILL');
    return this.each(names, opts, async (pod, members) => {
      const running = members.filter((r) => isActive(this.rt.observe(r).state.status));
      if (running.length === 0) throw new ContainerStateError(`no containers in pod ${pod.name} are running: nothing to kill`);
      return collect(running, (r) => this.rt.kill(r.config.id, signal));
    }, 'kill');
  }

  async pause(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodActionReport[]> {
    return this.each(names, opts, async (_pod, members) =>
      collect(members.filter((r) => this.rt.observe(r).state.status === 'running'), (r) => this.rt.pause(r.config.id)),
    'pause');
  }

  async unpause(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodActionReport[]> {
    return this.each(names, opts, async (_pod, members) =>
      collect(members.filter((r) => this.rt.observe(r).state.status === 'paused'), (r) => this.rt.unpause(r.config.id)),
    'unpause');
  }

  async remove(names: string[], opts: { all?: boolean; latest?: boolean; force?: boolean; ignore?: boolean; timeout?: number } = {}): Promise<PodActionReport[]> {
    const reports: PodActionReport[] = [];
    for (const t of this.targets(names, opts.all, opts.latest)) {
      if (!t.pod) {
        if (!(opts.ignore && t.error instanceof NoSuchPodError)) reports.push({ name: t.name, error: t.error });
        continue;
      }
      try {
        await this.removePod(t.pod, opts.force === true, opts.timeout);
        reports.push({ name: t.name, id: t.pod.id });
      } catch (e) {
        reports.push({ name: t.name, id: t.pod.id, error: e as Error });
      }
    }
    return reports;
  }

  private async removePod(pod: PodConfig, force: boolean, timeout?: number): Promise<void> {
    const members = this.members(pod);
    if (!force) {
      const busy = members.find((r) => !r.config.spec.infra && isActive(this.rt.observe(r).state.status));
      if (busy) {
        throw new ContainerStateError(
          `pod ${pod.id} has containers that are not ready to be removed: cannot remove container ${busy.config.id} as it is running - running or paused containers cannot be removed without force: use pod rm -f`,
        );
      }
    }
    for (const r of members) await this.rt.remove(r.config.id, { force: true, timeout: timeout ?? (force ? undefined : 0) });
    this.rt.pods.delete(pod.id);
    recordEvent(this.runtime, { type: 'pod', action: 'remove', id: pod.id, name: pod.name });
  }

  async prune(): Promise<PodActionReport[]> {
    if (!this.hasStore()) return [];
    const reports: PodActionReport[] = [];
    for (const pod of this.rt.pods.list()) {
      if (this.members(pod).some((r) => isActive(this.rt.observe(r).state.status))) continue;
      try {
        await this.removePod(pod, false);
        reports.push({ name: pod.id, id: pod.id });
      } catch (e) {
        reports.push({ name: pod.id, id: pod.id, error: e as Error });
      }
    }
    return reports;
  }

  async exists(name: string): Promise<boolean> {
    return this.hasStore() && this.rt.pods.lookup(name) !== undefined;
  }

  // ------------------------------------------------------------- reports

  private statusOf(members: ContainerRecord[]): string {
    return podStatus(members.map((r) => this.rt.observe(r).state.status));
  }

  private networksOf(pod: PodConfig): string[] {
    if (!pod.infraId) return [];
    const infra = this.rt.db.get(pod.infraId);
    if (!infra || networkMode(infra.config.spec.network).kind !== 'bridge') return [];
    return Object.keys(infra.config.spec.networks ?? {});
  }

  private summary(pod: PodConfig): PodSummary {
    const members = this.members(pod);
    // Podman lists them newest first.
    const listed = [...members].sort((a, b) => Date.parse(b.config.created) - Date.parse(a.config.created));
    return {
      Cgroup: pod.cgroupParent,
      Containers: listed.map((r) => ({ Id: r.config.id, Names: r.config.name, Status: this.rt.observe(r).state.status })),
      Created: pod.created,
      Id: pod.id,
      InfraId: pod.infraId ?? '',
      Name: pod.name,
      Namespace: '',
      Networks: this.networksOf(pod),
      Status: this.statusOf(members),
      Labels: pod.labels,
    };
  }

  async list(opts: { filters?: string[] } = {}): Promise<PodSummary[]> {
    if (!this.hasStore()) return [];
    const list = this.rt.pods.list().map((pod) => this.summary(pod));
    return opts.filters?.length ? filterPods(list, opts.filters) : list;
  }

  async inspect(names: string[], opts: { latest?: boolean } = {}): Promise<Array<Record<string, unknown> | Error>> {
    return this.targets(names, false, opts.latest).map((t) => (t.pod ? this.inspectOne(t.pod) : t.error ?? noSuchPod(t.name)));
  }

  private inspectOne(pod: PodConfig): Record<string, unknown> {
    const members = this.members(pod);
    const listed = [...members].sort((a, b) => Date.parse(b.config.created) - Date.parse(a.config.created));
    const net = pod.infraNetwork ?? {};
    const infra = pod.infraId ? this.rt.db.get(pod.infraId) : undefined;
    const firstNetwork = Object.values(infra?.config.spec.networks ?? {})[0];
    return {
      Id: pod.id,
      Name: pod.name,
      Created: pod.created,
      CreateCommand: pod.createCommand,
      ExitPolicy: pod.exitPolicy,
      State: this.statusOf(members),
      Hostname: pod.hostname,
      Labels: pod.labels,
      CreateCgroup: true,
      CgroupParent: pod.cgroupParent,
      CgroupPath: `${pod.cgroupParent}/${pod.id}`,
      CreateInfra: pod.infraId !== undefined,
      ...(pod.infraId ? { InfraContainerID: pod.infraId } : {}),
      ...(infra
        ? {
            InfraConfig: {
              PortBindings: Object.fromEntries(Object.entries(inspectPortBindings(infra.config.spec.portMappings ?? [])).filter(([, v]) => v !== null)),
              HostNetwork: infra.config.spec.network === 'host',
              StaticIP: firstNetwork?.ips?.[0] ?? '',
              StaticMAC: firstNetwork?.mac ?? '',
              NoManageResolvConf: false,
              DNSServer: net.dns ?? null,
              DNSSearch: net.dnsSearch ?? null,
              DNSOption: net.dnsOptions ?? null,
              NoManageHosts: net.noHosts === true,
              HostAdd: net.addHosts ?? null,
              Networks: this.networksOf(pod),
              NetworkOptions: null,
              pid_ns: pod.share.includes('pid') ? 'pod' : 'private',
              userns: 'host',
              uts_ns: 'private',
            },
          }
        : {}),
      SharedNamespaces: [...pod.share].sort(),
      NumContainers: members.length,
      Containers: listed.map((r) => ({ Id: r.config.id, Name: r.config.name, State: this.rt.observe(r).state.status })),
    };
  }

  async top(name: string, descriptors: string[], opts: { latest?: boolean } = {}): Promise<string[][]> {
    const [t] = this.targets([name], false, opts.latest);
    if (!t?.pod) throw t?.error ?? noSuchPod(name);
    const running = this.members(t.pod).filter((r) => isActive(this.rt.observe(r).state.status));
    if (running.length === 0) throw new ContainerStateError(`pod ${t.pod.name} has no running containers: start it first`);
    const rows: string[][] = [];
    for (const r of running) {
      const table = await this.containers.top(r.config.id, descriptors);
      if (rows.length === 0) rows.push(table[0] ?? []);
      rows.push(...table.slice(1));
    }
    return rows;
  }

  async stats(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<PodStatsEntry[]> {
    const entries: PodStatsEntry[] = [];
    const targets = names.length === 0 && !opts.latest ? this.targets([], true) : this.targets(names, opts.all, opts.latest);
    for (const t of targets) {
      if (!t.pod) throw t.error ?? noSuchPod(t.name);
      for (const r of this.members(t.pod)) {
        const state = this.rt.observe(r).state;
        if (!isActive(state.status)) continue;
        entries.push(containerStats(t.pod.id, r, state.pid, state.startedAt));
      }
    }
    return entries;
  }

  async logs(name: string, opts: ContainerLogsOptions & { container?: string }, out: { stdout: Writable; stderr: Writable }): Promise<void> {
    const pod = this.rt.pods.require(name);
    const members = this.members(pod).filter((r) => !r.config.spec.infra);
    let ids = members.map((r) => r.config.id);
    if (opts.container) {
      const wanted = this.rt.db.require(opts.container);
      if (wanted.config.spec.pod !== pod.id) throw new InvalidArgumentError(`container ${opts.container} is not in pod ${pod.name}: name one of its containers`);
      ids = [wanted.config.id];
    }
    if (ids.length === 0) return;
    await this.containers.logs(ids, { ...opts, names: opts.names ?? ids.length > 1 }, out);
  }
}

// ------------------------------------------------------------------ helpers

function hasValue(v: unknown): boolean {
  if (v === undefined || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
  return true;
}

function noSuchPod(name: string): NoSuchPodError {
  return new NoSuchPodError(`no pod with name or ID ${name} found: no such pod`);
}

function isActive(status: string): boolean {
  return status === 'running' || status === 'paused' || status === 'initialized';
}

/** A pod's status from its containers', as Podman derives it. */
export function podStatus(statuses: string[]): string {
  const n = statuses.length;
  if (n === 0) return 'Created';
  const count = (...names: string[]) => statuses.filter((s) => names.includes(s)).length;
  const running = count('running');
  if (running > 0) return running === n ? 'Running' : 'Degraded';
  if (count('paused') === n) return 'Paused';
  if (count('exited', 'stopped') === n) return 'Exited';
  if (count('created', 'initialized') === n) return 'Created';
  return 'Degraded';
}

async function collect(records: ContainerRecord[], action: (r: ContainerRecord) => unknown): Promise<Array<{ id: string; error: Error }>> {
  const errors: Array<{ id: string; error: Error }> = [];
  for (const r of records) {
    try {
      await action(r);
    } catch (e) {
      errors.push({ id: r.config.id, error: e as Error });
    }
  }
  return errors;
}

async function collectParallel(records: ContainerRecord[], action: (r: ContainerRecord) => Promise<unknown>): Promise<Array<{ id: string; error: Error }>> {
  const results = await Promise.allSettled(records.map((r) => action(r)));
  return results.flatMap((res, i) => (res.status === 'rejected' ? [{ id: records[i]!.config.id, error: res.reason as Error }] : []));
}

/** One container's line of `pod stats`, from its cgroup (v1 or v2) and its network namespace's counters. */
function containerStats(podId: string, record: ContainerRecord, pid: number, startedAt: string): PodStatsEntry {
  const sample = readContainerSample(pid);
  const elapsedNanos = Math.max(1, (Date.now() - Date.parse(startedAt)) * 1e6);
  const { memUsage: usage, memLimit: limit } = sample;
  return {
    Pod: podId.slice(0, 12),
    CID: record.config.id.slice(0, 12),
    Name: record.config.name,
    CPU: `${((sample.cpuNanos / elapsedNanos) * 100).toFixed(2)}%`,
    MemUsage: `${size(usage)} / ${size(limit)}`,
    MemUsageBytes: `${size(usage)} / ${size(limit)}`,
    Mem: `${((usage / limit) * 100).toFixed(2)}%`,
    NetIO: `${size(sample.netRx)} / ${size(sample.netTx)}`,
    BlockIO: `${size(sample.blockRead)} / ${size(sample.blockWrite)}`,
    PIDS: String(sample.pids),
  };
}

/** Podman's stats sizes: go-units with 3 significant digits ("1.23MB"). */
function size(bytes: number): string {
  return humanSizeWithPrecision(bytes, 3);
}
