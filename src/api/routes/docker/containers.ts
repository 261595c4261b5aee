/** Docker's container routes: list, create, inspect, the lifecycle verbs, rename, top, changes, prune. */
import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { ApiRouter } from '../../router.js';
import { queryBool, queryFilters, queryInt, readJsonBody, sendEmpty, sendJson, sendJsonText, type ApiContext } from '../../http.js';
import { specFromDockerCreate } from '../../compat/containerCreate.js';
import { dockerChanges, dockerInspect, dockerState, dockerSummary, dockerSummaryStatus, dockerTop, type EngineInspect } from '../../compat/containers.js';
import type { ContainerActionReport, ContainerSummary, Engine } from '../../../engine/types.js';
import { BadInputError, ContainerStateError, NoSuchImageError } from '../../../util/errors.js';
import { execSessions, pendingAttaches, startWithAttaches, terminalSizes } from '../../sessions.js';

export function register(router: ApiRouter): void {
  router.get('/containers/json', listContainers);
  router.post('/containers/create', createContainer);
  router.get('/containers/:id/json', inspectContainer);
  router.post('/containers/:id/start', startContainer);
  router.post('/containers/:id/stop', stopContainer);
  router.post('/containers/:id/restart', restartContainer);
  router.post('/containers/:id/kill', killContainer);
  router.post('/containers/:id/pause', (ctx) => simpleAction(ctx, (e, n) => e.containers.pause(n)));
  router.post('/containers/:id/unpause', (ctx) => simpleAction(ctx, (e, n) => e.containers.unpause(n)));
  router.delete('/containers/:id', removeContainer);
  router.post('/containers/:id/rename', renameContainer);
  router.get('/containers/:id/top', topContainer);
  router.get('/containers/:id/changes', async (ctx) => sendJson(ctx.res, 200, dockerChanges(await ctx.engine.containers.diff(ctx.params.id!))));
  router.post('/containers/prune', pruneContainers);
}

/** The engine's inspect report of one container; its typed error (404 and so on) when there is none. */
export async function inspectOne(engine: Engine, name: string, opts: { size?: boolean } = {}): Promise<EngineInspect> {
  const [report] = await engine.containers.inspect([name], opts);
  if (!report || report instanceof Error) throw report ?? new Error(`no report for ${name}`);
  return report as unknown as EngineInspect;
}

/** The one report of a single-container action, thrown when it failed. */
function only(reports: ContainerActionReport[]): ContainerActionReport | undefined {
  const [report] = reports;
  if (report?.error) throw report.error;
  return report;
}

const DOCKER_ONLY_STATES = new Set(['restarting', 'dead']);

async function listContainers(ctx: ApiContext): Promise<void> {
  const { engine, query } = ctx;
  const limit = queryInt(query, 'limit');
  const size = queryBool(query, 'size');
  // Docker's names start with "/": a pattern anchored on it is anchored on the name here.
  let filters = queryFilters(query).map((f) => (f.startsWith('name=') ? `name=${f.slice(5).replace(/^(\^?)\//, '$1')}` : f));
  const statusFilters = filters.filter((f) => f.startsWith('status='));
  // States tspod never has match nothing.
  filters = filters.filter((f) => !(f.startsWith('status=') && DOCKER_ONLY_STATES.has(f.slice(7))));
  if (statusFilters.length > 0 && !filters.some((f) => f.startsWith('status='))) return sendJson(ctx.res, 200, []);
  // As Docker: a status filter or a limit lists stopped containers too.
  const all = queryBool(query, 'all') || statusFilters.length > 0 || (limit !== undefined && limit > 0);
  // Without `all`, Docker lists paused containers with the running ones.
  let summaries = (await engine.containers.list({ all: true, filters, size })).filter((s) => all || s.State === 'running' || s.State === 'paused');
  summaries.sort((a, b) => b.Created - a.Created);
  if (limit !== undefined && limit > 0) summaries = summaries.slice(0, limit);
  const now = Date.now();
  const parts: string[] = [];
  for (const [summary, report] of await withReports(engine, summaries)) {
    // The engine gives a container at rest the same report until it changes: its JSON is
    // made again only when the time-dependent status text moved on.
    const kept = size ? undefined : renderedSummaries.get(report);
    if (kept && kept.status === dockerSummaryStatus(summary, report, now)) {
      parts.push(kept.json);
      continue;
    }
    const item = dockerSummary(summary, report, now);
    const json = JSON.stringify(item);
    if (!size) renderedSummaries.set(report, { status: item.Status as string, json });
    parts.push(json);
  }
  // The same rows as the last answer: its bytes again, without encoding them anew.
  const same = lastList !== undefined && lastList.parts.length === parts.length && parts.every((p, i) => p === lastList!.parts[i]);
  if (!same) lastList = { parts, body: Buffer.from(`[${parts.join(',')}]`) };
  sendJsonText(ctx.res, 200, lastList!.body);
}

