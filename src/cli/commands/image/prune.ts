import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect, confirm } from '../../output.js';

interface Options {
  all?: boolean;
  force?: boolean;
  filter?: string[];
  external?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Removes dangling images (with --all, every image without a container) from local storage.',
  configure(cmd: Command) {
    cmd
      .option('-a, --all', 'remove all images not in use by containers, not just dangling ones')
      .option('-f, --force', 'do not prompt for confirmation')
      .option('--filter <filter>', 'provide filter values (e.g. label=<key>=<value>, until=<timestamp>)', collect)
      .option('--external', 'remove images even when they are used by external containers');
  },
  async run(ctx, _args, opts) {
    if (!opts.force) {
      const what = opts.all ? 'all images not used by at least one container' : 'all dangling images';
      if (!(await confirm(ctx, `WARNING! This command removes ${what}.\nAre you sure you want to continue?`))) return 0;
    }
    const engine = await ctx.engine();
    const pruned = await engine.images.prune({ all: opts.all, filters: opts.filter });
    for (const p of pruned) ctx.out(`${p.id}\n`);
  },
});
