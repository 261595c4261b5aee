import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets } from './reports.js';

/** conmon's exit command; also usable by hand to release what a dead container holds. */
export default defineCommand<{ all?: boolean; latest?: boolean; rm?: boolean; rmi?: boolean; exec?: string }>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Cleans up the network and mountpoints of one or more stopped containers.',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'clean up all containers')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('--rm', 'after cleanup, remove the container entirely')
      .option('--rmi', 'after cleanup, remove the image entirely')
      .option('--exec <session>', 'clean up the given exec session instead of the container');
  },
  async run(ctx, args, opts) {
    checkTargets(args, opts);
    const engine = await ctx.engine();
    const names = opts.all ? (await engine.containers.list({ all: true })).map((c) => c.Id) : args;
    const reports = await engine.containers.cleanup(names, { remove: opts.rm });
    let code = 0;
    for (const r of reports) {
      if (r.error) {
        ctx.err(`Error: ${r.error.message}\n`);
        code = 125;
      } else ctx.out(`${r.name}\n`);
    }
    return code;
  },
});
