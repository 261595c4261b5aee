/** The networks group over the libpod API: netavark-shaped configs cross unchanged. */
import type { ContainerActionReport, NetworkConfig, NetworkConnectOptions, NetworkCreateOptions, NetworkRemoveReport, NetworksEngine } from '../engine/types.js';
import { networkCreateToLibpod } from '../api/libpod/reports.js';
import type { WireError } from '../api/libpod/errors.js';
import { enc, filtersParam, itemErrorOf, notRemote } from './common.js';
import type { Transport } from './transport.js';

export class RemoteNetworks implements NetworksEngine {
  constructor(private readonly t: Transport) {}

  create(opts: NetworkCreateOptions): Promise<NetworkConfig> {
    return this.t.json('POST', '/networks/create', { body: networkCreateToLibpod(opts), query: { ignore: opts.ignore } });
  }

  list(opts: { filters?: string[] } = {}): Promise<NetworkConfig[]> {
    return this.t.json('GET', '/networks/json', { query: { filters: filtersParam(opts.filters) } });
  }

  inspect(names: string[]): Promise<Array<NetworkConfig | Error>> {
    return Promise.all(names.map((n) => this.t.json<NetworkConfig>('GET', `/networks/${enc(n)}/json`).catch((e: Error) => e)));
  }

  exists(name: string): Promise<boolean> {
    return this.t.exists(`/networks/${enc(name)}/exists`);
  }

  async remove(names: string[], opts: { force?: boolean; timeout?: number } = {}): Promise<NetworkRemoveReport[]> {
    const reports: NetworkRemoveReport[] = [];
    for (const name of names) {
      try {
        const list = await this.t.json<Array<{ Name: string; Err: WireError | null }>>('DELETE', `/networks/${enc(name)}`, { query: { force: opts.force, timeout: opts.timeout } });
        for (const r of list) reports.push({ name: r.Name, ...(r.Err ? { error: itemErrorOf(r.Err) } : {}) });
      } catch (e) {
        reports.push({ name, error: e as Error });
      }
    }
    return reports;
  }

  async prune(opts: { filters?: string[] } = {}): Promise<string[]> {
    const list = await this.t.json<Array<{ Name: string }>>('POST', '/networks/prune', { query: { filters: filtersParam(opts.filters) } });
    return (list ?? []).map((r) => r.Name);
  }

  async connect(network: string, container: string, opts: NetworkConnectOptions = {}): Promise<void> {
    await this.t.json('POST', `/networks/${enc(network)}/connect`, {
      body: { container, ...(opts.ips ? { static_ips: opts.ips } : {}), ...(opts.mac ? { static_mac: opts.mac } : {}), ...(opts.aliases ? { aliases: opts.aliases } : {}) },
    });
  }

  async disconnect(network: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.t.json('POST', `/networks/${enc(network)}/disconnect`, { body: { Container: container, Force: opts.force === true } });
  }

  /**
   * As Podman's client: containers.conf's default_network as this machine reads it (the
   * libpod API does not say which network the service's default is).
   */
  async defaultName(): Promise<string> {
    const { loadContainersConf } = await import('../config/containersConf.js');
    return loadContainersConf().network.defaultNetwork;
  }

  async reload(): Promise<ContainerActionReport[]> {
    throw notRemote('network reload', 'firewall rules live on the machine of the service');
  }
}
