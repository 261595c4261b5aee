import type { Command } from 'commander';
import { defineCommand } from '../../command.js';

export default defineCommand({
  usage: 'IMAGE [NAME...]',
  description: 'Remove one or more names from a locally-stored image (all names when none is given).',
  configure(cmd: Command) {
    cmd.argument('<image>').argument('[name...]');
  },
  async run(ctx, args) {
    const engine = await ctx.engine();
    await engine.images.untag(args[0]!, args.slice(1));
  },
});
