import type { GlobalOptions } from '../../cli/globals.js';
import type { Engine } from '../types.js';
import { Runtime } from '../runtime.js';
import { LocalImages } from './images.js';
import { LocalSystem } from './system.js';

export function createLocalEngine(globals: GlobalOptions): Engine {
  const runtime = new Runtime(globals);
  return {
    images: new LocalImages(runtime),
    system: new LocalSystem(runtime),
    close: () => runtime.close(),
  };
}
