import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { findConmon } from '../oci/conmon.js';
import { networkMode } from './containerNetwork.js';
import type { NetworkUsers } from './networks.js';
import type { NetworkConfig } from '../network/types.js';
import { exposedFromImage } from '../network/ports.js';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Runtime } from '../runtime.js';
import type {
  AttachResult,
  AttachStreams,
  ContainerActionReport,
  ContainerCommitOptions,
  ContainerCopyOptions,
  ContainerListOptions,
  ContainerLogsOptions,
  ContainerPathStat,
  CheckpointOptions,
  ContainerRemoveOptions,
  RestoreOptions,
  ContainersEngine,
  ContainerSummary,
  ExecOptions,
  FileChange,
} from '../types.js';
import { BUILD_CONTAINER_LABEL } from '../types.js';
import type { ContainerSpec } from '../spec/containerSpec.js';
import type { ContainerRecord, ContainerState } from './containerRecord.js';
import { ContainerRuntime, OWNER_FILE, parseSignal, readExitFile, type ExitedIds } from './containerRuntime.js';
import { AttachSocket, resizeTerminal, STREAM_STDERR } from '../oci/attach.js';
import { resolveUser } from './containerFiles.js';
import { containerInspect } from './containerInspect.js';
import { filterContainers } from './containerFilters.js';
import { goTimeString, unixSeconds } from '../../util/time.js';
import { trace } from '../../util/trace.js';
import { humanDuration } from '../../util/units.js';
import { healthConfigOf, healthSuffix, inspectHealth, runHealthcheck, type HealthStatus } from './health.js';
import { ContainerStateError, InvalidArgumentError, NoSuchContainerError, TspodError } from '../../util/errors.js';
import { containerEvent } from './events.js';
import { treeBytes } from '../../util/diskUsage.js';
import { waitDrain } from '../../util/drain.js';

/** The containers group of the local engine: name resolution and reports around ContainerRuntime. */
export class LocalContainers implements ContainersEngine {
  private lifecycleInstance: ContainerRuntime | undefined;
  /** Set by the engine: turns `--pod NAME|new:NAME` into the pod's id and namespaces. */
  joinPod: ((spec: ContainerSpec) => Promise<ContainerSpec>) | undefined;

  constructor(private readonly runtime: Runtime) {}

  get lifecycle(): ContainerRuntime {
    this.lifecycleInstance ??= new ContainerRuntime(this.runtime);
    return this.lifecycleInstance;
  }

  private get rt(): ContainerRuntime {
    return this.lifecycle;
  }

  private hasStore(): boolean {
    return this.runtime.store.exists();
  }

  /** Runs `action` per name (or per container with `all`), collecting errors instead of stopping. */
  private async each(
    names: string[],
    all: boolean | undefined,
    action: (record: ContainerRecord) => Promise<void> | void,
    select: (record: ContainerRecord) => boolean = () => true,
  ): Promise<ContainerActionReport[]> {
    const reports: ContainerActionReport[] = [];
    const targets: Array<{ name: string; record?: ContainerRecord; error?: Error }> = [];
    if (all) {
      if (this.hasStore()) for (const record of this.rt.db.list()) if (select(record)) targets.push({ name: record.config.id, record });
    } else {
      for (const name of names) {
        try {
          targets.push({ name, record: this.rt.db.require(name) });
        } catch (e) {
          targets.push({ name, error: e as Error });
        }
      }
    }
    for (const t of targets) {
      if (t.error || !t.record) {
        reports.push({ name: t.name, error: t.error });
        continue;
      }
      try {
        await action(t.record);
        reports.push({ name: t.name, id: t.record.config.id });
      } catch (e) {
        reports.push({ name: t.name, id: t.record.config.id, error: e as Error });
      }
    }
    return reports;
  }

  /** A container sharing another's network (a pod member) shows that one's published ports, as Podman does. */
  private publishedPorts(config: ContainerRecord['config']): ContainerSummary['Ports'] {
    const mode = networkMode(config.spec.network);
    const owner = mode.kind === 'container' ? this.rt.db.get(mode.target)?.config : config;
    const ports = owner?.spec.portMappings ?? [];
    return ports.length ? ports : null;
  }

  /** After `network rm`/`prune`: the network's bridge and rules go once no container holds them. */
  async releaseBridge(network: NetworkConfig): Promise<void> {
    await this.rt.net.releaseBridge(network);
  }

