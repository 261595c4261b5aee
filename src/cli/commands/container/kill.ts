import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, printActionReports, targetNames } from './reports.js';

interface Options {
  all?: boolean;
  latest?: boolean;
  signal: string;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Sends a signal (default SIGKILL) to one or more running containers.',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'signal all running containers')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('-s, --signal <signal>', 'signal to send to the container', 'KILL');
  },
  async run(ctx, args, opts) {
    checkTargets(args, opts);
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    return printActionReports(ctx, await engine.containers.kill(names, { all: opts.all, signal: opts.signal }), { printIds: opts.all });
  },
});
