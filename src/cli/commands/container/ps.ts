import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import type { ContainerSummary } from '../../../engine/types.js';
import { formatReport, isTableFormat, printJson } from '../../format/report.js';
import { goStruct } from '../../format/gotemplate.js';
import { humanSizeWithPrecision, isoSeconds, timeAgo } from '../../../util/units.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { formatPortMappings } from '../../../engine/network/ports.js';

interface Options {
  all?: boolean;
  external?: boolean;
  filter?: string[];
  format?: string;
  last?: string;
  latest?: boolean;
  trunc?: boolean;
  noheading?: boolean;
  pod?: boolean;
  quiet?: boolean;
  size?: boolean;
  sort?: string;
  sync?: boolean;
  watch?: string;
  ns?: boolean;
}

const SORT_KEYS = ['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status'];

/** Go's zero time.Time in Unix seconds: what podman prints for a container that never started or exited. */
const GO_ZERO_TIME = -62135596800;

let commandPath = 'tspod ps';

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Prints out information about the containers',
  examples: ['tspod ps -a', 'tspod ps -a --format "{{.ID}}  {{.Image}}  {{.Labels}}  {{.Mounts}}"', 'tspod ps --size --sort names'],
  configure(cmd: Command) {
    commandPath = /\bcontainer\b/.test(cmd.name()) ? 'tspod container list' : 'tspod ps';
    cmd
      .argument('[arguments...]')
      .option('-a, --all', 'Show all the containers, default is only running containers')
      .option('--external', 'Show containers in storage not controlled by Podman')
      .option('-f, --filter <filter>', 'Filter output based on conditions given', collectSlice)
      .option('--format <format>', 'Pretty-print containers to JSON or using a Go template')
      .option('-n, --last <n>', 'Print the n last created containers (all states)')
      .option('-l, --latest', 'Act on the latest container podman is aware of')
      .option('--ns', 'Display namespace information')
      .option('--no-trunc', 'Display the extended information')
      .option('-p, --pod', 'Print the ID and name of the pod the containers are associated with')
      .option('-q, --quiet', 'Print the numeric IDs of the containers only')
      .option('--noheading', 'Do not print headers')
      .option('-s, --size', 'Display the total file sizes')
      .option('--sort <key>', `Sort output by: ${SORT_KEYS.join(', ')}`)
      .option('--sync', 'Sync container state with OCI runtime')
      .option('-w, --watch <seconds>', 'Watch the ps output on an interval in seconds');
  },
  async run(ctx, args, opts) {
    if (args.length > 0) throw new InvalidArgumentError(`\`${commandPath}\` takes no arguments`);
    const last = opts.last === undefined ? -1 : parseGoInt(opts.last, '-n, --last');
    const watch = opts.watch === undefined ? 0 : parseGoInt(opts.watch, '-w, --watch', true);
    checkFlags(opts, last, watch);
    const filters = opts.filter ?? [];
    const limit = opts.latest ? 1 : last > 0 ? last : undefined;
    // podman lists every state for --last and for a status filter, whatever --all says.
    const all = opts.all === true || limit !== undefined || filters.some((f) => f.startsWith('status='));
    const engine = await ctx.engine();
    const list = (): Promise<ContainerSummary[]> => engine.containers.list({ all, filters, last: limit, size: opts.size === true, ...(opts.external ? { external: true } : {}) });
    const render = (containers: ContainerSummary[]): string =>
      renderPs(containers, {
        format: opts.format,
        noHeading: opts.noheading,
        quiet: opts.quiet,
        noTrunc: opts.trunc === false,
        pod: opts.pod,
        size: opts.size,
        ns: opts.ns,
        sort: opts.sort,
        warn: (message) => ctx.err(`time="${isoSeconds(new Date())}" level=error msg="${message}"\n`),
      });
    const printsOnce = opts.format !== undefined ? isJson(opts.format) : opts.quiet === true;
    if (watch === 0 || printsOnce) {
      ctx.out(render(await list()));
      return;
    }
    // Like podman, clear the screen only on a terminal.
    const clear = ctx.stdoutIsTty ? '\x1b[2J\x1b[1;1H' : '';
    for (;;) {
      ctx.out(clear + render(await list()));
      await new Promise((resolve) => setTimeout(resolve, watch * 1000));
    }
  },
});

