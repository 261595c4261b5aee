/**
 * The engine interface spoken over HTTP to a `tspod system service` (or a
 * Podman one): Podman's abi/tunnel split. Every command that works through
 * the engine works remotely with the same reports; what the API cannot carry
 * is refused in one line naming the command.
 */
import type { Engine } from '../engine/types.js';
import { parseServiceUrl, Transport } from './transport.js';
import { RemoteContainers } from './containers.js';
import { RemoteImages } from './images.js';
import { RemoteManifests } from './manifests.js';
import { RemoteNetworks } from './networks.js';
import { RemotePods } from './pods.js';
import { RemoteSystem } from './system.js';
import { RemoteSecrets, RemoteVolumes } from './volumes.js';
import { remoteBuild } from './build.js';

export interface RemoteEngine extends Engine {
  readonly remote: true;
  readonly url: string;
}

export function createRemoteEngine(url: string, opts: { identity?: string } = {}): RemoteEngine {
  const transport = new Transport(url, parseServiceUrl(url, opts.identity));
  const containers = new RemoteContainers(transport);
  return {
    remote: true,
    url,
    containers,
    images: new RemoteImages(transport),
    manifests: new RemoteManifests(transport),
    networks: new RemoteNetworks(transport),
    pods: new RemotePods(transport, containers),
    system: new RemoteSystem(transport),
    volumes: new RemoteVolumes(transport),
    secrets: new RemoteSecrets(transport),
    remoteBuild: (context, opts, output) => remoteBuild(transport, context, opts, output),
    close: () => transport.close(),
  };
}
