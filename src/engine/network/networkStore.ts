/**
 * Network config files, as Podman 4 with netavark keeps them: one
 * `<configDir>/<name>.json` per network, written in Podman's field order and
 * indentation so Podman and tspod can share the directory, plus the default
 * network, which lives in memory unless a file of its name exists
 * (containers/common libnetwork/netavark/config.go and network.go).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { NetworkConfig, NetworkSubnet } from './types.js';
import type { NetworkCreateOptions } from '../types.js';
import type { SubnetPool } from '../../config/containersConf.js';
import { LOCK, syscalls } from '../../os/syscalls.js';
import { nowRfc3339Nano } from '../../util/time.js';
import { ConflictError, InvalidArgumentError, NoSuchNetworkError, TspodError, errorMessage } from '../../util/errors.js';
import { warn } from '../../util/warnings.js';

/** The default network's id in every Podman installation; never change it. */
export const DEFAULT_NETWORK_ID = '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9';

export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NAME_RULE = 'names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument';
const BRIDGE_PREFIX = 'podman';
const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'];
const LOCK_FILE = 'netavark.lock';

export interface NetworkStoreConf {
  defaultNetwork: string;
  defaultSubnet: string;
  defaultSubnetPools: readonly SubnetPool[];
}

/** What the host already uses, which new networks must stay clear of. */
export interface HostNetworks {
  interfaceNames(): string[];
  /** The subnets of the host's interface addresses, as CIDRs. */
  interfaceSubnets(): string[];
  /** The destinations of the host's IPv4 routes, without the default route. */
  routes(): string[];
}

export interface NetworkStoreOptions {
  host?: HostNetworks;
  /** Where skipped-file warnings go (default: `WARN[0000] ...` on stderr, once per message). */
  warn?: (message: string) => void;
}

export class NetworkStore {
  private readonly host: HostNetworks;
  private readonly warn: (message: string) => void;
  private cache: { stamp: string; networks: Map<string, NetworkConfig> } | undefined;

  constructor(
    readonly configDir: string,
    private readonly conf: NetworkStoreConf,
    options: NetworkStoreOptions = {},
  ) {
    this.host = options.host ?? systemHostNetworks;
    this.warn = options.warn ?? warnOnce;
  }

  get defaultNetwork(): string {
    return this.conf.defaultNetwork;
  }

