import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect, confirm } from '../../output.js';

export default defineCommand<{ force?: boolean; filter?: string[] }>({
  usage: '[options]',
  description: 'Removes all stopped containers from local storage.',
  configure(cmd: Command) {
    cmd.option('-f, --force', 'do not prompt for confirmation').option('--filter <filter>', 'provide filter values (e.g. label=<key>=<value>, until=<timestamp>)', collect);
  },
  async run(ctx, _args, opts) {
    if (!opts.force && !(await confirm(ctx, 'WARNING! This will remove all non running containers.\nAre you sure you want to continue?'))) return 0;
    const results = await (await ctx.engine()).containers.prune({ filters: opts.filter });
    let code = 0;
    for (const r of results) {
      if (r.error) {
        ctx.err(`Error: ${r.error.message}\n`);
        code = 125;
      } else {
        ctx.out(`${r.id}\n`);
      }
    }
    return code;
  },
});