  /** What `network rm/connect/disconnect/reload` need of the containers. */
  networkUsers(): NetworkUsers {
    return {
      containersUsing: async (network) =>
        this.hasStore()
          ? this.rt.db
              .list()
              .filter((r) => networkMode(r.config.spec.network).kind === 'bridge' && (r.config.spec.networks ?? {})[network] !== undefined)
              .map((r) => ({ id: r.config.id, name: r.config.name }))
          : [],
      removeContainers: async (ids, opts) => {
        for (const id of ids) await this.rt.remove(id, { force: opts.force, timeout: opts.timeout });
      },
      connect: async (network, container, opts) => {
        this.requireStore(container);
        const record = this.rt.db.require(container);
        await this.rt.connectNetwork(record.config.id, network, {
          ...(opts.ips?.length ? { ips: opts.ips } : {}),
          ...(opts.mac ? { mac: opts.mac } : {}),
          ...(opts.aliases?.length ? { aliases: opts.aliases } : {}),
        });
      },
      disconnect: async (network, container) => {
        this.requireStore(container);
        const record = this.rt.db.require(container);
        await this.rt.disconnectNetwork(record.config.id, network);
      },
      reload: async (containers, opts) =>
        this.each(containers, opts.all, async (record) => {
          await this.rt.reloadNetwork(record.config.id);
        }, (record) => networkMode(record.config.spec.network).kind === 'bridge'),
    };
  }

  private requireStore(name: string): void {
    if (!this.hasStore()) throw new NoSuchContainerError(`no container with name or ID "${name}" found: no such container`);
  }

  // ---------------------------------------------------------------- create

  async create(spec: ContainerSpec): Promise<{ id: string; name: string; warnings: string[] }> {
    const warnings: string[] = [];
    if (spec.pod && !spec.infra) {
      if (!this.joinPod) throw new InvalidArgumentError('pods are not available here: run without --pod');
      spec = await this.joinPod(spec);
    }
    const record = await this.rt.create(spec, warnings);
    return { id: record.config.id, name: record.config.name, warnings };
  }

  async start(names: string[], opts: { all?: boolean; filters?: string[] } = {}): Promise<ContainerActionReport[]> {
    if (opts.filters?.length) {
      // podman's `start --filter` (boot-time `start --all --filter restart-policy=always`): the matching ones among all or the named.
      const matching = (await this.list({ all: true, filters: opts.filters })).map((c) => c.Id);
      if (names.length === 0 || opts.all) names = matching;
      else names = names.filter((n) => matching.includes(this.rt.db.lookup(n)?.config.id ?? ''));
      opts = { all: false };
    }
    return this.each(names, opts.all, async (record) => {
      await this.rt.start(record.config.id);
    });
  }

  async init(names: string[], opts: { all?: boolean } = {}): Promise<ContainerActionReport[]> {
    return this.each(names, opts.all, async (record) => {
      await this.rt.init(record.config.id);
    });
  }

  async startAttached(nameOrId: string, streams: AttachStreams): Promise<AttachResult> {
    this.requireStore(nameOrId);
    const record = this.rt.db.require(nameOrId);
    if (record.config.logDriver === 'passthrough') {
      // conmon handed this process's stdio to the container: there is nothing to attach to.
      await this.rt.start(record.config.id, (created) => {
        writeFileSync(join(this.rt.bundleDir(created.config.id), OWNER_FILE), String(process.pid));
      });
      streams.onStarted?.();
      return this.finishPassthrough(record.config.id, streams);
    }
    let session: AttachSession | undefined;
    await this.rt.start(
      record.config.id,
      (created) => {
        writeFileSync(join(this.rt.bundleDir(created.config.id), OWNER_FILE), String(process.pid));
        session = this.openAttach(created, streams);
        containerEvent(this.runtime, created, 'attach');
      },
      streams.terminal?.size(),
    );
    streams.onStarted?.();
    return this.finishAttach(record.config.id, session!, streams);
  }

  async attach(nameOrId: string, streams: AttachStreams): Promise<AttachResult> {
    this.requireStore(nameOrId);
    const found = this.rt.db.require(nameOrId);
    const record = this.rt.observe(found).state.status === 'running' ? found : undefined;
    if (!record) throw new ContainerStateError(`you can only attach to running containers: container state improper`);
    const session = this.openAttach(record, streams);
    containerEvent(this.runtime, record, 'attach');
    return this.finishAttach(record.config.id, session, streams);
  }

  private openAttach(record: ContainerRecord, streams: AttachStreams): AttachSession {
    const bundle = this.rt.bundleDir(record.config.id);
    const socket = AttachSocket.connect(join(bundle, 'attach'), (stream, data) => {
      (stream === STREAM_STDERR ? streams.stderr : streams.stdout).write(data);
    });
    return new AttachSession(socket, record, bundle, streams);
  }

  private async finishPassthrough(id: string, streams: AttachStreams): Promise<AttachResult> {
    const record = this.rt.db.get(id)!;
    const stopProxy = streams.sigProxy ? proxySignals(this.rt, record) : () => {};
    try {
      await this.rt.waitForExit(record);
      const code = exitCodeFromFile(this.rt.exitFile(id));
      await this.rt.cleanup(id);
      return { detached: false, exitCode: code ?? this.rt.db.get(id)?.state.exitCode ?? 0 };
    } finally {
      stopProxy();
    }
  }

