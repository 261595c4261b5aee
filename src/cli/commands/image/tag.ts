import type { Command } from 'commander';
import { defineCommand } from '../../command.js';

export default defineCommand({
  usage: 'IMAGE TARGET_NAME [TARGET_NAME...]',
  description: 'Add one or more additional names to a local image.',
  configure(cmd: Command) {
    cmd.argument('<image>').argument('<target...>');
  },
  async run(ctx, args) {
    const engine = await ctx.engine();
    await engine.images.tag(args[0]!, args.slice(1));
  },
});
