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
  const mode = networkMode(spec.network);
  const wantsPorts = (spec.portMappings?.length ?? 0) > 0 || spec.publishAll === true;
  if (mode.kind === 'container') {
    const id = ctx.containerId(mode.target);
    if (!id) throw new InvalidArgumentError(`no container with name or ID "${mode.target}" found: give --network container: an existing container`);
    spec = { ...spec, network: `container:${id}` };
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
  let ports = mergeAndValidate(spec.portMappings ?? []);
  if (spec.publishAll) ports = publishAll([...exposedFromImage(ctx.imageExposed), ...(spec.expose ?? [])], ports);
  let randomPorts: PortMapping[] = [];
  if (ports.some((p) => p.host_port === 0)) {
    const wanted = ports;
    ports = await assignRandomHostPorts(wanted, ctx.portTaken);
    randomPorts = ports.filter((_, i) => wanted[i]?.host_port === 0);
  }
  return { spec: { ...spec, network: 'bridge', networks, portMappings: ports }, warnings, randomPorts };
}
