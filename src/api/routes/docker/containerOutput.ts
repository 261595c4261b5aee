/** What comes out of a container as a stream: logs, stats, export, and the archive (docker cp) routes. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiRouter } from '../../router.js';
import { queryBool, sendEmpty, type ApiContext } from '../../http.js';
import { flushWriters, jsonLines } from '../../streams.js';
import { dockerStats, PATH_STAT_HEADER, pathStatHeader, type StatsReading } from '../../compat/containers.js';
import type { Engine } from '../../../engine/types.js';
import { BadInputError, TspodError } from '../../../util/errors.js';
import { nowRfc3339Nano } from '../../../util/time.js';
import { inspectOne } from './containers.js';
import { outputWriters, streamContentType } from './containerAttach.js';

export function register(router: ApiRouter): void {
  router.get('/containers/:id/logs', containerLogs);
  router.get('/containers/:id/stats', containerStats);
  router.get('/containers/:id/export', exportContainer);
  router.head('/containers/:id/archive', statArchivePath);
  router.get('/containers/:id/archive', getArchive);
  router.put('/containers/:id/archive', putArchive);
}

/** A log driver that keeps nothing to read back. */
class LogsUnavailableError extends TspodError {
  override code = 'LOGS_UNAVAILABLE';
  override status = 501;
}

/** `since`/`until` as Docker sends them: Unix seconds, with an optional fraction; 0 is unset. */
function queryTime(ctx: ApiContext, name: string): Date | undefined {
  const value = ctx.query.get(name);
  if (!value || value === '0') return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds)) throw new BadInputError(`query parameter ${name}: "${value}" is not a Unix timestamp`);
  return new Date(seconds * 1000);
}

async function containerLogs(ctx: ApiContext): Promise<void> {
  const { engine, query, res } = ctx;
  const stdout = queryBool(query, 'stdout');
  const stderr = queryBool(query, 'stderr');
  if (!stdout && !stderr) throw new BadInputError('Bad parameters: you must choose at least one stream: stdout=1 or stderr=1');
  const tailText = query.get('tail');
  let tail: number | undefined;
  if (tailText && tailText !== 'all') {
    tail = Number(tailText);
    if (!Number.isInteger(tail)) throw new BadInputError(`query parameter tail: "${tailText}" is not a number or "all"`);
  }
  const since = queryTime(ctx, 'since');
  const until = queryTime(ctx, 'until');
  const inspect = await inspectOne(engine, ctx.params.id!);
  if (inspect.HostConfig.LogConfig.Type !== 'k8s-file') {
    throw new LogsUnavailableError(`configured logging driver "${inspect.HostConfig.LogConfig.Type}" does not support reading`);
  }
  const tty = inspect.Config.Tty === true;
  res.writeHead(200, { 'Content-Type': streamContentType(tty) });
  res.flushHeaders();
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const out = outputWriters(res, tty, { stdout, stderr });
  await engine.containers.logs(
    [inspect.Id],
    { follow: queryBool(query, 'follow'), timestamps: queryBool(query, 'timestamps'), tail, since, until, signal: abort.signal },
    out,
  );
  await flushWriters(out.stdout, out.stderr);
  res.end();
}

/** The host's CPU time over all CPUs in nanoseconds (/proc/stat), what Docker's CPU % divides by. */
function hostCpuNanos(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.split(/\s+/).slice(1, 9).reduce((sum, v) => sum + (Number(v) || 0), 0);
    // USER_HZ is 100 on Linux.
    return ticks * 1e7;
  } catch {
    return 0;
  }
}

async function statsReading(engine: Engine, id: string): Promise<StatsReading> {
  const [report] = await engine.containers.stats([id]);
  return { sample: report?.sample, systemNanos: hostCpuNanos(), onlineCpus: availableParallelism(), read: nowRfc3339Nano() };
}

/** Docker takes two samples a second apart for one that is not a stream (the CPU % needs both). */
const SAMPLE_INTERVAL_MS = 1000;

async function containerStats(ctx: ApiContext): Promise<void> {
  const { engine, query, res } = ctx;
  const inspect = await inspectOne(engine, ctx.params.id!);
  const stream = queryBool(query, 'stream', true);
  const oneShot = queryBool(query, 'one-shot');
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const name = inspect.Name;
  let previous: StatsReading | undefined;
  let current = await statsReading(engine, inspect.Id);
  if (!stream) {
    if (!oneShot && current.sample) {
      previous = current;
      await delay(SAMPLE_INTERVAL_MS, undefined, { signal: abort.signal });
      current = await statsReading(engine, inspect.Id);
    }
    const body = JSON.stringify(dockerStats(inspect.Id, name, current, previous));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const lines = jsonLines(res);
  try {
    for (;;) {
      if (!lines.send(dockerStats(inspect.Id, name, current, previous))) {
        if (res.destroyed) break;
      }
      await delay(SAMPLE_INTERVAL_MS, undefined, { signal: abort.signal });
      previous = current;
      current = await statsReading(engine, inspect.Id);
    }
  } catch (err) {
    // The client went away, or the container was removed: the stream ends.
    if (!abort.signal.aborted && !(err instanceof TspodError)) throw err;
  }
  lines.end();
}

async function exportContainer(ctx: ApiContext): Promise<void> {
  const inspect = await inspectOne(ctx.engine, ctx.params.id!);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await ctx.engine.containers.export(inspect.Id, ctx.res);
  ctx.res.end();
}

function archivePath(ctx: ApiContext): string {
  const path = ctx.query.get('path');
  if (!path) throw new BadInputError('query parameter path must be given: the path in the container');
  return path;
}


async function statArchivePath(ctx: ApiContext): Promise<void> {
  const stat = await ctx.engine.containers.stat(ctx.params.id!, archivePath(ctx));
  ctx.res.setHeader(PATH_STAT_HEADER, pathStatHeader(stat));
  sendEmpty(ctx.res, 200);
}

async function getArchive(ctx: ApiContext): Promise<void> {
  const path = archivePath(ctx);
  const stat = await ctx.engine.containers.stat(ctx.params.id!, path);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', [PATH_STAT_HEADER]: pathStatHeader(stat) });
  await ctx.engine.containers.copyFrom(ctx.params.id!, path, { stream: ctx.res });
  ctx.res.end();
}

async function putArchive(ctx: ApiContext): Promise<void> {
  const path = archivePath(ctx);
  await ctx.engine.containers.copyTo(ctx.params.id!, path, { stream: ctx.req }, {
    // Docker's copyUIDGID: the files belong to the container's user; without it they keep the archive's owners.
    archive: queryBool(ctx.query, 'copyUIDGID'),
    overwrite: !queryBool(ctx.query, 'noOverwriteDirNonDir'),
  });
  ctx.res.writeHead(200, { 'Content-Length': '0' });
  ctx.res.end();
}

