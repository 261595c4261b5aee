/** Libpod network routes (`/libpod/networks/...`): the networks' own netavark-shaped configs cross unchanged. */
import type { ApiRouter } from '../../router.js';
import { queryBool, queryInt, readJsonBody, sendJson } from '../../http.js';
import { networkCreateFromLibpod } from '../../libpod/reports.js';
import { FieldReader } from '../../libpod/specgen.js';
import { LibpodRoutes, filtersOf, itemError, noContent } from './common.js';
import { BadInputError, NoSuchNetworkError } from '../../../util/errors.js';

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);

  r.post('/networks/create', async ({ engine, req, query, res }) => {
    const created = await engine.networks.create(networkCreateFromLibpod(await readJsonBody(req), queryBool(query, 'ignore')));
    sendJson(res, 200, created);
  });

  r.get('/networks/json', async (ctx) => {
    sendJson(ctx.res, 200, await ctx.engine.networks.list({ filters: filtersOf(ctx) }));
  });

  r.post('/networks/prune', async (ctx) => {
    const names = await ctx.engine.networks.prune({ filters: filtersOf(ctx) });
    sendJson(ctx.res, 200, names.map((name) => ({ Name: name, Error: null })));
  });

  r.get('/networks/:name/json', async ({ engine, params, res }) => {
    const [report] = await engine.networks.inspect([params.name!]);
    if (!report || report instanceof Error) throw report ?? new NoSuchNetworkError(`unable to find network with name or ID ${params.name}: network not found`);
    sendJson(res, 200, report);
  });

  r.get('/networks/:name/exists', async ({ engine, params, res }) => {
    if (!(await engine.networks.exists(params.name!))) throw new NoSuchNetworkError(`unable to find network with name or ID ${params.name}: network not found`);
    noContent(res);
  });

  r.delete('/networks/:name', async ({ engine, params, query, res }) => {
    const reports = await engine.networks.remove([params.name!], { force: queryBool(query, 'force'), timeout: queryInt(query, 'timeout') });
    if (reports.length === 1 && reports[0]!.error) throw reports[0]!.error;
    sendJson(res, 200, reports.map((rep) => ({ Name: rep.name, Err: itemError(rep.error) })));
  });

  r.post('/networks/:name/connect', async ({ engine, params, req, res }) => {
    const body = new FieldReader(await readJsonBody(req));
    const container = body.string('container') ?? body.string('Container');
    if (!container) throw new BadInputError('field container: the container to connect is required');
    const ips = body.strings('static_ips');
    const mac = body.string('static_mac');
    const aliases = body.strings('aliases');
    await engine.networks.connect(params.name!, container, { ...(ips ? { ips } : {}), ...(mac ? { mac } : {}), ...(aliases ? { aliases } : {}) });
    sendJson(res, 200, 'OK');
  });

  r.post('/networks/:name/disconnect', async ({ engine, params, req, res }) => {
    const body = new FieldReader(await readJsonBody(req));
    const container = body.string('Container') ?? body.string('container');
    if (!container) throw new BadInputError('field Container: the container to disconnect is required');
    await engine.networks.disconnect(params.name!, container, { force: body.bool('Force') === true });
    sendJson(res, 200, 'OK');
  });
}
