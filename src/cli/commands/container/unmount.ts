import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { printActionReports } from './reports.js';

interface Options {
  all?: boolean;
  force?: boolean;
  latest?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: "Unmount working containers' root filesystems.",
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'unmount all of the currently mounted containers')
      .option('-f, --force', 'force the complete unmount of the specified mounted containers')
      .option('-l, --latest', 'act on the latest container tspod is aware of');
  },
  async run(ctx, args, opts) {
    const engine = await ctx.engine();
    let names = args;
    if (opts.latest) {
      const latest = (await engine.containers.list({ all: true, last: 1 }))[0];
      names = latest ? [latest.Id] : [];
    }
    const reports = await engine.containers.unmount(names, { all: opts.all, force: opts.force });
    return printActionReports(ctx, reports, { printIds: opts.all });
  },
});