function checkFlags(opts: Options, last: number, watch: number): void {
  if (last >= 0 && opts.latest) throw new InvalidArgumentError('last and latest are mutually exclusive');
  if (opts.quiet && (opts.size || opts.ns)) throw new InvalidArgumentError('quiet conflicts with size and namespace');
  if (opts.size && opts.ns) throw new InvalidArgumentError('size and namespace options conflict');
  if (watch > 0 && opts.latest) throw new InvalidArgumentError('the watch and latest flags cannot be used together');
  if (opts.sort !== undefined && !SORT_KEYS.includes(opts.sort)) {
    throw new InvalidArgumentError(`invalid argument "${opts.sort}" for "--sort" flag: "${opts.sort}" is not a valid value.  Choose from: "${SORT_KEYS.join(', ')}"`);
  }
}

function parseGoInt(value: string, flag: string, unsigned = false): number {
  if ((unsigned ? /^\+?\d+$/ : /^[+-]?\d+$/).test(value)) return Number(value);
  const parser = unsigned ? 'strconv.ParseUint' : 'strconv.ParseInt';
  throw new InvalidArgumentError(`invalid argument "${value}" for "${flag}" flag: ${parser}: parsing "${value}": invalid syntax`);
}

/** A repeatable flag split on commas as a CSV record, like pflag's StringSlice (`-f a=1,b=2` is two filters). */
export function collectSlice(value: string, previous: string[] | undefined): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= value.length && value !== '') {
    if (value[i] === '"') {
      let field = '';
      for (i++; i < value.length; i++) {
        if (value[i] === '"' && value[i + 1] === '"') field += value[i++];
        else if (value[i] === '"') break;
        else field += value[i];
      }
      fields.push(field);
      i += 2;
    } else {
      const comma = value.indexOf(',', i);
      const end = comma < 0 ? value.length : comma;
      fields.push(value.slice(i, end));
      i = end + 1;
    }
  }
  return [...(previous ?? []), ...fields];
}

// ------------------------------------------------------------------ output

export interface PsRenderOptions {
  format?: string;
  noHeading?: boolean;
  quiet?: boolean;
  noTrunc?: boolean;
  pod?: boolean;
  size?: boolean;
  ns?: boolean;
  sort?: string;
  now?: Date;
  /** Where podman logs an error without failing (`{{.Size}}` without --size). */
  warn?: (message: string) => void;
}

/** podman's report.IsJSON. */
function isJson(format: string): boolean {
  return /^\s*(json|{{\s*json\s*(\.)?\s*}})\s*$/.test(format);
}

const HEADERS: Record<string, string> = {
  Cgroup: 'cgroupns',
  CreatedHuman: 'created',
  ID: 'container id',
  IPC: 'ipc',
  MNT: 'mnt',
  NET: 'net',
  Networks: 'networks',
  PIDNS: 'pidns',
  Pod: 'pod id',
  PodName: 'podname',
  RunningFor: 'running for',
  UTS: 'uts',
  User: 'userns',
};

const column = (field: string): { header: string; field: string } => ({ header: (HEADERS[field] ?? field).toUpperCase(), field });

function defaultColumns(opts: PsRenderOptions): Array<{ header: string; field: string }> {
  if (opts.ns) return ['ID', 'Names', 'Pid', 'Cgroup', 'IPC', 'MNT', 'NET', 'PIDNS', 'User', 'UTS'].map(column);
  const fields = ['ID', 'Image', 'Command', 'CreatedHuman', 'Status', 'Ports', 'Names'];
  if (opts.pod) fields.push('Pod', 'PodName');
  if (opts.size) fields.push('Size');
  return fields.map(column);
}

/** `ps` output for already listed (and filtered) containers. */
export function renderPs(containers: ContainerSummary[], opts: PsRenderOptions = {}): string {
  const now = opts.now ?? new Date();
  const list = opts.sort ? sortContainers(containers, opts.sort) : containers;
  const format = opts.format;
  if (format !== undefined && isJson(format)) return psJson(list, opts.pod === true, now);
  if (opts.quiet && format === undefined) return list.map((c) => `${opts.noTrunc ? c.Id : c.Id.slice(0, 12)}\n`).join('');
  const rows = list.map((c) => goStruct(new PsReporter(c, opts, now), 'containers.psReporter'));
  // podman runs these as plain templates: one literal line per container.
  if (format === '' || format === 'table') return rows.map(() => `${format}\n`).join('');
  const columns = defaultColumns(opts);
  if (format === undefined) return formatReport(rows, { columns, noHeading: opts.noHeading, headers: HEADERS, name: 'ps' });
  return formatReport(rows, {
    format: format.replaceAll('.Namespaces.', '.'),
    noHeading: opts.noHeading || !isTableFormat(format),
    columns,
    headers: HEADERS,
    name: 'ps',
  });
}