  /** Every network, sorted by name. */
  list(): NetworkConfig[] {
    return [...this.load().values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(copy);
  }

  /** A network by exact name, full id or unique id prefix. */
  get(nameOrId: string): NetworkConfig {
    return copy(lookup(this.load(), nameOrId));
  }

  exists(nameOrId: string): boolean {
    try {
      lookup(this.load(), nameOrId);
      return true;
    } catch (e) {
      if (e instanceof NoSuchNetworkError) return false;
      throw e;
    }
  }

  /** Validates and completes a new network as Podman does, and writes its file. */
  create(opts: NetworkCreateOptions): NetworkConfig {
    const subnets = parseRequestedSubnets(opts);
    return this.withLock(() => {
      const networks = this.load(true);
      const created = this.complete(opts, subnets, networks);
      if ('existing' in created) return copy(created.existing);
      writeAtomic(join(this.configDir, `${created.name}.json`), networkFileText(created));
      this.cache = undefined;
      return copy(created);
    });
  }

  /** Deletes a network's file; the default network cannot be removed. Returns what was removed. */
  remove(nameOrId: string): NetworkConfig {
    return this.withLock(() => {
      const network = lookup(this.load(true), nameOrId);
      if (network.name === this.conf.defaultNetwork) throw new TspodError(`default network ${network.name} cannot be removed`);
      rmSync(join(this.configDir, `${network.name}.json`), { force: true });
      this.cache = undefined;
      return copy(network);
    });
  }

  private complete(opts: NetworkCreateOptions, subnets: NetworkSubnet[], networks: Map<string, NetworkConfig>): NetworkConfig | { existing: NetworkConfig } {
    const driver = opts.driver || 'bridge';
    const options = { ...(opts.options ?? {}) };
    const ipamDriver = opts.ipamDriver ?? '';
    let name = opts.name ?? '';
    let networkInterface = driver === 'bridge' ? (opts.interfaceName ?? '') : '';
    if (driver === 'macvlan' && options.parent !== undefined) {
      networkInterface = options.parent;
      delete options.parent;
    }

    if (name) {
      if (!NAME_PATTERN.test(name)) throw new InvalidArgumentError(`network name ${name} invalid: ${NAME_RULE}`);
      // Podman also refuses a name that prefixes some network's id, which fails at random for hex names: not copied.
      const existing = networks.get(name) ?? [...networks.values()].find((n) => n.id === name);
      if (existing) {
        if (opts.ignore) return { existing };
        throw new ConflictError(`network name ${name} already used: network already exists`);
      }
    } else {
      name = this.freeDeviceName(networks);
      if (driver === 'bridge' && !networkInterface) networkInterface = name;
    }

    switch (ipamDriver) {
      case '':
      case 'host-local':
        break;
      case 'none':
        if (subnets.length > 0) throw new InvalidArgumentError('none ipam driver is set but subnets are given: drop --subnet or the ipam driver');
        break;
      case 'dhcp':
        throw new InvalidArgumentError('dhcp ipam driver is not yet supported with netavark: use host-local or none');
      default:
        throw new InvalidArgumentError(`unsupported ipam driver "${ipamDriver}": use host-local or none`);
    }

    const network: NetworkConfig = {
      name,
      id: this.freeId(networks),
      driver,
      network_interface: networkInterface,
      created: '',
      subnets,
      ipv6_enabled: opts.ipv6 ?? false,
      internal: opts.internal ?? false,
      dns_enabled: !opts.disableDns,
      labels: { ...(opts.labels ?? {}) },
      options,
      ipam_options: ipamDriver ? { driver: ipamDriver } : {},
    };

    let used: Cidr[] = [];
    if (driver === 'bridge') {
      used = this.usedSubnets(networks);
      this.completeBridge(network, networks, used);
    } else if (driver === 'macvlan') {
      this.completeMacvlan(network);
    } else {
      throw new InvalidArgumentError(`unsupported driver ${driver}: invalid argument (use bridge or macvlan)`);
    }
    if (network.ipam_options!.driver === 'none') network.dns_enabled = false;
    validateSubnets(network, !network.internal || network.dns_enabled, used);
    network.created = createdNow();
    return ordered(network);
  }

  private completeBridge(network: NetworkConfig, networks: Map<string, NetworkConfig>, used: Cidr[]): void {
    if (network.network_interface) {
      if (bridgeNames(networks).includes(network.network_interface)) throw new ConflictError(`bridge name ${network.network_interface} already in use`);
      if (!NAME_PATTERN.test(network.network_interface)) throw new InvalidArgumentError(`bridge name ${network.network_interface} invalid: ${NAME_RULE}`);
    } else {
      network.network_interface = this.freeDeviceName(networks);
    }
    const ipam = network.ipam_options!;
    if (!ipam.driver || ipam.driver === 'host-local') {
      const subnets = network.subnets!;
      // The host's routes are avoided only when picking, never held against a subnet the user chose (as Podman).
      const avoid = () => [...used, ...this.hostRoutes()];
      if (subnets.length === 0) subnets.push(freeIpv4Subnet(avoid(), this.conf.defaultSubnetPools));
      if (network.ipv6_enabled) {
        if (!subnets.some((s) => parseCidr(s.subnet).family === 4)) subnets.push(freeIpv4Subnet(avoid(), this.conf.defaultSubnetPools));
        if (!subnets.some((s) => parseCidr(s.subnet).family === 6)) subnets.push(freeIpv6Subnet(used));
      }
      ipam.driver = 'host-local';
    }
    for (const [key, value] of Object.entries(network.options!)) {
      switch (key) {
        case 'mtu':
          parseMtu(value);
          break;
        case 'vlan':
          parseVlan(value);
          break;
        case 'metric':
          if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) throw new InvalidArgumentError(`invalid metric "${value}": use a non-negative integer`);
          break;
        case 'isolate': {
          // netavark takes only "true", "false" or "strict"; Go's ParseBool spellings are normalised.
          const parsed = value === 'strict' ? value : parseGoBool(value);
          if (parsed === undefined) throw new InvalidArgumentError(`invalid isolate option "${value}": use true, false or strict`);
          network.options!.isolate = String(parsed);
          break;
        }
        default:
          throw new InvalidArgumentError(`unsupported bridge network option ${key}: use mtu, vlan, metric or isolate`);
      }
    }
  }

