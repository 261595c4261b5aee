import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { printRows } from '../../output.js';
import { humanSize, isoSeconds, timeAgo } from '../../../util/units.js';

interface Options {
  format?: string;
  human: boolean;
  trunc?: boolean;
  noheading?: boolean;
  quiet?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] IMAGE',
  description: 'Displays the history of an image.',
  configure(cmd: Command) {
    cmd
      .argument('<image>')
      .option('--format <format>', 'change the output to JSON or a Go template')
      .option('-H, --human [bool]', 'display sizes and dates in human readable format', (v) => v !== 'false', true)
      .option('--no-trunc', 'do not truncate the output')
      .option('-n, --noheading', 'do not print column headings')
      .option('-q, --quiet', 'display the numeric IDs only');
  },
  async run(ctx, args, opts) {
    const engine = await ctx.engine();
    const entries = await engine.images.history(args[0]!);
    const noTrunc = opts.trunc === false;
    const rows = entries.map((e) => {
      const createdBy = noTrunc || e.createdBy.length <= 45 ? e.createdBy : `${e.createdBy.slice(0, 42)}...`;
      return {
        ID: e.id === '<missing>' || noTrunc ? e.id : e.id.slice(0, 12),
        Created: opts.human ? timeAgo(new Date(e.created)) : isoSeconds(e.created),
        CreatedSince: timeAgo(new Date(e.created)),
        CreatedAt: isoSeconds(e.created),
        CreatedBy: createdBy,
        Size: opts.human ? humanSize(e.size) : String(e.size),
        Comment: e.comment,
        Tags: e.tags,
      };
    });
    if (opts.quiet) {
      for (const r of rows) ctx.out(`${r.ID}\n`);
      return;
    }
    if (opts.format === 'json') {
      // podman prints this one compact, with both spellings of the time
      const json = entries.map((e) => ({ id: e.id, created: e.createdRaw, CreatedBy: e.createdBy, size: e.size, comment: e.comment, Created: isoSeconds(e.created) }));
      ctx.out(`${JSON.stringify(json)}\n`);
      return;
    }
    printRows(ctx, rows, {
      format: opts.format,
      noHeading: opts.noheading,
      columns: [
        { header: 'ID', field: 'ID' },
        { header: 'CREATED', field: 'Created' },
        { header: 'CREATED BY', field: 'CreatedBy' },
        { header: 'SIZE', field: 'Size' },
        { header: 'COMMENT', field: 'Comment' },
      ],
    });
  },
});