  private async finishAttach(id: string, session: AttachSession, streams: AttachStreams): Promise<AttachResult> {
    const record = this.rt.db.get(id)!;
    const stopProxy = streams.sigProxy ? proxySignals(this.rt, record) : () => {};
    try {
      const outcome = await session.run();
      if (outcome === 'detached') {
        rmSync(join(this.rt.bundleDir(id), OWNER_FILE), { force: true });
        return { detached: true };
      }
      await this.rt.waitForExit(record);
      trace('exited');
      const code = exitCodeFromFile(this.rt.exitFile(id));
      // A wait in this process (the API service's) may find the container removed by the cleanup.
      if (code !== undefined) rememberExit(id, code);
      await drain(streams.stdout);
      await this.rt.cleanup(id);
      trace('cleaned up');
      const after = this.rt.db.get(id);
      return { detached: false, exitCode: code ?? after?.state.exitCode ?? lastExit.get(id) ?? 0 };
    } finally {
      stopProxy();
    }
  }

  // ------------------------------------------------------------- stop etc.

  async stop(names: string[], opts: { timeout?: number; all?: boolean; ignore?: boolean; signal?: string } = {}): Promise<ContainerActionReport[]> {
    if (!this.hasStore() && (opts.all || opts.ignore)) return [];
    const signal = opts.signal ? parseSignal(opts.signal) : undefined;
    const reports = await this.each(names, opts.all, async (record) => {
      await this.rt.stop(record.config.id, opts.timeout, signal);
      // As Podman's stop does: a --rm container is gone when stop returns, not when conmon's cleanup gets to it.
      if (record.config.spec.remove && this.rt.db.get(record.config.id)) await this.rt.cleanup(record.config.id);
    }, (r) => isActive(this.rt.observe(r).state.status));
    return opts.ignore ? reports.filter((r) => !(r.error instanceof NoSuchContainerError)) : reports;
  }

  async restart(names: string[], opts: { timeout?: number; all?: boolean; running?: boolean; signal?: string } = {}): Promise<ContainerActionReport[]> {
    const signal = opts.signal ? parseSignal(opts.signal) : undefined;
    return this.each(
      names,
      opts.all,
      async (record) => {
        await this.rt.stop(record.config.id, opts.timeout, signal);
        await this.rt.start(record.config.id);
        containerEvent(this.runtime, record, 'restart');
      },
      (r) => !opts.running || isActive(this.rt.observe(r).state.status),
    );
  }

  async kill(names: string[], opts: { signal?: string; all?: boolean } = {}): Promise<ContainerActionReport[]> {
    const signal = parseSignal(opts.signal ?? 'SIGKILL');
    return this.each(names, opts.all, async (record) => {
      await this.rt.kill(record.config.id, signal);
    }, (r) => isActive(this.rt.observe(r).state.status));
  }

  async pause(names: string[], opts: { all?: boolean } = {}): Promise<ContainerActionReport[]> {
    return this.each(names, opts.all, async (record) => {
      await this.rt.pause(record.config.id);
    }, (r) => this.rt.observe(r).state.status === 'running');
  }

  async unpause(names: string[], opts: { all?: boolean } = {}): Promise<ContainerActionReport[]> {
    return this.each(names, opts.all, async (record) => {
      await this.rt.unpause(record.config.id);
    }, (r) => this.rt.observe(r).state.status === 'paused');
  }

  async remove(names: string[], opts: ContainerRemoveOptions = {}): Promise<ContainerActionReport[]> {
    if (!this.hasStore()) {
      return opts.all || opts.ignore ? [] : names.map((name) => ({ name, error: new NoSuchContainerError(`no container with name or ID "${name}" found: no such container`) }));
    }
    const reports = await this.each(names, opts.all, async (record) => {
      if (record.config.spec.infra && record.config.spec.pod) {
        const pod = this.rt.pods.get(record.config.spec.pod);
        throw new ContainerStateError(
          `container ${record.config.id} is the infra container of pod ${pod?.id ?? record.config.spec.pod} and cannot be removed without removing the pod: use pod rm`,
        );
      }
      await this.rt.remove(record.config.id, { force: opts.force, timeout: opts.timeout, volumes: opts.volumes });
    });
    return opts.ignore ? reports.filter((r) => !(r.error instanceof NoSuchContainerError)) : reports;
  }

  private async checkpoints(): Promise<import('./containerCheckpoint.js').ContainerCheckpoints> {
    const { ContainerCheckpoints } = await import('./containerCheckpoint.js');
    return new ContainerCheckpoints(this.rt, (spec) => this.create(spec));
  }

  async checkpoint(names: string[], opts: CheckpointOptions & { all?: boolean }): Promise<ContainerActionReport[]> {
    const checkpoints = await this.checkpoints();
    return this.each(names, opts.all, (record) => checkpoints.checkpoint(record.config.id, opts), (r) => this.rt.observe(r).state.status === 'running');
  }

