import { join } from 'node:path';
import type { Runtime } from '../runtime.js';
import type { ContainerConfig, ContainerRecord } from './containerRecord.js';
import type { NetworkAttachment } from '../spec/containerSpec.js';
import type { NetworkConfig, NetworkStatus } from '../network/types.js';
import { NetworkStore } from '../network/networkStore.js';
import { Ipam, firstHostAddress, type Lease } from '../network/ipam.js';
import { NETNS_DIR, createNetns, removeNetns } from '../network/netns.js';
import { findUserModeProgram, missingUserModeProgram, startUserModeNetwork, stopUserModeNetwork, type UserModeFacts, type UserModeKind } from '../network/userModeNet.js';
import { configEnvironment, userRuntimeDir } from '../../config/paths.js';
import { findNetavark, netavarkSetup, netavarkTeardown, netavarkTeardownSync, type NetavarkDriver, type NetavarkInput } from '../network/netavark.js';
import { trace } from '../../util/trace.js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { bridgeInUse, ensureAnchor, hasAnchor, removeAnchor } from '../network/bridgeAnchor.js';
import type { NetworkFacts } from './containerFiles.js';
import { warn } from '../../util/warnings.js';

/** How a container's network namespace comes about. */
export type NetworkMode =
  | { kind: 'bridge' }
  | { kind: 'pasta'; options: string[] }
  | { kind: 'slirp4netns'; options: string[] }
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'container'; target: string }
  | { kind: 'ns'; path: string };

export function networkMode(network: string | undefined): NetworkMode {
  const value = network ?? 'bridge';
  if (value.startsWith('container:')) return { kind: 'container', target: value.slice('container:'.length) };
  if (value.startsWith('ns:')) return { kind: 'ns', path: value.slice('ns:'.length) };
  if (value === 'host') return { kind: 'host' };
  // Options are kept after the colon: pasta's as comma-separated arguments, slirp4netns's as key=value pairs.
  for (const kind of ['pasta', 'slirp4netns'] as const) {
    if (value === kind || value.startsWith(`${kind}:`)) return { kind, options: value.length > kind.length ? value.slice(kind.length + 1).split(',') : [] };
  }
  if (value === 'none' || value === 'private') return { kind: 'none' };
  return { kind: 'bridge' };
}

/** A bridge set-up in progress: the namespace and leases exist, netavark may still be running. */
export interface PendingSetup {
  netns: string;
  leases: Record<string, Lease[]>;
  networks: Record<string, NetworkConfig>;
  status: Promise<Record<string, NetworkStatus>>;
}

/** What /etc/hosts and resolv.conf need, known before netavark answers: aardvark-dns listens on the gateways of dns-enabled networks. */
export function networkFacts(pending: PendingSetup): NetworkFacts {
  const facts: NetworkFacts = { ips: [], dnsServers: [], dnsSearch: [] };
  for (const [name, network] of Object.entries(pending.networks)) {
    const leases = pending.leases[name] ?? [];
    if (facts.ips.length === 0 && leases.length > 0) {
      facts.ips = leases.map((l) => l.ip);
      facts.gateway = leases.find((l) => l.gateway)?.gateway;
    }
    if (network.dns_enabled) {
      for (const l of leases) if (l.gateway && !facts.dnsServers.includes(l.gateway)) facts.dnsServers.push(l.gateway);
    }
  }
  if (facts.dnsServers.length > 0) facts.dnsSearch = ['dns.podman'];
  return facts;
}

/**
 * A container's bridge networks: its namespace in /run/netns, its leased
 * addresses and netavark's set-up and teardown, as Podman's libpod does.
 */
export class ContainerNetworking {
  private driverInstance: NetavarkDriver | undefined;
  private storeInstance: NetworkStore | undefined;
  readonly ipam: Ipam;

  constructor(private readonly runtime: Runtime) {
    this.ipam = new Ipam(runtime.store);
  }

  get networks(): NetworkStore {
    this.storeInstance ??= new NetworkStore(this.runtime.networkConfigDir, this.runtime.containersConf.network);
    return this.storeInstance;
  }

