import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, targetNames } from '../container/reports.js';
import { exitCodeOf, printErrors } from './common.js';

export default defineCommand<{ all?: boolean; latest?: boolean }>({
  usage: '[options] [CONTAINER...]',
  description: 'Reloads the network of containers, recreating firewall rules (after a firewall reload flushed them). Prints each container ID.',
  examples: ['tspod network reload --latest', 'tspod network reload 3c13ef6dd843', 'tspod network reload test1 test2'],
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'reload network configuration of all containers')
      .option('-l, --latest', 'act on the latest container tspod is aware of');
  },
  async run(ctx, args, opts) {
    checkTargets(args, opts);
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    const reports = await engine.networks.reload(names, { all: opts.all });
    const errors: Error[] = [];
    for (const r of reports) {
      if (r.error) errors.push(r.error);
      else ctx.out(`${r.id ?? r.name}\n`);
    }
    const last = printErrors(ctx, errors);
    if (!last) return 0;
    ctx.err(`Error: ${last.message}\n`);
    return exitCodeOf(last);
  },
});
