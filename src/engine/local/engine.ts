import type { EngineOptions } from '../options.js';
import type { Engine } from '../types.js';
import { Runtime } from '../runtime.js';
import { LocalImages } from './images.js';
import { LocalSystem } from './system.js';
import { LocalContainers } from './containers.js';
import { LocalNetworks } from './networks.js';

export function createLocalEngine(globals: EngineOptions): Engine {
  const runtime = new Runtime(globals);
  const containers = new LocalContainers(runtime);
  return {
    containers,
    images: new LocalImages(runtime, (imageId) => containers.removeUsingImage(imageId)),
    networks: new LocalNetworks(runtime, containers.networkUsers(), {
      onRemoved: (network) => containers.releaseBridge(network),
      onIdle: (network) => containers.releaseBridge(network),
    }),
    system: new LocalSystem(runtime, () => containers.counts()),
    close: () => runtime.close(),
  };
}
