import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import type { PodSummary } from '../../../engine/types.js';
import { formatReport, isTableFormat } from '../../format/report.js';
import { goStruct } from '../../format/gotemplate.js';
import { timeAgo } from '../../../util/units.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { collectSlice } from '../container/ps.js';
import { createdNanos } from '../../../engine/network/networkFilters.js';
import { isJson, jsoniterIndent, latestPod } from './common.js';

interface Options {
  ctrNames?: boolean;
  ctrIds?: boolean;
  ctrStatus?: boolean;
  filter?: string[];
  format?: string;
  noheading?: boolean;
  ns?: boolean;
  trunc?: boolean;
  quiet?: boolean;
  sort: string;
  latest?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Lists the pods on the system with their IDs, names and states.',
  examples: ['tspod pod ps', 'tspod pod ps --ctr-names --ctr-status', 'tspod pod ps --filter status=running --format "{{.ID}} {{.Name}}"'],
  configure(cmd: Command) {
    cmd
      .argument('[arguments...]')
      .option('--ctr-names', 'Display the container names')
      .option('--ctr-ids', 'Display the container UUIDs. If no-trunc is not set they will be truncated')
      .option('--ctr-status', 'Display the container status')
      .option('-f, --filter <filter>', 'Filter output based on conditions given', collectSlice)
      .option('--format <format>', 'Pretty-print pods to JSON or using a Go template')
      .option('--noheading', 'Do not print headers')
      .option('--ns', 'Display namespace information of the pod')
      .option('--no-trunc', 'Do not truncate pod and container IDs')
      .option('-q, --quiet', 'Print the numeric IDs of the pods only')
      .option('--sort <key>', 'Sort output by created, id, name, or number', 'created')
      .option('-l, --latest', 'Act on the latest pod tspod is aware of');
  },
  async run(ctx, args, opts) {
    if (args.length > 0) throw new InvalidArgumentError('`tspod pod ps` takes no arguments');
    if (opts.quiet && opts.format) throw new InvalidArgumentError('quiet and format cannot be used together');
    for (const f of opts.filter ?? []) {
      if (!f.includes('=')) throw new InvalidArgumentError(`filter input must be in the form of filter=value: ${f} is invalid`);
    }
    const engine = await ctx.engine();
    // podman applies no filter to --latest.
    const pods = opts.latest ? [latestPod(await engine.pods.list())] : await engine.pods.list({ filters: opts.filter ?? [] });
    ctx.out(
      renderPodPs(pods, {
        format: opts.format,
        noHeading: opts.noheading,
        quiet: opts.quiet,
        noTrunc: opts.trunc === false,
        ctrNames: opts.ctrNames,
        ctrIds: opts.ctrIds,
        ctrStatus: opts.ctrStatus,
        ns: opts.ns,
        sort: opts.sort,
      }),
    );
  },
});

export interface PodPsOptions {
  format?: string;
  noHeading?: boolean;
  quiet?: boolean;
  noTrunc?: boolean;
  ctrNames?: boolean;
  ctrIds?: boolean;
  ctrStatus?: boolean;
  ns?: boolean;
  sort?: string;
  now?: Date;
}

/** podman's header overrides; every other field heads its column `<no value>` in a `table` template. */
const HEADERS: Record<string, string> = {
  Id: 'POD ID',
  Name: 'NAME',
  Status: 'STATUS',
  Labels: 'LABELS',
  NumberOfContainers: '# OF CONTAINERS',
  Created: 'CREATED',
  InfraID: 'INFRA ID',
  ContainerIds: 'IDS',
  ContainerNames: 'NAMES',
  ContainerStatuses: 'STATUS',
  Cgroup: 'CGROUP',
  Namespace: 'NAMESPACES',
};

