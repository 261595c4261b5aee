/**
 * Every route module. Each registers its own paths; a group's Docker and
 * libpod routes live in routes/docker/ and routes/libpod/.
 */
import { ApiRouter } from '../router.js';
import * as dockerBuild from './docker/build.js';
import * as dockerContainerAttach from './docker/containerAttach.js';
import * as dockerContainerOutput from './docker/containerOutput.js';
import * as dockerContainers from './docker/containers.js';
import * as dockerExec from './docker/exec.js';
import * as dockerImages from './docker/images.js';
import * as dockerNetworks from './docker/networks.js';
import * as dockerSystem from './docker/system.js';
import * as dockerSystemEvents from './docker/systemEvents.js';
import * as dockerVolumes from './docker/volumes.js';
import * as libpodBuild from './libpod/build.js';
import * as libpodContainers from './libpod/containers.js';
import * as libpodExec from './libpod/exec.js';
import * as libpodImages from './libpod/images.js';
import * as libpodKube from './libpod/kube.js';
import * as libpodManifests from './libpod/manifests.js';
import * as libpodNetworks from './libpod/networks.js';
import * as libpodPods from './libpod/pods.js';
import * as libpodSystem from './libpod/system.js';
import * as libpodVolumes from './libpod/volumes.js';

export function buildRouter(): ApiRouter {
  const router = new ApiRouter();
  const modules = [
    dockerSystem,
    dockerSystemEvents,
    dockerContainers,
    dockerContainerAttach,
    dockerContainerOutput,
    dockerExec,
    dockerImages,
    dockerBuild,
    dockerNetworks,
    dockerVolumes,
    libpodSystem,
    libpodContainers,
    libpodExec,
    libpodImages,
    libpodBuild,
    libpodPods,
    libpodNetworks,
    libpodVolumes,
    libpodManifests,
    libpodKube,
  ];
  for (const module of modules) module.register(router);
  return router;
}
