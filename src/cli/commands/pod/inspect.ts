import type { Command } from 'commander';
import { defineCommand, type CommandContext } from '../../command.js';
import { formatReport, printJson } from '../../format/report.js';
import { goTimeString } from '../../../util/time.js';
import { InvalidArgumentError, TspodError } from '../../../util/errors.js';
import { isJson, isNoSuchPod } from './common.js';

interface Options {
  format: string;
  latest?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] POD [POD...]',
  description: 'Displays the configuration of one or more pods: one JSON object for a single pod, else an array.',
  examples: ['tspod pod inspect podID', 'tspod pod inspect --format "{{.Name}} {{.State}}" podID'],
  configure(cmd: Command) {
    cmd
      .argument('[pod...]')
      .option('-f, --format <format>', 'Format the output to a Go template or json', 'json')
      .option('-l, --latest', 'Act on the latest pod tspod is aware of');
  },
  async run(ctx, args, opts) {
    if (args.length === 0 && !opts.latest) throw new InvalidArgumentError('no names or ids specified');
    if (opts.latest && args.length > 0) throw new InvalidArgumentError('--latest and arguments cannot be used together');
    const engine = await ctx.engine();
    const results = await engine.pods.inspect(args, { latest: opts.latest });
    if (opts.latest && results[0] instanceof Error) throw results[0];
    const found: Array<Record<string, unknown>> = [];
    const errors: string[] = [];
    results.forEach((result, i) => {
      if (!(result instanceof Error)) found.push(result);
      else if (isNoSuchPod(result)) errors.push(`no such pod ${args[i] ?? ''}`);
      else throw result;
    });
    printInspect(ctx, found, opts.format);
    if (errors.length === 0) return 0;
    for (const message of errors.slice(1)) ctx.err(`error inspecting object: ${message}\n`);
    throw new TspodError(`inspecting object: ${errors[0]}`);
  },
});

/** One pod prints as an object (podman 4.3 kept that for `pod inspect`), several as an array. */
export function printInspect(ctx: Pick<CommandContext, 'out'>, docs: Array<Record<string, unknown>>, format: string): void {
  if (isJson(format) || format === '') {
    ctx.out(printJson(docs.length === 1 ? docs[0] : docs, { indent: 5, escapeHtml: false }));
    return;
  }
  const template = format.replace(/{{\s*\.Id\s*}}/g, '{{.ID}}');
  ctx.out(formatReport(docs.map(templateView), { format: template, columns: [], name: 'inspect' }));
}

/** JSON keys that differ from the Go field names templates use. */
const GO_FIELDS: Record<string, string> = {
  Id: 'ID',
  cpu_period: 'CPUPeriod',
  cpu_quota: 'CPUQuota',
  cpu_shares: 'CPUShares',
  cpuset_cpus: 'CPUSetCPUs',
  cpuset_mems: 'CPUSetMems',
  mounts: 'Mounts',
  devices: 'Devices',
  device_read_bps: 'BlkioDeviceReadBps',
  device_write_bps: 'BlkioDeviceWriteBps',
  volumes_from: 'VolumesFrom',
  security_opt: 'SecurityOpts',
  memory_limit: 'MemoryLimit',
  memory_swap: 'MemorySwap',
  blkio_weight: 'BlkioWeight',
  blkio_weight_device: 'BlkioWeightDevice',
  pid_ns: 'PidNS',
  userns: 'UserNS',
  uts_ns: 'UtsNS',
};

/** Fields the JSON omits when empty, with the zero value a Go template sees. */
const OMITTED: Record<string, unknown> = {
  Namespace: '',
  CreateCommand: null,
  ExitPolicy: '',
  Labels: {},
  CgroupParent: '',
  CgroupPath: '',
  InfraContainerID: '',
  InfraConfig: null,
  SharedNamespaces: null,
  Containers: null,
  CPUPeriod: 0,
  CPUQuota: 0,
  CPUShares: 0,
  CPUSetCPUs: '',
  CPUSetMems: '',
  Mounts: null,
  Devices: null,
  BlkioDeviceReadBps: null,
  BlkioDeviceWriteBps: null,
  VolumesFrom: null,
  SecurityOpts: null,
  MemoryLimit: 0,
  MemorySwap: 0,
  BlkioWeight: 0,
  BlkioWeightDevice: null,
};

/** Go's time.Time in a template: prints as its String(). */
class GoTime {
  constructor(private readonly rfc3339: string) {}
  toString(): string {
    return goTimeString(this.rfc3339);
  }
}

/** The inspect document as the Go struct templates run on: Go field names, omitted fields back. */
export function templateView(doc: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = { ...OMITTED, ...renameKeys(doc) };
  if (typeof view.Created === 'string') view.Created = new GoTime(view.Created);
  if (isRecord(view.InfraConfig)) view.InfraConfig = renameKeys(view.InfraConfig);
  if (Array.isArray(view.Containers)) view.Containers = view.Containers.map((c) => (isRecord(c) ? renameKeys(c) : c));
  return view;
}

function renameKeys(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [GO_FIELDS[k] ?? k, v]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