/** podman's psSorted* orders (all ascending). */
export function sortContainers(list: ContainerSummary[], key: string): ContainerSummary[] {
  const text = (f: (c: ContainerSummary) => string) => (a: ContainerSummary, b: ContainerSummary) => compare(f(a), f(b));
  const number = (f: (c: ContainerSummary) => number) => (a: ContainerSummary, b: ContainerSummary) => f(a) - f(b);
  const by: Record<string, (a: ContainerSummary, b: ContainerSummary) => number> = {
    command: text((c) => (c.Command ?? []).join(' ')),
    // Same-second ties fall to CreatedAt, whose fraction orders as text.
    created: (a, b) => a.Created - b.Created || compare(a.CreatedAt, b.CreatedAt),
    id: text((c) => c.Id),
    image: text((c) => c.Image),
    names: text((c) => c.Names[0] ?? ''),
    runningfor: number((c) => goTime(c.StartedAt)),
    size: (a, b) => (a.Size && b.Size ? a.Size.rootFsSize - b.Size.rootFsSize : 0),
    status: text((c) => c.State),
  };
  const comparator = by[key];
  if (!comparator) throw new InvalidArgumentError('invalid option for --sort, options are: command, created, id, image, names, runningfor, size, or status');
  return [...list].sort(comparator);
}

/** Go's string order: by UTF-8 bytes. */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** podman's COMMAND column: the arguments joined, cut to 17 bytes and "..." unless --no-trunc. */
export function commandText(command: string[] | null, noTrunc = false): string {
  const text = (command ?? []).join(' ');
  const bytes = Buffer.from(text);
  return noTrunc || bytes.length <= 17 ? text : `${bytes.subarray(0, 17).toString()}...`;
}

function goTime(seconds: number): number {
  return seconds === 0 ? GO_ZERO_TIME : seconds;
}

/** Go's time.Time in templates: prints as its String(), `.Unix` gives seconds. */
class GoTime {
  constructor(
    private readonly text: string,
    private readonly seconds: number,
  ) {}
  toString(): string {
    return this.text;
  }
  Unix(): number {
    return this.seconds;
  }
}

/** The namespace identifiers as the summary has them (podman's JSON keys), in podman's struct order. */
const NAMESPACE_KEYS = [
  ['MNT', 'Mnt'],
  ['Cgroup', 'Cgroup'],
  ['IPC', 'Ipc'],
  ['NET', 'Net'],
  ['PIDNS', 'Pidns'],
  ['UTS', 'Uts'],
  ['User', 'User'],
] as const;

/** A row for templates and tables: podman's psReporter, its methods as getters. */
class PsReporter {
  readonly AutoRemove: boolean;
  readonly Created: GoTime;
  readonly Exited: boolean;
  readonly ExitedAt: number;
  readonly ExitCode: number;
  readonly Image: string;
  readonly IsInfra: boolean;
  readonly Labels: Record<string, string>;
  readonly Mounts: string[];
  readonly Namespaces: Record<string, string>;
  readonly Pid: number;
  readonly PodName: string;
  readonly StartedAt: number;
  readonly #c: ContainerSummary;
  readonly #opts: PsRenderOptions;
  readonly #now: Date;

  constructor(c: ContainerSummary, opts: PsRenderOptions, now: Date) {
    this.#c = c;
    this.#opts = opts;
    this.#now = now;
    this.AutoRemove = c.AutoRemove;
    this.Created = new GoTime(c.CreatedAt, c.Created);
    this.Exited = c.Exited;
    this.ExitedAt = goTime(c.ExitedAt);
    this.ExitCode = c.ExitCode;
    this.Image = c.Image;
    this.IsInfra = c.IsInfra;
    this.Labels = c.Labels ?? {};
    this.Mounts = c.Mounts;
    this.Namespaces = goStruct(Object.fromEntries(NAMESPACE_KEYS.map(([field, key]) => [field, c.Namespaces[key] ?? ''])), 'entities.ListContainerNamespaces');
    this.Pid = c.Pid;
    // podman looks pod names up only for --pod.
    this.PodName = opts.pod ? c.PodName : '';
    this.StartedAt = goTime(c.StartedAt);
  }

