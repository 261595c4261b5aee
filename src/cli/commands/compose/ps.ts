import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { printRows } from '../../output.js';
import { addProjectFlags, projectNameFromFlags, serviceContainers, type ProjectFlags } from './common.js';
import { formatPortMappings } from '../../../engine/network/ports.js';
import { serviceOf } from '../../../compose/project.js';
import { timeAgo } from '../../../util/units.js';

interface Options extends ProjectFlags {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  format?: string;
  status?: string[];
}

export default defineCommand<Options>({
  usage: '[options] [SERVICE...]',
  description: 'List the containers of a Compose project.',
  configure(cmd: Command) {
    cmd
      .argument('[services...]')
      .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
      .option('-q, --quiet', 'Only display IDs')
      .option('--services', 'Display services')
      .option('--format <format>', 'Format the output: table (default), json or a Go template')
      .option('--status <status>', 'Filter services by status: created, running, exited...', (v: string, p: string[] = []) => [...p, v]);
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const { name, project } = projectNameFromFlags(ctx, opts);
    const engine = await ctx.engine();
    let list = await serviceContainers(engine, name, project, args, { all: true });
    if (!opts.all) list = list.filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting' || c.State === 'created');
    if (opts.status?.length) list = list.filter((c) => opts.status!.includes(c.State));
    if (opts.quiet) return ctx.out(list.map((c) => `${c.Id}\n`).join(''));
    if (opts.services) return ctx.out([...new Set(list.map(serviceOf))].map((s) => `${s}\n`).join(''));
    const now = Date.now();
    const rows = list.map((c) => ({
      ID: c.Id,
      Name: c.Names[0] ?? '',
      Image: c.Image,
      Command: JSON.stringify((c.Command ?? []).join(' ')),
      Project: name,
      Service: serviceOf(c),
      Created: c.Created,
      CreatedAt: c.CreatedAt,
      // The CREATED column, as Docker Compose and tspod ps print it: "2 minutes ago".
      RunningFor: timeAgo(c.Created * 1000, now),
      State: c.State,
      Status: c.Status,
      Health: /\((healthy|unhealthy|starting)\)/.exec(c.Status)?.[1] ?? '',
      ExitCode: c.ExitCode,
      Ports: formatPortMappings(c.Ports),
      Labels: c.Labels,
    }));
    printRows(ctx, rows, {
      format: opts.format === 'table' ? undefined : opts.format,
      json: rows,
      columns: [
        { header: 'NAME', field: 'Name' },
        { header: 'IMAGE', field: 'Image' },
        { header: 'COMMAND', field: 'Command' },
        { header: 'SERVICE', field: 'Service' },
        { header: 'CREATED', field: 'RunningFor' },
        { header: 'STATUS', field: 'Status' },
        { header: 'PORTS', field: 'Ports' },
      ],
    });
  },
});
