/** Libpod volume and secret routes (`/libpod/volumes/...`, `/libpod/secrets/...`). */
import type { ApiRouter } from '../../router.js';
import { queryBool, queryInt, readJsonBody, sendJson } from '../../http.js';
import { FieldReader } from '../../libpod/specgen.js';
import { LibpodRoutes, filtersOf, itemError, noContent, queryString, readRawBody } from './common.js';
import { BadInputError, NoSuchSecretError, NoSuchVolumeError } from '../../../util/errors.js';

/** Secret data and volume archives may be large: read raw bodies up to this. */
const MAX_SECRET = 512 * 1024;

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);

  r.post('/volumes/create', async ({ engine, req, query, res }) => {
    const body = new FieldReader(await readJsonBody(req));
    const name = body.string('Name');
    const driver = body.string('Driver');
    const labels = body.stringMap('Labels') ?? body.stringMap('Label');
    const options = body.stringMap('Options');
    const created = await engine.volumes.create({
      ...(name ? { name } : {}),
      ...(driver ? { driver } : {}),
      ...(labels ? { labels } : {}),
      ...(options ? { options } : {}),
      ...(body.bool('IgnoreIfExists') || queryBool(query, 'ignore') ? { ignore: true } : {}),
    });
    sendJson(res, 201, created);
  });

  r.get('/volumes/json', async (ctx) => {
    sendJson(ctx.res, 200, await ctx.engine.volumes.list({ filters: filtersOf(ctx) }));
  });

  r.post('/volumes/prune', async (ctx) => {
    const pruned = await ctx.engine.volumes.prune({ filters: filtersOf(ctx) });
    sendJson(ctx.res, 200, pruned.map((p) => ({ Id: p.name, Size: p.size, Err: null })));
  });

  r.get('/volumes/:name/json', async ({ engine, params, res }) => {
    const [report] = await engine.volumes.inspect([params.name!]);
    if (!report || report instanceof Error) throw report ?? new NoSuchVolumeError(`no volume with name "${params.name}" found: no such volume`);
    sendJson(res, 200, report);
  });

  r.get('/volumes/:name/exists', async ({ engine, params, res }) => {
    if (!(await engine.volumes.exists(params.name!))) throw new NoSuchVolumeError(`no volume with name "${params.name}" found: no such volume`);
    noContent(res);
  });

  r.delete('/volumes/:name', async ({ engine, params, query, res }) => {
    const [report] = await engine.volumes.remove([params.name!], { force: queryBool(query, 'force'), timeout: queryInt(query, 'timeout') });
    if (report?.error) throw report.error;
    noContent(res);
  });

  r.get('/volumes/:name/export', async ({ engine, params, res }) => {
    if (!(await engine.volumes.exists(params.name!))) throw new NoSuchVolumeError(`no volume with name "${params.name}" found: no such volume`);
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await engine.volumes.export(params.name!, res);
    res.end();
  });

  r.post('/volumes/:name/import', async ({ engine, params, req, res }) => {
    await engine.volumes.import(params.name!, req);
    noContent(res);
  });

  r.post('/secrets/create', async ({ engine, req, query, res }) => {
    const name = queryString(query, 'name');
    if (!name) throw new BadInputError('query parameter name: the secret needs a name');
    const data = await readRawBody(req, MAX_SECRET, 'secret data');
    const labels = labelsParam(query.get('labels'));
    const driverOpts = labelsParam(query.get('driveropts'));
    const id = await engine.secrets.create(name, data, {
      ...(queryString(query, 'driver') ? { driver: queryString(query, 'driver') } : {}),
      ...(driverOpts ? { driverOptions: driverOpts } : {}),
      ...(labels ? { labels } : {}),
      ...(queryBool(query, 'replace') ? { replace: true } : {}),
    });
    sendJson(res, 200, { ID: id });
  });

  r.get('/secrets/json', async (ctx) => {
    sendJson(ctx.res, 200, await ctx.engine.secrets.list({ filters: filtersOf(ctx) }));
  });

  r.get('/secrets/:name/json', async ({ engine, params, query, res }) => {
    const [report] = await engine.secrets.inspect([params.name!], { showSecret: queryBool(query, 'showsecret') });
    if (!report || report instanceof Error) throw report ?? new NoSuchSecretError(`no secret with name or id "${params.name}": no such secret`);
    sendJson(res, 200, report);
  });

  r.get('/secrets/:name/exists', async ({ engine, params, res }) => {
    if (!(await engine.secrets.exists(params.name!))) throw new NoSuchSecretError(`no secret with name or id "${params.name}": no such secret`);
    noContent(res);
  });

  r.delete('/secrets/:name', async ({ engine, params, query, res }) => {
    const reports = await engine.secrets.remove([params.name!], { all: queryBool(query, 'all'), ignore: queryBool(query, 'ignore') });
    const failed = reports.find((rep) => rep.error);
    if (failed?.error && reports.length === 1) throw failed.error;
    if (reports.length > 1) {
      sendJson(res, 200, reports.map((rep) => ({ Id: rep.id ?? '', RawInput: rep.name, Err: itemError(rep.error) })));
      return;
    }
    noContent(res);
  });
}

/** `{"a":"b"}` as Podman's bindings send labels in a query parameter. */
function labelsParam(raw: string | null): Record<string, string> | undefined {
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new BadInputError(`query parameter labels: malformed JSON: ${raw}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadInputError('query parameter labels must be a JSON object');
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}