  private completeMacvlan(network: NetworkConfig): void {
    if (network.network_interface && !this.host.interfaceNames().includes(network.network_interface)) {
      throw new InvalidArgumentError(`parent interface ${network.network_interface} does not exist`);
    }
    const ipam = network.ipam_options!;
    if (!ipam.driver || ipam.driver === 'host-local') {
      if (network.subnets!.length === 0) {
        throw new InvalidArgumentError(
          ipam.driver
            ? 'macvlan driver needs at least one subnet specified, when the host-local ipam driver is set'
            : 'macvlan driver needs at least one subnet specified, DHCP is not yet supported with netavark',
        );
      }
      ipam.driver = 'host-local';
    }
    for (const [key, value] of Object.entries(network.options!)) {
      switch (key) {
        case 'mode':
          if (!MACVLAN_MODES.includes(value)) throw new InvalidArgumentError(`unknown macvlan mode "${value}": use ${MACVLAN_MODES.join(', ')}`);
          break;
        case 'mtu':
          parseMtu(value);
          break;
        default:
          throw new InvalidArgumentError(`unsupported macvlan network option ${key}: use parent, mode or mtu`);
      }
    }
  }

  /** podmanN, N from 1, that no network (as name or bridge) nor host interface uses. */
  private freeDeviceName(networks: Map<string, NetworkConfig>): string {
    const taken = new Set([...bridgeNames(networks), ...networks.keys(), ...this.host.interfaceNames()]);
    for (let i = 1; i < 1_000_000; i++) {
      const name = `${BRIDGE_PREFIX}${i}`;
      if (!taken.has(name)) return name;
    }
    throw new TspodError('could not find free device name, too many iterations: remove unused networks');
  }

  private freeId(networks: Map<string, NetworkConfig>): string {
    for (;;) {
      const id = randomBytes(32).toString('hex');
      if (!tryLookup(networks, id)) return id;
    }
  }

  /** Subnets of every network config plus the host's interface addresses. */
  private usedSubnets(networks: Map<string, NetworkConfig>): Cidr[] {
    const used: Cidr[] = [];
    for (const n of networks.values()) for (const s of n.subnets ?? []) used.push(parseCidr(s.subnet));
    for (const cidr of this.host.interfaceSubnets()) {
      const parsed = tryParseCidr(cidr);
      if (parsed) used.push(parsed);
    }
    return used;
  }

  private hostRoutes(): Cidr[] {
    return this.host.routes().flatMap((r) => tryParseCidr(r) ?? []);
  }

  private withLock<T>(fn: () => T): T {
    mkdirSync(this.configDir, { recursive: true, mode: 0o755 });
    const fd = openSync(join(this.configDir, LOCK_FILE), 'a');
    try {
      syscalls().flock(fd, LOCK.EX);
      return fn();
    } finally {
      closeSync(fd);
    }
  }

  /** The networks by name, re-read when the directory changed (as Podman checks its mtime). */
  private load(fresh = false): Map<string, NetworkConfig> {
    let stamp = 'missing';
    try {
      const st = statSync(this.configDir, { bigint: true });
      stamp = `${st.mtimeNs}:${st.ino}`;
    } catch {
      // no directory: only the default network
    }
    if (!fresh && this.cache?.stamp === stamp) return this.cache.networks;
    const networks = new Map<string, NetworkConfig>();
    let entries: string[] = [];
    try {
      entries = readdirSync(this.configDir);
    } catch {
      entries = [];
    }
    for (const file of entries.sort()) {
      if (!file.endsWith('.json')) continue;
      const network = this.readFile(join(this.configDir, file), file);
      if (network) networks.set(network.name, network);
    }
    if (!networks.has(this.conf.defaultNetwork)) networks.set(this.conf.defaultNetwork, this.defaultNetworkConfig());
    this.cache = { stamp, networks };
    return networks;
  }

