/**
 * Networks in the Docker Engine API's shapes: a netavark network config as
 * `GET /networks` and `/networks/{id}` show it, and the create, connect and
 * disconnect bodies as engine options. Pure functions; the routes do the calls.
 */
import type { NetworkConfig, NetworkConnectOptions, NetworkCreateOptions } from '../../engine/types.js';
import { BadInputError } from '../../util/errors.js';
import { groupFilters } from '../../util/filterArgs.js';
import { arrayField, boolField, objectField, stringField, stringListField, stringMapField } from './fields.js';

/** Docker's default network; the API serves the engine's default network under this name. */
export const DOCKER_DEFAULT_NETWORK = 'bridge';

export interface DockerEndpoint {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** CIDR notation (10.88.0.2/16), '' when none. */
  IPv4Address: string;
  IPv6Address: string;
}

export interface DockerNetwork {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string>; Config: Array<{ Subnet: string; Gateway?: string }> };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, DockerEndpoint>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** A network as Docker shows it, under `name` (the default network is shown as `bridge`). */
export function dockerNetwork(network: NetworkConfig, name: string, containers: Record<string, DockerEndpoint> = {}): DockerNetwork {
  const { driver: ipamDriver = 'host-local', ...ipamOptions } = network.ipam_options ?? {};
  return {
    Name: name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv6: network.ipv6_enabled,
    IPAM: {
      Driver: ipamDriver === 'host-local' ? 'default' : ipamDriver,
      Options: ipamOptions,
      Config: (network.subnets ?? []).map((s) => (s.gateway ? { Subnet: s.subnet, Gateway: s.gateway } : { Subnet: s.subnet })),
    },
    Internal: network.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: network.options ?? {},
    Labels: network.labels ?? {},
  };
}

/**
 * A container's endpoint on one network, from its inspect report
 * (NetworkSettings.Networks[network]); undefined when it has no interface there
 * (not running, or not on that network).
 */