/** `pod ps` output for already listed and filtered pods. */
export function renderPodPs(pods: PodSummary[], opts: PodPsOptions = {}): string {
  const list = sortPods(pods, opts.sort ?? 'created');
  const format = opts.format;
  if (format !== undefined && isJson(format)) return `${jsoniterIndent(list.map(jsonEntry), 2)}\n`;
  if (opts.quiet) return list.map((p) => `${p.Id}\n`).join('');
  const now = opts.now ?? new Date();
  const rows = list.map((p) => goStruct(new PodReporter(p, opts.noTrunc === true, now), 'pods.ListPodReporter'));
  // The header row is podman's map of headers: fields it does not name print `<no value>`.
  const headerRow = new Map(Object.entries(HEADERS).concat([['ListPodsReport', 'LIST PODS REPORT']]));
  if (format === undefined) {
    const fields = ['Id', 'Name', 'Status', 'Created', 'InfraID'];
    if (opts.ctrIds) fields.push('ContainerIds');
    if (opts.ctrNames) fields.push('ContainerNames');
    if (opts.ctrStatus) fields.push('ContainerStatuses');
    if (opts.ns) fields.push('Cgroup', 'Namespace');
    if (!opts.ctrIds && !opts.ctrNames && !opts.ctrStatus) fields.push('NumberOfContainers');
    const template = fields.map((f) => `{{.${f}}}`).join('\t');
    return formatReport(opts.noHeading ? rows : [headerRow, ...rows], { format: `table ${template}`, noHeading: true, columns: [], name: 'ps' });
  }
  // Not a table: podman runs `''` and `table` as plain templates, one line per pod.
  if (format === '' || format === 'table') return rows.map(() => `${format}\n`).join('');
  const heading = isTableFormat(format) && !opts.noHeading;
  return formatReport(heading ? [headerRow, ...rows] : rows, { format, noHeading: true, columns: [], name: 'ps' });
}

/** podman's --sort orders: newest first for created, else ascending. */
export function sortPods(pods: PodSummary[], key: string): PodSummary[] {
  const text = (f: (p: PodSummary) => string) => (a: PodSummary, b: PodSummary) => compare(f(a), f(b));
  const by: Record<string, (a: PodSummary, b: PodSummary) => number> = {
    created: (a, b) => compareNanos(createdNanos(b.Created), createdNanos(a.Created)),
    id: text((p) => p.Id),
    name: text((p) => p.Name),
    number: (a, b) => a.Containers.length - b.Containers.length,
    status: text((p) => p.Status),
  };
  const comparator = by[key];
  if (!comparator) throw new InvalidArgumentError('invalid option for --sort, options are: id, names, or number');
  return [...pods].sort(comparator);
}

function compareNanos(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go's string order: by UTF-8 bytes. */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** `pod ps --format json`'s entry: podman's field order, labels sorted like a Go map. */
function jsonEntry(p: PodSummary): Record<string, unknown> {
  const labels = p.Labels ?? {};
  return {
    Cgroup: p.Cgroup,
    Containers: p.Containers.map((c) => ({ Id: c.Id, Names: c.Names, Status: c.Status })),
    Created: p.Created,
    Id: p.Id,
    InfraId: p.InfraId,
    Name: p.Name,
    Namespace: p.Namespace,
    Networks: p.Networks,
    Status: p.Status,
    Labels: Object.fromEntries(Object.keys(labels).sort(compare).map((k) => [k, labels[k]])),
  };
}

/** A row for templates and tables: podman's ListPodReporter, its methods as getters. */
class PodReporter {
  readonly Cgroup: string;
  readonly Containers: Array<{ Id: string; Names: string; Status: string }>;
  readonly Name: string;
  readonly Namespace: string;
  readonly Status: string;
  readonly #p: PodSummary;
  readonly #noTrunc: boolean;
  readonly #now: Date;

  constructor(p: PodSummary, noTrunc: boolean, now: Date) {
    this.#p = p;
    this.#noTrunc = noTrunc;
    this.#now = now;
    this.Cgroup = p.Cgroup;
    this.Containers = p.Containers.map((c) => goStruct({ ...c }, 'entities.ListPodContainer'));
    this.Name = p.Name;
    this.Namespace = p.Namespace;
    this.Status = p.Status;
  }

  #id(id: string): string {
    return this.#noTrunc ? id : id.slice(0, 12);
  }

  get Created(): string {
    return timeAgo(Date.parse(this.#p.Created), this.#now);
  }
  get Labels(): Record<string, string> {
    return this.#p.Labels ?? {};
  }
  get Networks(): string {
    return this.#p.Networks.join(',');
  }
  get NumberOfContainers(): number {
    return this.#p.Containers.length;
  }
  get ID(): string {
    return this.Id;
  }
  get Id(): string {
    return this.#id(this.#p.Id);
  }
  get InfraID(): string {
    return this.InfraId;
  }
  get InfraId(): string {
    return this.#id(this.#p.InfraId);
  }
  get ContainerIds(): string {
    return this.#p.Containers.map((c) => this.#id(c.Id)).join(',');
  }
  get ContainerNames(): string {
    return this.#p.Containers.map((c) => c.Names).join(',');
  }
  get ContainerStatuses(): string {
    return this.#p.Containers.map((c) => c.Status).join(',');
  }
}
