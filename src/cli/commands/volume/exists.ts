import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { requireArgs } from '../network/common.js';

export default defineCommand({
  usage: 'VOLUME',
  description: 'If the given volume exists, exits with 0, otherwise with 1.',
  configure(cmd: Command) {
    cmd.argument('[volume...]');
  },
  async run(ctx, args) {
    requireArgs(args, { exact: 1 });
    return (await (await ctx.engine()).volumes.exists(args[0]!)) ? 0 : 1;
  },
});
