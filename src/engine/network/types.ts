/**
 * Network data in the shapes netavark and Podman 4 use on disk and on the
 * wire: a network's config file (`/etc/containers/networks/NAME.json`), the
 * per-container options netavark reads on stdin, and the status it prints.
 * Field names stay snake_case because these objects are those files.
 */

export interface NetworkSubnet {
  /** CIDR: 10.88.0.0/16, fd00::/64. */
  subnet: string;
  gateway?: string;
  /** --ip-range: where automatic addresses come from inside the subnet. */
  lease_range?: { start_ip?: string; end_ip?: string };
}

export interface NetworkConfig {
  name: string;
  /** 64 hex characters. */
  id: string;
  /** bridge, macvlan, ipvlan. */
  driver: string;
  /** The bridge (podman0) or, for macvlan, the parent interface. */
  network_interface?: string;
  /** RFC 3339 with nanoseconds. */
  created: string;
  subnets?: NetworkSubnet[];
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  labels?: Record<string, string>;
  /** Driver options (-o): mtu, vlan, isolate, mode... */
  options?: Record<string, string>;
  ipam_options?: Record<string, string>;
}

/** One published port range, as netavark and `ps --format json` take it. */
export interface PortMapping {
  /** '' for all addresses. */
  host_ip: string;
  container_port: number;
  host_port: number;
  /** How many consecutive ports, from host_port and container_port on. */
  range: number;
  /** tcp, udp or sctp. */
  protocol: string;
}

/** A container's wishes on one network (netavark's PerNetworkOptions). */
export interface PerNetworkOptions {
  static_ips?: string[];
  static_mac?: string;
  aliases?: string[];
  interface_name: string;
}

/** What netavark reports per network after setup. */
export interface NetworkStatus {
  dns_search_domains?: string[];
  dns_server_ips?: string[];
  interfaces: Record<string, { mac_address: string; subnets?: Array<{ ipnet: string; gateway?: string }> }>;
}
