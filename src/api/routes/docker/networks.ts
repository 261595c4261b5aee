/** Docker's `/networks` routes: list, inspect, create, remove, connect, disconnect, prune. */
import type { ApiRouter } from '../../router.js';
import type { Engine } from '../../../engine/types.js';
import { queryBool, queryFilters, readJsonBody, sendEmpty, sendJson, type ApiContext } from '../../http.js';
import {
  DOCKER_DEFAULT_NETWORK,
  dockerNetwork,
  endpointOf,
  networkConnectOptions,
  networkCreateOptions,
  networkDisconnectOptions,
  networkListFilters,
  type DockerEndpoint,
} from '../../compat/networks.js';
import { NoSuchNetworkError } from '../../../util/errors.js';

export function register(router: ApiRouter): void {
  router.get('/networks', list);
  router.post('/networks/create', create);
  router.post('/networks/prune', prune);
  router.get('/networks/:id', inspect);
  router.delete('/networks/:id', remove);
  router.post('/networks/:id/connect', connect);
  router.post('/networks/:id/disconnect', disconnect);
}

/** The engine's name for a network the client named; `bridge` is the default network. */
async function engineName(engine: Engine, name: string): Promise<string> {
  return name === DOCKER_DEFAULT_NETWORK ? engine.networks.defaultName() : name;
}

async function list({ engine, query, res }: ApiContext): Promise<void> {
  const { engineFilters, keep } = networkListFilters(queryFilters(query));
  const [networks, defaultNetwork] = await Promise.all([engine.networks.list({ filters: engineFilters }), engine.networks.defaultName()]);
  sendJson(
    res,
    200,
    networks.filter((n) => keep(n, defaultNetwork)).map((n) => dockerNetwork(n, n.name === defaultNetwork ? DOCKER_DEFAULT_NETWORK : n.name)),
  );
}

async function inspect({ engine, params, query, res }: ApiContext): Promise<void> {
  const scope = query.get('scope');
  if (scope && scope !== 'local') throw new NoSuchNetworkError(`network ${params.id} not found in scope ${scope}`);
  const [found] = await engine.networks.inspect([await engineName(engine, params.id!)]);
  if (found instanceof Error) throw found;
  const network = found!;
  const users = await engine.containers.list({ all: true, filters: [`network=${network.name}`] });
  const containers: Record<string, DockerEndpoint> = {};
  if (users.length > 0) {
    for (const report of await engine.containers.inspect(users.map((c) => c.Id))) {
      if (report instanceof Error) continue; // removed meanwhile
      const endpoint = endpointOf(report, network.name);
      if (endpoint) containers[String(report.Id)] = endpoint;
    }
  }
  const shownName = params.id === DOCKER_DEFAULT_NETWORK ? DOCKER_DEFAULT_NETWORK : network.name;
  sendJson(res, 200, dockerNetwork(network, shownName, containers));
}

async function create({ engine, req, res }: ApiContext): Promise<void> {
  const { options, warning } = networkCreateOptions(await readJsonBody(req));
  const created = await engine.networks.create(options);
  sendJson(res, 201, { Id: created.id, Warning: warning });
}

async function remove({ engine, params, query, res }: ApiContext): Promise<void> {
  const [report] = await engine.networks.remove([await engineName(engine, params.id!)], { force: queryBool(query, 'force') });
  if (report?.error) throw report.error;
  sendEmpty(res, 204);
}

async function connect({ engine, params, req, res }: ApiContext): Promise<void> {
  const { container, options } = networkConnectOptions(await readJsonBody(req));
  await engine.networks.connect(await engineName(engine, params.id!), container, options);
  sendEmpty(res, 200);
}

async function disconnect({ engine, params, req, res }: ApiContext): Promise<void> {
  const { container, force } = networkDisconnectOptions(await readJsonBody(req));
  await engine.networks.disconnect(await engineName(engine, params.id!), container, { force });
  sendEmpty(res, 200);
}

async function prune({ engine, query, res }: ApiContext): Promise<void> {
  const removed = await engine.networks.prune({ filters: queryFilters(query) });
  sendJson(res, 200, { NetworksDeleted: removed });
}