  async restore(names: string[], opts: RestoreOptions & { all?: boolean; import?: string; name?: string }): Promise<ContainerActionReport[]> {
    const checkpoints = await this.checkpoints();
    if (opts.import) {
      const id = await checkpoints.importAndRestore(opts.import, opts);
      return [{ name: id, id }];
    }
    return this.each(names, opts.all, (record) => checkpoints.restore(record.config.id, opts), (r) => r.state.checkpointed === true);
  }

  /** For `info`: how many containers there are, by state. */
  async counts(): Promise<{ number: number; paused: number; running: number; stopped: number }> {
    const all = await this.list({ all: true });
    const running = all.filter((c) => c.State === 'running').length;
    const paused = all.filter((c) => c.State === 'paused').length;
    return { number: all.length, paused, running, stopped: all.length - running - paused };
  }

  /** rmi --force: every container of the image goes first. */
  async removeUsingImage(imageId: string): Promise<void> {
    for (const { id } of this.runtime.store.containersUsingImage(imageId)) await this.rt.remove(id, { force: true, timeout: 0 });
  }

  async cleanup(names: string[], opts: { remove?: boolean } = {}): Promise<ContainerActionReport[]> {
    const reports: ContainerActionReport[] = [];
    if (!this.hasStore()) return reports;
    for (const name of names) {
      const record = this.rt.db.lookup(name);
      if (!record) continue;
      const exit = exitCodeFromFile(this.rt.exitFile(record.config.id));
      if (exit !== undefined) rememberExit(record.config.id, exit);
      try {
        await this.rt.cleanup(record.config.id, opts.remove);
        reports.push({ name, id: record.config.id });
      } catch (e) {
        reports.push({ name, id: record.config.id, error: e as Error });
      }
    }
    return reports;
  }

  // ----------------------------------------------------------------- read

  async list(opts: ContainerListOptions): Promise<ContainerSummary[]> {
    if (!this.hasStore()) return [];
    const records = this.rt.db.listShared().filter((r) => opts.external || r.config.spec.labels?.[BUILD_CONTAINER_LABEL] === undefined);
    // Filters see every container (before=/since= may name a stopped one); then podman's cuts.
    const exits = records.length > 1 ? this.rt.exitedIds() : undefined;
    let summaries = records.map((r) => this.summary(r, opts.size === true, exits));
    if (opts.filters?.length) {
      const policies = new Map(records.map((r) => [r.config.id, r.config.spec.restartPolicy ?? 'no']));
      summaries = filterContainers(summaries, opts.filters, new Date(), this.mountSources(records), (id) => policies.get(id) ?? 'no');
    }
    if (!opts.all && !opts.last) summaries = summaries.filter((s) => s.State === 'running');
    if (opts.last !== undefined && opts.last > 0) summaries = summaries.slice(-opts.last);
    return summaries;
  }

  /** For `ps --filter volume=`: each container's mounts as its config has them. */
  private mountSources(records: ContainerRecord[]): (id: string) => NonNullable<ContainerSpec['mounts']> {
    const byId = new Map(records.map((r) => [r.config.id, r.config.spec.mounts ?? []]));
    return (id) => byId.get(id) ?? [];
  }

  private summary(record: ContainerRecord, withSize: boolean, exits?: ExitedIds): ContainerSummary {
    const { config } = record;
    const state = this.rt.observe(record, exits).state;
    return {
      AutoRemove: config.spec.remove === true,
      // As Podman lists it: the command (the image's CMD or the user's), not the entrypoint.
      Command: config.process.command.length ? config.process.command : null,
      Created: createdTimes(config.created).seconds,
      CreatedAt: createdTimes(config.created).text,
      Exited: state.status === 'exited' || state.status === 'stopped',
      ExitedAt: state.finishedAt ? unixSeconds(state.finishedAt) : -62135596800,
      ExitCode: state.exitCode,
      Id: config.id,
      Image: config.imageName,
      ImageID: config.imageId,
      IsInfra: config.spec.infra === true,
      Labels: config.spec.labels && Object.keys(config.spec.labels).length ? { ...config.spec.labels } : null,
      Mounts: (config.spec.mounts ?? []).map((m) => m.destination),
      Names: [config.name],
      Namespaces: {},
      Networks: networkMode(config.spec.network).kind === 'bridge' ? Object.keys(config.spec.networks ?? {}) : [],
      Pid: state.pid,
      Pod: config.spec.pod ?? '',
      PodName: config.spec.pod ? (this.rt.pods.get(config.spec.pod)?.name ?? '') : '',
      Ports: this.publishedPorts(config),
      Size: withSize ? this.sizes(record) : null,
      StartedAt: state.startedAt ? unixSeconds(state.startedAt) : -62135596800,
      State: state.status,
      Status: humanStatus(state.status, state.exitCode, state.startedAt, state.finishedAt) + healthSuffix(this.rt, record, state.status),
    };
  }

  private sizes(record: ContainerRecord): { rootFsSize: number; rwSize: number } {
    const rw = treeBytes(this.rt.layers.upperDir(record.config.id));
    const image = this.runtime.store.getImage(record.config.imageId);
    return { rootFsSize: (image?.size ?? 0) + rw, rwSize: rw };
  }