export function endpointOf(inspect: Record<string, unknown>, network: string): DockerEndpoint | undefined {
  const settings = inspect.NetworkSettings as { Networks?: Record<string, Record<string, unknown>> } | undefined;
  const entry = settings?.Networks?.[network];
  if (!entry || !entry.MacAddress) return undefined;
  const cidr = (ip: unknown, prefix: unknown) => (typeof ip === 'string' && ip !== '' ? `${ip}/${String(prefix)}` : '');
  return {
    Name: String(inspect.Name ?? '').replace(/^\//, ''),
    EndpointID: String(entry.EndpointID ?? ''),
    MacAddress: String(entry.MacAddress),
    IPv4Address: cidr(entry.IPAddress, entry.IPPrefixLen),
    IPv6Address: cidr(entry.GlobalIPv6Address, entry.GlobalIPv6PrefixLen),
  };
}

/**
 * Docker's network list filters as the engine's, plus the ones only Docker has
 * (`type=custom|builtin`, `scope=local`), which `keep` applies to the engine's answer.
 */
export function networkListFilters(filters: string[]): {
  engineFilters: string[];
  keep: (network: NetworkConfig, defaultNetwork: string) => boolean;
} {
  const engineFilters: string[] = [];
  const types: string[] = [];
  const scopes: string[] = [];
  for (const [key, values] of groupFilters(filters)) {
    if (key === 'type') {
      for (const v of values) if (v !== 'custom' && v !== 'builtin') throw new BadInputError(`invalid filter: 'type'='${v}': use custom or builtin`);
      types.push(...values);
    } else if (key === 'scope') {
      scopes.push(...values);
    } else {
      engineFilters.push(...values.map((v) => `${key}=${v}`));
    }
  }
  return {
    engineFilters,
    keep: (network, defaultNetwork) =>
      (types.length === 0 || types.includes(network.name === defaultNetwork ? 'builtin' : 'custom')) && (scopes.length === 0 || scopes.includes('local')),
  };
}

/** Docker network options the engine knows under another name; the engine's own names pass as they are. */
const OPTION_NAMES: Record<string, string> = {
  'com.docker.network.driver.mtu': 'mtu',
  mtu: 'mtu',
  vlan: 'vlan',
  metric: 'metric',
  isolate: 'isolate',
  mode: 'mode',
  parent: 'parent',
};

/** `POST /networks/create`: the engine's options and the Warning for options it ignores. */
export function networkCreateOptions(body: Record<string, unknown>): { options: NetworkCreateOptions; warning: string } {
  const name = stringField(body, 'Name');
  if (!name) throw new BadInputError('field Name: a network name is required');
  const options: NetworkCreateOptions = { name, driver: stringField(body, 'Driver') || 'bridge' };
  options.internal = boolField(body, 'Internal');
  options.ipv6 = boolField(body, 'EnableIPv6');
  options.labels = stringMapField(body, 'Labels');
  const warnings: string[] = [];
  const driverOptions: Record<string, string> = {};
  for (const [key, value] of Object.entries(stringMapField(body, 'Options') ?? {})) {
    if (key === 'com.docker.network.bridge.name') options.interfaceName = value;
    else if (OPTION_NAMES[key]) driverOptions[OPTION_NAMES[key]] = value;
    else warnings.push(`"${key}: ${value}" is not a recognized option`);
  }
  if (Object.keys(driverOptions).length > 0) options.options = driverOptions;
  const ipam = objectField(body, 'IPAM');
  if (ipam) Object.assign(options, ipamOptions(ipam));
  return { options, warning: warnings.join('; ') };
}

function ipamOptions(ipam: Record<string, unknown>): Pick<NetworkCreateOptions, 'ipamDriver' | 'subnets' | 'gateways' | 'ipRanges'> {
  const driver = stringField(ipam, 'Driver', 'IPAM.Driver');
  const out: ReturnType<typeof ipamOptions> = {};
  if (driver && driver !== 'default') out.ipamDriver = driver;
  const configs = arrayField(ipam, 'Config', 'IPAM.Config') ?? [];
  if (configs.length === 0) return out;
  // The engine pairs gateways and ranges with subnets by position; a hole means none for that subnet.
  const subnets: string[] = [];
  const gateways: Array<string | undefined> = [];
  const ranges: Array<string | undefined> = [];
  configs.forEach((config, i) => {
    const path = `IPAM.Config[${i}]`;
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new BadInputError(`field ${path}: expected an object`);
    const entry = config as Record<string, unknown>;
    const subnet = stringField(entry, 'Subnet', `${path}.Subnet`);
    if (!subnet) throw new BadInputError(`field ${path}.Subnet: a subnet is required with a gateway or an IP range`);
    subnets.push(subnet);
    gateways.push(stringField(entry, 'Gateway', `${path}.Gateway`) || undefined);
    ranges.push(stringField(entry, 'IPRange', `${path}.IPRange`) || undefined);
  });
  out.subnets = subnets;
  if (gateways.some((g) => g !== undefined)) out.gateways = gateways as string[];
  if (ranges.some((r) => r !== undefined)) out.ipRanges = ranges as string[];
  return out;
}

/** `POST /networks/{id}/connect`: `{Container, EndpointConfig: {Aliases, IPAMConfig, MacAddress}}`. */
export function networkConnectOptions(body: Record<string, unknown>): { container: string; options: NetworkConnectOptions } {
  const container = requiredContainer(body);
  const options: NetworkConnectOptions = {};
  const endpoint = objectField(body, 'EndpointConfig');
  if (endpoint) {
    const aliases = stringListField(endpoint, 'Aliases', 'EndpointConfig.Aliases');
    if (aliases && aliases.length > 0) options.aliases = aliases;
    const mac = stringField(endpoint, 'MacAddress', 'EndpointConfig.MacAddress');
    if (mac) options.mac = mac;
    const ipam = objectField(endpoint, 'IPAMConfig', 'EndpointConfig.IPAMConfig');
    if (ipam) {
      const ips = [
        stringField(ipam, 'IPv4Address', 'EndpointConfig.IPAMConfig.IPv4Address'),
        stringField(ipam, 'IPv6Address', 'EndpointConfig.IPAMConfig.IPv6Address'),
      ].filter((ip): ip is string => !!ip);
      if (ips.length > 0) options.ips = ips;
    }
  }
  return { container, options };
}

/** `POST /networks/{id}/disconnect`: `{Container, Force}`. */
export function networkDisconnectOptions(body: Record<string, unknown>): { container: string; force: boolean } {
  return { container: requiredContainer(body), force: boolField(body, 'Force') ?? false };
}

function requiredContainer(body: Record<string, unknown>): string {
  const container = stringField(body, 'Container');
  if (!container) throw new BadInputError('field Container: a container name or ID is required');
  return container;
}
