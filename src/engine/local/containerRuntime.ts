import { randomBytes } from 'node:crypto';
import { containerEvent, volumeEvents } from './events.js';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Runtime } from '../runtime.js';
import type { ContainerSpec, NetworkAttachment } from '../spec/containerSpec.js';
import type { ContainerConfig, ContainerRecord, ContainerState } from './containerRecord.js';
import { initialState } from './containerRecord.js';
import { ContainerDb } from './containerDb.js';
import { ContainerLayers } from '../../storage/containerLayer.js';
import { safeReaddir } from '../../storage/store.js';
import { lookupImage } from './imageLookup.js';
import { randomContainerName } from './names.js';
import { keepIdFiles, writeContainerFiles, resolveUser, resolveInRoot } from './containerFiles.js';
import { ContainerNetworking, networkFacts, networkMode, type PendingSetup } from './containerNetwork.js';
import { resolveNetworkSpec } from './networkSpec.js';
import { PodDb } from './podDb.js';
import { ContainerVolumes } from './containerVolumes.js';
import { VolumeStore } from './volumeStore.js';
import { SecretStore } from './secretStore.js';
import { buildOciSpec } from '../oci/spec.js';
import { checkDevices, checkSysctl, checkSysctlsForNetwork } from '../spec/hostSpec.js';
import { OciRuntime, resolveRuntimePath } from '../oci/ociRuntime.js';
import { findConmon, launchConmon } from '../oci/conmon.js';
import { LOCK, syscalls } from '../../os/syscalls.js';
import { acquireFileLockSync, fileLockHeldHere, withFileLock } from '../../os/fileLocks.js';
import { selfExecutable } from '../../util/self.js';
import { nowRfc3339Nano } from '../../util/time.js';
import { trace } from '../../util/trace.js';
import { resolveHealthConfig } from '../spec/healthSpec.js';
import { startHealthTimer, stopHealthTimer } from './health.js';
import { isProcessAlive } from '../../util/process.js';
import type { ImageConfig } from '../../image/oci.js';
import type { NetworkConfig, PortMapping } from '../network/types.js';
import { ConflictError, ContainerStateError, InvalidArgumentError, TspodError } from '../../util/errors.js';
import { warn } from '../../util/warnings.js';
import { cgroupVersion } from '../../util/cgroups.js';
import { defaultUserModeKind, type UserModeFacts } from '../network/userModeNet.js';
import { mappedCount, parseIdMap, userName } from '../../rootless/subids.js';
import { hostIdOf, resolveUserns, type ResolvedUserns } from '../spec/userns.js';
import { rootlessGid, rootlessHome, rootlessUid } from '../../util/rootless.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_STOP_TIMEOUT = 10;

/**
 * An attached client (run without -d) cleans up itself and writes its pid
 * here; bin/tspod then ends conmon's exit command without starting Node while
 * that pid lives, which saves a whole Node start competing for the CPU.
 */
export const OWNER_FILE = 'cleanup-owner';

/** What a container is doing right now, read from the exit file and /proc without writing anything. */
export interface Observed {
  state: ContainerState;
  /** The container has exited but nobody has recorded it yet (cleanup pending). */
  exitedUnrecorded: boolean;
}

/**
 * The container lifecycle on one storage root: create, start (conmon + the OCI
 * runtime), stop, kill, cleanup and remove, each under the container's lock.
 */
export class ContainerRuntime {
  readonly db: ContainerDb;
  readonly layers: ContainerLayers;
  readonly net: ContainerNetworking;
  readonly pods: PodDb;
  private ociRuntimes = new Map<string, OciRuntime>();
  private volumesInstance: ContainerVolumes | undefined;

  constructor(readonly runtime: Runtime) {
    this.db = new ContainerDb(runtime.store);
    this.layers = new ContainerLayers(runtime.store);
    this.net = new ContainerNetworking(runtime);
    this.pods = new PodDb(runtime.store);
  }

  /** Volumes and secrets of containers: resolved at create, mounted at start, released at stop. */
  get volumes(): ContainerVolumes {
    this.volumesInstance ??= new ContainerVolumes(new VolumeStore(this.runtime.store, volumeEvents(this.runtime)), new SecretStore(this.runtime.store), {
      lookup: (nameOrId) => this.db.lookup(nameOrId),
      list: () => this.db.list(),
      isActive: (r) => ['running', 'paused', 'initialized'].includes(this.observe(r).state.status),
    });
    return this.volumesInstance;
  }

  get runBase(): string {
    return this.runtime.store.runBase;
  }

  bundleDir(id: string): string {
    return join(this.runBase, 'containers', id);
  }

  exitFile(id: string): string {
    return join(this.runBase, 'exits', id);
  }

  /**
   * The ids with an exit file, read at once: for observing many containers, one directory
   * read instead of a look per container. An exit recorded after this read is seen by the next.
   */
  exitedIds(): ExitedIds {
    try {
      return new Set(readdirSync(join(this.runBase, 'exits')));
    } catch {
      return new Set();
    }
  }

  private lockFile(id: string): string {
    return join(this.runBase, 'locks', id);
  }

  oci(name: string): OciRuntime {
    let oci = this.ociRuntimes.get(name);
    if (!oci) {
      const path = resolveRuntimePath(name, this.runtime.containersConf.engine.runtimes);
      oci = new OciRuntime(basename(name), path, join(this.runBase, 'runtime', basename(path)), this.runtime.globals.runtimeFlag?.map((f) => `--${f.replace(/^-+/, '')}`) ?? []);
      this.ociRuntimes.set(name, oci);
    }
    return oci;
  }

  /** system migrate --new-runtime: the container runs with another OCI runtime from its next start. */
  setRuntime(id: string, name: string): void {
    const path = resolveRuntimePath(name, this.runtime.containersConf.engine.runtimes);
    this.db.updateConfig(id, (config) => ({ ...config, ociRuntime: { name: basename(name), path } }));
  }

  ociFor(config: ContainerConfig): OciRuntime {
    return this.oci(config.ociRuntime.path);
  }

