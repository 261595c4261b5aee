/**
 * The containers group over the libpod API, as Podman's remote client does
 * it: one request per container (an `--all` resolved through the list first),
 * attach before start on a hijacked connection, exec as create + start +
 * inspect. Reports come back as the local engine makes them.
 */
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type {
  ContainerPathStat,
  AttachResult,
  AttachStreams,
  CheckpointOptions,
  ContainerActionReport,
  ContainerCommitOptions,
  ContainerCopyOptions,
  ContainerListOptions,
  ContainerLogsOptions,
  ContainerRemoveOptions,
  ContainerSummary,
  ContainersEngine,
  ExecOptions,
  FileChange,
  RestoreOptions,
} from '../engine/types.js';
import type { ContainerSpec } from '../engine/spec/containerSpec.js';
import type { ContainerStatsReport } from '../engine/statsTypes.js';
import { specToSpecGenerator } from '../api/libpod/specgen.js';
import { containerListEntryFrom, containerStatsFromEntry, type LibpodContainerStats } from '../api/libpod/reports.js';
import { fromWireError, type WireError } from '../api/libpod/errors.js';
import { ContainerStateError, NoSuchContainerError, NoSuchPathError, TspodError } from '../util/errors.js';
import { PATH_STAT_HEADER, pathStatFromHeader } from '../api/compat/containers.js';
import { enc, filtersParam, itemErrorOf, notRemote, perName, splitTag } from './common.js';
import { errorOf, readAll, type Transport } from './transport.js';
import { demux, pumpSession } from './streams.js';

type Inspect = Record<string, any>;

export class RemoteContainers implements ContainersEngine {
  constructor(private readonly t: Transport) {}

  async create(spec: ContainerSpec): Promise<{ id: string; name: string; warnings: string[] }> {
    const created = await this.t.json<{ Id: string; Warnings: string[] | null }>('POST', '/containers/create', { body: specToSpecGenerator(spec) });
    const info = await this.t.json<Inspect>('GET', `/containers/${created.Id}/json`);
    return { id: created.Id, name: String(info.Name ?? ''), warnings: created.Warnings ?? [] };
  }

  /** The ids `--all` acts on: every container (in the engine's order) that `select` keeps. */
  private async allIds(select: (s: ContainerSummary) => boolean = () => true): Promise<string[]> {
    return (await this.list({ all: true, external: true })).filter(select).map((s) => s.Id);
  }

  private async act(names: string[], all: boolean | undefined, select: ((s: ContainerSummary) => boolean) | undefined, action: (name: string) => Promise<void>): Promise<ContainerActionReport[]> {
    const targets = all ? await this.allIds(select) : names;
    const done = await perName(targets, action);
    return done.map((d) => (d.error ? { name: d.name, error: d.error } : { name: d.name, id: all ? d.name : undefined }));
  }

  private post(name: string, verb: string, query?: Record<string, string | number | boolean | undefined>): Promise<void> {
    return this.t.json('POST', `/containers/${enc(name)}/${verb}`, { query });
  }

  async start(names: string[], opts: { all?: boolean; filters?: string[] } = {}): Promise<ContainerActionReport[]> {
    let all = opts.all;
    if (opts.filters?.length) {
      const matching = (await this.list({ all: true, filters: opts.filters })).map((c) => c.Id);
      if (names.length === 0 || all) names = matching;
      else names = names.filter((n) => matching.some((id) => id === n || id.startsWith(n)));
      all = false;
      const reports = await this.act(names, false, undefined, (n) => this.post(n, 'start'));
      return reports.map((r) => ({ ...r, id: r.error ? undefined : r.name }));
    }
    return this.act(names, all, undefined, (n) => this.post(n, 'start'));
  }

  async startAttached(nameOrId: string, streams: AttachStreams): Promise<AttachResult> {
    const info = await this.inspectOne(nameOrId);
    const id = String(info.Id);
    const tty = info.Config?.Tty === true;
    const socket = await this.t.upgrade('POST', `/containers/${id}/attach`, {
      query: { stream: true, stdin: streams.stdin !== undefined && info.Config?.OpenStdin === true, stdout: true, stderr: true, detachKeys: streams.detachKeys },
    });
    const session = pumpSession(socket, streams, tty);
    try {
      if (tty) await this.sendSize(`/containers/${id}/resize`, streams);
      await this.post(id, 'start');
    } catch (e) {
      socket.destroy();
      await session.catch(() => undefined);
      throw e;
    }
    return this.followAttached(id, session, streams, tty);
  }

