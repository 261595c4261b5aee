import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { alignColumns, formatReport, headerFor, isTableFormat } from '../../format/report.js';
import type { PodStatsEntry } from '../../../engine/types.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { isJson, jsoniterIndent } from './common.js';

interface Options {
  all?: boolean;
  format?: string;
  latest?: boolean;
  /** --no-reset sets it false. */
  reset: boolean;
  /** --no-stream sets it false. */
  stream: boolean;
}

/** podman's PodStatsReport field order (its JSON and the struct templates see). */
const FIELDS = ['CPU', 'MemUsage', 'MemUsageBytes', 'Mem', 'NetIO', 'BlockIO', 'PIDS', 'Pod', 'CID', 'Name'] as const;

/** podman's header overrides; `MEM` and `NET IO` name no field, so .Mem and .NetIO keep their derived headers. */
const HEADERS: Record<string, string> = { CPU: 'CPU %', MemUsage: 'MEM USAGE/ LIMIT', MemUsageBytes: 'MEM USAGE/ LIMIT', MEM: 'MEM %', 'NET IO': 'NET IO', BlockIO: 'BLOCK IO' };

const CLEAR = '\x1b[2J\x1b[1;1H';

export default defineCommand<Options>({
  usage: '[options] [POD...]',
  description: 'Displays the resource usage of the containers of one or more running pods (all running pods by default).',
  examples: ['tspod pod stats', 'tspod pod stats a69b23034235 named-pod', 'tspod pod stats --latest', 'tspod pod stats --all'],
  configure(cmd: Command) {
    cmd
      .argument('[pod...]')
      .option('-a, --all', 'Provide stats for all pods')
      .option('--format <format>', 'Pretty-print container statistics to JSON or using a Go template')
      .option('-l, --latest', 'Act on the latest pod tspod is aware of')
      .option('--no-reset', 'Disable resetting the screen when streaming')
      .option('--no-stream', 'Disable streaming stats and only pull the first result');
  },
  async run(ctx, args, opts) {
    const chosen = (args.length > 0 ? 1 : 0) + (opts.all ? 1 : 0) + (opts.latest ? 1 : 0);
    if (chosen > 1) throw new InvalidArgumentError('--all, --latest and arguments cannot be used together');
    const all = chosen === 0 ? true : opts.all;
    const engine = await ctx.engine();
    const json = opts.format !== undefined && isJson(opts.format);
    // Unlike podman, refresh only on a terminal: piped output gets one report, as with --no-stream.
    const stream = opts.stream && ctx.stdoutIsTty;
    for (;;) {
      const entries = await engine.pods.stats(args, { all, latest: opts.latest });
      const clear = !json && opts.reset && ctx.stdoutIsTty ? CLEAR : '';
      ctx.out(clear + renderPodStats(entries, opts.format));
      if (!stream) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  },
});

/** One round of `pod stats` output. */
export function renderPodStats(entries: PodStatsEntry[], format?: string): string {
  const rows = entries.map((e) => Object.fromEntries(FIELDS.map((f) => [f, e[f]])));
  if (format !== undefined && isJson(format)) return `${jsoniterIndent(rows, 5)}\n`;
  if (format === undefined) {
    const cells = rows.length === 0 ? [Array<string>(9).fill('--')] : entries.map((e) => [e.Pod, e.CID, e.Name, e.CPU, e.MemUsage, e.Mem, e.NetIO, e.BlockIO, e.PIDS]);
    const header = ['POD', 'CID', 'NAME', 'CPU %', 'MEM USAGE/ LIMIT', 'MEM %', 'NET IO', 'BLOCK IO', 'PIDS'];
    return alignColumns([header, ...cells].map((line) => `${line.join('\t')}\n`).join(''));
  }
  if (rows.length === 0) return '';
  const columns = FIELDS.map((field) => ({ field, header: headerFor(field, { columns: [], headers: HEADERS }) }));
  if (isTableFormat(format)) return formatReport(rows, { format, columns, headers: HEADERS, name: 'stats' });
  // podman 4.3 runs a plain template over its header row too, so the first line is the headers.
  const headerRow = new Map(columns.map((c) => [c.field, c.header]));
  return formatReport([headerRow, ...rows], { format, columns, headers: HEADERS, name: 'stats' });
}