  private get driver(): NetavarkDriver {
    const store = this.runtime.store.options;
    this.driverInstance ??= findNetavark(this.runtime.containersConf.engine.helperBinariesDir, join(store.runRoot, 'tspod', 'networks'));
    return this.driverInstance;
  }

  /** Where namespaces are bound: /run/netns, or the user's runtime dir for a rootless store. */
  get netnsDir(): string {
    return this.runtime.store.rootless ? join(userRuntimeDir(configEnvironment()), 'netns') : NETNS_DIR;
  }

  /**
   * A rootless container's network: a fresh namespace served by pasta or
   * slirp4netns, which also forward the published ports.
   */
  async beginUserMode(config: ContainerConfig, kind: UserModeKind, options: string[]): Promise<{ netns: string; facts: UserModeFacts }> {
    const program = findUserModeProgram(kind, this.runtime.containersConf.engine.helperBinariesDir);
    if (!program) throw missingUserModeProgram(kind);
    const netns = createNetns(this.netnsDir, !this.runtime.store.rootless);
    try {
      const facts = await startUserModeNetwork({ kind, program, netns, ports: config.spec.portMappings ?? [], options });
      trace('user-mode network up');
      return { netns, facts };
    } catch (e) {
      stopUserModeNetwork(netns);
      removeNetns(netns);
      throw e;
    }
  }

  /** The networks a bridge-mode container joins, by name, with its wishes on each. */
  attachments(config: ContainerConfig): Record<string, NetworkAttachment> {
    return config.spec.networks ?? {};
  }

  /**
   * Makes the namespace, leases the addresses and starts netavark; the caller
   * awaits `status` once the rest of the start is under way.
   */
  begin(config: ContainerConfig, only?: string[]): PendingSetup {
    const attachments = this.attachments(config);
    const names = Object.keys(attachments).filter((n) => !only || only.includes(n));
    const networks: Record<string, NetworkConfig> = {};
    for (const name of names) networks[name] = this.networks.get(name);
    const netns = createNetns(this.netnsDir, !this.runtime.store.rootless);
    const leases: Record<string, Lease[]> = {};
    try {
      for (const name of names) leases[name] = this.ipam.allocate(networks[name]!, config.id, attachments[name]!.ips);
    } catch (e) {
      this.ipam.release(config.id);
      removeNetns(netns);
      throw e;
    }
    trace('network leased');
    const status = netavarkSetup(this.driver, netns, this.input(config, networks, leases));
    // Awaited later; a failure meanwhile must not count as an unhandled rejection.
    status.catch(() => undefined);
    return { netns, leases, networks, status };
  }

  /** netavark's input for the container on these networks with these addresses. */
  private input(config: ContainerConfig, networks: Record<string, NetworkConfig>, leases: Record<string, Array<{ ip: string }>>): NetavarkInput {
    const attachments = this.attachments(config);
    const input: NetavarkInput = { container_id: config.id, container_name: config.name, networks: {}, network_info: {} };
    const ports = config.spec.portMappings ?? [];
    if (ports.length > 0) input.port_mappings = ports;
    for (const [name, network] of Object.entries(networks)) {
      const wish = attachments[name] ?? {};
      input.networks[name] = {
        static_ips: (leases[name] ?? []).map((l) => l.ip),
        ...(wish.mac ? { static_mac: wish.mac } : {}),
        aliases: [...(wish.aliases ?? []), config.id.slice(0, 12)],
        interface_name: wish.interfaceName ?? 'eth0',
      };
      input.network_info[name] = network;
    }
    return input;
  }

  /** Sets up one more network in a running container's namespace (network connect). */
  async setupOne(config: ContainerConfig, netns: string, name: string): Promise<Record<string, NetworkStatus>> {
    const network = this.networks.get(name);
    const leases = { [name]: this.ipam.allocate(network, config.id, this.attachments(config)[name]?.ips) };
    try {
      return await netavarkSetup(this.driver, netns, this.input(config, { [name]: network }, leases));
    } catch (e) {
      this.ipam.release(config.id, name);
      throw e;
    }
  }