  async inspect(names: string[], opts: { size?: boolean } = {}): Promise<Array<Record<string, unknown> | Error>> {
    const storeExists = names.length > 0 && this.hasStore();
    const sharedById = storeExists ? this.rt.db.sharedById() : undefined;
    const exits = storeExists && names.length > 1 ? this.rt.exitedIds() : undefined;
    return names.map((name) => {
      try {
        if (!storeExists) throw new NoSuchContainerError(`no container with name or ID "${name}" found: no such container`);
        const shared = sharedById!.get(name);
        const record = shared ?? this.rt.db.require(name);
        const state = this.rt.observe(record, exits).state;
        // A container changes only through the database, which gives a new shared record, except
        // for what observe() finds (an exit: a new state object) and a health log: its report is
        // kept with the record (the API's lists inspect every container).
        const cacheable = shared !== undefined && !opts.size && (!isActive(state.status) || (state === shared.state && !healthConfigOf(shared)));
        const cached = cacheable ? this.restingReports.get(shared) : undefined;
        if (cached) return cached;
        const report = this.inspectRecord(record, state, opts);
        if (cacheable) this.restingReports.set(shared, report);
        return report;
      } catch (e) {
        return e as Error;
      }
    });
  }

  private readonly restingReports = new WeakMap<ContainerRecord, Record<string, unknown>>();

