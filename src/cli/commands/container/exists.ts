import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<{ external?: boolean }>({
  usage: '[options] CONTAINER',
  description: 'Checks if a container exists in local storage: exit 0 if it does, 1 if it does not.',
  configure(cmd: Command) {
    cmd.argument('[container]').option('--external', 'check external containers as well as tspod containers');
  },
  async run(ctx, args) {
    if (args.length !== 1) throw new InvalidArgumentError('requires exactly 1 argument: tspod container exists CONTAINER');
    return (await (await ctx.engine()).containers.exists(args[0]!)) ? 0 : 1;
  },
});
