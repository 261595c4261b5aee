import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<Record<string, never>>({
  usage: 'CONTAINER NAME',
  description: 'Renames an existing container.',
  configure(cmd: Command) {
    cmd.argument('[container]').argument('[name]');
  },
  async run(ctx, args) {
    if (args.length !== 2) throw new InvalidArgumentError('requires exactly 2 arguments: tspod rename CONTAINER NAME');
    await (await ctx.engine()).containers.rename(args[0]!, args[1]!);
  },
});