  private inspectRecord(record: ContainerRecord, state: ContainerState, opts: { size?: boolean }): Record<string, unknown> {
    const image = this.runtime.store.getImage(record.config.imageId);
    let ociSpec: Record<string, unknown> | undefined;
    try {
      ociSpec = JSON.parse(readFileSync(join(this.rt.bundleDir(record.config.id), 'config.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      ociSpec = undefined;
    }
    return containerInspect({
      record: { config: record.config, state },
      imageDigest: image?.manifestDigest ?? '',
      graphRoot: this.runtime.store.options.graphRoot,
      driver: this.runtime.store.driver,
      upperDir: this.rt.layers.upperDir(record.config.id),
      workDir: join(this.rt.layers.dir(record.config.id), 'work'),
      mergedDir: this.rt.layers.mergedDir(record.config.id),
      lowerDirs: image ? this.runtime.store.layerChain(image.topLayer).reverse().map((l) => this.runtime.store.layerDiffDir(l.id)) : [],
      userdata: this.rt.layers.userdata(record.config.id),
      bundle: this.rt.bundleDir(record.config.id),
      conmonPidFile: join(this.rt.bundleDir(record.config.id), 'conmon.pid'),
      ociSpec,
      sizes: opts.size ? this.sizes(record) : undefined,
      cgroupManager: this.runtime.cgroupManager,
      pidsLimit: this.runtime.containersConf.containers.pidsLimit,
      imageExposed: exposedFromImage(image ? imageExposedPorts(image.config) : undefined),
      defaultNetwork: this.runtime.containersConf.network.defaultNetwork,
      health: inspectHealth(this.rt, record),
    });
  }

  /** `healthcheck run`: one check now, recorded like the timer's. */
  async healthcheck(nameOrId: string): Promise<HealthStatus> {
    this.requireStore(nameOrId);
    const record = this.rt.db.require(nameOrId);
    return runHealthcheck(this.rt, (n, o, s) => this.exec(n, o, s), record);
  }

  async exists(nameOrId: string): Promise<boolean> {
    if (!this.hasStore()) return false;
    return this.rt.db.lookup(nameOrId) !== undefined;
  }

  async logs(names: string[], opts: ContainerLogsOptions, out: { stdout: Writable; stderr: Writable }): Promise<void> {
    const { readK8sLog, formatLogEntry } = await import('../logs/k8sFile.js');
    const records = names.map((n) => {
      this.requireStore(n);
      return this.rt.db.require(n);
    });
    await Promise.all(
      records.map(async (record) => {
        if (record.config.logDriver !== 'k8s-file') {
          throw new TspodError(`this container is using the "${record.config.logDriver}" log driver, cannot read back logs: only k8s-file logs can be read`);
        }
        const running = isActive(this.rt.observe(record).state.status);
        const stopped = opts.follow && running ? this.rt.waitForExit(record, undefined, opts.signal).then(() => undefined) : Promise.resolve();
        for await (const entry of readK8sLog(record.config.logPath, { since: opts.since, until: opts.until, tail: opts.tail, follow: opts.follow && running, stopped })) {
          if (opts.signal?.aborted) break;
          const text = formatLogEntry(entry, { timestamps: opts.timestamps, prefix: opts.names ? `${record.config.id.slice(0, 12)}` : undefined });
          const target = entry.stream === 'stderr' ? out.stderr : out.stdout;
          // A slow reader (an API client) holds the reading back rather than the whole log piling up here.
          if (!target.write(text)) await drain(target);
        }
      }),
    );
  }

  async wait(names: string[], opts: { conditions?: string[]; ignore?: boolean; signal?: AbortSignal } = {}): Promise<Array<ContainerActionReport & { exitCode?: number }>> {
    const conditions = (opts.conditions?.length ? opts.conditions : ['stopped']).map(normalizeCondition);
    const reports: Array<ContainerActionReport & { exitCode?: number }> = [];
    await Promise.all(
      names.map(async (name) => {
        try {
          this.requireStore(name);
          const record = this.rt.db.require(name);
          const id = record.config.id;
          for (;;) {
            if (opts.signal?.aborted) throw new TspodError('the wait was given up');
            const current = this.rt.db.get(id);
            if (!current) {
              reports.push({ name, id, exitCode: lastExit.get(id) ?? exitCodeFromFile(this.rt.exitFile(id)) ?? -1 });
              return;
            }
            const state = this.rt.observe(current).state;
            if (conditions.includes(waitStatus(state.status))) {
              reports.push({ name, id, exitCode: state.exitCode });
              return;
            }
            if (isActive(state.status)) await this.rt.waitForExit(current, 1000, opts.signal);
            else await delay(100);
          }
        } catch (e) {
          if (opts.ignore && e instanceof NoSuchContainerError) return;
          reports.push({ name, error: e as Error });
        }
      }),
    );
    return names.flatMap((n) => reports.filter((r) => r.name === n));
  }

  async exec(nameOrId: string, opts: ExecOptions, streams: AttachStreams): Promise<number> {
    this.requireStore(nameOrId);
    const record = this.rt.db.require(nameOrId);
    const state = this.rt.observe(record).state;
    if (state.status !== 'running') {
      throw new ContainerStateError('can only create exec sessions on running containers: container state improper', { exitCode: 255 });
    }
    const { config } = record;
    const ociSpec = JSON.parse(readFileSync(join(this.rt.bundleDir(config.id), 'config.json'), 'utf8')) as {
      process: { env: string[]; user: { uid: number; gid: number }; capabilities?: unknown; rlimits?: unknown; cwd: string; apparmorProfile?: string; noNewPrivileges?: boolean };
    };
    const user = opts.user !== undefined ? resolveUser(state.mountPoint || this.rt.layers.mergedDir(config.id), opts.user) : undefined;
    const env = [...ociSpec.process.env];
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      const i = env.findIndex((e) => e.startsWith(`${k}=`));
      if (i >= 0) env[i] = `${k}=${v}`;
      else env.push(`${k}=${v}`);
    }
    if (opts.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
    const size = opts.tty ? streams.terminal?.size() : undefined;
    const processSpec = {
      terminal: opts.tty === true,
      // The runtime makes the pty this size: nothing in the process sees it unsized.
      ...(size ? { consoleSize: { height: size.rows, width: size.columns } } : {}),
      user: user ? { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } : ociSpec.process.user,
      args: opts.command,
      env,
      cwd: opts.workingDir ?? ociSpec.process.cwd,
      capabilities: ociSpec.process.capabilities,
      rlimits: ociSpec.process.rlimits,
      ...(ociSpec.process.noNewPrivileges ? { noNewPrivileges: true } : {}),
    };
    const execDir = join(this.rt.bundleDir(config.id), 'exec');
    mkdirSync(execDir, { recursive: true });
    const processPath = join(execDir, `${process.pid}-${Date.now()}.json`);
    writeFileSync(processPath, JSON.stringify(processSpec));
    try {
      const oci = this.rt.ociFor(config);
      containerEvent(this.runtime, record, 'exec');
      let code: number;
      if (opts.tty && !opts.detach && streams.stdout !== process.stdout) {
        // No terminal of this process's own to hand the runtime (the API service): conmon makes the pty.
        const { execWithConmon } = await import('../oci/conmonExec.js');
        const sessionId = randomBytes(6).toString('hex');
        code = await execWithConmon(
          {
            conmonPath: findConmon(this.runtime.containersConf.engine.conmonPath, this.runtime.globals.conmon),
            runtime: oci,
            containerId: config.id,
            containerName: config.name,
            sessionDir: join(execDir, sessionId),
            sessionId,
            processPath,
            tty: true,
            interactive: opts.interactive === true,
          },
          streams,
        );
      } else {
        const { execInContainer } = await import('../oci/exec.js');
        code = await execInContainer(oci, config.id, processPath, { tty: opts.tty === true, detach: opts.detach === true, interactive: opts.interactive === true }, streams);
      }
      if (!opts.detach) containerEvent(this.runtime, record, 'exec_died', { execExitCode: String(code) });
      return code;
    } finally {
      rmSync(processPath, { force: true });
    }
  }

  async top(nameOrId: string, descriptors: string[]): Promise<string[][]> {
    this.requireStore(nameOrId);
    const record = this.rt.db.require(nameOrId);
    const state = this.rt.observe(record).state;
    if (state.status !== 'running' && state.status !== 'paused') {
      throw new ContainerStateError(`top can only be used on running containers: container state improper`);
    }
    const { containerTop } = await import('./containerTop.js');
    return containerTop(state.pid, descriptors);
  }

  async stats(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<import('./containerStats.js').ContainerStatsReport[]> {
    const { collectStats } = await import('./containerStats.js');
    return collectStats(this.rt, this.hasStore() ? this.rt.db.list() : [], names, opts);
  }

  async rename(nameOrId: string, newName: string): Promise<void> {
    this.requireStore(nameOrId);
    const record = this.rt.db.require(nameOrId);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(newName)) {
      throw new TspodError(`invalid container name "${newName}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    }
    this.rt.db.rename(record.config.id, newName);
    containerEvent(this.runtime, { config: { ...record.config, name: newName } }, 'rename');
  }

  async prune(opts: { filters?: string[] } = {}): Promise<Array<{ id: string; size: number; error?: Error }>> {
    if (!this.hasStore()) return [];
    const records = this.rt.db.list();
    let summaries = records.map((r) => this.summary(r, false));
    summaries = summaries.filter((s) => s.State === 'exited' || s.State === 'created' || s.State === 'stopped');
    if (opts.filters?.length) summaries = filterContainers(summaries, opts.filters, new Date(), this.mountSources(records));
    const results: Array<{ id: string; size: number; error?: Error }> = [];
    for (const s of summaries) {
      const size = treeBytes(this.rt.layers.upperDir(s.Id));
      try {
        await this.rt.remove(s.Id, {});
        results.push({ id: s.Id, size });
      } catch (e) {
        results.push({ id: s.Id, size, error: e as Error });
      }
    }
    return results;
  }

  // ------------------------------------------------ files (containerFileOps.ts)

  async copyFrom(nameOrId: string, path: string, destination: { hostPath: string } | { stream: NodeJS.WritableStream }, opts: ContainerCopyOptions = {}): Promise<void> {
    this.requireStore(nameOrId);
    return (await import('./containerFileOps.js')).copyFrom(this.rt, nameOrId, path, destination, opts);
  }

  async copyTo(nameOrId: string, path: string, source: { hostPath: string } | { stream: Readable }, opts: ContainerCopyOptions = {}): Promise<void> {
    this.requireStore(nameOrId);
    return (await import('./containerFileOps.js')).copyTo(this.rt, nameOrId, path, source, opts);
  }

  async stat(nameOrId: string, path: string): Promise<ContainerPathStat> {
    this.requireStore(nameOrId);
    return (await import('./containerFileOps.js')).statPath(this.rt, nameOrId, path);
  }

  async commit(nameOrId: string, opts: ContainerCommitOptions): Promise<{ id: string; layers: string[] }> {
    this.requireStore(nameOrId);
    return (await import('./containerCommit.js')).commitContainer(this.rt, nameOrId, opts);
  }

  async diff(nameOrId: string): Promise<FileChange[]> {
    this.requireStore(nameOrId);
    return (await import('./containerFileOps.js')).containerDiff(this.rt, nameOrId);
  }

  async export(nameOrId: string, out: NodeJS.WritableStream): Promise<void> {
    this.requireStore(nameOrId);
    return (await import('./containerFileOps.js')).exportContainer(this.rt, nameOrId, out);
  }

  async mount(names: string[], opts: { all?: boolean } = {}): Promise<Array<ContainerActionReport & { path?: string }>> {
    if (!this.hasStore()) return [];
    return (await import('./containerFileOps.js')).mountContainers(this.rt, names, opts);
  }

  async unmount(names: string[], opts: { all?: boolean; force?: boolean } = {}): Promise<ContainerActionReport[]> {
    if (!this.hasStore() && opts.all) return [];
    return (await import('./containerFileOps.js')).unmountContainers(this.rt, names, opts);
  }
}

// ------------------------------------------------------------------ attach

/** Exit codes read by a cleanup in this process before the container was removed (run --rm). */
const lastExit = new Map<string, number>();
/** A long-lived process (the API service) keeps only the newest. */
const LAST_EXIT_KEPT = 1000;

function rememberExit(id: string, code: number): void {
  lastExit.delete(id);
  lastExit.set(id, code);
  if (lastExit.size > LAST_EXIT_KEPT) lastExit.delete(lastExit.keys().next().value!);
}

/**
 * One attached client: stdin (with the detach keys) to the container, terminal
 * resizes to conmon; ends when the container's output ends or the user detaches.
 */
class AttachSession {
  constructor(
    private readonly socket: AttachSocket,
    private readonly record: ContainerRecord,
    private readonly bundle: string,
    private readonly streams: AttachStreams,
  ) {}

  run(): Promise<'ended' | 'detached'> {
    const { streams, socket } = this;
    const detachKeys = parseDetachKeys(streams.detachKeys ?? 'ctrl-p,ctrl-q');
    return new Promise((resolve) => {
      let settled = false;
      const finish = (how: 'ended' | 'detached') => {
        if (settled) return;
        settled = true;
        streams.stdin?.off('data', onData);
        streams.stdin?.pause();
        if (how === 'detached') socket.close();
        resolve(how);
      };
      let matched = 0;
      const onData = (chunk: Buffer) => {
        if (detachKeys.length > 0 && this.record.config.process.terminal) {
          for (let i = 0; i < chunk.length; i++) {
            if (chunk[i] === detachKeys[matched]) {
              matched++;
              if (matched === detachKeys.length) {
                finish('detached');
                return;
              }
            } else {
              matched = chunk[i] === detachKeys[0] ? 1 : 0;
            }
          }
        }
        void socket.write(chunk);
      };
      if (streams.stdin && this.record.config.spec.stdin) {
        streams.stdin.on('data', onData);
        streams.stdin.once('end', () => socket.closeWrite());
        streams.stdin.resume();
      }
      if (streams.terminal && this.record.config.process.terminal) {
        const ctl = join(this.bundle, 'ctl');
        const resize = () => {
          const size = streams.terminal!.size();
          if (size) resizeTerminal(ctl, size.rows, size.columns);
        };
        resize();
        streams.terminal.onResize(resize);
      }
      void socket.ended.then(() => {
        socket.close();
        finish('ended');
      });
    });
  }
}

/** `ctrl-p,ctrl-q` -> [0x10, 0x11]; letters, `ctrl-@`, `ctrl-[`... as Docker parses them. */
export function parseDetachKeys(spec: string): number[] {
  if (spec === '') return [];
  return spec.split(',').map((key) => {
    const k = key.trim().toLowerCase();
    const ctrl = /^ctrl-(.)$/.exec(k);
    if (ctrl) {
      const c = ctrl[1]!;
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
      const special: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
      if (special[c] !== undefined) return special[c]!;
    }
    if (k.length === 1) return k.charCodeAt(0);
    throw new TspodError(`invalid detach keys "${spec}": use a comma-separated list like ctrl-p,ctrl-q`);
  });
}

/** --sig-proxy: signals this process receives go to the container. */
function proxySignals(rt: ContainerRuntime, record: ContainerRecord): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = signals.map((sig) => {
    const handler = () => {
      try {
        rt.ociFor(record.config).kill(record.config.id, osConstants.signals[sig]);
      } catch {
        // exited meanwhile
      }
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
}

function drain(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain || stream.destroyed) return Promise.resolve();
  return waitDrain(stream);
}

// ------------------------------------------------------------------ helpers

function isActive(status: string): boolean {
  return status === 'running' || status === 'paused' || status === 'initialized';
}

function exitCodeFromFile(path: string): number | undefined {
  return readExitFile(path)?.code;
}

function normalizeCondition(c: string): string {
  const valid = ['configured', 'created', 'exited', 'healthy', 'initialized', 'paused', 'removing', 'running', 'stopped', 'stopping', 'unhealthy'];
  const lower = c.toLowerCase();
  if (!valid.includes(lower)) throw new TspodError(`invalid condition "${c}": use one of ${valid.join(', ')}`);
  return lower === 'exited' ? 'stopped' : lower === 'configured' ? 'created' : lower;
}

function waitStatus(status: string): string {
  return status === 'exited' ? 'stopped' : status;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** podman's STATUS column. */
export function humanStatus(status: string, exitCode: number, startedAt: string, finishedAt: string, now = Date.now()): string {
  switch (status) {
    case 'running':
      return `Up ${humanDurationSince(startedAt, now)} ago`;
    case 'paused':
      return `Paused`;
    case 'exited':
    case 'stopped':
      return `Exited (${exitCode}) ${humanDurationSince(finishedAt, now)} ago`;
    case 'initialized':
      return 'Initialized';
    case 'removing':
      return 'Removing';
    default:
      return 'Created';
  }
}

/** The time since an RFC 3339 instant in Docker's units.HumanDuration, which podman's ps uses. */
function humanDurationSince(rfc3339: string, now: number): string {
  return humanDuration(Math.max(0, now - Date.parse(rfc3339)));
}

function imageExposedPorts(config: Buffer): Record<string, unknown> | undefined {
  try {
    return (JSON.parse(config.toString()) as { config?: { ExposedPorts?: Record<string, unknown> } }).config?.ExposedPorts;
  } catch {
    return undefined;
  }
}

const createdTimesMemo = new Map<string, { seconds: number; text: string }>();

/** A container's creation time as `ps` shows it; never changes, so worked out once per process. */
function createdTimes(created: string): { seconds: number; text: string } {
  let times = createdTimesMemo.get(created);
  if (!times) {
    if (createdTimesMemo.size > 10_000) createdTimesMemo.clear();
    times = { seconds: unixSeconds(created), text: goTimeString(created) };
    createdTimesMemo.set(created, times);
  }
  return times;
}
