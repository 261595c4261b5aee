import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { requireArgs } from './common.js';

export default defineCommand<{ force?: boolean }>({
  usage: '[options] NETWORK CONTAINER',
  description: 'Removes a container from a network.',
  examples: ['tspod network disconnect web secondary'],
  configure(cmd: Command) {
    cmd.argument('[args...]').option('-f, --force', 'force removal of container from network');
  },
  async run(ctx, args, opts) {
    requireArgs(args, { exact: 2 });
    await (await ctx.engine()).networks.disconnect(args[0]!, args[1]!, { force: opts.force });
  },
});
