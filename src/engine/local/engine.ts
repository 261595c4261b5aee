import type { EngineOptions } from '../options.js';
import type { Engine } from '../types.js';
import { Runtime } from '../runtime.js';
import { LocalImages } from './images.js';
import { LocalSystem } from './system.js';
import { LocalContainers } from './containers.js';

export function createLocalEngine(globals: EngineOptions): Engine {
  const runtime = new Runtime(globals);
  return {
    containers: new LocalContainers(runtime),
    images: new LocalImages(runtime),
    system: new LocalSystem(runtime),
    close: () => runtime.close(),
  };
}
