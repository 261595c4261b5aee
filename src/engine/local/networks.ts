import type { Runtime } from '../runtime.js';
import { recordEvent } from './events.js';
import type { ContainerActionReport, NetworkConnectOptions, NetworkCreateOptions, NetworkRemoveReport, NetworksEngine } from '../types.js';
import type { NetworkConfig } from '../network/types.js';
import { NetworkStore } from '../network/networkStore.js';
import { needsUsage, networkListFilter, networkPruneFilter } from '../network/networkFilters.js';
import { ConflictError, InvalidArgumentError, NoSuchNetworkError } from '../../util/errors.js';

/** What the network commands need from the containers side. */
export interface NetworkUsers {
  /** Containers whose config names this network (any state). */
  containersUsing(network: string): Promise<Array<{ id: string; name: string }>>;
  removeContainers(ids: string[], opts: { force: boolean; timeout?: number }): Promise<void>;
  connect(network: NetworkConfig, container: string, opts: NetworkConnectOptions): Promise<void>;
  disconnect(network: NetworkConfig, container: string, opts: { force?: boolean }): Promise<void>;
  reload(containers: string[], opts: { all?: boolean }): Promise<ContainerActionReport[]>;
}

export interface LocalNetworksOptions {
  /** Called after a network's file is gone, to tear down what is left of it on the host (its bridge). */
  onRemoved?: (network: NetworkConfig) => Promise<void>;
  /** Called by prune for the default network when no container uses it (it stays, its bridge may go). */
  onIdle?: (network: NetworkConfig) => Promise<void>;
}

/** Names that `--network` reads as a mode, so no network may take them (podman's abi NetworkCreate). */
const RESERVED_NAMES = ['none', 'host', 'bridge', 'private', 'slirp4netns', 'container', 'ns'];

/** The networks group of the local engine: config files through NetworkStore, containers through NetworkUsers. */
export class LocalNetworks implements NetworksEngine {
  private storeInstance: NetworkStore | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly users: NetworkUsers,
    private readonly options: LocalNetworksOptions = {},
  ) {}

  get store(): NetworkStore {
    this.storeInstance ??= new NetworkStore(this.runtime.networkConfigDir, this.runtime.containersConf.network);
    return this.storeInstance;
  }

  async create(opts: NetworkCreateOptions): Promise<NetworkConfig> {
    if (opts.name && RESERVED_NAMES.includes(opts.name)) {
      throw new InvalidArgumentError(`cannot create network with name "${opts.name}" because it conflicts with a valid network mode`);
    }
    const created = await this.store.create(opts);
    recordEvent(this.runtime, { type: 'network', action: 'create', id: created.id, name: created.name });
    return created;
  }

  async list(opts: { filters?: string[] } = {}): Promise<NetworkConfig[]> {
    const filters = opts.filters ?? [];
    const networks = this.store.list();
    const inUse = needsUsage(filters) ? await this.namesInUse(networks) : undefined;
    const keep = networkListFilter(filters, { inUse, defaultNetwork: this.store.defaultNetwork });
    return networks.filter(keep);
  }

  async inspect(names: string[]): Promise<Array<NetworkConfig | Error>> {
    return names.map((name) => {
      try {
        return this.store.get(name);
      } catch (e) {
        if (e instanceof NoSuchNetworkError) return new NoSuchNetworkError(`network ${name}: ${e.message}`);
        throw e;
      }
    });
  }

  async exists(name: string): Promise<boolean> {
    return this.store.exists(name);
  }

  async defaultName(): Promise<string> {
    return this.store.defaultNetwork;
  }

  /**
   * As podman: a network in use stops the whole command (exit 2) unless -f,
   * which removes its containers first; a missing one is reported and the rest go on.
   */
  async remove(names: string[], opts: { force?: boolean; timeout?: number } = {}): Promise<NetworkRemoveReport[]> {
    const reports: NetworkRemoveReport[] = [];
    for (const name of names) {
      let network: NetworkConfig;
      try {
        network = this.store.get(name);
      } catch (e) {
        reports.push({ name, error: e as Error });
        continue;
      }
      const users = await this.users.containersUsing(network.name);
      if (users.length > 0) {
        if (!opts.force) {
          reports.push({
            name,
            error: new ConflictError(`"${name}" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used`, { exitCode: 2 }),
          });
          break;
        }
        await this.users.removeContainers(
          users.map((u) => u.id),
          { force: true, timeout: opts.timeout },
        );
      }
      try {
        const removed = this.store.remove(network.id);
        if (this.options.onRemoved) await this.options.onRemoved(removed);
        recordEvent(this.runtime, { type: 'network', action: 'remove', id: removed.id, name: removed.name });
        reports.push({ name });
      } catch (e) {
        reports.push({ name, error: e as Error });
      }
    }
    return reports;
  }

  async prune(opts: { filters?: string[] } = {}): Promise<string[]> {
    const keep = networkPruneFilter(opts.filters ?? []);
    const networks = this.store.list().filter((n) => n.name !== this.store.defaultNetwork);
    const inUse = await this.namesInUse(networks);
    const removed: string[] = [];
    for (const network of networks.filter((n) => keep(n) && !inUse.has(n.name))) {
      const gone = this.store.remove(network.id);
      if (this.options.onRemoved) await this.options.onRemoved(gone);
      recordEvent(this.runtime, { type: 'network', action: 'remove', id: gone.id, name: gone.name });
      removed.push(network.name);
    }
    if (this.options.onIdle) {
      const defaultNetwork = this.store.get(this.store.defaultNetwork);
      if ((await this.users.containersUsing(defaultNetwork.name)).length === 0) await this.options.onIdle(defaultNetwork);
    }
    return removed;
  }

  async connect(network: string, container: string, opts: NetworkConnectOptions = {}): Promise<void> {
    await this.users.connect(this.store.get(network), container, opts);
    recordEvent(this.runtime, { type: 'network', action: 'connect', name: network, attributes: { container } });
  }

  async disconnect(network: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.users.disconnect(this.store.get(network), container, opts);
    recordEvent(this.runtime, { type: 'network', action: 'disconnect', name: network, attributes: { container } });
  }

  async reload(containers: string[], opts: { all?: boolean } = {}): Promise<ContainerActionReport[]> {
    return this.users.reload(containers, opts);
  }

  private async namesInUse(networks: NetworkConfig[]): Promise<Set<string>> {
    const inUse = new Set<string>();
    for (const n of networks) if ((await this.users.containersUsing(n.name)).length > 0) inUse.add(n.name);
    return inUse;
  }
}
