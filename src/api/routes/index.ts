/**
 * Every route module. Each registers its own paths; a group's Docker and
 * libpod routes live in routes/docker/ and routes/libpod/.
 */
import { ApiRouter } from '../router.js';
import * as dockerContainerAttach from './docker/containerAttach.js';
import * as dockerContainerOutput from './docker/containerOutput.js';
import * as dockerContainers from './docker/containers.js';
import * as dockerExec from './docker/exec.js';
import * as dockerNetworks from './docker/networks.js';
import * as dockerSystem from './docker/system.js';
import * as dockerVolumes from './docker/volumes.js';

export function buildRouter(): ApiRouter {
  const router = new ApiRouter();
  for (const module of [dockerSystem, dockerContainers, dockerContainerAttach, dockerContainerOutput, dockerExec, dockerNetworks, dockerVolumes]) {
    module.register(router);
  }
  return router;
}
