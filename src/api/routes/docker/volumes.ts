/** Docker's `/volumes` routes: list, create, inspect, remove, prune. */
import type { ApiRouter } from '../../router.js';
import { queryBool, queryFilters, readJsonBody, sendEmpty, sendJson, type ApiContext } from '../../http.js';
import { dockerVolume, volumeCreateOptions, volumePruneFilters } from '../../compat/volumes.js';
import { NoSuchVolumeError } from '../../../util/errors.js';

export function register(router: ApiRouter): void {
  router.get('/volumes', list);
  router.post('/volumes/create', create);
  router.post('/volumes/prune', prune);
  router.get('/volumes/:name', inspect);
  router.delete('/volumes/:name', remove);
}

async function list({ engine, query, res }: ApiContext): Promise<void> {
  const volumes = await engine.volumes.list({ filters: queryFilters(query) });
  sendJson(res, 200, { Volumes: volumes.map(dockerVolume), Warnings: [] });
}

async function create({ engine, req, res }: ApiContext): Promise<void> {
  const created = await engine.volumes.create(volumeCreateOptions(await readJsonBody(req)));
  sendJson(res, 201, dockerVolume(created));
}

async function inspect({ engine, params, res }: ApiContext): Promise<void> {
  const [found] = await engine.volumes.inspect([params.name!]);
  if (found instanceof Error) throw found;
  sendJson(res, 200, dockerVolume(found!));
}

/** Docker's `force` only forgives a missing volume; one in use is a 409 either way. */
async function remove({ engine, params, query, res }: ApiContext): Promise<void> {
  const [report] = await engine.volumes.remove([params.name!]);
  if (report?.error && !(report.error instanceof NoSuchVolumeError && queryBool(query, 'force'))) throw report.error;
  sendEmpty(res, 204);
}

async function prune({ apiVersion, engine, query, res }: ApiContext): Promise<void> {
  const removed = await engine.volumes.prune({ filters: volumePruneFilters(queryFilters(query), apiVersion) });
  sendJson(res, 200, { VolumesDeleted: removed.map((v) => v.name), SpaceReclaimed: removed.reduce((sum, v) => sum + v.size, 0) });
}
