import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { formatReport, isJsonFormat, printJson } from '../../format/report.js';
import { humanSizeWithPrecision } from '../../../util/units.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { formatGoDuration } from '../../../util/goDuration.js';
import type { ContainerStatsReport, ContainerSample } from '../../../engine/statsTypes.js';

interface Options {
  all?: boolean;
  format?: string;
  interval?: string;
  stream?: boolean;
  reset?: boolean;
  trunc?: boolean;
  latest?: boolean;
}

/** One row; field names are the template's (podman's ContainerStats report). */
interface StatsRow {
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
  CPU: string;
  AVGCPU: string;
  json: Record<string, unknown>;
}

export default defineCommand<Options>({
  usage: '[options] [CONTAINER...]',
  description: 'Display a live stream of resource usage statistics for one or more containers.',
  configure(cmd: Command) {
    cmd
      .argument('[containers...]')
      .option('-a, --all', 'show all containers, not only running ones')
      .option('--format <format>', 'pretty-print container statistics to JSON or using a Go template')
      .option('-i, --interval <seconds>', 'time in seconds between stats reports', '5')
      .option('--no-stream', 'disable streaming stats and only pull the first result')
      .option('--no-reset', 'disable resetting the screen between intervals')
      .option('--no-trunc', 'do not truncate output')
      .option('-l, --latest', 'act on the latest container tspod is aware of');
  },
  async run(ctx, args, opts) {
    const interval = Number(opts.interval ?? '5');
    if (!Number.isInteger(interval) || interval < 1) throw new InvalidArgumentError(`invalid interval "${opts.interval}": must be a positive number of seconds`);
    if (opts.latest && args.length > 0) throw new InvalidArgumentError('--latest and containers cannot be used together');
    const engine = await ctx.engine();
    const previous = new Map<string, ContainerSample>();
    const render = (reports: ContainerStatsReport[]): string => {
      const rows = reports.map((r) => row(r, previous.get(r.id), opts.trunc === false));
      for (const r of reports) if (r.sample) previous.set(r.id, r.sample);
      if (opts.format !== undefined && isJsonFormat(opts.format)) return printJson(rows.map((r) => r.json), { indent: 2 });
      return formatReport(rows, {
        format: opts.format,
        columns: [
          { header: 'ID', field: 'ID' },
          { header: 'NAME', field: 'Name' },
          { header: 'CPU %', field: 'CPUPerc' },
          { header: 'MEM USAGE / LIMIT', field: 'MemUsage' },
          { header: 'MEM %', field: 'MemPerc' },
          { header: 'NET IO', field: 'NetIO' },
          { header: 'BLOCK IO', field: 'BlockIO' },
          { header: 'PIDS', field: 'PIDs' },
          { header: 'CPU TIME', field: 'CPU' },
          { header: 'AVG CPU %', field: 'AVGCPU' },
        ],
        headers: { CPUPerc: 'cpu %', MemUsage: 'mem usage / limit', MemPerc: 'mem %', NetIO: 'net io', BlockIO: 'block io', PIDs: 'pids', CPU: 'cpu time', AVGCPU: 'avg cpu %' },
        name: 'stats',
      });
    };
    const names = args;
    const query = () => engine.containers.stats(names, { all: opts.all, latest: opts.latest });
    if (opts.stream === false) {
      ctx.out(render(await query()));
      return;
    }
    let stopped = false;
    const stop = () => (stopped = true);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      while (!stopped) {
        const text = render(await query());
        // On a terminal the table is redrawn in place, as podman does; piped, successive tables follow each other.
        ctx.out(ctx.stdoutIsTty && opts.reset !== false ? `\x1b[2J\x1b[H${text}` : text);
        const until = Date.now() + interval * 1000;
        while (!stopped && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
});

const size = (n: number) => humanSizeWithPrecision(n, 3);

function row(r: ContainerStatsReport, prev: ContainerSample | undefined, noTrunc: boolean): StatsRow {
  const id = noTrunc ? r.id : r.id.slice(0, 12);
  const s = r.sample;
  if (!s) {
    const zero = { cpu_time: '0s', cpu_percent: '0.00%', avg_cpu: '0.00%', mem_usage: '0B / 0B', mem_percent: '0.00%', net_io: '0B / 0B', block_io: '0B / 0B', pids: '0' };
    return { ID: id, Name: r.name, CPUPerc: '0.00%', MemUsage: '0B / 0B', MemPerc: '0.00%', NetIO: '0B / 0B', BlockIO: '0B / 0B', PIDs: '0', CPU: '0s', AVGCPU: '0.00%', json: { id, name: r.name, ...zero } };
  }
  // Between two samples: the CPU time used over the wall time passed; a first sample averages since the start.
  const cpuDelta = prev ? s.cpuNanos - prev.cpuNanos : s.cpuNanos;
  const wallDelta = prev ? s.timeNanos - prev.timeNanos : Math.max(1, s.timeNanos - Date.parse(r.startedAt) * 1e6);
  const cpu = wallDelta > 0 ? (cpuDelta / wallDelta) * 100 : 0;
  const avg = (s.cpuNanos / Math.max(1, s.timeNanos - Date.parse(r.startedAt) * 1e6)) * 100;
  const mem = s.memLimit > 0 ? (s.memUsage / s.memLimit) * 100 : 0;
  return {
    ID: id,
    Name: r.name,
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${size(s.memUsage)} / ${size(s.memLimit)}`,
    MemPerc: `${mem.toFixed(2)}%`,
    NetIO: `${size(s.netRx)} / ${size(s.netTx)}`,
    BlockIO: `${size(s.blockRead)} / ${size(s.blockWrite)}`,
    PIDs: String(s.pids),
    CPU: cpuTime(s.cpuNanos),
    AVGCPU: `${avg.toFixed(2)}%`,
    json: {
      id,
      name: r.name,
      cpu_time: cpuTime(s.cpuNanos),
      cpu_percent: `${cpu.toFixed(2)}%`,
      avg_cpu: `${avg.toFixed(2)}%`,
      mem_usage: `${size(s.memUsage)} / ${size(s.memLimit)}`,
      mem_percent: `${mem.toFixed(2)}%`,
      net_io: `${size(s.netRx)} / ${size(s.netTx)}`,
      block_io: `${size(s.blockRead)} / ${size(s.blockWrite)}`,
      pids: String(s.pids),
    },
  };
}

/** CPU time as Go prints a Duration, to the microsecond. */
const cpuTime = (nanos: number): string => formatGoDuration(Math.round(nanos / 1e3) * 1e3);
