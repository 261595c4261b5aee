import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<{ all?: boolean; ignore?: boolean }>({
  usage: '[options] SECRET [SECRET...]',
  description: 'Remove one or more secrets.',
  configure(cmd: Command) {
    cmd.argument('[secret...]').option('-a, --all', 'remove all secrets').option('-i, --ignore', 'ignore errors when a specified secret is missing');
  },
  async run(ctx, args, opts) {
    if (opts.all && args.length > 0) throw new InvalidArgumentError('when using the --all switch, you may not pass any secret names or IDs');
    if (!opts.all && args.length === 0) throw new InvalidArgumentError('requires at least 1 arg(s), only received 0');
    const reports = await (await ctx.engine()).secrets.remove(args, { all: opts.all, ignore: opts.ignore });
    const errors: Error[] = [];
    for (const r of reports) {
      if (r.error) errors.push(r.error);
      else ctx.out(`${r.id}\n`);
    }
    if (errors.length === 0) return 0;
    for (const e of errors) ctx.err(`Error: ${e.message}\n`);
    return 125;
  },
});
