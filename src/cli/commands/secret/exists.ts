import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { requireArgs } from '../network/common.js';

export default defineCommand({
  usage: 'SECRET',
  description: 'If the given secret exists, exits with 0, otherwise with 1.',
  configure(cmd: Command) {
    cmd.argument('[secret...]');
  },
  async run(ctx, args) {
    requireArgs(args, { exact: 1 });
    return (await (await ctx.engine()).secrets.exists(args[0]!)) ? 0 : 1;
  },
});
