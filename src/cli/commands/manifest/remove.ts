import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { expectArgs } from './flags.js';

export default defineCommand({
  usage: 'LIST DIGEST',
  description: 'Removes the entry with the given digest from a manifest list. Prints the list ID.',
  examples: ['tspod manifest remove mylist:v1.11 sha256:15352d97781ffdf357bf3459c037be3efac4133dc9070c2dce7eca7c05c3e736'],
  configure(cmd: Command) {
    cmd.argument('[args...]');
  },
  async run(ctx, args) {
    expectArgs(args, 2, 2, 'remove LIST DIGEST');
    const engine = await ctx.engine();
    ctx.out(`${await engine.manifests.removeInstance(args[0]!, args[1]!)}\n`);
  },
});
