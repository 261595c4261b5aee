import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { formatReport, isJsonFormat, printJson } from '../../format/report.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { NetworkListRow } from './common.js';

interface Options {
  filter?: string[];
  format?: string;
  quiet?: boolean;
  trunc?: boolean;
  noheading?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Displays a list of existing networks, sorted by name.',
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('-f, --filter <filter>', "provide filter values (e.g. 'name=podman')", collect)
      .option('--format <format>', 'pretty-print networks to JSON or using a Go template')
      .option('-q, --quiet', 'display only names')
      .option('--no-trunc', 'do not truncate the network ID')
      .option('--noheading', 'do not print headers');
  },
  async run(ctx, args, opts) {
    if (args.length > 0) throw new InvalidArgumentError('`tspod network ls` takes no arguments');
    const networks = await (await ctx.engine()).networks.list({ filters: opts.filter });
    if (opts.quiet) {
      for (const n of networks) ctx.out(`${n.name}\n`);
      return;
    }
    if (opts.format !== undefined && isJsonFormat(opts.format)) {
      ctx.out(printJson(networks, { indent: 2 }));
      return;
    }
    const rows = networks.map((n) => new NetworkListRow(n, opts.trunc === false));
    ctx.out(
      formatReport(rows, {
        format: opts.format,
        noHeading: opts.noheading,
        columns: [
          { header: 'NETWORK ID', field: 'ID' },
          { header: 'NAME', field: 'Name' },
          { header: 'DRIVER', field: 'Driver' },
        ],
        headers: { Name: 'name', Driver: 'driver', Labels: 'labels', ID: 'network id' },
        name: 'ls',
      }),
    );
  },
});