/** Each summary with its container's inspect report; a container removed between the two is left out. */
export async function withReports(engine: Engine, summaries: ContainerSummary[]): Promise<Array<[ContainerSummary, EngineInspect]>> {
  const reports = summaries.length ? await engine.containers.inspect(summaries.map((s) => s.Id)) : [];
  return summaries.flatMap((summary, i): Array<[ContainerSummary, EngineInspect]> => {
    const report = reports[i];
    return report && !(report instanceof Error) ? [[summary, report as unknown as EngineInspect]] : [];
  });
}

const renderedSummaries = new WeakMap<object, { status: string; json: string }>();
let lastList: { parts: string[]; body: Buffer } | undefined;

/** As Docker does, an absolute bind source that does not exist is made as a directory. */
function makeBindSources(body: Record<string, unknown>): void {
  const binds = (body.HostConfig as { Binds?: unknown } | null | undefined)?.Binds;
  if (!Array.isArray(binds)) return;
  for (const bind of binds) {
    if (typeof bind !== 'string') continue;
    const [source = '', destination] = bind.split(':');
    // A lone path is an anonymous volume's destination, not a source.
    if (destination !== undefined && isAbsolute(source) && !existsSync(source)) mkdirSync(source, { recursive: true, mode: 0o755 });
  }
}

async function createContainer(ctx: ApiContext): Promise<void> {
  const body = await readJsonBody(ctx.req);
  const name = ctx.query.get('name') || undefined;
  makeBindSources(body);
  const { spec, warnings, consoleSize } = specFromDockerCreate(body, name);
  // Docker never pulls at create: the client pulls on a 404 and asks again.
  if (!(await ctx.engine.images.exists(spec.image))) throw new NoSuchImageError(`No such image: ${spec.image}`);
  const created = await ctx.engine.containers.create(spec);
  if (consoleSize && spec.terminal) terminalSizes.preset(created.id, consoleSize);
  sendJson(ctx.res, 201, { Id: created.id, Warnings: [...warnings, ...created.warnings] });
}

async function inspectContainer(ctx: ApiContext): Promise<void> {
  const inspect = await inspectOne(ctx.engine, ctx.params.id!, { size: queryBool(ctx.query, 'size') });
  sendJson(ctx.res, 200, dockerInspect(inspect, { execIds: execSessions.ofContainer(inspect.Id) }));
}

function isUp(inspect: EngineInspect): boolean {
  const state = dockerState(inspect.State.Status);
  return state === 'running' || state === 'paused';
}

async function startContainer(ctx: ApiContext): Promise<void> {
  const inspect = await inspectOne(ctx.engine, ctx.params.id!);
  if (isUp(inspect)) return sendEmpty(ctx.res, 304);
  const attaches = pendingAttaches.take(inspect.Id);
  if (attaches.length > 0) await startWithAttaches(ctx.engine, inspect.Id, attaches);
  else only(await ctx.engine.containers.start([inspect.Id]));
  sendEmpty(ctx.res, 204);
}

/** `signal` (API 1.42+, `docker stop -s`): sent instead of the container's stop signal. */
function stopSignal(ctx: ApiContext): string | undefined {
  return ctx.query.get('signal') || undefined;
}