  #id(id: string): string {
    return this.#opts.noTrunc ? id : id.slice(0, 12);
  }

  get ID(): string {
    return this.#id(this.#c.Id);
  }
  get ImageID(): string {
    return this.#id(this.#c.ImageID);
  }
  get Pod(): string {
    return this.#id(this.#c.Pod);
  }
  get Command(): string {
    return commandText(this.#c.Command, this.#opts.noTrunc);
  }
  get Names(): string {
    return this.#c.Names[0] ?? '';
  }
  get Networks(): string {
    return this.#c.Networks.join(',');
  }
  get Ports(): string {
    return formatPortMappings(this.#c.Ports);
  }
  get Status(): string {
    return this.#c.Status;
  }
  get State(): string {
    return this.#c.Status;
  }
  get CreatedAt(): string {
    return this.#c.CreatedAt;
  }
  get CreatedHuman(): string {
    return timeAgo(this.#c.Created * 1000, this.#now);
  }
  get RunningFor(): string {
    return this.CreatedHuman;
  }
  get Size(): string {
    const size = this.#c.Size;
    if (!size) {
      this.#opts.warn?.('Size format requires --size option');
      return '';
    }
    return `${humanSizeWithPrecision(size.rwSize, 3)} (virtual ${humanSizeWithPrecision(size.rootFsSize, 3)})`;
  }
  get Cgroup(): string {
    return this.#c.Namespaces.Cgroup ?? '';
  }
  get CGROUPNS(): string {
    return this.Cgroup;
  }
  get IPC(): string {
    return this.#c.Namespaces.Ipc ?? '';
  }
  get MNT(): string {
    return this.#c.Namespaces.Mnt ?? '';
  }
  get NET(): string {
    return this.#c.Namespaces.Net ?? '';
  }
  get PIDNS(): string {
    return this.#c.Namespaces.Pidns ?? '';
  }
  get User(): string {
    return this.#c.Namespaces.User ?? '';
  }
  get USERNS(): string {
    return this.User;
  }
  get UTS(): string {
    return this.#c.Namespaces.Uts ?? '';
  }
}

const EMPTY_STRUCT = '\u0000tspod-empty-struct\u0000';

/** `ps --format json`: podman's entries, indented by two, with CreatedAt the time ago and Created in seconds. */
export function psJson(list: ContainerSummary[], pod: boolean, now: Date): string {
  const entries = list.map((c) => {
    const namespaces = Object.fromEntries(NAMESPACE_KEYS.map(([, key]) => [key, c.Namespaces[key]]).filter(([, v]) => v));
    const labels = Object.keys(c.Labels ?? {}).sort(compare);
    return {
      AutoRemove: c.AutoRemove,
      Command: c.Command,
      CreatedAt: timeAgo(c.Created * 1000, now),
      Exited: c.Exited,
      ExitedAt: goTime(c.ExitedAt),
      ExitCode: c.ExitCode,
      Id: c.Id,
      Image: c.Image,
      ImageID: c.ImageID,
      IsInfra: c.IsInfra,
      Labels: labels.length > 0 ? Object.fromEntries(labels.map((k) => [k, c.Labels![k]])) : null,
      Mounts: c.Mounts,
      Names: c.Names,
      Namespaces: Object.keys(namespaces).length > 0 ? namespaces : EMPTY_STRUCT,
      Networks: c.Networks,
      Pid: c.Pid,
      Pod: c.Pod,
      PodName: pod ? c.PodName : '',
      Ports: c.Ports && c.Ports.length > 0 ? c.Ports : null,
      Size: c.Size,
      StartedAt: goTime(c.StartedAt),
      State: c.State,
      Status: c.Status,
      Created: c.Created,
    };
  });
  // podman's JSON encoder writes a struct whose fields are all omitted as a brace pair around an indented empty line.
  return printJson(entries, { indent: 2 }).replace(/^( *)"Namespaces": "\\u0000tspod-empty-struct\\u0000"/gm, (_, indent: string) => `${indent}"Namespaces": {\n${indent}  \n${indent}}`);
}