  async attach(nameOrId: string, streams: AttachStreams): Promise<AttachResult> {
    const info = await this.inspectOne(nameOrId);
    const id = String(info.Id);
    const tty = info.Config?.Tty === true;
    if (info.State?.Status !== 'running') {
      throw new ContainerStateError('you can only attach to running containers: container state improper');
    }
    const socket = await this.t.upgrade('POST', `/containers/${id}/attach`, {
      query: { stream: true, stdin: streams.stdin !== undefined, stdout: true, stderr: true, detachKeys: streams.detachKeys },
    });
    const session = pumpSession(socket, streams, tty);
    if (tty) await this.sendSize(`/containers/${id}/resize`, streams).catch(() => undefined);
    return this.followAttached(id, session, streams, tty);
  }

  /** While attached: terminal resizes and (--sig-proxy) signals go to the container; then the outcome. */
  private async followAttached(id: string, session: ReturnType<typeof pumpSession>, streams: AttachStreams, tty: boolean): Promise<AttachResult> {
    if (tty) streams.terminal?.onResize(() => void this.sendSize(`/containers/${id}/resize`, streams).catch(() => undefined));
    const stopProxy = streams.sigProxy ? this.proxySignals(id) : () => {};
    try {
      const { errors } = await session;
      return await this.attachOutcome(id, errors);
    } finally {
      stopProxy();
    }
  }

  /** After the attach connection ended: still running means detached; else its exit code. */
  private async attachOutcome(id: string, errors: string[]): Promise<AttachResult> {
    if (errors.length) throw new TspodError(errors[errors.length - 1]!);
    const res = await this.t.send('GET', `/containers/${id}/json`);
    const body = await readAll(res);
    if (res.statusCode === 200) {
      const status = (JSON.parse(body.toString('utf8')) as Inspect).State?.Status;
      if (status === 'running' || status === 'paused') return { detached: true };
    }
    const code = await this.t.json<number>('POST', `/containers/${id}/wait`, { query: { condition: ['stopped', 'exited'] } });
    return { detached: false, exitCode: code };
  }

  private async sendSize(path: string, streams: AttachStreams): Promise<void> {
    const size = streams.terminal?.size();
    if (size && size.rows > 0 && size.columns > 0) await this.t.json('POST', path, { query: { h: size.rows, w: size.columns } });
  }

  /** --sig-proxy: signals this process receives are sent on as kill requests. */
  private proxySignals(id: string): () => void {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
    const handlers = signals.map((sig) => {
      const handler = () => void this.post(id, 'kill', { signal: String(osConstants.signals[sig]) }).catch(() => undefined);
      process.on(sig, handler);
      return [sig, handler] as const;
    });
    return () => {
      for (const [sig, handler] of handlers) process.off(sig, handler);
    };
  }

  init(names: string[], opts: { all?: boolean } = {}): Promise<ContainerActionReport[]> {
    return this.act(names, opts.all, undefined, (n) => this.post(n, 'init'));
  }

  async stop(names: string[], opts: { timeout?: number; all?: boolean; ignore?: boolean; signal?: string } = {}): Promise<ContainerActionReport[]> {
    const reports = await this.act(names, opts.all, (s) => isActive(s.State), (n) => this.post(n, 'stop', { timeout: opts.timeout, signal: opts.signal }));
    return opts.ignore ? reports.filter((r) => !(r.error instanceof NoSuchContainerError)) : reports;
  }

  restart(names: string[], opts: { timeout?: number; all?: boolean; running?: boolean; signal?: string } = {}): Promise<ContainerActionReport[]> {
    return this.act(names, opts.all, (s) => !opts.running || isActive(s.State), (n) => this.post(n, 'restart', { timeout: opts.timeout, signal: opts.signal }));
  }

  kill(names: string[], opts: { signal?: string; all?: boolean } = {}): Promise<ContainerActionReport[]> {
    return this.act(names, opts.all, (s) => isActive(s.State), (n) => this.post(n, 'kill', { signal: opts.signal ?? 'SIGKILL' }));
  }

  pause(names: string[], opts: { all?: boolean } = {}): Promise<ContainerActionReport[]> {
    return this.act(names, opts.all, (s) => s.State === 'running', (n) => this.post(n, 'pause'));
  }

