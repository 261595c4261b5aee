/**
 * Libpod container routes (`/libpod/containers/...`, `/libpod/commit`): the
 * engine's container calls with Podman 4.3's paths, query parameters and
 * JSON shapes (list and inspect are the engine's own podman-shaped reports).
 */
import { Writable } from 'node:stream';
import type { ApiRouter } from '../../router.js';
import { queryBool, queryInt, readJsonBody, sendJson, type ApiContext } from '../../http.js';
import { framedWriter, hijack, rawWriter, STDERR, STDOUT, frame } from '../../streams.js';
import { specFromSpecGenerator } from '../../libpod/specgen.js';
import { containerListEntry as listEntry, containerStatsEntry } from '../../libpod/reports.js';
import { toWireError } from '../../libpod/errors.js';
import { PATH_STAT_HEADER, pathStatHeader } from '../../compat/containers.js';
import { LibpodRoutes, filtersOf, itemError, noContent, queryList, queryString, single } from './common.js';
import { execSessions, pendingAttaches, recentExits, startWithAttaches, terminalSizes, type PendingAttach } from '../../sessions.js';
import { BadInputError, NoSuchContainerError } from '../../../util/errors.js';
import type { AttachResult, AttachStreams, Engine } from '../../../engine/types.js';

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);

  r.get('/containers/json', async (ctx) => {
    const { engine, query, res } = ctx;
    const limit = queryInt(query, 'limit') ?? queryInt(query, 'last');
    const list = await engine.containers.list({
      all: queryBool(query, 'all'),
      filters: filtersOf(ctx),
      ...(limit !== undefined && limit > 0 ? { last: limit } : {}),
      size: queryBool(query, 'size'),
      external: queryBool(query, 'external'),
    });
    sendJson(res, 200, list.map(listEntry));
  });

  r.post('/containers/create', async ({ engine, req, res }) => {
    const spec = specFromSpecGenerator(await readJsonBody(req));
    const created = await engine.containers.create(spec);
    sendJson(res, 201, { Id: created.id, Warnings: created.warnings });
  });

  r.get('/containers/stats', async (ctx) => {
    const { engine, query, res } = ctx;
    const names = queryList(query, 'containers');
    const all = queryBool(query, 'all') || names.length === 0;
    const stream = queryBool(query, 'stream', true);
    const interval = Math.max(1, queryInt(query, 'interval') ?? 5);
    const sample = async () => (await engine.containers.stats(names, { all })).map(containerStatsEntry);
    if (!stream) {
      sendJson(res, 200, { Error: null, Stats: await sample() });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let closed = false;
    res.on('close', () => (closed = true));
    while (!closed) {
      res.write(`${JSON.stringify({ Error: null, Stats: await sample() })}\n`);
      await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    }
  });

  r.post('/containers/prune', async (ctx) => {
    const reports = await ctx.engine.containers.prune({ filters: filtersOf(ctx) });
    sendJson(ctx.res, 200, reports.map((p) => ({ Id: p.id, Size: p.size, Err: itemError(p.error) })));
  });

  r.get('/containers/:name/json', async ({ engine, params, query, res }) => {
    const [report] = await engine.containers.inspect([params.name!], { size: queryBool(query, 'size') });
    if (!report || report instanceof Error) throw report ?? new NoSuchContainerError(`no container with name or ID "${params.name}" found: no such container`);
    // The service's exec sessions, whichever API family created them.
    sendJson(res, 200, { ...report, ExecIDs: execSessions.ofContainer(String(report.Id)) });
  });

  r.get('/containers/:name/exists', async ({ engine, params, res }) => {
    if (!(await engine.containers.exists(params.name!))) throw new NoSuchContainerError(`no container with name or ID "${params.name}" found: no such container`);
    noContent(res);
  });

  r.post('/containers/:name/start', async ({ engine, params, res }) => {
    const pending = await pendingAttachesOf(engine, params.name!);
    if (pending) {
      await startWithAttaches(engine, pending.id, pending.attaches);
      noContent(res);
      return;
    }
    single(await engine.containers.start([params.name!]), 'start');
    noContent(res);
  });

  const action = (verb: 'stop' | 'kill' | 'pause' | 'unpause' | 'restart' | 'init') =>
    r.post(`/containers/:name/${verb}`, async ({ engine, params, query, res }) => {
      const name = params.name!;
      const timeout = queryInt(query, 'timeout') ?? queryInt(query, 't');
      let reports;
      switch (verb) {
        case 'stop':
          reports = await engine.containers.stop([name], { timeout, ignore: queryBool(query, 'ignore'), signal: queryString(query, 'signal') || undefined });
          break;
        case 'kill':
          reports = await engine.containers.kill([name], { signal: queryString(query, 'signal') || 'SIGKILL' });
          break;
        case 'restart':
          reports = await engine.containers.restart([name], { timeout, signal: queryString(query, 'signal') || undefined });
          break;
        default:
          reports = await engine.containers[verb]([name]);
      }
      if (reports.length > 0) single(reports, verb);
      noContent(res);
    });
  for (const verb of ['stop', 'kill', 'pause', 'unpause', 'restart', 'init'] as const) action(verb);

  r.delete('/containers/:name', async ({ engine, params, query, res }) => {
    const reports = await engine.containers.remove([params.name!], {
      force: queryBool(query, 'force'),
      ignore: queryBool(query, 'ignore'),
      volumes: queryBool(query, 'v') || queryBool(query, 'volumes'),
      depend: queryBool(query, 'depend'),
      timeout: queryInt(query, 'timeout'),
    });
    // One container that could not be removed is an error status, as Podman answers.
    if (reports.length === 1 && reports[0]!.error) throw reports[0]!.error;
    sendJson(res, 200, reports.map((rep) => ({ Id: rep.id ?? '', Err: itemError(rep.error), RawInput: rep.name })));
  });

  r.post('/containers/:name/wait', async ({ engine, params, query, res }) => {
    const conditions = queryList(query, 'condition');
    const [report] = await engine.containers.wait([params.name!], { conditions });
    if (report?.error) {
      const code = report.error instanceof NoSuchContainerError ? recentExits.of(params.name!) : undefined;
      if (code === undefined) throw report.error;
      sendJson(res, 200, code);
      return;
    }
    sendJson(res, 200, report?.exitCode ?? -1);
  });

  r.get('/containers/:name/logs', async ({ engine, params, query, res }) => {
    let stdout = queryBool(query, 'stdout');
    let stderr = queryBool(query, 'stderr');
    if (!stdout && !stderr) stdout = stderr = true;
    const tail = queryString(query, 'tail');
    const since = timeParam(query, 'since');
    const until = timeParam(query, 'until');
    // The container must exist before the stream starts, so a missing one is a 404.
    const [info] = await engine.containers.inspect([params.name!]);
    if (info instanceof Error) throw info;
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
    res.flushHeaders();
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    try {
      await engine.containers.logs(
        [params.name!],
        {
          follow: queryBool(query, 'follow'),
          timestamps: queryBool(query, 'timestamps'),
          ...(tail !== undefined && tail !== 'all' && tail !== '' && Number(tail) >= 0 ? { tail: Number(tail) } : {}),
          ...(since ? { since } : {}),
          ...(until ? { until } : {}),
          signal: gone.signal,
        },
        { stdout: stdout ? framedWriter(res, STDOUT) : discard(), stderr: stderr ? framedWriter(res, STDERR) : discard() },
      );
    } catch (err) {
      if (!res.destroyed) res.write(frame(3, Buffer.from(`${(err as Error).message}\n`)));
    }
    res.end();
  });

  r.get('/containers/:name/top', async ({ engine, params, query, res }) => {
    const descriptors = query.getAll('ps_args').flatMap((a) => a.split(/[\s,]+/)).filter(Boolean);
    const [titles, ...processes] = await engine.containers.top(params.name!, descriptors);
    sendJson(res, 200, { Titles: titles ?? [], Processes: processes });
  });

  r.post('/containers/:name/rename', async ({ engine, params, query, res }) => {
    const name = queryString(query, 'name');
    if (!name) throw new BadInputError('query parameter name: the new name is required');
    await engine.containers.rename(params.name!, name);
    noContent(res);
  });

  r.get('/containers/:name/healthcheck', async ({ engine, params, res }) => {
    const status = await engine.containers.healthcheck(params.name!);
    const [info] = await engine.containers.inspect([params.name!]);
    const health = info instanceof Error ? undefined : ((info?.State as Record<string, unknown> | undefined)?.Health as Record<string, unknown> | undefined);
    sendJson(res, 200, { Status: status, FailingStreak: health?.FailingStreak ?? 0, Log: health?.Log ?? [] });
  });

  r.get('/containers/:name/changes', async ({ engine, params, res }) => {
    const changes = await engine.containers.diff(params.name!);
    sendJson(res, 200, changes.map((c) => ({ Path: c.path, Kind: c.kind === 'C' ? 0 : c.kind === 'A' ? 1 : 2 })));
  });

  r.get('/containers/:name/export', async ({ engine, params, res }) => {
    const [info] = await engine.containers.inspect([params.name!]);
    if (info instanceof Error) throw info;
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await engine.containers.export(params.name!, res);
    res.end();
  });

  r.on('HEAD', '/containers/:name/archive', async ({ engine, params, query, res }) => {
    const path = queryString(query, 'path');
    if (!path) throw new BadInputError('query parameter path is required');
    res.writeHead(200, { [PATH_STAT_HEADER]: pathStatHeader(await engine.containers.stat(params.name!, path)) });
    res.end();
  });

  r.get('/containers/:name/archive', async ({ engine, params, query, res }) => {
    const path = queryString(query, 'path');
    if (!path) throw new BadInputError('query parameter path is required');
    // Errors (missing container or path) must come before the 200 goes out: copy into a buffer first.
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    await engine.containers.copyFrom(params.name!, path, { stream: sink });
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': body.length });
    res.end(body);
  });

  r.put('/containers/:name/archive', async ({ engine, params, query, req, res }) => {
    const path = queryString(query, 'path');
    if (!path) throw new BadInputError('query parameter path is required');
    await engine.containers.copyTo(params.name!, path, { stream: req }, { overwrite: queryBool(query, 'noOverwriteDirNonDir') ? false : queryBool(query, 'overwrite', false) });
    res.writeHead(200);
    res.end();
  });

  r.post('/commit', async ({ engine, query, res }) => {
    const container = queryString(query, 'container');
    if (!container) throw new BadInputError('query parameter container is required');
    const repo = queryString(query, 'repo');
    const tag = queryString(query, 'tag');
    const format = queryString(query, 'format');
    const { id } = await engine.containers.commit(container, {
      ...(repo ? { reference: tag ? `${repo}:${tag}` : repo } : {}),
      changes: queryList(query, 'changes'),
      message: queryString(query, 'comment'),
      author: queryString(query, 'author'),
      pause: queryBool(query, 'pause'),
      squash: queryBool(query, 'squash'),
      ...(format === 'docker' || format === 'oci' ? { format } : {}),
    });
    sendJson(res, 201, { Id: id });
  });

  r.post('/containers/:name/checkpoint', async ({ engine, params, query, res }) => {
    if (queryBool(query, 'export')) throw new BadInputError('checkpoint --export is not available through the API yet: export on the server');
    const report = single(
      await engine.containers.checkpoint([params.name!], {
        keep: queryBool(query, 'keep'),
        leaveRunning: queryBool(query, 'leaveRunning'),
        tcpEstablished: queryBool(query, 'tcpEstablished'),
        fileLocks: queryBool(query, 'fileLocks'),
      }),
      'checkpoint',
    );
    sendJson(res, 200, { Id: report.id ?? params.name, Err: null });
  });

  r.post('/containers/:name/restore', async ({ engine, params, query, res }) => {
    if (queryBool(query, 'import')) throw new BadInputError('restore --import is not available through the API yet: import on the server');
    const report = single(
      await engine.containers.restore([params.name!], {
        keep: queryBool(query, 'keep'),
        tcpEstablished: queryBool(query, 'tcpEstablished'),
        fileLocks: queryBool(query, 'fileLocks'),
      }),
      'restore',
    );
    sendJson(res, 200, { Id: report.id ?? params.name, Err: null });
  });

  r.post('/containers/:name/attach', (ctx) => attach(ctx));

  r.post('/containers/:name/resize', async ({ engine, params, query, res }) => {
    const [info] = await engine.containers.inspect([params.name!]);
    if (!info || info instanceof Error) throw info ?? new NoSuchContainerError(`no container with name or ID "${params.name}" found: no such container`);
    terminalSizes.resize(String(info.Id), sizeParams(query));
    sendJson(res, 200, {});
  });
}

