import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand({
  usage: 'POD',
  description: 'Checks if a pod exists in local storage: exit 0 if it does, 1 if it does not.',
  examples: ['tspod pod exists podID', 'tspod pod exists mypod || tspod pod create --name mypod'],
  configure(cmd: Command) {
    cmd.argument('[pod...]');
  },
  async run(ctx, args) {
    if (args.length !== 1) throw new InvalidArgumentError(`accepts 1 arg(s), received ${args.length}`);
    return (await (await ctx.engine()).pods.exists(args[0]!)) ? 0 : 1;
  },
});