  unpause(names: string[], opts: { all?: boolean } = {}): Promise<ContainerActionReport[]> {
    return this.act(names, opts.all, (s) => s.State === 'paused', (n) => this.post(n, 'unpause'));
  }

  async remove(names: string[], opts: ContainerRemoveOptions = {}): Promise<ContainerActionReport[]> {
    const targets = opts.all ? await this.allIds() : names;
    const reports: ContainerActionReport[] = [];
    for (const name of targets) {
      try {
        const list = await this.t.json<Array<{ Id: string; Err: WireError | null; RawInput?: string }>>('DELETE', `/containers/${enc(name)}`, {
          query: { force: opts.force, v: opts.volumes, depend: opts.depend, timeout: opts.timeout },
        });
        for (const r of list) reports.push({ name: r.RawInput && r.RawInput !== '' ? r.RawInput : r.Id, id: r.Id, ...(r.Err ? { error: itemErrorOf(r.Err) } : {}) });
      } catch (e) {
        reports.push({ name, error: e as Error });
      }
    }
    return opts.ignore ? reports.filter((r) => !(r.error instanceof NoSuchContainerError)) : reports;
  }

  async list(opts: ContainerListOptions): Promise<ContainerSummary[]> {
    const list = await this.t.json<Array<Record<string, unknown>>>('GET', '/containers/json', {
      query: { all: opts.all, limit: opts.last, size: opts.size, external: opts.external, filters: filtersParam(opts.filters) },
    });
    return list.map(containerListEntryFrom);
  }

  private async inspectOne(name: string, size?: boolean): Promise<Inspect> {
    return this.t.json<Inspect>('GET', `/containers/${enc(name)}/json`, { query: { size } });
  }

  async inspect(names: string[], opts: { size?: boolean } = {}): Promise<Array<Record<string, unknown> | Error>> {
    return Promise.all(names.map((n) => this.inspectOne(n, opts.size).catch((e: Error) => e)));
  }

  async logs(names: string[], opts: ContainerLogsOptions, out: { stdout: Writable; stderr: Writable }): Promise<void> {
    const prefixes = new Map<string, string>();
    if (opts.names) for (const name of names) prefixes.set(name, String((await this.inspectOne(name)).Id).slice(0, 12));
    await Promise.all(
      names.map(async (name) => {
        const res = await this.t.send('GET', `/containers/${enc(name)}/logs`, {
          query: {
            stdout: true,
            stderr: true,
            follow: opts.follow,
            timestamps: opts.timestamps,
            tail: opts.tail,
            since: opts.since ? opts.since.toISOString() : undefined,
            until: opts.until ? opts.until.toISOString() : undefined,
          },
        });
        if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
        const prefix = prefixes.get(name);
        let failure: string | undefined;
        await demux(res, (stream, payload) => {
          if (stream === 3) failure = payload.toString('utf8').trim();
          else {
            const text = prefix ? Buffer.concat([Buffer.from(`${prefix} `), payload]) : payload;
            (stream === 2 ? out.stderr : out.stdout).write(text);
          }
        });
        if (failure) throw new TspodError(failure);
      }),
    );
  }

  async wait(names: string[], opts: { conditions?: string[]; ignore?: boolean } = {}): Promise<Array<ContainerActionReport & { exitCode?: number }>> {
    const reports = await Promise.all(
      names.map(async (name): Promise<(ContainerActionReport & { exitCode?: number }) | undefined> => {
        try {
          const code = await this.t.json<number>('POST', `/containers/${enc(name)}/wait`, { query: { condition: opts.conditions } });
          return { name, exitCode: code };
        } catch (e) {
          if (opts.ignore && e instanceof NoSuchContainerError) return undefined;
          return { name, error: e as Error };
        }
      }),
    );
    return reports.filter((r): r is ContainerActionReport & { exitCode?: number } => r !== undefined);
  }