export function sizeParams(query: URLSearchParams): { rows: number; columns: number } {
  const rows = queryInt(query, 'h');
  const columns = queryInt(query, 'w');
  if (rows === undefined || columns === undefined || rows <= 0 || columns <= 0) throw new BadInputError('query parameters h and w: give the terminal height and width');
  return { rows, columns };
}

function timeParam(query: URLSearchParams, name: string): Date | undefined {
  const v = queryString(query, name);
  if (!v) return undefined;
  const d = /^\d+(\.\d+)?$/.test(v) ? new Date(Number(v) * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) throw new BadInputError(`query parameter ${name}: "${v}" is not a time`);
  // Podman's client sends Go's zero time (0001-01-01) for "not set".
  return d.getUTCFullYear() <= 1 ? undefined : d;
}

function discard(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

/**
 * Attach: to a running container at once; to one not running yet, when a
 * start request comes (Podman's remote run attaches first, then starts).
 */
async function attach(ctx: ApiContext): Promise<void> {
  const { engine, params, query } = ctx;
  const [info] = await engine.containers.inspect([params.name!]);
  if (!info || info instanceof Error) throw info ?? new NoSuchContainerError(`no container with name or ID "${params.name}" found: no such container`);
  const id = String(info.Id);
  const tty = (info.Config as { Tty?: boolean } | undefined)?.Tty === true;
  const status = String((info.State as { Status?: string } | undefined)?.Status ?? '');
  const named = ['stdin', 'stdout', 'stderr'].some((s) => query.has(s));
  const wantStdin = queryBool(query, 'stdin');
  const wantStdout = named ? queryBool(query, 'stdout') : true;
  const wantStderr = named ? queryBool(query, 'stderr') : true;
  const conn = hijack(ctx);
  const connection = ctx.upgrade?.socket ?? ctx.res;
  const terminal = tty ? terminalSizes.start(id) : undefined;
  let gone = false;
  connection.once('close', () => {
    gone = true;
    terminal?.close();
  });
  const out = untilGone(tty ? rawWriter(conn.output) : framedWriter(conn.output, STDOUT), connection, () => gone);
  const err = tty ? out : untilGone(framedWriter(conn.output, STDERR), connection, () => gone);
  const streams: AttachStreams = {
    stdin: wantStdin ? conn.input : undefined,
    stdout: wantStdout ? out : discard(),
    stderr: wantStderr ? err : discard(),
    detachKeys: queryString(query, 'detachKeys'),
    terminal: terminal?.terminal,
    sigProxy: false,
  };
  let ended = false;
  const finish = (result: AttachResult | undefined, error?: unknown) => {
    if (ended) return;
    ended = true;
    terminal?.close();
    if (result?.exitCode !== undefined) recentExits.remember(id, result.exitCode);
    if (error && !tty) conn.output.write(frame(3, Buffer.from(`${toWireError(error).message}\n`)));
    conn.close();
  };
  if (status === 'running' || status === 'paused') {
    engine.containers.attach(id, streams).then(
      (result) => finish(result),
      (e: unknown) => finish(undefined, e),
    );
    return;
  }
  const pending: PendingAttach = { streams, settle: finish };
  const withdraw = pendingAttaches.add(id, pending);
  connection.once('close', withdraw);
}

/**
 * A writer to a client's connection that stops holding the container's output
 * back once the client is gone (the engine waits for its streams to drain).
 */
function untilGone(w: Writable, connection: NodeJS.EventEmitter, gone: () => boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (gone() || w.write(chunk)) return cb();
      const done = () => {
        w.off('drain', done);
        connection.off('close', done);
        cb();
      };
      w.once('drain', done);
      connection.once('close', done);
    },
  });
}

async function pendingAttachesOf(engine: Engine, name: string): Promise<{ id: string; attaches: PendingAttach[] } | undefined> {
  const direct = pendingAttaches.take(name);
  if (direct.length) return { id: name, attaches: direct };
  const [info] = await engine.containers.inspect([name]);
  if (!info || info instanceof Error) return undefined;
  const id = String(info.Id);
  const attaches = pendingAttaches.take(id);
  return attaches.length ? { id, attaches } : undefined;
}
