import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, printActionReports, targetNames } from './reports.js';

interface Options {
  all?: boolean;
  latest?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Initializes one or more containers: creates them in the OCI runtime without starting their process.',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'init all containers')
      .option('-l, --latest', 'act on the latest container tspod is aware of');
  },
  async run(ctx, args, opts) {
    checkTargets(args, opts);
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    return printActionReports(ctx, await engine.containers.init(names, { all: opts.all }), { printIds: opts.all });
  },
});
