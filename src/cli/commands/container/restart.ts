import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, printActionReports, targetNames } from './reports.js';
import { parseTimeout } from './stop.js';

interface Options {
  all?: boolean;
  latest?: boolean;
  running?: boolean;
  time?: string;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Restarts one or more containers (stop, then start).',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'restart all non-running containers')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('--running', 'restart only running containers')
      .option('-t, --time <seconds>', 'seconds to wait for stop before killing the container');
  },
  async run(ctx, args, opts) {
    checkTargets(args, opts);
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    return printActionReports(ctx, await engine.containers.restart(names, { all: opts.all, running: opts.running, timeout: parseTimeout(opts.time) }), {
      printIds: opts.all,
    });
  },
});
