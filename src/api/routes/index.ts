/**
 * Every route module. Each registers its own paths; a group's Docker and
 * libpod routes live in routes/docker/ and routes/libpod/.
 */
import { ApiRouter } from '../router.js';
import * as dockerNetworks from './docker/networks.js';
import * as dockerSystem from './docker/system.js';
import * as dockerVolumes from './docker/volumes.js';

export function buildRouter(): ApiRouter {
  const router = new ApiRouter();
  for (const module of [dockerSystem, dockerNetworks, dockerVolumes]) module.register(router);
  return router;
}
