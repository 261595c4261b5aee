import type { Command } from 'commander';
import { defineCommand } from '../../../command.js';
import { formatReport, isJsonFormat, printJson } from '../../../format/report.js';
import { InvalidArgumentError } from '../../../../util/errors.js';
import { readConnections } from '../../../../config/connections.js';

interface Options {
  format?: string;
  quiet?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'List the destinations of remote tspod/podman services.',
  configure(cmd: Command) {
    cmd.argument('[args...]').option('-f, --format <format>', 'custom Go template or json for printing connections').option('-q, --quiet', 'only show connection names');
  },
  async run(ctx, args, opts) {
    if (args.length > 0) throw new InvalidArgumentError('`tspod system connection list` takes no arguments');
    const { destinations, active } = readConnections();
    const rows = Object.entries(destinations)
      .map(([Name, d]) => ({ Name, URI: d.uri, Identity: d.identity ?? '', IsMachine: false, Default: Name === active }))
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    if (opts.quiet) {
      for (const r of rows) ctx.out(`${r.Name}\n`);
      return;
    }
    if (opts.format !== undefined && isJsonFormat(opts.format)) {
      ctx.out(printJson(rows));
      return;
    }
    ctx.out(
      formatReport(rows, {
        format: opts.format,
        columns: [
          { header: 'Name', field: 'Name' },
          { header: 'URI', field: 'URI' },
          { header: 'Identity', field: 'Identity' },
          { header: 'Default', field: 'Default' },
        ],
        name: 'list',
      }),
    );
  },
});
