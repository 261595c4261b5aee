/** Libpod pod routes (`/libpod/pods/...`): Podman 4.3's paths and report shapes. */
import type { ApiRouter } from '../../router.js';
import { queryBool, queryInt, readJsonBody, sendJson } from '../../http.js';
import { podCreateFromLibpod } from '../../libpod/reports.js';
import { LibpodRoutes, filtersOf, itemError, noContent, queryList, queryString } from './common.js';
import { NoSuchPodError } from '../../../util/errors.js';
import type { PodActionReport } from '../../../engine/types.js';

/** Podman's pod action report (Errs: the containers that failed), with the pod's own error. */
export function podReport(r: PodActionReport): Record<string, unknown> {
  return {
    Id: r.id ?? '',
    RawInput: r.name,
    Err: itemError(r.error),
    Errs: (r.containerErrors ?? []).map((c) => ({ Id: c.id, Err: itemError(c.error) })),
  };
}

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);

  r.post('/pods/create', async ({ engine, req, res }) => {
    const { id } = await engine.pods.create(podCreateFromLibpod(await readJsonBody(req)));
    sendJson(res, 201, { Id: id });
  });

  r.get('/pods/json', async (ctx) => {
    sendJson(ctx.res, 200, await ctx.engine.pods.list({ filters: filtersOf(ctx) }));
  });

  r.get('/pods/stats', async ({ engine, query, res }) => {
    const names = queryList(query, 'namesOrIDs');
    sendJson(res, 200, await engine.pods.stats(names, { all: queryBool(query, 'all') || names.length === 0 }));
  });

  r.post('/pods/prune', async ({ engine, res }) => {
    sendJson(res, 200, (await engine.pods.prune()).map(podReport));
  });

  r.delete('/pods/:name', async ({ engine, params, query, res }) => {
    const reports = await engine.pods.remove([params.name!], {
      force: queryBool(query, 'force'),
      ignore: queryBool(query, 'ignore'),
      timeout: queryInt(query, 'timeout'),
    });
    const [report] = reports;
    if (report?.error) throw report.error;
    sendJson(res, 200, report ? podReport(report) : { Id: '', RawInput: params.name, Err: null, Errs: [] });
  });

  r.get('/pods/:name/json', async ({ engine, params, res }) => {
    const [report] = await engine.pods.inspect([params.name!]);
    if (!report || report instanceof Error) throw report ?? new NoSuchPodError(`no pod with name or ID ${params.name} found: no such pod`);
    sendJson(res, 200, report);
  });

  r.get('/pods/:name/exists', async ({ engine, params, res }) => {
    if (!(await engine.pods.exists(params.name!))) throw new NoSuchPodError(`no pod with name or ID ${params.name} found: no such pod`);
    noContent(res);
  });

  r.get('/pods/:name/top', async ({ engine, params, query, res }) => {
    const descriptors = query.getAll('ps_args').flatMap((a) => a.split(/[\s,]+/)).filter(Boolean);
    const [titles, ...processes] = await engine.pods.top(params.name!, descriptors);
    sendJson(res, 200, { Titles: titles ?? [], Processes: processes });
  });

  for (const verb of ['start', 'stop', 'kill', 'pause', 'unpause', 'restart'] as const) {
    r.post(`/pods/:name/${verb}`, async ({ engine, params, query, res }) => {
      const name = params.name!;
      let reports: PodActionReport[];
      switch (verb) {
        case 'stop':
          reports = await engine.pods.stop([name], { timeout: queryInt(query, 'timeout') ?? queryInt(query, 't'), ignore: queryBool(query, 'ignore') });
          break;
        case 'kill':
          reports = await engine.pods.kill([name], { signal: queryString(query, 'signal') || undefined });
          break;
        default:
          reports = await engine.pods[verb]([name]);
      }
      const [report] = reports;
      if (report?.error) throw report.error;
      sendJson(res, 200, report ? podReport(report) : { Id: '', RawInput: name, Err: null, Errs: [] });
    });
  }
}
