import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { confirm } from '../../output.js';

export default defineCommand<{ force?: boolean }>({
  usage: '[options]',
  description: 'Reset tspod storage: stop and remove every container, pod, image, network, volume and secret tspod made, then its storage.',
  configure(cmd: Command) {
    cmd.option('-f, --force', 'do not prompt for confirmation');
  },
  async run(ctx, _args, opts) {
    if (!opts.force) {
      const question = [
        'WARNING! This will remove:',
        '\t- all containers',
        '\t- all pods',
        '\t- all images',
        '\t- all networks',
        '\t- all build cache',
        '\t- all volumes',
        '\t- all secrets',
        'Are you sure you want to continue?',
      ].join('\n');
      if (!(await confirm(ctx, question))) return 0;
    }
    await (await ctx.engine()).system.reset();
    return 0;
  },
});