  private readFile(path: string, file: string): NetworkConfig | undefined {
    let raw: unknown;
    try {
      if (!statSync(path).isFile()) return undefined;
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.warn(`Error reading network config file "${path}": ${errorMessage(e)}`);
      return undefined;
    }
    const network = raw as NetworkConfig;
    if (typeof raw !== 'object' || raw === null || typeof network.name !== 'string') {
      this.warn(`Error reading network config file "${path}": not a network config object`);
      return undefined;
    }
    if (`${network.name}.json` !== file) {
      this.warn(`Network config name "${network.name}" does not match file name "${file}", skipping`);
      return undefined;
    }
    if (!NAME_PATTERN.test(network.name)) {
      this.warn(`Network config "${path}" has invalid name: "${network.name}", skipping: ${NAME_RULE}`);
      return undefined;
    }
    try {
      return parseNetwork(network);
    } catch (e) {
      this.warn(`Network config "${path}" could not be parsed, skipping: ${errorMessage(e)}`);
      return undefined;
    }
  }

  private defaultNetworkConfig(): NetworkConfig {
    const network: NetworkConfig = {
      name: this.conf.defaultNetwork,
      id: DEFAULT_NETWORK_ID,
      driver: 'bridge',
      network_interface: `${BRIDGE_PREFIX}0`,
      created: createdNow(),
      subnets: [{ subnet: this.conf.defaultSubnet }],
      ipv6_enabled: false,
      internal: false,
      dns_enabled: false,
      ipam_options: { driver: 'host-local' },
    };
    try {
      validateSubnets(network, true, []);
    } catch (e) {
      throw new InvalidArgumentError(`failed to create default network ${network.name}: ${errorMessage(e)}: fix default_subnet in containers.conf`);
    }
    return ordered(network);
  }
}

// ------------------------------------------------------------------ lookups

function lookup(networks: Map<string, NetworkConfig>, nameOrId: string): NetworkConfig {
  const found = tryLookup(networks, nameOrId);
  if (!found) throw new NoSuchNetworkError(`unable to find network with name or ID ${nameOrId}: network not found`);
  return found;
}

function tryLookup(networks: Map<string, NetworkConfig>, nameOrId: string): NetworkConfig | undefined {
  const byName = networks.get(nameOrId);
  if (byName) return byName;
  if (!nameOrId) return undefined;
  let found: NetworkConfig | undefined;
  for (const n of networks.values()) {
    if (!n.id.startsWith(nameOrId)) continue;
    if (found) throw new InvalidArgumentError(`more than one result for network ID ${nameOrId}: give more of the ID or the name`);
    found = n;
  }
  return found;
}

function bridgeNames(networks: Map<string, NetworkConfig>): string[] {
  return [...networks.values()].filter((n) => n.driver === 'bridge' && n.network_interface).map((n) => n.network_interface!);
}

function copy(network: NetworkConfig): NetworkConfig {
  return structuredClone(network);
}

// ------------------------------------------------------------------ the file format

/** A network with Podman's key order and its omitempty fields left out; maps sorted as Go writes them. */
export function ordered(n: NetworkConfig): NetworkConfig {
  const out: NetworkConfig = { name: n.name, id: n.id, driver: n.driver } as NetworkConfig;
  if (n.network_interface) out.network_interface = n.network_interface;
  out.created = n.created;
  if (n.subnets && n.subnets.length > 0) {
    out.subnets = n.subnets.map((s) => {
      const subnet: NetworkSubnet = { subnet: s.subnet };
      if (s.gateway) subnet.gateway = s.gateway;
      if (s.lease_range && (s.lease_range.start_ip || s.lease_range.end_ip)) {
        subnet.lease_range = {};
        if (s.lease_range.start_ip) subnet.lease_range.start_ip = s.lease_range.start_ip;
        if (s.lease_range.end_ip) subnet.lease_range.end_ip = s.lease_range.end_ip;
      }
      return subnet;
    });
  }
  out.ipv6_enabled = n.ipv6_enabled;
  out.internal = n.internal;
  out.dns_enabled = n.dns_enabled;
  const labels = sortedMap(n.labels);
  if (labels) out.labels = labels;
  const options = sortedMap(n.options);
  if (options) out.options = options;
  const ipam = sortedMap(n.ipam_options);
  if (ipam) out.ipam_options = ipam;
  return out;
}

