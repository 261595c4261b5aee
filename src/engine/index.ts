import type { EngineOptions } from './options.js';
import type { Engine } from './types.js';

/** The local engine, or (with --url/--remote) the HTTP client once it exists. */
export async function createEngine(globals: EngineOptions): Promise<Engine> {
  if (globals.url || globals.remote || globals.connection) {
    const { TspodError } = await import('../util/errors.js');
    throw new TspodError('remote mode is not available yet: run the command without --url/--remote/--connection');
  }
  const { createLocalEngine } = await import('./local/engine.js');
  return createLocalEngine(globals);
}
