import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { expectArgs } from './flags.js';

export default defineCommand({
  usage: 'LIST',
  description: 'Checks if a manifest list exists in local storage: exit code 0 if it does, 1 if it does not.',
  examples: ['tspod manifest exists mylist'],
  configure(cmd: Command) {
    cmd.argument('[args...]');
  },
  async run(ctx, args) {
    expectArgs(args, 1, 1, 'exists LIST');
    const engine = await ctx.engine();
    return (await engine.manifests.exists(args[0]!)) ? 0 : 1;
  },
});
