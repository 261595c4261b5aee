/**
 * Every route module. Each registers its own paths; a group's Docker and
 * libpod routes live in routes/docker/ and routes/libpod/.
 */
import { ApiRouter } from '../router.js';
import * as dockerSystem from './docker/system.js';
import * as dockerImages from './docker/images.js';
import * as dockerBuild from './docker/build.js';
import * as dockerSystemEvents from './docker/systemEvents.js';

export function buildRouter(): ApiRouter {
  const router = new ApiRouter();
  for (const module of [dockerSystem, dockerSystemEvents, dockerImages, dockerBuild]) module.register(router);
  return router;
}
