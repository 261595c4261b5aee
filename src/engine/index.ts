import type { EngineOptions } from './options.js';
import type { Engine } from './types.js';

/**
 * The local engine, or the remote client when Podman 4.3 would be remote:
 * --url, --connection, -r/--remote, or CONTAINER_HOST / CONTAINER_CONNECTION set.
 */
export async function createEngine(globals: EngineOptions, env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
  const remote = globals.remote || globals.url !== undefined || globals.connection !== undefined || env.CONTAINER_HOST !== undefined || env.CONTAINER_CONNECTION !== undefined;
  if (remote) {
    const [{ createRemoteEngine }, destination] = await Promise.all([import('../client/engine.js'), resolveDestination(globals, env)]);
    return createRemoteEngine(destination.uri, { identity: destination.identity });
  }
  const { createLocalEngine } = await import('./local/engine.js');
  return createLocalEngine(globals);
}

/** Where a remote engine connects, in Podman's order: --url, --connection, CONTAINER_HOST, CONTAINER_CONNECTION, the default connection, the default socket. */
export async function resolveDestination(globals: EngineOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ uri: string; identity?: string }> {
  const sshKey = globals.identity ?? env.CONTAINER_SSHKEY;
  if (globals.url !== undefined) return { uri: globals.url, identity: sshKey };
  const [{ readConnections, defaultServiceUrl }, { configEnvironment }, { TspodError }] = await Promise.all([
    import('../config/connections.js'),
    import('../config/paths.js'),
    import('../util/errors.js'),
  ]);
  const ce = configEnvironment({ env });
  const named = (name: string, what: string) => {
    const d = readConnections(ce).destinations[name];
    if (!d) throw new TspodError(`failed to resolve active destination: ${what} service destination not found: add it with tspod system connection add`);
    return { uri: d.uri, identity: globals.identity ?? d.identity };
  };
  if (globals.connection !== undefined) return named(globals.connection, `"${globals.connection}"`);
  if (env.CONTAINER_HOST !== undefined) return { uri: env.CONTAINER_HOST, identity: sshKey };
  if (env.CONTAINER_CONNECTION) return named(env.CONTAINER_CONNECTION, `environment variable CONTAINER_CONNECTION="${env.CONTAINER_CONNECTION}"`);
  const { active } = readConnections(ce);
  if (active) return named(active, `"${active}"`);
  return { uri: defaultServiceUrl(ce), identity: sshKey };
}
