import type { ContainerSpec, NetworkAttachment } from '../spec/containerSpec.js';
import type { NetworkStore } from '../network/networkStore.js';
import type { PortMapping } from '../network/types.js';
import { subnetContains } from '../network/ipam.js';
import { assignRandomHostPorts, exposedFromImage, mergeAndValidate, publishAll } from '../network/ports.js';
import { networkMode } from './containerNetwork.js';
import { InvalidArgumentError } from '../../util/errors.js';

export interface NetworkSpecContext {
  networks: NetworkStore;
  defaultNetwork: string;
  /** The image config's ExposedPorts. */
  imageExposed?: Record<string, unknown>;
  /** The id of the container `--network container:NAME` names, if it exists. */
  containerId: (nameOrId: string) => string | undefined;
  /** Whether another container already publishes this host port. */
  portTaken: (hostIp: string, port: number, protocol: string) => boolean;
  /** Rootless: the user-mode network (pasta or slirp4netns) that stands in for the default bridge. */
  rootlessNetwork?: 'pasta' | 'slirp4netns';
}

/**
 * Settles a spec's networking at create, as Podman does: the mode, the
 * networks (the default one unless named) with an interface each, and the
 * published ports with random host ports chosen now, so `port` and `ps`
 * show them before the container ever starts.
 */
export async function resolveNetworkSpec(
  requested: ContainerSpec,
  ctx: NetworkSpecContext,
): Promise<{ spec: ContainerSpec; warnings: string[]; randomPorts: PortMapping[] }> {
  const warnings: string[] = [];
  let spec = requested;
  let mode = networkMode(spec.network);
  if (ctx.rootlessNetwork && mode.kind === 'bridge') {
    const named = Object.keys(spec.networks ?? {}).filter((n) => n !== '');
    if (named.length > 0) {
      throw new InvalidArgumentError(
        `network ${named[0]}: bridge networks need root (a rootless user cannot make bridges or veth pairs): use --network pasta or --network slirp4netns`,
      );
    }
    spec = { ...spec, network: ctx.rootlessNetwork, networks: undefined };
    mode = networkMode(spec.network);
  }
  const wantsPorts = (spec.portMappings?.length ?? 0) > 0 || spec.publishAll === true;
  if (mode.kind === 'container') {
    const id = ctx.containerId(mode.target);
    if (!id) throw new InvalidArgumentError(`no container with name or ID "${mode.target}" found: give --network container: an existing container`);
    spec = { ...spec, network: `container:${id}` };
  }
  if (mode.kind === 'pasta' || mode.kind === 'slirp4netns') {
    const { ports, randomPorts } = await resolvePorts(spec, ctx);
    return { spec: { ...spec, portMappings: ports }, warnings, randomPorts };
  }
  if (mode.kind !== 'bridge') {
    if (spec.networks && Object.keys(spec.networks).length > 0) {
      throw new InvalidArgumentError(`--network ${spec.network} cannot be combined with other networks: give one network mode`);
    }
    if (wantsPorts) {
      warnings.push('Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use');
    }
    return { spec: { ...spec, portMappings: [], publishAll: false }, warnings, randomPorts: [] };
  }
  const wanted = spec.networks && Object.keys(spec.networks).length > 0 ? spec.networks : { [ctx.defaultNetwork]: {} };
  const networks: Record<string, NetworkAttachment> = {};
  let index = 0;
  for (const [key, wish] of Object.entries(wanted)) {
    // '' is `--network bridge` (or --ip without --network): the default network.
    const network = ctx.networks.get(key || ctx.defaultNetwork);
    for (const ip of wish.ips ?? []) {
      if (!(network.subnets ?? []).some((s) => subnetContains(s.subnet, ip))) {
        throw new InvalidArgumentError(
          `requested static ip ${ip} not in any subnet on network ${network.name}: choose an address inside ${(network.subnets ?? []).map((s) => s.subnet).join(', ') || 'its subnets'}`,
        );
      }
    }
    if (wish.mac && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(wish.mac)) {
      throw new InvalidArgumentError(`invalid MAC address "${wish.mac}": use six hex pairs like 92:d0:c6:0a:29:33`);
    }
    networks[network.name] = { ...wish, interfaceName: wish.interfaceName ?? `eth${index}` };
    index++;
  }
  const { ports, randomPorts } = await resolvePorts(spec, ctx);
  return { spec: { ...spec, network: 'bridge', networks, portMappings: ports }, warnings, randomPorts };
}

/** The published ports: -p merged and checked, -P's exposed ports, random host ports chosen now. */
async function resolvePorts(spec: ContainerSpec, ctx: NetworkSpecContext): Promise<{ ports: PortMapping[]; randomPorts: PortMapping[] }> {
  let ports = mergeAndValidate(spec.portMappings ?? []);
  if (spec.publishAll) ports = publishAll([...exposedFromImage(ctx.imageExposed), ...(spec.expose ?? [])], ports);
  let randomPorts: PortMapping[] = [];
  if (ports.some((p) => p.host_port === 0)) {
    const wanted = ports;
    ports = await assignRandomHostPorts(wanted, ctx.portTaken);
    randomPorts = ports.filter((_, i) => wanted[i]?.host_port === 0);
  }
  return { ports, randomPorts };
}
