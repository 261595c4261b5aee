import type { CommandContext } from '../../command.js';
import type { NetworkConfig } from '../../../engine/types.js';
import { InvalidArgumentError, isTspodError } from '../../../util/errors.js';

/** podman's `key=value` list parsing for --label and -o (parse.GetAllLabels): a bare key has value ''. */
export function parseKeyValues(items: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === '') throw new InvalidArgumentError(`${what}: invalid label format: ${JSON.stringify(item)}: use KEY=VALUE`);
    out[key] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return out;
}

/** cobra's argument-count messages. */
export function requireArgs(args: string[], opts: { min?: number; max?: number; exact?: number }): void {
  if (opts.exact !== undefined && args.length !== opts.exact) {
    throw new InvalidArgumentError(`accepts ${opts.exact} arg(s), received ${args.length}`);
  }
  if (opts.min !== undefined && args.length < opts.min) {
    throw new InvalidArgumentError(`requires at least ${opts.min} arg(s), only received ${args.length}`);
  }
  if (opts.max !== undefined && args.length > opts.max) {
    throw new InvalidArgumentError(`accepts at most ${opts.max} arg(s), received ${args.length}`);
  }
}

/**
 * podman's OutputErrors.PrintErrors: every error but the last printed at
 * once, the last one returned to be printed as the command's own error.
 */
export function printErrors(ctx: CommandContext, errors: Error[]): Error | undefined {
  for (const e of errors.slice(0, -1)) ctx.err(`Error: ${e.message}\n`);
  return errors[errors.length - 1];
}

export function exitCodeOf(e: Error): number {
  return isTspodError(e) ? e.exitCode : 125;
}

/** A time.Time as Go templates print it: `2026-11-23 10:33:47.629717331 +0000 UTC`. */
class GoTime {
  constructor(private readonly rfc3339: string) {}

  toString(): string {
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.exec(this.rfc3339);
    if (!m) return this.rfc3339;
    const fraction = (m[3] ?? '').replace(/0+$/, '').replace(/^\.$/, '');
    const zone = m[4]!.toUpperCase() === 'Z' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
    return `${m[1]} ${m[2]}${fraction} ${zone}`;
  }
}

/** A net.IPNet inside a subnet: `{{.Subnet}}` prints the CIDR. */
class IPNet {
  constructor(private readonly cidr: string) {}

  toString(): string {
    return this.cidr;
  }
}

class LeaseRange {
  constructor(
    readonly StartIP: string | null,
    readonly EndIP: string | null,
  ) {}
}

class Subnet {
  readonly Subnet: IPNet;
  readonly Gateway: string | null;
  readonly LeaseRange: LeaseRange | null;

  constructor(s: NonNullable<NetworkConfig['subnets']>[number]) {
    this.Subnet = new IPNet(s.subnet);
    this.Gateway = s.gateway ?? null;
    this.LeaseRange = s.lease_range ? new LeaseRange(s.lease_range.start_ip ?? null, s.lease_range.end_ip ?? null) : null;
  }
}

/** Podman's types.Network as `--format` templates see it (Go field names). */
export class NetworkView {
  readonly Name: string;
  readonly ID: string;
  readonly Driver: string;
  readonly NetworkInterface: string;
  readonly Created: GoTime;
  readonly Subnets: Subnet[];
  readonly IPv6Enabled: boolean;
  readonly Internal: boolean;
  readonly DNSEnabled: boolean;
  readonly Labels: Record<string, string>;
  readonly Options: Record<string, string>;
  readonly IPAMOptions: Record<string, string>;

  constructor(n: NetworkConfig) {
    this.Name = n.name;
    this.ID = n.id;
    this.Driver = n.driver;
    this.NetworkInterface = n.network_interface ?? '';
    this.Created = new GoTime(n.created);
    this.Subnets = (n.subnets ?? []).map((s) => new Subnet(s));
    this.IPv6Enabled = n.ipv6_enabled;
    this.Internal = n.internal;
    this.DNSEnabled = n.dns_enabled;
    this.Labels = { ...(n.labels ?? {}) };
    this.Options = { ...(n.options ?? {}) };
    this.IPAMOptions = { ...(n.ipam_options ?? {}) };
  }
}

/** A `network ls` row: the network, with ID truncated and Labels as `k=v,k2=v2` (podman's ListPrintReports). */
export class NetworkListRow {
  readonly Name: string;
  readonly ID: string;
  readonly Driver: string;
  readonly NetworkInterface: string;
  readonly Created: GoTime;
  readonly Subnets: Subnet[];
  readonly IPv6Enabled: boolean;
  readonly Internal: boolean;
  readonly DNSEnabled: boolean;
  readonly Labels: string;
  readonly Options: Record<string, string>;
  readonly IPAMOptions: Record<string, string>;

  constructor(n: NetworkConfig, noTrunc: boolean) {
    const view = new NetworkView(n);
    this.Name = view.Name;
    this.ID = noTrunc ? n.id : n.id.slice(0, 12);
    this.Driver = view.Driver;
    this.NetworkInterface = view.NetworkInterface;
    this.Created = view.Created;
    this.Subnets = view.Subnets;
    this.IPv6Enabled = view.IPv6Enabled;
    this.Internal = view.Internal;
    this.DNSEnabled = view.DNSEnabled;
    this.Labels = Object.entries(view.Labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    this.Options = view.Options;
    this.IPAMOptions = view.IPAMOptions;
  }
}