  /** Tears down one network of a running container (network disconnect). */
  async teardownOne(record: ContainerRecord, name: string): Promise<void> {
    const input = this.teardownInput(record.config, [name]);
    const error = input && record.state.netns ? await netavarkTeardown(this.driver, record.state.netns, input) : undefined;
    this.ipam.release(record.config.id, name);
    if (error) throw error;
  }

  /** Tears down and sets up again in the same namespace with the same addresses (network reload). */
  async reload(record: ContainerRecord): Promise<Record<string, NetworkStatus>> {
    const netns = record.state.netns!;
    const input = this.teardownInput(record.config);
    if (!input) return {};
    await netavarkTeardown(this.driver, netns, input);
    return netavarkSetup(this.driver, netns, input);
  }

  /** The teardown input, from the leases still recorded; networks removed meanwhile are skipped. */
  private teardownInput(config: ContainerConfig, only?: string[]): NetavarkInput | undefined {
    const held = this.ipam.leases(config.id);
    const networks: Record<string, NetworkConfig> = {};
    const leases: Record<string, Array<{ ip: string }>> = {};
    for (const name of Object.keys(this.attachments(config)).filter((n) => !only || only.includes(n))) {
      try {
        networks[name] = this.networks.get(name);
      } catch {
        continue;
      }
      leases[name] = held.filter((l) => l.network === name);
    }
    if (Object.keys(networks).length === 0) return undefined;
    return this.input(config, networks, leases);
  }

  /** Keeps the bridges of these networks up past their last container (see bridgeAnchor.ts). */
  anchor(networks: Record<string, NetworkConfig>): void {
    for (const network of Object.values(networks)) {
      if (network.driver === 'bridge' && network.network_interface) ensureAnchor(network.network_interface);
    }
  }

  /**
   * Takes a network's bridge and firewall rules away once no container uses
   * it: the anchor goes, then a throwaway namespace is set up and torn down
   * so that netavark itself removes what it made.
   */
  async releaseBridge(network: NetworkConfig): Promise<void> {
    const bridge = network.network_interface;
    // Only a bridge tspod anchored is tspod's to release (another engine may be using one it did not).
    if (network.driver !== 'bridge' || !bridge || !hasAnchor(bridge)) return;
    removeAnchor(bridge);
    if (bridgeInUse(bridge)) return;
    const subnets = network.subnets ?? [];
    if (subnets.length === 0) return;
    const netns = createNetns(this.netnsDir, !this.runtime.store.rootless);
    try {
      const input: NetavarkInput = {
        container_id: randomBytes(32).toString('hex'),
        container_name: 'tspod-release',
        networks: { [network.name]: { static_ips: subnets.map(firstHostAddress), interface_name: 'eth0' } },
        network_info: { [network.name]: network },
      };
      await netavarkSetup(this.driver, netns, input);
      const error = await netavarkTeardown(this.driver, netns, input);
      if (error) throw error;
    } catch (e) {
      // The network itself is gone already; what is left of its bridge is worth a warning, not a failure.
      warn(`WARN[0000] releasing bridge ${bridge} of network ${network.name}: ${(e as Error).message}\n`);
    } finally {
      removeNetns(netns);
    }
  }

  /** Undoes a set-up: netavark's teardown, the namespace, the leases. Never throws for a half-made one. */
  async teardown(record: ContainerRecord): Promise<void> {
    const netns = record.state.netns;
    if (!netns) return;
    // A namespace that is gone (the machine rebooted) took its interfaces and rules with it.
    const input = existsSync(netns) ? this.teardownInput(record.config) : undefined;
    const error = input ? await netavarkTeardown(this.driver, netns, input) : undefined;
    this.finish(record, netns, error);
  }

  teardownSync(record: ContainerRecord): void {
    const netns = record.state.netns;
    if (!netns) return;
    const input = existsSync(netns) ? this.teardownInput(record.config) : undefined;
    const error = input ? netavarkTeardownSync(this.driver, netns, input) : undefined;
    this.finish(record, netns, error);
  }

  private finish(record: ContainerRecord, netns: string, error: Error | undefined): void {
    if (error) warn(`WARN[0000] tearing down the network of container ${record.config.name}: ${error.message}\n`);
    stopUserModeNetwork(netns);
    removeNetns(netns);
    this.ipam.release(record.config.id);
  }
}
