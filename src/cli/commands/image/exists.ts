import type { Command } from 'commander';
import { defineCommand } from '../../command.js';

export default defineCommand({
  usage: 'IMAGE',
  description: 'Check if an image exists in local storage: exit code 0 if it does, 1 if it does not.',
  configure(cmd: Command) {
    cmd.argument('<image>');
  },
  async run(ctx, args) {
    const engine = await ctx.engine();
    return (await engine.images.exists(args[0]!)) ? 0 : 1;
  },
});