/** `t` (and libpod's `timeout`): seconds before SIGKILL. */
function stopTimeout(ctx: ApiContext): number | undefined {
  const t = queryInt(ctx.query, 't') ?? queryInt(ctx.query, 'timeout');
  return t !== undefined && t >= 0 ? t : undefined;
}

async function stopContainer(ctx: ApiContext): Promise<void> {
  const inspect = await inspectOne(ctx.engine, ctx.params.id!);
  if (!isUp(inspect)) return sendEmpty(ctx.res, 304);
  only(await ctx.engine.containers.stop([inspect.Id], { timeout: stopTimeout(ctx), signal: stopSignal(ctx) }));
  sendEmpty(ctx.res, 204);
}

async function restartContainer(ctx: ApiContext): Promise<void> {
  const inspect = await inspectOne(ctx.engine, ctx.params.id!);
  only(await ctx.engine.containers.restart([inspect.Id], { timeout: stopTimeout(ctx), signal: stopSignal(ctx) }));
  sendEmpty(ctx.res, 204);
}

async function killContainer(ctx: ApiContext): Promise<void> {
  const inspect = await inspectOne(ctx.engine, ctx.params.id!);
  if (!isUp(inspect)) throw new ContainerStateError(`Cannot kill container: ${ctx.params.id}: container ${inspect.Id} is not running`);
  only(await ctx.engine.containers.kill([inspect.Id], { signal: ctx.query.get('signal') || 'SIGKILL' }));
  sendEmpty(ctx.res, 204);
}

async function simpleAction(ctx: ApiContext, action: (engine: Engine, names: string[]) => Promise<ContainerActionReport[]>): Promise<void> {
  only(await action(ctx.engine, [ctx.params.id!]));
  sendEmpty(ctx.res, 204);
}

async function removeContainer(ctx: ApiContext): Promise<void> {
  if (queryBool(ctx.query, 'link')) throw new BadInputError('link removal is not supported: links are a legacy Docker feature tspod does not have');
  const force = queryBool(ctx.query, 'force');
  only(
    await ctx.engine.containers.remove([ctx.params.id!], {
      force,
      // Docker's forced removal kills at once, without the stop signal's grace period.
      ...(force ? { timeout: 0 } : {}),
      volumes: queryBool(ctx.query, 'v') || queryBool(ctx.query, 'volumes'),
    }),
  );
  sendEmpty(ctx.res, 204);
}

async function renameContainer(ctx: ApiContext): Promise<void> {
  const name = ctx.query.get('name');
  if (!name) throw new BadInputError('query parameter name must be given: the new name');
  await ctx.engine.containers.rename(ctx.params.id!, name);
  sendEmpty(ctx.res, 204);
}

/** Docker's default `ps -ef` columns, in the engine's descriptors. */
const TOP_DEFAULT = ['user', 'pid', 'ppid', 'pcpu', 'etime', 'tty', 'time', 'args'];

/** ps(1) option sets (`-ef`, `aux`) rather than column names: Docker passes them to ps, tspod shows its default columns. */
const PS_OPTIONS = /^(-[a-zA-Z]+|[a-z]{1,3})$/;
const SHORT_COLUMNS = new Set(['pid', 'tty', 'uid', 'gid', 'rss', 'vsz']);

async function topContainer(ctx: ApiContext): Promise<void> {
  const psArgs = ctx.query.get('ps_args')?.trim() ?? '';
  const columns = psArgs === '' || (PS_OPTIONS.test(psArgs) && !SHORT_COLUMNS.has(psArgs)) ? TOP_DEFAULT : psArgs.split(/[\s,]+/).filter(Boolean);
  sendJson(ctx.res, 200, dockerTop(await ctx.engine.containers.top(ctx.params.id!, columns)));
}

async function pruneContainers(ctx: ApiContext): Promise<void> {
  const results = await ctx.engine.containers.prune({ filters: queryFilters(ctx.query) });
  const deleted = results.filter((r) => !r.error);
  sendJson(ctx.res, 200, {
    ContainersDeleted: deleted.length ? deleted.map((r) => r.id) : null,
    SpaceReclaimed: deleted.reduce((sum, r) => sum + r.size, 0),
  });
}