  async exec(nameOrId: string, opts: ExecOptions, streams: AttachStreams): Promise<number> {
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const { Id } = await this.t.json<{ Id: string }>('POST', `/containers/${enc(nameOrId)}/exec`, {
      body: {
        Cmd: opts.command,
        Env: env,
        ...(opts.user !== undefined ? { User: opts.user } : {}),
        ...(opts.workingDir !== undefined ? { WorkingDir: opts.workingDir } : {}),
        Tty: opts.tty === true,
        AttachStdin: opts.interactive === true && streams.stdin !== undefined,
        AttachStdout: !opts.detach,
        AttachStderr: !opts.detach,
        Privileged: opts.privileged === true,
        ...(streams.detachKeys !== undefined ? { DetachKeys: streams.detachKeys } : {}),
      },
    });
    if (opts.detach) {
      await this.t.json('POST', `/exec/${Id}/start`, { body: { Detach: true, Tty: opts.tty === true } });
      return 0;
    }
    // The terminal's size before the start: the process gets its pty at that size.
    if (opts.tty) await this.sendSize(`/exec/${Id}/resize`, streams).catch(() => undefined);
    const socket = await this.t.upgrade('POST', `/exec/${Id}/start`, { body: { Detach: false, Tty: opts.tty === true } });
    const session = pumpSession(socket, { stdin: opts.interactive ? streams.stdin : undefined, stdout: streams.stdout, stderr: streams.stderr }, opts.tty === true);
    await session;
    const info = await this.t.json<{ ExitCode: number; Error?: WireError | null }>('GET', `/exec/${Id}/json`);
    if (info.Error) throw fromWireError(info.Error, info.Error.response, 'exec failed');
    return info.ExitCode;
  }

