import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { requireArgs } from './common.js';

export default defineCommand({
  usage: 'NETWORK',
  description: 'If the named network exists, exits with 0, otherwise with 1.',
  configure(cmd: Command) {
    cmd.argument('[network...]');
  },
  async run(ctx, args) {
    requireArgs(args, { exact: 1 });
    return (await (await ctx.engine()).networks.exists(args[0]!)) ? 0 : 1;
  },
});
