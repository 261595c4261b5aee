/**
 * Every route module. Each registers its own paths; a group's Docker and
 * libpod routes live in routes/docker/ and routes/libpod/.
 */
import { ApiRouter } from '../router.js';
import * as dockerSystem from './docker/system.js';
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
  for (const module of [
    dockerSystem,
    libpodBuild,
    libpodContainers,
    libpodExec,
    libpodImages,
    libpodKube,
    libpodManifests,
    libpodNetworks,
    libpodPods,
    libpodSystem,
    libpodVolumes,
  ]) {
    module.register(router);
  }
  return router;
}
