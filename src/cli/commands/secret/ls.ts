import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { formatReport, isJsonFormat, printJson } from '../../format/report.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { SecretRow } from './common.js';

interface Options {
  filter?: string[];
  format?: string;
  quiet?: boolean;
  noheading?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'List secrets.',
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('-f, --filter <filter>', 'filter secret output (name=, id=)', collect)
      .option('--format <format>', 'format secret output using Go template')
      .option('--noheading', 'do not print headers')
      .option('-q, --quiet', 'print secret IDs only');
  },
  async run(ctx, args, opts) {
    if (args.length > 0) throw new InvalidArgumentError('`tspod secret ls` takes no arguments');
    const filters = (opts.filter ?? []).flatMap((f) => f.split(','));
    const secrets = await (await ctx.engine()).secrets.list({ filters });
    if (opts.quiet) {
      for (const s of secrets) ctx.out(`${s.ID}\n`);
      return;
    }
    if (opts.format !== undefined && isJsonFormat(opts.format)) {
      ctx.out(printJson(secrets.map((s) => new SecretRow(s, true)), { indent: 4 }));
      return;
    }
    ctx.out(
      formatReport(
        secrets.map((s) => new SecretRow(s, true)),
        {
          format: opts.format,
          noHeading: opts.noheading,
          columns: [
            { header: 'ID', field: 'ID' },
            { header: 'NAME', field: 'Name' },
            { header: 'DRIVER', field: 'Driver' },
            { header: 'CREATED', field: 'CreatedAt' },
            { header: 'UPDATED', field: 'UpdatedAt' },
          ],
          headers: { CreatedAt: 'created', UpdatedAt: 'updated' },
          name: 'ls',
        },
      ),
    );
  },
});