  async top(nameOrId: string, descriptors: string[]): Promise<string[][]> {
    const { Titles, Processes } = await this.t.json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${enc(nameOrId)}/top`, {
      query: { ps_args: descriptors.length ? descriptors : undefined },
    });
    return [Titles, ...(Processes ?? [])];
  }

  async stats(names: string[], opts: { all?: boolean; latest?: boolean } = {}): Promise<ContainerStatsReport[]> {
    let targets = names;
    if (opts.latest) {
      const [newest] = await this.list({ all: true, last: 1 });
      targets = newest ? [newest.Id] : [];
    }
    const { Stats } = await this.t.json<{ Stats: LibpodContainerStats[] | null }>('GET', '/containers/stats', {
      query: { containers: targets.length ? targets : undefined, stream: false, all: opts.all || (targets.length === 0 && !opts.latest) },
    });
    return (Stats ?? []).map(containerStatsFromEntry);
  }

  rename(nameOrId: string, newName: string): Promise<void> {
    return this.post(nameOrId, 'rename', { name: newName });
  }

  exists(nameOrId: string): Promise<boolean> {
    return this.t.exists(`/containers/${enc(nameOrId)}/exists`);
  }

  async healthcheck(nameOrId: string): Promise<'starting' | 'healthy' | 'unhealthy'> {
    const { Status } = await this.t.json<{ Status: 'starting' | 'healthy' | 'unhealthy' }>('GET', `/containers/${enc(nameOrId)}/healthcheck`);
    return Status;
  }

  async prune(opts: { filters?: string[] } = {}): Promise<Array<{ id: string; size: number; error?: Error }>> {
    const list = await this.t.json<Array<{ Id: string; Size: number; Err: WireError | null }>>('POST', '/containers/prune', { query: { filters: filtersParam(opts.filters) } });
    return (list ?? []).map((p) => ({ id: p.Id, size: p.Size, ...(p.Err ? { error: itemErrorOf(p.Err) } : {}) }));
  }

  async stat(nameOrId: string, path: string): Promise<ContainerPathStat> {
    const res = await this.t.send('HEAD', `/containers/${enc(nameOrId)}/archive`, { query: { path } });
    await readAll(res);
    const header = res.headers[PATH_STAT_HEADER.toLowerCase()];
    const stat = res.statusCode === 200 && typeof header === 'string' ? pathStatFromHeader(header) : undefined;
    if (stat) return stat;
    if (res.statusCode === 200) throw new TspodError(`the service answered the stat of "${path}" on container ${nameOrId} without a readable ${PATH_STAT_HEADER} header`);
    // A HEAD answer has no body to say which was missing: the container, or the path in it.
    if (res.statusCode === 404) {
      if (!(await this.exists(nameOrId))) throw new NoSuchContainerError(`no container with name or ID "${nameOrId}" found: no such container`);
      throw new NoSuchPathError(`"${path}" could not be found on container ${nameOrId}: no such file or directory`);
    }
    throw errorOf(res, Buffer.alloc(0));
  }

  async cleanup(): Promise<ContainerActionReport[]> {
    throw notRemote('container cleanup', 'conmon runs it on the machine of the service');
  }

  async checkpoint(names: string[], opts: CheckpointOptions & { all?: boolean }): Promise<ContainerActionReport[]> {
    if (opts.export) throw notRemote('container checkpoint --export');
    return this.act(names, opts.all, (s) => s.State === 'running', (n) =>
      this.post(n, 'checkpoint', { keep: opts.keep, leaveRunning: opts.leaveRunning, tcpEstablished: opts.tcpEstablished, fileLocks: opts.fileLocks }),
    );
  }

  async restore(names: string[], opts: RestoreOptions & { all?: boolean; import?: string; name?: string }): Promise<ContainerActionReport[]> {
    if (opts.import) throw notRemote('container restore --import');
    return this.act(names, opts.all, (s) => s.State === 'exited' || s.State === 'stopped', (n) =>
      this.post(n, 'restore', { keep: opts.keep, tcpEstablished: opts.tcpEstablished, fileLocks: opts.fileLocks }),
    );
  }

  async copyFrom(nameOrId: string, path: string, destination: { hostPath: string } | { stream: NodeJS.WritableStream }, _opts?: ContainerCopyOptions): Promise<void> {
    if (!('stream' in destination)) throw notRemote('cp CONTAINER:PATH HOSTPATH', 'copy to stdout instead: tspod cp CONTAINER:PATH - | tar -x');
    const res = await this.t.send('GET', `/containers/${enc(nameOrId)}/archive`, { query: { path } });
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
    await pipeInto(res, destination.stream);
  }

  async copyTo(nameOrId: string, path: string, source: { hostPath: string } | { stream: Readable }, opts: ContainerCopyOptions = {}): Promise<void> {
    if (!('stream' in source)) throw notRemote('cp HOSTPATH CONTAINER:PATH', 'copy a tar archive from stdin instead: tar -c ... | tspod cp - CONTAINER:PATH');
    await this.t.json('PUT', `/containers/${enc(nameOrId)}/archive`, { query: { path, overwrite: opts.overwrite }, body: source.stream, raw: true });
  }

  async commit(nameOrId: string, opts: ContainerCommitOptions): Promise<{ id: string; layers: string[] }> {
    if (opts.squashAll || opts.imageConfig || opts.createdBy || opts.squashSince !== undefined || opts.annotations || opts.includeVolumes) {
      throw notRemote('build steps (commit with build options)');
    }
    const ref = opts.reference ? splitTag(opts.reference) : undefined;
    const { Id } = await this.t.json<{ Id: string }>('POST', '/commit', {
      query: {
        container: nameOrId,
        repo: ref?.repo,
        tag: ref?.tag,
        changes: opts.changes?.length ? opts.changes : undefined,
        comment: opts.message,
        author: opts.author,
        pause: opts.pause,
        squash: opts.squash,
        format: opts.format,
      },
    });
    const image = await this.t.json<{ RootFS?: { Layers?: string[] } }>('GET', `/images/${Id}/json`);
    return { id: Id, layers: image.RootFS?.Layers ?? [] };
  }

  async diff(nameOrId: string): Promise<FileChange[]> {
    const list = await this.t.json<Array<{ Path: string; Kind: number }>>('GET', `/containers/${enc(nameOrId)}/changes`);
    return (list ?? []).map((c) => ({ path: c.Path, kind: c.Kind === 0 ? 'C' : c.Kind === 1 ? 'A' : 'D' }));
  }

  async export(nameOrId: string, out: NodeJS.WritableStream): Promise<void> {
    const res = await this.t.send('GET', `/containers/${enc(nameOrId)}/export`);
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
    await pipeInto(res, out);
  }

  async mount(): Promise<Array<ContainerActionReport & { path?: string }>> {
    throw notRemote('container mount', 'a mount on the service machine is no use here');
  }

  async unmount(): Promise<ContainerActionReport[]> {
    throw notRemote('container unmount', 'a mount on the service machine is no use here');
  }
}

function isActive(status: string): boolean {
  return status === 'running' || status === 'paused' || status === 'initialized';
}

/** Copies a response body into a stream without ending it (stdout must stay open). */
export function pipeInto(source: Readable, out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    source.on('data', (chunk: Buffer) => {
      if (!out.write(chunk)) {
        source.pause();
        out.once('drain', () => source.resume());
      }
    });
    source.once('end', () => resolve());
    source.once('error', reject);
  });
}