function sortedMap(map: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!map) return undefined;
  const keys = Object.keys(map).sort();
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((k) => [k, map[k]!]));
}

/** The file exactly as Podman writes it: json.Encoder with a 5-space indent, HTML-escaped, newline-terminated. */
export function networkFileText(network: NetworkConfig): string {
  return `${goEscape(JSON.stringify(ordered(network), null, 5))}\n`;
}

function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function writeAtomic(path: string, text: string): void {
  const temp = `${path.replace(/\.json$/, '')}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(temp, text, { mode: 0o644 });
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/** Checks a loaded file as Podman's parseNetwork does, completing gateways and ipv6_enabled. */
function parseNetwork(raw: NetworkConfig): NetworkConfig {
  if (typeof raw.id !== 'string' || raw.id.length !== 64) throw new Error(`invalid network ID "${raw.id}"`);
  if (typeof raw.driver !== 'string') throw new Error('driver must be a string');
  for (const key of ['labels', 'options', 'ipam_options'] as const) {
    const map = raw[key];
    if (map !== undefined && map !== null && (typeof map !== 'object' || Array.isArray(map) || Object.values(map).some((v) => typeof v !== 'string'))) {
      throw new Error(`${key} must map strings to strings`);
    }
  }
  if (raw.subnets !== undefined && raw.subnets !== null && !Array.isArray(raw.subnets)) throw new Error('subnets must be an array');
  const network: NetworkConfig = {
    name: raw.name,
    id: raw.id,
    driver: raw.driver,
    network_interface: typeof raw.network_interface === 'string' ? raw.network_interface : undefined,
    created: typeof raw.created === 'string' ? raw.created : '0001-01-01T00:00:00Z',
    subnets: (raw.subnets ?? []).map((s) => {
      if (typeof s !== 'object' || s === null || typeof s.subnet !== 'string') throw new Error('a subnet lacks its "subnet"');
      return { ...s, lease_range: s.lease_range ? { ...s.lease_range } : undefined };
    }),
    ipv6_enabled: raw.ipv6_enabled === true,
    internal: raw.internal === true,
    dns_enabled: raw.dns_enabled === true,
    labels: raw.labels ?? undefined,
    options: raw.options ?? undefined,
    ipam_options: raw.ipam_options ?? undefined,
  };
  validateSubnets(network, !network.internal || network.dns_enabled, []);
  return ordered(network);
}

// ------------------------------------------------------------------ subnets

/** The --subnet/--gateway/--ip-range triples, parsed and paired as podman's CLI does. */
function parseRequestedSubnets(opts: NetworkCreateOptions): NetworkSubnet[] {
  const subnets = opts.subnets ?? [];
  const gateways = opts.gateways ?? [];
  const ranges = opts.ipRanges ?? [];
  if (subnets.length === 0) {
    if (gateways.length > 0 || ranges.length > 0) throw new InvalidArgumentError('cannot set gateway or range without subnet: add --subnet');
    return [];
  }
  if (gateways.length > subnets.length) throw new InvalidArgumentError('cannot set more gateways than subnets: give one --subnet per --gateway');
  if (ranges.length > subnets.length) throw new InvalidArgumentError('cannot set more ranges than subnets: give one --subnet per --ip-range');
  return subnets.map((text, i) => {
    parseCidr(text);
    const subnet: NetworkSubnet = { subnet: text };
    const range = ranges[i];
    if (range !== undefined) {
      const r = parseCidr(range);
      subnet.lease_range = { start_ip: formatIp(r.family, firstIp(r)), end_ip: formatIp(r.family, lastIp(r)) };
    }
    const gateway = gateways[i];
    if (gateway !== undefined) {
      if (!parseIp(gateway)) throw new InvalidArgumentError(`invalid argument "${gateway}" for "--gateway" flag: invalid string being converted to IP address: ${gateway}`);
      subnet.gateway = gateway;
    }
    return subnet;
  });
}

/**
 * containers/common's ValidateSubnets: normalises each subnet to its network
 * address, refuses overlaps with `used`, checks the gateway and lease range lie
 * inside, adds the first address as gateway when wanted, and sets ipv6_enabled.
 */
export function validateSubnets(network: NetworkConfig, addGateway: boolean, used: Cidr[]): void {
  for (const s of network.subnets ?? []) {
    const cidr = parseCidr(s.subnet);
    const net = networkOf(cidr);
    s.subnet = cidrString(net);
    if (used.some((u) => intersects(net, u))) throw new ConflictError(`subnet ${s.subnet} is already used on the host or by another config`);
    if (s.gateway) {
      const gw = parseIp(s.gateway);
      if (!gw || !contains(net, gw)) throw new InvalidArgumentError(`gateway ${s.gateway} not in subnet ${s.subnet}`);
      s.gateway = formatIp(gw.family, gw.value);
    } else if (addGateway) {
      s.gateway = formatIp(net.family, firstIp(net));
    }
    if (s.lease_range) {
      for (const [key, label] of [
        ['start_ip', 'start'],
        ['end_ip', 'end'],
      ] as const) {
        const text = s.lease_range[key];
        if (!text) continue;
        const ip = parseIp(text);
        if (!ip || !contains(net, ip)) throw new InvalidArgumentError(`lease range ${label} ip ${text} not in subnet ${s.subnet}`);
        s.lease_range[key] = formatIp(ip.family, ip.value);
      }
    }
    if (net.family === 6) network.ipv6_enabled = true;
  }
}

/** The first subnet of `size` bits in the pools that overlaps nothing used. */
export function freeIpv4Subnet(used: Cidr[], pools: readonly SubnetPool[]): NetworkSubnet {
  for (const pool of pools) {
    const base = networkOf(parseCidr(pool.base));
    if (base.family !== 4 || pool.size < base.prefix || pool.size > 32) continue;
    const step = 1n << BigInt(32 - pool.size);
    const end = lastIp(base);
    for (let ip = base.ip; ip <= end; ip += step) {
      const candidate: Cidr = { family: 4, ip, prefix: pool.size };
      if (!used.some((u) => intersects(candidate, u))) return { subnet: cidrString(candidate) };
    }
  }
  throw new TspodError('could not find free subnet from subnet pools: remove unused networks, give --subnet, or add default_subnet_pools in containers.conf');
}

/** A random fdXX:XXXX:XXXX:XXXX::/64 (RFC 4193: chosen at random, not in sequence) that overlaps nothing used. */
export function freeIpv6Subnet(used: Cidr[]): NetworkSubnet {
  for (let i = 0; i < 10000; i++) {
    const bytes = randomBytes(8);
    bytes[0] = 0xfd;
    const candidate: Cidr = { family: 6, ip: BigInt(`0x${bytes.toString('hex')}`) << 64n, prefix: 64 };
    if (!used.some((u) => intersects(candidate, u))) return { subnet: cidrString(candidate) };
  }
  throw new TspodError('failed to get random ipv6 subnet: give --subnet');
}

function parseMtu(value: string): void {
  if (value === '') return;
  if (!/^[+-]?\d+$/.test(value)) throw new InvalidArgumentError(`invalid mtu "${value}": use a number of bytes like 1500`);
  if (Number(value) < 0) throw new InvalidArgumentError(`mtu ${Number(value)} is less than zero`);
}

function parseVlan(value: string): void {
  if (value === '') return;
  if (!/^[+-]?\d+$/.test(value)) throw new InvalidArgumentError(`invalid vlan "${value}": use a VLAN ID between 0 and 4094`);
  const v = Number(value);
  if (v < 0 || v > 4094) throw new InvalidArgumentError(`vlan ID ${v} must be between 0 and 4094`);
}

/** Go's strconv.ParseBool. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

// ------------------------------------------------------------------ addresses

export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A CIDR as given: `ip` may have host bits set. */
export interface Cidr {
  family: 4 | 6;
  ip: bigint;
  prefix: number;
}

const bitsOf = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Go refuses leading zeros, which some parsers read as octal.
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith('0')) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let body = text;
  const tail: string[] = [];
  if (body.includes('.')) {
    const colon = body.lastIndexOf(':');
    const v4 = parseIpv4(body.slice(colon + 1));
    if (colon < 0 || v4 === undefined) return undefined;
    tail.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
    body = body.slice(0, colon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): string[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    return groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? groups : undefined;
  };
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const right = [...rest, ...tail];
  const count = head.length + right.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const groups = [...head, ...Array<string>(8 - count).fill('0'), ...right];
  return groups.reduce((v, g) => (v << 16n) | BigInt(`0x${g}`), 0n);
}

/** An IPv4 or IPv6 address as Go's net.ParseIP takes it, or undefined. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** Go's net.IP String(): dotted IPv4; IPv6 in RFC 5952 form. */
export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Go's net.ParseCIDR, failing with its message. */
export function parseCidr(text: string): Cidr {
  const parsed = tryParseCidr(text);
  if (!parsed) throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  return parsed;
}

function tryParseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bitsOf(ip.family)) return undefined;
  return { family: ip.family, ip: ip.value, prefix };
}

function hostMask(c: Cidr): bigint {
  return (1n << BigInt(bitsOf(c.family) - c.prefix)) - 1n;
}

export function networkOf(c: Cidr): Cidr {
  return { ...c, ip: c.ip & ~hostMask(c) };
}

export function cidrString(c: Cidr): string {
  return `${formatIp(c.family, c.ip)}/${c.prefix}`;
}

/** The first usable address (the network address + 1, or the only address of a /32 or /128). */
export function firstIp(c: Cidr): bigint {
  const net = networkOf(c).ip;
  return c.prefix === bitsOf(c.family) ? net : net + 1n;
}

export function lastIp(c: Cidr): bigint {
  return networkOf(c).ip | hostMask(c);
}

export function contains(c: Cidr, ip: IpAddress): boolean {
  return c.family === ip.family && (ip.value & ~hostMask(c)) === networkOf(c).ip;
}

export function intersects(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && (contains(a, { family: b.family, value: b.ip }) || contains(b, { family: a.family, value: a.ip }));
}

// ------------------------------------------------------------------ the host

/** Now as Go marshals time.Now(): RFC 3339 in local time, nanoseconds without trailing zeros. */
function createdNow(): string {
  const utc = nowRfc3339Nano();
  const fraction = utc.slice(20, 29).replace(/0+$/, '');
  const ms = Date.parse(`${utc.slice(0, 19)}Z`);
  const offset = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
  return `${local}${fraction ? `.${fraction}` : ''}${zone}`;
}

const warned = new Set<string>();

function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  warn(`WARN[0000] ${message}\n`);
}

export const systemHostNetworks: HostNetworks = {
  interfaceNames() {
    try {
      return readdirSync('/sys/class/net');
    } catch {
      return Object.keys(networkInterfaces());
    }
  },
  interfaceSubnets() {
    return Object.values(networkInterfaces()).flatMap((addrs) => (addrs ?? []).flatMap((a) => (a.cidr ? [a.cidr.replace(/%.*\//, '/')] : [])));
  },
  routes() {
    let text = '';
    try {
      text = readFileSync('/proc/net/route', 'utf8');
    } catch {
      return [];
    }
    return procRoutes(text);
  },
};

/** The non-default IPv4 destinations in /proc/net/route (hex, host byte order, which is little-endian here). */
export function procRoutes(text: string): string[] {
  const routes: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const dest = littleEndianHex(fields[1]!);
    const mask = littleEndianHex(fields[7]!);
    if (dest === undefined || mask === undefined || mask === 0n) continue;
    const prefix = mask.toString(2).replace(/0+$/, '').length;
    routes.push(cidrString(networkOf({ family: 4, ip: dest, prefix })));
  }
  return routes;
}

function littleEndianHex(hex: string): bigint | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const bytes = hex.match(/../g)!.reverse().join('');
  return BigInt(`0x${bytes}`);
}
