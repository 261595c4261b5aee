import ipaddr from 'ipaddr.js';
import type { Store } from '../../storage/store.js';
import type { NetworkConfig, NetworkSubnet } from './types.js';
import { InvalidArgumentError, TspodError } from '../../util/errors.js';

/**
 * IP address management, kept in tspod's state database (Podman keeps it in
 * a boltdb beside netavark): one row per leased address, unique per network,
 * taken inside the store's IMMEDIATE write transaction so concurrent starts
 * never hand out one address twice. Rows go with their container (ON DELETE
 * CASCADE), so a crashed teardown cannot leak addresses past `rm`.
 */

interface Range {
  first: bigint;
  last: bigint;
  gateway?: bigint;
  kind: 'ipv4' | 'ipv6';
  prefix: number;
}

function toBig(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  return addr.toByteArray().reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
}

function fromBig(n: bigint, kind: 'ipv4' | 'ipv6'): string {
  const bytes: number[] = [];
  for (let i = 0; i < (kind === 'ipv4' ? 4 : 16); i++) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** The addresses a subnet hands out automatically: not the network, broadcast or gateway address. */
function leaseRange(subnet: NetworkSubnet): Range {
  const [base, prefix] = ipaddr.parseCIDR(subnet.subnet);
  const kind = base.kind();
  const bits = kind === 'ipv4' ? 32 : 128;
  const size = 1n << BigInt(bits - prefix);
  const network = toBig(base) & ~(size - 1n);
  let first = network + 1n;
  // IPv4 keeps the broadcast address out; IPv6 has none.
  let last = network + size - (kind === 'ipv4' ? 2n : 1n);
  if (subnet.lease_range?.start_ip) first = toBig(ipaddr.parse(subnet.lease_range.start_ip));
  if (subnet.lease_range?.end_ip) last = toBig(ipaddr.parse(subnet.lease_range.end_ip));
  return { first, last, gateway: subnet.gateway ? toBig(ipaddr.parse(subnet.gateway)) : undefined, kind, prefix };
}

export function subnetContains(subnet: string, ip: string): boolean {
  try {
    const addr = ipaddr.parse(ip);
    const range = ipaddr.parseCIDR(subnet);
    return addr.kind() === range[0].kind() && addr.match(range);
  } catch {
    return false;
  }
}

/** The first address a subnet hands out (not its gateway). */
export function firstHostAddress(subnet: NetworkSubnet): string {
  const range = leaseRange(subnet);
  return fromBig(range.first === range.gateway ? range.first + 1n : range.first, range.kind);
}

export interface Lease {
  ip: string;
  /** The prefix length of its subnet, for `ip/prefix`. */
  prefix: number;
  gateway?: string;
}

export class Ipam {
  constructor(private readonly store: Store) {}

  /**
   * Leases one address per subnet of the network for the container: the
   * static ones asked for (checked to be free and inside a subnet), otherwise
   * the lowest free one. Idempotent: a container's existing leases are reused.
   */
  allocate(network: NetworkConfig, containerId: string, staticIps: string[] = []): Lease[] {
    const subnets = network.subnets ?? [];
    return this.store.write(() => {
      const db = this.store.db;
      const mine = (db.prepare('SELECT ip FROM network_leases WHERE network = ? AND container_id = ?').all(network.name, containerId) as Array<{ ip: string }>).map(
        (r) => r.ip,
      );
      const used = new Set((db.prepare('SELECT ip FROM network_leases WHERE network = ?').all(network.name) as Array<{ ip: string }>).map((r) => r.ip));
      const insert = db.prepare('INSERT INTO network_leases (network, ip, container_id) VALUES (?, ?, ?)');
      const leases: Lease[] = [];
      for (const subnet of subnets) {
        const range = leaseRange(subnet);
        const lease = (ip: string): Lease => ({ ip, prefix: range.prefix, gateway: subnet.gateway });
        const held = mine.find((ip) => subnetContains(subnet.subnet, ip));
        if (held) {
          leases.push(lease(held));
          continue;
        }
        const wanted = staticIps.find((ip) => subnetContains(subnet.subnet, ip));
        if (wanted) {
          const normal = ipaddr.parse(wanted).toString();
          if (used.has(normal)) {
            throw new TspodError(`IPAM error: requested ip address ${wanted} is already allocated to another container: choose another --ip`);
          }
          insert.run(network.name, normal, containerId);
          leases.push(lease(normal));
          continue;
        }
        let found: string | undefined;
        for (let n = range.first; n <= range.last; n++) {
          if (n === range.gateway) continue;
          const ip = fromBig(n, range.kind);
          if (!used.has(ip)) {
            found = ip;
            break;
          }
        }
        if (!found) throw new TspodError(`IPAM error: failed to find free IP in range: ${subnet.subnet}: remove unused containers or create a network with a bigger subnet`);
        insert.run(network.name, found, containerId);
        leases.push(lease(found));
      }
      for (const ip of staticIps) {
        if (!subnets.some((s) => subnetContains(s.subnet, ip))) {
          throw new InvalidArgumentError(`requested static ip ${ip} not in any subnet on network ${network.name}: choose an address inside ${subnets.map((s) => s.subnet).join(', ')}`);
        }
      }
      return leases;
    });
  }

  /** The container's current addresses, on every network. */
  leases(containerId: string): Array<{ network: string; ip: string }> {
    return this.store.db.prepare('SELECT network, ip FROM network_leases WHERE container_id = ? ORDER BY rowid').all(containerId) as Array<{ network: string; ip: string }>;
  }

  /** Gives back the container's addresses on one network, or on all of them. */
  release(containerId: string, network?: string): void {
    this.store.write(() => {
      if (network) this.store.db.prepare('DELETE FROM network_leases WHERE container_id = ? AND network = ?').run(containerId, network);
      else this.store.db.prepare('DELETE FROM network_leases WHERE container_id = ?').run(containerId);
    });
  }
}
