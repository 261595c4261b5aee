import type { EngineOptions } from '../options.js';
import type { Engine } from '../types.js';
import { Runtime } from '../runtime.js';
import { LocalImages } from './images.js';
import { LocalManifests } from './manifests.js';
import { LocalSystem } from './system.js';
import { LocalContainers } from './containers.js';
import { LocalNetworks } from './networks.js';
import { LocalPods } from './pods.js';
import { LocalVolumes } from './volumes.js';
import { LocalSecrets } from './secrets.js';

export function createLocalEngine(globals: EngineOptions): Engine {
  const runtime = new Runtime(globals);
  const containers = new LocalContainers(runtime);
  const images = new LocalImages(runtime, (imageId) => containers.removeUsingImage(imageId));
  const pods = new LocalPods(runtime, containers, images);
  containers.joinPod = (spec) => pods.join(spec);
  const networks = new LocalNetworks(runtime, containers.networkUsers(), {
    onRemoved: (network) => containers.releaseBridge(network),
    onIdle: (network) => containers.releaseBridge(network),
  });
  const volumes = new LocalVolumes(runtime, {
    list: () => containers.lifecycle.db.list(),
    isActive: (record) => ['running', 'paused', 'initialized'].includes(containers.lifecycle.observe(record).state.status),
    removeContainer: (id, opts) => containers.lifecycle.remove(id, opts),
  });
  const secrets = new LocalSecrets(runtime);
  const system = new LocalSystem(runtime, () => containers.counts(), {
    containers,
    images,
    pods,
    networks,
    volumes,
    secrets,
    containerRecords: () => containers.lifecycle.db.list(),
    containerLayerDir: (id) => containers.lifecycle.layers.dir(id),
    orphanedContainers: () => containers.lifecycle.orphans(),
    removeOrphanedContainer: (id) => containers.lifecycle.removeOrphan(id),
    setContainerRuntime: (id, name) => containers.lifecycle.setRuntime(id, name),
  });
  return {
    containers,
    images,
    manifests: new LocalManifests(runtime),
    networks,
    pods,
    system,
    volumes,
    secrets,
    close: () => runtime.close(),
  };
}