  /**
   * Runs fn holding the container's lock (flock; released if this process dies).
   * Synchronous: for a container no task of this process is working on (a
   * long-lived service uses withLockAsync, which queues instead).
   */
  withLock<T>(id: string, fn: () => T): T {
    const path = this.lockFile(id);
    if (fileLockHeldHere(path)) {
      throw new ContainerStateError(`container ${id} is busy with another operation of this process: try again when it has finished`);
    }
    const release = acquireFileLockSync(path);
    try {
      return fn();
    } finally {
      release();
    }
  }

  async withLockAsync<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockFile(id), fn);
  }

  /** Ids that have a layer dir, a bundle or runtime state but no record: what a killed create or rm leaves. */
  orphans(): string[] {
    const recorded = new Set(this.db.list().map((r) => r.config.id));
    const found = new Set<string>();
    const runtimeDirs = safeReaddir(join(this.runBase, 'runtime')).map((name) => join(this.runBase, 'runtime', name));
    for (const dir of [join(this.runtime.store.base, 'containers'), join(this.runBase, 'containers'), ...runtimeDirs]) {
      for (const id of safeReaddir(dir)) if (/^[0-9a-f]{64}$/.test(id) && !recorded.has(id)) found.add(id);
    }
    return [...found];
  }

  /**
   * Removes an orphan's runtime state, mount, layer and bundle. Skipped (false)
   * while another process holds its lock, as a create does until its record exists.
   */
  removeOrphan(id: string): boolean {
    const path = this.lockFile(id);
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a');
    try {
      try {
        syscalls().flock(fd, LOCK.EX | LOCK.NB);
      } catch {
        return false;
      }
      if (this.db.get(id)) return false;
      for (const name of safeReaddir(join(this.runBase, 'runtime'))) {
        if (existsSync(join(this.runBase, 'runtime', name, id))) this.oci(name).delete(id, true);
      }
      this.layers.remove(id);
      rmSync(this.bundleDir(id), { recursive: true, force: true });
      rmSync(this.exitFile(id), { force: true });
      rmSync(join(this.runBase, 'persist', id), { recursive: true, force: true });
      rmSync(path, { force: true });
      return true;
    } finally {
      closeSync(fd);
    }
  }

  // ---------------------------------------------------------------- create

  async create(requested: ContainerSpec, warnings: string[] = []): Promise<ContainerRecord> {
    trace('create');
    const store = this.runtime.store;
    const { image, matchedName } = lookupImage(store, () => this.runtime.registriesConf, requested.image);
    const imageConfig = JSON.parse(image.config.toString()) as ImageConfig;
    const ic = imageConfig.config ?? {};
    const resolved = await resolveNetworkSpec(requested, {
      networks: this.net.networks,
      defaultNetwork: this.runtime.containersConf.network.defaultNetwork,
      imageExposed: ic.ExposedPorts as Record<string, unknown> | undefined,
      portTaken: (hostIp, port, protocol) => this.hostPortTaken(hostIp, port, protocol),
      containerId: (nameOrId) => this.db.lookup(nameOrId)?.config.id,
      rootlessNetwork: store.rootless
        ? defaultUserModeKind(this.runtime.containersConf.network.defaultRootlessNetworkCmd, this.runtime.containersConf.engine.helperBinariesDir)
        : undefined,
    });
    const healthcheck = resolveHealthConfig(resolved.spec, ic.Healthcheck);
    const userns = this.resolveUserns(resolved.spec);
    const spec = withoutUnsupportedLimits({ ...resolved.spec, healthcheck, ...(userns.maps ? { idMappings: userns.maps } : {}) }, this.runtime.store.rootless, warnings);
    warnings.push(...resolved.warnings);
    const id = randomBytes(32).toString('hex');
    const name = spec.name ?? this.freeName();
    validateName(name);
    const entrypoint = spec.entrypoint ?? (ic.Entrypoint as string[] | null | undefined) ?? [];
    const command = spec.command?.length ? spec.command : spec.entrypoint !== undefined && spec.command === undefined ? [] : ((ic.Cmd as string[] | null | undefined) ?? []);
    const args = [...entrypoint, ...command];
    if (args.length === 0) {
      throw new InvalidArgumentError('no command or entrypoint provided, and no CMD or ENTRYPOINT from image: give a command after the image');
    }
    const hostname = spec.hostname ?? (spec.network === 'host' ? hostHostname() : id.slice(0, 12));
    const terminal = spec.terminal === true;
    // keep-id runs the user's own ids unless --user says otherwise, overriding the image's USER.
    const user = spec.user ?? (userns.keepId ? `${userns.keepId.uid}:${userns.keepId.gid}` : (ic.User as string | undefined) || '');
    // podman's defaults (TERM always; HOME for root here, other users get theirs
    // from /etc/passwd at start), then the image's environment, then the user's.
    const env = mergeEnv(
      [DEFAULT_PATH, 'TERM=xterm', 'container=podman', ...(['', 'root', '0', 'root:root', '0:0'].includes(user) ? ['HOME=/root'] : [])],
      (ic.Env as string[] | undefined) ?? [],
      Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      spec.env?.HOSTNAME === undefined ? [`HOSTNAME=${hostname}`] : [],
    );
    const ociRuntimeName = spec.runtime ?? this.runtime.ociRuntime;
    const oci = this.oci(ociRuntimeName);
    if (spec.cgroups === 'disabled' && oci.name !== 'crun') {
      throw new InvalidArgumentError(`--cgroups=disabled needs crun: ${oci.name} always puts a container in a cgroup (choose crun with --runtime crun)`);
    }
    const logDriver = spec.logDriver ?? (this.runtime.containersConf.containers.logDriver === 'passthrough' ? 'passthrough' : 'k8s-file');
    const config: ContainerConfig = {
      id,
      name,
      spec,
      imageId: image.id,
      imageName: matchedName ?? image.names[0] ?? image.id,
      created: nowRfc3339Nano(),
      process: {
        args,
        entrypoint,
        command,
        env,
        cwd: spec.workingDir ?? ((ic.WorkingDir as string | undefined) || '/'),
        user,
        terminal,
      },
      hostname,
      stopSignal: parseSignal(spec.stopSignal ?? (ic.StopSignal as string | undefined) ?? 'SIGTERM'),
      stopTimeout: spec.stopTimeout ?? DEFAULT_STOP_TIMEOUT,
      ociRuntime: { name: oci.name, path: oci.path },
      logDriver,
      logPath: spec.logPath ?? join(this.layers.userdata(id), 'ctr.log'),
      imageLabels: (ic.Labels as Record<string, string> | undefined) ?? {},
    };
    checkDevices(spec.devices ?? []);
    for (const [key, value] of Object.entries(spec.sysctls ?? {})) checkSysctl(key, value);
    checkSysctlsForNetwork(spec);
    for (const m of spec.mounts ?? []) {
      if (m.type === 'bind' && (!m.source || !existsSync(m.source))) {
        throw new InvalidArgumentError(`bind mount source ${m.source} does not exist: create it first or fix the -v/--mount spec`);
      }
    }
    const volumes = this.volumes.resolveForCreate(spec, Object.keys(ic.Volumes ?? {}));
    config.spec = volumes.spec;
    const record: ContainerRecord = { config, state: initialState() };
    trace('config ready');
    // Held until the record exists, so `system check --repair` never takes the new layer for an orphan.
    this.withLock(id, () => {
      try {
        const maps = config.spec.idMappings;
        this.layers.create(id, maps && { uid: hostIdOf(maps.uid, 0) ?? 0, gid: hostIdOf(maps.gid, 0) ?? 0 });
        trace('layer created');
      } catch (e) {
        this.volumes.forget(volumes.created);
        throw e;
      }
      try {
        // Random host ports were free when chosen; another process may have taken one since.
        this.db.insert(record, resolved.randomPorts.length ? (others) => portConflict(resolved.randomPorts, others) : undefined);
        trace('inserted');
      } catch (e) {
        this.layers.remove(id);
        this.volumes.forget(volumes.created);
        throw e;
      }
    });
    containerEvent(this.runtime, record, 'create');
    return record;
  }

  /** --userns/--uidmap/--gidmap (or containers.conf's userns) as id maps for the container's own namespace. */
  private resolveUserns(spec: ContainerSpec): ResolvedUserns {
    const rootless = this.runtime.store.rootless;
    const mode = spec.userns ?? (spec.uidMap?.length || spec.gidMap?.length ? undefined : this.runtime.containersConf.containers.userns);
    const takenByAuto = mode?.startsWith('auto')
      ? this.db.list().flatMap((r) => (r.config.spec.userns?.startsWith('auto') && r.config.spec.idMappings ? [r.config.spec.idMappings] : []))
      : [];
    return resolveUserns(mode, spec.uidMap, spec.gidMap, {
      rootless,
      uid: rootlessUid(),
      gid: rootlessGid(),
      availableUids: rootless ? namespaceIds('uid') : 2 ** 32 - 1,
      availableGids: rootless ? namespaceIds('gid') : 2 ** 32 - 1,
      takenByAuto,
    });
  }

  /** Whether some container publishes this host port already (any address counts, as the kernel sees it). */
  private hostPortTaken(_hostIp: string, port: number, protocol: string): boolean {
    return this.db.list().some((r) => (r.config.spec.portMappings ?? []).some((m) => m.protocol === protocol && port >= m.host_port && port < m.host_port + m.range));
  }

  private freeName(): string {
    for (let i = 0; i < 20; i++) {
      const name = randomContainerName();
      if (!this.db.nameExists(name)) return name;
    }
    return `${randomContainerName()}_${randomBytes(3).toString('hex')}`;
  }

  // ------------------------------------------------------------- observe

  /** The container's state as it is now, without writing: an exit conmon recorded shows as exited. */
  observe(record: ContainerRecord, exits?: ExitedIds): Observed {
    const s = record.state;
    if (s.status !== 'running' && s.status !== 'paused' && s.status !== 'initialized') return { state: s, exitedUnrecorded: false };
    const exit = exits && !exits.has(record.config.id) ? undefined : readExitFile(this.exitFile(record.config.id));
    if (exit) {
      return {
        state: { ...s, status: 'exited', pid: 0, exitCode: exit.code, finishedAt: exit.finishedAt },
        exitedUnrecorded: true,
      };
    }
    // conmon first: one kill(0) where the container's check reads /proc (lists observe every container).
    if (s.pid > 0 && !isProcessAlive(s.conmonPid) && !processMatches(s.pid, s.pidStartTicks)) {
      // conmon is gone without writing an exit file (killed): the code is lost.
      return {
        state: { ...s, status: 'exited', pid: 0, exitCode: -1, finishedAt: nowRfc3339Nano(), error: 'conmon exited without recording the exit code' },
        exitedUnrecorded: true,
      };
    }
    return { state: s, exitedUnrecorded: false };
  }

  // ---------------------------------------------------------------- start

  /**
   * Starts a created or exited container. `beforeStart` runs once the runtime
   * has created it and before its process runs (attach goes there).
   */
  async start(
    id: string,
    beforeStart?: (record: ContainerRecord) => Promise<void> | void,
    consoleSize?: { rows: number; columns: number },
    opts: { restart?: () => void } = {},
  ): Promise<ContainerRecord> {
    return this.withLockAsync(id, async () => {
      let record = this.syncLocked(id);
      const status = record.state.status;
      if (status === 'running') return record;
      if (opts.restart) {
        // A restart policy's start: decided under the lock, so a stop that came first wins.
        if (!shouldRestart(record)) return record;
        record = this.db.updateState(id, (s) => ({ ...s, restartCount: s.restartCount + 1 })) ?? record;
        opts.restart();
      }
      if (status === 'paused') throw new ContainerStateError(`container ${id} is paused: unpause it instead: container state improper`);
      if (status === 'removing') throw new ContainerStateError(`container ${id} is being removed: container state improper`);
      stopHealthTimer(this, record);
      if (status !== 'initialized') record = await this.initLocked(record, consoleSize);
      try {
        if (beforeStart) await beforeStart(record);
        // A start killed after the runtime started the process but before recording it: it runs already.
        const alreadyRunning = status === 'initialized' && this.ociFor(record.config).status(id) === 'running';
        if (!alreadyRunning) this.ociFor(record.config).start(id, record.state.pid);
        trace('runtime started');
      } catch (e) {
        this.teardownLocked(record);
        this.db.updateState(id, (s) => ({ ...s, status: 'created', pid: 0, conmonPid: 0, error: (e as Error).message, netns: undefined, networkStatus: undefined }));
        throw e;
      }
      containerEvent(this.runtime, record, 'start');
      const started = this.db.updateState(id, (s) => ({ ...s, status: 'running', startedAt: nowRfc3339Nano(), error: '', stoppedByUser: false })) ?? record;
      startHealthTimer(this, started, this.exitCommandGlobals());
      return started;
    });
  }

  /** Has conmon restore an exited, checkpointed container from a CRIU image (container restore). */
  async restoreFromCheckpoint(id: string, imageDir: string, runtimeOpts: string[]): Promise<ContainerRecord> {
    return this.withLockAsync(id, async () => {
      const record = this.syncLocked(id);
      const status = record.state.status;
      if (status === 'running' || status === 'paused') throw new ContainerStateError(`container ${record.config.name} is running: only a checkpointed container can be restored`);
      return this.initLocked(record, undefined, { imageDir, runtimeOpts });
    });
  }

  /** Mounts, writes the bundle and has conmon create the container (podman's init). Lock held. */
  private async initLocked(
    record: ContainerRecord,
    consoleSize?: { rows: number; columns: number },
    restore?: { imageDir: string; runtimeOpts: string[] },
  ): Promise<ContainerRecord> {
    const { config } = record;
    const id = config.id;
    const image = this.runtime.store.getImage(config.imageId);
    if (!image) throw new TspodError(`image ${config.imageId} of container ${config.name} is gone from storage: remove the container`);
    const bundle = this.bundleDir(id);
    await this.removeUnrecordedRun(record);
    rmSync(bundle, { recursive: true, force: true });
    mkdirSync(bundle, { recursive: true, mode: 0o700 });
    rmSync(this.exitFile(id), { force: true });
    mkdirSync(dirname(this.exitFile(id)), { recursive: true });
    const oci = this.ociFor(config);
    const mode = networkMode(config.spec.network);
    let pending: PendingSetup | undefined;
    let userNet: { netns: string; facts: UserModeFacts } | undefined;
    try {
      trace('init');
      // netavark runs while the root filesystem is mounted and conmon creates the
      // container: the namespace only needs its interfaces before the process starts.
      if (mode.kind === 'bridge' && Object.keys(this.net.attachments(config)).length > 0) {
        pending = this.net.begin(config);
        const netns = pending.netns;
        this.db.updateState(id, (s) => ({ ...s, netns }));
      }
      if (mode.kind === 'pasta' || mode.kind === 'slirp4netns') {
        userNet = await this.net.beginUserMode(config, mode.kind, mode.options);
        const netns = userNet.netns;
        this.db.updateState(id, (s) => ({ ...s, netns }));
      }
      const maps = config.spec.idMappings;
      if (maps) await this.runtime.store.ensureMappedLayers(image.topLayer, maps);
      const rootfs = this.layers.mount(id, image.topLayer, maps);
      trace('mounted');
      const user = resolveUser(rootfs, config.process.user, config.spec.groupAdd);
      ensureWorkdir(rootfs, config.process.cwd);
      let files = writeContainerFiles(this.layers.userdata(id), config, pending ? networkFacts(pending) : userNet && { ...userNet.facts, dnsSearch: [] });
      if (config.spec.userns?.startsWith('keep-id')) {
        const added = keepIdFiles(this.layers.userdata(id), rootfs, { uid: user.uid, gid: user.gid, name: userName(rootlessUid()) ?? 'user', home: rootlessHome() });
        files = { ...files, ...(added.passwd ? { passwd: added.passwd } : {}), ...(added.group ? { group: added.group } : {}) };
        user.home = added.home;
      }
      let netnsPath = pending?.netns ?? userNet?.netns;
      const joinNamespaces = await this.podNamespaces(config);
      if (mode.kind === 'container') {
        const shared = this.sharedNetwork(mode.target);
        netnsPath = shared.netns;
        files = { ...files, hosts: shared.hosts ?? files.hosts, resolvConf: shared.resolvConf ?? files.resolvConf };
      } else if (mode.kind === 'ns') {
        if (!existsSync(mode.path)) throw new InvalidArgumentError(`network namespace ${mode.path} does not exist: give the path of an existing namespace (ns:/run/netns/NAME)`);
        netnsPath = mode.path;
      }
      const conf = this.runtime.containersConf.containers;
      const ociSpec = buildOciSpec({
        config: this.volumes.prepareForStart(config, rootfs, bundle, user),
        rootfs,
        user,
        files,
        defaultCapabilities: conf.defaultCapabilities,
        pidsLimit: conf.pidsLimit,
        hostLimits: hostLimits(),
        cgroupManager: this.runtime.cgroupManager,
        initPath: config.spec.init ? this.initBinary() : undefined,
        netnsPath,
        joinNamespaces,
        rootless: this.runtime.store.rootless ? { gids: namespaceIds('gid') } : undefined,
        idMappings: maps,
      });
      if (consoleSize && config.process.terminal) ociSpec.process.consoleSize = { height: consoleSize.rows, width: consoleSize.columns };
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(ociSpec));
      trace('bundle written');
      if (config.logDriver === 'k8s-file') mkdirSync(dirname(config.logPath), { recursive: true });
      const persistDir = join(this.runBase, 'persist', id);
      mkdirSync(persistDir, { recursive: true });
      mkdirSync(oci.stateDir, { recursive: true });
      const { pid } = await launchConmon({
        conmonPath: findConmon(this.runtime.containersConf.engine.conmonPath, this.runtime.globals.conmon),
        runtime: oci,
        id,
        name: config.name,
        bundle,
        pidFile: join(bundle, 'pidfile'),
        conmonPidFile: join(bundle, 'conmon.pid'),
        exitDir: dirname(this.exitFile(id)),
        persistDir,
        logDriver: config.logDriver,
        logPath: config.logPath,
        logSizeMax: config.spec.logSizeMax ?? this.runtime.containersConf.containers.logSizeMax,
        terminal: config.process.terminal,
        stdin: config.spec.stdin === true,
        exitCommand: [selfExecutable(), '--cleanup-owner', join(bundle, OWNER_FILE), ...this.exitCommandGlobals(), 'container', 'cleanup', id],
        logLevel: this.runtime.globals.logLevel,
        env: process.env,
        restore,
      });
      trace('conmon reported pid');
      const networkStatus = pending ? await pending.status : undefined;
      if (pending) {
        this.net.anchor(pending.networks);
        trace('network set up');
      }
      const conmonPid = readPidFile(join(bundle, 'conmon.pid'));
      containerEvent(this.runtime, record, 'init');
      if (config.spec.conmonPidFile && conmonPid) writeFileSync(config.spec.conmonPidFile, `${conmonPid}\n`);
      return (
        this.db.updateState(id, (s) => ({
          ...s,
          status: restore ? 'running' : 'initialized',
          checkpointed: false,
          ...(restore ? { restoredAt: nowRfc3339Nano(), startedAt: nowRfc3339Nano() } : {}),
          pid,
          pidStartTicks: processStartTicks(pid),
          conmonPid,
          mountPoint: rootfs,
          exitCode: 0,
          oomKilled: false,
          error: '',
          finishedAt: s.finishedAt,
          ...(networkStatus ? { networkStatus } : {}),
        })) ?? record
      );
    } catch (e) {
      try {
        oci.delete(id, true);
      } catch {
        // never created
      }
      this.layers.unmount(id);
      this.volumes.release(config);
      const netns = pending?.netns ?? userNet?.netns;
      if (netns) {
        await pending?.status.catch(() => undefined);
        await this.net.teardown({ config, state: { ...record.state, netns } });
        this.db.updateState(id, (s) => ({ ...s, netns: undefined, networkStatus: undefined }));
      }
      throw e;
    }
  }

  /**
   * A pod member joins its infra container's IPC, UTS and (with --share pid)
   * PID namespaces; the infra container is started first when it is not running.
   */
  private async podNamespaces(config: ContainerConfig): Promise<{ ipc?: string; uts?: string; pid?: string } | undefined> {
    if (!config.spec.pod || config.spec.infra) return undefined;
    const pod = this.pods.get(config.spec.pod);
    if (!pod?.infraId) return undefined;
    const infra = await this.start(pod.infraId);
    const pid = infra.state.pid;
    const path = (ns: string) => (pod.share.includes(ns) ? `/proc/${pid}/ns/${ns}` : undefined);
    return { ipc: path('ipc'), uts: path('uts'), pid: path('pid') };
  }

  /** The namespace and name files of the running container another joins with --network container:ID. */
  private sharedNetwork(target: string): { netns: string; hosts?: string; resolvConf?: string } {
    const other = this.db.lookup(target);
    if (!other) throw new InvalidArgumentError(`no container with name or ID "${target}" found: give a running container to --network container:`);
    const state = this.observe(other).state;
    if (state.status !== 'running' && state.status !== 'paused') {
      throw new ContainerStateError(`container ${other.config.name} is not running: start it before joining its network namespace`);
    }
    const userdata = this.layers.userdata(other.config.id);
    const existing = (name: string) => (existsSync(join(userdata, name)) ? join(userdata, name) : undefined);
    return { netns: state.netns ?? `/proc/${state.pid}/ns/net`, hosts: existing('hosts'), resolvConf: existing('resolv.conf') };
  }

  /**
   * A tspod killed between conmon's start and recording it leaves a run this
   * record does not know: it is ended (and its conmon gone, so no late exit
   * file lands on the next run) before a new one starts.
   */
  private async removeUnrecordedRun(record: ContainerRecord): Promise<void> {
    const id = record.config.id;
    if (record.state.netns) {
      // The unrecorded run's namespace and addresses: gone before the new run leases them again.
      await this.net.teardown(record);
      this.db.updateState(id, (s) => ({ ...s, netns: undefined, networkStatus: undefined }));
    }
    const oci = this.ociFor(record.config);
    if (!existsSync(join(oci.stateDir, id))) return;
    const conmonPid = readPidFile(join(this.bundleDir(id), 'conmon.pid'));
    oci.delete(id, true);
    // conmon writes the exit file, then runs its exit command (which waits for
    // our lock): wait for the file only, then it is safe to clear it.
    const exitFile = this.exitFile(id);
    const deadline = Date.now() + 10_000;
    while (!existsSync(exitFile) && isProcessAlive(conmonPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  async init(id: string): Promise<ContainerRecord> {
    return this.withLockAsync(id, async () => {
      const record = this.syncLocked(id);
      if (record.state.status !== 'created' && record.state.status !== 'exited' && record.state.status !== 'stopped') {
        throw new ContainerStateError(`container ${record.config.id} has already been created in runtime: container state improper`);
      }
      return this.initLocked(record);
    });
  }

  /** The global flags the exit command needs to find this same storage. */
  exitCommandGlobals(): string[] {
    const g = this.runtime.globals;
    const store = this.runtime.store.options;
    const args = ['--root', store.graphRoot, '--runroot', store.runRoot, '--storage-driver', store.driver];
    if (g.runtime) args.push('--runtime', g.runtime);
    if (g.cgroupManager) args.push('--cgroup-manager', g.cgroupManager);
    if (g.conmon) args.push('--conmon', g.conmon);
    if (g.networkConfigDir) args.push('--network-config-dir', g.networkConfigDir);
    for (const f of g.runtimeFlag ?? []) args.push('--runtime-flag', f);
    return args;
  }

  private initBinary(): string {
    const conf = this.runtime.containersConf;
    const candidates = [
      ...(conf.containers.initPath ? [conf.containers.initPath] : []),
      ...conf.engine.helperBinariesDir.map((d) => join(d, 'catatonit')),
      '/usr/libexec/podman/catatonit',
      '/usr/bin/catatonit',
    ];
    const found = candidates.find((p) => existsSync(p));
    if (!found) throw new TspodError('--init needs catatonit: install the Debian package "catatonit"');
    return found;
  }

  // -------------------------------------------------------- exit and stop

  /** Resolves when conmon has written the exit file (or conmon is gone); false after the timeout or an abort. */
  waitForExit(record: ContainerRecord, timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    const path = this.exitFile(record.config.id);
    // conmon writes the file just after the container ends; only a dead conmon means it never will.
    const gone = () =>
      existsSync(path) || (record.state.pid > 0 && !processMatches(record.state.pid, record.state.pidStartTicks) && !isProcessAlive(record.state.conmonPid));
    if (gone()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let done = false;
      const finish = (value: boolean) => {
        if (done) return;
        done = true;
        watcher?.close();
        clearInterval(poll);
        if (timer) clearTimeout(timer);
        resolve(value);
      };
      let watcher: ReturnType<typeof watch> | undefined;
      try {
        watcher = watch(dirname(path), (_event, file) => {
          if (file === basename(path) && existsSync(path)) finish(true);
        });
        watcher.on('error', () => {});
      } catch {
        watcher = undefined;
      }
      // Backstop for a conmon killed before it could write the file.
      const poll = setInterval(() => gone() && finish(true), 200);
      const timer = timeoutMs !== undefined ? setTimeout(() => finish(gone()), timeoutMs) : undefined;
      signal?.addEventListener('abort', () => finish(gone()), { once: true });
      if (gone() || signal?.aborted) finish(gone());
    });
  }

  /** Sends the stop signal (or `signal`), then SIGKILL after the timeout; returns once it has exited and is cleaned up. */
  async stop(id: string, timeoutSeconds?: number, signal?: number): Promise<ContainerRecord> {
    return this.withLockAsync(id, async () => {
      let record = this.syncLocked(id);
      const status = record.state.status;
      // Even when it has just exited: the cleanup conmon is about to run must not restart it.
      this.db.updateState(id, (s) => ({ ...s, stoppedByUser: true }));
      if (status !== 'running' && status !== 'paused' && status !== 'initialized') return this.db.get(id) ?? record;
      const oci = this.ociFor(record.config);
      const timeout = timeoutSeconds ?? record.config.stopTimeout;
      const stopSignal = signal ?? record.config.stopSignal;
      if (timeout > 0) {
        tryKill(oci, id, stopSignal);
        if (status === 'paused') tryResume(oci, id);
        if (!(await this.waitForExit(record, timeout * 1000))) {
          warn(
            `WARN[${String(timeout).padStart(4, '0')}] StopSignal ${signalName(stopSignal)} failed to stop container ${record.config.name} in ${timeout} seconds, resorting to SIGKILL\n`,
          );
        }
      }
      if (!existsSync(this.exitFile(id))) {
        // --all finds the processes through the container's cgroup; a rootless one has none, and
        // killing its init ends the rest of its pid namespace anyway.
        tryKill(oci, id, osConstants.signals.SIGKILL, !this.runtime.store.rootless);
        if (status === 'paused') tryResume(oci, id);
        await this.waitForExit(record, 30_000);
      }
      record = this.syncLocked(id);
      stopHealthTimer(this, record);
      containerEvent(this.runtime, record, 'stop');
      return record;
    });
  }

  kill(id: string, signal: number): Promise<ContainerRecord> {
    return this.withLockAsync(id, async () => {
      const record = this.syncLocked(id);
      if (record.state.status !== 'running' && record.state.status !== 'paused') {
        throw new ContainerStateError(`can only kill running containers. ${id} is in state ${record.state.status}: container state improper`);
      }
      this.ociFor(record.config).kill(id, signal);
      containerEvent(this.runtime, record, 'kill', { signal: String(signal) });
      if (signal === osConstants.signals.SIGKILL || signal === osConstants.signals.SIGTERM) {
        this.db.updateState(id, (s) => ({ ...s, stoppedByUser: true }));
      }
      return record;
    });
  }

  pause(id: string): Promise<ContainerRecord> {
    return this.withLockAsync(id, async () => {
      const record = this.syncLocked(id);
      if (record.state.status !== 'running') {
        throw new ContainerStateError(`"${record.state.status}" is not running, can't pause: container state improper`);
      }
      this.ociFor(record.config).pause(id);
      containerEvent(this.runtime, record, 'pause');
      return this.db.updateState(id, (s) => ({ ...s, status: 'paused' })) ?? record;
    });
  }

  unpause(id: string): Promise<ContainerRecord> {
    return this.withLockAsync(id, async () => {
      const record = this.syncLocked(id);
      if (record.state.status !== 'paused') {
        throw new ContainerStateError(`"${record.state.status}" is not paused, can't unpause: container state improper`);
      }
      this.ociFor(record.config).resume(id);
      containerEvent(this.runtime, record, 'unpause');
      return this.db.updateState(id, (s) => ({ ...s, status: 'running' })) ?? record;
    });
  }

  /**
   * Brings the record up to date with what happened while no tspod watched: an
   * exited container is recorded as exited and its runtime state and mount are
   * released. Lock held by the caller.
   */
  syncLocked(id: string): ContainerRecord {
    const record = this.db.get(id);
    if (!record) throw new TspodError(`no container with ID ${id} found: it was removed meanwhile`, { exitCode: 125 });
    const observed = this.observe(record);
    if (!observed.exitedUnrecorded) return record;
    this.teardownLocked(record);
    return this.recordExit(record, observed.state);
  }

  /** syncLocked with the network's teardown overlapping the runtime's delete and the unmount. */
  private async syncLockedAsync(id: string): Promise<ContainerRecord> {
    const record = this.db.get(id);
    if (!record) throw new TspodError(`no container with ID ${id} found: it was removed meanwhile`, { exitCode: 125 });
    const observed = this.observe(record);
    if (!observed.exitedUnrecorded) return record;
    const network = this.net.teardown(record);
    this.teardownLocked(record, false);
    await network;
    return this.recordExit(record, observed.state);
  }

  private recordExit(record: ContainerRecord, exited: ContainerState): ContainerRecord {
    const id = record.config.id;
    const updated = this.db.updateState(id, () => ({ ...exited, conmonPid: 0, mountPoint: '', netns: undefined, networkStatus: undefined })) ?? record;
    rmSync(this.exitFile(id), { force: true });
    containerEvent(this.runtime, record, 'died', { containerExitCode: String(exited.exitCode) });
    return updated;
  }

  /** Releases what a run holds: the runtime's state, the root filesystem mount and the network. */
  private teardownLocked(record: ContainerRecord, network = true): void {
    const id = record.config.id;
    if (network) this.net.teardownSync(record);
    const oci = this.ociFor(record.config);
    // Only a container the runtime holds state for costs a runtime call.
    if (existsSync(join(oci.stateDir, id))) {
      try {
        oci.delete(id, true);
      } catch {
        // a runtime that no longer knows it is what we want
      }
    }
    if (!this.db.get(id)?.state.userMounts) this.layers.unmount(id);
    this.volumes.release(record.config);
  }

  /**
   * conmon's exit command: records the exit, unmounts, then removes (--rm) or
   * restarts (restart policy) the container. Quietly does nothing for a
   * container already removed.
   */
  async cleanup(id: string, forceRemove = false): Promise<'removed' | 'restarted' | 'cleaned' | 'gone'> {
    if (!this.db.get(id)) return 'gone';
    const record = await this.withLockAsync(id, async () => (this.db.get(id) ? this.syncLockedAsync(id) : undefined));
    if (!record) return 'gone';
    if (record.state.status === 'running' || record.state.status === 'paused') return 'cleaned';
    stopHealthTimer(this, record);
    if (record.state.checkpointed && !forceRemove) return 'cleaned';
    containerEvent(this.runtime, record, 'cleanup');
    if (forceRemove || record.config.spec.remove) {
      await this.remove(id, { force: true, volumes: true });
      return 'removed';
    }
    if (shouldRestart(record)) {
      let restarted = false;
      await this.start(id, undefined, undefined, { restart: () => (restarted = true) });
      return restarted ? 'restarted' : 'cleaned';
    }
    return 'cleaned';
  }

  // ------------------------------------------------------------- networks

  /** `network connect`: records the network and, while the container runs, sets it up in its namespace. */
  async connectNetwork(id: string, network: NetworkConfig, wish: NetworkAttachment): Promise<void> {
    await this.withLockAsync(id, async () => {
      const record = this.syncLocked(id);
      const mode = networkMode(record.config.spec.network);
      if (mode.kind !== 'bridge') {
        throw new InvalidArgumentError(`container ${record.config.name} uses --network ${record.config.spec.network}: only bridge-mode containers can join networks`);
      }
      const attached = record.config.spec.networks ?? {};
      if (attached[network.name]) throw new ConflictError(`container ${record.config.name} is already connected to network ${network.name}: nothing to do`);
      const used = new Set(Object.values(attached).map((a) => a.interfaceName));
      let n = 0;
      while (used.has(`eth${n}`)) n++;
      const updated = this.db.updateConfig(id, (c) => ({
        ...c,
        spec: { ...c.spec, network: 'bridge', networks: { ...attached, [network.name]: { ...wish, interfaceName: `eth${n}` } } },
      }))!;
      const running = record.state.status === 'running' || record.state.status === 'paused';
      if (!running || !record.state.netns) return;
      try {
        const status = await this.net.setupOne(updated.config, record.state.netns, network.name);
        this.db.updateState(id, (s) => ({ ...s, networkStatus: { ...s.networkStatus, ...status } }));
      } catch (e) {
        this.db.updateConfig(id, (c) => ({ ...c, spec: { ...c.spec, networks: attached } }));
        throw e;
      }
    });
  }

  /** `network disconnect`: tears the network down in a running container and forgets it. */
  async disconnectNetwork(id: string, network: NetworkConfig): Promise<void> {
    await this.withLockAsync(id, async () => {
      const record = this.syncLocked(id);
      const attached = record.config.spec.networks ?? {};
      if (!attached[network.name]) throw new InvalidArgumentError(`container ${record.config.name} is not connected to network ${network.name}: nothing to disconnect`);
      if (record.state.netns && (record.state.status === 'running' || record.state.status === 'paused')) {
        await this.net.teardownOne(record, network.name);
        this.db.updateState(id, (s) => {
          const status = { ...s.networkStatus };
          delete status[network.name];
          return { ...s, networkStatus: status };
        });
      }
      const rest = { ...attached };
      delete rest[network.name];
      this.db.updateConfig(id, (c) => ({ ...c, spec: { ...c.spec, networks: rest } }));
    });
  }

  /** `network reload`: netavark's rules again for a running container (after a firewall flush). */
  async reloadNetwork(id: string): Promise<boolean> {
    return this.withLockAsync(id, async () => {
      const record = this.syncLocked(id);
      if (!record.state.netns || record.state.status !== 'running') return false;
      const status = await this.net.reload(record);
      this.db.updateState(id, (s) => ({ ...s, networkStatus: status }));
      return true;
    });
  }

  // --------------------------------------------------------------- remove

  async remove(id: string, opts: { force?: boolean; timeout?: number; volumes?: boolean }): Promise<void> {
    trace('remove');
    await this.withLockAsync(id, async () => {
      const record = this.db.get(id);
      if (!record) return;
      const observed = this.observe(record);
      const status = observed.state.status;
      if (status === 'running' || status === 'paused' || status === 'initialized') {
        if (!opts.force) {
          throw new ContainerStateError(
            `cannot remove container ${id} as it is ${status} - running or paused containers cannot be removed without force: container state improper`,
            { exitCode: 2 },
          );
        }
      }
    });
    const record = this.db.get(id);
    if (!record) return;
    const status = this.observe(record).state.status;
    if (status === 'running' || status === 'paused' || status === 'initialized') await this.stop(id, opts.timeout ?? record.config.stopTimeout);
    await this.withLockAsync(id, async () => {
      const current = this.db.get(id);
      if (!current) return;
      // netavark's teardown (tens of ms of iptables) overlaps the runtime's delete and the unmount.
      const network = this.net.teardown(current);
      this.teardownLocked(current, false);
      await network;
      stopHealthTimer(this, current);
      this.db.delete(id);
      trace('record deleted');
      if (opts.volumes) this.volumes.removeAnonymous(current.config);
      containerEvent(this.runtime, current, 'remove');
      this.layers.remove(id);
      rmSync(this.bundleDir(id), { recursive: true, force: true });
      rmSync(this.exitFile(id), { force: true });
      rmSync(join(this.runBase, 'persist', id), { recursive: true, force: true });
    });
    rmSync(this.lockFile(id), { force: true });
    trace('removed');
  }
}

// ------------------------------------------------------------------ helpers

/** A clash of host ports with containers created meanwhile by other processes: checked inside the insert. */
function portConflict(mine: PortMapping[], others: ContainerRecord[]): string | undefined {
  for (const m of mine) {
    for (const other of others) {
      for (const o of other.config.spec.portMappings ?? []) {
        const sameAddress = m.host_ip === o.host_ip || m.host_ip === '' || o.host_ip === '';
        if (m.protocol === o.protocol && sameAddress && m.host_port < o.host_port + o.range && o.host_port < m.host_port + m.range) {
          return `host port ${m.host_port}/${m.protocol} is already published by container ${other.config.name}: choose another port or remove that container`;
        }
      }
    }
  }
  return undefined;
}

function validateName(name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new InvalidArgumentError(`invalid container name "${name}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  }
}

function hostHostname(): string {
  try {
    return readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  } catch {
    return 'localhost';
  }
}

/** Environment lists merged in order: a later KEY= replaces an earlier one in place. */
function mergeEnv(...lists: string[][]): string[] {
  const map = new Map<string, string>();
  for (const entry of lists.flat()) {
    const eq = entry.indexOf('=');
    if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return [...map].map(([k, v]) => `${k}=${v}`);
}

/**
 * A rootless user owns no cgroup on cgroups v1 (and none is delegated without
 * systemd on v2): resource limits cannot be applied, so they are dropped with
 * Podman's warning rather than failing in the runtime.
 */
function withoutUnsupportedLimits(spec: ContainerSpec, rootless: boolean, warnings: string[]): ContainerSpec {
  if (!rootless || !spec.resources || Object.keys(spec.resources).length === 0) return spec;
  warnings.push(cgroupVersion() === 'v2'
    ? 'Resource limits are not supported and ignored: no cgroup is delegated to this user (rootless cgroups v2 needs systemd delegation)'
    : 'Resource limits are not supported and ignored on cgroups V1 rootless systems');
  return { ...spec, resources: undefined };
}

/** How many user or group ids this process's user namespace maps. */
function namespaceIds(kind: 'uid' | 'gid'): number {
  try {
    return mappedCount(parseIdMap(readFileSync(`/proc/self/${kind}_map`, 'utf8')));
  } catch {
    return 0;
  }
}

export function parseSignal(value: string | number): number {
  if (typeof value === 'number') return value;
  const text = value.trim().toUpperCase();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > 64) throw new InvalidArgumentError(`invalid signal "${value}": use a name like SIGTERM or a number 1-64`);
    return n;
  }
  const name = text.startsWith('SIG') ? text : `SIG${text}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
  if (rt) return 34 + Number(rt[1] ?? 0);
  const n = (osConstants.signals as Record<string, number>)[name];
  if (n === undefined) throw new InvalidArgumentError(`invalid signal "${value}": use a name like SIGTERM or a number 1-64`);
  return n;
}

export function signalName(n: number): string {
  const entry = Object.entries(osConstants.signals).find(([, v]) => v === n);
  return entry ? entry[0] : String(n);
}

/** Container ids that had an exit file when they were read (ContainerRuntime.exitedIds). */
export type ExitedIds = ReadonlySet<string>;

export function readExitFile(path: string): { code: number; finishedAt: string } | undefined {
  let text: string;
  // The usual answer, for a running container, is "no file": existsSync says so without an exception.
  if (!existsSync(path)) return undefined;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (text === '') return undefined;
  let finishedAt: string;
  try {
    finishedAt = new Date(statSync(path).mtimeMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  } catch {
    finishedAt = nowRfc3339Nano();
  }
  const code = Number.parseInt(text, 10);
  return { code: Number.isNaN(code) ? -1 : code, finishedAt };
}

function readPidFile(path: string): number {
  try {
    return Number.parseInt(readFileSync(path, 'utf8').trim(), 10) || 0;
  } catch {
    return 0;
  }
}

/** Field 22 of /proc/PID/stat: start time, which tells a reused pid from the original. */
export function processStartTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return 0;
  }
}

function processMatches(pid: number, startTicks: number): boolean {
  const now = processStartTicks(pid);
  if (now === 0) return false;
  return startTicks === 0 || now === startTicks;
}

function hostLimits(): { nofile: number; nproc: number } {
  const limits = { nofile: 1048576, nproc: 1048576 };
  try {
    for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n')) {
      const m = /^Max (open files|processes)\s+\S+\s+(\S+)/.exec(line);
      if (!m || m[2] === 'unlimited') continue;
      if (m[1] === 'open files') limits.nofile = Number(m[2]);
      else limits.nproc = Number(m[2]);
    }
  } catch {
    // keep podman's defaults
  }
  return limits;
}

function ensureWorkdir(rootfs: string, cwd: string): void {
  const path = resolveInRoot(rootfs, cwd);
  if (!existsSync(path)) mkdirSync(path, { recursive: true, mode: 0o755 });
}

function tryKill(oci: OciRuntime, id: string, signal: number, all = false): void {
  try {
    oci.kill(id, signal, all);
  } catch {
    // it may have exited meanwhile
  }
}

function tryResume(oci: OciRuntime, id: string): void {
  try {
    oci.resume(id);
  } catch {
    // not paused any more
  }
}

function shouldRestart(record: ContainerRecord): boolean {
  const policy = record.config.spec.restartPolicy ?? 'no';
  const { state } = record;
  if (state.stoppedByUser) return false;
  switch (policy) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      if (state.exitCode === 0) return false;
      const max = record.config.spec.restartRetries ?? 0;
      return max <= 0 || state.restartCount < max;
    }
    default:
      return false;
  }
}
